//! Plans: what a build would change in an output directory, as data.
//!
//! In: the freshly emitted files, each already compared with the output directory as a
//! [`Produced`] record (or the artifacts themselves and the files on disk, for [`compute`]),
//! the [`Summary`] of the checked model, and a [`Disk`] snapshot of the output directory (its
//! manifest and the files that matter, read by the CLI).
//! Out: a [`Plan`] — the semantic changes of the spec since the last build, a sorted list of
//! [`Change`]s `{ target, file, address, action, before, after }` at the level a reviewer thinks
//! in (Terraform resource addresses, LiteLLM model groups, Prometheus rules, else file paths),
//! the file operations a build performs, and the files it would refuse to touch. Computing a
//! plan is pure; rendering it (`render_text`, `render_json`, `render_markdown`) and writing it
//! (`outdir`) are elsewhere, as in Terraform's `plans` package.

pub mod address;
pub mod diff;
pub mod fingerprint;
pub mod manifest;
pub mod produced;
pub mod render_json;
pub mod render_markdown;
pub mod render_text;
pub mod semantic;

use std::collections::{BTreeMap, BTreeSet};

use crate::emit::Artifact;
use crate::hash::HashMap;
use manifest::{Manifest, sha256};
pub use produced::{OnDisk, Produced};
pub use semantic::{SemanticChange, SemanticKind, Summary};

/// What a change does to an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }

    /// Terraform's symbols: `+` create, `~` update, `-` delete.
    pub fn symbol(self) -> char {
        match self {
            Action::Create => '+',
            Action::Update => '~',
            Action::Delete => '-',
        }
    }
}

/// One addressed change in one generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The emit target: `terraform`, `litellm`, `prometheus`, `runbooks` … (see `address`).
    pub target: &'static str,
    /// The file, relative to the output directory.
    pub file: String,
    /// The address inside the file (`oci_apigateway_deployment.chat`), or the file's path
    /// for a whole-file change or a change of the text around the addressed parts.
    pub address: String,
    pub action: Action,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A file a build would overwrite or delete although genops did not leave it as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub file: String,
    pub reason: ConflictReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictReason {
    /// Listed in the manifest with another hash: someone edited a generated file.
    HandEdited,
    /// Not listed in the manifest (and not a genops file from before manifests): a user's file
    /// where genops now wants to write.
    NotGenerated,
    /// A symbolic link, a linked directory on the way, or a directory, FIFO, socket or device
    /// where genops writes a file: genops neither reads nor writes through it.
    NotAFile,
}

impl ConflictReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictReason::HandEdited => "hand-edited",
            ConflictReason::NotGenerated => "not-generated",
            ConflictReason::NotAFile => "not-a-file",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ConflictReason::HandEdited => "edited since genops wrote it (its SHA-256 differs from the manifest)",
            ConflictReason::NotGenerated => "not written by genops (not in the manifest)",
            ConflictReason::NotAFile => {
                "a symbolic link (or under one), or not a regular file: genops does not read or write through it"
            }
        }
    }
}

/// A file a build writes or deletes, with the hashes the journal records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileOp {
    pub path: String,
    pub action: Action,
    /// SHA-256 of what is on disk now (`None`: nothing).
    pub before: Option<String>,
    /// SHA-256 of what the build writes (`None`: the file is deleted).
    pub after: Option<String>,
}

/// The output directory as the CLI read it: the manifest (if any) and the files at the paths
/// that matter (a path missing here is absent). For [`compute`], the files at every artifact
/// path and every path the manifest lists; for [`compute_from`], whose records were compared
/// with OUT as they were emitted, only the [`Disk::stale_paths`].
#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub manifest: Option<Manifest>,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Disk {
    /// The paths the manifest lists that nothing produces any more: a build deletes them.
    pub fn stale_paths<'m>(manifest: Option<&'m Manifest>, produced: &BTreeSet<&str>) -> Vec<&'m str> {
        manifest.map(Manifest::paths).unwrap_or_default().into_iter().filter(|p| !produced.contains(p)).collect()
    }
}

