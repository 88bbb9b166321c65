//! Markdown for text that comes from the spec, and the layout pass every runbook goes through.
//!
//! A spec string (a description, an e-mail address, a tag, a model id) may contain anything:
//! `*`, `_`, `[`, `<`, `|`, backticks, a leading `#` or `1.`, a URL, a newline. [`escape`]
//! makes it plain inline text wherever a template puts it — in a paragraph, a list item, a
//! heading or a table cell — by collapsing whitespace to single spaces and backslash-escaping
//! every character that could open or close Markdown syntax (CommonMark allows a backslash
//! before any ASCII punctuation). [`code`] makes it a code span whose fence is longer than any
//! run of backticks inside. [`reflow`] wraps long prose lines at 80 columns without ever
//! starting a line with something that would open a block.

/// ASCII punctuation that is escaped wherever it stands: emphasis, links, HTML, code, tables,
/// strikethrough, entities, heading markers, and `@`, which GFM turns into a mail link.
const ALWAYS: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&', '#', '@', '!', '$'];

/// Runs of whitespace and control characters become one space.
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

/// [`squeeze`], and the ends trimmed.
fn collapse(text: &str) -> String {
    squeeze(text).trim().to_string()
}

/// Whether [`escape`] leaves `text` as it is: ASCII without a character that is always
/// escaped, a control character or a run of spaces, not starting like a block (`-`, `+`, `=`,
/// `1.`, `1)`), and without a URL (`://`, `www.`). Most of what the runbooks print (names,
/// numbers, versions, durations) is; it is copied without looking at each character twice.
pub fn is_plain(text: &str) -> bool {
    let b = text.as_bytes();
    // Every byte printable ASCII and not always escaped; then, over pairs of bytes, no two
    // spaces in a row, and no `:/` or `w.` that could begin or end a URL (`://`, `www.` in any
    // case: looked at closely only when such a pair is there). Folds without an early exit:
    // most texts are plain, and the loops stay branch-free.
    if b.iter().fold(false, |bad, &c| bad | !PLAIN_BYTE[c as usize]) {
        return false;
    }
    if two_spaces(b) {
        return false;
    }
    let maybe_url =
        pairs(b).fold(false, |url, (c, d)| url | ((c == b':') & (d == b'/')) | (((c | 0x20) == b'w') & (d == b'.')));
    let url = |i: usize| match b[i] {
        b'/' => i >= 1 && b[i - 1] == b':' && b.get(i + 1) == Some(&b'/'),
        b'.' => i >= 3 && b[i - 3..i].eq_ignore_ascii_case(b"www"),
        _ => false,
    };
    if maybe_url && (0..b.len()).any(url) {
        return false;
    }
    let start = b.iter().take_while(|&&c| c == b' ').count();
    if matches!(b.get(start), Some(b'-' | b'+' | b'=')) {
        return false;
    }
    let digits = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
    let list_marker = digits > 0
        && matches!(b.get(start + digits), Some(b'.' | b')'))
        && matches!(b.get(start + digits + 1), None | Some(b' '));
    !list_marker
}

/// Each byte of `b` with the next one.
fn pairs(b: &[u8]) -> impl Iterator<Item = (u8, u8)> + '_ {
    b.iter().copied().zip(b.get(1..).unwrap_or_default().iter().copied())
}

/// Whether `b` has two spaces in a row: a fold over its pairs of bytes, without an early exit
/// (most texts have none, and the loop stays branch-free).
fn two_spaces(b: &[u8]) -> bool {
    pairs(b).fold(false, |two, (c, d)| two | ((c == b' ') & (d == b' ')))
}

/// The bytes [`is_plain`] lets through: printable ASCII other than [`ALWAYS`].
const PLAIN_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0x20;
    while c < 0x7f {
        table[c] = true;
        c += 1;
    }
    let mut i = 0;
    while i < ALWAYS.len() {
        table[ALWAYS[i] as usize] = false;
        i += 1;
    }
    table
};

/// Spec text as inline Markdown that renders as exactly that text, whitespace squeezed to
/// single spaces (a leading or trailing space is kept: templates join words with them).
pub fn escape(text: &str) -> String {
    if is_plain(text) { text.to_string() } else { escape_all(text) }
}

