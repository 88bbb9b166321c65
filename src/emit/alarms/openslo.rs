//! OpenSLO v1: `alarms/openslo/<system>.yaml`, one multi-document file for tools that speak
//! OpenSLO: the notification targets first (the on-call channels and rotations the alarms
//! really notify: pages the pager channel and the escalation ladder in order, tickets the
//! alerts channel), then the alert policies, shared by every SLO that alarms alike (one per
//! burn-rate window and SLO window, one per breach severity and hold), then one SLO document
//! per SLO with its indicator inline and its alert policies by reference
//! (`{alertPolicyRef: NAME}`, as v1 wants). A system without `oncall` notifies nobody, so its
//! SLOs get no alert policies (v1 requires a policy to name at least one target).
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
use crate::model::alerts::Severity;
use crate::model::alerts::ThresholdAlert;
use crate::model::metrics::{self, le};
use crate::model::{Channel, Slo, System};
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
    let targets = Targets::of(system);
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
                severity: a.window.severity,
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
                severity: t.severity,
                threshold: 1.0,
                lookback: "1h".into(),
                after: t.hold.to_string(),
            });
            names.push(name);
            runbook = Some(t.runbook.as_str());
        }
        if targets.is_none() {
            names.clear();
        }
        named.push((names, runbook));
    }
    let mut file = FileOut::to(sink, path(system));
    // About a kilobyte and a half of text an SLO: reserved, so the file is not copied as it
    // grows (a file handed on in parts needs a part's room only).
    file.reserve(policies.len() * 512 + system.slos.len() * 1536);
    let mut y = Writer::new(&mut file);
    y.comment(&format!("{HEADER}\nOpenSLO v1: the SLOs of {} and their alert policies", system.name));
    if let Some(targets) = &targets {
        for t in targets.page.iter().chain(&targets.ticket) {
            y.document(|m| target(m, t));
        }
        for (name, p) in &policies {
            let notified = if p.severity == Severity::Page { &targets.page } else { &targets.ticket };
            y.document(|m| policy(m, name, p, notified));
        }
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
                match indicator(system, slo, route) {
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
        // A latency SLO counts 5-minute slices in which p% of requests were good (see
        // `objective`); every other SLO counts requests.
        let slices = objective.time_slice_target;
        m.str("budgetingMethod", if slices.is_some() { "Timeslices" } else { "Occurrences" });
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
                if let Some(slice_target) = slices {
                    m.num("timeSliceTarget", slice_target);
                    m.str("timeSliceWindow", TIME_SLICE);
                }
            })
        });
        if !policies.is_empty() {
            m.seq("alertPolicies", |s| policies.iter().for_each(|p| s.map(|m| m.str("alertPolicyRef", p))));
        }
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
    severity: Severity,
    threshold: f64,
    lookback: String,
    after: String,
}

/// A policy's document.
fn policy(m: &mut Map, name: &str, p: &Policy, targets: &[Target]) {
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
                    m.str("severity", p.severity.as_str());
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
        m.seq("notificationTargets", |s| targets.iter().for_each(|t| s.map(|m| m.str("targetRef", &t.name))));
    });
}

/// An on-call destination an alert policy notifies.
struct Target {
    /// `channel-pager`, `rotation-primary`.
    name: String,
    /// How it is reached: `pagerduty`, `slack`, `email`, `https`.
    target: &'static str,
    description: String,
}

/// Who pages and tickets notify, as `emit/terraform/monitoring.rs` routes them.
struct Targets {
    page: Vec<Target>,
    ticket: Vec<Target>,
}

impl Targets {
    /// `None` without `oncall`: nobody is notified.
    fn of(system: &System) -> Option<Targets> {
        let oncall = system.oncall.as_ref()?;
        let mut page = Vec::new();
        if let Some(pager) = &oncall.channels.pager {
            page.push(Target {
                name: "channel-pager".into(),
                target: channel_kind(pager),
                description: "oncall.channels.pager: every page, at once".into(),
            });
        }
        for (i, step) in oncall.escalation.iter().enumerate() {
            let rotation = &oncall.rotations[step.rotation.0];
            let name = format!("rotation-{}", rotation.name);
            if page.iter().any(|t: &Target| t.name == name) {
                continue;
            }
            let when = if i == 0 {
                "at once".to_string()
            } else {
                format!("when the alarm still fires {} after the page", step.after)
            };
            page.push(Target {
                name,
                target: "email",
                description: format!("escalation step {}: the {} rotation's members, {when}", i + 1, rotation.name),
            });
        }
        let ticket = vec![Target {
            name: "channel-alerts".into(),
            target: channel_kind(&oncall.channels.alerts),
            description: "oncall.channels.alerts: every ticket".into(),
        }];
        Some(Targets { page, ticket })
    }
}

/// How a channel is reached, its most direct way first.
fn channel_kind(channel: &Channel) -> &'static str {
    if channel.pagerduty.is_some() {
        "pagerduty"
    } else if channel.webhook.is_some() || channel.slack.is_some() {
        "slack"
    } else if channel.email.is_some() {
        "email"
    } else {
        "https"
    }
}

