//! `genops init [DIR]`: a starter spec with its prompt, dataset and JSON Schema, that validates.
//! The templates live in `targets/init/` and are embedded in the binary.

use std::fs;
use std::path::Path;

use super::{Output, exit};

/// The starter files: path relative to DIR, contents.
pub fn starter_files() -> Vec<(&'static str, String)> {
    vec![
        ("genops.yaml", include_str!("../../targets/init/genops.yaml").to_string()),
        ("prompts/answer.md", include_str!("../../targets/init/prompts/answer.md").to_string()),
        ("evals/golden.jsonl", include_str!("../../targets/init/evals/golden.jsonl").to_string()),
        ("genops.schema.json", crate::schema::json_schema()),
    ]
}

pub(super) fn init(dir: &Path, out: &Output) -> i32 {
    let files = starter_files();
    let existing: Vec<String> =
        files.iter().map(|(p, _)| dir.join(p)).filter(|p| p.exists()).map(|p| p.display().to_string()).collect();
    if !existing.is_empty() {
        out.stderr(&format!(
            "error: genops init would overwrite {}\n  help: run it in an empty directory, or move these files away\n",
            existing.join(", ")
        ));
        return exit::SPEC_ERRORS;
    }
    for (path, contents) in &files {
        let target = dir.join(path);
        let written = target.parent().map_or(Ok(()), fs::create_dir_all).and_then(|()| fs::write(&target, contents));
        if let Err(e) = written {
            out.stderr(&format!("error: cannot write {}: {e}\n", target.display()));
            return exit::INTERNAL;
        }
        out.info(&format!("wrote {}", target.display()));
    }
    if !out.quiet {
        let spec = dir.join("genops.yaml");
        out.stderr(&format!(
            "genops: wrote a starter spec to {}\n  next: edit it, then run `genops validate {}`\n",
            spec.display(),
            spec.display()
        ));
    }
    exit::OK
}
