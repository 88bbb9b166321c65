//! Emitters: the checked system becomes files, one module per target.
//!
//! In: a [`System`] and the sources (prompt texts). Out: [`Artifact`]s, each a relative path
//! and its full contents, sorted by path; pure and deterministic. [`emit_each`] hands them to a
//! [`sink::Sink`] as they are made instead (the largest in parts, to a sink that takes parts).
//! `plan` compares them with the output directory and `outdir` is the only code that puts them
//! on disk.

pub mod alarms;
pub mod derived;
pub mod hcl;
pub mod litellm;
pub mod runbooks;
pub mod sink;
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
    let (mut artifacts, emitted) =
        crate::parallel::gather(|sink| emit_each(system, sources, options, &|artifact| sink(artifact)));
    emitted?;
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(artifacts)
}

/// Emits every target and hands each file to `sink` as soon as it is made, on the thread that
/// made it, in no particular order — so a build can write and forget each file while the
/// others are still being emitted; a sink that takes files in parts gets the largest
/// (Terraform, LiteLLM, OpenSLO) a megabyte at a time while they are made
/// ([`sink`]). Fails
/// only when a runbook template does not parse or render (the sink may have had other
/// targets' files by then).
///
/// The targets are emitted in parallel ([`crate::parallel`]); each is pure, so what they
/// produce does not depend on the order they finish in. Two rounds: the runbooks' template
/// context is the largest transient value of a build, so it is built and gone while only the
/// alarms are emitted beside it, and the largest outputs, Terraform and LiteLLM, come after.
/// Within a round the largest target starts first.
pub fn emit_each(
    system: &System,
    sources: &SourceMap,
    options: &Options,
    sink: &dyn sink::Sink,
) -> Result<(), runbooks::TemplateError> {
    #[derive(Clone, Copy)]
    enum Target {
        Runbooks,
        Prometheus,
        Terraform,
        OpenSlo,
        Litellm,
    }
    let derived = derived::Derived::new(system);
    let run = |target| {
        match target {
            Target::Runbooks => runbooks::emit_each(&derived, &options.templates, sink)?,
            Target::Terraform => terraform::emit_each(&derived, sources, sink),
            Target::Prometheus => alarms::prometheus::emit_from(&derived).into_iter().for_each(|f| sink.file(f)),
            Target::OpenSlo => alarms::openslo::emit_into(&derived, sink),
            Target::Litellm => litellm::emit_into(&derived, sink),
        }
        Ok(())
    };
    let rounds =
        [vec![Target::Runbooks, Target::Prometheus, Target::OpenSlo], vec![Target::Terraform, Target::Litellm]];
    for round in rounds {
        crate::parallel::map(round, run).into_iter().collect::<Result<(), _>>()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The targets run in parallel, and within them the runbooks and the Terraform files: the
    /// result is the same as emitting every target one after the other, byte for byte, run
    /// after run.
    #[test]
    fn parallel_emission_is_the_sequential_one() {
        let c = crate::testing::synthetic(300);
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

    /// A sink that takes files in parts gets the same bytes as one that takes them whole, the
    /// files that are written in parts cut at boundaries into many (4 KB parts here): the
    /// Terraform files, the LiteLLM config and the OpenSLO file.
    #[test]
    fn files_handed_on_in_parts_are_the_files_handed_on_whole() {
        let mut compilations: Vec<_> =
            crate::testing::EXAMPLES.iter().map(|name| crate::testing::example(name)).collect();
        compilations.push(crate::testing::synthetic(300));
        for c in &compilations {
            let system = c.system.as_ref().expect("a valid system");
            let whole = emit(system, &c.sources);
            let parts = sink::Rejoined::new(4096);
            emit_each(system, &c.sources, &Options::default(), &parts).expect("emits");
            let parts = parts.sorted();
            assert_eq!(parts.len(), whole.len(), "{}", system.name);
            for ((rejoined, count), file) in parts.iter().zip(&whole) {
                assert_eq!(rejoined.path, file.path);
                let what = format!("{}: {} differs in parts", system.name, file.path);
                crate::testing::assert_same_text(&what, &file.contents, &rejoined.contents);
                let streamed = ["terraform/", "gateway/litellm/", "alarms/openslo/"];
                if streamed.iter().any(|p| file.path.starts_with(p)) && file.contents.len() > 3 * 4096 {
                    assert!(*count >= 3, "{}: {} came in {count} parts", system.name, file.path);
                }
            }
        }
    }
}
