//! Emitters: the checked system becomes files, one module per target.
//!
//! In: a [`System`] and the sources (prompt texts). Out: [`Artifact`]s, each a relative path
//! and its full contents, sorted by path; pure and deterministic. [`write`] is the only code
//! that puts them on disk.

pub mod alarms;
pub mod hcl;
pub mod terraform;
pub mod yaml;

use std::fs;
use std::io;
use std::path::Path;

use crate::model::System;
use crate::source::SourceMap;

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// Relative to the output directory, `/`-separated.
    pub path: String,
    pub contents: String,
}

/// Every artifact of every target, sorted by path.
pub fn emit(system: &System, sources: &SourceMap) -> Vec<Artifact> {
    let mut artifacts: Vec<Artifact> = terraform::emit(system, sources);
    artifacts.extend(alarms::prometheus::emit(system));
    artifacts.extend(alarms::openslo::emit(system));
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    artifacts
}

/// Writes artifacts under `dir`: each file through a temporary sibling and a rename, so a
/// reader never sees a half-written file. Files genops did not produce are left alone.
pub fn write(dir: &Path, artifacts: &[Artifact]) -> io::Result<usize> {
    fs::create_dir_all(dir)?;
    for artifact in artifacts {
        let path = dir.join(&artifact.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let tmp = path.with_extension("genops-tmp");
        fs::write(&tmp, &artifact.contents)?;
        fs::rename(&tmp, &path)?;
    }
    Ok(artifacts.len())
}
