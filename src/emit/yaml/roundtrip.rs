//! Property: whatever strings a spec holds, the writer's YAML reads back as what was written.
//!
//! In: random streams of documents whose keys, string values and comments are arbitrary
//! Unicode mixed with the pieces YAML readers trip on (`: `, `#`, quotes, `no`, `1.0`, `~`,
//! leading spaces, line breaks, a BOM, U+2028, C1 controls…), nested maps and sequences, flow
//! lists, integers, numbers and booleans. Out: a real YAML parser (saphyr) reads every document
//! back to the same tree, and the comment lines of the text are the comments' lines, with
//! only what a comment cannot hold turned into spaces.

use proptest::prelude::*;
use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};

use super::{Map, Seq, Writer, scalar, to_string};

/// A value as written, and as it must read back.
#[derive(Clone, Debug)]
enum Node {
    Str(String),
    Int(i64),
    /// Written by [`super::number`]: read back within its 12 significant digits.
    Num(f64),
    Bool(bool),
    Map(Vec<(Option<String>, String, Node)>),
    Seq(Vec<(Option<String>, Node)>),
    /// A flow list: `[a, b]` as a map's value, a block sequence elsewhere.
    Flow(Vec<String>),
}

/// Text that YAML readers trip on, and arbitrary characters.
fn text() -> impl Strategy<Value = String> {
    let tricky = prop_oneof![
        Just(": "),
        Just("#"),
        Just(" #"),
        Just("\""),
        Just("'"),
        Just("\\"),
        Just("no"),
        Just("yes"),
        Just("1.0"),
        Just("~"),
        Just("null"),
        Just("- "),
        Just("  "),
        Just("\n"),
        Just("\r\n"),
        Just("\t"),
        Just("\u{feff}"),
        Just("\u{2028}"),
        Just("\u{2029}"),
        Just("\u{85}"),
        Just("\u{0}"),
        Just("\u{7f}"),
        Just("\u{fffe}"),
        Just("{"),
        Just("["),
        Just("&a"),
        Just("*a"),
        Just("!t"),
        Just("%"),
        Just("@"),
        Just("---"),
        Just("..."),
        Just("é"),
    ]
    .prop_map(str::to_string);
    let piece = prop_oneof![tricky, any::<char>().prop_map(String::from), "[a-z_]{1,6}"];
    proptest::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

fn comment() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(0.3, text())
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        text().prop_map(Node::Str),
        any::<i64>().prop_map(Node::Int),
        (-10_000_000i64..10_000_000, 0u32..9).prop_map(|(m, e)| Node::Num(m as f64 / 10f64.powi(e as i32))),
        any::<bool>().prop_map(Node::Bool),
        proptest::collection::vec(text(), 0..4).prop_map(Node::Flow),
    ];
    leaf.prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            entries(inner.clone()).prop_map(Node::Map),
            proptest::collection::vec((comment(), inner), 0..5).prop_map(Node::Seq),
        ]
    })
}

/// A mapping's entries, with distinct keys.
fn entries(value: impl Strategy<Value = Node>) -> impl Strategy<Value = Vec<(Option<String>, String, Node)>> {
    proptest::collection::vec((comment(), text(), value), 0..5).prop_map(|mut entries| {
        let mut seen = std::collections::HashSet::new();
        entries.retain(|(_, k, _)| seen.insert(k.clone()));
        entries
    })
}

fn write_entries(m: &mut Map, entries: &[(Option<String>, String, Node)]) {
    for (comment, key, value) in entries {
        if let Some(c) = comment {
            m.comment(c);
        }
        match value {
            Node::Str(s) => m.str(key, s),
            Node::Int(i) => m.int(key, *i),
            Node::Num(n) => m.num(key, *n),
            Node::Bool(b) => m.bool(key, *b),
            Node::Map(e) => m.map(key, |m| write_entries(m, e)),
            Node::Seq(items) => m.seq(key, |s| write_items(s, items)),
            Node::Flow(items) => m.flow(key, |f| items.iter().for_each(|i| f.str(i))),
        }
    }
}

