//! Reading OUT for a plan.
//!
//! In: the path of OUT and the paths genops generates. Out: OUT's manifest ([`open`], before
//! anything is emitted), what is at each generated path against the new contents
//! ([`read_unless_same`], as each file is emitted), the files of the last build hashed as
//! recorded ([`verify`], the shortcut when no input changed) and the files a build would delete
//! ([`read_stale`]). Nothing here writes.

use std::fs::{self, File};
use std::io::{self, Read, Seek};
use std::path::Path;

use super::nofollow::{self, Found};
use super::{OutError, genops_dir, io_at, not_a_file};
use crate::plan::manifest::{self, Manifest};
use crate::plan::{Disk, OnDisk, Produced};

/// Reads OUT's manifest: what a plan needs before anything is emitted. A missing OUT is an
/// empty one. With `ignore_bad_manifest` (`build --force`), an unreadable manifest is treated
/// as absent; a linked `OUT/.genops` is refused even so.
pub fn open(root: &Path, ignore_bad_manifest: bool) -> Result<Disk, OutError> {
    let mut disk = Disk::default();
    match fs::metadata(root) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(disk),
        Err(e) => return Err(io_at(root)(e)),
        Ok(meta) if !meta.is_dir() => return Err(OutError::NotADirectory(root.to_path_buf())),
        Ok(_) => {}
    }
    if genops_dir(root)?.is_none() {
        return Ok(disk);
    }
    let manifest_path = root.join(manifest::PATH);
    let text = match nofollow::open(root, manifest::PATH) {
        Ok(Found::Absent) => return Ok(disk),
        Ok(Found::File(mut file)) => {
            let mut text = String::new();
            file.read_to_string(&mut text).map(|_| text)
        }
        Ok(Found::NotAFile) if ignore_bad_manifest => return Ok(disk),
        Ok(Found::NotAFile) => return Err(not_a_file(manifest_path)),
        Err(e) => Err(e),
    };
    match text {
        Ok(text) => match Manifest::parse(&text) {
            Ok(m) => disk.manifest = Some(m),
            Err(_) if ignore_bad_manifest => {}
            Err(problem) => return Err(OutError::Manifest { path: manifest_path, problem }),
        },
        Err(_) if ignore_bad_manifest => {}
        Err(e) => return Err(io_at(&manifest_path)(e)),
    }
    Ok(disk)
}

/// The bytes of the regular file at `rel` in OUT; `None` when there is none (nothing, or
/// something genops does not read: see [`nofollow`]).
pub(super) fn read_file(root: &Path, rel: &str) -> Result<Option<Vec<u8>>, OutError> {
    let path = root.join(rel);
    let read = |mut file: File| {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map(|_| bytes)
    };
    match nofollow::open(root, rel).map_err(io_at(&path))? {
        Found::File(file) => read(file).map(Some).map_err(io_at(&path)),
        Found::Absent | Found::NotAFile => Ok(None),
    }
}

/// What is at a path in OUT, against what genops would write there.
#[derive(Debug, PartialEq, Eq)]
pub enum Existing {
    Absent,
    /// The same bytes: compared in pieces as they were read, never held whole.
    Same,
    /// Other bytes, read whole: a plan cuts them into addressed changes.
    Different(Vec<u8>),
    /// A link, or something else that is not a regular file: not read, a conflict.
    NotAFile,
}

/// The file at `rel` in OUT compared with `contents`. A file that is the same is read a
/// megabyte at a time and let go, so that comparing a 77 MB `monitoring.tf` that did not change
/// does not hold a second copy of it; only a file that differs is read whole.
pub fn read_unless_same(root: &Path, rel: &str, contents: &[u8]) -> Result<Existing, OutError> {
    let path = root.join(rel);
    let mut file = match nofollow::open(root, rel).map_err(io_at(&path))? {
        Found::File(file) => file,
        Found::Absent => return Ok(Existing::Absent),
        Found::NotAFile => return Ok(Existing::NotAFile),
    };
    let same_length = file.metadata().map_err(io_at(&path))?.len() == contents.len() as u64;
    if same_length {
        let mut buffer = vec![0u8; (1 << 20).min(contents.len().max(1))];
        let mut at = 0;
        loop {
            let n = file.read(&mut buffer).map_err(io_at(&path))?;
            if n == 0 {
                if at == contents.len() {
                    return Ok(Existing::Same);
                }
                break;
            }
            if contents.get(at..at + n) != Some(&buffer[..n]) {
                break;
            }
            at += n;
        }
    }
    // Different: the whole of it, from the start, from the file already open.
    let mut bytes = Vec::new();
    file.seek(io::SeekFrom::Start(0)).and_then(|_| file.read_to_end(&mut bytes)).map_err(io_at(&path))?;
    Ok(Existing::Different(bytes))
}

