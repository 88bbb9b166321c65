//! The output directory: the only code that reads or writes OUT.
//!
//! [`open`] reads the manifest before anything is emitted; [`read_file`] gives the bytes at an
//! artifact's path as the artifact is emitted, and [`read_stale`] the files the manifest lists
//! that nothing produces any more — together, what a plan compares with. A build hands each
//! file that changes to its [`Staging`] the moment it is emitted, so its contents need not stay
//! in memory, and the largest files a megabyte at a time while they are made ([`Streamed`]:
//! compared with OUT part by part, staged only from their first difference); [`write`] then
//! carries out the plan so that a failed or killed build never leaves
//! a half-written file, never touches a file genops did not write, and never leaves a manifest
//! that lies:
//!
//! 1. every new file is written into `OUT/.genops/staging-PID/` (same filesystem as OUT) as it
//!    is emitted, and all are flushed to disk before step 2 — OUT itself is untouched so far
//!    (a build that fails or refuses removes its staging, and the directories it made for it);
//! 2. the manifest is rewritten (write, flush, rename) as a journal: the files that stay as
//!    they are under `files`, the ones about to be replaced or deleted under `pending` with
//!    their old and new hashes;
//! 3. each staged file is renamed over its destination (one atomic `rename` each) and stale
//!    files are deleted; the directories are flushed;
//! 4. the final manifest replaces the journal (write, flush, rename) and staging is removed.
//!
//! A build killed during 1 leaves OUT exactly as it was (a leftover staging directory is
//! removed by the next build); killed during 3, every file is whole — old or new — and the
//! journal says which may be which, so the next build (or plan) accepts either and finishes
//! the job. Only the renames of step 3 happen after the point of no return; everything slow
//! (compiling, rendering, writing, flushing) happens before it.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use std::sync::Mutex;

use crate::plan::manifest::{self, Manifest, Pending};
use crate::plan::{Action, Disk, OnDisk, Plan, Produced};

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
        }
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> OutError + '_ {
    move |error| OutError::Io { path: path.to_path_buf(), error }
}

/// Reads OUT's manifest: what a plan needs before anything is emitted. A missing OUT is an
/// empty one. With `ignore_bad_manifest` (`build --force`), an unreadable manifest is treated
/// as absent.
pub fn open(root: &Path, ignore_bad_manifest: bool) -> Result<Disk, OutError> {
    let mut disk = Disk::default();
    match fs::metadata(root) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(disk),
        Err(e) => return Err(io_at(root)(e)),
        Ok(meta) if !meta.is_dir() => return Err(OutError::NotADirectory(root.to_path_buf())),
        Ok(_) => {}
    }
    let manifest_path = root.join(manifest::PATH);
    match fs::read_to_string(&manifest_path) {
        Ok(text) => match Manifest::parse(&text) {
            Ok(m) => disk.manifest = Some(m),
            Err(_) if ignore_bad_manifest => {}
            Err(problem) => return Err(OutError::Manifest { path: manifest_path, problem }),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(_) if ignore_bad_manifest => {}
        Err(e) => return Err(io_at(&manifest_path)(e)),
    }
    Ok(disk)
}

/// The bytes at `rel` in OUT; `None` when there is no file there.
pub fn read_file(root: &Path, rel: &str) -> Result<Option<Vec<u8>>, OutError> {
    let path = root.join(rel);
    match fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        // A parent that is a file (`terraform` is a file) reads as "not a directory"; the
        // write refuses it before touching anything.
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => Ok(None),
        Err(e) => Err(io_at(&path)(e)),
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
}

