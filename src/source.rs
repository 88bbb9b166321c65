//! Source texts and spans.
//!
//! In: the text of the spec and of every file it references (prompts, datasets).
//! Out: a [`SourceMap`] that owns them, [`FileId`]s that name them, and [`Span`]s
//! (a file plus a byte range) that every later stage carries so that a diagnostic
//! can point at the exact line and column of the YAML node it is about.

use std::fmt;

/// Names one text held by a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file; `start..end`, end exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: start.min(u32::MAX as usize) as u32, end: end.max(start).min(u32::MAX as usize) as u32 }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// A value with the span of the YAML node it was read from.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned { value: f(self.value), span: self.span }
    }

    pub fn as_ref(&self) -> Spanned<&T> {
        Spanned { value: &self.value, span: self.span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Default> Default for Spanned<T> {
    fn default() -> Self {
        Spanned::new(T::default(), Span::default())
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    /// Spans are where a value was written, not what it is: equality ignores them.
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// One source text: its name as the user gave it (relative, never made absolute) and its contents.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<u32>,
    /// Whether the text is ASCII, so that a column in characters is a column in bytes.
    ascii: bool,
    /// Whether a carriage return breaks a line by itself somewhere (not as part of `\r\n`):
    /// then the lines of [`SourceFile::lines_around`] are not every line a reader sees.
    lone_cr: bool,
}

impl SourceFile {
    fn new(name: String, text: String) -> SourceFile {
        let mut line_starts = vec![0u32];
        line_starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| (i + 1) as u32));
        let ascii = text.is_ascii();
        let lone_cr = text.match_indices('\r').any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'));
        SourceFile { name, text, line_starts, ascii, lone_cr }
    }

    /// The bytes from the start of the line `before` lines above the one holding `start`, to the
    /// end of the line `after` lines below the one holding `end` (its line break included), and
    /// how many line breaks come before that range. `None` when a lone carriage return breaks
    /// lines the table here does not count.
    pub fn lines_around(&self, start: usize, end: usize, before: usize, after: usize) -> Option<(usize, usize, usize)> {
        if self.lone_cr {
            return None;
        }
        let line_of = |offset: usize| self.line_starts.partition_point(|&s| s as usize <= offset).saturating_sub(1);
        let first = line_of(start).saturating_sub(before);
        let last = line_of(end.max(start)).saturating_add(after).saturating_add(1);
        let from = self.line_starts[first] as usize;
        let to = self.line_starts.get(last).map_or(self.text.len(), |&s| s as usize);
        Some((from, to, first))
    }

    /// Byte offset of a (1-based line, 0-based character column) position, as the YAML parser reports it.
    pub fn offset_of(&self, line: usize, col_chars: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let start = start as usize;
        let rest = &self.text[start..];
        if self.ascii {
            // The line ends where the next one starts, less its `\n`.
            let end = self.line_starts.get(line.max(1)).map_or(self.text.len(), |&next| next as usize - 1);
            return start + col_chars.min(end - start);
        }
        rest.char_indices().nth(col_chars).map(|(i, _)| start + i).unwrap_or_else(|| {
            // Columns past the end of the line point at the line end.
            start + rest.find('\n').unwrap_or(rest.len())
        })
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1] as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self.text.get(start..end).map(|s| s.chars().count()).unwrap_or(0);
        (line, col + 1)
    }
}

/// Every text the compiler has read in one run.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(name.into(), text.into()));
        FileId((self.files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Every file read, in the order it was read (the spec first).
    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    pub fn text(&self, span: Span) -> &str {
        let file = self.get(span.file);
        file.text.get(span.start as usize..span.end as usize).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_characters_not_bytes() {
        let mut map = SourceMap::new();
        let id = map.add("a.yaml", "a: é\nbé: x\n");
        let file = map.get(id);
        assert_eq!(file.offset_of(2, 4), "a: é\nbé: ".len());
        assert_eq!(file.line_col(file.offset_of(2, 4) as u32), (2, 5));
        assert_eq!(file.offset_of(9, 0), file.text.len());
        assert_eq!(file.offset_of(1, 40), "a: é".len(), "past the line end: the line end");
    }

    #[test]
    fn ascii_offsets_are_columns() {
        let mut map = SourceMap::new();
        let id = map.add("a.yaml", "ab: c\nd: e\n");
        let file = map.get(id);
        assert_eq!(file.offset_of(2, 3), "ab: c\nd: ".len());
        assert_eq!(file.offset_of(1, 40), "ab: c".len(), "past the line end: the line end");
        assert_eq!(file.offset_of(9, 0), file.text.len());
    }
}