/// The files a finished build listed in `manifest`, each hashed on disk, as what a build would
/// produce — or `None` when one is missing, differs (hand-edited) or cannot be read, when the
/// build was interrupted, or when `stop` is set (the caller found the inputs changed and no
/// longer needs the answer). Files are hashed one after the other in pieces, on one thread: it
/// runs beside the compile, which leaves the other core idle. A build whose inputs have not
/// changed since (the manifest's fingerprint matches) and whose files are all as recorded has
/// nothing to emit.
pub fn verify(root: &Path, manifest: &Manifest, stop: &std::sync::atomic::AtomicBool) -> Option<Vec<Produced>> {
    use sha2::{Digest, Sha256};
    if !manifest.pending.is_empty() {
        return None;
    }
    let mut buffer = vec![0u8; 1 << 20];
    let mut produced = Vec::with_capacity(manifest.files.len());
    for (path, sha) in &manifest.files {
        // A link, or anything but a regular file, is not as recorded: the full plan reports it.
        let Ok(Found::File(mut file)) = nofollow::open(root, path) else {
            return None;
        };
        let mut hash = Sha256::new();
        loop {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            match file.read(&mut buffer).ok()? {
                0 => break,
                n => hash.update(&buffer[..n]),
            }
        }
        if crate::conventions::hex(&hash.finalize()) != *sha {
            return None;
        }
        produced.push(Produced { path: path.clone(), sha256: sha.clone(), on_disk: OnDisk::Same, changes: None });
    }
    Some(produced)
}

/// Reads into `disk` the files its manifest lists that nothing in `produced` writes any more:
/// the files a build deletes.
pub fn read_stale(root: &Path, disk: &mut Disk, produced: &[Produced]) -> Result<(), OutError> {
    let produced: std::collections::BTreeSet<&str> = produced.iter().map(|p| p.path.as_str()).collect();
    let stale: Vec<String> =
        Disk::stale_paths(disk.manifest.as_ref(), &produced).into_iter().map(str::to_string).collect();
    for rel in stale {
        if let Some(bytes) = read_file(root, &rel)? {
            disk.files.insert(rel, bytes);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_absent_the_same_or_read_whole_when_it_differs() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = dir.path();
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        fs::write(root.join("big"), &big).expect("written");
        fs::write(root.join("empty"), b"").expect("written");
        assert_eq!(read_unless_same(root, "none", b"x").ok(), Some(Existing::Absent));
        assert_eq!(read_unless_same(root, "big/under", b"x").ok(), Some(Existing::Absent), "a file as a parent");
        assert_eq!(read_unless_same(root, "big", &big).ok(), Some(Existing::Same));
        assert_eq!(read_unless_same(root, "empty", b"").ok(), Some(Existing::Same));
        let mut late = big.clone();
        *late.last_mut().expect("bytes") ^= 1;
        assert_eq!(read_unless_same(root, "big", &late).ok(), Some(Existing::Different(big.clone())), "a late byte");
        let mut early = big.clone();
        early[5] ^= 1;
        assert_eq!(read_unless_same(root, "big", &early).ok(), Some(Existing::Different(big.clone())));
        assert_eq!(read_unless_same(root, "big", &big[..10]).ok(), Some(Existing::Different(big.clone())), "shorter");
        assert_eq!(read_unless_same(root, "empty", b"x").ok(), Some(Existing::Different(Vec::new())));
    }
}
