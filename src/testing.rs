//! Helpers of the unit tests: the shipped examples and synthetic systems, compiled.
//!
//! In: an example's directory name under `examples/`, or a number of routes. Out: the
//! compilation, with every prompt and dataset file beside the spec read into memory.

use crate::compile::{Compilation, compile};
use crate::load::MemoryFiles;

/// Panics, showing a unified diff (`-` expected, `+` actual), when `actual` is not `expected`.
pub fn assert_same_text(what: &str, expected: &str, actual: &str) {
    if expected != actual {
        let diff = similar::TextDiff::from_lines(expected, actual);
        panic!("{what} (- expected, + actual):\n{}", diff.unified_diff().context_radius(2));
    }
}

/// The examples whose specs are `examples/<name>/genops.yaml`.
pub const EXAMPLES: &[&str] = &["clinical-triage", "coding-assistant", "support-assistant"];

/// A shipped example with the files beside it, in memory.
pub fn example(name: &str) -> Compilation {
    fn walk(dir: &std::path::Path, root: &std::path::Path, files: &mut MemoryFiles) {
        for entry in std::fs::read_dir(dir).expect("example dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, files);
            } else {
                let rel = path.strip_prefix(root).expect("inside").to_string_lossy().replace('\\', "/");
                files.0.insert(rel, std::fs::read(&path).expect("readable"));
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    let mut files = MemoryFiles::default();
    walk(&root, &root, &mut files);
    let spec = files.0.get("genops.yaml").expect("genops.yaml").clone();
    compile("genops.yaml", spec, &files)
}

/// A synthetic system of `routes` routes (`crate::synth`), with its prompt and dataset files.
pub fn synthetic(routes: usize) -> Compilation {
    let synth = crate::synth::generate(routes);
    let files = synth.files.iter().fold(MemoryFiles::default(), |f, (p, c)| f.with(p, c.as_bytes()));
    compile("genops.yaml", synth.spec.into_bytes(), &files)
}
