//! The published JSON Schema: equal to the one derived from the code, and every example
//! (and the `init` starter) valid against it.

use genops::diag::Diagnostics;
use genops::source::SourceMap;
use genops::yaml::{Limits, load};

use crate::support::{genops, root};

#[test]
fn committed_schema_is_the_generated_one() {
    let committed =
        std::fs::read_to_string(root().join("schemas/genops.schema.json")).expect("schemas/genops.schema.json");
    let printed = genops(&["schema"]);
    assert_eq!(printed.code, 0);
    assert!(
        committed == printed.stdout,
        "schemas/genops.schema.json is stale: run `cargo run -- schema > schemas/genops.schema.json`"
    );
}

fn spec_as_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("spec");
    let mut sources = SourceMap::new();
    let id = sources.add(path.display().to_string(), text);
    let mut diags = Diagnostics::new();
    let node = load(sources.get(id), id, Limits::for_len(sources.get(id).text.len()), &mut diags).expect("valid YAML");
    node.to_json()
}

#[test]
fn every_example_and_the_starter_validate_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&genops(&["schema"]).stdout).expect("schema is JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    let mut specs: Vec<_> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .flatten()
        .map(|e| e.path().join("genops.yaml"))
        .filter(|p| p.exists())
        .collect();
    specs.push(root().join("targets/init/genops.yaml"));
    assert!(specs.len() >= 4);
    for spec in specs {
        let instance = spec_as_json(&spec);
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{}:\n{}", spec.display(), errors.join("\n"));
    }
}

#[test]
fn the_schema_rejects_what_the_compiler_rejects() {
    let schema: serde_json::Value = serde_json::from_str(&genops(&["schema"]).stdout).expect("schema is JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    let bad = serde_json::json!({
        "version": "genops/v1",
        "system": { "name": "Bad_Name", "owner": "x", "region": "us-chicago-1" },
        "routes": { "chat": { "path": "v1/chat", "data_class": "secret", "model": "m", "timeout": "8" } }
    });
    let errors = validator.iter_errors(&bad).count();
    assert!(errors >= 4, "expected the name, path, data class and duration to be rejected, got {errors}");
}
