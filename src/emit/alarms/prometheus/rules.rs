//! The Prometheus rules: `alarms/prometheus/<system>.rules.yaml` as rule groups.
//!
//! In: the SLOs and the alarm catalogue. Out: the data series of every SLO, the recording
//! rules of every SLI by `route` ([`metrics::by_route`]) over every burn window — availability
//! as the share of requests that got no good answer, latency as the share of 5-minute slices in
//! which the route's percentile was slower than the threshold — the burn-rate alerting rules
//! shared per SLI kind, SLO window and burn window, the threshold and incident rules, and the
//! no-data alert, each with its labels and annotation templates. The labels and annotations
//! are defined here once: the promtool tests render them to say what on-call will see.

use serde_json::{Map, Value, json};

use super::format::{Fmt, Part, lit, pq, prom_duration, ratio, template, templates};
use crate::emit::yaml::{Seq, object};
use crate::model::alerts::{BurnWindow, Severity, SloAlert, ThresholdAlert, Watch, burn_factors, burn_windows, tidy};
use crate::model::cost::Costs;
use crate::model::metrics::{self, by_route, le};
use crate::model::{RouteId, Slo, System};
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Threshold, format_number};

/// Data series: one per availability/latency SLO, its error budget (`1 − objective`).
pub(super) const BUDGET: &str = "genops:slo_error_budget";
/// Data series: one per groundedness, harmful-rate and cost SLO, its threshold.
pub(super) const THRESHOLD: &str = "genops:slo_threshold";
/// Data series: one per latency SLO, the share of a slice's requests allowed to be slow
/// (`1 − percentile/100`).
pub(super) const SLOW_ALLOWED: &str = "genops:slo_latency_slow_share_allowed";
/// Data series: one per route that dedicated capacity serves, the hourly cost falling on it
/// ([`Costs::dedicated_per_hour`]); LiteLLM reports such a route's spend as 0.
pub(super) const DEDICATED: &str = "genops:route_dedicated_cost_per_hour";
/// Recording rule: per route and latency threshold, the share of requests of the last 5
/// minutes that got no answer within the threshold (one slice, computed every minute).
const SLOW_SHARE: &str = "genops:latency_slow_per_request:ratio_rate5m";
/// Recording rule: per latency SLO, 1 when its last 5-minute slice was bad, else 0.
const SLICE_BAD: &str = "genops:latency_slice_bad";

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

/// The SLI a burn-rate alert reads over `window`: per route the share of requests that got no
/// good answer (availability), per latency SLO the share of bad 5-minute slices.
fn ratio_record(sli: Sli, window: Duration) -> String {
    match sli {
        Sli::Latency => format!("genops:latency_slices_bad:ratio_avg{}", prom_duration(window)),
        _ => format!("genops:availability_errors_per_request:ratio_rate{}", prom_duration(window)),
    }
}

/// Every window the burn-rate alerts read, shortest first.
fn ratio_windows() -> Vec<Duration> {
    let mut windows: Vec<Duration> = burn_windows().iter().flat_map(|w| [w.short, w.long]).collect();
    windows.sort();
    windows.dedup();
    windows
}

/// Requests the proxy answered per route over a window, as `fun` (`rate`, `increase`) of them.
pub(super) fn requests_by_route(fun: &str, window: &str) -> String {
    format!("sum by (route) ({})", by_route(&format!("{fun}({}[{window}])", metrics::REQUESTS)))
}

/// The availability SLI of every route over a window: requests that got no good answer
/// ([`metrics::availability_bad_selectors`]) ÷ every request answered.
fn availability_expr(window: Duration) -> String {
    let w = prom_duration(window);
    let [rest, model_429] = metrics::availability_bad_selectors("");
    format!(
        "sum by (route) ({}) / {}",
        by_route(&format!("rate({rest}[{w}]) or rate({model_429}[{w}])")),
        requests_by_route("rate", &w)
    )
}

