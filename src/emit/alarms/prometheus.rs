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

use serde_json::{Map, Value, json};

use super::metrics::{self, le};
use super::{SloAlert, ThresholdAlert, Watch, burn_windows};
use crate::conventions::HEADER;
use crate::emit::Artifact;
use crate::emit::derived::Derived;
use crate::emit::yaml::{self, object};
use crate::model::{Slo, System};
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Threshold, format_number};

/// Requests a minute in the synthetic test traffic.
const TEST_RPM: f64 = 600.0;
/// Data series: one per availability/latency SLO, its error budget (`1 − objective`).
const BUDGET: &str = "genops:slo_error_budget";
/// Data series: one per groundedness, harmful-rate and cost SLO, its threshold.
const THRESHOLD: &str = "genops:slo_threshold";
/// Minutes of quiet traffic before a burn starts in the tests. promtool evaluates every rule
/// (one per SLO) every minute of every test, so the tests are kept short: a constant ratio is
/// the same over any window, and the crossing minute is computed for the real windows.
const BEFORE: u32 = 60;

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
    let burn = burn_groups(system, slo_alerts);
    let shared = shared_threshold_rules(threshold_alerts);
    let rules_file = format!("{}.rules.yaml", system.name);
    let header = format!(
        "{HEADER}\nPrometheus rules of {}: SLI ratios, SLO data series, shared SLO burn-rate alerts and incident alerts",
        system.name
    );
    let test_header = format!("{HEADER}\npromtool unit tests: `promtool test rules {}.rules.test.yaml`", system.name);
    // Each document becomes text and is let go before the next is made: for a large system
    // each is a tree of tens of megabytes.
    let rules = {
        let groups = groups(system, slo_alerts, &burn, threshold_alerts, &shared);
        yaml::to_string(|y| {
            y.comment(&header);
            y.document(|m| m.seq("groups", |s| groups.iter().for_each(|g| s.json(g))));
        })
    };
    let tests = {
        let tests = tests(system, slo_alerts, &burn, threshold_alerts, &shared);
        yaml::to_string(|y| {
            y.comment(&test_header);
            y.document(|m| {
                m.seq("rule_files", |s| s.str(&rules_file));
                m.str("evaluation_interval", "1m");
                m.seq("tests", |s| tests.iter().for_each(|t| s.json(t)));
            });
        })
    };
    vec![
        Artifact { path: rules_path(system), contents: rules },
        Artifact { path: format!("alarms/prometheus/{}.rules.test.yaml", system.name), contents: tests },
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

/// A PromQL string literal (also the label-value syntax of promtool's series notation).
fn pq(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Templates: annotation (and alert label) text, written once, rendered two ways.

/// How `$value` is printed.
#[derive(Clone, Copy)]
enum Fmt {
    /// `{{ $value }}`: Go's `%v`.
    Plain,
    /// `{{ $value | humanize }}`.
    Humanize,
    /// `{{ $value | humanizePercentage }}`.
    Percent,
}

/// A piece of an annotation: text, a label of the alert, or its value.
enum Part {
    Lit(String),
    Label(&'static str),
    Value(Fmt),
}

fn lit(s: impl Into<String>) -> Part {
    Part::Lit(s.into())
}

/// The Prometheus template. Literal text is escaped: every `{` becomes the action `{{ "{" }}`,
/// so a spec string holding `{{ … }}` prints as itself instead of running as template code.
fn template(parts: &[Part]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Lit(s) => {
                for c in s.chars() {
                    if c == '{' { out.push_str("{{ \"{\" }}") } else { out.push(c) }
                }
            }
            Part::Label(l) => out.push_str(&format!("{{{{ $labels.{l} }}}}")),
            Part::Value(Fmt::Plain) => out.push_str("{{ $value }}"),
            Part::Value(Fmt::Humanize) => out.push_str("{{ $value | humanize }}"),
            Part::Value(Fmt::Percent) => out.push_str("{{ $value | humanizePercentage }}"),
        }
    }
    out
}

/// The text Prometheus renders from [`template`] for an alert with these labels and value.
fn render(parts: &[Part], labels: &Map<String, Value>, value: f64) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Lit(s) => out.push_str(s),
            Part::Label(l) => out.push_str(labels.get(*l).and_then(Value::as_str).unwrap_or_default()),
            Part::Value(Fmt::Plain) => out.push_str(&go_float(value)),
            Part::Value(Fmt::Humanize) => out.push_str(&humanize(value)),
            Part::Value(Fmt::Percent) => out.push_str(&format!("{}%", go_g4(value * 100.0))),
        }
    }
    out
}