fn write_items(s: &mut Seq, items: &[(Option<String>, Node)]) {
    for (comment, item) in items {
        if let Some(c) = comment {
            s.comment(c);
        }
        match item {
            Node::Str(v) => s.str(v),
            Node::Int(i) => s.scalar(super::Scalar::Int(*i)),
            Node::Num(n) => s.num(*n),
            Node::Bool(b) => s.scalar(super::Scalar::Bool(*b)),
            Node::Map(e) => s.map(|m| write_entries(m, e)),
            Node::Seq(inner) => s.seq(|s| write_items(s, inner)),
            Node::Flow(inner) => s.seq(|s| inner.iter().for_each(|i| s.str(i))),
        }
    }
}

/// Every comment of the stream, in the order written.
fn comments_of(header: &[String], docs: &[Vec<(Option<String>, String, Node)>]) -> Vec<String> {
    fn of_node(node: &Node, out: &mut Vec<String>) {
        match node {
            Node::Map(entries) => of_entries(entries, out),
            Node::Seq(items) => {
                for (c, item) in items {
                    out.extend(c.clone());
                    of_node(item, out);
                }
            }
            _ => {}
        }
    }
    fn of_entries(entries: &[(Option<String>, String, Node)], out: &mut Vec<String>) {
        for (c, _, value) in entries {
            out.extend(c.clone());
            of_node(value, out);
        }
    }
    let mut out = header.to_vec();
    docs.iter().for_each(|d| of_entries(d, &mut out));
    out
}

/// Checks that `read` is `node`.
fn same(node: &Node, read: &YamlOwned) -> Result<(), String> {
    let differ = || Err(format!("wrote {node:?}, read {read:?}"));
    match (node, read) {
        (Node::Str(s), YamlOwned::Value(ScalarOwned::String(r))) if s == r => Ok(()),
        (Node::Int(i), YamlOwned::Value(ScalarOwned::Integer(r))) if i == r => Ok(()),
        (Node::Bool(b), YamlOwned::Value(ScalarOwned::Boolean(r))) if b == r => Ok(()),
        (Node::Num(n), YamlOwned::Value(v)) => {
            let r = match v {
                ScalarOwned::Integer(i) => *i as f64,
                ScalarOwned::FloatingPoint(f) => f.into_inner(),
                _ => return differ(),
            };
            if (r - n).abs() <= n.abs() * 1e-11 { Ok(()) } else { differ() }
        }
        (Node::Map(entries), YamlOwned::Mapping(map)) if entries.len() == map.len() => {
            for ((_, key, value), (k, v)) in entries.iter().zip(map.iter()) {
                same(&Node::Str(key.clone()), k)?;
                same(value, v)?;
            }
            Ok(())
        }
        (Node::Seq(items), YamlOwned::Sequence(seq)) if items.len() == seq.len() => {
            items.iter().zip(seq).try_for_each(|((_, item), r)| same(item, r))
        }
        (Node::Flow(items), YamlOwned::Sequence(seq)) if items.len() == seq.len() => {
            items.iter().zip(seq).try_for_each(|(item, r)| same(&Node::Str(item.clone()), r))
        }
        _ => differ(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn everything_written_reads_back(
        header in proptest::collection::vec(text(), 0..3),
        docs in proptest::collection::vec(entries(node()), 1..4),
    ) {
        let text = to_string(|y: &mut Writer| {
            header.iter().for_each(|c| y.comment(c));
            for d in &docs {
                y.document(|m| write_entries(m, d));
            }
        });
        let read = YamlOwned::load_from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(read.len(), docs.len(), "{}", text);
        for (d, r) in docs.iter().zip(&read) {
            same(&Node::Map(d.clone()), r).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        }
        // Every line that starts with `#` (after its indentation) is a comment's line, and
        // nothing else is: each comment's lines, as they read.
        let expected: Vec<String> = comments_of(&header, &docs)
            .iter()
            .flat_map(|c| c.split('\n').map(|line| {
                let mut out = String::new();
                scalar::comment_line_into(&mut out, line);
                out
            }).collect::<Vec<_>>())
            .collect();
        let found: Vec<&str> =
            text.lines().filter_map(|l| l.trim_start_matches(' ').strip_prefix("# ")).collect();
        prop_assert_eq!(found, expected, "{}", text);
    }
}