/// The last build, as its manifest records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Previous {
    pub genops_version: String,
    pub spec_sha256: String,
    /// The last build was interrupted while moving files into place.
    pub interrupted: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Changes of the spec since the last build, in plain words; first in every rendering.
    pub semantic: Vec<SemanticChange>,
    /// Addressed changes, sorted by file then address.
    pub changes: Vec<Change>,
    /// What a build writes and deletes, sorted by path.
    pub files: Vec<FileOp>,
    /// Files a build refuses to touch without `--force`.
    pub conflicts: Vec<Conflict>,
    /// `None` when the output directory has no manifest (never built, or built before
    /// manifests): every definition then counts as added.
    pub previous: Option<Previous>,
}

impl Plan {
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    /// Whether a build would change anything (files, or the model recorded in the manifest).
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty() || !self.files.is_empty() || !self.semantic.is_empty()
    }

    /// "Plan: 1 to add, 2 to change, 0 to destroy." or "No changes."
    pub fn summary_line(&self) -> String {
        if !self.has_changes() {
            return "No changes.".to_string();
        }
        format!(
            "Plan: {} to add, {} to change, {} to destroy.",
            self.count(Action::Create),
            self.count(Action::Update),
            self.count(Action::Delete)
        )
    }
}

/// Compares the artifacts of a build (and the summary of its model) with the output directory.
pub fn compute(artifacts: &[Artifact], model: &Summary, disk: &Disk) -> Plan {
    compute_from(&compare_all(artifacts, disk, true), model, disk, true)
}

/// The plan a build needs: file operations, conflicts and semantic changes, without cutting
/// files into addressed changes (the costly part, only worth it to show the plan).
pub fn compute_files(artifacts: &[Artifact], model: &Summary, disk: &Disk) -> Plan {
    compute_from(&compare_all(artifacts, disk, false), model, disk, false)
}

/// Every artifact compared with the file at its path in `disk`, in parallel (hashing hundreds
/// of megabytes for a large system).
pub fn compare_all(artifacts: &[Artifact], disk: &Disk, addresses: bool) -> Vec<Produced> {
    crate::parallel::map(artifacts.iter().collect(), |a: &Artifact| {
        Produced::compare(a, disk.files.get(&a.path).map(Vec::as_slice), addresses)
    })
}

