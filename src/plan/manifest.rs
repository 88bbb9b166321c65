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
        Manifest::of_hashes(sha256(spec_text.as_bytes()), files, model)
    }

    /// The manifest of a finished build whose files and spec are already hashed (path →
    /// SHA-256 of the contents): a build hashes each file once, as it is emitted.
    pub fn of_hashes(spec_sha256: String, files: BTreeMap<String, String>, model: Summary) -> Manifest {
        Manifest {
            genops_version: env!("CARGO_PKG_VERSION").to_string(),
            spec_sha256,
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
        let model = self.model.as_ref().map(ModelJson::of);
        self.write_json(model.as_ref())
    }

    /// [`Manifest::to_json`], with the model's text made beforehand: `model` is
    /// [`ModelJson::of`] this manifest's model. A build makes it beside the emitters, since it
    /// is most of a large system's manifest.
    pub fn to_json_with(&self, model: &ModelJson) -> String {
        self.write_json(Some(model))
    }

    /// The document, its keys in sorted order, each value as serde_json pretty-prints it.
    fn write_json(&self, model: Option<&ModelJson>) -> String {
        let mut out = Vec::with_capacity(model.map_or(0, |m| m.0.len()) + 100 * self.files.len() + 1024);
        let key = |out: &mut Vec<u8>, key: &str| {
            out.extend_from_slice(if out.is_empty() { b"{\n  \"" } else { b",\n  \"" });
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\": ");
        };
        key(&mut out, "files");
        write_nested(&mut out, &self.files);
        key(&mut out, "format_version");
        write_nested(&mut out, &FORMAT_VERSION);
        key(&mut out, "genops_version");
        write_nested(&mut out, &self.genops_version);
        if let Some(inputs) = &self.inputs_sha256 {
            key(&mut out, "inputs_sha256");
            write_nested(&mut out, inputs);
        }
        key(&mut out, "model");
        out.extend_from_slice(model.map_or("null", |m| m.0.as_str()).as_bytes());
        if !self.pending.is_empty() {
            key(&mut out, "pending");
            write_nested(&mut out, &self.pending);
        }
        key(&mut out, "spec_sha256");
        write_nested(&mut out, &self.spec_sha256);
        out.extend_from_slice(b"\n}\n");
        // serde_json writes UTF-8, and the keys are ASCII.
        String::from_utf8(out).unwrap_or_default()
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

/// The model of a manifest as JSON text, as the manifest nests it (see [`Manifest::to_json_with`]).
pub struct ModelJson(String);

impl ModelJson {
    pub fn of(model: &Summary) -> ModelJson {
        let mut out = Vec::new();
        write_nested(&mut out, model);
        ModelJson(String::from_utf8(out).unwrap_or_default())
    }
}

/// Writes `value` as serde_json's pretty printer writes it one level inside an object, at the
/// end of `out`.
fn write_nested<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mut serializer = serde_json::Serializer::with_formatter(out, Nested { depth: 1, has_value: false });
    // Serialising maps of strings and numbers into memory cannot fail.
    let _ = value.serialize(&mut serializer);
}

/// serde_json's `PrettyFormatter` (two spaces), starting `depth` levels in.
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    fn indent<W: ?Sized + std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        (0..self.depth).try_for_each(|_| writer.write_all(b"  "))
    }

    fn begin<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, open: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(open)
    }

    fn end<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, close: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            self.indent(writer)?;
        }
        writer.write_all(close)
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.begin(writer, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.end(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        self.item(writer, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _writer: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.begin(writer, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.end(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        self.item(writer, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _writer: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
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
        let model = ModelJson::of(m.model.as_ref().expect("a model"));
        assert_eq!(m.to_json_with(&model), text, "the model's text made beforehand");
        // Empty maps and no model at all, as serde_json writes them.
        for m in [
            Manifest::new("", &[], Summary::default()),
            Manifest { model: None, ..Manifest::new("", &[], Summary::default()) },
        ] {
            let text = m.to_json();
            let mut tree: Value = serde_json::from_str(&text).unwrap();
            tree.sort_all_objects();
            assert_eq!(text, serde_json::to_string_pretty(&tree).unwrap() + "\n");
        }
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
