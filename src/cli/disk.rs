//! The disk as the front end sees it: the spec file and the files beside it.
//!
//! In: the spec's path (as the user gave it) and the paths the spec names, relative to its
//! directory. Out: their bytes, or a [`FileError`] saying why not. Only regular files are
//! read, and the type is checked on the open file before any read, so a FIFO or a device
//! never blocks genops. A file the spec names must resolve inside the spec's directory: no
//! component of its path may be a link that leaves it, because its contents are copied into
//! the output and into the plan a pull request shows. On Linux the kernel resolves the path
//! under that rule (`openat2` with `RESOLVE_BENEATH`), so nothing can swap a link in between a
//! check and the open; where `openat2` does not exist, the canonical path is compared with the
//! directory's instead.

use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use crate::load::{FileError, Files};

/// Files relative to the spec's directory.
pub struct DiskFiles {
    pub root: PathBuf,
}

impl Files for DiskFiles {
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        read_open(open_beneath(&self.root, Path::new(path))?, limit)
    }
}

/// Reads the spec itself: a regular file (links followed: the user named it), refusing
/// directories, FIFOs, devices and anything over `limit` bytes without reading it.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    regular_or_directory(&fs::metadata(path).map_err(io_error)?)?;
    read_open(open_nonblocking(path)?, limit)
}

/// Reads an open file if it is a regular one of at most `limit` bytes.
fn read_open(file: File, limit: u64) -> Result<Vec<u8>, FileError> {
    let meta = file.metadata().map_err(io_error)?;
    regular_or_directory(&meta)?;
    if meta.is_dir() {
        return Err(FileError::IsDirectory);
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge { size: meta.len(), limit });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // A file that grows while being read is still capped.
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io_error)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge { size: bytes.len() as u64, limit });
    }
    Ok(bytes)
}

/// Directories are reported as such (a common slip); every other non-regular file is refused.
fn regular_or_directory(meta: &fs::Metadata) -> Result<(), FileError> {
    if meta.is_file() || meta.is_dir() { Ok(()) } else { Err(FileError::NotRegular) }
}

/// `root/path`, opened only if every component resolves inside `root`.
fn open_beneath(root: &Path, path: &Path) -> Result<File, FileError> {
    #[cfg(target_os = "linux")]
    if let Some(opened) = linux::openat2_beneath(root, path) {
        return opened;
    }
    open_canonical_beneath(root, path)
}

/// The portable rule: the canonical path (every link resolved) lies inside the canonical root.
fn open_canonical_beneath(root: &Path, path: &Path) -> Result<File, FileError> {
    let root = if root.as_os_str().is_empty() { Path::new(".") } else { root };
    let root = fs::canonicalize(root).map_err(io_error)?;
    let full = fs::canonicalize(root.join(path)).map_err(io_error)?;
    if !full.starts_with(&root) {
        return Err(FileError::OutsideSpecDir);
    }
    regular_or_directory(&fs::metadata(&full).map_err(io_error)?)?;
    open_nonblocking(&full)
}

/// Opens for reading without waiting for a writer (a FIFO) or a device to become ready.
fn open_nonblocking(path: &Path) -> Result<File, FileError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(io_error)?;
    #[cfg(target_os = "linux")]
    linux::clear_nonblocking(&file);
    Ok(file)
}

fn io_error(e: std::io::Error) -> FileError {
    match e.kind() {
        ErrorKind::NotFound => FileError::NotFound,
        ErrorKind::IsADirectory => FileError::IsDirectory,
        _ if e.raw_os_error() == Some(NO_SUCH_DEVICE_OR_ADDRESS) => FileError::NotRegular,
        _ => FileError::Other(e.to_string()),
    }
}

/// `ENXIO`: what opening a socket returns.
const NO_SUCH_DEVICE_OR_ADDRESS: i32 = 6;

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::CString;
    use std::fs::File;
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::Path;

    use super::io_error;
    use crate::load::FileError;

    /// `openat2(root, path, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`, or `None` when the
    /// kernel (or a seccomp filter) does not offer the call.
    pub(super) fn openat2_beneath(root: &Path, path: &Path) -> Option<Result<File, FileError>> {
        let root = if root.as_os_str().is_empty() { Path::new(".") } else { root };
        let dir = match std::fs::OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY).open(root) {
            Ok(dir) => dir,
            Err(e) => return Some(Err(io_error(e))),
        };
        let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
            return Some(Err(FileError::NotFound));
        };
        // SAFETY: `open_how` is plain data; all-zero is its documented default.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = (libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC) as u64;
        how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;
        // SAFETY: the pointers are valid for the call; the size is the struct's.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dir.as_raw_fd(),
                c_path.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd < 0 {
            let error = std::io::Error::last_os_error();
            return match error.raw_os_error() {
                Some(libc::ENOSYS | libc::EPERM) => None,
                Some(libc::EXDEV) => Some(Err(FileError::OutsideSpecDir)),
                _ => Some(Err(io_error(error))),
            };
        }
        // SAFETY: the kernel just gave us this descriptor, and nothing else owns it.
        let file = unsafe { File::from_raw_fd(fd as i32) };
        clear_nonblocking(&file);
        Some(Ok(file))
    }

    /// Blocking reads again once the file is known to be open: only the open had to not wait.
    pub(super) fn clear_nonblocking(file: &File) {
        // SAFETY: fcntl on a descriptor this `File` owns.
        unsafe {
            let flags = libc::fcntl(file.as_raw_fd(), libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(file.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::create_dir(dir.path().join("spec")).expect("mkdir");
        fs::create_dir(dir.path().join("spec/shared")).expect("mkdir");
        fs::write(dir.path().join("spec/shared/a.md"), "inside").expect("write");
        fs::write(dir.path().join("secret"), "outside").expect("write");
        dir
    }

    fn both(root: &Path, path: &str) -> [Result<Vec<u8>, FileError>; 2] {
        let kernel = read_open_or(open_beneath(root, Path::new(path)), 100);
        let portable = read_open_or(open_canonical_beneath(root, Path::new(path)), 100);
        [kernel, portable]
    }

    fn read_open_or(file: Result<File, FileError>, limit: u64) -> Result<Vec<u8>, FileError> {
        read_open(file?, limit)
    }

    /// The kernel's rule and the portable one agree on what is inside.
    #[test]
    fn links_inside_are_read_and_links_outside_are_refused() {
        let dir = tree();
        let root = dir.path().join("spec");
        std::os::unix::fs::symlink("shared/a.md", root.join("in.md")).expect("link");
        std::os::unix::fs::symlink("shared", root.join("kb")).expect("link");
        std::os::unix::fs::symlink("../secret", root.join("out.md")).expect("link");
        std::os::unix::fs::symlink("..", root.join("up")).expect("link");
        for [a, b] in [both(&root, "in.md"), both(&root, "kb/a.md"), both(&root, "shared/a.md")] {
            assert_eq!(a, Ok(b"inside".to_vec()));
            assert_eq!(b, Ok(b"inside".to_vec()));
        }
        for path in ["out.md", "up/secret"] {
            assert_eq!(both(&root, path), [Err(FileError::OutsideSpecDir), Err(FileError::OutsideSpecDir)], "{path}");
        }
        assert_eq!(both(&root, "kb"), [Err(FileError::IsDirectory), Err(FileError::IsDirectory)]);
        assert_eq!(both(&root, "missing.md"), [Err(FileError::NotFound), Err(FileError::NotFound)]);
    }
}
