//! Streamed comparison: a large file compared with OUT and staged part by part.
//!
//! In: the parts of one file as its emitter makes them, and the file at its path in OUT. Out:
//! the same [`Produced`] record a whole file gives, and the file staged only if it changes —
//! without ever holding the new text or the old whole.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::PathBuf;

use super::nofollow::{self, Found};
use super::staging::{Staging, create_new};
use super::{OutError, io_at, safe};
use crate::plan::{OnDisk, Produced};

/// A file staged in parts as it is emitted, and compared with the file at its path in OUT as
/// the parts come, so that neither the new text nor the old is ever held whole: while the new
/// text is the same as OUT's so far, nothing is written; at the first difference the part of
/// OUT's file that was the same is copied into staging and the new text follows. [`Streamed::end`]
/// gives what [`super::read_unless_same`] and [`Produced::compare`] give for a whole file (a build
/// needs no addressed changes). Dropped before its end, the file is abandoned and its staged
/// copy removed.
pub struct Streamed<'a> {
    staging: &'a Staging,
    rel: String,
    /// SHA-256 of the new text so far.
    hash: sha2::Sha256,
    /// Bytes of new text so far.
    len: u64,
    old: Old,
    /// SHA-256 of OUT's file as far as it was read, and its first bytes (whether it carries
    /// genops's header): what the manifest's journal records of a file that changes.
    old_hash: sha2::Sha256,
    old_head: Vec<u8>,
    /// The staged copy being written, once the file is known to change.
    staged: Option<(PathBuf, File)>,
    /// OUT's file, read a part at a time.
    buffer: Vec<u8>,
    /// The first error, and whether it came reading OUT or writing staging; later parts are
    /// ignored.
    error: Option<(&'static str, OutError)>,
}

/// OUT's file at a streamed file's path, read (and hashed) on from where the comparison left
/// it.
enum Old {
    Absent,
    /// A link, or something else that is not a regular file: never read; the new text is
    /// staged whole, as for an absent file, and the file is a conflict.
    NotAFile,
    /// The same as the new text so far.
    SameSoFar(File),
    /// Different: the rest is read only to hash it, at the end.
    Differs(File),
}

impl<'a> Streamed<'a> {
    /// `rel`, compared with the file at its path in OUT (opened now) as its parts come.
    pub(super) fn new(staging: &'a Staging, rel: &str) -> Streamed<'a> {
        let mut streamed = Streamed {
            staging,
            rel: rel.to_string(),
            hash: sha2::Sha256::default(),
            len: 0,
            old: Old::Absent,
            old_hash: sha2::Sha256::default(),
            old_head: Vec::new(),
            staged: None,
            buffer: Vec::new(),
            error: None,
        };
        if let Err(e) = safe(&staging.root, rel) {
            streamed.error = Some(("write", e));
            return streamed;
        }
        match nofollow::open(&staging.root, rel) {
            Ok(Found::File(file)) => streamed.old = Old::SameSoFar(file),
            // A parent that is a file reads as absent: the write refuses it later.
            Ok(Found::Absent) => {}
            Ok(Found::NotAFile) => streamed.old = Old::NotAFile,
            Err(e) => streamed.error = Some(("read", io_at(&staging.root.join(rel))(e))),
        }
        streamed
    }

    pub fn part(&mut self, text: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.try_part(text) {
                self.error = Some(e);
            }
        }
    }

    fn try_part(&mut self, text: &[u8]) -> Result<(), (&'static str, OutError)> {
        use sha2::Digest;
        self.hash.update(text);
        if let Old::SameSoFar(file) = &mut self.old {
            let read = read_into(file, &mut self.buffer, text.len())
                .map_err(|e| ("read", io_at(&self.staging.root.join(&self.rel))(e)))?;
            self.old_hash.update(read);
            keep_head(&mut self.old_head, read);
            if read == text {
                self.len += text.len() as u64;
                return Ok(());
            }
            if let Old::SameSoFar(file) = std::mem::replace(&mut self.old, Old::Absent) {
                self.old = Old::Differs(file);
            }
        }
        self.write(text)?;
        self.len += text.len() as u64;
        Ok(())
    }

    /// Writes `text` into the staged copy, starting it (with the new text so far, which is
    /// OUT's file up to here) if need be.
    fn write(&mut self, text: &[u8]) -> Result<(), (&'static str, OutError)> {
        if self.staged.is_none() {
            let path = self.staging.new_file().map_err(|e| ("write", e))?;
            let mut file = create_new(&path).map_err(|e| ("write", io_at(&path)(e)))?;
            if self.len > 0 {
                let old = self.staging.root.join(&self.rel);
                let changed = || ("read", io_at(&old)(io::Error::other("the file changed while genops read it")));
                let Ok(Found::File(mut same)) = nofollow::open(&self.staging.root, &self.rel) else {
                    return Err(changed());
                };
                let copied = io::copy(&mut io::Read::take(&mut same, self.len), &mut file)
                    .map_err(|e| ("write", io_at(&path)(e)))?;
                if copied != self.len {
                    return Err(changed());
                }
            }
            self.staged = Some((path, file));
        }
        match self.staged.as_mut() {
            Some((path, file)) => file.write_all(text).map_err(|e| ("write", io_at(path)(e))),
            None => Ok(()),
        }
    }

