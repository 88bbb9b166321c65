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
/// parse or render. The targets are emitted in parallel ([`crate::parallel`]); each is pure, so
/// the output does not depend on the order they finish in.
pub fn emit_with(
    system: &System,
    sources: &SourceMap,
    options: &Options,
) -> Result<Vec<Artifact>, runbooks::TemplateError> {
    #[derive(Clone, Copy)]
    enum Target {
        Runbooks,
        Prometheus,
        Terraform,
        OpenSlo,
        Litellm,
    }
    // The largest first, so that the last to start is a short one.
    let targets = vec![Target::Runbooks, Target::Prometheus, Target::Terraform, Target::OpenSlo, Target::Litellm];
    let emitted = crate::parallel::map(targets, |target| match target {
        Target::Runbooks => runbooks::emit(system, &options.templates),
        Target::Prometheus => Ok(alarms::prometheus::emit(system)),
        Target::Terraform => Ok(terraform::emit(system, sources)),
        Target::OpenSlo => Ok(alarms::openslo::emit(system)),
        Target::Litellm => Ok(litellm::emit(system)),
    });
    let mut artifacts = Vec::new();
    for files in emitted {
        artifacts.extend(files?);
    }
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(artifacts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::load::MemoryFiles;

    /// The targets run in parallel, and within them the runbooks and the Terraform files: the
    /// result is the same as emitting every target one after the other, byte for byte, run
    /// after run.
    #[test]
    fn parallel_emission_is_the_sequential_one() {
        let synth = crate::synth::generate(300);
        let files = synth.files.iter().fold(MemoryFiles::default(), |f, (p, c)| f.with(p, c.as_bytes()));
        let c = compile("genops.yaml", synth.spec.clone().into_bytes(), &files);
        let system = c.system.as_ref().expect("a valid synthetic system");
        let mut sequential = terraform::emit(system, &c.sources);
        sequential.extend(alarms::prometheus::emit(system));
        sequential.extend(alarms::openslo::emit(system));
        sequential.extend(litellm::emit(system));
        sequential.extend(runbooks::emit(system, &Default::default()).expect("renders"));
        sequential.sort_by(|a, b| a.path.cmp(&b.path));
        let first = emit(system, &c.sources);
        assert_eq!(first.len(), sequential.len());
        for (a, b) in first.iter().zip(&sequential) {
            assert!(a == b, "{} differs from its sequential emission", a.path);
        }
        assert!(emit(system, &c.sources) == first, "a second emission differs");
    }
}
