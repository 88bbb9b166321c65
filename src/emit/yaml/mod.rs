//! The one YAML writer of genops: LiteLLM's config, OpenSLO, the Prometheus rules and the
//! promtool tests are all written by it.
//!
//! In: calls that say a file's structure while it is made — documents one after another, a
//! mapping's entries, a sequence's items, comments before any of them — and where the file may
//! be handed on ([`Map::boundary`]). Out: block-style YAML appended to a `String`, or to a file
//! being handed to its sink in parts ([`FileOut`]), so that a config of tens of thousands of
//! deployments is never a tree in memory. The layout is the writer's alone: two spaces an
//! indentation level, a sequence indented under its key, a mapping in a sequence starting on
//! the item's `- ` line, empty collections as `{}` and `[]`, comments as `# ` lines before what
//! they describe. How each scalar, key and comment is spelled is [`scalar`]'s.
//!
//! The structure is given by closures (`m.map("key", |m| …)`), so every mapping and sequence
//! is closed where it was opened and the text is always well formed.

#[cfg(test)]
mod roundtrip;
pub mod scalar;

use serde_json::Value;

pub use scalar::{key, key_into, number, quote, quote_into};

use super::sink::FileOut;

/// Where the writer appends: a `String`, or a file being made (which may hand its text on at
/// boundaries).
pub trait Out {
    /// The text not handed on yet.
    fn text(&mut self) -> &mut String;
    /// A point between complete pieces of the file, where it may be handed on.
    fn boundary(&mut self) {}
}

impl Out for String {
    fn text(&mut self) -> &mut String {
        self
    }
}

impl Out for FileOut<'_> {
    fn text(&mut self) -> &mut String {
        FileOut::text(self)
    }

    fn boundary(&mut self) {
        FileOut::boundary(self)
    }
}

/// What the text ends with, that the next piece of content has to continue.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pending {
    /// The start of a line.
    Line,
    /// A `key:` or `-` whose value is not written yet: a collection starts on the next line,
    /// an empty one stays on this one.
    Open,
    /// A sequence item, at this indentation, whose `- ` is not written yet: the first key of
    /// its mapping goes on that line, and comments before it go above it.
    Dash(usize),
}

/// A YAML stream being written: comments and documents.
pub struct Writer<'w> {
    out: &'w mut dyn Out,
    pending: Pending,
    documents: usize,
}

/// A scalar value.
#[derive(Clone, Copy, Debug)]
enum Scalar<'a> {
    Str(&'a str),
    Int(i64),
    Num(f64),
    Bool(bool),
    Null,
}

impl<'w> Writer<'w> {
    pub fn new(out: &'w mut dyn Out) -> Writer<'w> {
        Writer { out, pending: Pending::Line, documents: 0 }
    }

    /// `# ` comment lines at the left margin, one per line of `text` (before the first document,
    /// as a file's header).
    pub fn comment(&mut self, text: &str) {
        self.comment_at(0, text);
    }

    /// A document whose root is a mapping; `---` separates it from the one before.
    pub fn document(&mut self, f: impl FnOnce(&mut Map)) {
        if self.documents > 0 {
            self.out.text().push_str("---\n");
        }
        self.documents += 1;
        self.pending = Pending::Line;
        self.map_body(0, f);
    }

    /// A point between documents where a file may be handed on.
    pub fn boundary(&mut self) {
        self.out.boundary();
    }

    fn pad(&mut self, indent: usize) {
        const SPACES: &str = "                                ";
        let out = self.out.text();
        let mut left = indent;
        while left > 0 {
            let n = left.min(SPACES.len());
            out.push_str(&SPACES[..n]);
            left -= n;
        }
    }

    /// Starts a line of content at `indent`, after whatever is pending.
    fn line(&mut self, indent: usize) {
        match std::mem::replace(&mut self.pending, Pending::Line) {
            Pending::Line => self.pad(indent),
            Pending::Open => {
                self.out.text().push('\n');
                self.pad(indent);
            }
            Pending::Dash(at) => {
                self.pad(at);
                self.out.text().push_str("- ");
            }
        }
    }

    fn comment_at(&mut self, indent: usize, text: &str) {
        let at = match self.pending {
            Pending::Line => indent,
            Pending::Open => {
                self.out.text().push('\n');
                self.pending = Pending::Line;
                indent
            }
            // Above the item's `- ` line, which the first key will take.
            Pending::Dash(at) => at,
        };
        for line in text.split('\n') {
            self.pad(at);
            let out = self.out.text();
            out.push_str("# ");
            scalar::comment_line_into(out, line);
            out.push('\n');
        }
    }

    fn scalar(&mut self, value: Scalar) {
        let out = self.out.text();
        match value {
            Scalar::Str(s) => quote_into(out, s),
            Scalar::Int(i) => scalar::int_into(out, i),
            Scalar::Num(n) => out.push_str(&number(n)),
            Scalar::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Scalar::Null => out.push_str("null"),
        }
    }

    /// A collection closed without content: `{}` or `[]` where its first line would be.
    fn empty(&mut self, indent: usize, text: &str) {
        match std::mem::replace(&mut self.pending, Pending::Line) {
            Pending::Line => self.pad(indent),
            Pending::Open => self.out.text().push(' '),
            Pending::Dash(at) => {
                self.pad(at);
                self.out.text().push_str("- ");
            }
        }
        let out = self.out.text();
        out.push_str(text);
        out.push('\n');
    }

    fn map_body(&mut self, indent: usize, f: impl FnOnce(&mut Map)) {
        let mut map = Map { w: self, indent, empty: true };
        f(&mut map);
        if map.empty {
            self.empty(indent, "{}");
        }
    }

    fn seq_body(&mut self, indent: usize, f: impl FnOnce(&mut Seq)) {
        let mut seq = Seq { w: self, indent, empty: true };
        f(&mut seq);
        if seq.empty {
            self.empty(indent, "[]");
        }
    }
}

/// The entries of a mapping being written.
pub struct Map<'a, 'w> {
    w: &'a mut Writer<'w>,
    indent: usize,
    empty: bool,
}

impl Map<'_, '_> {
    /// `# ` comment lines before the next entry, one per line of `text`.
    pub fn comment(&mut self, text: &str) {
        self.w.comment_at(self.indent, text);
    }

