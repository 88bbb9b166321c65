//! The load stage: the spec's own text and the files it references.
//!
//! In: the spec's bytes and a [`Files`] view of its directory (the disk in the CLI, a map in
//! tests). Out: every text in the [`SourceMap`], and [`Inputs`] telling, for each referenced
//! path, its file id or why it could not be read. This is the only stage that reads files;
//! everything after it is pure.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};
use crate::spec::Document;

/// Largest spec genops reads: a 10,000-route spec is about 10 MB.
pub const MAX_SPEC_BYTES: u64 = 64 * 1024 * 1024;
/// Largest prompt file.
pub const MAX_PROMPT_BYTES: u64 = 1024 * 1024;
/// Largest dataset file.
pub const MAX_DATASET_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileError {
    NotFound,
    IsDirectory,
    TooLarge {
        size: u64,
        limit: u64,
    },
    NotUtf8 {
        valid_up_to: usize,
    },
    /// Reached through a link that leaves the spec's directory.
    OutsideSpecDir,
    /// A FIFO, socket or device: genops reads regular files only.
    NotRegular,
    Other(String),
}

impl FileError {
    pub fn describe(&self) -> String {
        match self {
            FileError::NotFound => "no such file".into(),
            FileError::IsDirectory => "a directory, not a file".into(),
            FileError::TooLarge { size, limit } => {
                format!("{size} bytes, more than the limit of {limit}")
            }
            FileError::NotUtf8 { valid_up_to } => {
                format!("not valid UTF-8 (first bad byte at offset {valid_up_to})")
            }
            FileError::OutsideSpecDir => "reached through a link that leads outside the spec's directory".into(),
            FileError::NotRegular => "not a regular file (a FIFO, socket or device)".into(),
            FileError::Other(e) => e.clone(),
        }
    }
}

/// Read access to the files next to the spec, by path relative to the spec's directory.
pub trait Files {
    /// The file's bytes, refusing more than `limit` bytes.
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FileError>;
}

/// Files held in memory: for tests and for `genops init`'s self-check.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles(pub BTreeMap<String, Vec<u8>>);

impl MemoryFiles {
    pub fn with(mut self, path: &str, contents: impl Into<Vec<u8>>) -> MemoryFiles {
        self.0.insert(path.to_string(), contents.into());
        self
    }
}

impl Files for MemoryFiles {
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        let bytes = self.0.get(path).ok_or(FileError::NotFound)?;
        if bytes.len() as u64 > limit {
            return Err(FileError::TooLarge { size: bytes.len() as u64, limit });
        }
        Ok(bytes.clone())
    }
}

/// Decodes bytes as UTF-8 (a leading byte-order mark is dropped).
pub fn decode_utf8(bytes: Vec<u8>) -> Result<String, FileError> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| FileError::NotUtf8 { valid_up_to: e.utf8_error().valid_up_to() })
}

/// The referenced files, loaded.
#[derive(Debug, Default)]
pub struct Inputs {
    files: BTreeMap<String, Result<FileId, FileError>>,
}

impl Inputs {
    pub fn get(&self, path: &str) -> Option<&Result<FileId, FileError>> {
        self.files.get(path)
    }

    /// Loads every prompt and dataset the spec names, once each. `spec_dir` is the spec's
    /// directory as the user wrote it: diagnostics name files as `spec_dir/path`.
    pub fn load(doc: &Document, files: &dyn Files, sources: &mut SourceMap, spec_dir: &str) -> Inputs {
        let prompts = doc.prompts.valid().map(|(_, p)| (p.file.value.as_str(), MAX_PROMPT_BYTES));
        let datasets = doc.evaluations.valid().map(|(_, e)| (e.dataset.value.as_str(), MAX_DATASET_BYTES));
        let mut inputs = Inputs::default();
        for (path, limit) in prompts.chain(datasets) {
            if inputs.files.contains_key(path) {
                continue;
            }
            let loaded = files.read(path, limit).and_then(decode_utf8).map(|text| {
                let shown = if spec_dir.is_empty() { path.to_string() } else { format!("{spec_dir}/{path}") };
                sources.add(shown, text)
            });
            inputs.files.insert(path.to_string(), loaded);
        }
        inputs
    }
}

/// The diagnostic for a spec file that cannot be read at all.
pub fn spec_unreadable(path: &str, error: &FileError) -> Diagnostic {
    let (code, help) = match error {
        FileError::NotFound => (Code::SpecUnreadable, "check the path; `genops init` writes a starter spec"),
        FileError::IsDirectory => {
            (Code::SpecUnreadable, "give the spec file itself, e.g. `genops.yaml` inside that directory")
        }
        FileError::TooLarge { .. } => {
            (Code::TooLarge, "a real spec is a few megabytes at most; check that this is the right file")
        }
        FileError::NotUtf8 { .. } => (Code::NotUtf8, "save the file as UTF-8"),
        FileError::NotRegular | FileError::OutsideSpecDir => {
            (Code::SpecUnreadable, "give the spec file itself: genops reads regular files only")
        }
        FileError::Other(_) => (Code::SpecUnreadable, "check the file's permissions"),
    };
    Diagnostic::new(code, format!("cannot read spec `{path}`: {}", error.describe())).help(help)
}

/// Reports a referenced file that could not be read, at the span that names it.
pub fn report_file_error(path: &str, error: &FileError, span: Span, what: &str, diags: &mut Diagnostics) {
    let code = match error {
        FileError::TooLarge { .. } => Code::TooLarge,
        FileError::NotUtf8 { .. } => Code::NotUtf8,
        _ => Code::FileMissing,
    };
    let help = match error {
        FileError::OutsideSpecDir => {
            "genops reads only files inside the spec's directory, whose contents it copies into the output; \
             put the file itself there, or a link that stays inside"
        }
        FileError::NotRegular => "point at a regular file: genops does not read FIFOs, sockets or devices",
        _ => "paths are relative to the spec's directory; create the file or correct the path",
    };
    diags.push(
        Diagnostic::new(code, format!("cannot read {what} `{path}`: {}", error.describe()))
            .label(span, error.describe())
            .help(help),
    );
}
