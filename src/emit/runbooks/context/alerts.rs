//! The alarms in the context: each alarm of the catalogue as Prometheus and OCI Monitoring
//! name it, with what it measures, its threshold, windows and runbook, in words.
//!
//! In: the burn-rate and threshold alerts of the alarm catalogue. Out: [`AlertCtx`]s whose
//! repeated strings come from the [`Shared`] cache.

use super::super::object::Text;
use super::format::{file_of_str, percent};
use super::shared::{Number, Shared};
use super::view::AlertCtx;
use crate::conventions::display_name;
use crate::model::alerts::{Severity, SloAlert, ThresholdAlert, Watch};
use crate::model::{Slo, System};
use crate::spec::slos::Sli;
use crate::spec::units::format_number;

pub(super) fn slo_alert(system: &System, a: &SloAlert, of_slo: &SloTexts, shared: &mut Shared) -> AlertCtx {
    let window = shared.window(a);
    AlertCtx {
        name: a.prometheus_alert(),
        rule: window.rule,
        oci_name: system.oncall.as_ref().filter(|_| a.has_oci_alarm()).map(|_| display_name(system, &a.alertname)),
        severity: window.severity,
        pages: a.window.severity == Severity::Page,
        oci_severity: window.oci_severity,
        route: Some(of_slo.route.clone()),
        slo: Some(of_slo.slo.clone()),
        evaluation: None,
        measures: of_slo.measures.clone(),
        threshold: shared.number(Number::Above, (a.threshold * 1e8).round() / 1e8),
        window: window.window,
        burn_window: Some(window.name),
        exhaustion: Some(shared.number(Number::Plain, (a.exhaustion_days() * 10.0).round() / 10.0)),
        burn: Some(shared.number(Number::Plain, a.burn)),
        runbook: of_slo.runbook.clone(),
        runbook_file: of_slo.runbook_file.clone(),
    }
}

/// The text every burn-rate alert of one SLO has in common.
pub(super) struct SloTexts {
    route: Text,
    slo: Text,
    measures: Text,
    runbook: Text,
    runbook_file: Text,
}

impl SloTexts {
    /// The texts of `slo`, whose alerts link `runbook`.
    pub(super) fn of(system: &System, slo: &Slo, runbook: &str, shared: &mut Shared) -> SloTexts {
        let measures = match (slo.sli, slo.threshold) {
            (Sli::Latency, Some(t)) => shared.text(&format!(
                "share of 5-minute slices in which more than {}% of requests got no answer within {t}",
                format_number(crate::model::alerts::tidy(100.0 - slo.percentile.unwrap_or(100.0)))
            )),
            _ => shared.text("share of requests that got no good answer (5xx, timeouts, the model's 429, no status)"),
        };
        SloTexts {
            route: shared.text(system.route(slo.route).name.as_str()),
            slo: shared.text(slo.name.as_str()),
            measures,
            runbook: shared.text(runbook),
            runbook_file: shared.text(file_of_str(runbook)),
        }
    }
}

pub(super) fn threshold_alert(system: &System, a: &ThresholdAlert, shared: &mut Shared) -> AlertCtx {
    let (route, evaluation, measures, threshold) = match &a.watch {
        Watch::Groundedness { route, min } => (
            Some(route.clone()),
            None,
            "average groundedness score over 1h".to_string(),
            format!("below {}", format_number(*min)),
        ),
        Watch::HarmfulRate { route, max } => {
            // The fast page window of the SLO's window (docs/alarms.md, "Burn-rate windows for
            // any SLO window").
            let window = a.slo_index.map(|i| system.slos[i].window);
            let page = window.and_then(|w| {
                crate::model::alerts::burn_factors(w).into_iter().find(|(b, _)| b.severity == Severity::Page)
            });
            match page {
                Some((w, burn)) => (
                    Some(route.clone()),
                    None,
                    format!("share of answers flagged harmful over both {} and {}", w.long, w.short),
                    format!("above {}x {}", format_number(burn), percent(*max)),
                ),
                None => (
                    Some(route.clone()),
                    None,
                    "share of answers flagged harmful over 1h".to_string(),
                    format!("above {}", percent(*max)),
                ),
            }
        }
        Watch::CostPerQuery { route, max } => (
            Some(route.clone()),
            None,
            "average cost of a query over 1h".to_string(),
            format!("above {} {}", format_number(*max), system.currency),
        ),
        Watch::SlowRoute { route, max } => {
            (Some(route.clone()), None, "p95 latency over 5m".to_string(), format!("above {max}"))
        }
        Watch::FailingRoute { route, max } => (
            Some(route.clone()),
            None,
            "share of requests failing over 5m".to_string(),
            format!("above {}", percent(*max)),
        ),
        Watch::EvalScore { evaluation, min } => (
            None,
            Some(evaluation.clone()),
            "lowest score of the evaluation's latest run".to_string(),
            format!("below {}", format_number(*min)),
        ),
        Watch::InjectionAttempts { min } => (
            None,
            None,
            "prompt-injection attempts blocked by the input guard in 5m".to_string(),
            format!("{} or more", format_number(*min)),
        ),
        Watch::AuditAnomalies { min } => {
            (None, None, "audit anomalies found in 5m".to_string(), format!("{} or more", format_number(*min)))
        }
    };
    AlertCtx {
        name: a.prometheus_alert(),
        rule: shared.text(&a.prometheus_rule()),
        oci_name: system.oncall.as_ref().map(|_| display_name(system, &a.alertname)),
        severity: shared.text(a.severity.as_str()),
        pages: a.severity == Severity::Page,
        oci_severity: shared.text(oci_severity(a.severity)),
        route: route.map(|r| shared.text(&r)),
        slo: a.slo.as_deref().map(|slo| shared.text(slo)),
        evaluation: evaluation.map(|e| shared.text(&e)),
        measures: shared.text(&measures),
        threshold: shared.text(&threshold),
        window: shared.text(&format!("held {}", a.hold)),
        burn_window: None,
        exhaustion: None,
        burn: None,
        runbook: shared.text(&a.runbook),
        runbook_file: shared.text(file_of_str(&a.runbook)),
    }
}

pub(super) fn oci_severity(s: Severity) -> &'static str {
    match s {
        Severity::Page => "CRITICAL",
        Severity::Ticket => "WARNING",
    }
}
