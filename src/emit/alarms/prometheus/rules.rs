//! The Prometheus rules: `alarms/prometheus/<system>.rules.yaml` as rule groups.
//!
//! In: the SLOs and the alarm catalogue. Out: the recording rules of every SLI ratio over every
//! burn window, one data series per SLO, the burn-rate alerting rules shared per SLI kind, SLO
//! window and burn window, and the threshold and incident rules, each with its labels and
//! annotation templates. The labels and annotations are defined here once: the promtool tests
//! render them to say what on-call will see.

use serde_json::{Map, Value, json};

use super::format::{Fmt, Part, lit, pq, prom_duration, ratio, template, templates};
use crate::emit::yaml::{Seq, object};
use crate::model::alerts::{SloAlert, ThresholdAlert, Watch, burn_windows};
use crate::model::metrics::{self, le};
use crate::model::{Slo, System};
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Threshold, format_number};

/// Data series: one per availability/latency SLO, its error budget (`1 − objective`).
pub(super) const BUDGET: &str = "genops:slo_error_budget";
/// Data series: one per groundedness, harmful-rate and cost SLO, its threshold.
pub(super) const THRESHOLD: &str = "genops:slo_threshold";

// ---------------------------------------------------------------------------------------------
// Burn-rate SLOs.

/// Availability or latency SLOs that share alerting rules: one SLI kind and one SLO window
/// (the burn factors follow the SLO window). `slos` index `system.slos`.
pub(super) struct BurnGroup {
    pub sli: Sli,
    pub window: Duration,
    pub slos: Vec<usize>,
}

pub(super) fn burn_groups(system: &System, slo_alerts: &[Vec<SloAlert>]) -> Vec<BurnGroup> {
    let mut groups: Vec<BurnGroup> = Vec::new();
    for (i, slo) in system.slos.iter().enumerate() {
        if slo_alerts[i].is_empty() {
            continue;
        }
        match groups.iter_mut().find(|g| g.sli == slo.sli && g.window == slo.window) {
            Some(g) => g.slos.push(i),
            None => groups.push(BurnGroup { sli: slo.sli, window: slo.window, slos: vec![i] }),
        }
    }
    groups
}

/// The latency threshold of a latency SLO, as its `le` label.
pub(super) fn slo_le(slo: &Slo) -> Option<String> {
    match (slo.sli, slo.threshold) {
        (Sli::Latency, Some(Threshold::Duration(t))) => Some(le(t.seconds())),
        _ => None,
    }
}

fn ratio_record(sli: Sli, window: Duration) -> String {
    let what = if sli == Sli::Latency { "latency_slow" } else { "availability_errors" };
    format!("genops:{what}_per_request:ratio_rate{}", prom_duration(window))
}

/// The labels a burn-rate alert joins on.
fn join_labels(sli: Sli) -> &'static str {
    if sli == Sli::Latency { "requested_model, le" } else { "requested_model" }
}

/// Every window the burn-rate alerts read, shortest first.
fn ratio_windows() -> Vec<Duration> {
    let mut windows: Vec<Duration> = burn_windows().iter().flat_map(|w| [w.short, w.long]).collect();
    windows.sort();
    windows.dedup();
    windows
}

/// The bad-request ratio of every route over a window: `les` are the latency SLOs' thresholds,
/// matched exactly (`8\.0`: an unescaped `.` would also match other buckets).
fn ratio_expr(sli: Sli, window: Duration, les: &[String]) -> String {
    let w = prom_duration(window);
    match sli {
        Sli::Latency => format!(
            "1 - (sum by (requested_model, le) (rate({m}_bucket{{le=~{les}}}[{w}])) / on(requested_model) group_left sum by (requested_model) (rate({m}_count[{w}])))",
            m = metrics::LATENCY,
            les = pq(&les.iter().map(|l| l.replace('.', "\\.")).collect::<Vec<_>>().join("|")),
        ),
        _ => format!(
            "sum by (requested_model) (rate({f}{{exception_status=~\"5..\"}}[{w}])) / sum by (requested_model) (rate({r}[{w}]))",
            f = metrics::FAILED,
            r = metrics::REQUESTS,
        ),
    }
}

