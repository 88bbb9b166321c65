//! Prometheus: `alarms/prometheus/<system>.rules.yaml` and the promtool unit tests beside it.
//!
//! In: the alarm catalogue. Out: recording rules for each SLO's error ratio over every
//! burn-rate window, the multi-window burn-rate alerts, the threshold alerts, and
//! `<system>.rules.test.yaml`, which feeds synthetic traffic to promtool and asserts, per
//! alert, that a healthy series fires nothing and a breaching one fires it within the expected
//! time with exactly the labels and annotations on-call will see.

use serde_json::{Map, Value, json};

use super::metrics::{self, le};
use super::{SloAlert, ThresholdAlert, Watch, burn_windows, slo_alerts_by_slo, threshold_alerts};
use crate::conventions::HEADER;
use crate::emit::{Artifact, yaml};
use crate::model::{Slo, System};
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Threshold, format_number};

/// Requests a minute in the synthetic test traffic.
const TEST_RPM: f64 = 600.0;

pub fn rules_path(system: &System) -> String {
    format!("alarms/prometheus/{}.rules.yaml", system.name)
}

pub fn emit(system: &System) -> Vec<Artifact> {
    let slo_alerts = slo_alerts_by_slo(system);
    let threshold_alerts = threshold_alerts(system);
    let rules_file = format!("{}.rules.yaml", system.name);
    let rules = json!({ "groups": groups(system, &slo_alerts, &threshold_alerts) });
    let tests = json!({
        "rule_files": [rules_file],
        "evaluation_interval": "1m",
        "tests": tests(system, &slo_alerts, &threshold_alerts),
    });
    let header = format!("{HEADER}\nPrometheus rules of {}: SLO burn-rate alerts and incident alerts", system.name);
    let test_header = format!("{HEADER}\npromtool unit tests: `promtool test rules {}.rules.test.yaml`", system.name);
    vec![
        Artifact { path: rules_path(system), contents: yaml::document(&[&header], &rules) },
        Artifact {
            path: format!("alarms/prometheus/{}.rules.test.yaml", system.name),
            contents: yaml::document(&[&test_header], &tests),
        },
    ]
}

/// A number for PromQL and promtool without float noise or exponents (12 significant digits).
fn ratio(value: f64) -> String {
    crate::emit::yaml::number(value)
}

/// `5m`, `1h`, `1d` as PromQL durations.
fn prom_duration(d: Duration) -> String {
    d.to_string()
}

fn record_name(window: Duration) -> String {
    format!("genops:slo_errors_per_request:ratio_rate{}", prom_duration(window))
}

/// The bad-request ratio of an SLO over a window.
fn error_ratio_expr(system: &System, slo: &Slo, window: Duration) -> String {
    let group = crate::conventions::model_group(system.route(slo.route).name.as_str());
    let w = prom_duration(window);
    match (slo.sli, slo.threshold) {
        (Sli::Latency, Some(Threshold::Duration(t))) => format!(
            "1 - (sum(rate({m}_bucket{{requested_model=\"{group}\",le=\"{le}\"}}[{w}])) / sum(rate({m}_count{{requested_model=\"{group}\"}}[{w}])))",
            m = metrics::LATENCY,
            le = le(t.seconds()),
        ),
        _ => format!(
            "sum(rate({f}{{requested_model=\"{group}\",exception_status=~\"5..\"}}[{w}])) / sum(rate({r}{{requested_model=\"{group}\"}}[{w}]))",
            f = metrics::FAILED,
            r = metrics::REQUESTS,
        ),
    }
}

fn slo_labels(system: &System, alert: &SloAlert) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert("severity".into(), json!(alert.window.severity.as_str()));
    labels.insert("slo".into(), json!(alert.slo.name.as_str()));
    labels.insert("route".into(), json!(system.route(alert.slo.route).name.as_str()));
    labels.insert("sli".into(), json!(alert.slo.sli.as_str()));
    labels.insert("window".into(), json!(alert.window.name));
    labels.insert("runbook_url".into(), json!(alert.runbook));
    labels
}

fn slo_annotations(alert: &SloAlert) -> Map<String, Value> {
    let slo = alert.slo;
    let mut a = Map::new();
    a.insert(
        "summary".into(),
        json!(format!(
            "SLO {} is burning its {} error budget {}x too fast",
            slo.name,
            slo.window,
            format_number(alert.burn)
        )),
    );
    a.insert(
        "description".into(),
        json!(format!(
            "Bad-request ratio over both {} and {} is above {} ({}x the {} budget of objective {}). At this rate the budget is gone in {} days.",
            alert.window.long,
            alert.window.short,
            ratio(alert.threshold),
            format_number(alert.burn),
            ratio(1.0 - slo.objective.unwrap_or(0.0)),
            crate::spec::units::Percent { fraction: slo.objective.unwrap_or(0.0) },
            format_number((alert.exhaustion_days() * 10.0).round() / 10.0)
        )),
    );
    a.insert("runbook_url".into(), json!(alert.runbook));
    a
}