/// The file at `rel` in OUT compared with `contents`. A file that is the same is read a
/// megabyte at a time and let go, so that comparing a 77 MB `monitoring.tf` that did not change
/// does not hold a second copy of it; only a file that differs is read whole.
pub fn read_unless_same(root: &Path, rel: &str, contents: &[u8]) -> Result<Existing, OutError> {
    use std::io::Read;
    let path = root.join(rel);
    let mut file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
            return Ok(Existing::Absent);
        }
        Err(e) => return Err(io_at(&path)(e)),
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
    // Different: the whole of it, from the start.
    Ok(read_file(root, rel)?.map_or(Existing::Absent, Existing::Different))
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
    use std::io::Read;
    if !manifest.pending.is_empty() {
        return None;
    }
    let mut buffer = vec![0u8; 1 << 20];
    let mut produced = Vec::with_capacity(manifest.files.len());
    for (path, sha) in &manifest.files {
        let mut file = File::open(root.join(path)).ok()?;
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

/// Step 1 of a write: the new files, written into `OUT/.genops/staging-PID/` as they are
/// emitted (from several threads), and the directories made for them. Nothing is created
/// before the first file comes. Each staged file is flushed to disk by a background thread
/// while the next ones are emitted ([`Flusher`]), so that the commit finds them on disk.
pub struct Staging {
    root: PathBuf,
    dir: PathBuf,
    state: Mutex<StagingState>,
}

#[derive(Default)]
struct StagingState {
    /// Whether `dir` exists.
    made: bool,
    /// Directories this build created for its staging (OUT and those above it, `.genops`),
    /// outermost first.
    created: Vec<PathBuf>,
    /// Relative path in OUT → its staged file.
    files: crate::hash::HashMap<String, PathBuf>,
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

    fn lock(&self) -> std::sync::MutexGuard<'_, StagingState> {
        crate::parallel::lock(&self.state)
    }

    /// Makes the staging directory (and OUT and `OUT/.genops` if need be) once.
    fn make(&self) -> Result<(), OutError> {
        let mut state = self.lock();
        if state.made {
            return Ok(());
        }
        let genops_dir = self.root.join(manifest::DIR);
        // OUT/.genops and every missing directory above it, outermost first.
        let missing: Vec<&Path> =
            genops_dir.ancestors().take_while(|dir| !dir.as_os_str().is_empty() && !dir.exists()).collect();
        for dir in missing.into_iter().rev() {
            match fs::create_dir(dir) {
                Ok(()) => state.created.push(dir.to_path_buf()),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_at(dir)(e)),
            }
        }
        remove_leftovers(&genops_dir)?;
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
        File::create(&path).and_then(|mut file| write_in_parts(&mut file, bytes)).map_err(io_at(&path))?;
        self.staged(rel, path);
        Ok(())
    }

    /// A new name in staging (made if need be).
    fn new_file(&self) -> Result<PathBuf, OutError> {
        self.make()?;
        let mut state = self.lock();
        state.next += 1;
        Ok(self.dir.join((state.next - 1).to_string()))
    }

    /// Records `path` as the new contents of `rel`, and has it flushed to disk in the background.
    fn staged(&self, rel: &str, path: PathBuf) {
        let mut state = self.lock();
        state.files.insert(rel.to_string(), path.clone());
        if let Some(flusher) = &state.flusher {
            // A flusher that stopped has its error waiting in `finish`.
            let _ = flusher.files.send(path);
        }
    }

    /// The file `rel`, to be staged in parts as it is emitted ([`Streamed`]).
    pub fn stream(&self, rel: &str) -> Streamed<'_> {
        let mut streamed = Streamed {
            staging: self,
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
        if let Err(e) = safe(&self.root, rel) {
            streamed.error = Some(("write", e));
            return streamed;
        }
        let path = self.root.join(rel);
        match File::open(&path) {
            Ok(file) => streamed.old = Old::SameSoFar(file),
            // A parent that is a file reads as "not a directory": the write refuses it later.
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {}
            Err(e) => streamed.error = Some(("read", io_at(&path)(e))),
        }
        streamed
    }

    /// Waits until every staged file is on disk.
    fn flushed(&self) -> Result<(), OutError> {
        let flusher = self.lock().flusher.take();
        flusher.map_or(Ok(()), Flusher::finish)
    }

    /// Removes the staging directory and the directories made for it, leaving OUT as it was.
    pub fn discard(self) {
        let mut state = self.state.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(flusher) = state.flusher.take() {
            let _ = flusher.finish();
        }
        if state.made {
            let _ = fs::remove_dir_all(&self.dir);
        }
        for dir in state.created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

/// A file staged in parts as it is emitted, and compared with the file at its path in OUT as
/// the parts come, so that neither the new text nor the old is ever held whole: while the new
/// text is the same as OUT's so far, nothing is written; at the first difference the part of
/// OUT's file that was the same is copied into staging and the new text follows. [`Streamed::end`]
/// gives what [`read_unless_same`] and [`Produced::compare`] give for a whole file (a build
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
    /// The same as the new text so far.
    SameSoFar(File),
    /// Different: the rest is read only to hash it, at the end.
    Differs(File),
}

