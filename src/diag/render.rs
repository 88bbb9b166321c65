//! Renderers: the same diagnostics as rustc-like text (through miette) or as JSON.
//!
//! In: sorted diagnostics and the [`SourceMap`] their spans point into.
//! Out: a string. Nothing here decides what is wrong; it only shows it.
//!
//! The human text is for a terminal: messages, labels, help and file names are escaped
//! ([`escape_controls`]), and source lines are shown only when they are short and hold no
//! control or bidi character; otherwise each label is a `file:line:col` note instead.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan,
    SpanContents,
};
use serde::Serialize;

use super::{Diagnostic, Severity, escape_controls, is_unsafe_char};
use crate::source::{SourceFile, SourceMap, Span};

#[derive(Clone, Copy, Debug)]
pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions { color: false, width: 100 }
    }
}

/// rustc-like text: code, message, `file:line:col`, the source line underlined, labels, help.
pub fn render_human(diagnostics: &[Diagnostic], sources: &SourceMap, opts: HumanOptions) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let mut theme = if opts.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        // rustc's header: `error[GO0201]: unknown model `x``.
        theme.characters.error = format!("error[{}]:", diagnostic.code);
        theme.characters.warning = format!("warning[{}]:", diagnostic.code);
        let handler =
            GraphicalReportHandler::new_themed(theme).with_width(opts.width).with_links(false).with_context_lines(1);
        let view = MietteView::new(diagnostic, sources, source_is_showable(diagnostic, sources));
        if handler.render_report(&mut out, &view).is_err() {
            out.push_str(&format!("{}[{}]: {}\n", diagnostic.severity.as_str(), diagnostic.code, view.message));
        }
        out.push('\n');
    }
    let (errors, warnings) = counts(diagnostics);
    if errors + warnings > 0 {
        out.push_str(&summary(errors, warnings));
        out.push('\n');
    }
    out
}

fn counts(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    (errors, diagnostics.len() - errors)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

fn summary(errors: usize, warnings: usize) -> String {
    match (errors, warnings) {
        (0, w) => format!("{} emitted", plural(w, "warning")),
        (e, 0) => format!("{} emitted", plural(e, "error")),
        (e, w) => format!("{} and {} emitted", plural(e, "error"), plural(w, "warning")),
    }
}

/// Longest source line shown under a diagnostic. A longer one (a minified spec, a huge key)
/// is pointed at by `file:line:col` instead: miette's renderer panics past column 65,535, and
/// nobody reads such a line in a terminal.
const MAX_SHOWN_LINE: usize = 4096;

/// Whether the lines miette would show around the labels in the primary file (one line of
/// context, and the line more that [`FileView`] reads) can be printed as they are.
fn source_is_showable(diagnostic: &Diagnostic, sources: &SourceMap) -> bool {
    let Some(primary) = diagnostic.primary_span() else {
        return true;
    };
    let file = sources.get(primary.file);
    diagnostic.labels.iter().filter(|l| l.span.file == primary.file).all(|label| {
        let (start, end) = (label.span.start as usize, label.span.end as usize);
        let (from, to) = file.lines_around(start, end, 2, 2).map_or((0, file.text.len()), |(from, to, _)| (from, to));
        file.text.get(from..to).is_some_and(|text| {
            text.split('\n').all(|line| {
                let line = line.strip_suffix('\r').unwrap_or(line);
                line.len() <= MAX_SHOWN_LINE && !line.chars().any(is_unsafe_char)
            })
        })
    })
}

/// A diagnostic seen through miette's `Diagnostic` trait, borrowing its source text.
struct MietteView<'a> {
    diagnostic: &'a Diagnostic,
    /// The message, escaped.
    message: String,
    source: Option<FileView<'a>>,
    labels: Vec<LabeledSpan>,
    /// The help text, then the notes, escaped.
    help: String,
}