/// A notification target's document.
fn target(m: &mut Map, t: &Target) {
    m.str("apiVersion", "openslo/v1");
    m.str("kind", "AlertNotificationTarget");
    m.map("metadata", |m| m.str("name", &t.name));
    m.map("spec", |m| {
        m.str("description", &t.description);
        m.str("target", t.target);
    });
}

/// What an SLI measures, as OpenSLO puts it.
enum Indicator {
    /// A ratio of two counters: `good` or `bad` events over `total`.
    Ratio { events: &'static str, events_query: String, total_query: String },
    /// A value measured directly.
    Threshold(String),
}

fn indicator(system: &System, slo: &Slo, route: &str) -> Indicator {
    let total = route_sum(metrics::REQUESTS, route, "");
    match (slo.sli, slo.threshold) {
        (Sli::Availability, _) => {
            Indicator::Ratio { events: "bad", events_query: availability_bad(route), total_query: total }
        }
        (Sli::Latency, Some(Threshold::Duration(t))) => Indicator::Ratio {
            events: "good",
            events_query: route_sum(
                &format!("{}_bucket", metrics::LATENCY),
                route,
                &format!(",le=\"{}\"", le(t.seconds())),
            ),
            total_query: total,
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
        _ => {
            // LiteLLM reports a dedicated deployment's spend as 0: the route's share of its
            // clusters' hourly cost is added, spread over the hour's requests.
            let dedicated = crate::model::cost::Costs::new(system).dedicated_per_hour(slo.route);
            let spend = format!("sum(rate({}[1h]))", route_selector(metrics::SPEND, route, ""));
            let spend = if dedicated > 0.0 {
                format!("({spend} + {} / 3600)", crate::spec::units::format_number(dedicated))
            } else {
                spend
            };
            Indicator::Threshold(format!("{spend} / sum(rate({}[1h]))", route_selector(metrics::REQUESTS, route, "")))
        }
    }
}

/// A route's failed requests that burn availability budget, as the Prometheus rules count them
/// ([`metrics::availability_bad_selectors`], on the route's series as [`route_selector`] selects
/// them): every failure but the caller's own statuses and 429, plus the 429s that are not the
/// proxy's own rate limiting. Timeouts (408), a model's 429 and failures with no status at all
/// (a circuit breaker turning requests away) count: the user got no answer.
fn availability_bad(route: &str) -> String {
    let [others, throttled] = metrics::availability_bad_selectors(&format!("{},", route_matcher(route)));
    format!("(sum({others}) or vector(0)) + (sum({throttled}) or vector(0))")
}

/// A metric's series of one route, `extra` matchers appended. LiteLLM labels a request with the
/// model group that served it (`chat--tier-2`, `chat--fallback--m`) or, failed, the group
/// requested: the route is the group's name up to its first `--`, as the Prometheus rules'
/// `label_replace(X, "route", "$1", "requested_model", "(.+?)(--.*)?")` takes it, so this
/// matcher selects exactly the series those rules give `route="<route>"`.
fn route_selector(metric: &str, route: &str, extra: &str) -> String {
    format!("{metric}{{{}{extra}}}", route_matcher(route))
}

/// The matcher of a route's model groups: the route's own and every `<route>--<role>`.
fn route_matcher(route: &str) -> String {
    format!("requested_model=~\"{route}(--.*)?\"")
}

/// The sum over a route's series ([`route_selector`]).
fn route_sum(metric: &str, route: &str, extra: &str) -> String {
    format!("sum({})", route_selector(metric, route, extra))
}

/// The slice a latency SLO is judged in.
const TIME_SLICE: &str = "5m";

/// An SLO's objective as OpenSLO writes it.
struct Objective {
    display_name: Option<String>,
    /// A threshold objective's operator and value.
    condition: Option<(&'static str, f64)>,
    target: f64,
    /// A latency SLO's share of good requests that makes a slice good (`percentile` ÷ 100).
    time_slice_target: Option<f64>,
}

/// The OpenSLO objective and a default description.
fn objective(system: &System, slo: &Slo) -> (Objective, String) {
    let route = system.route(slo.route).name.as_str();
    let named = |name: String, condition, target| Objective {
        display_name: Some(name),
        condition,
        target,
        time_slice_target: None,
    };
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
            let percentile = slo.percentile.unwrap_or(95.0);
            (
                Objective {
                    time_slice_target: Some(percentile / 100.0),
                    ..named(format!("faster than {t}"), None, target)
                },
                format!(
                    "{route}: in {} of {TIME_SLICE} slices, {}% of requests got a good answer within {t}",
                    crate::spec::units::Percent { fraction: target },
                    crate::spec::units::format_number(percentile)
                ),
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
            Objective {
                display_name: None,
                condition: None,
                target: slo.objective.unwrap_or(0.99),
                time_slice_target: None,
            },
            slo.sli.to_string(),
        ),
    }
}