/// [`escape`] character by character.
fn escape_all(text: &str) -> String {
    let text = squeeze(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    // Where a line would start if the text began one.
    let start = chars.iter().take_while(|c| **c == ' ').count();
    // Digits at the start followed by `.` or `)` would make an ordered list item.
    let leading_digits = chars[start..].iter().take_while(|c| c.is_ascii_digit()).count();
    let ends_marker = |i: usize| chars.get(i + 1).is_none_or(|n| *n == ' ');
    for (i, &c) in chars.iter().enumerate() {
        // At the start of a line: a list item (`- `, `+ `, `1. `), a thematic break (`---`),
        // a setext underline (`===`).
        let line_start = i == start
            && match c {
                '-' => ends_marker(i) || chars.get(i + 1) == Some(&'-'),
                '+' => ends_marker(i),
                '=' => chars[start..].iter().all(|c| *c == '=' || *c == ' '),
                _ => false,
            };
        let escape = ALWAYS.contains(&c)
            || line_start
            || (leading_digits > 0 && i == start + leading_digits && matches!(c, '.' | ')') && ends_marker(i))
            // `https://…` and `www.…` would become links (and bare URLs to a linter).
            || (c == ':' && chars[i + 1..].starts_with(&['/', '/']))
            || (c == '.' && i >= 3 && chars[i - 3..i].iter().collect::<String>().eq_ignore_ascii_case("www")
                && (i == 3 || !chars[i - 4].is_alphanumeric()));
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Spec text as a code span: the fence is one backtick longer than the longest run inside, and
/// a space pads text that starts or ends with a backtick. For a table cell use [`code_cell`].
pub fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    code_into(&mut out, text);
    out
}

/// [`code`], written at the end of `out`.
pub fn code_into(out: &mut String, text: &str) {
    // Printable ASCII without a backtick, a run of spaces or a space at either end is its own
    // content in a one-backtick span (most names, ids, paths and Terraform addresses).
    let b = text.as_bytes();
    let simple = !b.is_empty()
        && b[0] != b' '
        && b[b.len() - 1] != b' '
        && !b.iter().fold(false, |bad, &c| bad | !(0x20..0x7f).contains(&c) | (c == b'`'))
        && !two_spaces(b);
    if simple {
        out.push('`');
        out.push_str(text);
        out.push('`');
    } else {
        out.push_str(&code_all(text));
    }
}

/// [`code`] for any text: whitespace collapsed, the fence longer than any run of backticks.
fn code_all(text: &str) -> String {
    let text = collapse(text);
    if text.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A code span inside a GFM table cell: `|` ends the cell even inside code, so it is escaped
/// (GFM removes that backslash before the code span is read).
pub fn code_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    code_cell_into(&mut out, text);
    out
}

/// [`code_cell`], written at the end of `out`.
pub fn code_cell_into(out: &mut String, text: &str) {
    if !text.contains('|') {
        return code_into(out, text);
    }
    out.push_str(&code(text).replace('|', "\\|"));
}

/// The longest line [`reflow`] leaves, markdownlint's default (MD013).
pub const WIDTH: usize = 80;

/// Wraps paragraph and list-item lines longer than [`WIDTH`] at spaces. Headings, tables, code
/// blocks, HTML comments and blank lines are left alone. A continuation line is indented to the
/// list item's content and never starts with a character that would begin a new block (a list
/// marker, `#`, `>`, `=`, a fence, an ordered-list number, `<`, `|`).
/// Trailing whitespace is removed and runs of blank lines become one (templates that leave
/// out an optional part leave blank lines behind), except inside fenced code.
pub fn reflow(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    reflow_into(&mut out, text);
    out
}

/// [`reflow`], appended to `out`.
pub fn reflow_into(out: &mut String, text: &str) {
    Reflow::default().lines(out, text);
}

/// What [`reflow`] carries from one line to the next: the fence of an open code block, whether
/// the last line was blank, and the ordered lists being numbered.
#[derive(Default)]
struct Reflow {
    fence: Option<String>,
    blank: bool,
    /// Ordered lists being numbered: (indent of the marker, next number).
    lists: Vec<(usize, u64)>,
}

impl Reflow {
    /// Reflows the lines of `text` into `out`.
    fn lines(&mut self, out: &mut String, text: &str) {
        for line in text.split_inclusive('\n') {
            self.line(out, line);
        }
    }

    /// Reflows one line (with its newline, if it has one) into `out`.
    fn line(&mut self, out: &mut String, line: &str) {
        let body = line.strip_suffix('\n').unwrap_or(line).trim_end();
        let newline = if line.ends_with('\n') { "\n" } else { "" };
        let mut body = std::borrow::Cow::Borrowed(body);
        if self.fence.is_none() {
            if body.is_empty() && self.blank {
                return;
            }
            self.blank = body.is_empty();
            if !self.blank {
                body = renumber(body, &mut self.lists);
            }
        }
        let body = body.as_ref();
        let trimmed = body.trim_start();
        let as_is = if let Some(open) = &self.fence {
            if trimmed.starts_with(open.as_str()) {
                self.fence = None;
            }
            true
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let marker: String = trimmed.chars().take_while(|c| *c == '`' || *c == '~').collect();
            self.fence = Some(marker);
            true
        } else {
            // A line of at most WIDTH bytes has at most WIDTH characters; tables, headings
            // and comments are never wrapped, so their characters need no counting.
            body.len() <= WIDTH
                || trimmed.starts_with('|')
                || trimmed.starts_with('#')
                || trimmed.starts_with("<!--")
                || body.chars().count() <= WIDTH
        };
        if as_is {
            out.push_str(body);
        } else {
            wrap_into(out, body);
        }
        out.push_str(newline);
    }
}

/// Numbers ordered-list items 1, 2, 3 … in order, whatever the template wrote (an item a
/// template left out leaves no gap). A line less indented than a list's content ends it.
fn renumber<'a>(line: std::borrow::Cow<'a, str>, lists: &mut Vec<(usize, u64)>) -> std::borrow::Cow<'a, str> {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let item = digits > 0 && digits < 10 && (rest[digits..].starts_with(". ") || rest[digits..].starts_with(") "));
    if !item {
        // Text at or left of a list's marker ends it; more indented text continues an item.
        lists.retain(|(at, _)| *at < indent);
        return line;
    }
    lists.retain(|(at, _)| *at <= indent);
    let number = match lists.last_mut() {
        Some((at, next)) if *at == indent => {
            *next += 1;
            *next - 1
        }
        _ => {
            let written: u64 = rest[..digits].parse().unwrap_or(1);
            lists.push((indent, written + 1));
            written
        }
    };
    std::borrow::Cow::Owned(format!("{}{number}{}", &line[..indent], &rest[digits..]))
}

