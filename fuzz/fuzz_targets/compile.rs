//! Fuzz target `compile`: arbitrary bytes as a spec, through everything a user's spec reaches.
//!
//! In: the fuzzer's bytes, read as `genops.yaml`; every prompt and dataset it references exists
//! (a short prompt, a dataset of 600 valid cases), so that a spec the fuzzer makes valid goes
//! on to the emitters. Out: nothing; a panic, a hang (libFuzzer's `-timeout`) or an allocation
//! beyond `-rss_limit_mb` is a finding. Every stage runs: the compiler, both renderings of the
//! diagnostics (human, with and without colour, at a narrow and a wide width, and JSON), and
//! for a valid spec the dependency graph in each format, the cost report and every target.
#![no_main]

use std::sync::OnceLock;

use genops::compile::compile;
use genops::diag::{HumanOptions, render_human, render_json};
use genops::load::{FileError, Files};
use libfuzzer_sys::fuzz_target;

/// Any referenced file: a dataset when its name says so, a prompt otherwise.
struct AnyFile;

impl Files for AnyFile {
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        static DATASET: OnceLock<Vec<u8>> = OnceLock::new();
        let bytes = if path.ends_with(".jsonl") {
            DATASET
                .get_or_init(|| {
                    let case = |i| format!("{{\"input\": \"question {i}\", \"expected\": \"answer {i}\"}}\n");
                    (0..600).map(case).collect::<String>().into_bytes()
                })
                .clone()
        } else {
            b"You are a careful assistant. Answer from the context only.\n".to_vec()
        };
        if bytes.len() as u64 > limit {
            return Err(FileError::TooLarge { size: bytes.len() as u64, limit });
        }
        Ok(bytes)
    }
}

fuzz_target!(|data: &[u8]| {
    let c = compile("genops.yaml", data.to_vec(), &AnyFile);
    for (color, width) in [(false, 100), (true, 40)] {
        let _ = render_human(&c.diagnostics, &c.sources, HumanOptions { color, width });
    }
    let json = render_json(&c.diagnostics, &c.sources);
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "the JSON diagnostics do not parse");
    if let (Some(system), Some(graph)) = (&c.system, &c.graph) {
        let _ = (graph.to_dot(), graph.to_mermaid(), graph.to_json());
        let cost = genops::cost::CostReport::build(system);
        let _ = (cost.to_text(), cost.to_json());
        let _ = genops::emit::emit(system, &c.sources);
    }
});