impl Streamed<'_> {
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
            let mut file = File::create(&path).map_err(|e| ("write", io_at(&path)(e)))?;
            if self.len > 0 {
                let old = self.staging.root.join(&self.rel);
                let mut same = File::open(&old).map_err(|e| ("read", io_at(&old)(e)))?;
                let copied = io::copy(&mut io::Read::take(&mut same, self.len), &mut file)
                    .map_err(|e| ("write", io_at(&path)(e)))?;
                if copied != self.len {
                    return Err(("read", io_at(&old)(io::Error::other("the file changed while genops read it"))));
                }
            }
            self.staged = Some((path, file));
        }
        match self.staged.as_mut() {
            Some((path, file)) => {
                file.write_all(text).map_err(|e| ("write", io_at(path)(e)))?;
                start_writeback(file);
                Ok(())
            }
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

/// What a write did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

/// Carries out `plan` in OUT (see the module documentation for the steps): `produced` are the
/// files of the build, each file the plan writes is in `staging`, and `final_manifest` is the
/// JSON text of the finished build's manifest. The caller has checked the plan's conflicts. The staging
/// directory is gone afterwards, whatever happened.
pub fn write(
    root: &Path,
    produced: &[Produced],
    plan: &Plan,
    disk: &Disk,
    final_manifest: &str,
    staging: Staging,
) -> Result<Written, OutError> {
    let genops_dir = root.join(manifest::DIR);
    let manifest_path = root.join(manifest::PATH);
    let mut written = Written {
        unchanged: produced.len() - plan.files.iter().filter(|f| f.action != Action::Delete).count(),
        ..Written::default()
    };
    let manifest_is_current = fs::read(&manifest_path).is_ok_and(|m| m == final_manifest.as_bytes());
    if plan.files.is_empty() && manifest_is_current {
        staging.discard();
        if genops_dir.is_dir() {
            remove_leftovers(&genops_dir)?;
        }
        return Ok(written);
    }
    let result = staging.make().and_then(|()| staging.flushed()).and_then(|()| {
        let state = staging.lock();
        commit(root, &staging.dir, &state.files, produced, plan, disk, final_manifest, &mut written)
    });
    let _ = fs::remove_dir_all(&staging.dir);
    result.map(|()| written)
}

#[allow(clippy::too_many_arguments)]
fn commit(
    root: &Path,
    staging: &Path,
    staged: &crate::hash::HashMap<String, PathBuf>,
    produced: &[Produced],
    plan: &Plan,
    disk: &Disk,
    final_manifest: &str,
    written: &mut Written,
) -> Result<(), OutError> {
    let genops_dir = root.join(manifest::DIR);
    let manifest_path = root.join(manifest::PATH);

    // 1. Every new file is staged (as it was emitted) and flushed (`Staging::flushed`). OUT is
    //    untouched.
    let mut moves: Vec<(&Path, &crate::plan::FileOp)> = Vec::new();
    for op in plan.files.iter().filter(|op| op.action != Action::Delete) {
        safe(root, &op.path)?;
        check_parents(root, &op.path)?;
        let Some(path) = staged.get(&op.path) else {
            return Err(OutError::Io {
                path: root.join(&op.path),
                error: io::Error::other("the file to write was not staged (a bug in genops)"),
            });
        };
        moves.push((path, op));
    }

    if !plan.files.is_empty() {
        // 2. The journal: what stays, and what is about to change.
        let touched: std::collections::BTreeSet<&str> = plan.files.iter().map(|f| f.path.as_str()).collect();
        let previous = disk.manifest.as_ref();
        let journal = Manifest {
            genops_version: previous.map_or_else(String::new, |m| m.genops_version.clone()),
            spec_sha256: previous.map_or_else(String::new, |m| m.spec_sha256.clone()),
            inputs_sha256: None,
            files: produced
                .iter()
                .filter(|p| !touched.contains(p.path.as_str()))
                .map(|p| (p.path.clone(), p.sha256.clone()))
                .collect(),
            pending: plan
                .files
                .iter()
                .map(|f| (f.path.clone(), Pending { before: f.before.clone(), after: f.after.clone() }))
                .collect(),
            model: previous.and_then(|m| m.model.clone()),
        };
        replace_synced(&staging.join("manifest.journal"), &manifest_path, journal.to_json().as_bytes())?;

        // 3. Past this point, files change one rename at a time.
        let mut dirs: Vec<PathBuf> = Vec::new();
        for (staged_path, op) in &moves {
            let dest = root.join(&op.path);
            let parent = dest.parent().unwrap_or(root).to_path_buf();
            fs::create_dir_all(&parent).map_err(io_at(&parent))?;
            if same_filesystem(staging, &parent) {
                fs::rename(staged_path, &dest).map_err(io_at(&dest))?;
            } else {
                // OUT/terraform is a mount point or a link to another disk: copy beside the
                // file, then rename.
                let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let tmp = parent.join(format!(".{name}.genops-tmp"));
                fs::copy(staged_path, &tmp).map_err(io_at(&tmp))?;
                File::open(&tmp).and_then(|f| f.sync_all()).map_err(io_at(&tmp))?;
                fs::rename(&tmp, &dest).map_err(io_at(&dest))?;
            }
            match op.action {
                Action::Create => written.created += 1,
                _ => written.updated += 1,
            }
            if !dirs.contains(&parent) {
                dirs.push(parent);
            }
        }
        for op in plan.files.iter().filter(|f| f.action == Action::Delete) {
            safe(root, &op.path)?;
            if through_symlink(root, &op.path) {
                // Never delete through a link out of OUT; the file is simply no longer genops's.
                continue;
            }
            let dest = root.join(&op.path);
            match fs::remove_file(&dest) {
                Ok(()) => written.deleted += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_at(&dest)(e)),
            }
            let parent = dest.parent().unwrap_or(root).to_path_buf();
            remove_empty_parents(root, &parent);
            if parent.exists() && !dirs.contains(&parent) {
                dirs.push(parent);
            }
        }
        for dir in &dirs {
            sync_dir(dir);
        }
    }

    // 4. The finished build's manifest.
    replace_synced(&staging.join("manifest.json"), &manifest_path, final_manifest.as_bytes())?;
    sync_dir(&genops_dir);
    Ok(())
}

