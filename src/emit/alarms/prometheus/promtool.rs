//! The promtool unit tests: `alarms/prometheus/<system>.rules.test.yaml`.
//!
//! In: the SLOs, the alarm catalogue and the rules made of them. Out: the `tests` of a promtool
//! test file, fed with synthetic traffic: per shared alerting rule, through a representative
//! SLO, healthy traffic fires nothing and a breach fires it within the computed minute with
//! exactly the labels and annotations on-call will see; per SLO, its data series holds the
//! value the spec implies.

use serde_json::{Map, Value, json};

use super::format::{pq, ratio, rendered};
use super::rules::{
    BUDGET, BurnGroup, THRESHOLD, burn_annotations, burn_rule, burn_rule_labels, data_labels, is_slo_kind, slo_le,
    threshold_annotations, threshold_instance_labels, threshold_value,
};
use crate::emit::yaml::{Seq, object};
use crate::model::alerts::{SloAlert, ThresholdAlert, Watch};
use crate::model::metrics::{self, le};
use crate::model::{Slo, System};
use crate::spec::units::Duration;

/// Requests a minute in the synthetic test traffic.
const TEST_RPM: f64 = 600.0;
/// Minutes of quiet traffic before a burn starts in the tests. promtool evaluates every rule
/// (one per SLO) every minute of every test, so the tests are kept short: a constant ratio is
/// the same over any window, and the crossing minute is computed for the real windows.
const BEFORE: u32 = 60;

/// `a+bxn` counter notation for a counter growing at `rates[i].1` for `rates[i].0` minutes.
fn counter(segments: &[(u32, f64)]) -> String {
    let mut parts = Vec::new();
    let mut value = 0.0;
    let mut first = true;
    for &(minutes, per_minute) in segments {
        if first {
            parts.push(format!("0+{}x{}", ratio(per_minute), minutes));
            value = per_minute * minutes as f64;
            first = false;
        } else {
            value += per_minute;
            parts.push(format!("{}+{}x{}", ratio(value), ratio(per_minute), minutes - 1));
            value += per_minute * (minutes - 1) as f64;
        }
    }
    parts.join(" ")
}

fn series(name: &str, labels: &str, values: String) -> Value {
    json!({ "series": format!("{name}{{{labels}}}"), "values": values })
}

fn minutes(m: u32) -> String {
    Duration::from_millis(m as u64 * 60_000).to_string()
}

fn in_minutes(d: Duration) -> u32 {
    (d.millis / 60_000) as u32
}

fn expected(labels: Map<String, Value>, annotations: Map<String, Value>) -> Value {
    object([("exp_labels", Value::Object(labels)), ("exp_annotations", Value::Object(annotations))])
}

/// Input series for an SLO at a bad ratio `normal` for `before` minutes, then `burning` for `after`.
fn slo_series(system: &System, slo: &Slo, normal: f64, burning: f64, before: u32, after: u32) -> Vec<Value> {
    let group = pq(&crate::conventions::model_group(system.route(slo.route).name.as_str()));
    let bad = |r: f64| r * TEST_RPM;
    let segments = |f: &dyn Fn(f64) -> f64| {
        if after == 0 { vec![(before, f(normal))] } else { vec![(before, f(normal)), (after, f(burning))] }
    };
    let total = counter(&[(before + after, TEST_RPM)]);
    match slo_le(slo) {
        Some(le) => vec![
            series(&format!("{}_count", metrics::LATENCY), &format!("requested_model={group}"), total),
            series(
                &format!("{}_bucket", metrics::LATENCY),
                &format!("requested_model={group},le={}", pq(&le)),
                counter(&segments(&|r| TEST_RPM - bad(r))),
            ),
        ],
        None => vec![
            series(metrics::REQUESTS, &format!("requested_model={group}"), total),
            series(
                metrics::FAILED,
                &format!("requested_model={group},exception_status=\"500\""),
                counter(&segments(&bad)),
            ),
        ],
    }
}

/// The test traffic of a burn test: bad ratio `normal` up to minute `before`, `burning` after.
struct Traffic {
    normal: f64,
    burning: f64,
    before: u32,
}

impl Traffic {
    /// The bad-request ratio over `len` minutes ending at minute `at`. Windows that reach back
    /// past minute 0 start there: the counters start at 0, so Prometheus does not extrapolate.
    fn ratio(&self, at: u32, len: u32) -> f64 {
        let bad =
            |m: u32| self.normal * m.min(self.before) as f64 + self.burning * m.saturating_sub(self.before) as f64;
        let start = at.saturating_sub(len);
        (bad(at) - bad(start)) / (at - start).max(1) as f64
    }

