//! OUT's lock: one build writes OUT at a time, and no plan reads it meanwhile.
//!
//! In: OUT, and whether the caller writes it (a build) or only reads it (a plan). Out: a
//! [`Lock`] held until it is dropped, or why not — [`OutError::Busy`] with the pid of the build
//! that holds it, or OUT refused outright (the filesystem root, `$HOME`, a linked `.genops`).
//!
//! The lock is an advisory lock (`flock`, on Linux) on `OUT/.genops/lock`, taken without
//! waiting: a CI job would rather fail with a clear message than hang behind a stuck build.
//! The system releases it when its holder exits, however it exits, so a killed build never
//! leaves OUT locked. A build holds it exclusively from before it reads OUT's manifest until
//! its commit is done, so its plan is made against the OUT it writes, and writes its pid into
//! the lock file meanwhile, for the message of the one that finds it busy. A plan holds it
//! shared (plans do not exclude one another), so it never reads an OUT a build is halfway
//! through changing; a plan creates nothing, so in an OUT no build of this version has written
//! it reads without. Elsewhere than Linux genops runs without the lock.
//!
//! A build into a fresh OUT makes OUT and `OUT/.genops` here, first; unless the build finishes
//! ([`Lock::keep`]), dropping the lock removes what it made — the lock file, and each directory
//! it created that is empty by then — so a failed build leaves no trace.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::{OutError, genops_dir, io_at, place};
use crate::plan::manifest;

/// The lock file, in OUT.
const PATH: &str = ".genops/lock";

/// OUT's lock, held until dropped.
pub struct Lock {
    /// `None`: a plan in an OUT without a lock file, or a build that did not get the lock.
    file: Option<File>,
    path: PathBuf,
    /// Directories this build created (OUT, those above it, `.genops`), outermost first.
    created: Vec<PathBuf>,
    /// Whether this build created the lock file.
    created_file: bool,
    /// The build finished: what it made stays.
    kept: bool,
}

impl Lock {
    /// A build's lock: exclusive. Makes OUT and `OUT/.genops` if need be.
    pub fn write(root: &Path) -> Result<Lock, OutError> {
        place::check(root)?;
        let path = root.join(PATH);
        let mut lock = Lock { file: None, path, created: Vec::new(), created_file: false, kept: false };
        lock.make_dirs(root)?;
        for _ in 0..ATTEMPTS {
            let file = match open_nofollow(fs::OpenOptions::new().read(true).write(true).create_new(true), &lock.path) {
                Ok(file) => {
                    lock.created_file = true;
                    file
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    match open_nofollow(fs::OpenOptions::new().read(true).write(true), &lock.path) {
                        Ok(file) => file,
                        // Removed by the build that held it, a moment ago: make it again.
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(lock_error(&lock.path, e)),
                    }
                }
                Err(e) => return Err(lock_error(&lock.path, e)),
            };
            take(&file, root, true)?;
            if !still_at(&file, &lock.path) {
                continue;
            }
            file.set_len(0)
                .and_then(|()| (&file).write_all(format!("{}\n", std::process::id()).as_bytes()))
                .map_err(io_at(&lock.path))?;
            lock.file = Some(file);
            return Ok(lock);
        }
        Err(OutError::Busy { root: root.to_path_buf(), pid: None })
    }

    /// A plan's lock: shared with other plans, if OUT has a lock file.
    pub fn read(root: &Path) -> Result<Lock, OutError> {
        place::check(root)?;
        let path = root.join(PATH);
        let mut lock = Lock { file: None, path, created: Vec::new(), created_file: false, kept: true };
        if genops_dir(root)?.is_none() {
            return Ok(lock);
        }
        for _ in 0..ATTEMPTS {
            let file = match open_nofollow(fs::OpenOptions::new().read(true), &lock.path) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(lock),
                Err(e) => return Err(lock_error(&lock.path, e)),
            };
            take(&file, root, false)?;
            if still_at(&file, &lock.path) {
                lock.file = Some(file);
                return Ok(lock);
            }
        }
        Err(OutError::Busy { root: root.to_path_buf(), pid: None })
    }

    /// The build finished: OUT and the lock file stay.
    pub fn keep(mut self) {
        self.kept = true;
    }

    /// OUT/.genops and every missing directory above it, outermost first.
    fn make_dirs(&mut self, root: &Path) -> Result<(), OutError> {
        if fs::metadata(root).is_ok_and(|m| !m.is_dir()) {
            return Err(OutError::NotADirectory(root.to_path_buf()));
        }
        if genops_dir(root)?.is_some() {
            return Ok(());
        }
        let genops = root.join(manifest::DIR);
        let missing: Vec<&Path> =
            genops.ancestors().take_while(|dir| !dir.as_os_str().is_empty() && !dir.exists()).collect();
        for dir in missing.into_iter().rev() {
            match fs::create_dir(dir) {
                Ok(()) => self.created.push(dir.to_path_buf()),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_at(dir)(e)),
            }
        }
        // Made by another genops meanwhile, as a link: refused as well.
        genops_dir(root).map(drop)
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            // While it is still held: no other build can be writing the file.
            if self.created_file && !self.kept {
                let _ = fs::remove_file(&self.path);
            } else {
                let _ = file.set_len(0);
            }
        }
        drop(self.file.take());
        if !self.kept {
            for dir in self.created.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
        }
    }
}

/// How often the lock file may turn out to be removed or replaced under us before we give up.
const ATTEMPTS: usize = 8;

/// Takes the lock on `file` without waiting; [`OutError::Busy`] if another genops holds it.
fn take(file: &File, root: &Path, exclusive: bool) -> Result<(), OutError> {
    match try_flock(file, exclusive) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            let mut text = String::new();
            let _ = (&*file).read_to_string(&mut text);
            Err(OutError::Busy { root: root.to_path_buf(), pid: text.trim().parse().ok() })
        }
        Err(e) => Err(OutError::Io { path: root.join(PATH), error: e }),
    }
}

/// `flock(2)` without waiting. (`File::try_lock` does the same everywhere from Rust 1.89 on,
/// past the project's minimum version.)
#[cfg(target_os = "linux")]
fn try_flock(file: &File, exclusive: bool) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let operation = if exclusive { libc::LOCK_EX } else { libc::LOCK_SH } | libc::LOCK_NB;
    // SAFETY: flock takes a file descriptor this `File` owns and an integer; it changes no
    // memory of ours. The lock goes with the descriptor when the `File` is dropped.
    if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Elsewhere genops runs without the lock, as before it had one.
#[cfg(not(target_os = "linux"))]
fn try_flock(_: &File, _: bool) -> io::Result<()> {
    Ok(())
}

/// Whether `file` is still the lock file at `path`: a build that made the lock file and failed
/// removes it while holding it, and whoever opened it before and locks it after must lock the
/// one now there instead.
fn still_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::symlink_metadata(path)) {
            (Ok(held), Ok(there)) => held.dev() == there.dev() && held.ino() == there.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// Opens the lock file, never through a link (on Linux the kernel refuses one; elsewhere it
/// is looked for first).
fn open_nofollow(options: &mut fs::OpenOptions, path: &Path) -> io::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(target_os = "linux"))]
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::other("a symbolic link"));
    }
    options.open(path)
}

/// A lock file that cannot be opened: a link is named as such.
fn lock_error(path: &Path, error: io::Error) -> OutError {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        OutError::Link(path.to_path_buf())
    } else {
        io_at(path)(error)
    }
}
