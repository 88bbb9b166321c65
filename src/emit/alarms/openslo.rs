//! OpenSLO v1: `alarms/openslo/<system>.yaml`, one multi-document file for tools that speak
//! OpenSLO: the alert policies first, shared by every SLO that alarms alike (one per burn-rate
//! window and SLO window, one per breach severity and hold), then one SLO document per SLO with
//! its indicator inline and its alert policies by name.
//!
//! In: the checked SLOs and the alarm catalogue. Out: documents whose queries are the same
//! PromQL the Prometheus rules use, so both agree on what "bad" means. One file, and policies
//! shared instead of repeated per SLO, keep the output proportional to the SLOs themselves: a
//! file per SLO meant 22,000 files at 10,000 routes, and file creation alone took seconds.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::ThresholdAlert;
use super::metrics::{self, le};
use crate::conventions::HEADER;
use crate::emit::Artifact;
use crate::emit::derived::Derived;
use crate::emit::sink::{FileOut, Sink};
use crate::emit::yaml::{self, object};
use crate::model::{Slo, System};
use crate::spec::slos::Sli;
use crate::spec::units::Threshold;

pub fn path(system: &System) -> String {
    format!("alarms/openslo/{}.yaml", system.name)
}

pub fn emit(system: &System) -> Vec<Artifact> {
    crate::parallel::gather(|sink| emit_into(&Derived::new(system), &|file| sink(file))).0
}

/// [`emit`], with the alerts the other targets share, handing the file to `sink` (in parts
/// between documents, if it takes them).
pub fn emit_into(derived: &Derived, sink: &dyn Sink) {
    let system = derived.system;
    if system.slos.is_empty() {
        return;
    }
    let (burn, thresholds) = (derived.slo_alerts(), derived.threshold_alerts());
    let mut thresholds_by_slo: Vec<Vec<&ThresholdAlert>> = vec![Vec::new(); system.slos.len()];
    for t in thresholds {
        if let Some(i) = t.slo_index {
            thresholds_by_slo[i].push(t);
        }
    }
    // Shared policies by name, in name order, first in the file; SLO documents in spec order
    // after them. The policies are known once every SLO's alerts are named: the names come
    // first, then the documents become text one by one (a large system has tens of thousands).
    let mut policies: BTreeMap<String, Value> = BTreeMap::new();
    let mut named = Vec::with_capacity(system.slos.len());
    for (slo, (burn, thresholds)) in system.slos.iter().zip(burn.iter().zip(&thresholds_by_slo)) {
        let mut names = Vec::new();
        let mut runbook = None;
        for a in burn {
            let name = format!("{}-burn-{}-window", a.window.name, slo.window);
            policies.entry(name.clone()).or_insert_with(|| {
                policy(
                    &name,
                    &format!(
                        "{} burn of a {} error budget: {}x over {} and {}",
                        a.window.name,
                        slo.window,
                        yaml::number(a.burn),
                        a.window.long,
                        a.window.short
                    ),
                    a.window.severity.as_str(),
                    json!(a.burn),
                    &a.window.long.to_string(),
                    &a.window.short.to_string(),
                )
            });
            names.push(Value::from(name));
            runbook = Some(a.runbook.as_str());
        }
        for t in thresholds {
            let name = format!("breach-{}-{}", t.severity.as_str(), t.hold);
            policies.entry(name.clone()).or_insert_with(|| {
                policy(
                    &name,
                    &format!("threshold breached over 1h, held {}", t.hold),
                    t.severity.as_str(),
                    json!(1),
                    "1h",
                    &t.hold.to_string(),
                )
            });
            names.push(Value::from(name));
            runbook = Some(t.runbook.as_str());
        }
        named.push((names, runbook));
    }
    let header = format!("# {HEADER}\n# OpenSLO v1: the SLOs of {} and their alert policies\n", system.name);
    let mut file = FileOut::to(sink, path(system));
    // About a kilobyte and a half of text an SLO: reserved, so the file is not copied as it
    // grows (a file handed on in parts needs a part's room only).
    file.reserve(header.len() + policies.len() * 512 + system.slos.len() * 1536);
    file.text().push_str(&header);
    for doc in policies.values() {
        file.text().push_str(&yaml::document(&[], doc));
        file.text().push_str("---\n");
    }
    for (i, (slo, (names, runbook))) in system.slos.iter().zip(named).enumerate() {
        let route = system.route(slo.route).name.as_str();
        let (target, description) = objective(system, slo);
        let mut description = slo.description.clone().unwrap_or(description);
        if let Some(runbook) = runbook {
            description = format!("{description}; runbook {runbook}");
        }
        // Built by moving the parts in: `json!` would copy each nested value whole.
        let spec = object([
            ("description", Value::from(description)),
            ("service", Value::from(system.name.as_str())),
            ("indicator", sli(slo, &format!("{}-sli", slo.name), route)),
            ("timeWindow", json!([{ "duration": slo.window.to_string(), "isRolling": true }])),
            ("budgetingMethod", Value::from("Occurrences")),
            ("objectives", Value::Array(vec![target])),
            ("alertPolicies", Value::Array(names)),
        ]);
        let doc = object([
            ("apiVersion", Value::from("openslo/v1")),
            ("kind", Value::from("SLO")),
            ("metadata", json!({ "name": slo.name.as_str(), "displayName": format!("{} of route {route}", slo.sli) })),
            ("spec", spec),
        ]);
        if i > 0 {
            file.text().push_str("---\n");
        }
        file.text().push_str(&yaml::document(&[], &doc));
        file.boundary();
    }
    file.finish();
}

