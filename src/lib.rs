//! genops: one declarative spec of a production GenAI system in, the infrastructure that runs
//! and guards it out.
//!
//! The pipeline, one module a stage:
//! `source` (texts, spans) → `yaml` (node tree) → `spec` (typed, unresolved) → `check`
//! (resolved [`model::System`] + diagnostics) → `graph` (dependencies) → emitters. What both
//! `check` and the emitters compute from a system (cost, worst-case latency, gateways, the
//! alert catalogue) lives in `model`, so no stage depends on a later one.
//! Every stage after loading is a pure function; `cli` is the only code that touches argv,
//! stdout and exit codes, and `outdir` the only code that reads or writes the output directory.

pub mod check;
pub mod cli;
pub mod compile;
pub mod conventions;
pub mod cost;
pub mod diag;
pub mod emit;
pub mod graph;
pub mod hash;
pub mod load;
pub mod model;
pub mod outdir;
pub mod parallel;
pub mod plan;
pub mod schema;
pub mod source;
pub mod spec;
pub mod synth;
#[cfg(test)]
mod testing;
pub mod yaml;
