//! The output directory: the only code that reads or writes OUT.
//!
//! [`read`] takes the snapshot a plan needs (the manifest and the files at every path that
//! matters). [`write`] carries out a plan so that a failed or killed build never leaves a
//! half-written file, never touches a file genops did not write, and never leaves a manifest
//! that lies:
//!
//! 1. every new file is written into `OUT/.genops/staging-PID/` (same filesystem as OUT) and
//!    flushed to disk — OUT itself is untouched so far;
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

use crate::emit::Artifact;
use crate::plan::manifest::{self, Manifest, Pending};
use crate::plan::{Action, Disk, Plan};

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

/// Reads what a plan needs from OUT. A missing OUT is an empty one. With `ignore_manifest`
/// (`build --force`), an unreadable manifest is treated as absent.
pub fn read(root: &Path, artifacts: &[Artifact], ignore_bad_manifest: bool) -> Result<Disk, OutError> {
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
    for rel in Disk::paths_to_read(artifacts, disk.manifest.as_ref()) {
        let path = root.join(&rel);
        match fs::read(&path) {
            Ok(bytes) => {
                disk.files.insert(rel, bytes);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            // A parent that is a file (`terraform` is a file) reads as "not a directory"; the
            // write refuses it before touching anything.
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => {}
            Err(e) => return Err(io_at(&path)(e)),
        }
    }
    Ok(disk)
}

/// What a write did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

/// Carries out `plan` in OUT (see the module documentation for the steps); `manifest` is the
/// manifest of the finished build. The caller has checked the plan's conflicts.
pub fn write(
    root: &Path,
    artifacts: &[Artifact],
    plan: &Plan,
    disk: &Disk,
    manifest: &Manifest,
) -> Result<Written, OutError> {
    let genops_dir = root.join(manifest::DIR);
    let manifest_path = root.join(manifest::PATH);
    let final_manifest = manifest.to_json();
    let mut written = Written {
        unchanged: artifacts.len() - plan.files.iter().filter(|f| f.action != Action::Delete).count(),
        ..Written::default()
    };
    let manifest_is_current = fs::read(&manifest_path).is_ok_and(|m| m == final_manifest.as_bytes());
    if plan.files.is_empty() && manifest_is_current {
        if genops_dir.is_dir() {
            remove_leftovers(&genops_dir)?;
        }
        return Ok(written);
    }
    fs::create_dir_all(&genops_dir).map_err(io_at(&genops_dir))?;
    remove_leftovers(&genops_dir)?;
    let staging = genops_dir.join(format!("staging-{}", std::process::id()));
    fs::create_dir(&staging).map_err(io_at(&staging))?;
    let result = commit(root, &staging, artifacts, plan, disk, &final_manifest, &mut written);
    let _ = fs::remove_dir_all(&staging);
    result.map(|()| written)
}

fn commit(
    root: &Path,
    staging: &Path,
    artifacts: &[Artifact],
    plan: &Plan,
    disk: &Disk,
    final_manifest: &str,
    written: &mut Written,
) -> Result<(), OutError> {
    let genops_dir = root.join(manifest::DIR);
    let manifest_path = root.join(manifest::PATH);

    // 1. Stage every new file; OUT is untouched.
    let by_path: std::collections::HashMap<&str, &Artifact> = artifacts.iter().map(|a| (a.path.as_str(), a)).collect();
    let mut staged: Vec<(PathBuf, &crate::plan::FileOp, &Artifact)> = Vec::new();
    for (i, op) in plan.files.iter().enumerate() {
        if op.action == Action::Delete {
            continue;
        }
        safe(root, &op.path)?;
        check_parents(root, &op.path)?;
        staged.push((staging.join(i.to_string()), op, by_path[op.path.as_str()]));
    }
    write_all_synced(&staged)?;

    if !plan.files.is_empty() {
        // 2. The journal: what stays, and what is about to change.
        let touched: std::collections::BTreeSet<&str> = plan.files.iter().map(|f| f.path.as_str()).collect();
        let previous = disk.manifest.as_ref();
        let journal = Manifest {
            genops_version: previous.map_or_else(String::new, |m| m.genops_version.clone()),
            spec_sha256: previous.map_or_else(String::new, |m| m.spec_sha256.clone()),
            files: artifacts
                .iter()
                .filter(|a| !touched.contains(&a.path.as_str()))
                .map(|a| (a.path.clone(), manifest::sha256(a.contents.as_bytes())))
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
        for (staged_path, op, artifact) in &staged {
            let dest = root.join(&op.path);
            let parent = dest.parent().unwrap_or(root).to_path_buf();
            fs::create_dir_all(&parent).map_err(io_at(&parent))?;
            if same_filesystem(staging, &parent) {
                fs::rename(staged_path, &dest).map_err(io_at(&dest))?;
            } else {
                // OUT/terraform is a mount point or a link to another disk: stage beside the file.
                let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let tmp = parent.join(format!(".{name}.genops-tmp"));
                write_synced(&tmp, artifact.contents.as_bytes())?;
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
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io_at(path))
}

/// Writes and flushes the staged files on a few threads: flushing is waiting on the disk, and
/// a build of thousands of files would otherwise wait for each in turn.
fn write_all_synced(staged: &[(PathBuf, &crate::plan::FileOp, &Artifact)]) -> Result<(), OutError> {
    const THREADS: usize = 8;
    if staged.len() < 2 * THREADS {
        return staged.iter().try_for_each(|(path, _, artifact)| write_synced(path, artifact.contents.as_bytes()));
    }
    let chunk = staged.len().div_ceil(THREADS);
    std::thread::scope(|scope| {
        let workers: Vec<_> = staged
            .chunks(chunk)
            .map(|files| {
                scope.spawn(move || {
                    files.iter().try_for_each(|(path, _, artifact)| write_synced(path, artifact.contents.as_bytes()))
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
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