/// The indentation of a line's continuation: the content column of a list item, else the
/// line's own indentation.
fn continuation_indent(line: &str) -> usize {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    if rest.starts_with("- ") || rest.starts_with("* ") || rest.starts_with("+ ") {
        return indent + 2;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && (rest[digits..].starts_with(". ") || rest[digits..].starts_with(") ")) {
        return indent + digits + 2;
    }
    indent
}

/// Whether a word at the start of a line would open a block instead of continuing text
/// (conservatively: a word of only `-` is a list marker or a thematic break either way).
fn opens_block(word: &str) -> bool {
    let first = word.chars().next().unwrap_or(' ');
    let all = |c: char| word.chars().all(|x| x == c);
    match first {
        '-' | '+' | '*' | '_' | '=' => all(first),
        '#' => all('#') && word.len() <= 6,
        '>' | '<' | '|' => true,
        '`' => word.starts_with("```"),
        '~' => word.starts_with("~~~"),
        _ => {
            let digits = word.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && digits < 10 && word.len() == digits + 1 && matches!(word.as_bytes()[digits], b'.' | b')')
        }
    }
}

/// The words of `text`: `text.split(' ').filter(|w| !w.is_empty())`, found byte by byte (words
/// are short: a loop is cheaper than a search call per word).
fn words(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while bytes.get(at) == Some(&b' ') {
            at += 1;
        }
        let start = at;
        while bytes.get(at).is_some_and(|b| *b != b' ') {
            at += 1;
        }
        // Cut at spaces (ASCII), the slice is on character boundaries.
        (at > start).then(|| &text[start..at])
    })
}

