//! How the context writes numbers, durations and links, so that templates never format.
//!
//! In: amounts, shares, durations and runbook paths. Out: their text as the runbooks print it
//! (`0.05`, `12.50`, `99.9%`, `5.5s`, `slo-latency.md#slo-chat-latency`).

use crate::spec::units::{Duration, Percent, format_number};

pub(super) fn money(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.2}")
    } else {
        format_number((value * 1e6).round() / 1e6)
    }
}

/// A duration as people say it: `5.5s` rather than `5s500ms`; the spec's form otherwise.
pub(super) fn human(d: Duration) -> String {
    if d.millis % 1000 != 0 && d.millis > 1000 {
        format!("{}s", format_number(d.millis as f64 / 1000.0))
    } else {
        d.to_string()
    }
}

pub(super) fn percent(fraction: f64) -> String {
    Percent { fraction }.to_string()
}

/// `runbooks/slo-latency.md#slo-chat-latency` → `slo-latency.md#slo-chat-latency`: a link from
/// one runbook to another.
pub(super) fn file_of(path: &str) -> String {
    file_of_str(path).to_string()
}

/// [`file_of`], borrowed.
pub(super) fn file_of_str(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
