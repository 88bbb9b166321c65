//! A small YAML writer for generated configuration.
//!
//! In: a `serde_json::Value` (keys in insertion order). Out: block-style YAML where every
//! string is a double-quoted JSON string — valid YAML whatever it holds, and never re-read as a
//! boolean, a number or null (`"no"`, `"1.0"`, `"~"` stay strings) — and keys are plain only
//! when they are simple identifiers. Comments can precede the document.

use serde_json::Value;

/// A mapping of these entries in this order, the values moved in (`json!` copies every value
/// it is given, nested documents whole).
pub fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The document, with `# ` comment lines first.
pub fn document(comments: &[&str], value: &Value) -> String {
    let mut out = String::new();
    for comment in comments {
        for line in comment.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    write_value(&mut out, value, 0, true);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Writes `value` if it is written on one line (a scalar, an empty list or map); `false` when
/// it is a nested list or map.
fn write_scalar(out: &mut String, value: &Value) -> bool {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => {
                use std::fmt::Write;
                let _ = write!(out, "{i}");
            }
            None => out.push_str(&number(n.as_f64().unwrap_or(0.0))),
        },
        Value::String(s) => quote_into(out, s),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Object(o) if o.is_empty() => out.push_str("{}"),
        _ => return false,
    }
    true
}

fn is_scalar(value: &Value) -> bool {
    match value {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => true,
    }
}

/// A number in plain decimal (never an exponent, which PyYAML would read as a string), rounded
/// to 12 significant digits so that `0.0025 / 1000` reads `0.0000025`.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return "0".into();
    }
    if value == 0.0 {
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

/// A string as a YAML double-quoted scalar with JSON escapes. Everything YAML would fold,
/// refuse (PyYAML rejects non-printable characters anywhere in the stream) or read as a line
/// break is escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(&mut out, s);
    out
}

/// [`quote`], appended to `out`.
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
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}') =>
            {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
        && !(k.len() <= 5
            && matches!(
                k.to_ascii_lowercase().as_str(),
                "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
            ));
    if plain { out.push_str(k) } else { quote_into(out, k) }
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

/// Writes `value` at `indent`; `fresh` says the cursor is at the start of a line.
fn write_value(out: &mut String, value: &Value, indent: usize, fresh: bool) {
    if is_scalar(value) {
        if fresh {
            pad(out, indent);
        }
        write_scalar(out, value);
        out.push('\n');
        return;
    }
    match value {
        Value::Object(map) => {
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 || fresh {
                    pad(out, indent);
                }
                key_into(out, k);
                out.push(':');
                if is_scalar(v) {
                    out.push(' ');
                    write_scalar(out, v);
                    out.push('\n');
                } else {
                    out.push('\n');
                    write_value(out, v, indent + 1, true);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                pad(out, indent);
                out.push_str("- ");
                if is_scalar(item) {
                    write_scalar(out, item);
                    out.push('\n');
                } else {
                    write_value(out, item, indent + 1, false);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_stay_strings_and_nesting_is_block_style() {
        let v = json!({"a": "no", "b": [{"x": 1, "y": "1.0"}, "z"], "c": {}, "odd key": true});
        assert_eq!(
            document(&["generated"], &v),
            "# generated\na: \"no\"\nb:\n  - x: 1\n    \"y\": \"1.0\"\n  - \"z\"\nc: {}\n\"odd key\": true\n"
        );
    }

    #[test]
    fn quoting_escapes_exactly_what_yaml_needs() {
        assert_eq!(quote("plain text: {x}"), "\"plain text: {x}\"");
        assert_eq!(quote("a\"b\\c\nd\te\u{7f}f\u{2028}é"), "\"a\\\"b\\\\c\\nd\\te\\u007ff\\u2028é\"");
        assert_eq!(key("yes"), "\"yes\"");
        assert_eq!(key("model_list"), "model_list");
        assert_eq!(key("genops-route"), "\"genops-route\"");
    }

    #[test]
    fn output_reads_back_as_the_same_value() {
        let v = json!({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "x > 1\nand y", "labels": {"severity": "page"}}]}]});
        let text = document(&[], &v);
        let mut sources = crate::source::SourceMap::new();
        let id = sources.add("t.yaml", text);
        let mut diags = crate::diag::Diagnostics::new();
        let node =
            crate::yaml::load(sources.get(id), id, crate::yaml::Limits::for_len(1000), &mut diags).expect("valid YAML");
        assert_eq!(node.to_json(), v);
    }
}
