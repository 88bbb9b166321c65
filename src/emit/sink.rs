//! How emitters hand their files on: whole, or in parts while they are being made.
//!
//! In: the text of each file as an emitter writes it ([`FileOut`]). Out: calls on a [`Sink`]:
//! one whole [`Artifact`] per file, or, for a sink that takes files in parts (a build does),
//! the text of a file a megabyte at a time, cut between complete pieces (Terraform blocks,
//! YAML entries and documents). A build writes, hashes and forgets each part while the rest of
//! the file is made, so that a file of a hundred megabytes is never whole in memory, nor
//! copied as it grows. Any `Fn(Artifact)` closure is a sink that takes whole files.

use super::Artifact;

/// How much text a file gathers before it is handed on, when its sink takes parts.
pub const PART: usize = 1 << 20;

/// Where emitted files go.
pub trait Sink: Sync {
    /// A whole file.
    fn file(&self, artifact: Artifact);

    /// Opens the file at `path` to receive its text in parts; `None` (the default) when this
    /// sink takes whole files only.
    fn open(&self, _path: &str) -> Option<Box<dyn Parts + '_>> {
        None
    }

    /// How much text a file gathers before it is handed on, for a sink that takes parts.
    fn part_size(&self) -> usize {
        PART
    }
}

/// One file received in parts: in order, on one thread, then [`Parts::end`]. Dropped without
/// `end`, the file is abandoned and what it received is forgotten.
pub trait Parts {
    fn part(&mut self, text: &str);
    fn end(self: Box<Self>);
}

impl<F: Fn(Artifact) + Sync> Sink for F {
    fn file(&self, artifact: Artifact) {
        self(artifact)
    }
}

/// The text of one file as it is written.
pub struct FileOut<'s> {
    path: String,
    text: String,
    to: To<'s>,
    /// The sink's part size.
    part: usize,
}

