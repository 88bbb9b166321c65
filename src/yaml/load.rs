//! YAML text -> [`Node`] tree, within limits.
//!
//! In: one source file. Out: its single document as a node tree, or diagnostics. Hostile input
//! is bounded: nesting depth, the number of nodes and the bytes of scalar text after alias
//! expansion (a "billion laughs" file, or one long scalar aliased thousands of times, stops
//! here, not in memory), one document per file. Characters YAML 1.2 does not allow in a
//! stream (raw control characters, which a terminal would act on) are refused before parsing. Duplicate keys are errors; YAML merge
//! keys (`<<: *defaults`) are supported, explicit keys win over merged ones.

use compact_str::CompactString;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};

use super::node::{Entry, Node, NodeKind, Scalar};
use super::split::{self, Piece};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::hash::{HashMap, HashSet};
use crate::source::{FileId, SourceFile, Span, Spanned};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes in the document, counting every expansion of an alias.
    pub max_nodes: usize,
    /// Most bytes of scalar text (keys and values) in the document, counting every expansion
    /// of an alias: each expansion is a copy of its anchor's text.
    pub max_bytes: usize,
}

impl Limits {
    /// Limits that scale with the file: a large real spec passes, an alias bomb does not.
    /// Without aliases a document holds at most its file's length in scalar text.
    pub fn for_len(len: usize) -> Limits {
        Limits { max_depth: 64, max_nodes: (len / 2).max(1_000_000), max_bytes: len.saturating_mul(4).max(64 << 20) }
    }
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<PendingKey>,
        merges: Vec<Node>,
        /// Key → index in `entries`, built once a mapping is large, so that duplicate-key
        /// detection stays linear for sections with thousands of names.
        index: Option<HashMap<CompactString, usize>>,
    },
}

enum PendingKey {
    Key(Spanned<CompactString>, bool),
    /// A key genops cannot use (not a scalar): its value is read and dropped.
    Skip,
}

struct Builder<'a> {
    file: &'a SourceFile,
    /// The text to load: the file's, or one piece of it that starts `line_base` lines in.
    text: &'a str,
    line_base: usize,
    id: FileId,
    limits: Limits,
    stack: Vec<Frame>,
    /// Each anchor's node, with its size in nodes and in bytes of scalar text.
    anchors: HashMap<usize, (Node, Size)>,
    nodes: usize,
    bytes: usize,
    root: Option<Node>,
    diags: Diagnostics,
}

/// Stops the build: the diagnostic that says why has been pushed.
struct Abort;

pub fn load(file: &SourceFile, id: FileId, limits: Limits, diags: &mut Diagnostics) -> Option<Node> {
    if let Some((at, c)) = first_unprintable(&file.text) {
        diags.push(
            Diagnostic::new(
                Code::YamlSyntax,
                format!("invalid YAML: the control character U+{:04X} is not allowed", c as u32),
            )
            .label(Span::new(id, at, at + c.len_utf8()), "here")
            .help("remove it (an editor may not show it); a double-quoted string can hold one as an escape, e.g. `\"\\u001b\"`"),
        );
        return None;
    }
    load_in_pieces(file, id, limits, crate::parallel::threads(), split::MIN_LEN)
        .or_else(|| load_whole(file, id, limits, diags))
}

/// The first character YAML 1.2 does not allow in a stream (`c-printable`), with its offset:
/// a C0 control but tab, line feed and carriage return; DEL; a C1 control but NEL; U+FFFE,
/// U+FFFF. Only ASCII controls and the lead bytes of those characters' encodings are looked
/// at, so a spec is scanned at the speed of a byte search.
fn first_unprintable(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let candidate = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f || b == 0xc2 || b == 0xef;
    let mut from = 0;
    while let Some(found) = bytes[from..].iter().position(|&b| candidate(b)) {
        // A candidate byte is never a continuation byte, so it starts a character.
        let at = from + found;
        let c = text[at..].chars().next()?;
        if matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
            && !matches!(c, '\t' | '\n' | '\r')
        {
            return Some((at, c));
        }
        from = at + 1;
    }
    None
}