/// The plan from the produced files, each already compared with what is on disk at its path
/// (see [`Produced`]); of `disk.files`, only the paths the manifest lists and nothing produced
/// any more are read — the files a build deletes. With `addresses`, changed files are cut into
/// addressed changes (the records must have been compared with `addresses`).
pub fn compute_from(produced: &[Produced], model: &Summary, disk: &Disk, addresses: bool) -> Plan {
    let manifest = disk.manifest.as_ref();
    let mut plan = Plan {
        semantic: semantic::diff(manifest.and_then(|m| m.model.as_ref()), model),
        previous: manifest.map(|m| Previous {
            genops_version: m.genops_version.clone(),
            spec_sha256: m.spec_sha256.clone(),
            interrupted: !m.pending.is_empty(),
        }),
        ..Plan::default()
    };
    if let Some(m) = manifest.filter(|m| m.model.is_some() && m.genops_version != env!("CARGO_PKG_VERSION")) {
        // Generated files may change with genops itself, without a change of the spec.
        plan.semantic.insert(
            0,
            SemanticChange {
                kind: "genops".into(),
                name: None,
                change: SemanticKind::Changed,
                field: Some("version".into()),
                before: Some(m.genops_version.clone()),
                after: Some(env!("CARGO_PKG_VERSION").into()),
                note: None,
                warning: false,
            },
        );
    }
    for file in produced.iter().filter(|p| p.changes()) {
        if addresses {
            plan.changes.extend(file.changes.iter().flatten().cloned());
        }
        plan.files.push(FileOp {
            path: file.path.clone(),
            action: if file.on_disk == OnDisk::Absent { Action::Create } else { Action::Update },
            before: file.before(),
            after: Some(file.sha256.clone()),
        });
        match &file.on_disk {
            OnDisk::Different { sha256, genops_header } => {
                if let Some(reason) = ownership(manifest, &file.path, sha256, *genops_header) {
                    plan.conflicts.push(Conflict { file: file.path.clone(), reason });
                }
            }
            OnDisk::NotAFile => {
                plan.conflicts.push(Conflict { file: file.path.clone(), reason: ConflictReason::NotAFile })
            }
            OnDisk::Absent | OnDisk::Same => {}
        }
    }
    // Files genops wrote before and no longer produces.
    let produced_paths: BTreeSet<&str> = produced.iter().map(|p| p.path.as_str()).collect();
    for path in Disk::stale_paths(manifest, &produced_paths) {
        let Some(bytes) = disk.files.get(path) else {
            continue;
        };
        if addresses {
            plan.changes.extend(changes(path, Some(&String::from_utf8_lossy(bytes)), None));
        }
        let before = sha256(bytes);
        if let Some(reason) = ownership(manifest, path, &before, produced::has_header(bytes)) {
            plan.conflicts.push(Conflict { file: path.to_string(), reason });
        }
        plan.files.push(FileOp { path: path.to_string(), action: Action::Delete, before: Some(before), after: None });
    }
    plan.changes.sort_by(|a, b| (&a.file, &a.address).cmp(&(&b.file, &b.address)));
    plan.files.sort_by(|a, b| a.path.cmp(&b.path));
    plan.conflicts.sort_by(|a, b| a.file.cmp(&b.file));
    plan
}

/// Whether genops may replace or delete the file at `path`, whose bytes hash to `sha`: `None`
/// if genops left it as it is.
fn ownership(manifest: Option<&Manifest>, path: &str, sha: &str, genops_header: bool) -> Option<ConflictReason> {
    match manifest {
        Some(m) if m.owns(path, sha) => None,
        Some(m) if m.files.contains_key(path) || m.pending.contains_key(path) => Some(ConflictReason::HandEdited),
        // No manifest at all: an output directory from before manifests. A file that starts
        // with genops's header is genops's.
        None if genops_header => None,
        _ => Some(ConflictReason::NotGenerated),
    }
}