    fn fires(&self, alert: &SloAlert, at: u32) -> bool {
        self.ratio(at, in_minutes(alert.window.long)) > alert.threshold
            && self.ratio(at, in_minutes(alert.window.short)) > alert.threshold
    }
}

/// The SLOs whose burn alerts the traffic of `rep` drives: same SLI, route and `le`.
fn driven(system: &System, slo_alerts: &[Vec<SloAlert>], rep: usize) -> Vec<usize> {
    let r = &system.slos[rep];
    (0..system.slos.len())
        .filter(|&i| {
            let s = &system.slos[i];
            !slo_alerts[i].is_empty() && s.sli == r.sli && s.route == r.route && slo_le(s) == slo_le(r)
        })
        .collect()
}

/// The alerts of the `j`th burn window that fire at minute `at`, as promtool must see them.
fn burn_expected(
    system: &System,
    slo_alerts: &[Vec<SloAlert>],
    slos: &[usize],
    j: usize,
    traffic: &Traffic,
    at: u32,
) -> Vec<Value> {
    let mut out = Vec::new();
    for &c in slos {
        let alert = &slo_alerts[c][j];
        if !traffic.fires(alert, at) {
            continue;
        }
        let slo = &system.slos[c];
        let mut labels = data_labels(system, slo, &alert.runbook, true);
        labels.extend(burn_rule_labels(alert));
        let value = traffic.ratio(at, in_minutes(alert.window.long)) / (1.0 - slo.objective.unwrap_or(0.0));
        let annotations = rendered(&burn_annotations(alert), &labels, value);
        out.push(expected(labels, annotations));
    }
    out
}

fn burn_tests(s: &mut Seq, system: &System, slo_alerts: &[Vec<SloAlert>], burn: &[BurnGroup]) {
    for group in burn {
        let rep = group.slos[0];
        let slo = &system.slos[rep];
        let slos = driven(system, slo_alerts, rep);
        let normal =
            slos.iter().flat_map(|&c| slo_alerts[c].iter().map(|a| a.threshold)).fold(f64::INFINITY, f64::min) / 10.0;
        let what = format!("{} SLOs over {} (via {})", group.sli.as_str(), group.window, slo.name);
        // 1. A tenth of the lowest alerting ratio for 4 hours: nothing fires.
        let quiet = Traffic { normal, burning: normal, before: 240 };
        let checks: Vec<Value> = [60, 120, 240]
            .iter()
            .flat_map(|&t| {
                let quiet = &quiet;
                let slos = &slos;
                (0..slo_alerts[rep].len()).map(move |j| {
                    json!({
                        "eval_time": minutes(t),
                        "alertname": burn_rule(group, slo_alerts, j),
                        "exp_alerts": burn_expected(system, slo_alerts, slos, j, quiet, t),
                    })
                })
            })
            .collect();
        s.json(&json!({
            "name": format!("{what}: healthy traffic fires nothing"),
            "interval": "1m",
            "input_series": slo_series(system, slo, normal, normal, 240, 0),
            "alert_rule_test": checks,
        }));
        // 2. Per burn window, a quiet hour then a burn: the alert fires in the computed minute.
        for (j, alert) in slo_alerts[rep].iter().enumerate() {
            let budget = 1.0 - slo.objective.unwrap_or(0.0);
            // At most 95% bad: a latency bucket counter that stopped growing would be written
            // rounded and could read as a (tiny) counter reset to rate().
            let burning = (50.0 * budget).max(4.0 * alert.threshold).min(0.95);
            if burning <= alert.threshold {
                continue; // an objective this loose cannot burn this fast; nothing to prove
            }
            let traffic = Traffic { normal, burning, before: BEFORE };
            let horizon = BEFORE + in_minutes(alert.window.long) + in_minutes(alert.window.short) + 2;
            let Some(first) = (BEFORE + 1..=horizon).find(|&t| traffic.fires(alert, t)) else { continue };
            let by = first + 1;
            let name = alert.prometheus_rule();
            s.json(&json!({
                "name": format!("{what}: a burn fires {name} within {} minutes", by - BEFORE),
                "interval": "1m",
                "input_series": slo_series(system, slo, normal, burning, BEFORE, by - BEFORE + 1),
                "alert_rule_test": [
                    { "eval_time": minutes(BEFORE - 1), "alertname": name, "exp_alerts": burn_expected(system, slo_alerts, &slos, j, &traffic, BEFORE - 1) },
                    { "eval_time": minutes(by), "alertname": name, "exp_alerts": burn_expected(system, slo_alerts, &slos, j, &traffic, by) },
                ],
            }));
        }
    }
}