/// The labels of an SLO's data series (and so of its alerts).
pub(super) fn data_labels(system: &System, slo: &Slo, runbook: &str, burn: bool) -> Map<String, Value> {
    let route = system.route(slo.route).name.as_str();
    let mut labels = Map::new();
    labels.insert("slo".into(), json!(slo.name.as_str()));
    labels.insert("route".into(), json!(route));
    labels.insert("requested_model".into(), json!(crate::conventions::model_group(route)));
    labels.insert("sli".into(), json!(slo.sli.as_str()));
    if burn {
        labels.insert("slo_window".into(), json!(slo.window.to_string()));
    }
    if let Some(le) = slo_le(slo) {
        labels.insert("le".into(), json!(le));
    }
    labels.insert("runbook_url".into(), json!(runbook));
    labels
}

/// The alert rule name of the `j`th burn window of a group.
pub(super) fn burn_rule(group: &BurnGroup, slo_alerts: &[Vec<SloAlert>], j: usize) -> String {
    slo_alerts[group.slos[0]][j].prometheus_rule()
}

pub(super) fn burn_annotations(alert: &SloAlert) -> Vec<(&'static str, Vec<Part>)> {
    let w = alert.window;
    let mut description = match alert.slo.sli {
        Sli::Latency => {
            vec![
                lit("Share of requests of route "),
                Part::Label("route"),
                lit(" slower than "),
                Part::Label("le"),
                lit("s"),
            ]
        }
        _ => vec![lit("Bad-request ratio of route "), Part::Label("route")],
    };
    description.push(lit(format!(
        " over both {} and {} is above {}x its error budget. At {}x the budget is gone in {} days.",
        w.long,
        w.short,
        format_number(alert.burn),
        format_number(alert.burn),
        format_number((alert.exhaustion_days() * 10.0).round() / 10.0)
    )));
    let summary = vec![
        lit("SLO "),
        Part::Label("slo"),
        lit(format!(" is burning its {} error budget ", alert.slo.window)),
        Part::Value(Fmt::Humanize),
        lit("x too fast"),
    ];
    vec![("summary", summary), ("description", description), ("runbook_url", vec![Part::Label("runbook_url")])]
}

/// The static labels of a burn-rate rule. `slo_window` repeats the data series' label: rules of
/// one name for SLOs of different windows stay distinct (plans address rules by name and labels).
pub(super) fn burn_rule_labels(alert: &SloAlert) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert("severity".into(), json!(alert.window.severity.as_str()));
    labels.insert("window".into(), json!(alert.window.name));
    labels.insert("slo_window".into(), json!(alert.slo.window.to_string()));
    labels
}

fn burn_rules(s: &mut Seq, system: &System, slo_alerts: &[Vec<SloAlert>], burn: &[BurnGroup]) {
    for sli in [Sli::Availability, Sli::Latency] {
        let mut les: Vec<(f64, String)> = burn
            .iter()
            .filter(|g| g.sli == sli)
            .flat_map(|g| g.slos.iter())
            .filter_map(|&i| match system.slos[i].threshold {
                Some(Threshold::Duration(t)) => Some((t.seconds(), le(t.seconds()))),
                _ => None,
            })
            .collect();
        if !burn.iter().any(|g| g.sli == sli) {
            continue;
        }
        les.sort_by(|a, b| a.0.total_cmp(&b.0));
        les.dedup_by(|a, b| a.1 == b.1);
        let les: Vec<String> = les.into_iter().map(|(_, l)| l).collect();
        for w in ratio_windows() {
            s.json(&json!({ "record": ratio_record(sli, w), "expr": ratio_expr(sli, w, &les) }));
        }
    }
    for group in burn {
        for &i in &group.slos {
            let slo = &system.slos[i];
            let alert = &slo_alerts[i][0];
            s.json(&object([
                ("record", Value::from(BUDGET)),
                ("expr", Value::from(format!("vector({})", ratio(1.0 - slo.objective.unwrap_or(0.0))))),
                ("labels", Value::Object(data_labels(system, slo, &alert.runbook, true))),
            ]));
        }
    }
    for group in burn {
        let budget = format!("{BUDGET}{{sli={},slo_window={}}}", pq(group.sli.as_str()), pq(&group.window.to_string()));
        let on = join_labels(group.sli);
        for alert in &slo_alerts[group.slos[0]] {
            let burn = ratio(alert.burn);
            s.json(&json!({
                "alert": alert.prometheus_rule(),
                "expr": format!(
                    "({long} / on({on}) group_right {budget}) > {burn} and ({short} / on({on}) group_right {budget}) > {burn}",
                    long = ratio_record(group.sli, alert.window.long),
                    short = ratio_record(group.sli, alert.window.short),
                ),
                "labels": template_labels(&burn_rule_labels(alert)),
                "annotations": templates(&burn_annotations(alert)),
            }));
        }
    }
}

