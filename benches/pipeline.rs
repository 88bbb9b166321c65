//! Benchmarks of each stage of the compiler on synthetic specs (`genops::synth`) of 100, 1,000
//! and 10,000 routes: the floor (the same YAML crate, saphyr, reading the spec into its own
//! generic value, and its bare event stream; and writing, hashing and syncing the output
//! alone), parse (YAML + decode), check, rendering diagnostics, each target's
//! emitter, and whole commands as the CLI runs them (`build` into an empty and into an
//! up-to-date OUT, `plan` with nothing changed), files and all.
//!
//! `cargo bench --bench pipeline` measures; `cargo bench --bench pipeline -- --test` (CI) runs
//! every benchmark once so they never rot. Whole-process timings and the comparison with
//! Terraform's `fmt -check` are `benches/whole-process.sh`; the numbers are in BENCHMARKS.md.

use std::sync::OnceLock;

use divan::Bencher;
use genops::compile::{Compilation, compile};
use genops::diag::Diagnostics;
use genops::load::MemoryFiles;
use genops::source::SourceMap;
use genops::synth::{SynthSpec, generate};

/// The allocator of the `genops` binary, so the benchmarks measure what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// The floor: saphyr, the crate whose parser genops reads YAML with, loading the spec into its
/// generic `Yaml` value (no spans kept, no checks).
#[divan::bench(args = SIZES, sample_count = 10)]
fn yaml_floor_value(bencher: Bencher, routes: usize) {
    use saphyr::LoadableYamlNode;
    let (spec, _) = synth(routes);
    bencher.bench(|| saphyr::Yaml::load_from_str(&spec.spec).expect("valid YAML"));
}

