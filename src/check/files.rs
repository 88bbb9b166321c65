//! Referenced files: prompt templates exist; evaluation datasets are JSONL with enough valid
//! cases. Dataset problems point at the offending line of the dataset file itself.

use super::{Checker, valid_indexed};
use crate::diag::{Code, Diagnostic};
use crate::load::report_file_error;
use crate::source::{FileId, Span};

/// Default golden-set size, from the operating guide's production-readiness checklist.
pub const DEFAULT_MIN_CASES: u32 = 500;
/// Bad lines reported one by one; the rest are summarised.
const MAX_LINE_REPORTS: usize = 10;

impl Checker<'_> {
    pub(super) fn check_files(&mut self) {
        for (_, _, prompt) in valid_indexed(&self.doc.prompts.value) {
            let path = prompt.file.value.as_str();
            if let Some(Err(error)) = self.inputs.get(path) {
                report_file_error(path, error, prompt.file.span, "prompt file", &mut self.diags);
            }
        }
        for (i, name, eval) in valid_indexed(&self.doc.evaluations.value) {
            let path = eval.dataset.value.as_str();
            match self.inputs.get(path) {
                Some(Ok(file)) => {
                    let cases = self.count_cases(*file);
                    self.dataset_cases[i] = cases;
                    let min = eval.min_cases.as_ref().map_or(DEFAULT_MIN_CASES, |m| m.value);
                    if (cases as u64) < min as u64 {
                        let mut d = Diagnostic::new(
                            Code::DatasetTooSmall,
                            format!("evaluation `{}` has {cases} valid cases, fewer than {min}", name.value),
                        )
                        .label(eval.dataset.span, format!("{cases} valid cases"));
                        if let Some(m) = &eval.min_cases {
                            d = d.label(m.span, format!("at least {min} required"));
                        }
                        self.diags.push(d.help(format!(
                            "add cases to `{path}` (the operating guide asks for 500+); lowering `min_cases` weakens the gate"
                        )));
                    }
                }
                Some(Err(error)) => report_file_error(path, error, eval.dataset.span, "dataset", &mut self.diags),
                None => {}
            }
        }
    }

    /// Counts valid cases, reporting the first bad lines.
    fn count_cases(&mut self, file: FileId) -> usize {
        let text = &self.sources.get(file).text;
        let mut valid = 0;
        let mut bad = 0;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let content = line.trim_end_matches(['\n', '\r']);
            if content.trim().is_empty() {
                continue;
            }
            match case_problem(content) {
                None => valid += 1,
                Some(problem) => {
                    bad += 1;
                    if bad <= MAX_LINE_REPORTS {
                        let span = Span::new(file, start, start + content.len());
                        self.diags.push(
                            Diagnostic::new(Code::DatasetRecord, format!("invalid evaluation case: {problem}"))
                                .label(span, problem)
                                .help("each line is one JSON object: {\"input\": \"…\", \"expected\": \"…\"} (optional \"context\", \"tags\")"),
                        );
                    }
                }
            }
        }
        if bad > MAX_LINE_REPORTS {
            let name = self.sources.get(file).name.clone();
            self.diags.push(
                Diagnostic::new(
                    Code::DatasetRecord,
                    format!("{} more invalid cases in `{name}`", bad - MAX_LINE_REPORTS),
                )
                .label(Span::new(file, 0, 0), "the first ones are reported above")
                .help("fix the file, e.g. with `jq -c . < file` to find broken lines"),
            );
        }
        valid
    }
}

/// Why a JSONL line is not a valid case, if it is not.
fn case_problem(line: &str) -> Option<String> {
    let value: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Some(format!("not JSON ({e})")),
    };
    let Some(object) = value.as_object() else {
        return Some("not a JSON object".into());
    };
    match object.get("input") {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {}
        Some(serde_json::Value::String(_)) => return Some("`input` is empty".into()),
        Some(_) => return Some("`input` is not a string".into()),
        None => return Some("no `input`".into()),
    }
    for field in ["expected", "context"] {
        if object.get(field).is_some_and(|v| !v.is_string()) {
            return Some(format!("`{field}` is not a string"));
        }
    }
    if let Some(tags) = object.get("tags") {
        let ok = tags.as_array().is_some_and(|a| a.iter().all(|t| t.is_string()));
        if !ok {
            return Some("`tags` is not a list of strings".into());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::case_problem;

    #[test]
    fn cases() {
        assert_eq!(case_problem(r#"{"input": "hi", "expected": "hello"}"#), None);
        assert!(case_problem(r#"{"input": ""}"#).is_some());
        assert!(case_problem(r#"{"expected": "x"}"#).is_some());
        assert!(case_problem(r#"["input"]"#).is_some());
        assert!(case_problem(r#"{"input": "x", "tags": [1]}"#).is_some());
        assert!(case_problem("{broken").is_some());
    }
}
