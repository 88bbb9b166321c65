//! A small YAML writer for generated configuration.
//!
//! In: a `serde_json::Value` (keys in insertion order). Out: block-style YAML where every
//! string is a double-quoted JSON string — valid YAML whatever it holds, and never re-read as a
//! boolean, a number or null (`"no"`, `"1.0"`, `"~"` stay strings) — and keys are plain only
//! when they are simple identifiers. Comments can precede the document.

use serde_json::Value;

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

fn scalar(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()),
        Value::Array(a) if a.is_empty() => "[]".to_string(),
        Value::Object(o) if o.is_empty() => "{}".to_string(),
        _ => return None,
    })
}

fn key(k: &str) -> String {
    let plain = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain { k.to_string() } else { serde_json::to_string(k).unwrap_or_default() }
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

/// Writes `value` at `indent`; `fresh` says the cursor is at the start of a line.
fn write_value(out: &mut String, value: &Value, indent: usize, fresh: bool) {
    if let Some(s) = scalar(value) {
        if fresh {
            pad(out, indent);
        }
        out.push_str(&s);
        out.push('\n');
        return;
    }
    match value {
        Value::Object(map) => {
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 || fresh {
                    pad(out, indent);
                }
                out.push_str(&key(k));
                out.push(':');
                match scalar(v) {
                    Some(s) => {
                        out.push(' ');
                        out.push_str(&s);
                        out.push('\n');
                    }
                    None => {
                        out.push('\n');
                        write_value(out, v, indent + 1, true);
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                pad(out, indent);
                out.push_str("- ");
                match scalar(item) {
                    Some(s) => {
                        out.push_str(&s);
                        out.push('\n');
                    }
                    None => write_value(out, item, indent + 1, false),
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
