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

/// A spec with one prompt file and one dataset, at these paths.
fn spec_with_files(prompt: &str, dataset: &str) -> String {
    format!(
        "version: genops/v1
system: {{ name: demo, owner: ai-platform, region: us-chicago-1 }}
models:
  command-r: {{ provider: oci-genai, id: cohere.command-r-08-2024 }}
prompts:
  answer: {{ version: 1.0.0, file: {prompt} }}
routes:
  chat: {{ path: /v1/chat, data_class: internal, model: command-r, prompt: answer }}
evaluations:
  golden: {{ dataset: {dataset}, min_cases: 1, routes: [chat], thresholds: {{ relevance: 0.85 }} }}
"
    )
}

/// `genops validate` on a spec in `dir`, in both formats: the codes, and everything printed.
fn validate_both(dir: &std::path::Path) -> (i32, Vec<String>, String) {
    let (code, codes) = validate_in(dir, "genops.yaml");
    let human = genops_in(dir, &["validate", "genops.yaml"]);
    let json = genops_in(dir, &["validate", "genops.yaml", "--format", "json"]);
    (code, codes, format!("{}{}{}", human.stderr, json.stdout, json.stderr))
}

/// Finding 1 of #25: a prompt or dataset reached through a link that leaves the spec's
/// directory is refused (GO0311 at the path), and not one byte of it is read or shown; links
/// that stay inside keep working.
#[test]
fn links_out_of_the_spec_directory_are_refused() {
    use std::os::unix::fs::symlink;
    let outer = tempfile::tempdir().expect("temp dir");
    let dir = outer.path().join("project");
    std::fs::create_dir_all(dir.join("shared")).expect("mkdir");
    std::fs::write(outer.path().join("token"), "SECRET-TOKEN-42\n").expect("write");
    std::fs::create_dir(outer.path().join("etc")).expect("mkdir");
    std::fs::write(outer.path().join("etc/golden.jsonl"), "{\"input\": \"SECRET-CASE-7\"}\n").expect("write");
    std::fs::write(dir.join("shared/answer.md"), "Answer.\n").expect("write");
    std::fs::write(dir.join("shared/golden.jsonl"), "{\"input\": \"q\", \"expected\": \"a\"}\n").expect("write");
    symlink("shared/answer.md", dir.join("answer.md")).expect("link");
    symlink("shared", dir.join("evals")).expect("link");
    symlink("../token", dir.join("notes.md")).expect("link");
    symlink(outer.path().join("etc"), dir.join("kb")).expect("link");
    symlink("/etc/passwd", dir.join("passwd.md")).expect("link");

    // Inside, through a file link and a directory link: valid.
    std::fs::write(dir.join("genops.yaml"), spec_with_files("answer.md", "evals/golden.jsonl")).expect("write");
    let (code, codes, _) = validate_both(&dir);
    assert_eq!((code, codes), (0, vec![]));

    for (prompt, dataset) in [("notes.md", "evals/golden.jsonl"), ("passwd.md", "kb/golden.jsonl")] {
        std::fs::write(dir.join("genops.yaml"), spec_with_files(prompt, dataset)).expect("write");
        let (code, codes, printed) = validate_both(&dir);
        let expected = if dataset.starts_with("kb") { 2 } else { 1 };
        assert_eq!((code, codes), (1, vec!["GO0311".to_string(); expected]), "{prompt}, {dataset}: {printed}");
        assert!(printed.contains("outside the spec's directory"), "{printed}");
        for secret in ["SECRET-TOKEN-42", "SECRET-CASE-7", "root:"] {
            assert!(!printed.contains(secret), "{secret} was read: {printed}");
        }
    }
}

