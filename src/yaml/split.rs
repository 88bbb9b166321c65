//! Where a large spec can be cut into pieces that load on their own, in parallel.
//!
//! In: a spec's text and how many runs to cut it into. Out: [`Run`]s, each one or two
//! [`Piece`]s: byte ranges that start at a line and are YAML documents by themselves. A cut
//! falls before a top-level key (`slos:`) or before an entry of a top-level mapping (`  route-7:`,
//! never its first), so a piece is either whole top-level entries or the later entries of one
//! section ([`Piece::nested`]). [`super::load`] loads the pieces on several threads and joins
//! their trees; any piece that does not load cleanly, or a join that finds a key twice, sends
//! the whole file back to the sequential loader, so diagnostics are always the sequential ones.
//!
//! A cut only falls before a line that begins a key at the indentation of its mapping: there,
//! no plain or block scalar can continue, and a flow collection or quoted scalar cut in two
//! leaves the first piece unterminated (an error, so the file is loaded whole). Files with
//! directives, several documents or merge keys (`<<`) are not cut.

/// Files shorter than this load on one thread: a piece costs a parser and a join.
pub const MIN_LEN: usize = 256 * 1024;

/// A part of the text that is a YAML document by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Byte range in the text, starting at a line.
    pub start: usize,
    pub end: usize,
    /// Lines before `start`.
    pub line: usize,
    /// Later entries of the top-level mapping that the piece before opened.
    pub nested: bool,
    /// The indentation of the key that follows the piece in the file, if one does: the piece
    /// is loaded with [`NEXT`] at that indentation after it, so that whatever ends the piece (a
    /// block scalar, an empty value) ends as it does before that key in the file.
    pub next: Option<usize>,
}

/// The key a piece is loaded with in place of the key that follows it in the file.
pub const NEXT: &str = "genops-piece-next";

/// The key a piece of later entries of a section is loaded under, in place of the section's.
pub const SECTION: &str = "genops-piece-section";

/// The pieces one thread loads, in order.
pub type Run = Vec<Piece>;

/// A line that begins `key:` at its indentation.
struct KeyLine {
    /// The key has no value on its line: a block collection follows.
    block: bool,
}

/// `line` (without its line break) as `key:` at exactly `indent` spaces, if it is one. Keys are
/// plain words (`route-7`, `data_classes`), enough for every spec genops writes or reads.
fn key_line(line: &str, indent: usize) -> Option<KeyLine> {
    let bytes = line.as_bytes();
    if bytes.len() <= indent || bytes[..indent].iter().any(|&b| b != b' ') {
        return None;
    }
    let rest = &bytes[indent..];
    if !(rest[0].is_ascii_alphanumeric() || rest[0] == b'_') {
        return None;
    }
    let key_len = rest.iter().take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')).count();
    let after = &rest[key_len..];
    if after.first() != Some(&b':') {
        return None;
    }
    let value = &after[1..];
    if !(value.is_empty() || value[0] == b' ' || value == b"\r") {
        return None;
    }
    let value = std::str::from_utf8(value).unwrap_or("").trim();
    Some(KeyLine { block: value.is_empty() || value.starts_with('#') })
}

/// Leading spaces of a line, or `None` for a line with a tab in its indentation.
fn indentation(line: &str) -> Option<usize> {
    let spaces = line.bytes().take_while(|&b| b == b' ').count();
    (line.as_bytes().get(spaces) != Some(&b'\t')).then_some(spaces)
}

/// Blank, or only a comment.
fn is_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// A place to cut: the byte offset of a line, its line number, which section it is in (the
/// index of its top-level key) and its indentation: 0 for a top-level key, more for an entry of
/// the section.
#[derive(Clone, Copy, Debug)]
struct Cut {
    at: usize,
    line: usize,
    section: usize,
    indent: usize,
}

impl Cut {
    fn nested(&self) -> bool {
        self.indent > 0
    }
}

