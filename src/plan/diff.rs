//! Line diffs of a change's before and after texts, for the text and Markdown renderers.
//!
//! In: two texts (either may be absent: a creation or a deletion). Out: [`Hunk`]s of
//! [`Line`]s with three lines of context, computed with the `similar` crate's Myers diff and no
//! time limit, so the same texts always give the same diff.

use similar::{Algorithm, ChangeTag, TextDiff};

/// Lines of unchanged context around each change.
pub const CONTEXT: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Context,
    Removed,
    Added,
}

impl Tag {
    pub fn prefix(self) -> char {
        match self {
            Tag::Context => ' ',
            Tag::Removed => '-',
            Tag::Added => '+',
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub tag: Tag,
    /// The line without its line break.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hunk {
    /// `@@ -12,7 +12,7 @@`, lines counted from the start of the part.
    pub header: String,
    pub lines: Vec<Line>,
}

/// The diff of two texts; a creation is one hunk of added lines, a deletion one of removed lines.
pub fn diff(before: Option<&str>, after: Option<&str>) -> Vec<Hunk> {
    let old = before.unwrap_or("");
    let new = after.unwrap_or("");
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).diff_lines(old, new);
    diff.unified_diff()
        .context_radius(CONTEXT)
        .iter_hunks()
        .map(|hunk| Hunk {
            header: hunk.header().to_string(),
            lines: hunk
                .iter_changes()
                .map(|change| Line {
                    tag: match change.tag() {
                        ChangeTag::Equal => Tag::Context,
                        ChangeTag::Delete => Tag::Removed,
                        ChangeTag::Insert => Tag::Added,
                    },
                    text: change.value().trim_end_matches(['\n', '\r']).to_string(),
                })
                .collect(),
        })
        .collect()
}

/// The diff as plain unified-diff text: hunk headers, then lines prefixed `+`, `-` or a space.
pub fn unified(hunks: &[Hunk]) -> String {
    let mut out = String::new();
    for hunk in hunks {
        out.push_str(&hunk.header);
        out.push('\n');
        for line in &hunk.lines {
            out.push(line.tag.prefix());
            out.push_str(&line.text);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_with_context() {
        let before = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let after = "a\nb\nc\nd\nE\nf\ng\nh\n";
        let hunks = diff(Some(before), Some(after));
        assert_eq!(unified(&hunks), "@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n");
        assert_eq!(hunks, diff(Some(before), Some(after)), "stable");
    }

    #[test]
    fn creations_and_deletions() {
        assert_eq!(unified(&diff(None, Some("x\ny\n"))), "@@ -0,0 +1,2 @@\n+x\n+y\n");
        assert_eq!(unified(&diff(Some("x\n"), None)), "@@ -1 +0,0 @@\n-x\n");
        assert!(diff(Some("same\n"), Some("same\n")).is_empty());
    }
}