/// The file loaded by one parser, with every diagnostic.
fn load_whole(file: &SourceFile, id: FileId, limits: Limits, diags: &mut Diagnostics) -> Option<Node> {
    let mut builder = Builder::new(file, &file.text, 0, id, limits);
    let result = builder.run();
    let failed = builder.diags.has_errors();
    diags.extend(builder.diags);
    match result {
        Ok(()) if !failed => {
            match builder.root {
                Some(root) if !root.is_null() => Some(root),
                _ => {
                    diags.push(
                    Diagnostic::new(Code::EmptySpec, "the spec is empty")
                        .label(Span::new(id, 0, 0), "no YAML document here")
                        .help("start from `genops init`, or write at least `version: genops/v1` and a `system:` section"),
                );
                    None
                }
            }
        }
        _ => None,
    }
}

impl<'a> Builder<'a> {
    /// A builder of `text`, which starts `line_base` lines into `file`.
    fn new(file: &'a SourceFile, text: &'a str, line_base: usize, id: FileId, limits: Limits) -> Builder<'a> {
        Builder {
            file,
            text,
            line_base,
            id,
            limits,
            stack: Vec::new(),
            anchors: HashMap::default(),
            nodes: 0,
            bytes: 0,
            root: None,
            diags: Diagnostics::new(),
        }
    }

    fn offset(&self, marker: &Marker) -> usize {
        self.file.offset_of(marker.line() + self.line_base, marker.col())
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.id, start, end)
    }

    fn run(&mut self) -> Result<(), Abort> {
        let mut parser = Parser::new_from_str(self.text).keep_tags(true);
        let mut documents = 0;
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| self.scan_error(e))?;
            let start = self.offset(&span.start);
            let end = self.offset(&span.end).max(start);
            match event {
                Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        self.diags.push(
                            Diagnostic::new(Code::UnsupportedYaml, "a spec holds exactly one YAML document")
                                .label(self.span(start, end), "a second document starts here")
                                .help("split the documents into separate spec files, or remove the extra `---`"),
                        );
                        return Err(Abort);
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let mut plain = style == ScalarStyle::Plain;
                    if let Some(tag) = tag {
                        plain = self.scalar_tag(&tag, plain, start, end);
                    }
                    self.count(Size { nodes: 1, bytes: text.len() }, self.span(start, end))?;
                    let node = Node {
                        span: self.span(start, end),
                        kind: NodeKind::Scalar(Scalar { text: CompactString::from(text.as_ref()), plain }),
                    };
                    self.finish_node(node, anchor)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    self.collection_tag(tag.as_deref(), "seq", start, end);
                    self.open(Frame::Seq { start, anchor, items: Vec::new() }, start, end)?;
                }
                Event::MappingStart(anchor, tag) => {
                    self.collection_tag(tag.as_deref(), "map", start, end);
                    self.open(
                        Frame::Map { start, anchor, entries: Vec::new(), key: None, merges: Vec::new(), index: None },
                        start,
                        end,
                    )?;
                }
                Event::SequenceEnd | Event::MappingEnd => self.close(end)?,
                Event::Alias(anchor) => {
                    let Some(&(_, size)) = self.anchors.get(&anchor) else {
                        self.diags.push(
                            Diagnostic::new(Code::YamlSyntax, "alias to an unknown anchor")
                                .label(self.span(start, end), "no anchor of this name before here")
                                .help("define the anchor (`&name`) before using it (`*name`)"),
                        );
                        return Err(Abort);
                    };
                    // Counted before it is copied: the copy is what the limits bound.
                    self.count(size, self.span(start, end))?;
                    let mut node = self.anchors[&anchor].0.clone();
                    // The alias stands where it is used: diagnostics about it point here.
                    node.span = self.span(start, end);
                    self.finish_node(node, 0)?;
                }
            }
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, start: usize, end: usize) -> Result<(), Abort> {
        if self.stack.len() >= self.limits.max_depth {
            self.diags.push(
                Diagnostic::new(
                    Code::YamlLimit,
                    format!("the YAML nests deeper than {} levels", self.limits.max_depth),
                )
                .label(self.span(start, end), "too deep here")
                .help("a genops spec needs a few levels of nesting; this file is not a spec"),
            );
            return Err(Abort);
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self, end: usize) -> Result<(), Abort> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (node, anchor) = match frame {
            Frame::Seq { start, anchor, items } => {
                let end = items.last().map_or(end, |n| n.span.end as usize).max(start);
                (Node { span: self.span(start, end), kind: NodeKind::Seq(items) }, anchor)
            }
            Frame::Map { start, anchor, mut entries, merges, .. } => {
                let end = entries.last().map_or(end, |e| e.value.span.end as usize).max(start);
                self.apply_merges(&mut entries, merges);
                (Node { span: self.span(start, end), kind: NodeKind::Map(entries) }, anchor)
            }
        };
        self.count(Size { nodes: 1, bytes: 0 }, node.span)?;
        self.finish_node(node, anchor)
    }

    /// Merge keys: entries of the merged mappings that the mapping does not set itself.
    fn apply_merges(&mut self, entries: &mut Vec<Entry>, merges: Vec<Node>) {
        for merge in merges {
            let sources: Vec<Node> = match merge.kind {
                NodeKind::Map(_) => vec![merge],
                NodeKind::Seq(items) => items,
                NodeKind::Scalar(_) => vec![merge],
            };
            for source in sources {
                match source.kind {
                    NodeKind::Map(merged) => {
                        for entry in merged {
                            if !entries.iter().any(|e| e.key.value == entry.key.value) {
                                entries.push(entry);
                            }
                        }
                    }
                    _ => self.diags.push(
                        Diagnostic::new(
                            Code::UnsupportedYaml,
                            "a merge key (`<<`) takes a mapping or a list of mappings",
                        )
                        .label(source.span, "not a mapping")
                        .help("write `<<: *anchor` where `&anchor` names a mapping"),
                    ),
                }
            }
        }
    }

    /// Adds a node (or an alias's copy of its anchor) to the document's size, refusing it past
    /// the limits.
    fn count(&mut self, size: Size, span: Span) -> Result<(), Abort> {
        self.nodes = self.nodes.saturating_add(size.nodes);
        self.bytes = self.bytes.saturating_add(size.bytes);
        let over = if self.nodes > self.limits.max_nodes {
            format!("{} nodes", self.limits.max_nodes)
        } else if self.bytes > self.limits.max_bytes {
            format!("{} bytes of text", self.limits.max_bytes)
        } else {
            return Ok(());
        };
        self.diags.push(
            Diagnostic::new(Code::YamlLimit, format!("the YAML expands to more than {over}"))
                .label(span, "the limit is reached while reading this")
                .help("aliases (`*name`) that repeat large anchors multiply the document; write the values out or use fewer levels of aliases"),
        );
        Err(Abort)
    }

    fn finish_node(&mut self, node: Node, anchor: usize) -> Result<(), Abort> {
        if anchor != 0 {
            let subtree = size_of(&node);
            self.anchors.insert(anchor, (node.clone(), subtree));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, merges, index, .. }) => match key.take() {
                None => {
                    *key = Some(match node.kind {
                        NodeKind::Scalar(s) => PendingKey::Key(Spanned::new(s.text, node.span), s.plain),
                        _ => {
                            self.diags.push(
                                Diagnostic::new(Code::UnsupportedYaml, "mapping keys must be plain strings")
                                    .label(node.span, "this key is a collection")
                                    .help("use a string as the key"),
                            );
                            PendingKey::Skip
                        }
                    })
                }
                Some(PendingKey::Skip) => {}
                Some(PendingKey::Key(k, plain)) => {
                    if plain && k.value == "<<" {
                        merges.push(node);
                    } else if let Some(first) = find_key(entries, index, &k.value) {
                        self.diags.push(
                            Diagnostic::new(
                                Code::DuplicateKey,
                                format!("duplicate key `{}`", k.value),
                            )
                            .label(k.span, "defined again here")
                            .label(first.key.span, "first defined here")
                            .help("remove one of the two entries; YAML keeps only one of them and tools disagree on which"),
                        );
                    } else {
                        if let Some(index) = index.as_mut() {
                            index.insert(k.value.clone(), entries.len());
                        }
                        entries.push(Entry { key: k, value: node });
                    }
                }
            },
        }
        Ok(())
    }

    /// Core-schema tags: `!!str` makes a scalar a string; others keep it plain. Anything else is refused.
    fn scalar_tag(&mut self, tag: &Tag, plain: bool, start: usize, end: usize) -> bool {
        let core = tag.is_yaml_core_schema() || tag.handle == "!!";
        match (core, tag.suffix.as_str()) {
            (true, "str") => false,
            (true, "int" | "float" | "bool" | "null") => plain,
            _ => {
                self.unsupported_tag(tag, start, end);
                plain
            }
        }
    }

    fn collection_tag(&mut self, tag: Option<&Tag>, kind: &str, start: usize, end: usize) {
        if let Some(tag) = tag {
            let core = tag.is_yaml_core_schema() || tag.handle == "!!";
            if !(core && tag.suffix == kind) {
                self.unsupported_tag(tag, start, end);
            }
        }
    }

    fn unsupported_tag(&mut self, tag: &Tag, start: usize, end: usize) {
        self.diags.push(
            Diagnostic::new(Code::UnsupportedYaml, format!("YAML tag `{}{}` is not supported", tag.handle, tag.suffix))
                .label(self.span(start, end), "tagged here")
                .help("remove the tag; genops reads plain YAML values"),
        );
    }

    fn scan_error(&mut self, error: ScanError) -> Abort {
        let mut at = self.offset(error.marker());
        if error.info().contains("tab") && at > 0 && self.file.text.as_bytes().get(at - 1) == Some(&b'\t') {
            at -= 1;
        }
        let info = error.info();
        let (code, help) = if info.contains("recursion limit") {
            (Code::YamlLimit, "a genops spec needs a few levels of nesting; this file is not a spec")
        } else if info.contains("tab") {
            (Code::YamlSyntax, "indent with spaces: YAML does not allow tabs for indentation")
        } else if info.contains("mapping values are not allowed") {
            (
                Code::YamlSyntax,
                "a value that contains `: ` must be quoted, and nested keys must be indented under their parent",
            )
        } else {
            (Code::YamlSyntax, "check the indentation and the quoting on this line and the one before it")
        };
        let end = (at + 1).min(self.file.text.len()).max(at);
        self.diags
            .push(Diagnostic::new(code, format!("invalid YAML: {info}")).label(self.span(at, end), "here").help(help));
        Abort
    }
}