/// The slow share of every route and latency threshold over the last 5 minutes: 1 − the
/// requests answered within the threshold (`les`, matched exactly: `8\.0`, an unescaped `.`
/// would match other buckets) ÷ every request answered, failures included (the histogram holds
/// successes only, so a failed or timed-out request is slow). A route with traffic and no
/// latency series at all (nothing succeeded since the proxy started) is wholly slow.
fn slow_share_expr(les: &[String]) -> String {
    let total = requests_by_route("rate", "5m");
    format!(
        "(1 - sum by (route, le) ({good}) / on(route) group_left {total}) or on(route, le) (max by (route, le) ({SLOW_ALLOWED}) * 0 + 1 and on(route) ({total} > 0))",
        good = by_route(&format!(
            "rate({}_bucket{{le=~{}}}[5m])",
            metrics::LATENCY,
            pq(&les.iter().map(|l| l.replace('.', "\\.")).collect::<Vec<_>>().join("|"))
        )),
    )
}

/// The labels of an SLO's data series (and so of its alerts).
/// `windowed`: the SLO's alerts follow its window (burn rates and the harmful rate).
pub(super) fn data_labels(system: &System, slo: &Slo, runbook: &str, windowed: bool) -> Map<String, Value> {
    let route = system.route(slo.route).name.as_str();
    let mut labels = Map::new();
    labels.insert("slo".into(), json!(slo.name.as_str()));
    labels.insert("route".into(), json!(route));
    labels.insert("sli".into(), json!(slo.sli.as_str()));
    if windowed {
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
                lit("Share of 5-minute slices in which more than "),
                lit(format_number(tidy(slow_share_allowed(alert.slo) * 100.0))),
                lit("% of the requests of route "),
                Part::Label("route"),
                lit(" got no answer within "),
                Part::Label("le"),
                lit("s"),
            ]
        }
        _ => vec![lit("Share of the requests of route "), Part::Label("route"), lit(" that got no good answer")],
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

/// The share of a latency SLO's requests allowed to be slow in a slice: `1 − percentile/100`.
pub(super) fn slow_share_allowed(slo: &Slo) -> f64 {
    tidy(1.0 - slo.percentile.unwrap_or(100.0) / 100.0)
}

/// The distinct latency thresholds of the latency SLOs that burn, as `le` labels, smallest first.
fn latency_les(system: &System, burn: &[BurnGroup]) -> Vec<String> {
    let mut les: Vec<(f64, String)> = burn
        .iter()
        .filter(|g| g.sli == Sli::Latency)
        .flat_map(|g| g.slos.iter())
        .filter_map(|&i| match system.slos[i].threshold {
            Some(Threshold::Duration(t)) => Some((t.seconds(), le(t.seconds()))),
            _ => None,
        })
        .collect();
    les.sort_by(|a, b| a.0.total_cmp(&b.0));
    les.dedup_by(|a, b| a.1 == b.1);
    les.into_iter().map(|(_, l)| l).collect()
}

fn data_series(s: &mut Seq, record: &str, value: f64, labels: Map<String, Value>) {
    s.json(&object([
        ("record", Value::from(record)),
        ("expr", Value::from(format!("vector({})", ratio(value)))),
        ("labels", Value::Object(labels)),
    ]));
}

