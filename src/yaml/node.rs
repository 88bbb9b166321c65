//! The YAML node tree: scalars, sequences and mappings, each with its span.

use compact_str::CompactString;

use crate::source::{Span, Spanned};

#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Spanned<CompactString>,
    pub value: Node,
}

/// A scalar's text and whether it was written plain (unquoted, not a block scalar):
/// only plain scalars can be numbers, booleans or null. The text is kept inline up to 24
/// bytes (most keys, names and values of a spec), so that a large spec's tree is not a heap
/// allocation per scalar.
#[derive(Clone, Debug)]
pub struct Scalar {
    pub text: CompactString,
    pub plain: bool,
}

/// What a scalar means under the YAML 1.2 core schema.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScalarValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

impl Scalar {
    pub fn value(&self) -> ScalarValue {
        if !self.plain {
            return ScalarValue::Str;
        }
        let t = self.text.as_str();
        // Most scalars are words: one that starts with a letter is a string unless it is one
        // of the null and boolean words below (at most five letters, starting n, t or f).
        if let Some(&first) = t.as_bytes().first() {
            if first.is_ascii_alphabetic() && (t.len() > 5 || !matches!(first, b'n' | b'N' | b't' | b'T' | b'f' | b'F'))
            {
                return ScalarValue::Str;
            }
        }
        match t {
            "" | "~" | "null" | "Null" | "NULL" => return ScalarValue::Null,
            "true" | "True" | "TRUE" => return ScalarValue::Bool(true),
            "false" | "False" | "FALSE" => return ScalarValue::Bool(false),
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
                return ScalarValue::Float(f64::INFINITY);
            }
            "-.inf" | "-.Inf" | "-.INF" => return ScalarValue::Float(f64::NEG_INFINITY),
            ".nan" | ".NaN" | ".NAN" => return ScalarValue::Float(f64::NAN),
            _ => {}
        }
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return match t.parse::<i64>() {
                Ok(i) => ScalarValue::Int(i),
                Err(_) => ScalarValue::Float(t.parse().unwrap_or(f64::INFINITY)),
            };
        }
        if let Some(hex) = t.strip_prefix("0x") {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return ScalarValue::Int(i);
            }
        }
        if let Some(oct) = t.strip_prefix("0o") {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return ScalarValue::Int(i);
            }
        }
        let looks_numeric = digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
            && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
        if looks_numeric {
            if let Ok(f) = t.parse::<f64>() {
                return ScalarValue::Float(f);
            }
        }
        ScalarValue::Str
    }

    /// `y`, `yes`, `no`, `on`, `off` …: booleans in YAML 1.1 (PyYAML, older tools), strings in
    /// YAML 1.2. A spec that means one and gets the other is a trap.
    pub fn is_yaml11_bool_word(&self) -> bool {
        self.plain
            && matches!(
                self.text.as_str(),
                "y" | "Y"
                    | "yes"
                    | "Yes"
                    | "YES"
                    | "n"
                    | "N"
                    | "no"
                    | "No"
                    | "NO"
                    | "on"
                    | "On"
                    | "ON"
                    | "off"
                    | "Off"
                    | "OFF"
            )
    }
}

impl Node {
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(s) if s.value() == ScalarValue::Null)
    }

    /// Looks a key up in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|e| e.key.value == key).map(|e| &e.value)
    }
}

impl Node {
    /// The node as JSON under the YAML 1.2 core schema (for checking specs against the
    /// published JSON Schema).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Scalar(s) => match s.value() {
                ScalarValue::Null => Value::Null,
                ScalarValue::Bool(b) => Value::Bool(b),
                ScalarValue::Int(i) => Value::from(i),
                ScalarValue::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
                ScalarValue::Str => Value::String(s.text.to_string()),
            },
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => {
                Value::Object(entries.iter().map(|e| (e.key.value.to_string(), e.value.to_json())).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(t: &str) -> ScalarValue {
        Scalar { text: t.into(), plain: true }.value()
    }

    #[test]
    fn core_schema() {
        assert_eq!(plain("12"), ScalarValue::Int(12));
        assert_eq!(plain("-3"), ScalarValue::Int(-3));
        assert_eq!(plain("0.5"), ScalarValue::Float(0.5));
        assert_eq!(plain("1e3"), ScalarValue::Float(1000.0));
        assert_eq!(plain("~"), ScalarValue::Null);
        assert_eq!(plain("no"), ScalarValue::Str);
        assert_eq!(plain("True"), ScalarValue::Bool(true));
        assert_eq!(plain("8s"), ScalarValue::Str);
        assert_eq!(plain("2.1.0"), ScalarValue::Str);
        assert_eq!(plain("99.9%"), ScalarValue::Str);
        // Words: the five-letter null and boolean forms, and everything else a string.
        assert_eq!(plain("FALSE"), ScalarValue::Bool(false));
        assert_eq!(plain("NULL"), ScalarValue::Null);
        assert_eq!(plain("falsey"), ScalarValue::Str);
        assert_eq!(plain("nan"), ScalarValue::Str);
        assert_eq!(plain("e3"), ScalarValue::Str);
        assert_eq!(plain("route-17"), ScalarValue::Str);
        let quoted = Scalar { text: "12".into(), plain: false };
        assert_eq!(quoted.value(), ScalarValue::Str);
    }
}
