//! The plan as Markdown, for a pull-request comment.
//!
//! In: a [`Plan`]. Out: a comment that starts with a hidden marker (`<!-- genops plan -->`, so a
//! bot can find and update its own comment), then the summary line, the semantic changes, the
//! files a build would refuse to touch, a table of every changed address, and the line diffs,
//! each in its own `<details>`. GitHub refuses comments over 65,535 characters: every section
//! has a share of that budget, what does not fit is cut, and a closing note says what was cut
//! and how to see the whole plan. Values and addresses are code spans (or escaped HTML inside
//! `<summary>`), and each diff's fence is longer than any run of backticks in it, so nothing
//! from a spec can break the comment's markup; control and bidi characters are escaped
//! ([`escape_controls`]), so nothing can disguise a change to its reader either.

use super::diff;
use super::{Plan, SemanticKind};
use crate::diag::escape_controls;

/// GitHub's limit on the body of an issue or pull-request comment, in characters.
pub const GITHUB_LIMIT: usize = 65_535;

/// The first line of every Markdown plan.
pub const MARKER: &str = "<!-- genops plan -->";

/// Renders within GitHub's limit.
pub fn render(plan: &Plan) -> String {
    render_within(plan, GITHUB_LIMIT)
}

/// Renders in at most `limit` bytes (so at most `limit` characters).
pub fn render_within(plan: &Plan, limit: usize) -> String {
    // Room kept for the closing note, whatever else is cut.
    let reserve = 700;
    let budget = limit.saturating_sub(reserve);
    let mut out = String::new();
    let mut cut = Cut::default();

    out.push_str(MARKER);
    out.push_str("\n### genops plan\n\n");
    if !plan.has_changes() {
        out.push_str("**No changes.** The output directory matches the spec.\n");
        if !plan.conflicts.is_empty() {
            conflicts(plan, &mut out, budget, &mut cut);
        }
        return out;
    }
    out.push_str(&format!("**{}**\n\n", plan.summary_line()));

    if !plan.semantic.is_empty() {
        out.push_str(match plan.previous {
            None => "#### Spec\n\nNo earlier build in the output directory: everything is new.\n\n",
            Some(_) => "#### Spec changes since the last build\n\n",
        });
        let cap = budget * 3 / 10;
        for (i, change) in plan.semantic.iter().enumerate() {
            let symbol = if change.warning {
                "⚠️".to_string()
            } else {
                match change.change {
                    SemanticKind::Added => "➕",
                    SemanticKind::Removed => "➖",
                    SemanticKind::Changed => "✏️",
                }
                .to_string()
            };
            let line = format!("- {symbol} {}\n", escape_controls(&change.message_with(&|v| code(v))));
            if out.len() + line.len() > cap {
                cut.semantic = plan.semantic.len() - i;
                out.push_str(&format!("- … and {} more\n", cut.semantic));
                break;
            }
            out.push_str(&line);
        }
        out.push('\n');
    }

    if !plan.conflicts.is_empty() {
        conflicts(plan, &mut out, budget, &mut cut);
    }

    if !plan.changes.is_empty() {
        out.push_str("#### Changes\n\n| | address | file |\n|:-:|---|---|\n");
        let cap = budget * 6 / 10;
        for (i, change) in plan.changes.iter().enumerate() {
            let address =
                if change.address == change.file { "(whole file)".to_string() } else { code(&change.address) };
            let row = format!(
                "| {} | {} | {} |\n",
                change.action.symbol(),
                address.replace('|', "\\|"),
                code(&change.file).replace('|', "\\|")
            );
            if out.len() + row.len() > cap {
                cut.rows = plan.changes.len() - i;
                out.push_str(&format!("| | … and {} more | |\n", cut.rows));
                break;
            }
            out.push_str(&row);
        }
        out.push('\n');

        for (i, change) in plan.changes.iter().enumerate() {
            let hunks = diff::diff(change.before.as_deref(), change.after.as_deref());
            let body = escape_controls(&diff::unified(&hunks)).into_owned();
            let summary = if change.address == change.file {
                format!("{} <code>{}</code>", change.action.symbol(), html(&change.file))
            } else {
                format!("{} <code>{}</code> — {}", change.action.symbol(), html(&change.address), html(&change.file))
            };
            let section = details(&summary, &body);
            if out.len() + section.len() <= budget {
                out.push_str(&section);
                continue;
            }
            // Too long: show the start of the diff if there is room for a useful part.
            let room = budget.saturating_sub(out.len() + summary.len() + 200);
            if room >= 2000 {
                let shown = truncate_lines(&body, room);
                let hidden = body[shown.len()..].lines().count();
                let section = details(&summary, &format!("{shown}… {hidden} more lines\n"));
                out.push_str(&section);
                cut.partial += 1;
                continue;
            }
            cut.diffs = plan.changes.len() - i;
            break;
        }
    }

    if cut.any() {
        out.push_str(&cut.note(plan));
    }
    out
}

