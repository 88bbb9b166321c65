//! One emitted file, compared with the output directory the moment it was emitted.
//!
//! In: an [`Artifact`], the bytes at its path in OUT (if any), and whether the plan will cut
//! the file into addressed changes. Out: a [`Produced`] — the path, the SHA-256 of the new
//! contents, what is on disk there (nothing, the same bytes, or other bytes with their hash),
//! and, for a plan, the addressed changes of a file that changes (cut from its old and new
//! texts right away, on the thread that emitted it). A plan is computed from these records
//! alone, so a build can write each file to staging and let its contents go as soon as the
//! file is emitted, and a plan keeps only the parts that changed: a large system's hundreds of
//! megabytes are never all in memory at once, nor read back from OUT all at once.

use super::Change;
use super::manifest::sha256;
use crate::conventions;
use crate::emit::Artifact;

/// What the output directory holds at a produced file's path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnDisk {
    /// Nothing.
    Absent,
    /// Exactly the new contents.
    Same,
    /// Other bytes.
    Different {
        /// SHA-256 of the bytes on disk.
        sha256: String,
        /// Whether their first lines carry genops's generated-file header (how an output from
        /// before manifests is recognised as genops's).
        genops_header: bool,
    },
    /// A symbolic link (at the path, or a linked directory on the way to it), or another file
    /// that is not a regular one: never read, so a plan shows nothing of what a link points to.
    NotAFile,
}

/// An emitted file as a plan needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Produced {
    /// Relative to the output directory, `/`-separated.
    pub path: String,
    /// SHA-256 of the new contents.
    pub sha256: String,
    pub on_disk: OnDisk,
    /// The addressed changes of a file that changes, when they were asked for.
    pub changes: Option<Vec<Change>>,
}

impl Produced {
    /// Compares `artifact` with the bytes at its path (`None`: nothing there); cuts a file that
    /// changes into its addressed changes when `addresses`.
    pub fn compare(artifact: &Artifact, on_disk: Option<&[u8]>, addresses: bool) -> Produced {
        let mut produced = Produced::compared(artifact, on_disk);
        if addresses && produced.changes() {
            let before = on_disk.map(String::from_utf8_lossy);
            produced.changes = Some(super::changes(&artifact.path, before.as_deref(), Some(&artifact.contents)));
        }
        produced
    }

    /// `artifact`, where OUT holds something that is not a regular file: compared as with
    /// nothing there, and recorded as a conflict.
    pub fn not_a_file(artifact: &Artifact, addresses: bool) -> Produced {
        Produced { on_disk: OnDisk::NotAFile, ..Produced::compare(artifact, None, addresses) }
    }

    /// `artifact`, found in OUT as it is (compared by the caller without holding the file).
    pub fn unchanged(artifact: &Artifact) -> Produced {
        let sha256 = sha256(artifact.contents.as_bytes());
        Produced { path: artifact.path.clone(), sha256, on_disk: OnDisk::Same, changes: None }
    }

    fn compared(artifact: &Artifact, on_disk: Option<&[u8]>) -> Produced {
        let new = artifact.contents.as_bytes();
        let state = match on_disk {
            None => OnDisk::Absent,
            Some(bytes) if bytes == new => OnDisk::Same,
            Some(bytes) => OnDisk::Different { sha256: sha256(bytes), genops_header: has_header(bytes) },
        };
        Produced { path: artifact.path.clone(), sha256: sha256(new), on_disk: state, changes: None }
    }

    /// Whether a build writes this file.
    pub fn changes(&self) -> bool {
        self.on_disk != OnDisk::Same
    }

    /// SHA-256 of what is on disk now (`None`: nothing).
    pub fn before(&self) -> Option<String> {
        match &self.on_disk {
            OnDisk::Absent | OnDisk::NotAFile => None,
            OnDisk::Same => Some(self.sha256.clone()),
            OnDisk::Different { sha256, .. } => Some(sha256.clone()),
        }
    }
}

/// Whether the first lines of a file carry genops's generated-file header.
pub fn has_header(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(&bytes[..bytes.len().min(512)])
        .lines()
        .take(3)
        .any(|line| line.contains(conventions::HEADER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(contents: &str) -> Artifact {
        Artifact { path: "terraform/x.tf".into(), contents: contents.into() }
    }

    #[test]
    fn same_bytes_keep_nothing() {
        let p = Produced::compare(&artifact("a\n"), Some(b"a\n"), true);
        assert_eq!(p.on_disk, OnDisk::Same);
        assert!(!p.changes());
        assert_eq!(p.changes, None);
        assert_eq!(p.before().as_deref(), Some(p.sha256.as_str()));
    }

    #[test]
    fn other_bytes_are_hashed_and_cut_only_when_asked() {
        let header = format!("# {}\n", conventions::HEADER);
        let old = format!("{header}resource \"a\" \"x\" {{\n  n = 1\n}}\n");
        let new = Artifact { path: "terraform/x.tf".into(), contents: old.replace("n = 1", "n = 2") };
        let p = Produced::compare(&new, Some(old.as_bytes()), true);
        assert_eq!(p.on_disk, OnDisk::Different { sha256: sha256(old.as_bytes()), genops_header: true });
        let changes = p.changes.expect("cut");
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].address, "a.x");
        let p = Produced::compare(&artifact("a\n"), Some(b"mine\n"), false);
        assert_eq!(p.on_disk, OnDisk::Different { sha256: sha256(b"mine\n"), genops_header: false });
        assert_eq!(p.changes, None);
        assert!(Produced::unchanged(&artifact("a\n")) == Produced::compare(&artifact("a\n"), Some(b"a\n"), true));
        let p = Produced::compare(&artifact("a\n"), None, true);
        assert_eq!(p.on_disk, OnDisk::Absent);
        assert_eq!(p.changes.map(|c| c.len()), Some(1), "a new file is one change");
    }
}
