//! Text from a spec made safe to print where a person reads it: a terminal, a CI log, a pull
//! request.
//!
//! In: any text. Out: the same text with every control character (C0 but tab and line feed,
//! DEL, C1) and every bidirectional formatting character written as a visible escape,
//! `\u{1b}`. Printed raw, `ESC [ 1 A` moves the cursor up and erases the line above, and
//! U+202E reverses the text after it, so a value could hide a change from a reviewer. Every
//! human-facing output (diagnostics, the text and Markdown plans) goes through
//! [`escape_controls`]; machine formats (JSON, YAML, HCL) have escapes of their own.

use std::borrow::Cow;

/// Whether `c` changes how a terminal or a bidi-aware viewer shows the text around it.
pub fn is_unsafe_char(c: char) -> bool {
    match c {
        '\t' | '\n' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Arabic letter mark, left-to-right and right-to-left marks, embeddings, overrides
        // and isolates.
        '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// `text` with each unsafe character written as `\u{…}` (lowercase hex); borrowed when there
/// is none.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_characters_are_shown_as_escapes() {
        assert!(matches!(escape_controls("plain é\ttext\n"), Cow::Borrowed(_)));
        assert_eq!(escape_controls("a\x1b[1A\x1b[2Kb"), "a\\u{1b}[1A\\u{1b}[2Kb");
        assert_eq!(escape_controls("\x1b]8;;http://x\x07link"), "\\u{1b}]8;;http://x\\u{7}link");
        assert_eq!(escape_controls("\u{9b}31m \u{85} \r \u{7f}"), "\\u{9b}31m \\u{85} \\u{d} \\u{7f}");
        assert_eq!(escape_controls("abc\u{202e}fed\u{2066}x\u{2069}"), "abc\\u{202e}fed\\u{2066}x\\u{2069}");
        assert_eq!(escape_controls("\u{200f}\u{61c}"), "\\u{200f}\\u{61c}");
    }
}