/// A large file loaded in pieces on several threads ([`split`]) and joined, or `None` when it
/// is not cut, or a piece does not load cleanly, or a key is in two pieces: the file is then
/// loaded whole, which reports whatever is wrong exactly as it always does.
fn load_in_pieces(file: &SourceFile, id: FileId, limits: Limits, runs: usize, min_len: usize) -> Option<Node> {
    let runs = split::runs(&file.text, runs, min_len)?;
    let loaded = crate::parallel::map(runs, |run| {
        run.into_iter().map(|piece| load_piece(file, id, limits, piece)).collect::<Option<Vec<_>>>()
    });
    let mut entries: Vec<Entry> = Vec::new();
    let mut keys: HashSet<CompactString> = HashSet::default();
    let mut start = None;
    let mut nodes = 0usize;
    let mut bytes = 0usize;
    for loaded in loaded.into_iter().collect::<Option<Vec<_>>>()?.into_iter().flatten() {
        nodes = nodes.saturating_add(loaded.nodes);
        bytes = bytes.saturating_add(loaded.bytes);
        if start.is_none() {
            start = loaded.start;
        }
        let more = loaded.entries;
        if loaded.nested {
            // The later entries of the section the last piece opened.
            let section = entries.last_mut()?;
            let NodeKind::Map(opened) = &mut section.value.kind else { return None };
            let mut names: HashSet<&str> = opened.iter().map(|e| e.key.value.as_str()).collect();
            if !more.iter().all(|e| names.insert(e.key.value.as_str())) {
                return None;
            }
            section.value.span.end = more.last()?.value.span.end;
            opened.extend(more);
        } else {
            if !more.iter().all(|e| keys.insert(e.key.value.clone())) {
                return None;
            }
            entries.extend(more);
        }
    }
    if nodes > limits.max_nodes || bytes > limits.max_bytes {
        return None;
    }
    let span = Span { file: id, start: start?, end: entries.last()?.value.span.end };
    Some(Node { span, kind: NodeKind::Map(entries) })
}

