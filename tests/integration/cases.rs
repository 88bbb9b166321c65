//! Every file under `tests/cases/invalid/` is a spec that carries its expectation in its header:
//!
//! ```yaml
//! # expect: GO0201 at 14:12
//! ```
//!
//! one line per diagnostic (code, line and column of the primary label). The test asserts
//! exactly those diagnostics, nothing more, and snapshots the rendered text. Adding a case is
//! adding a file, then `cargo insta review`.

use std::collections::BTreeSet;

use crate::snapshot;
use crate::support::{diagnostic_positions, genops};

fn expectations(text: &str) -> Vec<(String, usize, usize)> {
    let mut out: Vec<(String, usize, usize)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|e| {
            let (code, at) = e.split_once(" at ").unwrap_or_else(|| panic!("bad expectation `{e}`"));
            let (line, col) = at.trim().split_once(':').expect("line:column");
            (code.trim().to_string(), line.parse().expect("line"), col.parse().expect("column"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn invalid_cases_report_the_expected_diagnostics_at_the_expected_places() {
    let dir = crate::support::root().join("tests/cases/invalid");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases/invalid")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for path in &cases {
        let text = String::from_utf8_lossy(&std::fs::read(path).expect("case file")).into_owned();
        let expected = expectations(&text);
        let rel = path.strip_prefix(crate::support::root()).expect("inside the repo").to_string_lossy().into_owned();
        let json = genops(&["validate", &rel, "--format", "json"]);
        let found = diagnostic_positions(&json.stdout);
        let has_error = found.iter().any(|(c, _, _)| {
            c.parse::<genops::diag::Code>().is_ok_and(|code| code.severity() == genops::diag::Severity::Error)
        });
        let expected_code = if has_error { 1 } else { 0 };
        if found != expected || json.code != expected_code || expected.is_empty() {
            failures.push(format!("{rel}: expected {expected:?}, found {found:?} (exit {})", json.code));
            continue;
        }
        let human = genops(&["validate", &rel]);
        let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        snapshot!(format!("case__{stem}"), human.stderr);
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn every_spec_level_code_has_a_case() {
    let dir = crate::support::root().join("tests/cases/invalid");
    let mut covered = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("cases").flatten() {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap_or_default()).into_owned();
        covered.extend(expectations(&text).into_iter().map(|(c, _, _)| c));
    }
    // GO0001–GO0003 are about the file itself (missing, not UTF-8, too large), GO0009 about a
    // spec of over 20,000 routes (1.2 MB): see `hostile`.
    let file_level = ["GO0001", "GO0002", "GO0003", "GO0009"];
    let missing: Vec<&str> = genops::diag::Code::ALL
        .iter()
        .map(|c| c.id())
        .filter(|id| !file_level.contains(id) && !covered.contains(*id))
        .collect();
    assert!(missing.is_empty(), "codes without a case under tests/cases/invalid: {missing:?}");
}
