//! Emitters: the checked system becomes files, one module per target.
//!
//! In: a [`System`] and the sources (prompt texts). Out: [`Artifact`]s, each a relative path
//! and its full contents, sorted by path; pure and deterministic. `plan` compares them with
//! the output directory and `cli::outdir` is the only code that puts them on disk.

pub mod alarms;
pub mod hcl;
pub mod litellm;
pub mod runbooks;
pub mod terraform;
pub mod yaml;

use crate::model::System;
use crate::source::SourceMap;

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// Relative to the output directory, `/`-separated.
    pub path: String,
    pub contents: String,
}

/// Choices of a build that are not in the spec.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Runbook templates that replace the built-in ones of the same file name (file name →
    /// text), read by the CLI from `build --templates DIR`.
    pub templates: std::collections::BTreeMap<String, String>,
}

/// Every artifact of every target with the built-in templates, sorted by path.
pub fn emit(system: &System, sources: &SourceMap) -> Vec<Artifact> {
    emit_with(system, sources, &Options::default()).expect("the built-in runbook templates render (tested)")
}

/// Every artifact of every target, sorted by path; fails only when a runbook template does not
/// parse or render.
pub fn emit_with(
    system: &System,
    sources: &SourceMap,
    options: &Options,
) -> Result<Vec<Artifact>, runbooks::TemplateError> {
    let runbooks = runbooks::emit(system, &options.templates)?;
    Ok(emit_all(system, sources, runbooks))
}

fn emit_all(system: &System, sources: &SourceMap, runbooks: Vec<Artifact>) -> Vec<Artifact> {
    let mut artifacts: Vec<Artifact> = terraform::emit(system, sources);
    artifacts.extend(alarms::prometheus::emit(system));
    artifacts.extend(alarms::openslo::emit(system));
    artifacts.extend(litellm::emit(system));
    artifacts.extend(runbooks);
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    artifacts
}