fn threshold_expr(alert: &ThresholdAlert) -> String {
    let (r, f, l, s) = (metrics::REQUESTS, metrics::FAILED, metrics::LATENCY, metrics::SPEND);
    match &alert.watch {
        Watch::Groundedness { route, min } => format!(
            "sum(increase({g}_sum{{route=\"{route}\"}}[1h])) / sum(increase({g}_count{{route=\"{route}\"}}[1h])) < {}",
            ratio(*min),
            g = metrics::GROUNDEDNESS
        ),
        Watch::HarmfulRate { route, max } => format!(
            "sum(increase({h}{{route=\"{route}\"}}[1h])) / sum(increase({r}{{requested_model=\"{route}\"}}[1h])) > {}",
            ratio(*max),
            h = metrics::HARMFUL
        ),
        Watch::CostPerQuery { route, max } => format!(
            "sum(increase({s}{{requested_model=\"{route}\"}}[1h])) / sum(increase({r}{{requested_model=\"{route}\"}}[1h])) > {}",
            ratio(*max)
        ),
        Watch::SlowRoute { route, max } => format!(
            "histogram_quantile(0.95, sum by (le) (rate({l}_bucket{{requested_model=\"{route}\"}}[5m]))) > {}",
            ratio(max.seconds())
        ),
        Watch::FailingRoute { route, max } => format!(
            "sum(rate({f}{{requested_model=\"{route}\"}}[5m])) / sum(rate({r}{{requested_model=\"{route}\"}}[5m])) > {}",
            ratio(*max)
        ),
        Watch::EvalScore { evaluation, min } => {
            format!("min({}{{evaluation=\"{evaluation}\"}}) < {}", metrics::EVAL_SCORE, ratio(*min))
        }
        Watch::InjectionAttempts { min } => format!("sum(increase({}[5m])) >= {}", metrics::INJECTION, ratio(*min)),
        Watch::AuditAnomalies { min } => format!("sum(increase({}[5m])) >= {}", metrics::AUDIT_ANOMALIES, ratio(*min)),
    }
}

fn threshold_labels(alert: &ThresholdAlert) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert("severity".into(), json!(alert.severity.as_str()));
    if let Some(slo) = &alert.slo {
        labels.insert("slo".into(), json!(slo));
    }
    if let Some(incident) = alert.incident {
        labels.insert("incident".into(), json!(incident.as_str()));
    }
    match &alert.watch {
        Watch::Groundedness { route, .. }
        | Watch::HarmfulRate { route, .. }
        | Watch::CostPerQuery { route, .. }
        | Watch::SlowRoute { route, .. }
        | Watch::FailingRoute { route, .. } => {
            labels.insert("route".into(), json!(route));
        }
        Watch::EvalScore { evaluation, .. } => {
            labels.insert("evaluation".into(), json!(evaluation));
        }
        _ => {}
    }
    labels.insert("runbook_url".into(), json!(alert.runbook));
    labels
}

fn threshold_annotations(alert: &ThresholdAlert) -> Map<String, Value> {
    let mut a = Map::new();
    a.insert("summary".into(), json!(alert.summary));
    a.insert("runbook_url".into(), json!(alert.runbook));
    a
}

fn groups(system: &System, slo_alerts: &[Vec<SloAlert>], threshold_alerts: &[ThresholdAlert]) -> Vec<Value> {
    let mut groups = Vec::new();
    for (slo, alerts) in system.slos.iter().zip(slo_alerts).filter(|(_, a)| !a.is_empty()) {
        let mut windows: Vec<Duration> = burn_windows().iter().flat_map(|w| [w.short, w.long]).collect();
        windows.sort();
        windows.dedup();
        let route = system.route(slo.route).name.as_str();
        let mut rules: Vec<Value> = windows
            .iter()
            .map(|w| {
                json!({
                    "record": record_name(*w),
                    "expr": error_ratio_expr(system, slo, *w),
                    "labels": { "slo": slo.name.as_str(), "route": route },
                })
            })
            .collect();
        for alert in alerts {
            let threshold = ratio(alert.threshold);
            rules.push(json!({
                "alert": alert.alertname,
                "expr": format!(
                    "{long}{{slo=\"{name}\"}} > {threshold} and {short}{{slo=\"{name}\"}} > {threshold}",
                    long = record_name(alert.window.long),
                    short = record_name(alert.window.short),
                    name = slo.name,
                ),
                "labels": slo_labels(system, alert),
                "annotations": slo_annotations(alert),
            }));
        }
        groups.push(
            json!({ "name": format!("genops-{}-slo-{}", system.name, slo.name), "interval": "1m", "rules": rules }),
        );
    }
    if !threshold_alerts.is_empty() {
        let rules: Vec<Value> = threshold_alerts
            .iter()
            .map(|a| {
                json!({
                    "alert": a.alertname,
                    "expr": threshold_expr(a),
                    "for": prom_duration(a.hold),
                    "labels": threshold_labels(a),
                    "annotations": threshold_annotations(a),
                })
            })
            .collect();
        groups.push(json!({ "name": format!("genops-{}-incidents-and-quality", system.name), "interval": "1m", "rules": rules }));
    }
    groups
}

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

