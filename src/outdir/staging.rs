//! Staging: step 1 of the commit protocol (see the module above).
//!
//! In: each file a build writes, whole, as it is emitted (from several threads). Out: the file
//! written into `OUT/.genops/staging-PID/`, flushed to disk in the background, and recorded
//! under its path in OUT for [`super::write`]; or, for a build that fails, nothing left
//! behind ([`Staging::discard`]).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::streamed::Streamed;
use super::{OutError, genops_dir, io_at, safe};
use crate::plan::manifest;

/// Step 1 of a write: the new files, written into `OUT/.genops/staging-PID/` as they are
/// emitted (from several threads). `OUT/.genops` is there already (the build's
/// [`super::Lock`] made it); the staging directory is made when the first file comes. Each
/// staged file is flushed to disk by a background thread while the next ones are emitted
/// ([`Flusher`]), so that the commit finds them on disk.
pub struct Staging {
    pub(super) root: PathBuf,
    pub(super) dir: PathBuf,
    state: Mutex<StagingState>,
}

#[derive(Default)]
pub(super) struct StagingState {
    /// Whether `dir` exists.
    made: bool,
    /// Relative path in OUT → its staged file.
    pub(super) files: crate::hash::HashMap<String, PathBuf>,
    /// The number of the next staged file's name.
    next: usize,
    /// Flushing the staged files, from the first one on.
    flusher: Option<Flusher>,
}

/// A thread that syncs each staged file to disk as soon as it is written. The kernel would
/// otherwise start writing a build's output only at the commit's `fsync` (hundreds of
/// megabytes for a large system are under its dirty-page threshold), and the build would wait
/// for all of it there; this way the disk works while the emitters do. It waits on the disk,
/// not on the CPU.
struct Flusher {
    files: std::sync::mpsc::Sender<PathBuf>,
    thread: std::thread::JoinHandle<Result<(), OutError>>,
}

impl Flusher {
    fn start() -> Flusher {
        let (files, staged) = std::sync::mpsc::channel::<PathBuf>();
        let thread = std::thread::spawn(move || {
            // Every file is synced even after a failure, so the first error is the one reported.
            let mut result = Ok(());
            for path in staged {
                let synced = File::open(&path).and_then(|f| f.sync_all()).map_err(io_at(&path));
                if result.is_ok() {
                    result = synced;
                }
            }
            result
        });
        Flusher { files, thread }
    }

    /// Waits until every file sent so far is on disk.
    fn finish(self) -> Result<(), OutError> {
        drop(self.files);
        self.thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

impl Staging {
    pub fn new(root: &Path) -> Staging {
        let dir = root.join(manifest::DIR).join(format!("staging-{}", std::process::id()));
        Staging { root: root.to_path_buf(), dir, state: Mutex::new(StagingState::default()) }
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, StagingState> {
        crate::parallel::lock(&self.state)
    }

    /// Makes the staging directory once, after removing those of builds that were killed.
    pub(super) fn make(&self) -> Result<(), OutError> {
        let mut state = self.lock();
        if state.made {
            return Ok(());
        }
        let Some(genops) = genops_dir(&self.root)? else {
            return Err(io_at(&self.root.join(manifest::DIR))(io::ErrorKind::NotFound.into()));
        };
        remove_leftovers(&genops)?;
        fs::create_dir(&self.dir).map_err(io_at(&self.dir))?;
        state.made = true;
        state.flusher = Some(Flusher::start());
        Ok(())
    }

    /// Writes the new contents of `rel` into staging and has it flushed to disk in the
    /// background.
    pub fn stage(&self, rel: &str, bytes: &[u8]) -> Result<(), OutError> {
        safe(&self.root, rel)?;
        let path = self.new_file()?;
        create_new(&path).and_then(|mut file| write_in_parts(&mut file, bytes)).map_err(io_at(&path))?;
        self.staged(rel, path);
        Ok(())
    }

    /// A new name in staging (made if need be).
    pub(super) fn new_file(&self) -> Result<PathBuf, OutError> {
        self.make()?;
        let mut state = self.lock();
        state.next += 1;
        Ok(self.dir.join((state.next - 1).to_string()))
    }

    /// Records `path` as the new contents of `rel`, and has it flushed to disk in the background.
    pub(super) fn staged(&self, rel: &str, path: PathBuf) {
        let mut state = self.lock();
        state.files.insert(rel.to_string(), path.clone());
        if let Some(flusher) = &state.flusher {
            // A flusher that stopped has its error waiting in `finish`.
            let _ = flusher.files.send(path);
        }
    }

    /// The file `rel`, to be staged in parts as it is emitted ([`Streamed`]).
    pub fn stream(&self, rel: &str) -> Streamed<'_> {
        Streamed::new(self, rel)
    }

    /// Waits until every staged file is on disk.
    pub(super) fn flushed(&self) -> Result<(), OutError> {
        let flusher = self.lock().flusher.take();
        flusher.map_or(Ok(()), Flusher::finish)
    }

    /// Removes the staging directory, leaving OUT as it was.
    pub fn discard(self) {
        let mut state = self.state.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(flusher) = state.flusher.take() {
            let _ = flusher.finish();
        }
        if state.made {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes `bytes` a megabyte at a time, as files written in parts are: the kernel copies a
/// large file into the page cache far faster in parts than in one call (BENCHMARKS.md).
pub(super) fn write_in_parts(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    bytes.chunks(crate::emit::sink::PART).try_for_each(|part| file.write_all(part))
}

/// Removes the staging directories left by killed builds (the build holds OUT's lock: no other
/// build is staging). A link among them is refused: what it points to is not genops's.
pub(super) fn remove_leftovers(genops_dir: &Path) -> Result<(), OutError> {
    for entry in fs::read_dir(genops_dir).map_err(io_at(genops_dir))?.flatten() {
        if entry.file_name().to_string_lossy().starts_with("staging-") {
            if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                return Err(OutError::Link(entry.path()));
            }
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    Ok(())
}

/// Creates a new file, failing if anything is at `path` already: a link planted there is
/// never followed.
pub(super) fn create_new(path: &Path) -> io::Result<File> {
    fs::OpenOptions::new().write(true).create_new(true).open(path)
}