fn wrap_into(out: &mut String, line: &str) {
    let lead = line.len() - line.trim_start().len();
    let indent = continuation_indent(line);
    // Widths in characters; in an ASCII line, bytes.
    let ascii = line.is_ascii();
    let width_of = |text: &str| if ascii { text.len() } else { text.chars().count() };
    let mut words = words(&line[lead..]);
    let mut current = String::with_capacity(2 * WIDTH);
    current.push_str(&line[..lead]);
    current.push_str(words.next().unwrap_or_default());
    if indent != lead {
        // A list item: its marker and first word stay together.
        if let Some(word) = words.next() {
            current.push(' ');
            current.push_str(word);
        }
    }
    // The current line's width in characters, kept as words are added.
    let mut width = width_of(&current);
    // Where the words of the current line start (after the indent and a list marker).
    let mut first_word = current.len();
    for word in words {
        let word_width = width_of(word);
        if width + 1 + word_width <= WIDTH {
            current.push(' ');
            current.push_str(word);
            width += 1 + word_width;
            continue;
        }
        if !opens_block(word) {
            out.push_str(current.trim_end());
            out.push('\n');
            current.clear();
            current.extend(std::iter::repeat_n(' ', indent));
            current.push_str(word);
            width = indent + word_width;
            first_word = indent;
            continue;
        }
        // The word may not start a line: the words before it move down with it, as many as it
        // takes for the new line to start with a word that may.
        let mut split = current.rfind(' ').filter(|at| *at > first_word);
        while let Some(at) = split {
            if !opens_block(&current[at + 1..]) && !opens_block(current[at + 1..].split(' ').next().unwrap_or("")) {
                break;
            }
            split = current[..at].rfind(' ').filter(|at| *at > first_word);
        }
        match split {
            Some(at) => {
                let carried = current[at + 1..].to_string();
                out.push_str(current[..at].trim_end());
                out.push('\n');
                current.clear();
                current.extend(std::iter::repeat_n(' ', indent));
                current.push_str(&carried);
                current.push(' ');
                current.push_str(word);
                width = width_of(&current);
                first_word = indent;
            }
            None => {
                current.push(' ');
                current.push_str(word);
                width += 1 + word_width;
            }
        }
    }
    out.push_str(current.trim_end());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

    /// The text a CommonMark + GFM-tables renderer shows for a document, and whether it saw
    /// anything but plain text (a link, emphasis, HTML, a list …).
    fn rendered(markdown: &str) -> (String, Vec<String>) {
        let mut text = String::new();
        let mut structure = Vec::new();
        for event in Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
            match event {
                Event::Text(t) | Event::Code(t) => text.push_str(&t),
                Event::SoftBreak => text.push(' '),
                Event::Start(Tag::Paragraph | Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell)
                | Event::End(
                    TagEnd::Paragraph | TagEnd::Table | TagEnd::TableHead | TagEnd::TableRow | TagEnd::TableCell,
                ) => {}
                other => structure.push(format!("{other:?}")),
            }
        }
        (text, structure)
    }

    fn plain_paragraph(escaped: &str) -> String {
        let (text, structure) = rendered(escaped);
        assert!(structure.is_empty(), "{escaped:?} rendered as {structure:?}");
        text
    }

    #[test]
    fn hostile_text_renders_as_itself() {
        for s in [
            "*bold* _it_ `code` [link](https://x.example) <b>html</b> &amp; | pipe ~~gone~~",
            "# heading",
            "- item",
            "+ item",
            "1. first",
            "12) twelve",
            "> quote",
            "=== setext",
            "===",
            "---",
            "- ",
            "1.",
            "99.9% of 1.5s",
            "ops+${x}@example.com",
            "see https://auth.example.com/jwks and www.example.com",
            "back\\slash at the end \\",
            "![img](x.png)",
            "line\nbreak\ttab\r\n  indented",
            "Équipe données — 数据 🚀",
        ] {
            assert_eq!(plain_paragraph(&escape(s)), collapse(s), "{s:?}");
        }
    }

    #[test]
    fn code_spans_hold_any_backticks() {
        for s in ["plain", "a`b", "``x``", "`start", "end`", "a | b"] {
            let span = code(s);
            let (text, structure) = rendered(&span);
            assert!(structure.is_empty(), "{span}: {structure:?}");
            assert_eq!(text, s, "{span}");
        }
    }

    #[test]
    fn table_cells_keep_their_columns() {
        let doc = format!("| a | b |\n| --- | --- |\n| {} | {} |\n", code_cell("x | y"), escape("p | q \\ r"));
        let cells: Vec<String> = {
            let mut cells = Vec::new();
            let mut current = None::<String>;
            for event in Parser::new_ext(&doc, Options::ENABLE_TABLES) {
                match event {
                    Event::Start(Tag::TableCell) => current = Some(String::new()),
                    Event::End(TagEnd::TableCell) => cells.extend(current.take()),
                    Event::Text(t) | Event::Code(t) => {
                        if let Some(c) = current.as_mut() {
                            c.push_str(&t);
                        }
                    }
                    _ => {}
                }
            }
            cells
        };
        assert_eq!(cells, vec!["a", "b", "x | y", "p | q \\ r"]);
    }

    #[test]
    fn reflow_wraps_prose_and_list_items_only() {
        let long = "word ".repeat(30).trim_end().to_string();
        let doc = format!("# {long}\n\n{long}\n\n- {long}\n\n| {long} |\n\n```sh\n{long}\n```\n");
        let out = reflow(&doc);
        for line in out.lines() {
            let table_or_code_or_heading =
                line.starts_with('|') || line.starts_with('#') || line.starts_with("word word");
            assert!(line.chars().count() <= WIDTH || table_or_code_or_heading, "{line:?}");
        }
        assert!(out.contains("\n  word"), "list continuation is indented:\n{out}");
        assert!(out.contains(&format!("```sh\n{long}\n```")), "code blocks are left alone");
    }

    /// A document reflowed in pieces of whole lines is the whole document trimmed and
    /// reflowed, with a final newline: blank lines at either end dropped (in a code block
    /// too), the first line's indentation dropped, blank lines inside kept as the reflow keeps
    /// them, fences and numbered lists carried across pieces.
    #[test]
    fn reflow_never_starts_a_line_with_a_block_marker() {
        let line = format!("{} - + # > 1. = x end", "aaaa ".repeat(15));
        let out = reflow(&line);
        for l in out.lines().skip(1) {
            assert!(!opens_block(l.trim_start()), "{l:?} in\n{out}");
        }
        assert_eq!(plain_paragraph(&out).split_whitespace().count(), line.split_whitespace().count());
    }

    #[test]
    fn plain_text_is_recognised() {
        for plain in ["route-17", "99.5%", "1.1.0", "0.995", "cohere.command-r-08-2024", "3.6 hours", "a (b)", "x.1)"] {
            assert!(is_plain(plain), "{plain}");
        }
        for not in ["- x", "+ x", "=", "1. x", "12)", "a  b", "a\tb", "see https://x", "www.x", "a_b", "é", " -x"] {
            assert!(!is_plain(not), "{not}");
        }
    }

    proptest! {
        /// The shortcut for plain text gives what the general escape gives.
        #[test]
        fn the_plain_shortcut_agrees_with_the_general_escape(
            s in "[ -~]{0,40}|(|1|12| 3| |-|\\+|=|www|wWw|x://)[0-9 .)/:w+=-]{0,6}[a-z0-9 .:/()%w+=-]{0,12}"
        ) {
            if is_plain(&s) {
                prop_assert_eq!(escape_all(&s), s.clone());
                if !s.is_empty() && !s.starts_with(' ') && !s.ends_with(' ') {
                    prop_assert_eq!(code(&s), code_all(&s));
                }
            }
        }

        /// The shortcut of `code` for simple text gives what the general code span gives.
        #[test]
        fn the_code_shortcut_agrees_with_the_general_code_span(s in "[ -~]{0,30}|\\PC{0,20}|[a-z_`| ]{0,12}") {
            prop_assert_eq!(code(&s), code_all(&s));
            prop_assert_eq!(code_cell(&s), code_all(&s).replace('|', "\\|"));
        }

        #[test]
        fn any_text_escapes_to_plain_text(s in "\\PC{0,60}") {
            let escaped = escape(&s);
            let (text, structure) = rendered(&escaped);
            prop_assert!(structure.is_empty(), "{:?} -> {:?}: {:?}", s, escaped, structure);
            prop_assert_eq!(text, collapse(&s));
        }

        #[test]
        fn any_text_survives_reflow_in_a_list_item(s in "[a-z#>|*+=1.`\\- ]{0,300}") {
            let item = format!("- {}\n", escape(&s));
            let (before, _) = rendered(&item);
            let (after, structure) = rendered(&reflow(&item));
            prop_assert_eq!(before, after);
            prop_assert!(structure.iter().filter(|e| e.contains("Item")).count() <= 2, "{:?}", structure);
        }

        /// The wrap finds words byte by byte and measures an ASCII line in bytes: the words are
        /// those of splitting at spaces, and prose of wide characters is measured in characters
        /// (every wrapped line within the width, and as full as the next word allows).
        #[test]
        fn words_and_widths_are_those_of_characters(s in "[a-z ]{0,200}|[aéжß漢 ]{0,200}|[aé€𝄞 ]{0,100}|[ -~]{0,200}") {
            let expected: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
            prop_assert_eq!(words(&s).collect::<Vec<_>>(), expected);
            if s.chars().all(|c| c == ' ' || c.is_alphabetic()) {
                let text = reflow(&s);
                let lines: Vec<&str> = text.lines().collect();
                for (i, line) in lines.iter().enumerate() {
                    let width = line.chars().count();
                    prop_assert!(width <= WIDTH, "{:?}", line);
                    let next = lines.get(i + 1).and_then(|l| l.split(' ').find(|w| !w.is_empty()));
                    prop_assert!(next.is_none_or(|w| width + 1 + w.chars().count() > WIDTH), "{:?}", text);
                }
            }
        }
    }
}