    /// The end of the file: what it is against OUT, its copy staged if it changes.
    pub fn end(mut self) -> Result<Produced, (&'static str, OutError)> {
        use sha2::Digest;
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let sha256 = crate::conventions::hex(&std::mem::take(&mut self.hash).finalize());
        let on_disk = match std::mem::replace(&mut self.old, Old::Absent) {
            Old::Absent => {
                // An empty file is staged too.
                self.write(b"")?;
                OnDisk::Absent
            }
            Old::NotAFile => {
                self.write(b"")?;
                OnDisk::NotAFile
            }
            Old::SameSoFar(file) => {
                if self.hash_rest(file).map_err(|e| ("read", e))? == 0 {
                    OnDisk::Same
                } else {
                    // OUT's file is longer: the new text is all of its start.
                    self.write(b"")?;
                    self.old_state()
                }
            }
            Old::Differs(file) => {
                self.hash_rest(file).map_err(|e| ("read", e))?;
                self.old_state()
            }
        };
        if let Some((path, file)) = self.staged.take() {
            drop(file);
            self.staging.staged(&self.rel, path);
        }
        Ok(Produced { path: std::mem::take(&mut self.rel), sha256, on_disk, changes: None })
    }

    /// Reads and hashes the rest of OUT's file; returns how many bytes that was.
    fn hash_rest(&mut self, mut file: File) -> Result<u64, OutError> {
        use sha2::Digest;
        let mut rest = 0;
        loop {
            let read =
                read_into(&mut file, &mut self.buffer, 1 << 20).map_err(io_at(&self.staging.root.join(&self.rel)))?;
            if read.is_empty() {
                return Ok(rest);
            }
            rest += read.len() as u64;
            self.old_hash.update(read);
            keep_head(&mut self.old_head, read);
        }
    }

    /// OUT's file, read and hashed to its end, as a file that differs.
    fn old_state(&mut self) -> OnDisk {
        use sha2::Digest;
        OnDisk::Different {
            sha256: crate::conventions::hex(&std::mem::take(&mut self.old_hash).finalize()),
            genops_header: crate::plan::produced::has_header(&self.old_head),
        }
    }
}

/// Reads up to `len` bytes of `file` (fewer only at its end) into `buffer`; returns them.
fn read_into<'b>(file: &mut File, buffer: &'b mut Vec<u8>, len: usize) -> io::Result<&'b [u8]> {
    use std::io::Read;
    buffer.resize(len, 0);
    let mut at = 0;
    while at < len {
        match file.read(&mut buffer[at..]) {
            Ok(0) => break,
            Ok(n) => at += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(&buffer[..at])
}

/// Keeps the first 512 bytes of a file read in pieces (where genops's header would be).
fn keep_head(head: &mut Vec<u8>, read: &[u8]) {
    let wanted = 512usize.saturating_sub(head.len()).min(read.len());
    head.extend_from_slice(&read[..wanted]);
}

impl Drop for Streamed<'_> {
    fn drop(&mut self) {
        if let Some((path, file)) = self.staged.take() {
            drop(file);
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file staged in parts is recorded as the same file given whole would be (absent, the
    /// same, or different with the old file's hash and header), wherever the first difference
    /// falls against the parts, and its staged copy is the new text; the same file stages
    /// nothing, and an abandoned one leaves nothing behind.
    #[test]
    fn a_file_staged_in_parts_is_recorded_and_staged_as_the_whole_file_is() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = dir.path();
        let line = |i: usize| format!("line {i} of a generated file\n");
        let text: String = (0..2_000).map(line).collect();
        let header = format!("# {}\n{text}", crate::conventions::HEADER);
        let mut middle = text.clone();
        middle.replace_range(30_000..30_001, "X");
        let cases: Vec<(&str, Option<&str>, String)> = vec![
            ("absent", None, text.clone()),
            ("absent-empty", None, String::new()),
            ("same", Some(&text), text.clone()),
            ("same-empty", Some(""), String::new()),
            ("first-byte", Some(&text), format!("X{}", &text[1..])),
            ("middle", Some(&text), middle.clone()),
            ("last-byte", Some(&text), format!("{}X", &text[..text.len() - 1])),
            ("old-longer", Some(&text), text[..40_000].to_string()),
            ("old-shorter", Some(&text[..40_000]), text.clone()),
            ("now-empty", Some(&header), String::new()),
            ("was-empty", Some(""), text.clone()),
        ];
        for (name, old, _) in &cases {
            if let Some(old) = old {
                fs::write(root.join(name), old).expect("written");
            }
        }
        fs::create_dir(root.join(crate::plan::manifest::DIR)).expect("OUT/.genops");
        let staging = Staging::new(root);
        for part in [1, 7, 4096, 30_000, 1 << 20] {
            for (name, old, new) in &cases {
                let mut streamed = staging.stream(name);
                for piece in new.as_bytes().chunks(part) {
                    streamed.part(piece);
                }
                let produced = streamed.end().unwrap_or_else(|(_, e)| panic!("{name}: {e}"));
                let artifact = crate::emit::Artifact { path: name.to_string(), contents: new.clone() };
                let whole = Produced::compare(&artifact, old.map(str::as_bytes), false);
                assert_eq!(produced, whole, "{name}, parts of {part}");
                let staged = staging.lock().files.remove(*name);
                match (whole.changes(), staged) {
                    (true, Some(path)) => {
                        let copy = fs::read(&path).unwrap_or_default();
                        assert!(copy == new.as_bytes(), "{name}, parts of {part}: the staged copy is not the new text");
                    }
                    (false, None) => {}
                    (changes, staged) => panic!("{name}, parts of {part}: changes {changes}, staged {staged:?}"),
                }
            }
        }
        let mut abandoned = staging.stream("absent");
        abandoned.part(text.as_bytes());
        drop(abandoned);
        let left: Vec<_> = fs::read_dir(&staging.dir).expect("staging").flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 5 * cases.iter().filter(|(_, old, new)| old != &Some(new.as_str())).count());
        assert!(staging.lock().files.is_empty());
        staging.discard();
    }
}