/// Refuses a path outside OUT (checked again here, where files are written and deleted).
fn safe(root: &Path, rel: &str) -> Result<(), OutError> {
    manifest::check_path(rel).map_err(|problem| OutError::Io {
        path: root.join(rel),
        error: io::Error::new(io::ErrorKind::InvalidInput, problem),
    })
}

/// Writes a file and flushes it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), OutError> {
    let mut file = File::create(path).map_err(io_at(path))?;
    write_in_parts(&mut file, bytes).and_then(|()| file.sync_all()).map_err(io_at(path))
}

/// Writes `bytes` a megabyte at a time, as files written in parts are. On the virtual machine
/// genops is measured on, the kernel's copy into the page cache took 15-17% of a 10,000-route
/// build's samples when its largest files were written whole, and about 1% in most runs once
/// they were written in megabyte parts (BENCHMARKS.md).
fn write_in_parts(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    bytes.chunks(crate::emit::sink::PART).try_for_each(|part| {
        file.write_all(part)?;
        start_writeback(file);
        Ok(())
    })
}

/// Asks the kernel to start writing what `file` has so far to disk, without waiting for it.
/// Left alone, the kernel writes a build's output only when it is synced (hundreds of
/// megabytes are under its dirty-page threshold): the sync of the largest file, finished last,
/// then waited 30 ms for the disk at the end of a 10,000-route build with both cores idle. The
/// sync that makes each file durable still follows; this only starts the writing early.
fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: sync_file_range takes a file descriptor this `File` owns and integers; it
        // changes no memory of ours. Its failure is harmless: the later fsync writes it all.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Replaces `dest` atomically with `bytes`, through `tmp` on the same filesystem.
fn replace_synced(tmp: &Path, dest: &Path, bytes: &[u8]) -> Result<(), OutError> {
    write_synced(tmp, bytes)?;
    fs::rename(tmp, dest).map_err(io_at(dest))?;
    if let Some(parent) = dest.parent() {
        sync_dir(parent);
    }
    Ok(())
}

/// Flushes a directory's entries (the renames in it) to disk; best effort, as some
/// filesystems refuse it.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Staging directories left by killed builds.
fn remove_leftovers(genops_dir: &Path) -> Result<(), OutError> {
    for entry in fs::read_dir(genops_dir).map_err(io_at(genops_dir))?.flatten() {
        if entry.file_name().to_string_lossy().starts_with("staging-") {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    Ok(())
}

#[cfg(unix)]
fn same_filesystem(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_filesystem(_: &Path, _: &Path) -> bool {
    true
}

/// Refuses, before anything in OUT changes, a destination whose parent is not a directory.
fn check_parents(root: &Path, rel: &str) -> Result<(), OutError> {
    let mut path = root.to_path_buf();
    let segments: Vec<&str> = rel.split('/').collect();
    for segment in &segments[..segments.len().saturating_sub(1)] {
        path.push(segment);
        match fs::metadata(&path) {
            Ok(meta) if !meta.is_dir() => return Err(OutError::NotADirectory(path)),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_at(&path)(e)),
        }
    }
    Ok(())
}

/// Whether a directory between OUT and `rel` is a symbolic link.
fn through_symlink(root: &Path, rel: &str) -> bool {
    let mut path = root.to_path_buf();
    let segments: Vec<&str> = rel.split('/').collect();
    for segment in &segments[..segments.len().saturating_sub(1)] {
        path.push(segment);
        if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return true;
        }
    }
    false
}

/// Removes directories left empty by deletions, up to (not including) OUT.
fn remove_empty_parents(root: &Path, dir: &Path) {
    let mut dir = dir.to_path_buf();
    while dir != root && dir.starts_with(root) {
        if fs::remove_dir(&dir).is_err() {
            break;
        }
        match dir.parent() {
            Some(parent) => dir = parent.to_path_buf(),
            None => break,
        }
    }
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