/// Static alert-rule labels: Prometheus expands them as templates too.
fn template_labels(labels: &Map<String, Value>) -> Map<String, Value> {
    labels.iter().map(|(k, v)| (k.clone(), json!(template(&[lit(v.as_str().unwrap_or_default())])))).collect()
}

// ---------------------------------------------------------------------------------------------
// Threshold SLOs and incidents.

/// The alerts that get a rule of their own: the first of each shared Prometheus rule (indexes
/// into the catalogue's threshold alerts).
pub(super) fn shared_threshold_rules(alerts: &[ThresholdAlert]) -> Vec<usize> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        let rule = a.prometheus_rule();
        if !seen.contains(&rule) {
            seen.push(rule);
            out.push(i);
        }
    }
    out
}

pub(super) fn is_slo_kind(watch: &Watch) -> bool {
    matches!(watch, Watch::Groundedness { .. } | Watch::HarmfulRate { .. } | Watch::CostPerQuery { .. })
}

pub(super) fn threshold_value(watch: &Watch) -> f64 {
    match watch {
        Watch::Groundedness { min, .. } => *min,
        Watch::HarmfulRate { max, .. } | Watch::CostPerQuery { max, .. } => *max,
        Watch::SlowRoute { max, .. } => max.seconds(),
        Watch::FailingRoute { max, .. } => *max,
        Watch::EvalScore { min, .. } | Watch::InjectionAttempts { min } | Watch::AuditAnomalies { min } => *min,
    }
}

fn by_route(expr: String) -> String {
    format!("label_replace({expr}, \"route\", \"$1\", \"requested_model\", \"(.*)\")")
}

fn threshold_expr(alert: &ThresholdAlert) -> String {
    let (r, f, l, s) = (metrics::REQUESTS, metrics::FAILED, metrics::LATENCY, metrics::SPEND);
    match &alert.watch {
        Watch::Groundedness { .. } => format!(
            "{THRESHOLD}{{sli=\"groundedness\"}} > on(route) group_left() (sum by (route) (increase({g}_sum[1h])) / sum by (route) (increase({g}_count[1h])))",
            g = metrics::GROUNDEDNESS
        ),
        Watch::HarmfulRate { .. } => format!(
            "{THRESHOLD}{{sli=\"harmful_rate\"}} < on(route) group_left() (sum by (route) (increase({h}[1h])) / sum by (route) ({requests}))",
            h = metrics::HARMFUL,
            requests = by_route(format!("increase({r}[1h])")),
        ),
        Watch::CostPerQuery { .. } => format!(
            "{THRESHOLD}{{sli=\"cost_per_query\"}} < on(requested_model) group_left() (sum by (requested_model) (increase({s}[1h])) / sum by (requested_model) (increase({r}[1h])))"
        ),
        Watch::SlowRoute { max, .. } => by_route(format!(
            "histogram_quantile(0.95, sum by (requested_model, le) (rate({l}_bucket[5m]))) > {}",
            ratio(max.seconds())
        )),
        Watch::FailingRoute { max, .. } => by_route(format!(
            "sum by (requested_model) (rate({f}[5m])) / sum by (requested_model) (rate({r}[5m])) > {}",
            ratio(*max)
        )),
        Watch::EvalScore { min, .. } => {
            format!("min by (evaluation) ({}) < {}", metrics::EVAL_SCORE, ratio(*min))
        }
        Watch::InjectionAttempts { min } => format!("sum(increase({}[5m])) >= {}", metrics::INJECTION, ratio(*min)),
        Watch::AuditAnomalies { min } => format!("sum(increase({}[5m])) >= {}", metrics::AUDIT_ANOMALIES, ratio(*min)),
    }
}

/// The static labels of a threshold or incident rule (SLO rules get the rest from the data).
fn threshold_rule_labels(alert: &ThresholdAlert) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert("severity".into(), json!(alert.severity.as_str()));
    if is_slo_kind(&alert.watch) {
        return labels;
    }
    if let Some(incident) = alert.incident {
        labels.insert("incident".into(), json!(incident.as_str()));
    }
    labels.insert("runbook_url".into(), json!(alert.runbook));
    labels
}

