//! OpenSLO v1: `alarms/openslo/<system>.yaml`, one multi-document file for tools that speak
//! OpenSLO: the alert policies first, shared by every SLO that alarms alike (one per burn-rate
//! window and SLO window, one per breach severity and hold), then one SLO document per SLO with
//! its indicator inline and its alert policies by name.
//!
//! In: the checked SLOs and the alarm catalogue. Out: documents whose queries are the same
//! PromQL the Prometheus rules use, so both agree on what "bad" means. One file, and policies
//! shared instead of repeated per SLO, keep the output proportional to the SLOs themselves: a
//! file per SLO meant 22,000 files at 10,000 routes, and file creation alone took seconds.
//! Both kinds of document are written by `emit::yaml` straight into the file, without a tree
//! per SLO.

use std::collections::BTreeMap;

use crate::conventions::HEADER;
use crate::emit::Artifact;
use crate::emit::derived::Derived;
use crate::emit::sink::{FileOut, Sink};
use crate::emit::yaml::{self, Map, Writer};
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
    let mut policies: BTreeMap<String, Policy> = BTreeMap::new();
    let mut named = Vec::with_capacity(system.slos.len());
    for (slo, (burn, thresholds)) in system.slos.iter().zip(burn.iter().zip(&thresholds_by_slo)) {
        let mut names = Vec::new();
        let mut runbook = None;
        for a in burn {
            let name = format!("{}-burn-{}-window", a.window.name, slo.window);
            policies.entry(name.clone()).or_insert_with(|| Policy {
                description: format!(
                    "{} burn of a {} error budget: {}x over {} and {}",
                    a.window.name,
                    slo.window,
                    yaml::number(a.burn),
                    a.window.long,
                    a.window.short
                ),
                severity: a.window.severity.as_str(),
                threshold: a.burn,
                lookback: a.window.long.to_string(),
                after: a.window.short.to_string(),
            });
            names.push(name);
            runbook = Some(a.runbook.as_str());
        }
        for t in thresholds {
            let name = format!("breach-{}-{}", t.severity.as_str(), t.hold);
            policies.entry(name.clone()).or_insert_with(|| Policy {
                description: format!("threshold breached over 1h, held {}", t.hold),
                severity: t.severity.as_str(),
                threshold: 1.0,
                lookback: "1h".into(),
                after: t.hold.to_string(),
            });
            names.push(name);
            runbook = Some(t.runbook.as_str());
        }
        named.push((names, runbook));
    }
    let mut file = FileOut::to(sink, path(system));
    // About a kilobyte and a half of text an SLO: reserved, so the file is not copied as it
    // grows (a file handed on in parts needs a part's room only).
    file.reserve(policies.len() * 512 + system.slos.len() * 1536);
    let mut y = Writer::new(&mut file);
    y.comment(&format!("{HEADER}\nOpenSLO v1: the SLOs of {} and their alert policies", system.name));
    for (name, p) in &policies {
        y.document(|m| policy(m, name, p));
    }
    for (slo, (names, runbook)) in system.slos.iter().zip(named) {
        y.document(|m| write_slo(m, system, slo, &names, runbook));
        y.boundary();
    }
    file.finish();
}

/// One SLO's document.
fn write_slo(m: &mut Map, system: &System, slo: &Slo, policies: &[String], runbook: Option<&str>) {
    let route = system.route(slo.route).name.as_str();
    let (objective, default_description) = objective(system, slo);
    let mut description = slo.description.clone().unwrap_or(default_description);
    if let Some(runbook) = runbook {
        description = format!("{description}; runbook {runbook}");
    }
    let what = format!("{} of route {route}", slo.sli);
    m.str("apiVersion", "openslo/v1");
    m.str("kind", "SLO");
    m.map("metadata", |m| {
        m.str("name", slo.name.as_str());
        m.str("displayName", &what);
    });
    m.map("spec", |m| {
        m.str("description", &description);
        m.str("service", system.name.as_str());
        m.map("indicator", |m| {
            m.map("metadata", |m| m.str("name", &format!("{}-sli", slo.name)));
            m.map("spec", |m| {
                // The SLI's spec holds its `ratioMetric` or `thresholdMetric` beside the description.
                m.str("description", &what);
                match indicator(slo, route) {
                    Indicator::Ratio { events, events_query, total_query } => m.map("ratioMetric", |m| {
                        m.bool("counter", true);
                        m.map(events, |m| prometheus(m, &events_query));
                        m.map("total", |m| prometheus(m, &total_query));
                    }),
                    Indicator::Threshold(query) => m.map("thresholdMetric", |m| prometheus(m, &query)),
                }
            });
        });
        m.seq("timeWindow", |s| {
            s.map(|m| {
                m.str("duration", &slo.window.to_string());
                m.bool("isRolling", true);
            })
        });
        m.str("budgetingMethod", "Occurrences");
        m.seq("objectives", |s| {
            s.map(|m| {
                if let Some(name) = &objective.display_name {
                    m.str("displayName", name);
                }
                if let Some((op, value)) = objective.condition {
                    m.str("op", op);
                    m.num("value", value);
                }
                m.num("target", objective.target);
            })
        });
        m.seq("alertPolicies", |s| policies.iter().for_each(|p| s.str(p)));
    });
}

/// A Prometheus metric source with its query.
fn prometheus(m: &mut Map, query: &str) {
    m.map("metricSource", |m| {
        m.str("type", "Prometheus");
        m.map("spec", |m| m.str("query", query));
    });
}

/// An alert policy with one burn-rate condition, shared by the SLOs that alarm alike.
struct Policy {
    description: String,
    severity: &'static str,
    threshold: f64,
    lookback: String,
    after: String,
}

/// A policy's document.
fn policy(m: &mut Map, name: &str, p: &Policy) {
    m.str("apiVersion", "openslo/v1");
    m.str("kind", "AlertPolicy");
    m.map("metadata", |m| m.str("name", name));
    m.map("spec", |m| {
        m.str("description", &p.description);
        m.bool("alertWhenBreaching", true);
        m.bool("alertWhenResolved", false);
        m.bool("alertWhenNoData", false);
        m.seq("conditions", |s| {
            s.map(|m| {
                m.str("kind", "AlertCondition");
                m.map("metadata", |m| m.str("name", &format!("{name}-condition")));
                m.map("spec", |m| {
                    m.str("severity", p.severity);
                    m.map("condition", |m| {
                        m.str("kind", "burnrate");
                        m.str("op", "gte");
                        m.num("threshold", p.threshold);
                        m.str("lookbackWindow", &p.lookback);
                        m.str("alertAfter", &p.after);
                    });
                });
            })
        });
        m.seq("notificationTargets", |_| {});
    });
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
