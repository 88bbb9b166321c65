//! Benchmarks of each stage of the compiler on synthetic specs (`genops::synth`) of 100, 1,000
//! and 10,000 routes: parse (YAML + decode), check, each target's emitter, the whole build.
//!
//! `cargo bench --bench pipeline` measures; `cargo bench --bench pipeline -- --test` (CI) runs
//! every benchmark once so they never rot. Whole-process timings are in BENCHMARKS.md.

use std::sync::OnceLock;

use divan::Bencher;
use genops::compile::{Compilation, compile};
use genops::diag::Diagnostics;
use genops::load::MemoryFiles;
use genops::source::SourceMap;
use genops::synth::{SynthSpec, generate};

fn main() {
    divan::main();
}

const SIZES: &[usize] = &[100, 1_000, 10_000];

fn synth(routes: usize) -> &'static (SynthSpec, MemoryFiles) {
    static CACHE: OnceLock<Vec<(usize, (SynthSpec, MemoryFiles))>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        SIZES
            .iter()
            .map(|&n| {
                let s = generate(n);
                let files = s.files.iter().fold(MemoryFiles::default(), |f, (p, c)| f.with(p, c.as_bytes()));
                (n, (s, files))
            })
            .collect()
    });
    &all.iter().find(|(n, _)| *n == routes).expect("a benchmarked size").1
}

fn compiled(routes: usize) -> Compilation {
    let (spec, files) = synth(routes);
    let c = compile("genops.yaml", spec.spec.clone().into_bytes(), files);
    assert!(!c.has_errors());
    c
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn parse(bencher: Bencher, routes: usize) {
    let (spec, _) = synth(routes);
    bencher.bench(|| {
        let mut sources = SourceMap::new();
        let id = sources.add("genops.yaml", spec.spec.clone());
        let mut diags = Diagnostics::new();
        genops::spec::parse(sources.get(id), id, &mut diags).expect("parses")
    });
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn validate(bencher: Bencher, routes: usize) {
    let (spec, files) = synth(routes);
    bencher.bench(|| compile("genops.yaml", spec.spec.clone().into_bytes(), files));
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn emit_terraform(bencher: Bencher, routes: usize) {
    let c = compiled(routes);
    let system = c.system.as_ref().expect("system");
    bencher.bench(|| genops::emit::terraform::emit(system, &c.sources));
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn emit_alarms(bencher: Bencher, routes: usize) {
    let c = compiled(routes);
    let system = c.system.as_ref().expect("system");
    bencher.bench(|| (genops::emit::alarms::prometheus::emit(system), genops::emit::alarms::openslo::emit(system)));
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn emit_litellm(bencher: Bencher, routes: usize) {
    let c = compiled(routes);
    let system = c.system.as_ref().expect("system");
    bencher.bench(|| genops::emit::litellm::emit(system));
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn emit_all(bencher: Bencher, routes: usize) {
    let c = compiled(routes);
    let system = c.system.as_ref().expect("system");
    bencher.bench(|| genops::emit::emit(system, &c.sources));
}
