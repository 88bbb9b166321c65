//! The commit: steps 2 to 4 of the protocol (see the module above).
//!
//! In: the plan, the build's produced files, its staged files and the final manifest's text.
//! Out: OUT changed to match — the journal written, each staged file renamed into place, stale
//! files deleted, the final manifest in place — and what was done ([`Written`]).

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use super::read::read_file;
use super::staging::{Staging, create_new, remove_leftovers, write_in_parts};
use super::{OutError, genops_dir, io_at, safe};
use crate::plan::manifest::{self, Manifest, Pending};
use crate::plan::{Action, Disk, Plan, Produced};

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
/// JSON text of the finished build's manifest. The caller has checked the plan's conflicts.
/// The staging directory is gone afterwards, whatever happened.
pub fn write(
    root: &Path,
    produced: &[Produced],
    plan: &Plan,
    disk: &Disk,
    final_manifest: &str,
    staging: Staging,
) -> Result<Written, OutError> {
    let mut written = Written {
        unchanged: produced.len() - plan.files.iter().filter(|f| f.action != Action::Delete).count(),
        ..Written::default()
    };
    let manifest_is_current =
        read_file(root, manifest::PATH).is_ok_and(|m| m.as_deref() == Some(final_manifest.as_bytes()));
    if plan.files.is_empty() && manifest_is_current {
        staging.discard();
        if let Some(genops) = genops_dir(root)? {
            remove_leftovers(&genops)?;
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
        check_destination(root, &op.path)?;
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
                // OUT/terraform is a mount point: copy beside the file, then rename. Whatever
                // is at the temporary name (left by a killed build, or a link planted there)
                // is removed first — a link itself, never what it points to — and the copy is
                // a new file, so nothing is ever written through a link.
                let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let tmp = parent.join(format!(".{name}.genops-tmp"));
                match fs::remove_file(&tmp) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_at(&tmp)(e)),
                    _ => {}
                }
                let copy = |mut to: File| {
                    File::open(staged_path)
                        .and_then(|mut from| io::copy(&mut from, &mut to))
                        .and_then(|_| to.sync_all())
                };
                create_new(&tmp).and_then(copy).map_err(io_at(&tmp))?;
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

/// Writes a file and flushes it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), OutError> {
    let mut file = create_new(path).map_err(io_at(path))?;
    write_in_parts(&mut file, bytes).and_then(|()| file.sync_all()).map_err(io_at(path))
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

/// Refuses, before anything in OUT changes, a destination a rename would not replace safely:
/// one under a symbolic link (the file would land wherever the link points, even with
/// `--force`) or under a file, or a directory. A link at the destination itself is fine: the
/// rename replaces the link, not what it points to.
fn check_destination(root: &Path, rel: &str) -> Result<(), OutError> {
    let mut path = root.to_path_buf();
    let mut segments = rel.split('/').peekable();
    while let Some(segment) = segments.next() {
        path.push(segment);
        let parent = segments.peek().is_some();
        match fs::symlink_metadata(&path) {
            Ok(meta) if parent && meta.file_type().is_symlink() => return Err(OutError::Link(path)),
            Ok(meta) if parent && !meta.is_dir() => return Err(OutError::NotADirectory(path)),
            Ok(meta) if !parent && meta.is_dir() => return Err(OutError::NotAFile(path)),
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
