//! The alert catalogue: which alerts the system gets, named once, for every alarm target.
//!
//! In: the checked [`System`]. Out: [`SloAlert`]s — the SRE workbook's multi-window,
//! multi-burn-rate alerts for each availability and latency SLO (windows in
//! `src/data/burn_rates.yaml`) — and [`ThresholdAlert`]s for the quality, safety and cost SLOs
//! and the standard incident types. Prometheus rules (`emit/alarms/prometheus.rs`), their
//! promtool tests, OpenSLO documents (`emit/alarms/openslo.rs`), OCI Monitoring alarms
//! (`emit/terraform/monitoring.rs`) and the runbooks all read this one list, so an alert has
//! the same name and runbook everywhere; the limit checks count its OCI alarms
//! ([`oci_alarm_counts`]). Prometheus raises an alert through a rule shared by every SLO of its
//! kind, with the SLO in the `slo` label: `prometheus_rule()` and `prometheus_alert()` give
//! that rule and selector.

use std::sync::OnceLock;

use crate::conventions;
use crate::decode_struct;
use crate::model::{IncidentKind, Slo, System};
use crate::source::Spanned;
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Percent, Threshold};

const BURN_RATES: &str = include_str!("../data/burn_rates.yaml");

/// Page wakes someone up; ticket waits for working hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Page,
    Ticket,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}

/// One burn-rate window pair.
#[derive(Clone, Debug)]
pub struct BurnWindow {
    pub name: String,
    pub severity: Severity,
    /// Share of the whole error budget this burn spends in `long`, for a 30-day SLO.
    pub budget: f64,
    /// The same share for a 7-day SLO.
    pub week_budget: f64,
    pub long: Duration,
    pub short: Duration,
}

#[derive(Clone, Debug)]
struct BurnWindowSpec {
    severity: Spanned<String>,
    budget: Spanned<Percent>,
    week_budget: Spanned<Percent>,
    long: Spanned<Duration>,
    short: Spanned<Duration>,
}

decode_struct!(BurnWindowSpec "burn window" { severity: req, budget: req, week_budget: req, long: req, short: req });

/// The burn-rate windows, fastest first (`src/data/burn_rates.yaml`).
pub fn burn_windows() -> &'static [BurnWindow] {
    static TABLE: OnceLock<Vec<BurnWindow>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let map = crate::yaml::builtin_table::<BurnWindowSpec>("burn_rates.yaml", BURN_RATES);
        map.valid()
            .map(|(name, w)| BurnWindow {
                name: name.value.to_string(),
                severity: if w.severity.value == "page" { Severity::Page } else { Severity::Ticket },
                budget: w.budget.value.fraction,
                week_budget: w.week_budget.value.fraction,
                long: w.long.value,
                short: w.short.value,
            })
            .collect()
    })
}

const DAY_MS: f64 = 86_400_000.0;

/// The share of the error budget `window`'s alert spends in its long window for an SLO over
/// `slo_window`: the SRE workbook's share for 30 days and longer, Sloth's for 7 days and
/// shorter, and in between interpolated on a log scale of the SLO window (a 14-day SLO sits
/// halfway between the two sets).
fn budget_share(window: &BurnWindow, slo_window: Duration) -> f64 {
    let days = slo_window.millis as f64 / DAY_MS;
    let t = ((days.ln() - 7f64.ln()) / (30f64.ln() - 7f64.ln())).clamp(0.0, 1.0);
    window.week_budget + t * (window.budget - window.week_budget)
}