/// The addressed changes between two versions of one file (`None`: the file is absent).
pub fn changes(path: &str, before: Option<&str>, after: Option<&str>) -> Vec<Change> {
    let target = address::target(path);
    let change = |address: &str, before: Option<&str>, after: Option<&str>| {
        let action = match (before, after) {
            (None, _) => Action::Create,
            (_, None) => Action::Delete,
            _ => Action::Update,
        };
        Change {
            target,
            file: path.to_string(),
            address: address.to_string(),
            action,
            before: before.map(str::to_string),
            after: after.map(str::to_string),
        }
    };
    let old = before.map(|t| address::split(path, t));
    let new = after.map(|t| address::split(path, t));
    let (old, new) = match (old, new) {
        (Some(None), _) | (_, Some(None)) => return vec![change(path, before, after)],
        (old, new) => (old.flatten().unwrap_or_default(), new.flatten().unwrap_or_default()),
    };
    // Borrowed, not copied: a runbook of a large system is tens of megabytes, cut both ways.
    fn by_address<'p>(parts: &'p [address::Part<'_>]) -> HashMap<Option<&'p str>, &'p str> {
        parts.iter().map(|p| (p.address.as_deref(), p.text.as_ref())).collect()
    }
    let (old_texts, new_texts) = (by_address(&old), by_address(&new));
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut around = None;
    for part in old.iter().chain(new.iter()) {
        let address = part.address.as_deref();
        if !seen.insert(address) {
            continue;
        }
        let (b, a) = (old_texts.get(&address).copied(), new_texts.get(&address).copied());
        if b == a {
            continue;
        }
        match address {
            Some(address) => out.push(change(address, b, a)),
            None => around = Some(change(path, b, a)),
        }
    }
    // The text around the parts (headers, blank lines, YAML structure) moves whenever a part
    // comes or goes: it is a change of its own only when nothing addressed changed.
    if out.is_empty() && before.is_some() && after.is_some() {
        out.extend(around);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(path: &str, contents: &str) -> Artifact {
        Artifact { path: path.into(), contents: contents.into() }
    }

    const TF: &str = "# generated by genops — do not edit\n\nresource \"oci_x\" \"a\" {\n  n = 1\n}\n\nresource \"oci_x\" \"b\" {\n  n = 1\n}\n";

    fn built(artifacts: &[Artifact]) -> Disk {
        Disk {
            manifest: Some(Manifest::new("spec", artifacts, Summary::default())),
            files: artifacts.iter().map(|a| (a.path.clone(), a.contents.clone().into_bytes())).collect(),
        }
    }

    #[test]
    fn nothing_to_do() {
        let artifacts = [artifact("terraform/x.tf", TF)];
        let plan = compute(&artifacts, &Summary::default(), &built(&artifacts));
        assert!(!plan.has_changes());
        assert_eq!(plan.summary_line(), "No changes.");
    }

    #[test]
    fn resources_added_changed_and_removed() {
        let disk = built(&[artifact("terraform/x.tf", TF), artifact("runbooks/old.md", "# old\n")]);
        let new = TF.replace("\"b\" {\n  n = 1", "\"b\" {\n  n = 2") + "\nresource \"oci_x\" \"c\" {\n}\n";
        let plan = compute(&[artifact("terraform/x.tf", &new)], &Summary::default(), &disk);
        let seen: Vec<(char, &str)> = plan.changes.iter().map(|c| (c.action.symbol(), c.address.as_str())).collect();
        assert_eq!(seen, [('-', "runbooks/old.md"), ('~', "oci_x.b"), ('+', "oci_x.c")]);
        assert_eq!(plan.summary_line(), "Plan: 1 to add, 1 to change, 1 to destroy.");
        assert_eq!(plan.files.len(), 2);
        assert!(plan.conflicts.is_empty());
    }

    #[test]
    fn hand_edits_and_foreign_files_are_conflicts() {
        let mut disk = built(&[artifact("terraform/x.tf", TF)]);
        disk.files.insert("terraform/x.tf".into(), TF.replace("n = 1", "n = 9").into_bytes());
        disk.files.insert("runbooks/mine.md".into(), b"my notes\n".to_vec());
        let plan = compute(
            &[artifact("terraform/x.tf", TF), artifact("runbooks/mine.md", "generated\n")],
            &Summary::default(),
            &disk,
        );
        let reasons: Vec<(&str, ConflictReason)> = plan.conflicts.iter().map(|c| (c.file.as_str(), c.reason)).collect();
        assert_eq!(
            reasons,
            [("runbooks/mine.md", ConflictReason::NotGenerated), ("terraform/x.tf", ConflictReason::HandEdited)]
        );
    }

    #[test]
    fn an_output_from_before_manifests_is_adopted() {
        let disk = Disk { manifest: None, files: [("terraform/x.tf".to_string(), TF.as_bytes().to_vec())].into() };
        let plan = compute(&[artifact("terraform/x.tf", &TF.replace("n = 1", "n = 2"))], &Summary::default(), &disk);
        assert!(plan.conflicts.is_empty());
        assert_eq!(plan.count(Action::Update), 2);
    }

    #[test]
    fn header_changes_are_a_file_level_change() {
        let disk = built(&[artifact("terraform/x.tf", TF)]);
        let plan =
            compute(&[artifact("terraform/x.tf", &TF.replace("do not edit", "hands off"))], &Summary::default(), &disk);
        let seen: Vec<&str> = plan.changes.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(seen, ["terraform/x.tf"]);
    }
}
