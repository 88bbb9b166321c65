//! Where a runbook's rendered text goes: into its file, reflowed while it is rendered.
//!
//! In: the bytes minijinja writes as it renders a template (each write a whole string), and
//! the [`FileOut`] of the runbook's file. Out: that file: the generated-file header and the
//! lint settings, then the text as [`super::markdown::reflow`] gives it for the whole text trimmed,
//! and a final newline. The text is reflowed a piece of whole lines at a time and handed on
//! at [`FileOut::boundary`], so a sink that takes parts gets the file a megabyte at a time
//! and a runbook of a large system (tens of megabytes) is never whole in memory, nor copied
//! as it grows.

use std::io;

use super::markdown::TrimmedReflow;
use crate::conventions::HEADER;
use crate::emit::sink::FileOut;

/// How much rendered text is gathered before it is reflowed (at most; less for a sink that
/// takes smaller parts): enough that the cut and the reflow are rare, small enough to stay in
/// cache.
const PIECE: usize = 1 << 16;

/// The markdownlint settings every runbook carries: tables hold alarm names and paths, and code
/// blocks hold queries and commands to copy whole, so neither can wrap and MD013 (line length)
/// does not apply to them; prose is wrapped at 80.
const LINT: &str = r#"<!-- markdownlint-configure-file {
  "MD013": { "tables": false, "code_blocks": false }
} -->"#;

/// A runbook's file being rendered into.
pub struct Reflowed<'s> {
    file: FileOut<'s>,
    reflow: TrimmedReflow,
    /// Rendered text not reflowed yet.
    pending: Vec<u8>,
    /// How much of it is whole lines: a line can be longer than a piece (a list of every
    /// route), so the text is cut after its last line break, found as it is written.
    lines: usize,
    /// How much of it is reflowed at once.
    piece: usize,
}

impl<'s> Reflowed<'s> {
    /// The file `file`, its header written.
    pub fn new(mut file: FileOut<'s>) -> Reflowed<'s> {
        let text = file.text();
        text.push_str("<!-- ");
        text.push_str(HEADER);
        text.push_str(" -->\n");
        text.push_str(LINT);
        text.push_str("\n\n");
        let piece = file.part_size().min(PIECE);
        let pending = Vec::with_capacity(piece + piece / 4);
        Reflowed { file, reflow: TrimmedReflow::default(), pending, lines: 0, piece }
    }

    /// Reflows the pending text up to `cut`, just after a line break or at the end.
    fn reflow(&mut self, cut: usize) -> io::Result<()> {
        // A cut after a line break is between characters.
        let piece =
            std::str::from_utf8(&self.pending[..cut]).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        self.reflow.push(self.file.text(), piece);
        self.pending.drain(..cut);
        self.lines = 0;
        self.file.boundary();
        Ok(())
    }

    /// Ends the file: the rest of the text, and the final newline.
    pub fn end(mut self) -> io::Result<()> {
        self.reflow(self.pending.len())?;
        let Reflowed { mut file, reflow, .. } = self;
        reflow.end(file.text());
        file.finish();
        Ok(())
    }
}

impl io::Write for Reflowed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(i) = buf.iter().rposition(|b| *b == b'\n') {
            self.lines = self.pending.len() + i + 1;
        }
        self.pending.extend_from_slice(buf);
        if self.lines >= self.piece {
            self.reflow(self.lines)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::emit::runbooks::markdown;
    use crate::emit::sink::Rejoined;
    use crate::emit::sink::Sink;

    /// The file written in pieces of any size is the header and the whole text reflowed, and a
    /// sink that takes parts gets it in parts.
    #[test]
    fn text_written_in_pieces_is_the_text_reflowed_whole() {
        let long = "word ".repeat(40);
        let mut text = format!("\n\n# Title\n\n{long}\n\n1. a\n1. b\n\n```\n  {long}\n```\n\n\n").repeat(3000);
        // A line longer than a piece (4 KB with this sink), as a list of every route makes.
        text.insert_str(text.len() / 2, &format!("\n{}\n", "`x`, ".repeat(4096)));
        let header = format!("<!-- {HEADER} -->\n{LINT}\n\n");
        let expected = format!("{header}{}\n", markdown::reflow(text.trim()));
        for size in [1, 7, 100, PIECE + 3] {
            let sink = Rejoined::new(1 << 12);
            let mut out = Reflowed::new(FileOut::to(&sink as &dyn Sink, "f".into()));
            for piece in text.as_bytes().chunks(size) {
                out.write_all(piece).expect("writes");
            }
            out.end().expect("ends");
            let files = sink.sorted();
            assert_eq!(files[0].0.contents, expected, "in pieces of {size}");
            assert!(files[0].1 > 3, "in {} parts", files[0].1);
        }
    }
}