/// The burn factors of an SLO over `slo_window`, one per burn window it keeps, fastest first.
///
/// burn = share × SLO window ÷ long window ([`budget_share`]). A window longer than the SLO
/// window is dropped (it would let more than the whole budget go before alerting). A ticket
/// never burns below 1×: below 1× the SLO is met, so it is raised to 1×. A page must burn
/// faster than every ticket, and faster than 1×: a page window that cannot (a short SLO
/// window makes its share of the budget too small) is dropped rather than paging on a burn
/// that tickets already cover. A 30-day SLO keeps the workbook's 14.4 / 6 / 3 / 1.
pub fn burn_factors(slo_window: Duration) -> Vec<(&'static BurnWindow, f64)> {
    let kept: Vec<(&'static BurnWindow, f64)> = burn_windows()
        .iter()
        .filter(|w| w.long <= slo_window)
        .map(|w| (w, budget_share(w, slo_window) * slo_window.millis as f64 / w.long.millis as f64))
        .collect();
    let ticket_max =
        kept.iter().filter(|(w, _)| w.severity == Severity::Ticket).map(|(_, b)| b.max(1.0)).fold(1.0, f64::max);
    kept.into_iter()
        .filter_map(|(w, burn)| match w.severity {
            Severity::Ticket => Some((w, tidy(burn.max(1.0)))),
            Severity::Page => (burn > ticket_max).then(|| (w, tidy(burn))),
        })
        .collect()
}

/// A factor or threshold without float noise, to 9 significant digits: `0.02 × 720` is 14.4,
/// not 14.400000000000002, and `(1 − 0.995) × 36000` is 180, not 180.00000000000003.
pub fn tidy(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(8 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

/// A multi-window burn-rate alert of one SLO.
#[derive(Clone, Debug)]
pub struct SloAlert<'a> {
    pub slo: &'a Slo,
    pub window: &'static BurnWindow,
    /// How many times faster than sustainable the budget burns.
    pub burn: f64,
    /// The error ratio that alerts: `burn × (1 − objective)`.
    pub threshold: f64,
    pub alertname: String,
    pub runbook: String,
}

impl SloAlert<'_> {
    /// Whether OCI Monitoring gets an alarm for this window ([`has_oci_alarm`]).
    pub fn has_oci_alarm(&self) -> bool {
        has_oci_alarm(self.slo.sli, self.window)
    }

    /// Days until the whole budget is gone at this burn.
    pub fn exhaustion_days(&self) -> f64 {
        self.slo.window.millis as f64 / 86_400_000.0 / self.burn
    }

    /// The Prometheus alerting rule that raises this alert. Prometheus has one rule per SLI kind
    /// and burn window shared by every SLO (`AvailabilityBudgetBurnFast`), reading the SLO's
    /// budget from the `genops:slo_error_budget` data series; the alert instance carries the
    /// SLO in its `slo` label (see [`SloAlert::prometheus_alert`]).
    pub fn prometheus_rule(&self) -> String {
        format!("{}BudgetBurn{}", camel(self.slo.sli.as_str()), camel(&self.window.name))
    }

    /// The Prometheus alert of this SLO as a selector: `AvailabilityBudgetBurnFast{slo="chat-availability"}`.
    pub fn prometheus_alert(&self) -> String {
        format!("{}{{slo=\"{}\"}}", self.prometheus_rule(), self.slo.name)
    }
}

/// The burn-rate alerts of every availability and latency SLO.
pub fn slo_alerts(system: &System) -> Vec<SloAlert<'_>> {
    slo_alerts_by_slo(system).into_iter().flatten().collect()
}

/// The burn-rate alerts of each SLO, indexed like `system.slos` (empty for SLIs that have
/// threshold alerts instead): emitters walk SLOs and their alerts together in linear time.
pub fn slo_alerts_by_slo(system: &System) -> Vec<Vec<SloAlert<'_>>> {
    let mut all = Vec::with_capacity(system.slos.len());
    for slo in &system.slos {
        let mut out = Vec::new();
        if let (Sli::Availability | Sli::Latency, Some(objective)) = (slo.sli, slo.objective) {
            let budget = tidy(1.0 - objective);
            let name = camel(slo.name.as_str());
            let runbook = conventions::slo_runbook(slo.sli.as_str(), slo.name.as_str());
            for (window, burn) in burn_factors(slo.window) {
                out.push(SloAlert {
                    slo,
                    window,
                    burn,
                    threshold: tidy(burn * budget),
                    alertname: format!("{name}BudgetBurn{}", camel(&window.name)),
                    runbook: runbook.clone(),
                });
            }
        }
        all.push(out);
    }
    all
}