/// An alert policy with one burn-rate condition.
fn policy(name: &str, description: &str, severity: &str, threshold: Value, lookback: &str, after: &str) -> Value {
    json!({
        "apiVersion": "openslo/v1",
        "kind": "AlertPolicy",
        "metadata": { "name": name },
        "spec": {
            "description": description,
            "alertWhenBreaching": true,
            "alertWhenResolved": false,
            "alertWhenNoData": false,
            "conditions": [{
                "kind": "AlertCondition",
                "metadata": { "name": format!("{name}-condition") },
                "spec": {
                    "severity": severity,
                    "condition": { "kind": "burnrate", "op": "gte", "threshold": threshold, "lookbackWindow": lookback, "alertAfter": after },
                },
            }],
            "notificationTargets": [],
        },
    })
}

fn prometheus(query: String) -> Value {
    object([(
        "metricSource",
        object([("type", Value::from("Prometheus")), ("spec", object([("query", Value::from(query))]))]),
    )])
}

/// A ratio of two counters: `good` or `bad` events over `total`.
fn ratio(events: &str, events_query: String, total_query: String) -> (&'static str, Value) {
    let metric = object([
        ("counter", Value::Bool(true)),
        (events, prometheus(events_query)),
        ("total", prometheus(total_query)),
    ]);
    ("ratioMetric", metric)
}

fn sli(slo: &Slo, name: &str, route: &str) -> Value {
    let total = format!("{}{{requested_model=\"{route}\"}}", metrics::REQUESTS);
    let (kind, metric) = match (slo.sli, slo.threshold) {
        (Sli::Availability, _) => {
            ratio("bad", format!("{}{{requested_model=\"{route}\",exception_status=~\"5..\"}}", metrics::FAILED), total)
        }
        (Sli::Latency, Some(Threshold::Duration(t))) => ratio(
            "good",
            format!("{}_bucket{{requested_model=\"{route}\",le=\"{}\"}}", metrics::LATENCY, le(t.seconds())),
            format!("{}_count{{requested_model=\"{route}\"}}", metrics::LATENCY),
        ),
        (Sli::Groundedness, _) => (
            "thresholdMetric",
            prometheus(format!(
                "sum(rate({g}_sum{{route=\"{route}\"}}[1h])) / sum(rate({g}_count{{route=\"{route}\"}}[1h]))",
                g = metrics::GROUNDEDNESS
            )),
        ),
        (Sli::HarmfulRate, _) => ratio("bad", format!("{}{{route=\"{route}\"}}", metrics::HARMFUL), total),
        _ => (
            "thresholdMetric",
            prometheus(format!(
                "sum(rate({}{{requested_model=\"{route}\"}}[1h])) / sum(rate({}{{requested_model=\"{route}\"}}[1h]))",
                metrics::SPEND,
                metrics::REQUESTS
            )),
        ),
    };
    // The SLI's spec holds its `ratioMetric` or `thresholdMetric` beside the description.
    let spec = object([("description", Value::from(format!("{} of route {route}", slo.sli))), (kind, metric)]);
    object([("metadata", object([("name", Value::from(name))])), ("spec", spec)])
}

/// The OpenSLO objective and a default description.
fn objective(system: &System, slo: &Slo) -> (Value, String) {
    let route = system.route(slo.route).name.as_str();
    match (slo.sli, slo.threshold) {
        (Sli::Availability, _) => {
            let target = slo.objective.unwrap_or(0.0);
            (
                json!({ "displayName": "good requests", "target": target }),
                format!("{route}: {} of requests succeed", crate::spec::units::Percent { fraction: target }),
            )
        }
        (Sli::Latency, Some(Threshold::Duration(t))) => {
            let target = slo.objective.unwrap_or(0.0);
            (
                json!({ "displayName": format!("faster than {t}"), "target": target }),
                format!("{route}: {} of requests faster than {t}", crate::spec::units::Percent { fraction: target }),
            )
        }
        (Sli::HarmfulRate, Some(Threshold::Percent(p))) => (
            json!({ "displayName": "harmless answers", "target": 1.0 - p.fraction }),
            format!("{route}: at most {p} of answers harmful"),
        ),
        (Sli::Groundedness, Some(Threshold::Number(n))) => (
            json!({ "displayName": "groundedness", "op": "gte", "value": n, "target": slo.objective.unwrap_or(0.99) }),
            format!("{route}: average groundedness at least {n}"),
        ),
        (_, Some(Threshold::Number(n))) => (
            json!({ "displayName": "cost per query", "op": "lte", "value": n, "target": slo.objective.unwrap_or(0.99) }),
            format!("{route}: cost per query at most {n} {}", system.currency),
        ),
        _ => (json!({ "target": slo.objective.unwrap_or(0.99) }), slo.sli.to_string()),
    }
}
