//! OpenSLO v1: `alarms/openslo/<system>.yaml`, one multi-document file for tools that speak
//! OpenSLO: the alert policies first, shared by every SLO that alarms alike (one per burn-rate
//! window and SLO window, one per breach severity and hold), then one SLO document per SLO with
//! its indicator inline and its alert policies by name.
//!
//! In: the checked SLOs and the alarm catalogue. Out: documents whose queries are the same
//! PromQL the Prometheus rules use, so both agree on what "bad" means. One file, and policies
//! shared instead of repeated per SLO, keep the output proportional to the SLOs themselves: a
//! file per SLO meant 22,000 files at 10,000 routes, and file creation alone took seconds.
//! The few policies are trees written by `emit::yaml`; each SLO document is written straight
//! into the file as the same text (a test holds the two together), without a tree per SLO.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::conventions::HEADER;
use crate::emit::Artifact;
use crate::emit::derived::Derived;
use crate::emit::sink::{FileOut, Sink};
use crate::emit::yaml;
use crate::model::alerts::ThresholdAlert;
use crate::model::metrics::{self, le};
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
            names.push(name);
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
            names.push(name);
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
        if i > 0 {
            file.text().push_str("---\n");
        }
        write_slo(file.text(), system, slo, &names, runbook);
        file.boundary();
    }
    file.finish();
}

/// One SLO's document, written straight into the file's text: the tree `yaml::document` would
/// write for it (keys plain, strings quoted, numbers by `yaml::number`), without making the
/// tree — a large system has tens of thousands of them.
fn write_slo(out: &mut String, system: &System, slo: &Slo, policies: &[String], runbook: Option<&str>) {
    let route = system.route(slo.route).name.as_str();
    let (objective, default_description) = objective(system, slo);
    let mut description = slo.description.clone().unwrap_or(default_description);
    if let Some(runbook) = runbook {
        description = format!("{description}; runbook {runbook}");
    }
    let what = format!("{} of route {route}", slo.sli);
    out.push_str("apiVersion: \"openslo/v1\"\nkind: \"SLO\"\nmetadata:\n");
    string(out, "  ", "name", slo.name.as_str());
    string(out, "  ", "displayName", &what);
    out.push_str("spec:\n");
    string(out, "  ", "description", &description);
    string(out, "  ", "service", system.name.as_str());
    out.push_str("  indicator:\n    metadata:\n");
    string(out, "      ", "name", &format!("{}-sli", slo.name));
    out.push_str("    spec:\n");
    // The SLI's spec holds its `ratioMetric` or `thresholdMetric` beside the description.
    string(out, "      ", "description", &what);
    match indicator(slo, route) {
        Indicator::Ratio { events, events_query, total_query } => {
            out.push_str("      ratioMetric:\n        counter: true\n        ");
            out.push_str(events);
            out.push_str(":\n");
            prometheus(out, "          ", &events_query);
            out.push_str("        total:\n");
            prometheus(out, "          ", &total_query);
        }
        Indicator::Threshold(query) => {
            out.push_str("      thresholdMetric:\n");
            prometheus(out, "        ", &query);
        }
    }
    out.push_str("  timeWindow:\n");
    string(out, "    - ", "duration", &slo.window.to_string());
    out.push_str("      isRolling: true\n  budgetingMethod: \"Occurrences\"\n  objectives:\n");
    // The objective is a list's one item: its first key follows the `- `.
    let mut first = true;
    let mut lead = || if std::mem::take(&mut first) { "    - " } else { "      " };
    if let Some(name) = &objective.display_name {
        string(out, lead(), "displayName", name);
    }
    if let Some((op, value)) = objective.condition {
        string(out, lead(), "op", op);
        number(out, lead(), "value", value);
    }
    number(out, lead(), "target", objective.target);
    if policies.is_empty() {
        out.push_str("  alertPolicies: []\n");
    } else {
        out.push_str("  alertPolicies:\n");
        for policy in policies {
            out.push_str("    - ");
            yaml::quote_into(out, policy);
            out.push('\n');
        }
    }
}