/// What one piece holds: top-level entries, or later entries of the section before it.
struct Loaded {
    nested: bool,
    /// Where its mapping starts, for a piece of top-level entries.
    start: Option<u32>,
    entries: Vec<Entry>,
    nodes: usize,
    bytes: usize,
}

/// One piece, loaded as a document of its own, or `None` if anything is reported. A piece of
/// later entries of a section is loaded under a stand-in key for the section
/// ([`split::SECTION`]), and a piece that a key follows in the file with [`split::NEXT`] in
/// place of that key, at its indentation: the parser then sees what it sees in the whole file
/// around every entry of the piece, so each node ends where it ends there. The stand-ins are
/// taken out again.
fn load_piece(file: &SourceFile, id: FileId, limits: Limits, piece: Piece) -> Option<Loaded> {
    let body = file.text.get(piece.start..piece.end)?;
    let mut text = String::with_capacity(body.len() + split::SECTION.len() + split::NEXT.len() + 16);
    if piece.nested {
        text.push_str(split::SECTION);
        text.push_str(":\n");
    }
    text.push_str(body);
    if let Some(indent) = piece.next {
        text.extend(std::iter::repeat_n(' ', indent));
        text.push_str(split::NEXT);
        text.push_str(":\n");
    }
    // The stand-in section key takes the line before the piece.
    let mut builder = Builder::new(file, &text, piece.line - usize::from(piece.nested), id, limits);
    let result = builder.run();
    if result.is_err() || !builder.diags.is_empty() {
        return None;
    }
    let root = builder.root?;
    let root_start = root.span.start;
    let NodeKind::Map(mut root) = root.kind else { return None };
    // The stand-in for the next key: at the top, or in the section the piece ends in.
    match piece.next {
        Some(0) => root.pop().filter(|e| e.key.value == split::NEXT).map(|_| ())?,
        Some(_) => match &mut root.last_mut()?.value.kind {
            NodeKind::Map(section) => section.pop().filter(|e| e.key.value == split::NEXT).map(|_| ())?,
            _ => return None,
        },
        None => {}
    }
    let (entries, start) = if piece.nested {
        let [section] = <[Entry; 1]>::try_from(root).ok()?;
        match section.value.kind {
            NodeKind::Map(entries) if section.key.value == split::SECTION => (entries, None),
            _ => return None,
        }
    } else {
        (root, Some(root_start))
    };
    if entries.is_empty() {
        return None;
    }
    Some(Loaded { nested: piece.nested, start, entries, nodes: builder.nodes, bytes: builder.bytes })
}

