//! SLOs: each SLI has the fields it needs and none it cannot use; windows in range; and,
//! once the system is resolved, objectives the expected traffic can actually measure.

use super::{Checker, valid_indexed};
use crate::diag::{Code, Diagnostic};
use crate::model::System;
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Threshold};

/// Fewest bad requests an error budget should allow before it means anything.
const MIN_BAD_EVENTS: f64 = 10.0;

impl Checker<'_> {
    pub(super) fn check_slos(&mut self) {
        for (index, name, slo) in valid_indexed(&self.doc.slos.value) {
            let partial = Checker::partial(&self.doc.slos.value, index);
            self.routes.resolve(&slo.route, &mut self.diags);
            let sli = slo.sli.value;
            let what = format!("{sli} SLO `{}`", name.value);
            let mut problem = |d: Diagnostic| self.diags.push(d);
            let needs_objective = matches!(sli, Sli::Availability | Sli::Latency);
            match (&slo.objective, needs_objective) {
                (None, true) if !partial => problem(
                    Diagnostic::new(Code::SloDefinition, format!("{what} has no `objective`"))
                        .label(slo.sli.span, format!("{sli} is measured against an objective"))
                        .help("add `objective: 99.9%`: the share of requests that must be good over the window"),
                ),
                (Some(o), true) if o.value.fraction <= 0.0 || o.value.fraction >= 1.0 => problem(
                    Diagnostic::new(
                        Code::SloDefinition,
                        format!("an objective of {} leaves no error budget to alert on", o.value),
                    )
                    .label(o.span, "must be strictly between 0% and 100%")
                    .help("a realistic objective is 99%–99.95%"),
                ),
                _ => {}
            }
            if sli == Sli::Availability {
                for (field, span) in [
                    ("threshold", slo.threshold.as_ref().map(|t| t.span)),
                    ("percentile", slo.percentile.as_ref().map(|p| p.span)),
                ] {
                    if let Some(span) = span {
                        problem(
                            Diagnostic::new(Code::SloDefinition, format!("an availability SLO has no `{field}`"))
                                .label(span, "not used by availability")
                                .label(slo.sli.span, "availability counts failed requests")
                                .help(format!(
                                    "remove `{field}`; for a latency objective write a separate `sli: latency` SLO"
                                )),
                        );
                    }
                }
            }
            if sli != Sli::Latency {
                if let Some(p) = &slo.percentile {
                    if sli != Sli::Availability {
                        problem(
                            Diagnostic::new(Code::SloDefinition, format!("a {sli} SLO has no `percentile`"))
                                .label(p.span, "only latency SLOs have a percentile")
                                .help("remove `percentile`"),
                        );
                    }
                }
            }
            let expected = match sli {
                Sli::Availability => None,
                Sli::Latency => Some("a duration such as `5s`"),
                Sli::Groundedness => Some("a score between 0 and 1 such as `0.90`"),
                Sli::CostPerQuery => Some("an amount such as `0.05`"),
                Sli::HarmfulRate => Some("a percentage such as `0.1%`"),
            };
            if let Some(expected) = expected {
                match &slo.threshold {
                    None if partial => {}
                    None => problem(
                        Diagnostic::new(Code::SloDefinition, format!("{what} has no `threshold`"))
                            .label(slo.sli.span, format!("{sli} needs {expected}"))
                            .help(format!("add `threshold:` with {expected}")),
                    ),
                    Some(t) => {
                        let fits = match (sli, t.value) {
                            (Sli::Latency, Threshold::Duration(d)) => d.millis > 0,
                            (Sli::Groundedness, Threshold::Number(n)) => n > 0.0 && n <= 1.0,
                            (Sli::CostPerQuery, Threshold::Number(n)) => n > 0.0,
                            (Sli::HarmfulRate, Threshold::Percent(p)) => p.fraction < 1.0,
                            _ => false,
                        };
                        if !fits {
                            problem(
                                Diagnostic::new(
                                    Code::SloDefinition,
                                    format!("threshold `{}` does not fit a {sli} SLO", t.value),
                                )
                                .label(t.span, format!("expected {expected}"))
                                .help(format!("write {expected}")),
                            );
                        }
                    }
                }
            }
            if sli == Sli::Latency {
                match &slo.percentile {
                    None if partial => {}
                    None => problem(
                        Diagnostic::new(Code::SloDefinition, format!("{what} has no `percentile`"))
                            .label(slo.sli.span, "which requests must be faster than the threshold?")
                            .help("add `percentile: 95` (p95) or `99`"),
                    ),
                    Some(p) if !(p.value >= 50.0 && p.value < 100.0) => problem(
                        Diagnostic::new(Code::SloDefinition, format!("percentile {} is out of range", p.value))
                            .label(p.span, "at least 50 and below 100")
                            .help("use a percentile such as `95` or `99`"),
                    ),
                    _ => {}
                }
            }
            if let Some(w) = &slo.window {
                let day = Duration::parse("1d").map(|d| d.millis).unwrap_or(86_400_000);
                if w.value.millis < day || w.value.millis > 90 * day {
                    problem(
                        Diagnostic::new(Code::SloDefinition, format!("an SLO window of {} is out of range", w.value))
                            .label(w.span, "between 1d and 90d")
                            .help("use a rolling window such as `28d` or `30d`"),
                    );
                }
            }
        }
    }

    /// Objectives finer than the traffic: a handful of failures would break them.
    pub(super) fn check_slo_noise(&mut self, system: &System) {
        for (i, slo) in system.slos.iter().enumerate() {
            let (Some(objective), Some(traffic)) = (slo.objective, system.route(slo.route).traffic) else {
                continue;
            };
            let days = slo.window.millis as f64 / 86_400_000.0;
            let requests = traffic.per_day as f64 * days;
            let allowed_bad = (1.0 - objective) * requests;
            if allowed_bad < MIN_BAD_EVENTS {
                let spec = &self.doc.slos.value.entries[i];
                let span = spec.value.as_ref().and_then(|s| s.objective.as_ref()).map_or(spec.name.span, |o| o.span);
                self.diags.push(
                    Diagnostic::new(
                        Code::SloNoise,
                        format!("SLO `{}` allows {:.1} bad requests in {} at {} requests/day", slo.name, allowed_bad, slo.window, traffic.per_day),
                    )
                    .label(span, "finer than the traffic can measure")
                    .help("lower the objective, lengthen the window, or alert on a synthetic probe; a burn-rate alert on this SLO would page on single failures"),
                );
            }
        }
    }
}
