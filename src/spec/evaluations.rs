//! `evaluations:` — offline evaluation suites and the quality gates they enforce.

use schemars::JsonSchema;

use super::units::{Name, Percent, RelativePath};
use crate::source::Spanned;
use crate::{decode_struct, keyword_enum};

keyword_enum!(
    /// What a failed gate does.
    Gate "gate" {
        /// Fail CI: the change does not merge or deploy.
        Block = "block",
        /// Report only.
        Warn = "warn",
    }
);

/// An evaluation suite over a golden dataset.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Evaluation {
    /// JSONL file of cases, relative to the spec: one `{"input": …, "expected": …}` per line.
    pub dataset: Spanned<RelativePath>,
    /// Fewest valid cases the dataset must hold. Default 500.
    pub min_cases: Option<Spanned<u32>>,
    /// Routes evaluated.
    pub routes: Spanned<Vec<Spanned<Name>>>,
    /// Minimum scores (0–1) and maximum harmful rate.
    pub thresholds: Spanned<Thresholds>,
    /// `block` (default) or `warn`.
    pub gate: Option<Spanned<Gate>>,
    /// Chat model that grades answers (LLM-as-judge).
    pub grader: Option<Spanned<Name>>,
    /// Embedding model for similarity scores.
    pub embedding: Option<Spanned<Name>>,
}

decode_struct!(Evaluation "evaluation" {
    dataset: req, min_cases: opt, routes: req, thresholds: req, gate: opt, grader: opt, embedding: opt,
});

/// Quality thresholds.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Thresholds {
    /// Embedding similarity to the expected answer.
    pub relevance: Option<Spanned<f64>>,
    /// Share of claims supported by the retrieved context.
    pub groundedness: Option<Spanned<f64>>,
    /// Checklist coverage judged by the grader.
    pub completeness: Option<Spanned<f64>>,
    /// Most harmful answers tolerated.
    pub harmful_rate: Option<Spanned<Percent>>,
}

decode_struct!(Thresholds "threshold set" { relevance: opt, groundedness: opt, completeness: opt, harmful_rate: opt });
