//! Typed decoding of a [`Node`] tree, reporting every problem and recovering.
//!
//! In: nodes. Out: typed values, or `None` after a diagnostic has been pushed. A value whose
//! part failed is `None` as a whole, so later stages never see a half-read value; the caller
//! goes on with its siblings, so one run reports every problem in the file.
//!
//! Structs are read with [`MapReader`]: each field read names a known key, and `finish`
//! reports the keys that no field read, with "did you mean" among the known ones.

use crate::diag::{Code, Diagnostic, Diagnostics, suggest};
use crate::source::{Span, Spanned};

use super::node::{Entry, Node, NodeKind, Scalar, ScalarValue};

pub struct Decoder<'d> {
    pub diags: &'d mut Diagnostics,
}

impl Decoder<'_> {
    pub fn error(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// "expected X, found Y" at the node.
    pub fn wrong_type(&mut self, node: &Node, expected: &str) {
        let found = describe(node);
        let mut d = Diagnostic::new(Code::WrongType, format!("expected {expected}, found {found}"))
            .label(node.span, format!("expected {expected}"));
        if let NodeKind::Scalar(s) = &node.kind {
            if s.plain && matches!(s.value(), ScalarValue::Bool(_) | ScalarValue::Null) && expected.contains("string") {
                d = d.help(format!("quote it to make it a string: `\"{}\"`", s.text));
            }
        }
        self.error(d);
    }
}

/// How a node is named in "found …".
pub fn describe(node: &Node) -> String {
    match &node.kind {
        NodeKind::Map(_) => "a mapping".into(),
        NodeKind::Seq(_) => "a list".into(),
        NodeKind::Scalar(s) => match s.value() {
            ScalarValue::Null => "nothing (null)".into(),
            ScalarValue::Bool(b) => format!("the boolean `{b}`"),
            ScalarValue::Int(_) | ScalarValue::Float(_) => format!("the number `{}`", s.text),
            ScalarValue::Str => format!("the string `{}`", truncate(&s.text)),
        },
    }
}

fn truncate(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out.replace('\n', "⏎")
}

/// A value readable from a node.
pub trait Decode: Sized {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self>;
}

/// The node's scalar, or a wrong-type diagnostic naming what was expected.
pub fn expect_scalar<'n>(node: &'n Node, d: &mut Decoder, expected: &str) -> Option<&'n Scalar> {
    match &node.kind {
        NodeKind::Scalar(s) if s.value() != ScalarValue::Null => Some(s),
        _ => {
            d.wrong_type(node, expected);
            None
        }
    }
}

impl Decode for String {
    fn decode(node: &Node, d: &mut Decoder) -> Option<String> {
        let s = expect_scalar(node, d, "a string")?;
        if s.is_yaml11_bool_word() {
            d.error(
                Diagnostic::new(Code::BooleanTrap, format!("`{}` is a boolean to YAML 1.1 tools", s.text))
                    .label(
                        node.span,
                        "genops reads a string here, but PyYAML, Terraform's yamldecode and LiteLLM may read a boolean",
                    )
                    .help(format!("quote it: `\"{}\"`", s.text)),
            );
            return None;
        }
        match s.value() {
            ScalarValue::Bool(_) => {
                d.wrong_type(node, "a string");
                None
            }
            _ => Some(s.text.to_string()),
        }
    }
}

impl Decode for bool {
    fn decode(node: &Node, d: &mut Decoder) -> Option<bool> {
        let s = expect_scalar(node, d, "`true` or `false`")?;
        if s.is_yaml11_bool_word() {
            d.error(
                Diagnostic::new(Code::BooleanTrap, format!("`{}` is not a boolean in YAML 1.2", s.text))
                    .label(node.span, "this is the string `".to_string() + &s.text + "`")
                    .help("write `true` or `false`"),
            );
            return None;
        }
        match s.value() {
            ScalarValue::Bool(b) => Some(b),
            _ => {
                d.wrong_type(node, "`true` or `false`");
                None
            }
        }
    }
}

/// A finite number (integer or decimal).
impl Decode for f64 {
    fn decode(node: &Node, d: &mut Decoder) -> Option<f64> {
        let s = expect_scalar(node, d, "a number")?;
        let value = match s.value() {
            ScalarValue::Int(i) => i as f64,
            ScalarValue::Float(f) => f,
            _ => {
                d.wrong_type(node, "a number");
                return None;
            }
        };
        if !value.is_finite() {
            d.error(
                Diagnostic::new(Code::InvalidNumber, "the number must be finite")
                    .label(node.span, "not a finite number"),
            );
            return None;
        }
        Some(value)
    }
}

/// A whole number that is zero or more.
impl Decode for u64 {
    fn decode(node: &Node, d: &mut Decoder) -> Option<u64> {
        let s = expect_scalar(node, d, "a whole number")?;
        match s.value() {
            ScalarValue::Int(i) if i >= 0 => Some(i as u64),
            ScalarValue::Int(_) => {
                d.error(
                    Diagnostic::new(Code::InvalidNumber, "the number must not be negative")
                        .label(node.span, "negative"),
                );
                None
            }
            ScalarValue::Float(f) if f.fract() == 0.0 && (0.0..9.0e15).contains(&f) => Some(f as u64),
            _ => {
                d.wrong_type(node, "a whole number");
                None
            }
        }
    }
}

impl Decode for u32 {
    fn decode(node: &Node, d: &mut Decoder) -> Option<u32> {
        let value = u64::decode(node, d)?;
        match u32::try_from(value) {
            Ok(v) => Some(v),
            Err(_) => {
                d.error(
                    Diagnostic::new(Code::InvalidNumber, "the number is too large")
                        .label(node.span, format!("at most {}", u32::MAX)),
                );
                None
            }
        }
    }
}