/// What a threshold alert watches.
#[derive(Clone, Debug, PartialEq)]
pub enum Watch {
    /// Average groundedness score of a route below the threshold.
    Groundedness { route: String, min: f64 },
    /// Share of a route's answers flagged harmful above the threshold.
    HarmfulRate { route: String, max: f64 },
    /// Average cost of a route's queries above the threshold.
    CostPerQuery { route: String, max: f64 },
    /// p95 latency of a route above the threshold (model timeout).
    SlowRoute { route: String, max: Duration },
    /// Share of a route's requests failing above the threshold (tool failure).
    FailingRoute { route: String, max: f64 },
    /// Evaluation score below the threshold (quality degradation).
    EvalScore { evaluation: String, min: f64 },
    /// Blocked prompt-injection attempts in 5 minutes at or above the threshold.
    InjectionAttempts { min: f64 },
    /// Audit anomalies in 5 minutes at or above the threshold (data breach).
    AuditAnomalies { min: f64 },
}

/// A single-threshold alert: quality, safety and cost SLOs, and the incident types.
#[derive(Clone, Debug)]
pub struct ThresholdAlert {
    pub alertname: String,
    pub severity: Severity,
    pub watch: Watch,
    /// How long the condition must hold before the alert fires.
    pub hold: Duration,
    pub summary: String,
    pub runbook: String,
    /// The SLO it protects (name and index in `system.slos`), or the incident type it detects.
    pub slo: Option<String>,
    pub slo_index: Option<usize>,
    pub incident: Option<IncidentKind>,
}

impl ThresholdAlert {
    /// The Prometheus alerting rule that raises this alert. SLO threshold alerts share one rule
    /// per SLI kind (`GroundednessBreached`, `HarmfulRateBreached`, `CostPerQueryBreached`)
    /// that reads each SLO's limit from the `genops:slo_threshold` data series; the per-route
    /// and per-evaluation incident alerts share one rule per incident type (`ModelTimeout`,
    /// `ToolFailure`, `QualityDegradation`); the others keep `alertname`.
    pub fn prometheus_rule(&self) -> String {
        match &self.watch {
            Watch::Groundedness { .. } => "GroundednessBreached".into(),
            Watch::HarmfulRate { .. } => "HarmfulRateBreached".into(),
            Watch::CostPerQuery { .. } => "CostPerQueryBreached".into(),
            Watch::SlowRoute { .. } | Watch::FailingRoute { .. } | Watch::EvalScore { .. } => {
                self.incident.map(|k| camel(k.as_str())).unwrap_or_else(|| self.alertname.clone())
            }
            _ => self.alertname.clone(),
        }
    }

    /// The Prometheus alert as a selector on its shared rule: `GroundednessBreached{slo="chat-groundedness"}`,
    /// `ModelTimeout{route="chat"}`, `QualityDegradation{evaluation="golden"}`; just the name for
    /// alerts that have a rule of their own.
    pub fn prometheus_alert(&self) -> String {
        let rule = self.prometheus_rule();
        match (&self.slo, &self.watch) {
            (Some(slo), _) => format!("{rule}{{slo=\"{slo}\"}}"),
            (None, Watch::SlowRoute { route, .. } | Watch::FailingRoute { route, .. }) => {
                format!("{rule}{{route=\"{route}\"}}")
            }
            (None, Watch::EvalScore { evaluation, .. }) => format!("{rule}{{evaluation=\"{evaluation}\"}}"),
            _ => rule,
        }
    }
}