fn conflicts(plan: &Plan, out: &mut String, budget: usize, cut: &mut Cut) {
    out.push_str("> [!WARNING]\n> `genops build` will refuse to touch these files without `--force`:\n");
    let cap = out.len() + budget / 10;
    for (i, conflict) in plan.conflicts.iter().enumerate() {
        let line = format!("> - {}: {}\n", code(&conflict.file), escape_controls(conflict.reason.describe()));
        if out.len() + line.len() > cap {
            cut.conflicts = plan.conflicts.len() - i;
            out.push_str(&format!("> - … and {} more\n", cut.conflicts));
            break;
        }
        out.push_str(&line);
    }
    out.push('\n');
}

/// What was left out, for the closing note.
#[derive(Default)]
struct Cut {
    semantic: usize,
    conflicts: usize,
    rows: usize,
    diffs: usize,
    partial: usize,
}

impl Cut {
    fn any(&self) -> bool {
        self.semantic + self.conflicts + self.rows + self.diffs + self.partial > 0
    }

    fn note(&self, plan: &Plan) -> String {
        let mut parts = Vec::new();
        if self.semantic > 0 {
            parts.push(format!("{} of {} spec changes", self.semantic, plan.semantic.len()));
        }
        if self.conflicts > 0 {
            parts.push(format!("{} of {} refused files", self.conflicts, plan.conflicts.len()));
        }
        if self.rows > 0 {
            parts.push(format!("{} of {} table rows", self.rows, plan.changes.len()));
        }
        if self.diffs > 0 {
            parts.push(format!("{} of {} diffs", self.diffs, plan.changes.len()));
        }
        let mut note = format!(
            "> [!NOTE]\n> This plan was cut to stay under GitHub's limit of 65,535 characters per comment: {} not shown",
            parts.join(", ")
        );
        if self.partial > 0 {
            note.push_str(&format!("; {} diff(s) shown in part", self.partial));
        }
        note.push_str(".\n> Run `genops plan SPEC -o OUT` (or `--format json`) to see the whole plan.\n");
        note
    }
}

fn details(summary: &str, body: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
    format!("<details><summary>{summary}</summary>\n\n{fence}diff\n{body}{fence}\n\n</details>\n\n")
}

/// The longest prefix of whole lines within `max` bytes.
fn truncate_lines(text: &str, max: usize) -> &str {
    let mut end = 0;
    for (i, _) in text.match_indices('\n') {
        if i + 1 > max {
            break;
        }
        end = i + 1;
    }
    &text[..end]
}

fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A Markdown code span that shows `text` exactly, whatever backticks it holds.
pub fn code(text: &str) -> String {
    let text = escape_controls(&text.replace(['\n', '\r'], " ")).into_owned();
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn html(text: &str) -> String {
    escape_controls(text).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::super::{Action, Change, Plan};
    use super::*;

    fn create(i: usize) -> Change {
        Change {
            target: "terraform",
            file: "terraform/gateway.tf".into(),
            address: format!("oci_apigateway_deployment.r{i}"),
            action: Action::Create,
            before: None,
            after: Some(format!("resource \"oci_apigateway_deployment\" \"r{i}\" {{\n{}}}\n", "  x = 1\n".repeat(40))),
        }
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
    }

    #[test]
    fn a_large_plan_stays_under_the_limit_and_says_what_was_cut() {
        let plan = Plan { changes: (0..3000).map(create).collect(), ..Plan::default() };
        let text = render(&plan);
        assert!(text.len() < GITHUB_LIMIT, "{} bytes", text.len());
        assert!(text.starts_with(MARKER));
        assert!(text.contains("**Plan: 3000 to add, 0 to change, 0 to destroy.**"));
        assert!(text.contains("This plan was cut"), "{}", &text[text.len() - 500..]);
        assert!(text.contains("diffs not shown") || text.contains("of 3000 diffs"));
        // Every <details> that was opened is closed.
        assert_eq!(text.matches("<details>").count(), text.matches("</details>").count());
    }

    /// Finding 7 of #25: nothing from a spec reaches the comment as a control or bidi character.
    #[test]
    fn control_and_bidi_characters_are_escaped() {
        let mut change = create(1);
        change.file = "terraform/\u{1b}[2K\u{202e}x.tf".into();
        change.after = Some("a = \"new\u{1b}[1A\u{1b}[2K\u{9b}\u{2066}\"\n".into());
        let text = render(&Plan { changes: vec![change], ..Plan::default() });
        assert!(!text.chars().any(crate::diag::is_unsafe_char), "{text:?}");
        assert!(text.contains("new\\u{1b}[1A\\u{1b}[2K\\u{9b}\\u{2066}"), "{text}");
    }

    #[test]
    fn a_small_plan_is_whole() {
        let plan = Plan { changes: vec![create(1)], ..Plan::default() };
        let text = render(&plan);
        assert!(!text.contains("This plan was cut"));
        assert!(text.contains("```diff\n@@ -0,0 +1,42 @@\n+resource"));
        assert_eq!(
            render(&Plan::default()),
            format!("{MARKER}\n### genops plan\n\n**No changes.** The output directory matches the spec.\n")
        );
    }
}