/// Mappings up to this size are searched linearly; larger ones get a hash index.
const INDEX_FROM: usize = 32;

/// The entry already holding `key`, if any.
fn find_key<'e>(
    entries: &'e [Entry],
    index: &mut Option<HashMap<CompactString, usize>>,
    key: &str,
) -> Option<&'e Entry> {
    if index.is_none() && entries.len() >= INDEX_FROM {
        *index = Some(entries.iter().enumerate().map(|(i, e)| (e.key.value.clone(), i)).collect());
    }
    match index {
        Some(index) => index.get(key).map(|&i| &entries[i]),
        None => entries.iter().find(|e| e.key.value == key),
    }
}

/// How much of the document a node is: nodes, and bytes of scalar text.
#[derive(Clone, Copy, Debug, Default)]
struct Size {
    nodes: usize,
    bytes: usize,
}

impl std::ops::Add for Size {
    type Output = Size;
    fn add(self, other: Size) -> Size {
        Size { nodes: self.nodes.saturating_add(other.nodes), bytes: self.bytes.saturating_add(other.bytes) }
    }
}

fn size_of(node: &Node) -> Size {
    let one = Size { nodes: 1, bytes: 0 };
    match &node.kind {
        NodeKind::Scalar(s) => Size { nodes: 1, bytes: s.text.len() },
        NodeKind::Seq(items) => items.iter().map(size_of).fold(one, |a, b| a + b),
        NodeKind::Map(entries) => entries
            .iter()
            .map(|e| Size { nodes: 1, bytes: e.key.value.len() } + size_of(&e.value))
            .fold(one, |a, b| a + b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;

    fn parse(text: &str) -> (Option<Node>, Vec<Code>, SourceMap) {
        let mut sources = SourceMap::new();
        let id = sources.add("t.yaml", text);
        let mut diags = Diagnostics::new();
        let node = load(sources.get(id), id, Limits::for_len(text.len()), &mut diags);
        let codes = diags.into_sorted().iter().map(|d| d.code).collect();
        (node, codes, sources)
    }

    #[test]
    fn spans_point_at_values() {
        let (node, codes, sources) = parse("a:\n  b: héllo\n  c: [1, 2]\n");
        assert!(codes.is_empty());
        let node = node.unwrap();
        let b = node.get("a").unwrap().get("b").unwrap();
        assert_eq!(sources.text(b.span), "héllo");
        let (line, col) = sources.get(b.span.file).line_col(b.span.start);
        assert_eq!((line, col), (2, 6));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let (_, codes, _) = parse("a: 1\nb: 2\na: 3\n");
        assert_eq!(codes, vec![Code::DuplicateKey]);
    }

    #[test]
    fn merge_keys_fill_in_missing_entries() {
        let (node, codes, _) = parse("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n");
        assert!(codes.is_empty(), "{codes:?}");
        let used = node.unwrap();
        let used = used.get("use").unwrap();
        assert_eq!(used.get("x").unwrap().as_scalar().unwrap().text, "1");
        assert_eq!(used.get("y").unwrap().as_scalar().unwrap().text, "3");
    }

    #[test]
    fn alias_bombs_stop_at_the_node_limit() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                p = i - 1
            ));
        }
        let (node, codes, _) = parse(&text);
        assert!(node.is_none());
        assert_eq!(codes, vec![Code::YamlLimit]);
    }

    /// One long scalar aliased thousands of times is a few nodes but gigabytes of text.
    #[test]
    fn a_long_scalar_aliased_many_times_stops_at_the_byte_limit() {
        let mut text = format!("a: &a {}\nb: [", "x".repeat(100_000));
        text.push_str(&vec!["*a"; 3000].join(", "));
        text.push_str("]\n");
        let (node, codes, _) = parse(&text);
        assert!(node.is_none());
        assert_eq!(codes, vec![Code::YamlLimit]);
    }

    /// Finding 7 of #25: raw control characters were accepted, and reached a terminal.
    #[test]
    fn raw_control_characters_are_refused_where_they_are() {
        for (text, at) in
            [("a: \"x\u{1b}[1Ay\"\n", 5), ("a: 1\nb: x\u{7}\n", 9), ("é: \u{9b}\n", 4), ("a: \u{ffff}", 3)]
        {
            let (node, codes, sources) = parse(text);
            assert!(node.is_none(), "{text:?}");
            assert_eq!(codes, vec![Code::YamlSyntax], "{text:?}");
            assert_eq!(first_unprintable(&sources.get(FileId(0)).text).map(|(at, _)| at), Some(at), "{text:?}");
        }
        for text in ["a: \"tab\there\"\r\nb: \"\\e[1A\"\n", "a: é\u{85}\u{a0}£ 日本 \u{202e}x\n"] {
            let (_, codes, _) = parse(text);
            assert!(codes.is_empty(), "{text:?}: {codes:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let (node, codes, _) = parse(&text);
        assert!(node.is_none());
        assert_eq!(codes, vec![Code::YamlLimit]);
    }

    #[test]
    fn empty_and_multi_document_files() {
        assert_eq!(parse("").1, vec![Code::EmptySpec]);
        assert_eq!(parse("# only a comment\n").1, vec![Code::EmptySpec]);
        assert_eq!(parse("a: 1\n---\nb: 2\n").1, vec![Code::UnsupportedYaml]);
    }

    /// A large file loaded in pieces is the file loaded whole: the same tree, spans included,
    /// however many pieces; and a file whose pieces do not load cleanly on their own is
    /// loaded whole, with the diagnostics of a whole load.
    #[test]
    fn pieces_load_as_the_whole_file() {
        let mut texts: Vec<String> = [1, 400, 700].iter().map(|&n| crate::synth::generate(n).spec).collect();
        for example in ["support-assistant", "coding-assistant", "clinical-triage"] {
            let path = format!("{}/examples/{example}/genops.yaml", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).expect("example");
            // Long enough to be cut: the example, then many more routes written in its style.
            let mut long = text.clone();
            long.push_str("\n# more\n");
            texts.push(long.replacen("routes:\n", &format!("routes:\n{}", padding_routes(4000)), 1));
            texts.push(text);
        }
        // Entries that end in kept block scalars and comments, in CRLF, with non-ASCII text.
        let odd: String = (0..4000)
            .map(|i| format!("  odd-{i}:\n    description: |+\n      héllo {i}\n\n# note {i}\n    # indented note\n"))
            .collect();
        texts.push(format!("version: v\nroutes:\n{odd}slos:\n{}", padding_routes(100)));
        texts.push(format!("version: v\nroutes:\n{odd}").replace('\n', "\r\n"));
        let mut cut = 0;
        for text in &texts {
            let mut sources = SourceMap::new();
            let id = sources.add("t.yaml", text.as_str());
            let file = sources.get(id);
            let limits = Limits::for_len(text.len());
            let mut diags = Diagnostics::new();
            let whole = load_whole(file, id, limits, &mut diags).map(|n| format!("{n:?}"));
            for runs in 2..6 {
                if let Some(pieces) = load_in_pieces(file, id, limits, runs, split::MIN_LEN) {
                    cut += 1;
                    let (a, b) = (format!("{pieces:?}"), whole.clone().unwrap_or_default());
                    if a != b {
                        let at = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
                        let from = at.saturating_sub(400);
                        panic!(
                            "{runs} runs differ at {at}:\npieces: {}\nwhole:  {}",
                            &a[from..(at + 200).min(a.len())],
                            &b[from..(at + 200).min(b.len())]
                        );
                    }
                }
            }
        }
        assert!(cut >= 28, "only {cut} loads were cut");
    }

    fn padding_routes(n: usize) -> String {
        (0..n)
            .map(|i| format!("  pad-{i}:\n    path: /pad/{i}\n    model: m\n    description: >\n      padding\n\n"))
            .collect()
    }

    /// What cannot be cut safely is loaded whole, and reports as a whole load does.
    #[test]
    fn pieces_that_do_not_load_alone_fall_back_to_the_whole_file() {
        let routes = padding_routes(4000);
        let cases = [
            // An anchor in one piece, its alias in another.
            format!("version: v\nanchors: &a {{ x: 1 }}\nroutes:\n{routes}slos:\n  s: *a\n"),
            // A key in two pieces.
            format!("version: v\nroutes:\n{routes}slos: {{}}\nroutes: {{}}\n"),
            // An entry in two pieces of one section.
            format!("version: v\nroutes:\n  pad-3999: {{}}\n{routes}slos: {{}}\n"),
            // A flow mapping cut in two.
            format!("version: v\nroutes: {{ a: 1,\nb: 2 }}\nslos:\n{routes}"),
            // A syntax error late in the file.
            format!("version: v\nroutes:\n{routes}slos: [1, 2\n"),
        ];
        for text in &cases {
            let mut sources = SourceMap::new();
            let id = sources.add("t.yaml", text.as_str());
            let file = sources.get(id);
            let limits = Limits::for_len(text.len());
            assert!(split::runs(text, 2, split::MIN_LEN).is_some(), "the case must be one that is cut");
            let (mut a, mut b) = (Diagnostics::new(), Diagnostics::new());
            let whole = load_whole(file, id, limits, &mut a).map(|n| format!("{n:?}"));
            let loaded = load(file, id, limits, &mut b).map(|n| format!("{n:?}"));
            assert_eq!(loaded, whole);
            assert_eq!(format!("{:?}", b.into_sorted()), format!("{:?}", a.into_sorted()));
        }
    }

    /// A spec-like text: top-level sections, most of them mappings of entries written in
    /// every style a spec uses (and some it should not), comments between them, and now and
    /// then a line of [`ODD`] that may make the file invalid.
    fn spec_like(sections: &[(usize, Vec<(usize, bool)>)], odd: &[(usize, usize)]) -> String {
        let mut lines: Vec<String> = Vec::new();
        let mut n = 0;
        for (s, (kind, entries)) in sections.iter().enumerate() {
            match kind % 4 {
                0 => lines.push(format!("s{s}: v{s}")),
                1 => lines.push(format!("s{s}: {{ a: 1, b: [x, y] }}")),
                2 => {
                    lines.push(format!("s{s}:"));
                    lines.extend(entries.iter().map(|(e, _)| format!("  - item {e}")));
                }
                _ => {
                    lines.push(format!("s{s}:"));
                    for (e, comment) in entries {
                        n += 1;
                        if *comment {
                            lines.push(if n % 2 == 0 { "# a comment".into() } else { "  # a comment".into() });
                        }
                        lines.extend(
                            ENTRIES[e % ENTRIES.len()]
                                .iter()
                                .map(|l| l.replace('N', &n.to_string()).replace('P', &(n / 2).to_string())),
                        );
                    }
                }
            }
        }
        for &(at, which) in odd {
            let at = at % (lines.len() + 1);
            lines.insert(at, ODD[which % ODD.len()].to_string());
        }
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    /// Entries of a section as a spec writes them (`N`: a number of its own, `P`: an earlier one).
    const ENTRIES: &[&[&str]] = &[
        &["  eN: v"],
        &["  eN:", "    f: v", "    g: [1, 2]"],
        &["  eN:", "    d: |+", "      kept", "", ""],
        &["  eN: >-", "    folded", "    text"],
        &["  eN: &aN { x: 1 }"],
        &["  eN: *aP"],
        &["  eN: \"quoted", "    across lines\""],
        &["  eN: { a: 1,", "    b: 2 }"],
        &["  eN:", "  - item", "  - item"],
        &["  eN: plain", "    continued"],
        &["  eN:", "    d: |", "      text", "", "    e: after"],
    ];

    /// Lines that do not belong where they land.
    const ODD: &[&str] = &[
        "---",
        "- item",
        "\tk: v",
        " k: v",
        "   k: v",
        "b: 2 }",
        "  2]",
        "? k",
        ": v",
        "<<: *a1",
        "...",
        "%YAML 1.2",
        "key:value",
    ];

    proptest::proptest! {
        /// However a spec-like text is cut, when its pieces load cleanly the whole file loads
        /// cleanly to the same tree, spans included.
        #[test]
        fn any_cut_that_loads_is_the_whole_load(
            sections in proptest::collection::vec((0usize..4, proptest::collection::vec((0usize..64, proptest::bool::weighted(0.2)), 1..12)), 1..8),
            odd in proptest::collection::vec((0usize..1000, 0usize..64), 0..2),
            runs in 2usize..5,
        ) {
            let text = spec_like(&sections, &odd);
            let mut sources = SourceMap::new();
            let id = sources.add("t.yaml", text.as_str());
            let file = sources.get(id);
            let limits = Limits::for_len(text.len());
            if let Some(pieces) = load_in_pieces(file, id, limits, runs, 0) {
                let mut diags = Diagnostics::new();
                let whole = load_whole(file, id, limits, &mut diags);
                proptest::prop_assert!(!diags.has_errors(), "{text}");
                proptest::prop_assert_eq!(Some(format!("{pieces:?}")), whole.map(|n| format!("{n:?}")), "{}", text);
            }
        }
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let (_, codes, _) = parse("a: [1, 2\nb: 3\n");
        assert_eq!(codes, vec![Code::YamlSyntax]);
    }
}
