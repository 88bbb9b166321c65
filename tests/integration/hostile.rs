//! Hostile input: whatever the file, genops answers with a diagnostic and exit code 1, and
//! never panics or hangs.

use std::io::Write;

use genops::compile::compile;
use genops::load::MemoryFiles;
use proptest::prelude::*;

use crate::support::genops_in;

/// Runs `genops validate FILE --format json` on a file with these bytes; returns the codes.
fn validate_bytes(bytes: &[u8]) -> (i32, Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("genops.yaml"), bytes).expect("write");
    validate_in(dir.path(), "genops.yaml")
}

fn validate_in(dir: &std::path::Path, spec: &str) -> (i32, Vec<String>) {
    let run = genops_in(dir, &["validate", spec, "--format", "json"]);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    let codes = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect();
    (run.code, codes)
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(validate_bytes(b""), (1, vec!["GO0008".to_string()]));
    assert_eq!(validate_bytes(b"# nothing here\n\n"), (1, vec!["GO0008".to_string()]));
    assert_eq!(validate_bytes(b"~\n"), (1, vec!["GO0008".to_string()]));
}

#[test]
fn binary_garbage() {
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let (code, codes) = validate_bytes(&garbage);
    assert_eq!(code, 1);
    assert_eq!(codes, ["GO0002"]);
}

#[test]
fn not_utf8_names_the_file() {
    let (code, codes) = validate_bytes(b"version: genops/v1\nsystem:\n  name: caf\xe9\n");
    assert_eq!((code, codes), (1, vec!["GO0002".to_string()]));
}

#[test]
fn billion_laughs_stops_at_the_node_limit() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    assert_eq!(validate_bytes(text.as_bytes()), (1, vec!["GO0005".to_string()]));
}

#[test]
fn ten_thousand_levels_of_nesting() {
    let flow = format!("version: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(validate_bytes(flow.as_bytes()), (1, vec!["GO0005".to_string()]));
    let mut block = String::new();
    for depth in 0..10_000 {
        block.push_str(&" ".repeat(depth));
        block.push_str("k:\n");
    }
    assert_eq!(validate_bytes(block.as_bytes()), (1, vec!["GO0005".to_string()]));
}

#[test]
fn a_100_megabyte_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = std::fs::File::create(dir.path().join("genops.yaml")).expect("create");
    file.set_len(100 * 1024 * 1024).expect("sparse file");
    assert_eq!(validate_in(dir.path(), "genops.yaml"), (1, vec!["GO0003".to_string()]));
}

#[test]
fn a_directory_or_a_missing_file_as_spec() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("specs")).expect("mkdir");
    assert_eq!(validate_in(dir.path(), "specs"), (1, vec!["GO0001".to_string()]));
    assert_eq!(validate_in(dir.path(), "missing.yaml"), (1, vec!["GO0001".to_string()]));
}

#[test]
fn a_syntax_error_is_one_diagnostic_with_a_position() {
    let mut f = tempfile::NamedTempFile::new().expect("temp");
    f.write_all(b"version: genops/v1\nsystem: {name: x\n").expect("write");
    let (code, codes) =
        validate_in(f.path().parent().expect("dir"), &f.path().file_name().expect("name").to_string_lossy());
    assert_eq!((code, codes), (1, vec!["GO0004".to_string()]));
}

fn yaml_fragment() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("version: genops/v1\n".to_string()),
        Just("system:\n  name: a\n  owner: b\n  region: us-chicago-1\n".to_string()),
        Just("routes:\n".to_string()),
        Just("  chat:\n    path: /v1/chat\n    model: m\n    data_class: public\n".to_string()),
        Just("models: { m: { provider: oci-genai, id: x } }\n".to_string()),
        Just("    fallbacks: [chat, m, chat]\n".to_string()),
        Just("&a ".to_string()),
        Just("*a ".to_string()),
        Just("<<: *a\n".to_string()),
        Just("- ".to_string()),
        Just("{".to_string()),
        Just("]".to_string()),
        Just("!!str ".to_string()),
        Just("\"\\u00e9\" ".to_string()),
        Just("'".to_string()),
        Just(": ".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        "[a-z0-9%.: -]{0,12}".prop_map(|s| s),
    ];
    proptest::collection::vec(token, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compiling_any_input_never_panics(text in yaml_fragment()) {
        let c = compile("fuzz.yaml", text.into_bytes(), &MemoryFiles::default());
        // Either valid, or an error that says why: never a silent failure.
        prop_assert!(c.system.is_some() || c.has_errors());
    }

    #[test]
    fn compiling_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let c = compile("fuzz.yaml", bytes, &MemoryFiles::default());
        prop_assert!(c.system.is_some() || c.has_errors());
    }
}