impl<T: Decode> Decode for Spanned<T> {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Spanned<T>> {
        T::decode(node, d).map(|v| Spanned::new(v, node.span))
    }
}

/// A list; every item is decoded (all problems reported), the list fails if one item does.
impl<T: Decode> Decode for Vec<T> {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Vec<T>> {
        let NodeKind::Seq(items) = &node.kind else {
            d.wrong_type(node, "a list");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match T::decode(item, d) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// Reads a mapping's fields one by one; see the module docs.
pub struct MapReader<'n> {
    span: Span,
    entries: &'n [Entry],
    used: Vec<bool>,
    known: Vec<&'static str>,
    failed: bool,
    what: &'static str,
}

impl<'n> MapReader<'n> {
    /// `what` names the thing in messages ("route", "retries").
    pub fn new(node: &'n Node, d: &mut Decoder, what: &'static str) -> Option<MapReader<'n>> {
        let NodeKind::Map(entries) = &node.kind else {
            d.wrong_type(node, &format!("a mapping ({what})"));
            return None;
        };
        Some(MapReader {
            span: node.span,
            entries,
            used: vec![false; entries.len()],
            known: Vec::new(),
            failed: false,
            what,
        })
    }

    /// The entry for `key`, marked as read; `null` counts as absent.
    pub fn entry(&mut self, key: &'static str) -> Option<&'n Entry> {
        self.known.push(key);
        let index = self.entries.iter().position(|e| e.key.value == key)?;
        self.used[index] = true;
        let entry = &self.entries[index];
        (!entry.value.is_null()).then_some(entry)
    }

    /// The raw node for `key`, when present; the caller decodes it.
    pub fn node(&mut self, key: &'static str) -> Option<&'n Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// An optional field. When present but invalid it is reported and read as absent: the
    /// definition stays usable for the checks of its other fields (nothing is lowered while
    /// any error stands).
    pub fn opt<T: Decode>(&mut self, d: &mut Decoder, key: &'static str) -> Option<T> {
        let entry = self.entry(key)?;
        T::decode(&entry.value, d)
    }

    pub fn req<T: Decode>(&mut self, d: &mut Decoder, key: &'static str) -> Option<T> {
        match self.entries.iter().find(|e| e.key.value == key) {
            Some(entry) if !entry.value.is_null() => {
                self.entry(key);
                let value = T::decode(&entry.value, d);
                if value.is_none() {
                    self.failed = true;
                }
                value
            }
            present => {
                self.entry(key);
                self.failed = true;
                let diagnostic = match present {
                    Some(entry) => {
                        Diagnostic::new(Code::MissingField, format!("the required field `{key}` has no value"))
                            .label(entry.key.span, "no value after this key")
                    }
                    None => Diagnostic::new(
                        Code::MissingField,
                        format!("{} is missing the required field `{key}`", article(self.what)),
                    )
                    .label(self.first_line(), format!("this {} has no `{key}`", self.what)),
                };
                d.error(diagnostic.help(format!("add `{key}:` with a value to this {}", self.what)));
                None
            }
        }
    }

    /// A field that defaults to empty (lists, maps) when absent.
    pub fn default<T: Decode + Default>(&mut self, d: &mut Decoder, key: &'static str) -> Option<T> {
        if self.entries.iter().any(|e| e.key.value == key) {
            self.opt(d, key)
        } else {
            self.known.push(key);
            Some(T::default())
        }
    }

    /// The first line of the mapping: where "missing field" points, not the whole block.
    fn first_line(&self) -> Span {
        match self.entries.first() {
            Some(first) => first.key.span,
            None => self.span,
        }
    }

    /// Reports unknown keys; `None` when a required field is missing or invalid.
    pub fn finish(self, d: &mut Decoder) -> Option<()> {
        let failed = self.failed;
        for (entry, used) in self.entries.iter().zip(&self.used) {
            if *used || self.known.contains(&entry.key.value.as_str()) {
                continue;
            }
            let key = &entry.key.value;
            let help = suggest::help_for(key, self.known.iter().copied())
                .unwrap_or_else(|| format!("the fields of {} are: {}", article(self.what), list(&self.known)));
            d.error(
                Diagnostic::new(Code::UnknownField, format!("unknown field `{key}` in {}", article(self.what)))
                    .label(entry.key.span, "unknown field")
                    .help(help),
            );
        }
        (!failed).then_some(())
    }
}

fn article(what: &str) -> String {
    let vowel = what.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {what}", if vowel { "an" } else { "a" })
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Implements [`Decode`] for a struct whose YAML keys are its field names (or the given key).
/// Modes: `req` (required), `opt` (an `Option`), `default` (empty when absent).
#[macro_export]
macro_rules! decode_struct {
    ($ty:ident $what:literal { $($field:ident $(= $key:literal)? : $mode:ident),* $(,)? }) => {
        impl $crate::yaml::Decode for $ty {
            fn decode(node: &$crate::yaml::Node, d: &mut $crate::yaml::Decoder) -> Option<Self> {
                let mut m = $crate::yaml::MapReader::new(node, d, $what)?;
                $( let $field = m.$mode(d, $crate::decode_struct!(@key $field $($key)?)); )*
                m.finish(d)?;
                Some($ty { $( $field: $crate::decode_struct!(@take $mode $field), )* })
            }
        }
    };
    (@key $field:ident $key:literal) => { $key };
    (@key $field:ident) => { stringify!($field) };
    (@take req $f:ident) => { $f? };
    (@take opt $f:ident) => { $f };
    (@take default $f:ident) => { $f.unwrap_or_default() };
}
