//! `slos:` — service level objectives per route.

use schemars::JsonSchema;

use super::units::{Duration, Name, Percent, Threshold};
use crate::source::Spanned;
use crate::{decode_struct, keyword_enum};

keyword_enum!(
    /// What an SLO measures.
    Sli "SLI" {
        /// Share of requests answered without a server error.
        Availability = "availability",
        /// Share of requests faster than `threshold` at `percentile`.
        Latency = "latency",
        /// Average groundedness score (0–1) of sampled answers, at least `threshold`.
        Groundedness = "groundedness",
        /// Average cost of one request, at most `threshold` (in the system's currency).
        CostPerQuery = "cost_per_query",
        /// Share of answers flagged harmful, at most `threshold`.
        HarmfulRate = "harmful_rate",
    }
);

/// A service level objective.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Slo {
    pub route: Spanned<Name>,
    pub sli: Spanned<Sli>,
    /// Share of the window that must be good. Required for availability and latency.
    pub objective: Option<Spanned<Percent>>,
    /// Compliance window. Default `30d`.
    pub window: Option<Spanned<Duration>>,
    /// Latency only: the percentile, e.g. 95.
    pub percentile: Option<Spanned<f64>>,
    /// Latency: a duration; groundedness: a score; cost_per_query: an amount; harmful_rate: a percentage.
    pub threshold: Option<Spanned<Threshold>>,
    pub description: Option<Spanned<String>>,
}

decode_struct!(Slo "SLO" {
    route: req, sli: req, objective: opt, window: opt, percentile: opt, threshold: opt, description: opt,
});