/// Below the floor: saphyr-parser's event stream alone, nothing built.
#[divan::bench(args = SIZES, sample_count = 10)]
fn yaml_floor_events(bencher: Bencher, routes: usize) {
    let (spec, _) = synth(routes);
    bencher.bench(|| {
        saphyr_parser::Parser::new_from_str(&spec.spec).try_fold(0usize, |n, e| e.map(|_| n + 1)).expect("valid YAML")
    });
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

/// Reporting: the spec with the objective of its last 400 SLOs (or all, if fewer) broken, near
/// the end of the file, compiled once; the benchmark renders the 400 errors as text.
#[divan::bench(args = SIZES, sample_count = 10)]
fn render_errors(bencher: Bencher, routes: usize) {
    let (spec, files) = synth(routes);
    let marks: Vec<usize> = spec.spec.match_indices("objective: ").map(|(i, _)| i).collect();
    let mut text = spec.spec.clone();
    for &at in marks.iter().rev().take(400) {
        text.insert(at + "objective: ".len(), 'x');
    }
    let c = compile("genops.yaml", text.into_bytes(), files);
    assert!(c.has_errors());
    let options = genops::diag::HumanOptions::default();
    bencher.bench(|| genops::diag::render_human(&c.diagnostics, &c.sources, options));
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

/// The runbooks: their context, and every runbook rendered from its template.
#[divan::bench(args = SIZES, sample_count = 10)]
fn emit_runbooks(bencher: Bencher, routes: usize) {
    let c = compiled(routes);
    let system = c.system.as_ref().expect("system");
    bencher.bench(|| genops::emit::runbooks::emit(system, &Default::default()).expect("renders"));
}

#[divan::bench(args = SIZES, sample_count = 10)]
fn emit_all(bencher: Bencher, routes: usize) {
    let c = compiled(routes);
    let system = c.system.as_ref().expect("system");
    bencher.bench(|| genops::emit::emit(system, &c.sources));
}

/// The other floor: what writing the output costs whatever makes it. Every file `build` writes
/// for this spec, made once beforehand, is written into a fresh directory, hashed (SHA-256, as
/// the manifest records it) and synced, on as many threads as genops uses: no compile, no
/// emitter, no comparison with an old OUT. `build` can approach `yaml_floor_value +
/// output_floor`, never go under it.
#[divan::bench(args = SIZES, sample_count = 5)]
fn output_floor(bencher: Bencher, routes: usize) {
    let c = compiled(routes);
    let artifacts = genops::emit::emit(c.system.as_ref().expect("system"), &c.sources);
    let root = tempfile::tempdir().expect("temp dir");
    bencher
        .with_inputs(|| {
            let out = tempfile::tempdir_in(root.path()).expect("temp dir");
            for a in &artifacts {
                std::fs::create_dir_all(out.path().join(&a.path).parent().expect("a parent")).expect("mkdir");
            }
            out
        })
        .bench_local_values(|out| {
            genops::parallel::map(artifacts.iter().collect(), |a| {
                use std::io::Write;
                let mut file = std::fs::File::create(out.path().join(&a.path)).expect("create");
                file.write_all(a.contents.as_bytes()).expect("write");
                let hash = genops::plan::manifest::sha256(a.contents.as_bytes());
                file.sync_all().expect("sync");
                hash
            });
            // Returned, so that its files are deleted after the timing.
            out
        });
}

/// The synthetic spec of this size on disk, with its prompt and dataset files, made once per
/// run, and the outputs the benchmarks build from it. It is a fixed directory under Cargo's
/// temporary directory for benchmarks (`target/tmp`), emptied at the start of each run: a
/// temporary directory held by a static would never be removed (statics are not dropped), and
/// each run would leave its 800 MB of specs and outputs behind.
fn spec_dir(routes: usize) -> &'static std::path::Path {
    static DIRS: OnceLock<Vec<(usize, std::path::PathBuf)>> = OnceLock::new();
    let dirs = DIRS.get_or_init(|| {
        SIZES
            .iter()
            .map(|&n| {
                let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pipeline-{n}-routes"));
                let _ = std::fs::remove_dir_all(&dir);
                let (spec, _) = synth(n);
                std::fs::create_dir_all(&dir).expect("mkdir");
                std::fs::write(dir.join("genops.yaml"), &spec.spec).expect("write spec");
                for (path, text) in &spec.files {
                    let path = dir.join(path);
                    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
                    std::fs::write(path, text).expect("write file");
                }
                (n, dir)
            })
            .collect()
    });
    dirs.iter().find(|(n, _)| *n == routes).expect("a benchmarked size").1.as_path()
}

fn genops(args: &[&std::ffi::OsStr]) -> i32 {
    genops::cli::run(std::iter::once(std::ffi::OsStr::new("genops")).chain(args.iter().copied()).map(Into::into))
}

/// `genops build` as the CLI runs it, into an empty OUT: read, compile, emit, plan, write every
/// file (staged, synced, renamed).
#[divan::bench(args = SIZES, sample_count = 5)]
fn build_fresh(bencher: Bencher, routes: usize) {
    let dir = spec_dir(routes);
    let spec = dir.join("genops.yaml");
    let out = dir.join("out-fresh");
    bencher
        .with_inputs(|| {
            let _ = std::fs::remove_dir_all(&out);
        })
        .bench_local_values(|()| {
            assert_eq!(genops(&["build".as_ref(), "-q".as_ref(), spec.as_os_str(), "-o".as_ref(), out.as_os_str()]), 0)
        });
}

/// `genops build` into an OUT that is already up to date: everything but the writes.
#[divan::bench(args = SIZES, sample_count = 5)]
fn build_up_to_date(bencher: Bencher, routes: usize) {
    let dir = spec_dir(routes);
    let spec = dir.join("genops.yaml");
    let out = dir.join("out-current");
    let args = ["build".as_ref(), "-q".as_ref(), spec.as_os_str(), "-o".as_ref(), out.as_os_str()];
    assert_eq!(genops(&args), 0);
    bencher.bench_local(|| assert_eq!(genops(&args), 0));
}

/// `genops plan` with nothing changed (what CI runs on every pull request).
#[divan::bench(args = SIZES, sample_count = 5)]
fn plan_no_change(bencher: Bencher, routes: usize) {
    let dir = spec_dir(routes);
    let spec = dir.join("genops.yaml");
    let out = dir.join("out-plan");
    assert_eq!(genops(&["build".as_ref(), "-q".as_ref(), spec.as_os_str(), "-o".as_ref(), out.as_os_str()]), 0);
    without_stdout(|| {
        bencher.bench_local(|| {
            assert_eq!(genops(&["plan".as_ref(), "-q".as_ref(), spec.as_os_str(), "-o".as_ref(), out.as_os_str()]), 0)
        })
    });
}

/// Runs `f` with the process's standard output sent to `/dev/null`: `plan` prints its plan,
/// which would otherwise land in the middle of divan's table.
fn without_stdout<R>(f: impl FnOnce() -> R) -> R {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let _ = std::io::stdout().flush();
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null").expect("/dev/null");
    // SAFETY: plain descriptor calls on descriptors this process owns; 1 is restored below.
    let saved = unsafe { libc::dup(1) };
    assert!(saved >= 0, "dup(1) failed");
    unsafe { libc::dup2(null.as_raw_fd(), 1) };
    let result = f();
    let _ = std::io::stdout().flush();
    unsafe {
        libc::dup2(saved, 1);
        libc::close(saved);
    }
    result
}
