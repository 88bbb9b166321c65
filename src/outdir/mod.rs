//! The output directory (OUT): the only code that reads or writes it.
//!
//! In: the path of OUT, the files a build emits, and the plan computed from them. Out: what a
//! plan compares with ([`read`]: the manifest, the bytes at each generated path, the files a
//! build deletes), and OUT changed to match the plan ([`staging`], [`streamed`], [`commit`]).
//!
//! OUT is genops's alone while it works: a build holds OUT's [`Lock`] from before it reads
//! the manifest until its commit is done, and a plan holds it shared ([`lock`]); `/` and
//! `$HOME` are refused as OUT ([`place`]). Inside OUT genops follows no symbolic link: it reads
//! regular files only ([`nofollow`]; anything else at a generated path is a conflict, shown
//! without being read), refuses a linked `.genops` or staging directory, never writes under a
//! linked directory, and creates each of its temporary files anew (never opening one a link
//! may stand at).
//!
//! A build hands each file that changes to its [`Staging`] the moment it is emitted, so its
//! contents need not stay in memory, and the largest files a megabyte at a time while they are
//! made ([`Streamed`]: compared with OUT part by part, staged only from their first
//! difference); [`write`] then carries out the plan so that a failed or killed build never
//! leaves a half-written file, never touches a file genops did not write, and never leaves a
//! manifest that lies:
//!
//! 1. every new file is written into `OUT/.genops/staging-PID/` (same filesystem as OUT) as it
//!    is emitted, and all are flushed to disk before step 2 — OUT itself is untouched so far
//!    (a build that fails or refuses removes its staging, and its lock the directories it
//!    made);
//! 2. the manifest is rewritten (write, flush, rename) as a journal: the files that stay as
//!    they are under `files`, the ones about to be replaced or deleted under `pending` with
//!    their old and new hashes;
//! 3. each staged file is renamed over its destination (one atomic `rename` each) and stale
//!    files are deleted; the directories are flushed;
//! 4. the final manifest replaces the journal (write, flush, rename) and staging is removed.
//!
//! A build killed during 1 leaves OUT as it was, but for its pid in the lock file and a
//! staging directory the next build removes; killed during 3, every file is whole — old or
//! new — and the journal says which may be which, so the next build (or plan) accepts either
//! and finishes the job. Only the renames of step 3 happen after the point of no return;
//! everything slow (compiling, rendering, writing, flushing) happens before it.

mod commit;
mod lock;
mod nofollow;
mod place;
mod read;
mod staging;
mod streamed;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::plan::manifest;

pub use commit::{Written, write};
pub use lock::Lock;
pub use read::{Existing, open, read_stale, read_unless_same, verify};
pub use staging::Staging;
pub use streamed::Streamed;

/// Why the output directory could not be read or written.
#[derive(Debug)]
pub enum OutError {
    Io {
        path: PathBuf,
        error: io::Error,
    },
    /// The manifest is there but is not one this genops can read.
    Manifest {
        path: PathBuf,
        problem: String,
    },
    NotADirectory(PathBuf),
    /// A symbolic link inside OUT where genops reads or writes: never followed.
    Link(PathBuf),
    /// A directory, FIFO, socket or device where genops reads or writes a file.
    NotAFile(PathBuf),
    /// Another genops holds OUT's lock: a build (whose pid it wrote into the lock) or a plan.
    Busy {
        root: PathBuf,
        pid: Option<u32>,
    },
    /// OUT is a directory genops must not fill: the filesystem root, or the home directory.
    Refused {
        root: PathBuf,
        why: &'static str,
    },
}

impl std::fmt::Display for OutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            OutError::Manifest { path, problem } => write!(
                f,
                "{} is not a manifest this genops can read: {problem} (move it away, or build with --force to start a new one)",
                path.display()
            ),
            OutError::NotADirectory(path) => write!(f, "{} exists and is not a directory", path.display()),
            OutError::Link(path) => write!(
                f,
                "{} is a symbolic link: genops never reads or writes through a link inside the output directory (remove the link)",
                path.display()
            ),
            OutError::NotAFile(path) => write!(
                f,
                "{} is not a regular file (a directory, FIFO, socket or device): move it out of the output directory",
                path.display()
            ),
            OutError::Busy { root, pid: Some(pid) } => write!(
                f,
                "another genops (pid {pid}) is writing {}: wait for it to finish, then run this again",
                root.display()
            ),
            OutError::Busy { root, pid: None } => write!(
                f,
                "another genops is using {} (a `genops plan` reading it, or a build just starting): wait for it to finish, then run this again",
                root.display()
            ),
            OutError::Refused { root, why } => write!(
                f,
                "refusing {} as the output directory: it is {why}, and genops would mix its files with everything else there (give genops a directory of its own, such as `-o out`)",
                root.display()
            ),
        }
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> OutError + '_ {
    move |error| OutError::Io { path: path.to_path_buf(), error }
}

/// Refuses a path outside OUT (checked again here, where files are written and deleted).
fn safe(root: &Path, rel: &str) -> Result<(), OutError> {
    manifest::check_path(rel).map_err(|problem| OutError::Io {
        path: root.join(rel),
        error: io::Error::new(io::ErrorKind::InvalidInput, problem),
    })
}

/// `OUT/.genops` if it is a directory (`None`: there is none). A link there is refused: genops
/// writes its manifest and deletes leftover staging directories inside it.
fn genops_dir(root: &Path) -> Result<Option<PathBuf>, OutError> {
    let dir = root.join(manifest::DIR);
    match fs::symlink_metadata(&dir) {
        Ok(meta) if meta.file_type().is_symlink() => Err(OutError::Link(dir)),
        Ok(meta) if !meta.is_dir() => Err(OutError::NotADirectory(dir)),
        Ok(_) => Ok(Some(dir)),
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Ok(None),
        Err(e) => Err(io_at(&dir)(e)),
    }
}

/// Why genops will not read or replace what is at `path`: a link, or another kind of file.
fn not_a_file(path: PathBuf) -> OutError {
    if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        OutError::Link(path)
    } else {
        OutError::NotAFile(path)
    }
}