fn expected(labels: Map<String, Value>, annotations: Map<String, Value>) -> Value {
    json!([{ "exp_labels": labels, "exp_annotations": annotations }])
}

/// Input series for an SLO at a bad ratio `normal` for `before` minutes, then `burning` for `after`.
fn slo_series(system: &System, slo: &Slo, normal: f64, burning: f64, before: u32, after: u32) -> Vec<Value> {
    let group = system.route(slo.route).name.as_str();
    let bad = |r: f64| r * TEST_RPM;
    let segments = |f: &dyn Fn(f64) -> f64| {
        if after == 0 { vec![(before, f(normal))] } else { vec![(before, f(normal)), (after, f(burning))] }
    };
    let total = counter(&[(before + after, TEST_RPM)]);
    match (slo.sli, slo.threshold) {
        (Sli::Latency, Some(Threshold::Duration(t))) => vec![
            series(&format!("{}_count", metrics::LATENCY), &format!("requested_model=\"{group}\""), total),
            series(
                &format!("{}_bucket", metrics::LATENCY),
                &format!("requested_model=\"{group}\",le=\"{}\"", le(t.seconds())),
                counter(&segments(&|r| TEST_RPM - bad(r))),
            ),
        ],
        _ => vec![
            series(metrics::REQUESTS, &format!("requested_model=\"{group}\""), total),
            series(
                metrics::FAILED,
                &format!("requested_model=\"{group}\",exception_status=\"500\""),
                counter(&segments(&bad)),
            ),
        ],
    }
}

fn tests(system: &System, slo_alerts: &[Vec<SloAlert>], threshold_alerts: &[ThresholdAlert]) -> Vec<Value> {
    let mut out = Vec::new();
    for (slo, alerts) in system.slos.iter().zip(slo_alerts).filter(|(_, a)| !a.is_empty()) {
        let budget = 1.0 - slo.objective.unwrap_or(0.0);
        let normal = budget / 10.0;
        // 1. A tenth of the sustainable error rate for 8 hours: nothing fires.
        let quiet: Vec<Value> = ["1h", "4h", "8h"]
            .iter()
            .flat_map(|t| {
                alerts.iter().map(move |a| json!({ "eval_time": t, "alertname": a.alertname, "exp_alerts": [] }))
            })
            .collect();
        out.push(json!({
            "name": format!("{}: healthy traffic fires nothing", slo.name),
            "interval": "1m",
            "input_series": slo_series(system, slo, normal, normal, 480, 0),
            "alert_rule_test": quiet,
        }));
        // 2. A fast burn after two quiet hours: the fast page fires in the expected time.
        let fast = &alerts[0];
        let burning = (50.0 * budget).min(1.0);
        if burning <= fast.threshold {
            continue; // an objective this loose cannot burn 14.4x; nothing to prove
        }
        let crossing = 60.0 * (fast.threshold - normal) / (burning - normal);
        let expect_by = 120 + crossing.ceil() as u32 + 4;
        let labels = slo_labels(system, fast);
        out.push(json!({
            "name": format!("{}: a fast burn pages within {} minutes", slo.name, crossing.ceil() as u32 + 4),
            "interval": "1m",
            "input_series": slo_series(system, slo, normal, burning, 120, 120),
            "alert_rule_test": [
                { "eval_time": minutes(119), "alertname": fast.alertname, "exp_alerts": [] },
                { "eval_time": minutes(121), "alertname": fast.alertname, "exp_alerts": [] },
                { "eval_time": minutes(expect_by), "alertname": fast.alertname, "exp_alerts": expected(labels, slo_annotations(fast)) },
            ],
        }));
    }
    for alert in threshold_alerts {
        let (healthy, breaching) = threshold_series(alert);
        let at = minutes(90);
        out.push(json!({
            "name": format!("{}: quiet when healthy", alert.alertname),
            "interval": "1m",
            "input_series": healthy,
            "alert_rule_test": [{ "eval_time": at, "alertname": alert.alertname, "exp_alerts": [] }],
        }));
        out.push(json!({
            "name": format!("{}: fires when breached", alert.alertname),
            "interval": "1m",
            "input_series": breaching,
            "alert_rule_test": [
                { "eval_time": at, "alertname": alert.alertname, "exp_alerts": expected(threshold_labels(alert), threshold_annotations(alert)) },
            ],
        }));
    }
    out
}

