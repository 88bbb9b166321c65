//! A small HCL writer for the Terraform target.
//!
//! In: a typed document — blocks, attributes, values. Out: text that is already
//! `terraform fmt`-canonical: two-space indents, `=` aligned over each run of one-line
//! attributes, one-line values first in a body, then multi-line values and nested blocks each
//! after a blank line (so no alignment run spans a multi-line value). Every string from the spec
//! goes through [`Value::Str`], which escapes it completely: quotes, backslashes, control
//! characters, and Terraform's template sequences `${` and `%{`. Raw expressions
//! ([`Value::Expr`]) are only ever written by genops itself.

use std::fmt::Write;

use super::sink::{FileOut, Sink};

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string literal; escaped on output.
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    /// A Terraform expression written by genops (`var.region`, `oci_x.y.id`).
    Expr(String),
    List(Vec<Value>),
    /// An object with quoted keys, in the given order.
    Object(Vec<(String, Value)>),
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    pub fn expr(s: impl Into<String>) -> Value {
        Value::Expr(s.into())
    }

    pub fn strs<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Value {
        Value::List(items.into_iter().map(|s| Value::Str(s.into())).collect())
    }

    fn is_multiline(&self) -> bool {
        match self {
            Value::Object(items) => !items.is_empty(),
            Value::List(items) => items.iter().any(Value::is_multiline) || self.inline_len() > 80,
            _ => false,
        }
    }

    fn inline_len(&self) -> usize {
        let mut s = String::new();
        self.write_inline(&mut s);
        s.len()
    }

    fn write_inline(&self, out: &mut String) {
        match self {
            Value::Str(s) => write_string(out, s),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Num(n) => out.push_str(&crate::spec::units::format_number(*n)),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Expr(e) => out.push_str(e),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_inline(out);
                }
                out.push(']');
            }
            Value::Object(items) if items.is_empty() => out.push_str("{}"),
            Value::Object(_) => unreachable_multiline(out),
        }
    }

    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Value::Object(items) if !items.is_empty() => {
                out.push_str("{\n");
                let keys: Vec<String> = items.iter().map(|(k, _)| quoted(k)).collect();
                write_aligned(out, indent + 1, keys.iter().map(String::as_str).zip(items.iter().map(|(_, v)| v)));
                pad(out, indent);
                out.push('}');
            }
            Value::List(items) if self.is_multiline() => {
                out.push_str("[\n");
                for item in items {
                    pad(out, indent + 1);
                    item.write(out, indent + 1);
                    out.push_str(",\n");
                }
                pad(out, indent);
                out.push(']');
            }
            _ => self.write_inline(out),
        }
    }
}

fn unreachable_multiline(out: &mut String) {
    // Objects are always written through `write`; keep output valid if ever reached.
    out.push_str("{}");
}

/// A block: `type "label" … { body }`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    /// Comment lines written above the block (without `#`).
    pub comments: Vec<String>,
    pub attrs: Vec<(String, Value)>,
    /// Trailing comments of attributes, by attribute name (at most one per alignment run, so
    /// that `terraform fmt` has no comment column to align).
    pub trailing: Vec<(String, String)>,
    pub blocks: Vec<Block>,
}

impl Block {
    pub fn new(kind: &str, labels: &[&str]) -> Block {
        Block { kind: kind.to_string(), labels: labels.iter().map(|l| l.to_string()).collect(), ..Block::default() }
    }

    pub fn comment(mut self, text: impl Into<String>) -> Block {
        self.comments.push(text.into());
        self
    }

    pub fn attr(mut self, key: &str, value: Value) -> Block {
        self.attrs.push((key.to_string(), value));
        self
    }

    /// An attribute with a trailing comment, e.g. a `checkov:skip` with its reason.
    pub fn attr_commented(mut self, key: &str, value: Value, comment: &str) -> Block {
        self.trailing.push((key.to_string(), comment.replace(['\n', '\r'], " ")));
        self.attr(key, value)
    }

    pub fn attr_if(self, key: &str, value: Option<Value>) -> Block {
        match value {
            Some(v) => self.attr(key, v),
            None => self,
        }
    }

    pub fn block(mut self, block: Block) -> Block {
        self.blocks.push(block);
        self
    }

    pub fn blocks(mut self, blocks: impl IntoIterator<Item = Block>) -> Block {
        self.blocks.extend(blocks);
        self
    }

    fn write(&self, out: &mut String, indent: usize) {
        for comment in &self.comments {
            pad(out, indent);
            out.push_str("# ");
            out.push_str(&comment.replace(['\n', '\r'], " "));
            out.push('\n');
        }
        pad(out, indent);
        out.push_str(&self.kind);
        for label in &self.labels {
            out.push(' ');
            write_string(out, label);
        }
        let (single, multi): (Vec<_>, Vec<_>) = self.attrs.iter().partition(|(_, v)| !v.is_multiline());
        if single.is_empty() && multi.is_empty() && self.blocks.is_empty() {
            out.push_str(" {\n");
            pad(out, indent);
            out.push_str("}\n");
            return;
        }
        out.push_str(" {\n");
        let mut first = true;
        if !single.is_empty() {
            let start = out.len();
            write_aligned(out, indent + 1, single.iter().map(|(k, v)| (k.as_str(), v)));
            if !self.trailing.is_empty() {
                let lines: Vec<String> = out[start..]
                    .lines()
                    .map(|line| {
                        let key = line.trim_start().split(' ').next().unwrap_or("");
                        match self.trailing.iter().find(|(k, _)| k == key) {
                            Some((_, comment)) => format!("{line} # {comment}\n"),
                            None => format!("{line}\n"),
                        }
                    })
                    .collect();
                out.truncate(start);
                out.push_str(&lines.concat());
            }
            first = false;
        }
        for (key, value) in multi {
            if !first {
                out.push('\n');
            }
            first = false;
            pad(out, indent + 1);
            out.push_str(key);
            out.push_str(" = ");
            value.write(out, indent + 1);
            out.push('\n');
        }
        for block in &self.blocks {
            if !first {
                out.push('\n');
            }
            first = false;
            block.write(out, indent + 1);
        }
        pad(out, indent);
        out.push_str("}\n");
    }
}