/// One `promql_expr_test` per SLO: its data series holds the value the spec implies.
fn data_tests(system: &System, slo_alerts: &[Vec<SloAlert>], threshold_alerts: &[ThresholdAlert]) -> Option<Value> {
    let check = |metric: &str, slo: &Slo, value: f64| {
        let le = slo_le(slo).map(|l| format!(",le={}", pq(&l))).unwrap_or_default();
        json!({
            "expr": format!("count({metric}{{slo={}{le}}} == {})", pq(slo.name.as_str()), ratio(value)),
            "eval_time": "0m",
            "exp_samples": [{ "labels": "{}", "value": 1 }],
        })
    };
    let mut checks: Vec<Value> = system
        .slos
        .iter()
        .zip(slo_alerts)
        .filter(|(_, a)| !a.is_empty())
        .map(|(slo, _)| check(BUDGET, slo, 1.0 - slo.objective.unwrap_or(0.0)))
        .collect();
    for a in threshold_alerts.iter().filter(|a| is_slo_kind(&a.watch)) {
        checks.push(check(THRESHOLD, &system.slos[a.slo_index.unwrap_or_default()], threshold_value(&a.watch)));
    }
    if checks.is_empty() {
        return None;
    }
    Some(object([
        ("name", Value::from("every SLO's data series holds the value of the spec")),
        ("interval", Value::from("1m")),
        ("input_series", json!([])),
        ("promql_expr_test", Value::Array(checks)),
    ]))
}

/// The route a threshold alert watches.
fn watched_route(watch: &Watch) -> Option<&str> {
    match watch {
        Watch::Groundedness { route, .. }
        | Watch::HarmfulRate { route, .. }
        | Watch::CostPerQuery { route, .. }
        | Watch::SlowRoute { route, .. }
        | Watch::FailingRoute { route, .. } => Some(route),
        _ => None,
    }
}

/// The alerts of `rep`'s rule that fire on `rep`'s test input measuring `measured`.
fn threshold_expected(system: &System, alerts: &[ThresholdAlert], rep: &ThresholdAlert, measured: f64) -> Vec<Value> {
    let fires = |a: &ThresholdAlert| match &a.watch {
        Watch::Groundedness { min, .. } => measured < *min,
        Watch::HarmfulRate { max, .. } | Watch::CostPerQuery { max, .. } => measured > *max,
        _ => true,
    };
    let rule = rep.prometheus_rule();
    let same: Vec<&ThresholdAlert> = if is_slo_kind(&rep.watch) {
        alerts
            .iter()
            .filter(|a| a.prometheus_rule() == rule && watched_route(&a.watch) == watched_route(&rep.watch))
            .collect()
    } else {
        vec![rep]
    };
    same.into_iter()
        .filter(|a| fires(a))
        .map(|a| {
            let labels = threshold_instance_labels(system, a);
            let annotations = rendered(&threshold_annotations(system, a), &labels, threshold_value(&a.watch));
            expected(labels, annotations)
        })
        .collect()
}

pub(super) fn tests(
    s: &mut Seq,
    system: &System,
    slo_alerts: &[Vec<SloAlert>],
    burn: &[BurnGroup],
    threshold_alerts: &[ThresholdAlert],
    shared: &[usize],
) {
    if let Some(data) = data_tests(system, slo_alerts, threshold_alerts) {
        s.json(&data);
    }
    burn_tests(s, system, slo_alerts, burn);
    for &i in shared {
        let alert = &threshold_alerts[i];
        let name = alert.prometheus_rule();
        let via = match (&alert.slo, watched_route(&alert.watch)) {
            (Some(slo), _) => format!(" (via SLO {slo})"),
            (None, Some(route)) => format!(" (via route {route})"),
            _ => match &alert.watch {
                Watch::EvalScore { evaluation, .. } => format!(" (via evaluation {evaluation})"),
                _ => String::new(),
            },
        };
        // The condition holds from the first minutes on; the alert fires once it held `for`.
        let held = in_minutes(alert.hold) + 10;
        let ((healthy, calm), (breaching, bad)) = threshold_series(alert, held);
        let at = minutes(held);
        s.json(&json!({
            "name": format!("{name}{via}: quiet when healthy"),
            "interval": "1m",
            "input_series": healthy,
            "alert_rule_test": [{ "eval_time": at, "alertname": name, "exp_alerts": threshold_expected(system, threshold_alerts, alert, calm).into_iter().filter(|_| is_slo_kind(&alert.watch)).collect::<Vec<_>>() }],
        }));
        s.json(&json!({
            "name": format!("{name}{via}: fires when breached"),
            "interval": "1m",
            "input_series": breaching,
            "alert_rule_test": [
                { "eval_time": at, "alertname": name, "exp_alerts": threshold_expected(system, threshold_alerts, alert, bad) },
            ],
        }));
    }
}

