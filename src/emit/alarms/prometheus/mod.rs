//! Prometheus: `alarms/prometheus/<system>.rules.yaml` and the promtool unit tests beside it.
//!
//! In: the alarm catalogue. Out: SLOs as data, so the file grows by a few hundred bytes per
//! SLO, not by a rule set. Recording rules shared by every route compute each SLI's bad-request
//! ratio per `requested_model` (and `le` for latency) over every burn-rate window; each SLO is
//! one tiny data series (`genops:slo_error_budget` for availability and latency,
//! `genops:slo_threshold` for groundedness, harmful rate and cost) whose labels say which SLO,
//! route, model group and runbook it is; alerting rules shared per SLI kind, SLO window and
//! burn window (`AvailabilityBudgetBurnFast`) join the ratios to the data series, so every alert
//! instance carries the SLO's `slo`, `route` and `runbook_url` labels. Incident alerts that
//! apply to every route or evaluation with one threshold are one rule each (`ModelTimeout`,
//! `ToolFailure`, `QualityDegradation`).
//! Annotations are Prometheus templates; literal text in them is escaped so that no spec string
//! can become template code. `<system>.rules.test.yaml` feeds synthetic traffic to promtool:
//! per shared alerting rule, through a representative SLO, healthy traffic fires nothing and a
//! breach fires it within the computed minute with exactly the labels and annotations on-call
//! will see; per SLO, its data series holds the value the spec implies.
//!
//! [`rules`] writes the rules, [`promtool`] the tests, [`format`] spells numbers and strings for
//! PromQL and the alert templates; both files are written by `emit::yaml`.

mod format;
mod promtool;
mod rules;

use crate::conventions::HEADER;
use crate::emit::Artifact;
use crate::emit::derived::Derived;
use crate::emit::yaml;
use crate::model::System;

pub fn rules_path(system: &System) -> String {
    format!("alarms/prometheus/{}.rules.yaml", system.name)
}

pub fn emit(system: &System) -> Vec<Artifact> {
    emit_from(&Derived::new(system))
}

/// [`emit`], with the alerts the other targets share.
pub fn emit_from(derived: &Derived) -> Vec<Artifact> {
    let system = derived.system;
    let (slo_alerts, threshold_alerts) = (derived.slo_alerts(), derived.threshold_alerts());
    let burn = rules::burn_groups(system, slo_alerts);
    let shared = rules::shared_threshold_rules(system, threshold_alerts);
    let rules_file = format!("{}.rules.yaml", system.name);
    let header = format!(
        "{HEADER}\nPrometheus rules of {}: SLI ratios, SLO data series, shared SLO burn-rate alerts and incident alerts",
        system.name
    );
    let test_header = format!("{HEADER}\npromtool unit tests: `promtool test rules {}.rules.test.yaml`", system.name);
    // Each rule and test is written as soon as it is made: for a large system the whole of
    // either file as a tree would be tens of megabytes.
    let rules = yaml::to_string(|y| {
        y.comment(&header);
        y.document(|m| m.seq("groups", |s| rules::groups(s, system, slo_alerts, &burn, threshold_alerts, &shared)));
    });
    let tests = yaml::to_string(|y| {
        y.comment(&test_header);
        y.document(|m| {
            m.seq("rule_files", |s| s.str(&rules_file));
            m.str("evaluation_interval", "1m");
            m.seq("tests", |s| promtool::tests(s, system, slo_alerts, &burn, threshold_alerts, &shared));
        });
    });
    vec![
        Artifact { path: rules_path(system), contents: rules },
        Artifact { path: format!("alarms/prometheus/{}.rules.test.yaml", system.name), contents: tests },
    ]
}