/// Healthy and breaching input series for a threshold alert, 100 minutes each.
fn threshold_series(alert: &ThresholdAlert) -> (Vec<Value>, Vec<Value>) {
    let n = 100;
    let steady = |per_minute: f64| counter(&[(n, per_minute)]);
    let requests = |route: &str| series(metrics::REQUESTS, &format!("requested_model=\"{route}\""), steady(TEST_RPM));
    match &alert.watch {
        Watch::Groundedness { route, min } => {
            let make = |score: f64| {
                vec![
                    series(
                        &format!("{}_sum", metrics::GROUNDEDNESS),
                        &format!("route=\"{route}\""),
                        steady(60.0 * score),
                    ),
                    series(&format!("{}_count", metrics::GROUNDEDNESS), &format!("route=\"{route}\""), steady(60.0)),
                ]
            };
            (make((min + 1.0) / 2.0), make(min / 2.0))
        }
        Watch::HarmfulRate { route, max } => {
            let make = |rate: f64| {
                vec![requests(route), series(metrics::HARMFUL, &format!("route=\"{route}\""), steady(TEST_RPM * rate))]
            };
            (make(0.0), make((max * 4.0).min(1.0)))
        }
        Watch::CostPerQuery { route, max } => {
            let make = |cost: f64| {
                vec![
                    requests(route),
                    series(metrics::SPEND, &format!("requested_model=\"{route}\""), steady(TEST_RPM * cost)),
                ]
            };
            (make(max / 2.0), make(max * 2.0))
        }
        Watch::SlowRoute { route, max } => {
            let fast_le = le(0.5_f64.min(max.seconds() / 4.0));
            let slow_le = le(max.seconds() * 4.0);
            let make = |fast: bool| {
                let (in_fast, in_slow) = if fast { (TEST_RPM, TEST_RPM) } else { (0.0, TEST_RPM) };
                vec![
                    series(
                        &format!("{}_bucket", metrics::LATENCY),
                        &format!("requested_model=\"{route}\",le=\"{fast_le}\""),
                        steady(in_fast),
                    ),
                    series(
                        &format!("{}_bucket", metrics::LATENCY),
                        &format!("requested_model=\"{route}\",le=\"{slow_le}\""),
                        steady(in_slow),
                    ),
                    series(
                        &format!("{}_bucket", metrics::LATENCY),
                        &format!("requested_model=\"{route}\",le=\"+Inf\""),
                        steady(TEST_RPM),
                    ),
                ]
            };
            (make(true), make(false))
        }
        Watch::FailingRoute { route, max } => {
            let make = |rate: f64| {
                vec![
                    requests(route),
                    series(
                        metrics::FAILED,
                        &format!("requested_model=\"{route}\",exception_status=\"500\""),
                        steady(TEST_RPM * rate),
                    ),
                ]
            };
            (make(max / 10.0), make((max * 4.0).min(1.0)))
        }
        Watch::EvalScore { evaluation, min } => {
            let make = |score: f64| {
                vec![series(
                    metrics::EVAL_SCORE,
                    &format!("evaluation=\"{evaluation}\""),
                    format!("{}+0x{n}", ratio(score)),
                )]
            };
            (make((min + 1.0) / 2.0), make(min / 2.0))
        }
        Watch::InjectionAttempts { min } => {
            let make = |per_minute: f64| vec![series(metrics::INJECTION, "", steady(per_minute))];
            (make(0.0), make(min.max(1.0)))
        }
        Watch::AuditAnomalies { min } => {
            let make = |per_minute: f64| vec![series(metrics::AUDIT_ANOMALIES, "", steady(per_minute))];
            (make(0.0), make(min.max(1.0)))
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

    #[test]
    fn ratios_have_no_float_noise() {
        assert_eq!(ratio(14.4 * 0.001), "0.0144");
        assert_eq!(ratio(0.00001), "0.00001");
    }
}