impl<'a> MietteView<'a> {
    /// Without `show_source`, every label is a note.
    fn new(diagnostic: &'a Diagnostic, sources: &'a SourceMap, show_source: bool) -> Self {
        let primary_file = diagnostic.primary_span().map(|s| s.file).filter(|_| show_source);
        let source = primary_file.map(|f| FileView(sources.get(f)));
        // miette shows one source per report: labels in other files become notes.
        let mut notes = Vec::new();
        let mut labels = Vec::new();
        for (i, label) in diagnostic.labels.iter().enumerate() {
            if Some(label.span.file) == primary_file {
                let text = (!label.message.is_empty()).then(|| escape_controls(&label.message).into_owned());
                let span = SourceSpan::new((label.span.start as usize).into(), label.span.len());
                labels.push(if i == 0 {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                });
            } else {
                let (name, line, col) = location(sources, label.span);
                notes.push(format!("{name}:{line}:{col}: {}", label.message));
            }
        }
        notes.extend(diagnostic.notes.iter().cloned());
        // Notes follow the help, as rustc prints them.
        let help = diagnostic
            .help
            .iter()
            .cloned()
            .chain(notes.iter().map(|n| format!("note: {n}")))
            .collect::<Vec<_>>()
            .join("\n");
        let help = escape_controls(&help).into_owned();
        MietteView { diagnostic, message: escape_controls(&diagnostic.message).into_owned(), source, labels, help }
    }
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        (!self.help.is_empty()).then(|| Box::new(&self.help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() { None } else { Some(Box::new(self.labels.iter().cloned())) }
    }
}

/// A source file as miette reads it: its text, under the name the user gave.
///
/// miette finds the lines around a span by scanning the text from its start, which for a
/// diagnostic near the end of a spec of ten thousand routes is 9 MB a label. Here it scans a
/// window of the lines around the span instead (from the line table), one line wider on each
/// side than the context it asks for, and the lines are renumbered from the window's place in
/// the file: the same contents, found in time independent of the file's size.
struct FileView<'a>(&'a SourceFile);

impl SourceCode for FileView<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let text = self.0.text.as_str();
        let window = self.0.lines_around(span.offset(), span.offset() + span.len(), before + 1, after + 1);
        let (from, inner, lines) = match window {
            Some((from, to, lines)) if span.offset() >= from => {
                let relative = SourceSpan::new((span.offset() - from).into(), span.len());
                (from, text[from..to].read_span(&relative, before, after)?, lines)
            }
            _ => (0, text.read_span(span, before, after)?, 0),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            escape_controls(&self.0.name).into_owned(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + from).into(), inner.span().len()),
            inner.line() + lines,
            inner.column(),
            inner.line_count() + lines,
        )))
    }
}

fn location(sources: &SourceMap, span: Span) -> (&str, usize, usize) {
    let file = sources.get(span.file);
    let (line, col) = file.line_col(span.start);
    (&file.name, line, col)
}

/// Version of the JSON diagnostics format; bumped on any incompatible change.
pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    labels: Vec<JsonLabel<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    primary: bool,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    byte_start: u32,
    byte_end: u32,
}