/// Quality, safety and cost SLO alerts and one alert per incident type and route it applies to.
pub fn threshold_alerts(system: &System) -> Vec<ThresholdAlert> {
    let mut out = Vec::new();
    for (slo_index, slo) in system.slos.iter().enumerate() {
        let route = system.route(slo.route).name.to_string();
        let (watch, severity, what) = match (slo.sli, slo.threshold) {
            (Sli::Groundedness, Some(Threshold::Number(min))) => (
                Watch::Groundedness { route: route.clone(), min },
                Severity::Ticket,
                format!("groundedness below {min}"),
            ),
            (Sli::HarmfulRate, Some(Threshold::Percent(p))) => (
                Watch::HarmfulRate { route: route.clone(), max: p.fraction },
                Severity::Page,
                format!("harmful answers above {p}"),
            ),
            (Sli::CostPerQuery, Some(Threshold::Number(max))) => (
                Watch::CostPerQuery { route: route.clone(), max },
                Severity::Ticket,
                format!("cost per query above {} {}", crate::spec::units::format_number(max), system.currency),
            ),
            _ => continue,
        };
        out.push(ThresholdAlert {
            alertname: format!("{}Breached", camel(slo.name.as_str())),
            severity,
            watch,
            hold: Duration::from_millis(if severity == Severity::Page { 5 * 60_000 } else { 30 * 60_000 }),
            summary: format!("route {route}: {what} over the last hour (SLO {})", slo.name),
            runbook: conventions::slo_runbook(slo.sli.as_str(), slo.name.as_str()),
            slo: Some(slo.name.to_string()),
            slo_index: Some(slo_index),
            incident: None,
        });
    }
    for incident in &system.incidents {
        let severity = if incident.page { Severity::Page } else { Severity::Ticket };
        let runbook = conventions::incident_runbook(incident.kind.as_str());
        let base = camel(incident.kind.as_str());
        let mut push = |alertname: String, watch: Watch, summary: String| {
            out.push(ThresholdAlert {
                alertname,
                severity,
                watch,
                hold: Duration::from_millis(5 * 60_000),
                summary,
                runbook: runbook.clone(),
                slo: None,
                slo_index: None,
                incident: Some(incident.kind),
            })
        };
        match (incident.kind, incident.threshold) {
            (IncidentKind::ModelTimeout, Threshold::Duration(max)) => {
                for r in &system.routes {
                    push(
                        format!("{base}{}", camel(r.name.as_str())),
                        Watch::SlowRoute { route: r.name.to_string(), max },
                        format!("route {}: p95 latency above {max} (model timeout)", r.name),
                    );
                }
            }
            (IncidentKind::ToolFailure, Threshold::Percent(p)) => {
                for r in &system.routes {
                    push(
                        format!("{base}{}", camel(r.name.as_str())),
                        Watch::FailingRoute { route: r.name.to_string(), max: p.fraction },
                        format!("route {}: more than {p} of requests failing (tool failure)", r.name),
                    );
                }
            }
            (IncidentKind::QualityDegradation, Threshold::Number(min)) => {
                for e in &system.evaluations {
                    push(
                        format!("{base}{}", camel(e.name.as_str())),
                        Watch::EvalScore { evaluation: e.name.to_string(), min },
                        format!("evaluation {}: score below {min} (quality degradation)", e.name),
                    );
                }
            }
            (IncidentKind::PromptInjection, Threshold::Number(min)) => push(
                base.clone(),
                Watch::InjectionAttempts { min },
                format!(
                    "{} or more blocked prompt-injection attempts in 5 minutes",
                    crate::spec::units::format_number(min)
                ),
            ),
            (IncidentKind::DataBreach, Threshold::Number(min)) => push(
                base.clone(),
                Watch::AuditAnomalies { min },
                format!(
                    "{} or more audit anomalies in 5 minutes (possible data breach)",
                    crate::spec::units::format_number(min)
                ),
            ),
            // Cost overruns are detected by the OCI budget alert rules (budgets.tf).
            _ => {}
        }
    }
    out
}