enum To<'s> {
    /// Kept, for [`FileOut::finish`] to return.
    Kept,
    /// Handed to the sink whole at the end.
    Whole(&'s dyn Sink),
    Parts(Box<dyn Parts + 's>),
}

impl<'s> FileOut<'s> {
    /// A file kept whole, returned by [`FileOut::finish`].
    pub fn kept() -> FileOut<'static> {
        FileOut { path: String::new(), text: String::new(), to: To::Kept, part: PART }
    }

    /// The file at `path`, handed to `sink` in parts if it takes them, else whole at the end.
    pub fn to(sink: &'s dyn Sink, path: String) -> FileOut<'s> {
        let part = sink.part_size();
        let (to, text) = match sink.open(&path) {
            // A part is cut at the first boundary past its size: room for that and a piece more.
            Some(parts) => (To::Parts(parts), String::with_capacity(part + part / 4)),
            None => (To::Whole(sink), String::new()),
        };
        FileOut { path, text, to, part }
    }

    /// The text not handed on yet, to write to.
    pub fn text(&mut self) -> &mut String {
        &mut self.text
    }

    /// How much text the file gathers before it is handed on (when its sink takes parts).
    pub fn part_size(&self) -> usize {
        self.part
    }

    /// Room for `bytes` more of text in a file kept or handed on whole (memory reserved and
    /// never written costs address space only; a file that outgrows its buffer is copied into
    /// one twice the size). A file handed on in parts needs no more than a part.
    pub fn reserve(&mut self, bytes: usize) {
        if !matches!(self.to, To::Parts(_)) {
            self.text.reserve(bytes);
        }
    }

    /// A point between complete pieces of the file: the text so far is handed on here once
    /// it is a part's worth.
    pub fn boundary(&mut self) {
        if let To::Parts(parts) = &mut self.to {
            if self.text.len() >= self.part {
                parts.part(&self.text);
                self.text.clear();
            }
        }
    }

    /// Ends the file: the sink gets the rest of it (or all of it). Returns the text of a file
    /// made by [`FileOut::kept`], and an empty string otherwise.
    pub fn finish(self) -> String {
        match self.to {
            To::Kept => self.text,
            To::Whole(sink) => {
                sink.file(Artifact { path: self.path, contents: self.text });
                String::new()
            }
            To::Parts(mut parts) => {
                if !self.text.is_empty() {
                    parts.part(&self.text);
                }
                parts.end();
                String::new()
            }
        }
    }

    /// Drops the file: the sink gets none of it (an emitter that found it has nothing to say).
    pub fn abandon(self) {}
}

/// For tests: a sink that takes every file in parts of `part_size` bytes (or more, to the next
/// boundary) and joins them again; `files` holds each file with the number of parts it came in.
#[cfg(test)]
pub struct Rejoined {
    pub part_size: usize,
    pub files: std::sync::Mutex<Vec<(Artifact, usize)>>,
}

#[cfg(test)]
impl Rejoined {
    pub fn new(part_size: usize) -> Rejoined {
        Rejoined { part_size, files: Default::default() }
    }

    /// The files, sorted by path.
    pub fn sorted(self) -> Vec<(Artifact, usize)> {
        let mut files = self.files.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        files.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        files
    }
}

#[cfg(test)]
impl Sink for Rejoined {
    fn file(&self, artifact: Artifact) {
        crate::parallel::lock(&self.files).push((artifact, 0));
    }

    fn open(&self, path: &str) -> Option<Box<dyn Parts + '_>> {
        struct Joining<'a>(&'a Rejoined, Artifact, usize);
        impl Parts for Joining<'_> {
            fn part(&mut self, text: &str) {
                self.1.contents.push_str(text);
                self.2 += 1;
            }
            fn end(self: Box<Self>) {
                let Joining(to, artifact, parts) = *self;
                crate::parallel::lock(&to.files).push((artifact, parts));
            }
        }
        Some(Box::new(Joining(self, Artifact { path: path.to_string(), contents: String::new() }, 0)))
    }

    fn part_size(&self) -> usize {
        self.part_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A sink that takes parts and records every call.
    #[derive(Default)]
    struct Recorder {
        calls: Mutex<Vec<String>>,
    }

    struct Recording<'a>(&'a Recorder, String);

    impl Parts for Recording<'_> {
        fn part(&mut self, text: &str) {
            self.0.calls.lock().unwrap().push(format!("{} part {}", self.1, text.len()));
        }
        fn end(self: Box<Self>) {
            self.0.calls.lock().unwrap().push(format!("{} end", self.1));
        }
    }

    impl Sink for Recorder {
        fn file(&self, artifact: Artifact) {
            self.calls.lock().unwrap().push(format!("{} whole {}", artifact.path, artifact.contents.len()));
        }
        fn open(&self, path: &str) -> Option<Box<dyn Parts + '_>> {
            Some(Box::new(Recording(self, path.to_string())))
        }
    }

    fn write(out: &mut FileOut, pieces: usize, size: usize) {
        for _ in 0..pieces {
            out.text().push_str(&"x".repeat(size));
            out.boundary();
        }
    }

    #[test]
    fn a_sink_that_takes_parts_gets_them_cut_at_boundaries_past_a_part() {
        let sink = Recorder::default();
        let mut out = FileOut::to(&sink, "big".into());
        // 3 pieces of 0.4 parts: the first cut after the third piece.
        write(&mut out, 7, PART * 2 / 5);
        out.finish();
        let size = PART * 2 / 5;
        assert_eq!(
            *sink.calls.lock().unwrap(),
            [
                format!("big part {}", 3 * size),
                format!("big part {}", 3 * size),
                format!("big part {size}"),
                "big end".into()
            ]
        );
    }

    #[test]
    fn a_whole_file_sink_gets_one_artifact_and_a_kept_file_is_returned() {
        let got = Mutex::new(Vec::new());
        let sink = |a: Artifact| got.lock().unwrap().push(a);
        let mut out = FileOut::to(&sink, "f".into());
        write(&mut out, 5, PART / 2);
        assert_eq!(out.finish(), "");
        let got = got.into_inner().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].contents.len(), 5 * (PART / 2));

        let mut kept = FileOut::kept();
        write(&mut kept, 3, PART);
        assert_eq!(kept.finish().len(), 3 * PART);
    }

    #[test]
    fn an_abandoned_file_hands_nothing_on() {
        let sink = Recorder::default();
        let out = FileOut::to(&sink, "empty".into());
        out.abandon();
        assert!(sink.calls.lock().unwrap().is_empty());
    }
}
