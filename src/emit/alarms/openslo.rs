//! OpenSLO v1: `alarms/openslo/<slo>.yaml`, one file per SLO holding its SLI, SLO and alert
//! policies as a multi-document YAML, for tools that speak OpenSLO.
//!
//! In: the checked SLOs and the alarm catalogue. Out: documents whose queries are the same
//! PromQL the Prometheus rules use, so both agree on what "bad" means.

use serde_json::{Value, json};

use super::metrics::{self, le};
use super::{ThresholdAlert, slo_alerts_by_slo, threshold_alerts};
use crate::conventions::HEADER;
use crate::emit::{Artifact, yaml};
use crate::model::{Slo, System};
use crate::spec::slos::Sli;
use crate::spec::units::Threshold;

pub fn emit(system: &System) -> Vec<Artifact> {
    let burn = slo_alerts_by_slo(system);
    let thresholds = threshold_alerts(system);
    let mut thresholds_by_slo: Vec<Vec<&ThresholdAlert>> = vec![Vec::new(); system.slos.len()];
    for t in &thresholds {
        if let Some(i) = t.slo_index {
            thresholds_by_slo[i].push(t);
        }
    }
    system
        .slos
        .iter()
        .zip(burn.iter().zip(&thresholds_by_slo))
        .map(|(slo, (burn, thresholds))| {
            let route = system.route(slo.route).name.as_str();
            let sli_name = format!("{}-sli", slo.name);
            let mut docs = vec![sli(slo, &sli_name, route)];
            let policies: Vec<Value> = burn
                .iter()
                .map(|a| {
                    json!({
                        "apiVersion": "openslo/v1",
                        "kind": "AlertPolicy",
                        "metadata": { "name": format!("{}-{}-burn", slo.name, a.window.name) },
                        "spec": {
                            "description": format!("{} burn over {} and {}; runbook {}", a.window.name, a.window.long, a.window.short, a.runbook),
                            "alertWhenBreaching": true,
                            "alertWhenResolved": false,
                            "alertWhenNoData": false,
                            "conditions": [{
                                "kind": "AlertCondition",
                                "metadata": { "name": format!("{}-{}-burn-rate", slo.name, a.window.name) },
                                "spec": {
                                    "severity": a.window.severity.as_str(),
                                    "condition": {
                                        "kind": "burnrate",
                                        "op": "gte",
                                        "threshold": a.burn,
                                        "lookbackWindow": a.window.long.to_string(),
                                        "alertAfter": a.window.short.to_string(),
                                    },
                                },
                            }],
                            "notificationTargets": [],
                        },
                    })
                })
                .chain(thresholds.iter().map(|t| {
                    json!({
                        "apiVersion": "openslo/v1",
                        "kind": "AlertPolicy",
                        "metadata": { "name": format!("{}-breach", slo.name) },
                        "spec": {
                            "description": format!("{}; runbook {}", t.summary, t.runbook),
                            "alertWhenBreaching": true,
                            "alertWhenResolved": false,
                            "alertWhenNoData": false,
                            "conditions": [{
                                "kind": "AlertCondition",
                                "metadata": { "name": format!("{}-breach", slo.name) },
                                "spec": {
                                    "severity": t.severity.as_str(),
                                    "condition": { "kind": "burnrate", "op": "gte", "threshold": 1, "lookbackWindow": "1h", "alertAfter": t.hold.to_string() },
                                },
                            }],
                            "notificationTargets": [],
                        },
                    })
                }))
                .collect();
            let policy_names: Vec<Value> = policies.iter().map(|p| p["metadata"]["name"].clone()).collect();
            let (target, description) = objective(system, slo);
            docs.push(json!({
                "apiVersion": "openslo/v1",
                "kind": "SLO",
                "metadata": { "name": slo.name.as_str(), "displayName": format!("{} of route {route}", slo.sli) },
                "spec": {
                    "description": slo.description.clone().unwrap_or(description),
                    "service": system.name.as_str(),
                    "indicatorRef": sli_name,
                    "timeWindow": [{ "duration": slo.window.to_string(), "isRolling": true }],
                    "budgetingMethod": "Occurrences",
                    "objectives": [target],
                    "alertPolicies": policy_names,
                },
            }));
            docs.extend(policies);
            let header = format!("{HEADER}\nOpenSLO v1: SLO `{}` of {}", slo.name, system.name);
            let contents = docs.iter().map(|d| yaml::document(&[], d)).collect::<Vec<_>>().join("---\n");
            Artifact { path: format!("alarms/openslo/{}.yaml", slo.name), contents: format!("# {}\n{contents}", header.replace('\n', "\n# ")) }
        })
        .collect()
}

fn prometheus(query: String) -> Value {
    json!({ "metricSource": { "type": "Prometheus", "spec": { "query": query } } })
}

fn sli(slo: &Slo, name: &str, route: &str) -> Value {
    let total = format!("{}{{requested_model=\"{route}\"}}", metrics::REQUESTS);
    let spec = match (slo.sli, slo.threshold) {
        (Sli::Availability, _) => json!({ "ratioMetric": {
            "counter": true,
            "bad": prometheus(format!("{}{{requested_model=\"{route}\",exception_status=~\"5..\"}}", metrics::FAILED)),
            "total": prometheus(total),
        }}),
        (Sli::Latency, Some(Threshold::Duration(t))) => json!({ "ratioMetric": {
            "counter": true,
            "good": prometheus(format!("{}_bucket{{requested_model=\"{route}\",le=\"{}\"}}", metrics::LATENCY, le(t.seconds()))),
            "total": prometheus(format!("{}_count{{requested_model=\"{route}\"}}", metrics::LATENCY)),
        }}),
        (Sli::Groundedness, _) => json!({ "thresholdMetric": prometheus(format!(
            "sum(rate({g}_sum{{route=\"{route}\"}}[1h])) / sum(rate({g}_count{{route=\"{route}\"}}[1h]))", g = metrics::GROUNDEDNESS
        ))}),
        (Sli::HarmfulRate, _) => json!({ "ratioMetric": {
            "counter": true,
            "bad": prometheus(format!("{}{{route=\"{route}\"}}", metrics::HARMFUL)),
            "total": prometheus(total),
        }}),
        _ => json!({ "thresholdMetric": prometheus(format!(
            "sum(rate({}{{requested_model=\"{route}\"}}[1h])) / sum(rate({}{{requested_model=\"{route}\"}}[1h]))", metrics::SPEND, metrics::REQUESTS
        ))}),
    };
    json!({
        "apiVersion": "openslo/v1",
        "kind": "SLI",
        "metadata": { "name": name },
        "spec": { "description": format!("{} of route {route}", slo.sli), "indicator": spec },
    })
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