    /// Writes `key:`, the cursor after it.
    fn key(&mut self, key: &str) {
        self.empty = false;
        self.w.line(self.indent);
        let out = self.w.out.text();
        key_into(out, key);
        out.push(':');
    }

    fn scalar(&mut self, key: &str, value: Scalar) {
        self.key(key);
        self.w.out.text().push(' ');
        self.w.scalar(value);
        self.w.out.text().push('\n');
    }

    /// An entry whose value is a string.
    pub fn str(&mut self, key: &str, value: &str) {
        self.scalar(key, Scalar::Str(value));
    }

    /// An entry whose value is an integer.
    pub fn int(&mut self, key: &str, value: i64) {
        self.scalar(key, Scalar::Int(value));
    }

    /// An entry whose value is a number, as [`number`] writes it.
    pub fn num(&mut self, key: &str, value: f64) {
        self.scalar(key, Scalar::Num(value));
    }

    pub fn bool(&mut self, key: &str, value: bool) {
        self.scalar(key, Scalar::Bool(value));
    }

    /// An entry whose value is a mapping.
    pub fn map(&mut self, key: &str, f: impl FnOnce(&mut Map)) {
        self.key(key);
        self.w.pending = Pending::Open;
        self.w.map_body(self.indent + 2, f);
    }

    /// An entry whose value is a sequence, its items indented under the key.
    pub fn seq(&mut self, key: &str, f: impl FnOnce(&mut Seq)) {
        self.key(key);
        self.w.pending = Pending::Open;
        self.w.seq_body(self.indent + 2, f);
    }

    /// An entry whose value is a sequence of scalars on the key's line: `key: [a, b]`.
    pub fn flow(&mut self, key: &str, f: impl FnOnce(&mut Flow)) {
        self.key(key);
        let mut flow = Flow { w: &mut *self.w, empty: true };
        f(&mut flow);
        let close = if flow.empty { " []\n" } else { "]\n" };
        self.w.out.text().push_str(close);
    }

    /// An entry whose value is a JSON tree (objects in their order).
    pub fn json(&mut self, key: &str, value: &Value) {
        match value {
            Value::Object(o) => self.map(key, |m| o.iter().for_each(|(k, v)| m.json(k, v))),
            Value::Array(a) => self.seq(key, |s| a.iter().for_each(|v| s.json(v))),
            v => self.scalar(key, json_scalar(v)),
        }
    }

    /// A point between complete entries where the file may be handed on.
    pub fn boundary(&mut self) {
        self.w.out.boundary();
    }
}

/// The items of a block sequence being written.
pub struct Seq<'a, 'w> {
    w: &'a mut Writer<'w>,
    indent: usize,
    empty: bool,
}

impl Seq<'_, '_> {
    /// `# ` comment lines before the next item, one per line of `text`.
    pub fn comment(&mut self, text: &str) {
        self.w.comment_at(self.indent, text);
    }

    fn scalar(&mut self, value: Scalar) {
        self.empty = false;
        self.w.line(self.indent);
        self.w.out.text().push_str("- ");
        self.w.scalar(value);
        self.w.out.text().push('\n');
    }

    pub fn str(&mut self, value: &str) {
        self.scalar(Scalar::Str(value));
    }

    pub fn num(&mut self, value: f64) {
        self.scalar(Scalar::Num(value));
    }

    /// An item that is a mapping: its first key on the `- ` line.
    pub fn map(&mut self, f: impl FnOnce(&mut Map)) {
        self.empty = false;
        if self.w.pending == Pending::Open {
            self.w.out.text().push('\n');
        }
        self.w.pending = Pending::Dash(self.indent);
        self.w.map_body(self.indent + 2, f);
    }

