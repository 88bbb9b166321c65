//! Opening a path in OUT without following a link.
//!
//! In: OUT and a path relative to it. Out: the regular file there, opened for reading; or that
//! nothing is there; or that something genops must not read is there — a symbolic link (at the
//! path, or a linked directory on the way to it), a directory, a FIFO (opening one for reading
//! would wait forever for a writer), a socket or a device. A link in OUT may point anywhere
//! (`/etc/passwd`, a CI token); what genops reads from OUT ends up in plans posted as PR
//! comments, so it reads regular files only. OUT itself may be a link: the user chose it.

use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

/// What is at a path in OUT.
pub(super) enum Found {
    Absent,
    File(File),
    /// Anything but a regular file reached without a link.
    NotAFile,
}

/// Opens the file at `rel` (`/`-separated) in OUT for reading, if it is a regular file
/// reached without a link. A file where a directory on the way should be reads as absent, as
/// there is nothing at the path (the commit refuses it before writing).
pub(super) fn open(root: &Path, rel: &str) -> io::Result<Found> {
    let mut path = root.to_path_buf();
    let mut segments = rel.split('/').peekable();
    while let Some(segment) = segments.next() {
        path.push(segment);
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                return Ok(Found::Absent);
            }
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            return Ok(Found::NotAFile);
        }
        if segments.peek().is_some() && !meta.is_dir() {
            return Ok(Found::Absent);
        }
        if segments.peek().is_none() && !meta.is_file() {
            return Ok(Found::NotAFile);
        }
    }
    open_regular(&path)
}

/// Opens `path`, checked to be a regular file a moment ago, refusing what it may have become
/// since (on Linux the kernel refuses a link and never waits on a FIFO).
fn open_regular(path: &PathBuf) -> io::Result<Found> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Absent),
        #[cfg(target_os = "linux")]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(Found::NotAFile),
        Err(e) => return Err(e),
    };
    Ok(if file.metadata().as_ref().is_ok_and(Metadata::is_file) { Found::File(file) } else { Found::NotAFile })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(root: &Path, rel: &str) -> &'static str {
        match open(root, rel).expect("no I/O error") {
            Found::Absent => "absent",
            Found::File(_) => "file",
            Found::NotAFile => "not a file",
        }
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_reached_without_links_are_opened() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = dir.path();
        let outside = tempfile::tempdir().expect("a temporary directory");
        fs::write(outside.path().join("secret"), "secret").expect("written");
        fs::create_dir_all(root.join("a/b")).expect("mkdir");
        fs::write(root.join("a/b/file"), "x").expect("written");
        symlink(outside.path().join("secret"), root.join("a/link")).expect("symlink");
        symlink(outside.path(), root.join("a/linked-dir")).expect("symlink");
        symlink(root.join("nowhere"), root.join("a/dangling")).expect("symlink");
        assert_eq!(found(root, "a/b/file"), "file");
        assert_eq!(found(root, "a/b/none"), "absent");
        assert_eq!(found(root, "a/b/file/under"), "absent", "a file as a parent");
        assert_eq!(found(root, "none/at/all"), "absent");
        assert_eq!(found(root, "a/b"), "not a file", "a directory");
        assert_eq!(found(root, "a/link"), "not a file");
        assert_eq!(found(root, "a/dangling"), "not a file");
        assert_eq!(found(root, "a/linked-dir/secret"), "not a file", "a link on the way");
    }
}