/// Healthy and breaching input series for a threshold alert, `n` minutes each, with the value
/// each measures (score, rate or cost; unused where the rule is not an SLO's).
type Input = (Vec<Value>, f64);
fn threshold_series(alert: &ThresholdAlert, n: u32) -> (Input, Input) {
    let steady = |per_minute: f64| counter(&[(n, per_minute)]);
    let requests = |route: &str| series(metrics::REQUESTS, &format!("requested_model={}", pq(route)), steady(TEST_RPM));
    let pair = |make: &dyn Fn(f64) -> Vec<Value>, healthy: f64, breaching: f64| {
        ((make(healthy), healthy), (make(breaching), breaching))
    };
    match &alert.watch {
        Watch::Groundedness { route, min } => {
            let make = |score: f64| {
                vec![
                    series(
                        &format!("{}_sum", metrics::GROUNDEDNESS),
                        &format!("route={}", pq(route)),
                        steady(60.0 * score),
                    ),
                    series(&format!("{}_count", metrics::GROUNDEDNESS), &format!("route={}", pq(route)), steady(60.0)),
                ]
            };
            pair(&make, (min + 1.0) / 2.0, min / 2.0)
        }
        Watch::HarmfulRate { route, max } => {
            let make = |rate: f64| {
                vec![
                    requests(route),
                    series(metrics::HARMFUL, &format!("route={}", pq(route)), steady(TEST_RPM * rate)),
                ]
            };
            pair(&make, 0.0, (max * 4.0).min(1.0))
        }
        Watch::CostPerQuery { route, max } => {
            let make = |cost: f64| {
                vec![
                    requests(route),
                    series(metrics::SPEND, &format!("requested_model={}", pq(route)), steady(TEST_RPM * cost)),
                ]
            };
            pair(&make, max / 2.0, max * 2.0)
        }
        Watch::SlowRoute { route, max } => {
            let fast_le = le(0.5_f64.min(max.seconds() / 4.0));
            let slow_le = le(max.seconds() * 4.0);
            let make = |fast: f64| {
                let (in_fast, in_slow) = if fast > 0.0 { (TEST_RPM, TEST_RPM) } else { (0.0, TEST_RPM) };
                let bucket = |le: &str, v: f64| {
                    series(
                        &format!("{}_bucket", metrics::LATENCY),
                        &format!("requested_model={},le={}", pq(route), pq(le)),
                        steady(v),
                    )
                };
                vec![bucket(&fast_le, in_fast), bucket(&slow_le, in_slow), bucket("+Inf", TEST_RPM)]
            };
            pair(&make, 1.0, 0.0)
        }
        Watch::FailingRoute { route, max } => {
            let make = |rate: f64| {
                vec![
                    requests(route),
                    series(
                        metrics::FAILED,
                        &format!("requested_model={},exception_status=\"500\"", pq(route)),
                        steady(TEST_RPM * rate),
                    ),
                ]
            };
            pair(&make, max / 10.0, (max * 4.0).min(1.0))
        }
        Watch::EvalScore { evaluation, min } => {
            let make = |score: f64| {
                vec![series(
                    metrics::EVAL_SCORE,
                    &format!("evaluation={}", pq(evaluation)),
                    format!("{}+0x{n}", ratio(score)),
                )]
            };
            pair(&make, (min + 1.0) / 2.0, min / 2.0)
        }
        Watch::InjectionAttempts { min } => {
            let make = |per_minute: f64| vec![series(metrics::INJECTION, "", steady(per_minute))];
            pair(&make, 0.0, min.max(1.0))
        }
        Watch::AuditAnomalies { min } => {
            let make = |per_minute: f64| vec![series(metrics::AUDIT_ANOMALIES, "", steady(per_minute))];
            pair(&make, 0.0, min.max(1.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_continue_across_segments() {
        assert_eq!(counter(&[(3, 2.0)]), "0+2x3");
        // 0,2,4,6 then 16,26 (rate 10 for 2 more minutes)
        assert_eq!(counter(&[(3, 2.0), (3, 10.0)]), "0+2x3 16+10x2");
    }
}
