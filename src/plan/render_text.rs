//! The plan as text for a terminal or a CI log.
//!
//! In: a [`Plan`]. Out: the semantic changes first, then files a build would refuse to touch,
//! then each changed file with its addresses and line diffs (three lines of context; a created
//! or destroyed address shows all its lines), and one closing line: "Plan: N to add, N to
//! change, N to destroy." or "No changes.". Colour (green `+`, yellow `~`, red `-`) only when
//! the caller says so: the CLI asks for it when stdout is a terminal and `NO_COLOR` is unset.
//! Everything from the spec or the files (messages, names, diff lines) is escaped
//! ([`escape_controls`]): a control sequence in a value must not redraw the plan around it.

use super::diff::{self, Tag};
use super::{Action, Plan, SemanticKind};
use crate::diag::escape_controls;

#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    pub color: bool,
}

struct Paint {
    color: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }
    fn action(&self, action: Action, text: &str) -> String {
        self.wrap(
            match action {
                Action::Create => "32",
                Action::Update => "33",
                Action::Delete => "31",
            },
            text,
        )
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
}

pub fn render(plan: &Plan, options: TextOptions) -> String {
    let paint = Paint { color: options.color };
    let mut out = String::new();

    if !plan.semantic.is_empty() {
        let heading = match &plan.previous {
            None => "Spec (no earlier build in the output directory: everything is new):".to_string(),
            Some(_) => "Spec changes since the last build:".to_string(),
        };
        out.push_str(&paint.bold(&heading));
        out.push('\n');
        for change in &plan.semantic {
            let (symbol, action) = match change.change {
                SemanticKind::Added => ('+', Action::Create),
                SemanticKind::Removed => ('-', Action::Delete),
                SemanticKind::Changed => ('~', Action::Update),
            };
            let symbol =
                if change.warning { paint.wrap("1;33", "!") } else { paint.action(action, &symbol.to_string()) };
            out.push_str(&format!("  {symbol} {}\n", escape_controls(&change.message())));
        }
        out.push('\n');
    }

    if plan.previous.as_ref().is_some_and(|p| p.interrupted) {
        out.push_str("Note: the last build was interrupted while moving files into place; a build completes it.\n\n");
    }

    if !plan.conflicts.is_empty() {
        out.push_str(&paint.wrap("1;33", "Warning: `genops build` will refuse to touch these files without --force:"));
        out.push('\n');
        for conflict in &plan.conflicts {
            let line = format!("{}: {}", conflict.file, conflict.reason.describe());
            out.push_str(&format!("  ! {}\n", escape_controls(&line)));
        }
        out.push('\n');
    }

    let mut file: Option<&str> = None;
    for change in &plan.changes {
        if file != Some(change.file.as_str()) {
            if file.is_some() {
                out.push('\n');
            }
            out.push_str(&paint.bold(&escape_controls(&change.file)));
            out.push('\n');
            file = Some(&change.file);
        }
        let symbol = change.action.symbol().to_string();
        let name = if change.address == change.file { "(file)" } else { change.address.as_str() };
        out.push_str(&format!("  {} {}\n", paint.action(change.action, &symbol), paint.bold(&escape_controls(name))));
        for hunk in diff::diff(change.before.as_deref(), change.after.as_deref()) {
            if change.action == Action::Update {
                out.push_str(&format!("      {}\n", paint.wrap("36", &escape_controls(&hunk.header))));
            }
            for line in &hunk.lines {
                let text = if line.text.is_empty() {
                    line.tag.prefix().to_string()
                } else {
                    format!("{} {}", line.tag.prefix(), escape_controls(&line.text))
                };
                let text = match line.tag {
                    Tag::Context => text,
                    Tag::Added => paint.action(Action::Create, &text),
                    Tag::Removed => paint.action(Action::Delete, &text),
                };
                out.push_str(&format!("      {text}\n"));
            }
        }
    }
    if file.is_some() {
        out.push('\n');
    }
    out.push_str(&paint.bold(&plan.summary_line()));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Change, Plan};
    use super::*;

    #[test]
    fn diffs_and_the_summary_line() {
        let plan = Plan {
            changes: vec![Change {
                target: "terraform",
                file: "terraform/x.tf".into(),
                address: "oci_x.a".into(),
                action: Action::Update,
                before: Some("a {\n  n = 1\n}\n".into()),
                after: Some("a {\n  n = 2\n}\n".into()),
            }],
            ..Plan::default()
        };
        let text = render(&plan, TextOptions::default());
        assert_eq!(
            text,
            "terraform/x.tf\n  ~ oci_x.a\n      @@ -1,3 +1,3 @@\n        a {\n      -   n = 1\n      +   n = 2\n        }\n\nPlan: 0 to add, 1 to change, 0 to destroy.\n"
        );
        assert!(!text.contains('\x1b'));
        assert!(render(&plan, TextOptions { color: true }).contains("\x1b[33m~\x1b[0m"));
        assert_eq!(render(&Plan::default(), TextOptions::default()), "No changes.\n");
    }

    /// Finding 7 of #25: `ESC [1A ESC [2K` in a value erased the plan line above it.
    #[test]
    fn control_and_bidi_characters_are_escaped() {
        let plan = Plan {
            changes: vec![Change {
                target: "terraform",
                file: "terraform/\u{1b}[2Kx.tf".into(),
                address: "oci_x.\u{202e}a".into(),
                action: Action::Update,
                before: Some("a = \"old\"\n".into()),
                after: Some("a = \"new\u{1b}[1A\u{1b}[2K\u{9b}\u{2066}\"\n".into()),
            }],
            ..Plan::default()
        };
        for color in [false, true] {
            let text = render(&plan, TextOptions { color });
            // Only the plan's own colours are escape sequences.
            let ours = ["0", "1", "31", "32", "33", "36", "1;33"]
                .iter()
                .fold(text.clone(), |t, code| t.replace(&format!("\x1b[{code}m"), ""));
            assert!(!ours.chars().any(crate::diag::is_unsafe_char), "{text:?}");
            assert!(text.contains("new\\u{1b}[1A\\u{1b}[2K\\u{9b}\\u{2066}"), "{text}");
        }
    }
}