fn burn_rules(s: &mut Seq, system: &System, slo_alerts: &[Vec<SloAlert>], burn: &[BurnGroup]) {
    // The data first: the latency rules below read the allowed slow shares in the same evaluation.
    for group in burn {
        for &i in &group.slos {
            let slo = &system.slos[i];
            let labels = data_labels(system, slo, &slo_alerts[i][0].runbook, true);
            data_series(s, BUDGET, 1.0 - slo.objective.unwrap_or(0.0), labels.clone());
            if slo.sli == Sli::Latency {
                data_series(s, SLOW_ALLOWED, slow_share_allowed(slo), labels);
            }
        }
    }
    if burn.iter().any(|g| g.sli == Sli::Availability) {
        for w in ratio_windows() {
            s.json(&json!({ "record": ratio_record(Sli::Availability, w), "expr": availability_expr(w) }));
        }
    }
    if burn.iter().any(|g| g.sli == Sli::Latency) {
        s.json(&json!({ "record": SLOW_SHARE, "expr": slow_share_expr(&latency_les(system, burn)) }));
        s.json(&json!({
            "record": SLICE_BAD,
            "expr": format!("{SLOW_SHARE} > bool on(route, le) group_right {SLOW_ALLOWED}"),
        }));
        for w in ratio_windows() {
            s.json(&json!({
                "record": ratio_record(Sli::Latency, w),
                "expr": format!("avg_over_time({SLICE_BAD}[{}])", prom_duration(w)),
            }));
        }
    }
    for group in burn {
        let budget = format!("{BUDGET}{{sli={},slo_window={}}}", pq(group.sli.as_str()), pq(&group.window.to_string()));
        // Availability is per route, joined to each SLO of the route; the latency slices are
        // per SLO already.
        let join = if group.sli == Sli::Latency { "on(slo) group_left" } else { "on(route) group_right" };
        for alert in &slo_alerts[group.slos[0]] {
            let burn = ratio(alert.burn);
            s.json(&json!({
                "alert": alert.prometheus_rule(),
                "expr": format!(
                    "({long} / {join} {budget}) > {burn} and ({short} / {join} {budget}) > {burn}",
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
/// into the catalogue's threshold alerts). Harmful-rate SLOs share one rule per SLO window:
/// the burn factor follows the window.
pub(super) fn shared_threshold_rules(system: &System, alerts: &[ThresholdAlert]) -> Vec<usize> {
    let mut seen: Vec<(String, Option<Duration>)> = Vec::new();
    let mut out = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        let key = (a.prometheus_rule(), harmful_window(system, a));
        if !seen.contains(&key) {
            seen.push(key);
            out.push(i);
        }
    }
    out
}

/// The SLO window of a harmful-rate SLO's alert.
pub(super) fn harmful_window(system: &System, alert: &ThresholdAlert) -> Option<Duration> {
    match (&alert.watch, alert.slo_index) {
        (Watch::HarmfulRate { .. }, Some(i)) => Some(system.slos[i].window),
        _ => None,
    }
}

/// The page window and burn factor of a harmful-rate SLO over `window`: its fastest page window
/// ([`burn_factors`]). The threshold is the SLO's error budget (the share of answers that may be
/// harmful over the window): an hour pages only when it alone spends that window's page share of
/// the budget (2% of a 30-day budget, 8% of a 7-day one), never on one hour just over the
/// threshold.
pub(super) fn harmful_burn(window: Duration) -> Option<(&'static BurnWindow, f64)> {
    burn_factors(window).into_iter().find(|(w, _)| w.severity == Severity::Page)
}

/// A harmful-rate alert's SLO window, page window and burn factor.
pub(super) fn harmful_plan(system: &System, alert: &ThresholdAlert) -> (Duration, &'static BurnWindow, f64) {
    let window = harmful_window(system, alert).unwrap_or(Duration::from_millis(30 * 86_400_000));
    let (w, burn) = harmful_burn(window).unwrap_or((&burn_windows()[0], 1.0));
    (window, w, burn)
}

pub(super) fn is_slo_kind(watch: &Watch) -> bool {
    matches!(watch, Watch::Groundedness { .. } | Watch::HarmfulRate { .. } | Watch::CostPerQuery { .. })
}

/// Alerts on counted events: they fire on the evaluation that sees the events, with no `for`.
pub(super) fn is_event(watch: &Watch) -> bool {
    matches!(watch, Watch::InjectionAttempts { .. } | Watch::AuditAnomalies { .. })
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

/// Per route, the share of answers flagged harmful over a window.
fn harmful_share(window: Duration) -> String {
    let w = prom_duration(window);
    format!("sum by (route) (increase({}[{w}])) / {}", metrics::HARMFUL, requests_by_route("increase", &w))
}

/// The events counted in the last 5 minutes, every one of them: `increase()` would miss the
/// first sample of a new series (a counter that appears at 1 has no earlier sample to rise
/// from), so a series that did not exist 5 minutes ago counts with its whole value.
fn events_in_5m(metric: &str) -> String {
    format!("sum(clamp_min({metric} - {metric} offset 5m, 0) or ({metric} unless {metric} offset 5m))")
}

fn threshold_expr(system: &System, alert: &ThresholdAlert) -> String {
    let (f, l, s) = (metrics::FAILED, metrics::LATENCY, metrics::SPEND);
    match &alert.watch {
        Watch::Groundedness { .. } => format!(
            "{THRESHOLD}{{sli=\"groundedness\"}} > on(route) group_left() (sum by (route) (increase({g}_sum[1h])) / sum by (route) (increase({g}_count[1h])))",
            g = metrics::GROUNDEDNESS
        ),
        Watch::HarmfulRate { .. } => {
            let (window, w, burn) = harmful_plan(system, alert);
            let threshold = format!("{THRESHOLD}{{sli=\"harmful_rate\",slo_window={}}}", pq(&window.to_string()));
            format!(
                "({long} / on(route) group_right {threshold}) > {b} and ({short} / on(route) group_right {threshold}) > {b}",
                long = harmful_share(w.long),
                short = harmful_share(w.short),
                b = ratio(burn),
            )
        }
        Watch::CostPerQuery { .. } => format!(
            "{THRESHOLD}{{sli=\"cost_per_query\"}} < on(route) group_left() (((sum by (route) ({spend}) + on(route) {DEDICATED}) or on(route) sum by (route) ({spend}) or on(route) {DEDICATED}) / {requests})",
            spend = by_route(&format!("increase({s}[1h])")),
            requests = requests_by_route("increase", "1h"),
        ),
        // A timed-out request is not in the histogram (successes only): more than 5% of the
        // requests timing out puts the p95 at the timeout, so it fires too.
        Watch::SlowRoute { max, .. } => format!(
            "histogram_quantile(0.95, sum by (route, le) ({})) > {} or sum by (route) ({}) / {} > 0.05",
            by_route(&format!("rate({l}_bucket[5m])")),
            ratio(max.seconds()),
            by_route(&format!("rate({f}{{exception_status=\"408\"}}[5m])")),
            requests_by_route("rate", "5m"),
        ),
        Watch::FailingRoute { max, .. } => format!(
            "sum by (route) ({}) / {} > {}",
            by_route(&format!("rate({f}[5m])")),
            requests_by_route("rate", "5m"),
            ratio(*max)
        ),
        Watch::EvalScore { min, .. } => {
            format!("min by (evaluation) ({}) < {}", metrics::EVAL_SCORE, ratio(*min))
        }
        Watch::InjectionAttempts { min } => format!("{} >= {}", events_in_5m(metrics::INJECTION), ratio(*min)),
        Watch::AuditAnomalies { min } => format!("{} >= {}", events_in_5m(metrics::AUDIT_ANOMALIES), ratio(*min)),
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

/// Whether a threshold SLO's alert follows its SLO window (its data series says which).
pub(super) fn is_windowed(watch: &Watch) -> bool {
    matches!(watch, Watch::HarmfulRate { .. })
}

/// The labels of an alert instance of `alert` as promtool sees it.
pub(super) fn threshold_instance_labels(system: &System, alert: &ThresholdAlert) -> Map<String, Value> {
    let mut labels = threshold_rule_labels(alert);
    match (&alert.watch, alert.slo_index) {
        (w, Some(i)) if is_slo_kind(w) => {
            labels.extend(data_labels(system, &system.slos[i], &alert.runbook, is_windowed(w)));
        }
        (Watch::SlowRoute { route, .. } | Watch::FailingRoute { route, .. }, _) => {
            labels.insert("route".into(), json!(route));
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
            let (window, w, _) = harmful_plan(system, alert);
            vec![
                lit("route "),
                Part::Label("route"),
                lit(": harmful answers at "),
                Part::Value(Fmt::Humanize),
                lit(format!("x the {window} SLO's ceiling over both {} and {} (SLO ", w.long, w.short)),
                Part::Label("slo"),
                lit(")"),
            ]
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
        data_series(
            s,
            THRESHOLD,
            threshold_value(&a.watch),
            data_labels(system, slo, &a.runbook, is_windowed(&a.watch)),
        );
    }
    if alerts.iter().any(|a| matches!(a.watch, Watch::CostPerQuery { .. })) {
        for (route, hourly) in dedicated_costs(system) {
            let mut labels = Map::new();
            labels.insert("route".into(), json!(route));
            data_series(s, DEDICATED, hourly, labels);
        }
    }
    for &i in shared {
        let a = &alerts[i];
        let mut rule = Map::new();
        rule.insert("alert".into(), json!(a.prometheus_rule()));
        rule.insert("expr".into(), json!(threshold_expr(system, a)));
        // Event alerts fire on the evaluation that counts the events (a `for` longer than their
        // 5-minute count would outlast a single event); harmful-rate alerts hold through their
        // two windows.
        if !is_event(&a.watch) && !matches!(a.watch, Watch::HarmfulRate { .. }) {
            rule.insert("for".into(), json!(prom_duration(a.hold)));
        }
        let mut labels = threshold_rule_labels(a);
        if let Some(window) = harmful_window(system, a) {
            labels.insert("slo_window".into(), json!(window.to_string()));
        }
        rule.insert("labels".into(), Value::Object(template_labels(&labels)));
        rule.insert("annotations".into(), Value::Object(templates(&threshold_annotations(system, a))));
        s.json(&Value::Object(rule));
    }
}

/// The routes dedicated capacity serves and the hourly cost that falls on each, in route order.
pub(super) fn dedicated_costs(system: &System) -> Vec<(&str, f64)> {
    let costs = Costs::new(system);
    (0..system.routes.len())
        .map(|r| (system.routes[r].name.as_str(), tidy(costs.dedicated_per_hour(RouteId(r)))))
        .filter(|(_, hourly)| *hourly > 0.0)
        .collect()
}

/// The no-data alert: how long a route's request series may be absent before it tickets.
pub(super) const ABSENT_FOR: &str = "30m";
pub(super) const ABSENT_RULE: &str = "SliMetricsAbsent";
/// The runbooks' index of every alarm: no SLO or incident runbook owns a missing exporter.
const ABSENT_RUNBOOK: &str = "runbooks/README.md#alarms-and-runbooks";

/// Routes that have an SLO read from LiteLLM's metrics (availability, latency, cost per query),
/// once each, without a request series: the exporter is not scraped, the `prometheus` callback
/// is off, or the route had no request since the proxy started. One rule for every route: the
/// SLO data series say which routes must have traffic.
fn absent_expr() -> String {
    format!(
        "(group by (route) ({BUDGET}) or group by (route) ({THRESHOLD}{{sli=\"cost_per_query\"}})) unless on(route) group by (route) ({})",
        by_route(metrics::REQUESTS)
    )
}

pub(super) fn absent_annotations() -> Vec<(&'static str, Vec<Part>)> {
    vec![
        (
            "summary",
            vec![
                lit("route "),
                Part::Label("route"),
                lit(format!(": no LiteLLM request series for {ABSENT_FOR}, its SLO alerts cannot fire")),
            ],
        ),
        (
            "description",
            vec![lit(format!(
                "{} has no series for this route: check that Prometheus scrapes the LiteLLM proxy's /metrics, that litellm_settings.callbacks holds \"prometheus\", and whether the route had any request since the proxy started.",
                metrics::REQUESTS
            ))],
        ),
    ]
}

pub(super) fn absent_labels() -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert("severity".into(), json!("ticket"));
    labels.insert("runbook_url".into(), json!(ABSENT_RUNBOOK));
    labels
}

/// Whether the system has an SLO read from LiteLLM's metrics.
pub(super) fn has_litellm_slo(system: &System) -> bool {
    system.slos.iter().any(|s| matches!(s.sli, Sli::Availability | Sli::Latency | Sli::CostPerQuery))
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
    if has_litellm_slo(system) {
        s.map(|m| {
            m.str("name", &format!("genops-{}-metrics-present", system.name));
            m.str("interval", "1m");
            m.seq("rules", |s| {
                s.json(&json!({
                    "alert": ABSENT_RULE,
                    "expr": absent_expr(),
                    "for": ABSENT_FOR,
                    "labels": template_labels(&absent_labels()),
                    "annotations": templates(&absent_annotations()),
                }))
            });
        });
    }
}
