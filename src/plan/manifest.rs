//! The manifest: what genops wrote into an output directory, kept at `OUT/.genops/manifest.json`.
//!
//! In: the artifacts of a build, the spec's text and the [`Summary`] of its checked model.
//! Out: a small JSON document — `format_version`, `genops_version`, `spec_sha256`,
//! `inputs_sha256` (the [`super::fingerprint`] of everything the output depends on), `files`
//! (path → SHA-256 of the contents) and `model` (the summary) — with sorted keys, no timestamps
//! and no absolute paths, so that the same spec gives the same bytes everywhere. It is how
//! `plan` and `build` tell a file genops wrote (hash as recorded), a hand-edited one (hash
//! differs) and a user's own file (not listed), and how `plan` finds the model of the last
//! build. While a build moves files into place, the manifest also lists them under `pending`
//! with both hashes: a build killed at that moment leaves a manifest that is still true.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::semantic::Summary;
use crate::emit::Artifact;

/// Where the manifest lives, relative to the output directory.
pub const PATH: &str = ".genops/manifest.json";
/// genops's own directory inside the output directory; never an artifact path.
pub const DIR: &str = ".genops";
/// Changes only on an incompatible change of the manifest's shape.
pub const FORMAT_VERSION: u64 = 1;

/// A file being replaced or removed by a build that has not finished.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pending {
    // `after` first: the manifest's keys are sorted.
    /// SHA-256 of what the build puts there (`None`: the file is being removed).
    pub after: Option<String>,
    /// SHA-256 of what was there before the build (`None`: nothing).
    pub before: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub genops_version: String,
    pub spec_sha256: String,
    /// The fingerprint of the build's inputs and of the genops that built it; `None` in a
    /// journal, and in manifests written before it existed.
    pub inputs_sha256: Option<String>,
    /// Relative path → SHA-256 of its contents, for every file genops wrote.
    pub files: BTreeMap<String, String>,
    /// Files in flux: only in the manifest of a build that was interrupted.
    pub pending: BTreeMap<String, Pending>,
    /// The summary of the checked model; `None` in a manifest that has none.
    pub model: Option<Summary>,
}

impl Manifest {
    /// The manifest of a finished build, hashing its artifacts.
    pub fn new(spec_text: &str, artifacts: &[Artifact], model: Summary) -> Manifest {
        let files = artifacts.iter().map(|a| (a.path.clone(), sha256(a.contents.as_bytes()))).collect();
        Manifest::of_hashes(spec_text, files, model)
    }

    /// The manifest of a finished build whose files are already hashed (path → SHA-256 of the
    /// contents): a build hashes each file once, as it is emitted.
    pub fn of_hashes(spec_text: &str, files: BTreeMap<String, String>, model: Summary) -> Manifest {
        Manifest {
            genops_version: env!("CARGO_PKG_VERSION").to_string(),
            spec_sha256: sha256(spec_text.as_bytes()),
            inputs_sha256: None,
            files,
            pending: BTreeMap::new(),
            model: Some(model),
        }
    }

    /// Every path the manifest claims, finished or pending.
    pub fn paths(&self) -> BTreeSet<&str> {
        self.files.keys().chain(self.pending.keys()).map(String::as_str).collect()
    }

    /// Whether the file at `path`, with contents hashing to `sha`, is what genops left there.
    pub fn owns(&self, path: &str, sha: &str) -> bool {
        self.files.get(path).is_some_and(|h| h == sha)
            || self
                .pending
                .get(path)
                .is_some_and(|p| p.before.as_deref() == Some(sha) || p.after.as_deref() == Some(sha))
    }

    /// The manifest as JSON text: two-space indents, keys sorted, a final newline.
    pub fn to_json(&self) -> String {
        /// The document, its keys in sorted order (serde writes fields in declaration order).
        #[derive(serde::Serialize)]
        struct Document<'a> {
            files: &'a BTreeMap<String, String>,
            format_version: u64,
            genops_version: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            inputs_sha256: Option<&'a str>,
            model: Option<&'a Summary>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            pending: &'a BTreeMap<String, Pending>,
            spec_sha256: &'a str,
        }
        let document = Document {
            files: &self.files,
            format_version: FORMAT_VERSION,
            genops_version: &self.genops_version,
            inputs_sha256: self.inputs_sha256.as_deref(),
            model: self.model.as_ref(),
            pending: &self.pending,
            spec_sha256: &self.spec_sha256,
        };
        let mut text = Vec::new();
        // Serialising maps of strings into memory cannot fail.
        let _ = serde_json::to_writer_pretty(&mut text, &document);
        text.push(b'\n');
        String::from_utf8(text).unwrap_or_default()
    }

    /// Reads a manifest; refuses one of another format version, or one that names a path
    /// outside the output directory (a manifest is input too: it may come from a pull request).
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
        match doc.get("format_version").and_then(Value::as_u64) {
            Some(FORMAT_VERSION) => {}
            Some(v) => return Err(format!("format_version {v}; this genops reads format_version {FORMAT_VERSION}")),
            None => return Err("no `format_version`".into()),
        }
        let text_of = |key: &str| doc.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        let mut files = BTreeMap::new();
        for (path, sha) in doc.get("files").and_then(Value::as_object).ok_or("no `files` object")? {
            check_path(path)?;
            files.insert(path.clone(), sha.as_str().ok_or_else(|| format!("`files.{path}` is not a string"))?.into());
        }
        let mut pending = BTreeMap::new();
        if let Some(entries) = doc.get("pending").and_then(Value::as_object) {
            for (path, p) in entries {
                check_path(path)?;
                let hash = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
                pending.insert(path.clone(), Pending { before: hash("before"), after: hash("after") });
            }
        }
        Ok(Manifest {
            genops_version: text_of("genops_version"),
            spec_sha256: text_of("spec_sha256"),
            inputs_sha256: doc.get("inputs_sha256").and_then(Value::as_str).map(str::to_string),
            files,
            pending,
            model: doc.get("model").filter(|m| m.is_object()).map(Summary::from_json),
        })
    }
}