/// The labels of an alert instance of `alert` as promtool sees it.
pub(super) fn threshold_instance_labels(system: &System, alert: &ThresholdAlert) -> Map<String, Value> {
    let mut labels = threshold_rule_labels(alert);
    match (&alert.watch, alert.slo_index) {
        (w, Some(i)) if is_slo_kind(w) => {
            labels.extend(data_labels(system, &system.slos[i], &alert.runbook, false));
        }
        (Watch::SlowRoute { route, .. } | Watch::FailingRoute { route, .. }, _) => {
            labels.insert("route".into(), json!(route));
            labels.insert("requested_model".into(), json!(crate::conventions::model_group(route)));
        }
        (Watch::EvalScore { evaluation, .. }, _) => {
            labels.insert("evaluation".into(), json!(evaluation));
        }
        _ => {}
    }
    labels
}

pub(super) fn threshold_annotations(system: &System, alert: &ThresholdAlert) -> Vec<(&'static str, Vec<Part>)> {
    let route = |what: String, value: Fmt, after: String| {
        vec![lit("route "), Part::Label("route"), lit(what), Part::Value(value), lit(after)]
    };
    let slo_tail = |unit: &str| vec![lit(format!("{unit} over the last hour (SLO ")), Part::Label("slo"), lit(")")];
    let summary = match &alert.watch {
        Watch::Groundedness { .. } => {
            let mut p = route(": groundedness below ".into(), Fmt::Plain, String::new());
            p.extend(slo_tail(""));
            p
        }
        Watch::HarmfulRate { .. } => {
            let mut p = route(": harmful answers above ".into(), Fmt::Percent, String::new());
            p.extend(slo_tail(""));
            p
        }
        Watch::CostPerQuery { .. } => {
            let mut p = route(": cost per query above ".into(), Fmt::Plain, String::new());
            p.extend(slo_tail(&format!(" {}", system.currency)));
            p
        }
        Watch::SlowRoute { max, .. } => {
            vec![lit("route "), Part::Label("route"), lit(format!(": p95 latency above {max} (model timeout)"))]
        }
        Watch::FailingRoute { max, .. } => vec![
            lit("route "),
            Part::Label("route"),
            lit(format!(
                ": more than {} of requests failing (tool failure)",
                crate::spec::units::Percent { fraction: *max }
            )),
        ],
        Watch::EvalScore { min, .. } => vec![
            lit("evaluation "),
            Part::Label("evaluation"),
            lit(format!(": score below {min} (quality degradation)")),
        ],
        _ => vec![lit(alert.summary.clone())],
    };
    let runbook = if is_slo_kind(&alert.watch) { Part::Label("runbook_url") } else { lit(alert.runbook.clone()) };
    vec![("summary", summary), ("runbook_url", vec![runbook])]
}

fn threshold_rules(s: &mut Seq, system: &System, alerts: &[ThresholdAlert], shared: &[usize]) {
    for a in alerts.iter().filter(|a| is_slo_kind(&a.watch)) {
        let slo = &system.slos[a.slo_index.unwrap_or_default()];
        s.json(&object([
            ("record", Value::from(THRESHOLD)),
            ("expr", Value::from(format!("vector({})", ratio(threshold_value(&a.watch))))),
            ("labels", Value::Object(data_labels(system, slo, &a.runbook, false))),
        ]));
    }
    for &i in shared {
        let a = &alerts[i];
        s.json(&json!({
            "alert": a.prometheus_rule(),
            "expr": threshold_expr(a),
            "for": prom_duration(a.hold),
            "labels": template_labels(&threshold_rule_labels(a)),
            "annotations": templates(&threshold_annotations(system, a)),
        }));
    }
}

pub(super) fn groups(
    s: &mut Seq,
    system: &System,
    slo_alerts: &[Vec<SloAlert>],
    burn: &[BurnGroup],
    threshold_alerts: &[ThresholdAlert],
    shared: &[usize],
) {
    if !burn.is_empty() {
        s.map(|m| {
            m.str("name", &format!("genops-{}-slo-burn-rates", system.name));
            m.str("interval", "1m");
            m.seq("rules", |s| burn_rules(s, system, slo_alerts, burn));
        });
    }
    if !threshold_alerts.is_empty() {
        s.map(|m| {
            m.str("name", &format!("genops-{}-thresholds-and-incidents", system.name));
            m.str("interval", "1m");
            m.seq("rules", |s| threshold_rules(s, system, threshold_alerts, shared));
        });
    }
}