/// The text cut into `runs` runs of about equal size, or `None` when it should load whole:
/// shorter than `min_len`, one run, or a shape the cuts are not sure of.
pub fn runs(text: &str, runs: usize, min_len: usize) -> Option<Vec<Run>> {
    if runs < 2 || text.len() < min_len || text.contains("<<") {
        return None;
    }
    // Every top-level key, and every later entry of a top-level block mapping.
    let mut cuts: Vec<Cut> = Vec::new();
    // Section ends, by section index: where the next top-level key starts.
    let mut section_ends: Vec<usize> = Vec::new();
    // The indentation of the current section's entries, once known; `None` before it is
    // known, `Some(None)` when the section is not a block mapping cut at its entries.
    let mut child: Option<Option<usize>> = None;
    // Where the current section's entries start in `cuts`.
    let mut section_cuts = 0;
    let mut in_section = false;
    let mut offset = 0;
    for (number, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let at = offset;
        offset += raw.len();
        if is_blank(line) {
            continue;
        }
        let indent = indentation(line)?;
        if indent == 0 {
            if line.starts_with("---") || line.starts_with("...") || line.starts_with('%') {
                return None;
            }
            let key = key_line(line, 0)?;
            if in_section {
                section_ends.push(at);
            }
            cuts.push(Cut { at, line: number, section: section_ends.len(), indent: 0 });
            section_cuts = cuts.len();
            in_section = true;
            child = if key.block { None } else { Some(None) };
            continue;
        }
        if !in_section {
            return None;
        }
        match child {
            None => {
                // The section's first entry sets the indentation of the others; it is no cut.
                child = Some(key_line(line, indent).map(|_| indent));
            }
            Some(Some(entries)) if indent == entries && key_line(line, indent).is_some() => {
                cuts.push(Cut { at, line: number, section: section_ends.len(), indent });
            }
            Some(Some(entries)) if indent < entries => {
                // Less indented than the section's entries yet not a top-level key: not a
                // shape to cut in; entries already listed for it are dropped.
                cuts.truncate(section_cuts);
                child = Some(None);
            }
            _ => {}
        }
    }
    section_ends.push(text.len());
    // One cut at or after each share of the text; the first top-level key is the start.
    let mut chosen: Vec<Cut> = Vec::new();
    for share in 1..runs {
        let target = text.len() * share / runs;
        if let Some(cut) = cuts.iter().find(|c| c.at >= target && c.at > chosen.last().map_or(0, |c| c.at)) {
            chosen.push(*cut);
        }
    }
    chosen.retain(|c| c.at > cuts.first().map_or(0, |c| c.at));
    if chosen.is_empty() {
        return None;
    }
    let mut out: Vec<Run> = Vec::new();
    let mut start = Cut { at: 0, line: 0, section: 0, indent: 0 };
    for end in chosen.into_iter().map(Some).chain([None]) {
        let stop = end.map_or(text.len(), |c| c.at);
        let next = end.map(|c| c.indent);
        let mut run = Vec::new();
        if start.nested() && section_ends[start.section] < stop {
            // The later entries of a section, then whatever follows it up to the next cut.
            let section_end = section_ends[start.section];
            run.push(Piece { start: start.at, end: section_end, line: start.line, nested: true, next: Some(0) });
            let line = start.line + text[start.at..section_end].matches('\n').count();
            run.push(Piece { start: section_end, end: stop, line, nested: false, next });
        } else {
            run.push(Piece { start: start.at, end: stop, line: start.line, nested: start.nested(), next });
        }
        out.push(run);
        if let Some(cut) = end {
            start = cut;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(routes: usize) -> String {
        let mut text = String::from("version: genops/v1\n# a comment\nsystem: { name: s, owner: o }\nroutes:\n");
        for i in 0..routes {
            text.push_str(&format!("  route-{i}:\n    path: /r/{i}\n    description: |\n      text\n\n"));
        }
        text.push_str("slos:\n  a: { route: route-0 }\n");
        text
    }

    fn pieces(text: &str, runs: usize) -> Vec<Piece> {
        super::runs(text, runs, MIN_LEN).expect("cut").into_iter().flatten().collect()
    }

    #[test]
    fn pieces_cover_the_text_in_order_and_start_at_keys() {
        let text = spec(5000);
        for n in 2..6 {
            let pieces = pieces(&text, n);
            assert_eq!(pieces[0].start, 0);
            assert_eq!(pieces.last().map(|p| p.end), Some(text.len()));
            for pair in pieces.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
            }
            for p in &pieces {
                assert_eq!(p.line, text[..p.start].matches('\n').count(), "{p:?}");
                if p.start > 0 {
                    let line = text[p.start..].lines().next().unwrap_or("");
                    let indent = if p.nested { 2 } else { 0 };
                    assert!(key_line(line, indent).is_some(), "{p:?} starts at {line:?}");
                }
            }
        }
    }

    #[test]
    fn a_section_is_never_cut_before_its_first_entry() {
        let text = spec(5000);
        for p in pieces(&text, 5) {
            assert!(!text[p.start..].starts_with("  route-0:"), "{p:?}");
        }
    }

    #[test]
    fn shapes_that_are_not_cut() {
        let text = spec(5000);
        assert!(runs(&text, 1, MIN_LEN).is_none());
        assert!(runs("a: 1\n", 2, MIN_LEN).is_none(), "short");
        for bad in ["---\n", "%YAML 1.2\n", "- item\n", "  base: &b { x: 1 }\nuse: { <<: *b }\n", "key:\tx\n\tbad: 1\n"]
        {
            let text = format!("{bad}{text}");
            assert!(runs(&text, 2, MIN_LEN).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_section_with_a_line_less_indented_than_its_entries_is_not_cut_inside() {
        let mut text = spec(5000);
        let at = text.find("  route-2500:").expect("an entry");
        text.insert_str(at, " odd: 1\n");
        let start = text.find("routes:").expect("routes");
        let end = text.find("slos:").expect("slos");
        for p in pieces(&text, 4) {
            assert!(p.start <= start || p.start >= end, "{p:?} cuts inside routes");
        }
    }

    #[test]
    fn key_lines() {
        assert!(key_line("routes:", 0).is_some_and(|k| k.block));
        assert!(key_line("routes:  # the routes\r", 0).is_some_and(|k| k.block));
        assert!(key_line("system: { name: s }", 0).is_some_and(|k| !k.block));
        assert!(key_line("  route-7:", 2).is_some());
        assert!(key_line("  route-7:", 0).is_none());
        assert!(key_line("   route-7:", 2).is_none());
        assert!(key_line("key:value", 0).is_none());
        assert!(key_line("- key: value", 0).is_none());
        assert!(key_line("\"key\": value", 0).is_none());
    }
}