/// `<lead><key>: "<value>"` and a newline.
fn string(out: &mut String, lead: &str, key: &str, value: &str) {
    out.push_str(lead);
    out.push_str(key);
    out.push_str(": ");
    yaml::quote_into(out, value);
    out.push('\n');
}

/// `<lead><key>: <value>` and a newline, the number as `yaml::number` writes it.
fn number(out: &mut String, lead: &str, key: &str, value: f64) {
    out.push_str(lead);
    out.push_str(key);
    out.push_str(": ");
    out.push_str(&yaml::number(value));
    out.push('\n');
}

/// A Prometheus metric source with its query, its first line at `lead`.
fn prometheus(out: &mut String, lead: &str, query: &str) {
    for line in ["metricSource:\n", "  type: \"Prometheus\"\n", "  spec:\n"] {
        out.push_str(lead);
        out.push_str(line);
    }
    out.push_str(lead);
    string(out, "    ", "query", query);
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

/// What an SLI measures, as OpenSLO puts it.
enum Indicator {
    /// A ratio of two counters: `good` or `bad` events over `total`.
    Ratio { events: &'static str, events_query: String, total_query: String },
    /// A value measured directly.
    Threshold(String),
}

fn indicator(slo: &Slo, route: &str) -> Indicator {
    let total = format!("{}{{requested_model=\"{route}\"}}", metrics::REQUESTS);
    match (slo.sli, slo.threshold) {
        (Sli::Availability, _) => Indicator::Ratio {
            events: "bad",
            events_query: format!("{}{{requested_model=\"{route}\",exception_status=~\"5..\"}}", metrics::FAILED),
            total_query: total,
        },
        (Sli::Latency, Some(Threshold::Duration(t))) => Indicator::Ratio {
            events: "good",
            events_query: format!(
                "{}_bucket{{requested_model=\"{route}\",le=\"{}\"}}",
                metrics::LATENCY,
                le(t.seconds())
            ),
            total_query: format!("{}_count{{requested_model=\"{route}\"}}", metrics::LATENCY),
        },
        (Sli::Groundedness, _) => Indicator::Threshold(format!(
            "sum(rate({g}_sum{{route=\"{route}\"}}[1h])) / sum(rate({g}_count{{route=\"{route}\"}}[1h]))",
            g = metrics::GROUNDEDNESS
        )),
        (Sli::HarmfulRate, _) => Indicator::Ratio {
            events: "bad",
            events_query: format!("{}{{route=\"{route}\"}}", metrics::HARMFUL),
            total_query: total,
        },
        _ => Indicator::Threshold(format!(
            "sum(rate({}{{requested_model=\"{route}\"}}[1h])) / sum(rate({}{{requested_model=\"{route}\"}}[1h]))",
            metrics::SPEND,
            metrics::REQUESTS
        )),
    }
}

/// An SLO's objective as OpenSLO writes it.
struct Objective {
    display_name: Option<String>,
    /// A threshold objective's operator and value.
    condition: Option<(&'static str, f64)>,
    target: f64,
}

/// The OpenSLO objective and a default description.
fn objective(system: &System, slo: &Slo) -> (Objective, String) {
    let route = system.route(slo.route).name.as_str();
    let named = |name: String, condition, target| Objective { display_name: Some(name), condition, target };
    match (slo.sli, slo.threshold) {
        (Sli::Availability, _) => {
            let target = slo.objective.unwrap_or(0.0);
            (
                named("good requests".into(), None, target),
                format!("{route}: {} of requests succeed", crate::spec::units::Percent { fraction: target }),
            )
        }
        (Sli::Latency, Some(Threshold::Duration(t))) => {
            let target = slo.objective.unwrap_or(0.0);
            (
                named(format!("faster than {t}"), None, target),
                format!("{route}: {} of requests faster than {t}", crate::spec::units::Percent { fraction: target }),
            )
        }
        (Sli::HarmfulRate, Some(Threshold::Percent(p))) => (
            named("harmless answers".into(), None, 1.0 - p.fraction),
            format!("{route}: at most {p} of answers harmful"),
        ),
        (Sli::Groundedness, Some(Threshold::Number(n))) => (
            named("groundedness".into(), Some(("gte", n)), slo.objective.unwrap_or(0.99)),
            format!("{route}: average groundedness at least {n}"),
        ),
        (_, Some(Threshold::Number(n))) => (
            named("cost per query".into(), Some(("lte", n)), slo.objective.unwrap_or(0.99)),
            format!("{route}: cost per query at most {n} {}", system.currency),
        ),
        _ => (
            Objective { display_name: None, condition: None, target: slo.objective.unwrap_or(0.99) },
            slo.sli.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::yaml::object;
    use serde_json::json;

    /// The SLO document as the tree `yaml::document` writes (how it was made before it was
    /// written straight into the file).
    fn tree(system: &System, slo: &Slo, policies: &[String], runbook: Option<&str>) -> Value {
        let route = system.route(slo.route).name.as_str();
        let (objective, description) = objective(system, slo);
        let mut description = slo.description.clone().unwrap_or(description);
        if let Some(runbook) = runbook {
            description = format!("{description}; runbook {runbook}");
        }
        let prometheus = |query: String| {
            object([(
                "metricSource",
                object([("type", Value::from("Prometheus")), ("spec", object([("query", Value::from(query))]))]),
            )])
        };
        let (kind, metric) = match indicator(slo, route) {
            Indicator::Ratio { events, events_query, total_query } => (
                "ratioMetric",
                object([
                    ("counter", Value::Bool(true)),
                    (events, prometheus(events_query)),
                    ("total", prometheus(total_query)),
                ]),
            ),
            Indicator::Threshold(query) => ("thresholdMetric", prometheus(query)),
        };
        let what = format!("{} of route {route}", slo.sli);
        let mut target = serde_json::Map::new();
        if let Some(name) = objective.display_name {
            target.insert("displayName".into(), Value::from(name));
        }
        if let Some((op, value)) = objective.condition {
            target.insert("op".into(), Value::from(op));
            target.insert("value".into(), json!(value));
        }
        target.insert("target".into(), json!(objective.target));
        let indicator = object([
            ("metadata", object([("name", Value::from(format!("{}-sli", slo.name)))])),
            ("spec", object([("description", Value::from(what.clone())), (kind, metric)])),
        ]);
        let spec = object([
            ("description", Value::from(description)),
            ("service", Value::from(system.name.as_str())),
            ("indicator", indicator),
            ("timeWindow", json!([{ "duration": slo.window.to_string(), "isRolling": true }])),
            ("budgetingMethod", Value::from("Occurrences")),
            ("objectives", Value::Array(vec![Value::Object(target)])),
            ("alertPolicies", Value::Array(policies.iter().map(|p| Value::from(p.as_str())).collect())),
        ]);
        object([
            ("apiVersion", Value::from("openslo/v1")),
            ("kind", Value::from("SLO")),
            ("metadata", json!({ "name": slo.name.as_str(), "displayName": what })),
            ("spec", spec),
        ])
    }

    /// Every SLO document of the examples and of a synthetic system, with its policies and with
    /// none, is the text `yaml::document` writes for its tree.
    #[test]
    fn slo_documents_are_their_trees_as_yaml() {
        let mut compilations: Vec<_> =
            crate::testing::EXAMPLES.iter().map(|name| crate::testing::example(name)).collect();
        compilations.push(crate::testing::synthetic(60));
        let policies = ["fast-burn-30d-window".to_string(), "breach-ticket-1h".to_string()];
        for c in &compilations {
            let system = c.system.as_ref().expect("a valid system");
            assert!(!system.slos.is_empty(), "{}", system.name);
            for slo in &system.slos {
                for (policies, runbook) in [(&policies[..], Some("runbooks/x.md#y")), (&[][..], None)] {
                    let mut text = String::new();
                    write_slo(&mut text, system, slo, policies, runbook);
                    let expected = yaml::document(&[], &tree(system, slo, policies, runbook));
                    crate::testing::assert_same_text(&format!("{}: {}", system.name, slo.name), &expected, &text);
                }
            }
        }
    }
}
