//! Where OUT may be.
//!
//! In: the path given as OUT. Out: nothing, or why genops refuses it — the filesystem root or
//! the home directory, however spelled (`/`, `/tmp/..`, `~`, `..` from a project in it). Both
//! hold far more than genops's files: a build would scatter `terraform/`, `runbooks/` … among
//! them, and a `--force` would overwrite whatever stood at a generated path.

use std::path::Path;

use super::OutError;

/// Refuses the filesystem root and `$HOME` as OUT. A path that does not exist yet is neither.
pub(super) fn check(root: &Path) -> Result<(), OutError> {
    let Ok(resolved) = root.canonicalize() else {
        return Ok(());
    };
    let refused = |why| Err(OutError::Refused { root: root.to_path_buf(), why });
    if resolved.parent().is_none() {
        return refused("the filesystem root");
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).and_then(|h| Path::new(&h).canonicalize().ok());
    if home.is_some_and(|home| home == resolved) {
        return refused("your home directory ($HOME)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_root_is_refused_however_spelled_and_a_subdirectory_is_not() {
        for root in ["/", "/.", "/tmp/..", "//"] {
            assert!(matches!(check(Path::new(root)), Err(OutError::Refused { .. })), "{root}");
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        assert!(check(dir.path()).is_ok());
        assert!(check(&dir.path().join("not/there/yet")).is_ok());
    }
}