/// Whether an SLO of this SLI gets an OCI Monitoring alarm for this burn window. OCI holds an
/// alarm's condition for at most a day, so a longer window (the 3-day one) has no faithful
/// alarm: held for a day it would ticket on a third of the budget it stands for; Prometheus
/// keeps it. A latency SLO's OCI alarm counts bad 5-minute slices held back to back (OCI cannot
/// count slices over a window), so every window would be the same query held for its share of
/// the budget, and the slower ones could only fire after the fastest: it gets the fastest
/// window's alarm alone.
pub fn has_oci_alarm(sli: Sli, window: &BurnWindow) -> bool {
    match sli {
        Sli::Latency => std::ptr::eq(window, &burn_windows()[0]),
        _ => window.long.millis <= 86_400_000,
    }
}

/// What an OCI Monitoring alarm of `monitoring.tf` is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OciAlarmOwner {
    /// The burn-rate alarms of the SLO at this index of `system.slos`.
    SloBurnRate(usize),
    /// The threshold alarm of the SLO at this index of `system.slos`.
    SloThreshold(usize),
    /// An incident type's alarm of the route at this index of `system.routes`.
    Route(usize, IncidentKind),
    /// The quality alarm of the evaluation at this index of `system.evaluations`.
    Evaluation(usize),
    /// A system-wide incident alarm (prompt injection, data breach).
    System(IncidentKind),
}

/// The escalation steps (index in the ladder, step) that get an OCI alarm of their own for a
/// page: every step after the first, in order; a page that goes first to `own` (the rotation
/// its incident type names) skips the steps of that rotation. `monitoring.tf` writes one alarm
/// per step and [`oci_alarm_counts`] counts them.
pub fn oci_escalation_steps(
    oncall: &crate::model::Oncall,
    own: Option<crate::model::RotationId>,
) -> impl Iterator<Item = (usize, crate::model::EscalationStep)> + '_ {
    oncall.escalation.iter().copied().enumerate().skip(1).filter(move |(_, step)| Some(step.rotation) != own)
}

/// How many OCI Monitoring alarms `monitoring.tf` holds for each owner, in the order it writes
/// them (every SLO's burn-rate alarms, then the threshold alarms of SLOs and incident types),
/// each page with its escalation alarms; empty without `oncall`, as alarms would notify nobody.
/// It counts what [`slo_alerts`] and [`threshold_alerts`] name, without naming anything: the
/// limit checks read it for systems with tens of thousands of alarms (a test of
/// `emit/terraform/monitoring.rs` holds it to the emitted file).
pub fn oci_alarm_counts(system: &System) -> Vec<(OciAlarmOwner, usize)> {
    let Some(oncall) = &system.oncall else {
        return Vec::new();
    };
    // A page and its escalation alarms; a ticket alone.
    let alarms = |severity: Severity, own: Option<crate::model::RotationId>| match severity {
        Severity::Page => 1 + oci_escalation_steps(oncall, own).count(),
        Severity::Ticket => 1,
    };
    let mut out = Vec::new();
    for (i, slo) in system.slos.iter().enumerate() {
        if let (Sli::Availability | Sli::Latency, Some(_)) = (slo.sli, slo.objective) {
            let n: usize = burn_factors(slo.window)
                .iter()
                .filter(|(w, _)| has_oci_alarm(slo.sli, w))
                .map(|(w, _)| alarms(w.severity, None))
                .sum();
            if n > 0 {
                out.push((OciAlarmOwner::SloBurnRate(i), n));
            }
        }
    }
    for (i, slo) in system.slos.iter().enumerate() {
        match (slo.sli, slo.threshold) {
            (Sli::Groundedness, Some(Threshold::Number(_))) | (Sli::CostPerQuery, Some(Threshold::Number(_))) => {
                out.push((OciAlarmOwner::SloThreshold(i), alarms(Severity::Ticket, None)));
            }
            (Sli::HarmfulRate, Some(Threshold::Percent(_))) => {
                out.push((OciAlarmOwner::SloThreshold(i), alarms(Severity::Page, None)));
            }
            _ => {}
        }
    }
    for incident in &system.incidents {
        let n = alarms(if incident.page { Severity::Page } else { Severity::Ticket }, incident.rotation);
        match (incident.kind, incident.threshold) {
            (IncidentKind::ModelTimeout, Threshold::Duration(_))
            | (IncidentKind::ToolFailure, Threshold::Percent(_)) => {
                out.extend((0..system.routes.len()).map(|r| (OciAlarmOwner::Route(r, incident.kind), n)));
            }
            (IncidentKind::QualityDegradation, Threshold::Number(_)) => {
                out.extend((0..system.evaluations.len()).map(|e| (OciAlarmOwner::Evaluation(e), n)));
            }
            (IncidentKind::PromptInjection | IncidentKind::DataBreach, Threshold::Number(_)) => {
                out.push((OciAlarmOwner::System(incident.kind), n));
            }
            _ => {}
        }
    }
    out
}