/// `{"version":1,"diagnostics":[…],"errors":N,"warnings":N}`: lines and columns are 1-based,
/// columns count characters, byte offsets are into the file as read. No control or bidi
/// character is written raw.
pub fn render_json(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let items = diagnostics
        .iter()
        .map(|d| {
            let labels: Vec<JsonLabel> = d
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let (file, line, column) = location(sources, l.span);
                    let (end_line, end_column) = sources.get(l.span.file).line_col(l.span.end);
                    JsonLabel {
                        primary: i == 0,
                        message: &l.message,
                        file,
                        line,
                        column,
                        end_line,
                        end_column,
                        byte_start: l.span.start,
                        byte_end: l.span.end,
                    }
                })
                .collect();
            let primary = labels.first();
            JsonDiagnostic {
                code: d.code.id(),
                severity: d.severity.as_str(),
                message: &d.message,
                file: primary.map(|l| l.file),
                line: primary.map(|l| l.line),
                column: primary.map(|l| l.column),
                help: d.help.as_deref(),
                notes: &d.notes,
                labels,
            }
        })
        .collect();
    let (errors, warnings) = counts(diagnostics);
    let report = JsonReport { version: JSON_FORMAT_VERSION, diagnostics: items, errors, warnings };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
    // serde_json leaves C1 controls and bidi characters raw; the report is printed too, so
    // they become `\uXXXX` escapes, which only strings can hold (the rest is ASCII).
    if text.chars().any(is_unsafe_char) {
        let mut escaped = String::with_capacity(text.len() + 64);
        for c in text.chars() {
            if is_unsafe_char(c) {
                escaped.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                escaped.push(c);
            }
        }
        text = escaped;
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;

    fn one(text: &str, message: &str, start: usize, len: usize) -> String {
        let mut sources = SourceMap::new();
        let id = sources.add("spec\u{1b}[2K.yaml", text);
        let diagnostic = Diagnostic::new(Code::WrongType, message)
            .label(Span::new(id, start, start + len), format!("label {message}"))
            .help(format!("help {message}"));
        render_human(&[diagnostic], &sources, HumanOptions::default())
    }

    /// Finding 4 of #25: miette panics drawing a label past column 65,535; a line that long
    /// is pointed at, not drawn.
    #[test]
    fn a_label_on_a_very_long_line_is_a_location_note() {
        let text = format!("a: [{}]\nb: 1\n", "1, ".repeat(30_000));
        let out = one(&text, "far out", 70_000, 2);
        assert!(out.contains("spec\\u{1b}[2K.yaml:1:70001: label far out"), "{out}");
        assert!(out.len() < 1000, "the line itself is not printed: {} bytes", out.len());
        // A short line next to a long one is still shown with its source.
        let short = one(&text, "near", text.len() - 5, 1);
        assert!(!short.contains("b: 1"), "the context line is the long one: {short}");
        let out = one("a: 1\nb: 2\n", "near", 8, 1);
        assert!(out.contains("2 │ b: 2"), "{out}");
    }

    /// Finding 7 of #25: nothing from a spec reaches the terminal as a control or bidi
    /// character: not in the message, label, help, file name, nor in a source line.
    #[test]
    fn control_and_bidi_characters_are_escaped() {
        let out = one("a: 1\nb: \"\u{1b}[1A\u{202e}x\"\n", "x\u{1b}]0;t\u{7}\u{9b}", 8, 3);
        assert!(!out.chars().any(is_unsafe_char), "{out:?}");
        assert!(out.contains("x\\u{1b}]0;t\\u{7}\\u{9b}"), "{out}");
        assert!(out.contains(":2:4: label x\\u{1b}"), "the line is a note, not drawn: {out}");
    }

    /// What miette reads around a span through the line table is what it reads scanning the
    /// whole text: the same lines, span, line number, column and line count, for spans at the
    /// start, the end, across lines, empty, past the end, in LF, CRLF and lone-CR text.
    #[test]
    fn a_window_of_lines_reads_as_the_whole_text() {
        let texts = [
            "a: 1\nbb: 22\n\nccc: [1,\n  2]\n# é comment\nd: x\n".to_string(),
            "a: 1\r\nbb: 22\r\n\r\nccc: 3\r\n".to_string(),
            "a: 1\rbb: 2\r\nc: 3\n".to_string(),
            (0..200).map(|i| format!("key-{i}: value {i}\n")).collect(),
        ];
        let mut sources = SourceMap::new();
        for (n, text) in texts.iter().enumerate() {
            let id = sources.add(format!("t{n}.yaml"), text.as_str());
            let file = sources.get(id);
            let view = FileView(file);
            let len = text.len();
            let mut spans: Vec<(usize, usize)> =
                vec![(0, 0), (0, 1), (len, 0), (len + 3, 2), (len.saturating_sub(1), 1)];
            for start in (0..len).step_by(3) {
                for width in [0, 1, 4, 17] {
                    spans.push((start, width));
                }
            }
            for (start, width) in spans {
                for (before, after) in [(0, 0), (1, 1), (2, 0), (0, 3)] {
                    let span = SourceSpan::new(start.into(), width);
                    let whole = text.as_str().read_span(&span, before, after);
                    let window = view.read_span(&span, before, after);
                    match (whole, window) {
                        (Ok(w), Ok(v)) => {
                            let at = format!("{n}: {start}+{width} ({before}, {after})");
                            assert_eq!(w.data(), v.data(), "{at}");
                            assert_eq!(w.span(), v.span(), "{at}");
                            assert_eq!(
                                (w.line(), w.column(), w.line_count()),
                                (v.line(), v.column(), v.line_count()),
                                "{at}"
                            );
                        }
                        (Err(_), Err(_)) => {}
                        (w, v) => panic!("{n}: {start}+{width}: {:?} against {:?}", w.is_ok(), v.is_ok()),
                    }
                }
            }
        }
    }
}