/// A path genops may write or delete: relative, `/`-separated, no `.`/`..`/empty segment,
/// not inside `.genops/`.
pub fn check_path(path: &str) -> Result<(), String> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.contains('\0')
        || path.contains(':')
        || path.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..")
        || path.split('/').next() == Some(DIR);
    if bad { Err(format!("path `{path}` is not a relative path inside the output directory")) } else { Ok(()) }
}

/// SHA-256 of bytes in lowercase hex (the same as `conventions::sha256_hex` for text).
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    crate::conventions::hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(path: &str, contents: &str) -> Artifact {
        Artifact { path: path.into(), contents: contents.into() }
    }

    #[test]
    fn json_is_sorted_and_reads_back() {
        let m = Manifest::new("spec", &[artifact("terraform/b.tf", "b"), artifact("a.md", "a")], Summary::default());
        let text = m.to_json();
        let keys: Vec<usize> = ["files", "format_version", "genops_version", "model", "spec_sha256"]
            .iter()
            .map(|k| text.find(k).unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(text.find("a.md").unwrap() < text.find("terraform/b.tf").unwrap());
        assert_eq!(Manifest::parse(&text).unwrap(), m);
        assert_eq!(sha256(b"abc"), crate::conventions::sha256_hex("abc"));
    }

    /// The manifest is written straight from its maps: the bytes are those of the same
    /// document read back as a JSON tree, every object sorted and pretty-printed — for a real
    /// system's model, a journal's pending files (absent hashes are `null`) and the inputs'
    /// fingerprint.
    #[test]
    fn json_is_the_sorted_pretty_document() {
        let c = crate::testing::synthetic(40);
        let system = c.system.as_ref().expect("a valid synthetic system");
        let artifacts = crate::emit::emit(system, &c.sources);
        let mut m = Manifest::new("spec", &artifacts, Summary::of(system, &c.sources));
        m.inputs_sha256 = Some("f00d".into());
        m.pending.insert("z.tf".into(), Pending { after: None, before: Some("old".into()) });
        m.pending.insert("a.md".into(), Pending { after: Some("new".into()), before: None });
        let text = m.to_json();
        let mut tree: Value = serde_json::from_str(&text).unwrap();
        tree.sort_all_objects();
        assert_eq!(text, serde_json::to_string_pretty(&tree).unwrap() + "\n");
        assert_eq!(tree["pending"]["z.tf"]["after"], Value::Null);
        assert_eq!(tree["model"]["routes"]["route-0"]["model"].as_str().map(|m| !m.is_empty()), Some(true));
        assert_eq!(Manifest::parse(&text).unwrap().to_json(), text, "read back and written again");
    }

    #[test]
    fn pending_files_are_owned_with_either_hash() {
        let mut m = Manifest::new("spec", &[], Summary::default());
        m.pending.insert("x.tf".into(), Pending { before: Some("old".into()), after: Some("new".into()) });
        let back = Manifest::parse(&m.to_json()).unwrap();
        assert!(back.owns("x.tf", "old") && back.owns("x.tf", "new") && !back.owns("x.tf", "edited"));
    }

    #[test]
    fn paths_outside_the_output_are_refused() {
        for bad in ["../etc/passwd", "/etc/passwd", "a//b", "a/./b", ".genops/manifest.json", "c:\\x", ""] {
            assert!(check_path(bad).is_err(), "{bad}");
            let text = format!(r#"{{"format_version": 1, "files": {{ {}: "x" }}}}"#, serde_json::json!(bad));
            assert!(Manifest::parse(&text).is_err(), "{bad}");
        }
        assert!(check_path("terraform/gateway.tf").is_ok());
        assert!(Manifest::parse(r#"{"format_version": 2, "files": {}}"#).unwrap_err().contains("format_version 2"));
    }
}