    /// An item that is a sequence, below its `-`.
    pub fn seq(&mut self, f: impl FnOnce(&mut Seq)) {
        self.empty = false;
        self.w.line(self.indent);
        self.w.out.text().push('-');
        self.w.pending = Pending::Open;
        self.w.seq_body(self.indent + 2, f);
    }

    /// An item that is a JSON tree (objects in their order).
    pub fn json(&mut self, value: &Value) {
        match value {
            Value::Object(o) => self.map(|m| o.iter().for_each(|(k, v)| m.json(k, v))),
            Value::Array(a) => self.seq(|s| a.iter().for_each(|v| s.json(v))),
            v => self.scalar(json_scalar(v)),
        }
    }

    /// A point between complete items where the file may be handed on.
    pub fn boundary(&mut self) {
        self.w.out.boundary();
    }
}

/// The items of a flow sequence of scalars being written.
pub struct Flow<'a, 'w> {
    w: &'a mut Writer<'w>,
    empty: bool,
}

impl Flow<'_, '_> {
    fn scalar(&mut self, value: Scalar) {
        let sep = if std::mem::take(&mut self.empty) { " [" } else { ", " };
        self.w.out.text().push_str(sep);
        self.w.scalar(value);
    }

    pub fn str(&mut self, value: &str) {
        self.scalar(Scalar::Str(value));
    }

    pub fn num(&mut self, value: f64) {
        self.scalar(Scalar::Num(value));
    }
}

/// A JSON scalar as YAML: integers as integers, other numbers by [`number`].
fn json_scalar(value: &Value) -> Scalar<'_> {
    match value {
        Value::String(s) => Scalar::Str(s),
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Scalar::Int(i),
            None => Scalar::Num(n.as_f64().unwrap_or(0.0)),
        },
        _ => Scalar::Null,
    }
}

/// A mapping of these entries in this order, the values moved in (`json!` copies every value
/// it is given, nested documents whole).
pub fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Writes a whole stream into a new `String`.
pub fn to_string(f: impl FnOnce(&mut Writer)) -> String {
    let mut text = String::new();
    f(&mut Writer::new(&mut text));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_layout_comments_and_empty_collections() {
        let text = to_string(|y| {
            y.comment("generated\nby a test");
            y.document(|m| {
                m.str("a", "no");
                m.comment("the list");
                m.seq("b", |s| {
                    s.comment("an item");
                    s.map(|m| {
                        m.comment("first key");
                        m.int("x", 1);
                        m.str("y", "1.0");
                        m.map("z", |_| {});
                    });
                    s.str("z");
                    s.map(|_| {});
                    s.seq(|s| s.num(0.5));
                });
                m.map("c", |_| {});
                m.seq("d", |_| {});
                m.flow("e", |f| {
                    f.num(0.005);
                    f.str("x");
                });
                m.flow("f", |_| {});
                m.map("g", |m| m.comment("nothing here"));
                m.bool("odd key", true);
            });
            y.document(|_| {});
        });
        assert_eq!(
            text,
            "# generated\n# by a test\na: \"no\"\n# the list\nb:\n  # an item\n  # first key\n  - x: 1\n    \"y\": \"1.0\"\n    z: {}\n  - \"z\"\n  - {}\n  -\n    - 0.5\nc: {}\nd: []\ne: [0.005, \"x\"]\nf: []\ng:\n  # nothing here\n  {}\n\"odd key\": true\n---\n{}\n"
        );
    }

    #[test]
    fn json_trees_are_written_in_their_order() {
        let v = json!({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "x > 1\nand y", "labels": {}}]}], "n": 2.5, "i": 3, "none": null});
        let text = to_string(|y| y.document(|m| v.as_object().unwrap().iter().for_each(|(k, v)| m.json(k, v))));
        assert_eq!(
            text,
            "groups:\n  - name: \"g\"\n    rules:\n      - alert: \"A\"\n        expr: \"x > 1\\nand y\"\n        labels: {}\n\"n\": 2.5\ni: 3\nnone: null\n"
        );
    }

    #[test]
    fn a_file_is_handed_on_at_boundaries() {
        let sink = crate::emit::sink::Rejoined::new(16);
        let mut file = FileOut::to(&sink, "f.yaml".into());
        let mut y = Writer::new(&mut file);
        y.document(|m| {
            m.seq("items", |s| {
                for i in 0..8 {
                    s.map(|m| m.int("i", i));
                    s.boundary();
                }
            })
        });
        file.finish();
        let files = sink.sorted();
        assert_eq!(
            files[0].0.contents,
            to_string(|y| y.document(|m| m.seq("items", |s| (0..8).for_each(|i| s.map(|m| m.int("i", i))))))
        );
        assert!(files[0].1 > 1, "{} parts", files[0].1);
    }
}