/// One-line attributes with `=` aligned, as `terraform fmt` aligns a run.
fn write_aligned<'a>(out: &mut String, indent: usize, items: impl Iterator<Item = (&'a str, &'a Value)> + Clone) {
    let width = items.clone().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    for (key, value) in items {
        pad(out, indent);
        out.push_str(key);
        for _ in key.chars().count()..width {
            out.push(' ');
        }
        out.push_str(" = ");
        value.write(out, indent);
        out.push('\n');
    }
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

/// An object key: bare when it is an identifier (as `terraform fmt` leaves it), else quoted.
fn quoted(key: &str) -> String {
    let bare = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !matches!(key, "true" | "false" | "null");
    if bare {
        return key.to_string();
    }
    let mut s = String::new();
    write_string(&mut s, key);
    s
}

/// A complete HCL string literal: the value reads back exactly as `s`.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    // Most strings need no escape: copy them whole. (A fold without an early exit, which the
    // compiler turns into a few wide comparisons per 32 bytes.)
    let special = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\') | (b == b'$') | (b == b'%') | (b == 0x7f);
    if !s.bytes().fold(false, |any, b| any | special(b)) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                // `${` and `%{` start templates; doubling the sigil makes them literal.
                out.push(c);
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A `.tf` file: a header comment, then top-level blocks separated by blank lines.
pub fn file(header: &str, blocks: &[Block]) -> String {
    let mut file = FileWriter::new(header);
    for block in blocks {
        file.push(block);
    }
    file.finish()
}

/// A `.tf` file written block by block: a file of a hundred thousand resources is text as soon
/// as each block is made, never a hundred thousand blocks in memory at once, and, written to a
/// sink that takes parts ([`FileWriter::to`]), never whole in memory either.
pub struct FileWriter<'s> {
    out: FileOut<'s>,
    blocks: usize,
}

impl FileWriter<'static> {
    /// A file kept whole, returned by [`FileWriter::finish`].
    pub fn new(header: &str) -> FileWriter<'static> {
        FileWriter::with(FileOut::kept(), header)
    }
}

impl<'s> FileWriter<'s> {
    /// The file at `path`, handed to `sink` (in parts between blocks, if it takes them).
    pub fn to(sink: &'s dyn Sink, path: String, header: &str) -> FileWriter<'s> {
        FileWriter::with(FileOut::to(sink, path), header)
    }

    fn with(mut out: FileOut<'s>, header: &str) -> FileWriter<'s> {
        for line in header.lines() {
            let text = out.text();
            text.push_str("# ");
            text.push_str(line);
            text.push('\n');
        }
        FileWriter { out, blocks: 0 }
    }

    pub fn push(&mut self, block: &Block) {
        let text = self.out.text();
        text.push('\n');
        block.write(text, 0);
        self.blocks += 1;
        self.out.boundary();
    }

    /// Room for `bytes` more of text (see [`FileOut::reserve`]).
    pub fn reserve(&mut self, bytes: usize) {
        self.out.reserve(bytes);
    }

    /// How many blocks the file has.
    pub fn blocks(&self) -> usize {
        self.blocks
    }

    /// Ends the file (see [`FileOut::finish`]): the text of a file made by [`FileWriter::new`].
    pub fn finish(self) -> String {
        self.out.finish()
    }

    /// Drops a file that has no block: its sink gets nothing.
    pub fn abandon(self) {
        self.out.abandon()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_completely() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\nd ${var.x} %{ if } $x %y \u{1} é");
        assert_eq!(out, r#""a\"b\\c\nd $${var.x} %%{ if } $x %y \u0001 é""#);
    }

    #[test]
    fn attributes_align_and_multiline_values_stand_apart() {
        let block = Block::new("resource", &["oci_x", "y"])
            .comment("routes.chat")
            .attr("compartment_id", Value::expr("var.compartment_ocid"))
            .attr("name", Value::str("chat"))
            .attr(
                "freeform_tags",
                Value::Object(vec![("genops-system".into(), Value::str("s")), ("route".into(), Value::str("chat"))]),
            )
            .block(Block::new("timeouts", &[]).attr("create", Value::str("30m")));
        let text = file("generated by genops", &[block]);
        assert_eq!(
            text,
            "# generated by genops\n\n# routes.chat\nresource \"oci_x\" \"y\" {\n  compartment_id = var.compartment_ocid\n  name           = \"chat\"\n\n  freeform_tags = {\n    genops-system = \"s\"\n    route         = \"chat\"\n  }\n\n  timeouts {\n    create = \"30m\"\n  }\n}\n"
        );
    }
}
