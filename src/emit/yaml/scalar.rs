//! How one scalar, key or comment is spelled in the YAML genops writes.
//!
//! In: a string, a number or a comment's text. Out: its YAML text, which every reader (PyYAML
//! for LiteLLM, Go's yaml for Prometheus and promtool, saphyr for genops itself) reads back as
//! the same value. Strings are always double-quoted JSON-style strings, so `no`, `1.0` or `~`
//! from a spec stay strings; keys are plain only when they are simple identifiers that no
//! reader takes for a boolean or null; numbers never have an exponent.

use std::fmt::Write;

/// A number in plain decimal (never an exponent, which PyYAML would read as a string), rounded
/// to 12 significant digits so that `0.0025 / 1000` reads `0.0000025`.
pub fn number(value: f64) -> String {
    if !value.is_finite() || value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let digits = 11 - magnitude;
    let rounded = if (0..=22).contains(&digits) {
        let scale = 10f64.powi(digits);
        (value * scale).round() / scale
    } else if (-22..0).contains(&digits) {
        let scale = 10f64.powi(-digits);
        (value / scale).round() * scale
    } else {
        value
    };
    format!("{rounded}")
}

/// A string as a YAML double-quoted scalar with JSON escapes.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(&mut out, s);
    out
}

/// [`quote`], appended to `out`. Everything YAML would fold, refuse (PyYAML rejects
/// non-printable characters anywhere in the stream) or read as a line break is escaped.
pub fn quote_into(out: &mut String, s: &str) {
    out.push('"');
    // Most strings need no escape: copy them whole. (A fold without an early exit, which the
    // compiler turns into a few wide comparisons per 32 bytes.)
    let plain = !s.bytes().fold(false, |bad, b| bad | (b < 0x20) | (b == b'"') | (b == b'\\') | (b >= 0x7f));
    if plain {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) || is_unsafe_printable(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Characters outside the C0 and C1 controls that a YAML reader refuses (U+FFFE, U+FFFF) or
/// reads as a line break or byte order mark (PyYAML, after YAML 1.1: U+2028, U+2029, U+FEFF).
fn is_unsafe_printable(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// A mapping key: plain when it is a simple identifier that no YAML reader takes for a
/// boolean or null, else quoted.
pub fn key(k: &str) -> String {
    let mut out = String::with_capacity(k.len() + 2);
    key_into(&mut out, k);
    out
}

/// [`key`], appended to `out`.
pub fn key_into(out: &mut String, k: &str) {
    let plain = k.bytes().next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"].iter().any(|w| k.eq_ignore_ascii_case(w));
    if plain { out.push_str(k) } else { quote_into(out, k) }
}

/// One line of a comment's text, appended to `out`: a comment cannot escape anything, so
/// what a reader would refuse or take for a line break becomes a space.
pub fn comment_line_into(out: &mut String, line: &str) {
    out.extend(line.chars().map(|c| if c.is_control() || is_unsafe_printable(c) { ' ' } else { c }));
}

/// Writes an integer.
pub fn int_into(out: &mut String, i: i64) {
    let _ = write!(out, "{i}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_never_use_exponents_nor_float_noise() {
        assert_eq!(number(0.0025 / 1000.0), "0.0000025");
        assert_eq!(number(0.00015 / 1000.0), "0.00000015");
        assert_eq!(number(5.5), "5.5");
        assert_eq!(number(21600.000000000004), "21600");
        assert_eq!(number(14.4 * 0.001), "0.0144");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::NAN), "0");
        assert_eq!(number(95.0), "95");
    }

    #[test]
    fn quoting_escapes_exactly_what_yaml_needs() {
        assert_eq!(quote("plain text: {x}"), "\"plain text: {x}\"");
        assert_eq!(quote("no"), "\"no\"");
        assert_eq!(
            quote("a\"b\\c\nd\te\u{7f}\u{85}f\u{2028}é\u{fffe}"),
            "\"a\\\"b\\\\c\\nd\\te\\u007f\\u0085f\\u2028é\\ufffe\""
        );
    }

    #[test]
    fn keys_are_plain_only_when_no_reader_can_mistake_them() {
        assert_eq!(key("model_list"), "model_list");
        assert_eq!(key("yes"), "\"yes\"");
        assert_eq!(key("No"), "\"No\"");
        assert_eq!(key("y"), "\"y\"");
        assert_eq!(key("chat--primary"), "\"chat--primary\"");
        assert_eq!(key("1a"), "\"1a\"");
        assert_eq!(key(""), "\"\"");
    }

    #[test]
    fn comment_lines_lose_what_a_comment_cannot_hold() {
        let mut out = String::new();
        comment_line_into(&mut out, "a\tb\rc\u{85}d\u{2028}e\u{feff}f é");
        assert_eq!(out, "a b c d e f é");
    }
}
