//! Runs the `genops` binary from the repository root, the way a user does.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `genops ARGS…` with the repository root as working directory and no colour.
pub fn genops(args: &[&str]) -> Run {
    genops_in(&root(), args)
}

pub fn genops_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_genops"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the genops binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// GitHub's anchor of a Markdown heading: lower case, letters, digits, `-` and `_` kept,
/// spaces to `-`, everything else dropped (a repeated heading's `-1`, `-2` … is the caller's).
pub fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Snapshots live in the top-level `snapshots/` directory.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// The (code, line, column) of every diagnostic in a `--format json` report.
pub fn diagnostic_positions(json: &str) -> Vec<(String, usize, usize)> {
    let report: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("JSON report ({e}):\n{json}"));
    let mut found: Vec<(String, usize, usize)> = report["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or(0) as usize,
                d["column"].as_u64().unwrap_or(0) as usize,
            )
        })
        .collect();
    found.sort();
    found
}

/// The shipped examples, by directory name, sorted.
pub fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .flatten()
        .filter(|e| e.path().join("genops.yaml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Copies a directory tree (an example with its prompt and dataset files).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