/// Makes a FIFO at `path`.
fn mkfifo(path: &std::path::Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: a valid C string for the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// Runs `genops ARGS` in `dir`; fails (and kills it) if it has not finished within ten seconds.
fn genops_within_ten_seconds(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_genops"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("genops runs");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("genops {args:?} hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Finding 3 of #25: a FIFO as spec, prompt or dataset is refused at once, never opened for a
/// blocking read.
#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().expect("temp dir");
    mkfifo(&dir.path().join("fifo.yaml"));
    mkfifo(&dir.path().join("answer.md"));
    mkfifo(&dir.path().join("golden.jsonl"));
    let (code, stdout) = genops_within_ten_seconds(dir.path(), &["validate", "fifo.yaml", "--format", "json"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("GO0001") && stdout.contains("not a regular file"), "{stdout}");

    std::fs::write(dir.path().join("genops.yaml"), spec_with_files("answer.md", "golden.jsonl")).expect("write");
    let (code, stdout) = genops_within_ten_seconds(dir.path(), &["validate", "genops.yaml", "--format", "json"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(crate::support::diagnostic_positions(&stdout).iter().filter(|d| d.0 == "GO0311").count(), 2);
    assert!(stdout.contains("not a regular file"), "{stdout}");
}

/// Finding 5 of #25: one 100 KB scalar aliased 3,000 times (a 300 MB document from a 100 KB
/// file) is refused with GO0005, quickly, instead of being copied into memory.
#[test]
fn a_long_scalar_aliased_many_times_is_refused() {
    let mut text = format!("version: genops/v1\nsystem:\n  name: &a {}\n  owner: [", "x".repeat(100_000));
    text.push_str(&vec!["*a"; 3000].join(", "));
    text.push_str("]\n");
    let start = std::time::Instant::now();
    assert_eq!(validate_bytes(text.as_bytes()), (1, vec!["GO0005".to_string()]));
    assert!(start.elapsed() < std::time::Duration::from_secs(10), "{:?}", start.elapsed());
}

/// Finding 4 of #25: a diagnostic past column 65,535 made miette's renderer panic (exit 101):
/// on a 70 KB one-line spec, on a 64 KB key, and in `build` on a valid spec whose only finding
/// is a warning. The long line is pointed at by `file:line:col` instead.
#[test]
fn diagnostics_on_very_long_lines_do_not_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let long = "x".repeat(70_000);
    let oneline = format!(
        "{{version: genops/v1, system: {{name: demo, owner: ai-platform, region: us-chicago-1, bogus: \"{long}\", other: 1}}}}"
    );
    let key = format!("version: genops/v1\nsystem: {{ name: demo, owner: ai-platform }}\n{}: 1\n", "k".repeat(65_600));
    let warning = format!(
        "version: genops/v1
system: {{ name: demo, owner: ai-platform, region: us-chicago-1 }}
models: {{ command-r: {{ provider: oci-genai, id: cohere.command-r-08-2024, description: \"{long}\" }}, spare: {{ provider: oci-genai, id: cohere.command-r-08-2024 }} }}
routes:
  chat: {{ path: /v1/chat, data_class: internal, model: command-r }}
"
    );
    for (name, text, exit) in [("oneline.yaml", &oneline, 1), ("key.yaml", &key, 1), ("warning.yaml", &warning, 0)] {
        std::fs::write(dir.path().join(name), text).expect("write");
        let run = genops_in(dir.path(), &["validate", name]);
        assert_eq!(run.code, exit, "{name}: {}", &run.stderr[..run.stderr.len().min(2000)]);
        assert!(
            run.stderr.contains(&format!("{name}:1:")) || run.stderr.contains(&format!("{name}:3:")),
            "{name}: {}",
            &run.stderr[..run.stderr.len().min(2000)]
        );
    }
    let run = genops_in(dir.path(), &["build", "warning.yaml", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", &run.stderr[..run.stderr.len().min(2000)]);
    assert!(run.stderr.contains("GO0401"), "{}", &run.stderr[..run.stderr.len().min(2000)]);
    assert!(dir.path().join("out/terraform").exists());
}

/// Finding 7 of #25: a prompt path with ESC and U+202E was copied into a `storage.tf` comment
/// and the manifest. A path with a control or bidi character is refused where it is written.
#[test]
fn a_path_with_control_or_bidi_characters_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = "notes\u{1b}[1A\u{202e}dm.txt";
    std::fs::write(dir.path().join(name), "Answer.\n").expect("write");
    std::fs::write(dir.path().join("golden.jsonl"), "{\"input\": \"q\"}\n").expect("write");
    let spec = spec_with_files("\"notes\\e[1A\\u202Edm.txt\"", "golden.jsonl");
    std::fs::write(dir.path().join("genops.yaml"), spec).expect("write");
    let (code, codes, printed) = validate_both(dir.path());
    assert_eq!((code, codes), (1, vec!["GO0114".to_string()]), "{printed}");
    assert!(!printed.chars().any(genops::diag::is_unsafe_char), "{printed:?}");
    let run = genops_in(dir.path(), &["build", "genops.yaml", "-o", "out"]);
    assert_eq!(run.code, 1);
    assert!(!dir.path().join("out").exists());
}

/// Finding 6 of #25: a 1 MB model id used by 2,000 routes turned a 1 MB spec into 4 GB of
/// output. An id longer than 128 bytes, or not of a model id's form, is GO0114; so is a tag
/// value (copied onto every resource) longer than OCI's 256 characters.
#[test]
fn unbounded_values_copied_into_every_output_are_refused() {
    let mut spec = format!(
        "version: genops/v1\nsystem: {{ name: demo, owner: ai-platform, region: us-chicago-1 }}\nmodels:\n  big: {{ provider: oci-genai, id: {} }}\nroutes:\n",
        "a".repeat(1 << 20)
    );
    for i in 0..2000 {
        spec.push_str(&format!("  r{i}: {{ path: /r{i}, data_class: internal, model: big }}\n"));
    }
    let start = std::time::Instant::now();
    assert_eq!(validate_bytes(spec.as_bytes()), (1, vec!["GO0114".to_string()]));
    assert!(start.elapsed() < std::time::Duration::from_secs(20), "{:?}", start.elapsed());

    let tags = format!(
        "version: genops/v1\nsystem: {{ name: demo, owner: ai-platform, region: us-chicago-1, tags: {{ team: {} }} }}\n",
        "t".repeat(257)
    );
    assert_eq!(validate_bytes(tags.as_bytes()), (1, vec!["GO0114".to_string()]));
}

/// A spec that defines more than genops builds (a million one-line routes once took 47 s and
/// 8 GB) is refused before it is decoded: one GO0009 at the section's key, nothing else. The
/// limit itself is a spec a real system reaches: exactly 20,000 routes are read.
#[test]
fn more_routes_than_genops_supports_are_refused_at_the_section() {
    let spec = |routes: usize| {
        let mut text = String::from(
            "version: genops/v1\nsystem: { name: s, owner: o, region: us-chicago-1 }\nmodels: { m: { provider: oci-genai, id: cohere.command-r-08-2024 } }\nroutes:\n",
        );
        for i in 0..routes {
            text.push_str(&format!("  r{i}: {{ path: /r{i}, data_class: internal, model: m }}\n"));
        }
        text
    };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("genops.yaml"), spec(genops::spec::MAX_ROUTES + 1)).expect("write");
    let run = genops_in(dir.path(), &["validate", "genops.yaml", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(crate::support::diagnostic_positions(&run.stdout), [("GO0009".to_string(), 4, 1)]);
    assert!(run.stdout.contains("more than the 20000 genops supports"), "{}", run.stdout);

    std::fs::write(dir.path().join("genops.yaml"), spec(genops::spec::MAX_ROUTES)).expect("write");
    let (_, codes) = validate_in(dir.path(), "genops.yaml");
    assert!(!codes.contains(&"GO0009".to_string()), "{codes:?}");
}