/// `chat-availability` → `ChatAvailability`.
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for part in name.split(['-', '_']) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burn_rates_are_the_sre_workbook_ones_for_30_days() {
        let windows = burn_windows();
        let thirty = 30.0 * 86_400_000.0;
        let burns: Vec<f64> =
            windows.iter().map(|w| (w.budget * thirty / w.long.millis as f64 * 10.0).round() / 10.0).collect();
        assert_eq!(burns, vec![14.4, 6.0, 3.0, 1.0]);
        assert_eq!(windows[0].severity, Severity::Page);
        assert_eq!(windows[3].severity, Severity::Ticket);
    }

    fn factors(days: u64) -> Vec<(String, f64)> {
        burn_factors(Duration::from_millis(days * 86_400_000)).into_iter().map(|(w, b)| (w.name.clone(), b)).collect()
    }

    fn named(list: &[(&str, f64)]) -> Vec<(String, f64)> {
        list.iter().map(|(n, b)| (n.to_string(), *b)).collect()
    }

    #[test]
    fn thirty_days_keep_the_workbook_factors_and_seven_days_get_sloths_pages() {
        assert_eq!(factors(30), named(&[("fast", 14.4), ("medium", 6.0), ("slow", 3.0), ("very-slow", 1.0)]));
        // Sloth's 7d set is 13.44 / 3.5 / 1.4 / 0.98: the last ticket is raised to 1×.
        assert_eq!(factors(7), named(&[("fast", 13.44), ("medium", 3.5), ("slow", 1.4), ("very-slow", 1.0)]));
        // A 1-day SLO: the 3-day window is longer than the SLO, the 6-hour page would burn at
        // 0.5× (no faster than the 1× ticket) and is dropped.
        assert_eq!(factors(1), named(&[("fast", 1.92), ("slow", 1.0)]));
    }

    #[test]
    fn no_factor_is_below_one_and_pages_burn_faster_than_tickets() {
        for days in [1, 2, 3, 5, 7, 10, 14, 21, 28, 30, 60, 90, 365] {
            let f = burn_factors(Duration::from_millis(days * 86_400_000));
            assert!(!f.is_empty(), "{days}d");
            assert!(f.iter().all(|(_, b)| *b >= 1.0), "{days}d: {f:?}");
            let slowest_page =
                f.iter().filter(|(w, _)| w.severity == Severity::Page).map(|(_, b)| *b).fold(f64::MAX, f64::min);
            let fastest_ticket =
                f.iter().filter(|(w, _)| w.severity == Severity::Ticket).map(|(_, b)| *b).fold(0.0, f64::max);
            assert!(slowest_page > fastest_ticket, "{days}d: {f:?}");
            assert!(f.iter().all(|(w, _)| w.long.millis <= days * 86_400_000), "{days}d: {f:?}");
        }
    }

    #[test]
    fn thresholds_have_no_float_noise() {
        assert_eq!(tidy((1.0 - 0.995) * 36_000.0), 180.0);
        assert_eq!(tidy(0.02 * 720.0), 14.4);
        assert_eq!(tidy(0.0), 0.0);
    }

    #[test]
    fn names_are_camel_case() {
        assert_eq!(camel("chat-availability"), "ChatAvailability");
        assert_eq!(camel("very-slow"), "VerySlow");
    }
}