/// Go's `%v` of a float64: shortest digits, exponent form below 1e-4 and from 1e6 on.
fn go_float(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let e = format!("{v:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) { go_exponent(mantissa, exp) } else { format!("{v}") }
}

fn go_exponent(mantissa: &str, exp: i32) -> String {
    format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// Go's `%.4g`.
fn go_g4(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let e = format!("{v:.3e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: String| -> String {
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
    };
    if !(-4..4).contains(&exp) {
        return go_exponent(&trim(mantissa.to_string()), exp);
    }
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let fixed = if exp >= 0 {
        let point = exp as usize + 1;
        format!("{}.{}", &digits[..point], &digits[point..])
    } else {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    };
    format!("{}{}", if negative { "-" } else { "" }, trim(fixed))
}

/// Prometheus's `humanize`: 4 significant digits with an SI prefix.
fn humanize(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return go_g4(v);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", go_g4(v))
}

fn templates(parts: &[(&str, Vec<Part>)]) -> Map<String, Value> {
    parts.iter().map(|(k, p)| (k.to_string(), json!(template(p)))).collect()
}

fn rendered(parts: &[(&str, Vec<Part>)], labels: &Map<String, Value>, value: f64) -> Map<String, Value> {
    parts.iter().map(|(k, p)| (k.to_string(), json!(render(p, labels, value)))).collect()
}

// ---------------------------------------------------------------------------------------------
// Burn-rate SLOs.

/// Availability or latency SLOs that share alerting rules: one SLI kind and one SLO window
/// (the burn factors follow the SLO window). `slos` index `system.slos`.
struct BurnGroup {
    sli: Sli,
    window: Duration,
    slos: Vec<usize>,
}

fn burn_groups(system: &System, slo_alerts: &[Vec<SloAlert>]) -> Vec<BurnGroup> {
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
fn slo_le(slo: &Slo) -> Option<String> {
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
fn data_labels(system: &System, slo: &Slo, runbook: &str, burn: bool) -> Map<String, Value> {
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
fn burn_rule(group: &BurnGroup, slo_alerts: &[Vec<SloAlert>], j: usize) -> String {
    slo_alerts[group.slos[0]][j].prometheus_rule()
}

fn burn_annotations(alert: &SloAlert) -> Vec<(&'static str, Vec<Part>)> {
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
fn burn_rule_labels(alert: &SloAlert) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert("severity".into(), json!(alert.window.severity.as_str()));
    labels.insert("window".into(), json!(alert.window.name));
    labels.insert("slo_window".into(), json!(alert.slo.window.to_string()));
    labels
}

fn burn_rules(system: &System, slo_alerts: &[Vec<SloAlert>], burn: &[BurnGroup]) -> Vec<Value> {
    let mut rules = Vec::new();
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
            rules.push(json!({ "record": ratio_record(sli, w), "expr": ratio_expr(sli, w, &les) }));
        }
    }
    for group in burn {
        for &i in &group.slos {
            let slo = &system.slos[i];
            let alert = &slo_alerts[i][0];
            rules.push(object([
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
            rules.push(json!({
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
    rules
}

/// Static alert-rule labels: Prometheus expands them as templates too.
fn template_labels(labels: &Map<String, Value>) -> Map<String, Value> {
    labels.iter().map(|(k, v)| (k.clone(), json!(template(&[lit(v.as_str().unwrap_or_default())])))).collect()
}

// ---------------------------------------------------------------------------------------------
// Threshold SLOs and incidents.

/// The alerts that get a rule of their own: the first of each shared Prometheus rule (indexes
/// into the catalogue's threshold alerts).
fn shared_threshold_rules(alerts: &[ThresholdAlert]) -> Vec<usize> {
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

fn is_slo_kind(watch: &Watch) -> bool {
    matches!(watch, Watch::Groundedness { .. } | Watch::HarmfulRate { .. } | Watch::CostPerQuery { .. })
}

fn threshold_value(watch: &Watch) -> f64 {
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
fn threshold_instance_labels(system: &System, alert: &ThresholdAlert) -> Map<String, Value> {
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

fn threshold_annotations(system: &System, alert: &ThresholdAlert) -> Vec<(&'static str, Vec<Part>)> {
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

fn threshold_rules(system: &System, alerts: &[ThresholdAlert], shared: &[usize]) -> Vec<Value> {
    let mut rules = Vec::new();
    for a in alerts.iter().filter(|a| is_slo_kind(&a.watch)) {
        let slo = &system.slos[a.slo_index.unwrap_or_default()];
        rules.push(object([
            ("record", Value::from(THRESHOLD)),
            ("expr", Value::from(format!("vector({})", ratio(threshold_value(&a.watch))))),
            ("labels", Value::Object(data_labels(system, slo, &a.runbook, false))),
        ]));
    }
    for &i in shared {
        let a = &alerts[i];
        rules.push(json!({
            "alert": a.prometheus_rule(),
            "expr": threshold_expr(a),
            "for": prom_duration(a.hold),
            "labels": template_labels(&threshold_rule_labels(a)),
            "annotations": templates(&threshold_annotations(system, a)),
        }));
    }
    rules
}

fn groups(
    system: &System,
    slo_alerts: &[Vec<SloAlert>],
    burn: &[BurnGroup],
    threshold_alerts: &[ThresholdAlert],
    shared: &[usize],
) -> Vec<Value> {
    let mut groups = Vec::new();
    if !burn.is_empty() {
        groups.push(object([
            ("name", Value::from(format!("genops-{}-slo-burn-rates", system.name))),
            ("interval", Value::from("1m")),
            ("rules", Value::Array(burn_rules(system, slo_alerts, burn))),
        ]));
    }
    if !threshold_alerts.is_empty() {
        groups.push(object([
            ("name", Value::from(format!("genops-{}-thresholds-and-incidents", system.name))),
            ("interval", Value::from("1m")),
            ("rules", Value::Array(threshold_rules(system, threshold_alerts, shared))),
        ]));
    }
    groups
}

// ---------------------------------------------------------------------------------------------
// promtool tests.

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

fn burn_tests(system: &System, slo_alerts: &[Vec<SloAlert>], burn: &[BurnGroup]) -> Vec<Value> {
    let mut out = Vec::new();
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
        out.push(json!({
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
            out.push(json!({
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
    out
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

fn tests(
    system: &System,
    slo_alerts: &[Vec<SloAlert>],
    burn: &[BurnGroup],
    threshold_alerts: &[ThresholdAlert],
    shared: &[usize],
) -> Vec<Value> {
    let mut out = Vec::new();
    out.extend(data_tests(system, slo_alerts, threshold_alerts));
    out.extend(burn_tests(system, slo_alerts, burn));
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
        out.push(json!({
            "name": format!("{name}{via}: quiet when healthy"),
            "interval": "1m",
            "input_series": healthy,
            "alert_rule_test": [{ "eval_time": at, "alertname": name, "exp_alerts": threshold_expected(system, threshold_alerts, alert, calm).into_iter().filter(|_| is_slo_kind(&alert.watch)).collect::<Vec<_>>() }],
        }));
        out.push(json!({
            "name": format!("{name}{via}: fires when breached"),
            "interval": "1m",
            "input_series": breaching,
            "alert_rule_test": [
                { "eval_time": at, "alertname": name, "exp_alerts": threshold_expected(system, threshold_alerts, alert, bad) },
            ],
        }));
    }
    out
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

    #[test]
    fn ratios_have_no_float_noise() {
        assert_eq!(ratio(14.4 * 0.001), "0.0144");
        assert_eq!(ratio(0.00001), "0.00001");
    }

    #[test]
    fn spec_text_never_becomes_template_code() {
        let parts = [lit("a {{ .x }} b {"), Part::Label("slo"), lit("}}")];
        assert_eq!(template(&parts), "a {{ \"{\" }}{{ \"{\" }} .x }} b {{ \"{\" }}{{ $labels.slo }}}}");
        let mut labels = Map::new();
        labels.insert("slo".into(), json!("s"));
        assert_eq!(render(&parts, &labels, 0.0), "a {{ .x }} b {s}}");
    }

    #[test]
    fn values_print_like_go_templates() {
        assert_eq!(humanize(20.416666), "20.42");
        assert_eq!(humanize(14.4), "14.4");
        assert_eq!(humanize(50.0), "50");
        assert_eq!(humanize(1234.5), "1.234k");
        assert_eq!(humanize(0.25), "250m");
        assert_eq!(go_g4(0.1), "0.1");
        assert_eq!(go_g4(123456.0), "1.235e+05");
        assert_eq!(go_float(0.9), "0.9");
        assert_eq!(go_float(0.0015), "0.0015");
        assert_eq!(go_float(0.00001), "1e-05");
    }

    #[test]
    fn promql_strings_are_escaped() {
        assert_eq!(pq("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
