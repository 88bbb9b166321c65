//! The promtool unit tests: `alarms/prometheus/<system>.rules.test.yaml`.
//!
//! In: the SLOs, the alarm catalogue and the rules made of them. Out: the `tests` of a promtool
//! test file, fed with synthetic traffic shaped like LiteLLM's (successes labelled with the
//! group that served them, `<route>--via-test`, failures with the route's own group; failures
//! the caller caused mixed in and never counted). Per shared burn-rate rule, through a
//! representative SLO, each with the history its windows need: healthy traffic fires nothing;
//! a burn just under the factor stays quiet; a spike that fills the short window but not the
//! long one stays quiet; a burn fires in the computed minute, not the one before, with exactly
//! the labels and annotations on-call will see; the fast alert clears within its short window
//! of recovery. Per threshold and incident rule, healthy input is quiet and breaching input
//! fires; event alerts fire on one event, on a burst and on a series born counting; the no-data
//! alert fires when the request series is missing. Per SLO, its data series holds the value the
//! spec implies.
//!
//! The expectations come from [`Traffic`], a model of what the rules compute minute by minute
//! (rates over windows that include both ends, as promtool 2.42 reads them).

use serde_json::{Map, Value, json};

use super::format::{pq, ratio, rendered};
use super::rules::{
    ABSENT_FOR, ABSENT_RULE, BUDGET, BurnGroup, DEDICATED, SLOW_ALLOWED, THRESHOLD, absent_annotations, absent_labels,
    burn_annotations, burn_rule, burn_rule_labels, data_labels, dedicated_costs, harmful_plan, has_litellm_slo,
    is_event, is_slo_kind, is_windowed, slo_le, slow_share_allowed, threshold_annotations, threshold_instance_labels,
    threshold_value,
};
use crate::emit::yaml::{Seq, object};
use crate::model::alerts::{SloAlert, ThresholdAlert, Watch};
use crate::model::metrics::{self, le};
use crate::model::{Slo, System};
use crate::spec::slos::Sli;
use crate::spec::units::Duration;

/// Requests a minute in the synthetic test traffic.
const TEST_RPM: f64 = 600.0;
/// Of those, requests the caller's fault (a wrong key, the proxy's own rate limit): never bad.
const CALLER_RPM: [(&str, &str, f64); 2] = [("401", "ProxyException", 20.0), ("429", "HTTPException", 10.0)];
/// The most a test makes bad: the caller's failures stay in every minute.
const MAX_BAD: f64 = 0.95;
/// How close to a threshold the model must be to trust its verdict over float rounding.
const MARGIN: f64 = 1e-6;

/// `a+bxn` counter notation for a counter growing at `rates[i].1` for `rates[i].0` minutes. A
/// counter that stays put is written `axn`: promtool's lexer reads `+0x4` as the hex number 4.
/// promtool expands `a+bxn` by adding `b` n times; each segment starts at or above the value
/// the previous one reached that way, or float noise would read as a counter reset to rate().
fn counter(segments: &[(u32, f64)]) -> String {
    let mut parts = Vec::new();
    // The last value as promtool holds it.
    let mut last: Option<f64> = None;
    for &(minutes, per_minute) in segments.iter().filter(|(m, _)| *m > 0) {
        let (start, n) = match last {
            None => (0.0, minutes),
            Some(v) => (v + per_minute, minutes - 1),
        };
        let mut text = ratio(start);
        let mut value: f64 = text.parse().unwrap_or(start);
        if last.is_some_and(|v| value < v) {
            text = format!("{start}");
            value = start;
        }
        parts.push(match (per_minute == 0.0, n) {
            (_, 0) => text,
            // `0xn` would be the hex number n
            (true, n) if value == 0.0 => vec!["0"; n as usize + 1].join(" "),
            (true, n) => format!("{text}x{n}"),
            (false, n) => format!("{text}+{}x{n}", ratio(per_minute)),
        });
        let step: f64 = ratio(per_minute).parse().unwrap_or(per_minute);
        for _ in 0..n {
            value += step;
        }
        last = Some(value);
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

/// Test traffic of one route: segments of `(minutes, bad share)` from minute 0 on. The bad
/// share is the share of the route's requests that got no good answer (availability) or no
/// answer within the threshold (latency).
struct Traffic {
    segments: Vec<(u32, f64)>,
}

impl Traffic {
    /// The bad share of the requests of minute `m` (those counted between minute m−1 and m).
    fn share(&self, m: u32) -> f64 {
        let mut end = 0;
        for &(len, share) in &self.segments {
            end += len;
            if m <= end {
                return share;
            }
        }
        self.segments.last().map_or(0.0, |s| s.1)
    }

    /// The mean bad share of the minutes in `len` minutes ending at `at`: a rate over
    /// `[at − len, at]`; windows reaching back past minute 0 start there (counters start at 0,
    /// so Prometheus does not extrapolate past it).
    fn mean(&self, at: u32, len: u32) -> f64 {
        let start = at.saturating_sub(len);
        if at == start {
            return 0.0;
        }
        (start + 1..=at).map(|m| self.share(m)).sum::<f64>() / (at - start) as f64
    }

    /// Whether the 5-minute slice ending at `t` is bad for a latency SLO allowing `allowed`.
    fn slice_bad(&self, t: u32, allowed: f64) -> f64 {
        if self.mean(t, 5) > allowed { 1.0 } else { 0.0 }
    }

    /// What a burn-rate alert reads over `len` minutes at `at`: the bad share (availability) or
    /// the share of bad slices, the samples of `[at − len, at]` from minute 1 on (latency).
    fn sli(&self, slo: &Slo, at: u32, len: u32) -> f64 {
        match slo.sli {
            Sli::Latency => {
                let from = at.saturating_sub(len).max(1);
                if at < from {
                    return 0.0;
                }
                let allowed = slow_share_allowed(slo);
                (from..=at).map(|t| self.slice_bad(t, allowed)).sum::<f64>() / (at - from + 1) as f64
            }
            _ => self.mean(at, len),
        }
    }

    /// Both windows' SLI over the alert's threshold, by at least `margin` (negative: within).
    fn over(&self, alert: &SloAlert, at: u32, margin: f64) -> bool {
        let t = alert.threshold * (1.0 + margin);
        self.sli(alert.slo, at, in_minutes(alert.window.long)) > t
            && self.sli(alert.slo, at, in_minutes(alert.window.short)) > t
    }

    /// The model's verdict at `at`, or None when float rounding could decide it.
    fn fires(&self, alert: &SloAlert, at: u32) -> Option<bool> {
        match (self.over(alert, at, MARGIN), self.over(alert, at, -MARGIN)) {
            (true, _) => Some(true),
            (false, false) => Some(false),
            _ => None,
        }
    }
}

/// The route's request series for `traffic`: caller failures, and the bad requests on the
/// route's own group; successes half on the route's group and half on another group of the
/// route (`<route>--via-test`, as a tier or fallback would serve them). `les`: the latency
/// thresholds the traffic is about (the latency tests) with, for each, whether it is the one
/// the bad share applies to; the others see every request good. `lean`: one series per metric
/// on the route's own group and no caller failures, for the tests of day-long windows (promtool
/// reads every sample of every series in every window at every minute; the short tests prove
/// the attribution).
fn route_series(route: &str, traffic: &Traffic, latency: Option<(&str, &[String])>, lean: bool) -> Vec<Value> {
    let own = pq(route);
    let via = pq(&format!("{route}--via-test"));
    let caller: f64 = if lean { 0.0 } else { CALLER_RPM.iter().map(|c| c.2).sum() };
    let per = |f: &dyn Fn(f64) -> f64| -> String {
        counter(&traffic.segments.iter().map(|&(m, share)| (m, f(share))).collect::<Vec<_>>())
    };
    let bad = |share: f64| share.min(MAX_BAD) * TEST_RPM;
    let mut out = Vec::new();
    match latency {
        None if lean => {
            out.push(series(metrics::REQUESTS, &format!("requested_model={own}"), per(&|_| TEST_RPM)));
            out.push(series(
                metrics::FAILED,
                &format!("requested_model={own},exception_status=\"None\",exception_class=\"RouterRateLimitError\""),
                per(&bad),
            ));
        }
        None => {
            let good = |share: f64| TEST_RPM - caller - bad(share);
            out.push(series(
                metrics::REQUESTS,
                &format!("requested_model={own}"),
                per(&|s| bad(s) + caller + good(s) / 2.0),
            ));
            out.push(series(metrics::REQUESTS, &format!("requested_model={via}"), per(&|s| good(s) / 2.0)));
            for (status, class) in [("None", "RouterRateLimitError"), ("408", "Oci.Timeout")] {
                out.push(series(
                    metrics::FAILED,
                    &format!("requested_model={own},exception_status=\"{status}\",exception_class=\"{class}\""),
                    per(&|s| bad(s) / 2.0),
                ));
            }
            for (status, class, rpm) in CALLER_RPM {
                out.push(series(
                    metrics::FAILED,
                    &format!("requested_model={own},exception_status=\"{status}\",exception_class=\"{class}\""),
                    per(&|_| rpm),
                ));
            }
        }
        Some((slow_le, les)) if lean => {
            out.push(series(metrics::REQUESTS, &format!("requested_model={own}"), per(&|_| TEST_RPM)));
            for l in les {
                let values = if l == slow_le { per(&|s| TEST_RPM - bad(s)) } else { per(&|_| TEST_RPM) };
                out.push(series(
                    &format!("{}_bucket", metrics::LATENCY),
                    &format!("requested_model={own},le={}", pq(l)),
                    values,
                ));
            }
        }
        Some((slow_le, les)) => {
            // Half the slow requests time out (a failure, absent from the histogram), half
            // succeed late: both are slow.
            let good = |share: f64| TEST_RPM - bad(share);
            out.push(series(metrics::REQUESTS, &format!("requested_model={own}"), per(&|s| TEST_RPM - good(s) / 2.0)));
            out.push(series(metrics::REQUESTS, &format!("requested_model={via}"), per(&|s| good(s) / 2.0)));
            out.push(series(
                metrics::FAILED,
                &format!("requested_model={own},exception_status=\"408\",exception_class=\"Oci.Timeout\""),
                per(&|s| bad(s) / 2.0),
            ));
            for l in les {
                for group in [&own, &via] {
                    let values = if l == slow_le { per(&|s| good(s) / 2.0) } else { per(&|_| TEST_RPM / 2.0) };
                    out.push(series(
                        &format!("{}_bucket", metrics::LATENCY),
                        &format!("requested_model={group},le={}", pq(l)),
                        values,
                    ));
                }
            }
        }
    }
    out
}

/// The SLOs whose burn alerts the traffic of `rep` drives: same SLI, route and `le`; `rep`
/// first, whose windows the tests name.
fn driven(system: &System, slo_alerts: &[Vec<SloAlert>], rep: usize) -> Vec<usize> {
    let r = &system.slos[rep];
    let others = (0..system.slos.len()).filter(|&i| {
        let s = &system.slos[i];
        i != rep && !slo_alerts[i].is_empty() && s.sli == r.sli && s.route == r.route && slo_le(s) == slo_le(r)
    });
    std::iter::once(rep).chain(others).collect()
}

/// The alerts of the `j`th burn window that fire at minute `at`, as promtool must see them;
/// None when float rounding could decide one of them.
fn burn_expected(
    system: &System,
    slo_alerts: &[Vec<SloAlert>],
    slos: &[usize],
    j: usize,
    traffic: &Traffic,
    at: u32,
) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    let Some(window) = slos.first().and_then(|&r| slo_alerts[r].get(j)).map(|a| &a.window.name) else {
        return Some(out);
    };
    for &c in slos {
        // SLOs of another window have rules of the same name, whose windows may be numbered
        // otherwise (a short SLO window drops some).
        let Some(alert) = slo_alerts[c].iter().find(|a| &a.window.name == window) else { continue };
        if !traffic.fires(alert, at)? {
            continue;
        }
        let slo = &system.slos[c];
        let mut labels = data_labels(system, slo, &alert.runbook, true);
        labels.extend(burn_rule_labels(alert));
        let value = traffic.sli(slo, at, in_minutes(alert.window.long)) / (1.0 - slo.objective.unwrap_or(0.0));
        if near_rounding(value) {
            return None;
        }
        let annotations = rendered(&burn_annotations(alert), &labels, value);
        out.push(expected(labels, annotations));
    }
    Some(out)
}

/// Whether `humanize` (4 significant digits, SI prefixes by thousands) could print `v` either
/// way, float noise deciding: the test says nothing rather than guess.
fn near_rounding(v: f64) -> bool {
    let mut m = v.abs();
    while m >= 1000.0 {
        m /= 1000.0;
    }
    while m > 0.0 && m < 1.0 {
        m *= 1000.0;
    }
    if m == 0.0 {
        return false;
    }
    let x = m * 10f64.powi(3 - m.log10().floor() as i32);
    (x - x.floor() - 0.5).abs() < 1e-6
}

/// One burn test: `traffic` on the representative's route, alert `j` checked at each minute of
/// `at`; None when the model cannot say exactly what fires.
#[allow(clippy::too_many_arguments)]
fn burn_test(
    system: &System,
    slo_alerts: &[Vec<SloAlert>],
    group: &BurnGroup,
    slos: &[usize],
    name: String,
    traffic: &Traffic,
    j: usize,
    at: &[u32],
) -> Option<Value> {
    let rep = &system.slos[group.slos[0]];
    let route = system.route(rep.route).name.as_str();
    let les = latency_les_of_route(system, slo_alerts, rep);
    let rep_le = slo_le(rep);
    let lean = slo_alerts[group.slos[0]].get(j).is_some_and(|a| a.window.long.millis >= 86_400_000);
    let input = route_series(route, traffic, rep_le.as_deref().map(|l| (l, les.as_slice())), lean);
    let rule = burn_rule(group, slo_alerts, j);
    let mut checks = Vec::new();
    for &t in at {
        checks.push(json!({
            "eval_time": minutes(t),
            "alertname": rule,
            "exp_alerts": burn_expected(system, slo_alerts, slos, j, traffic, t)?,
        }));
    }
    Some(json!({ "name": name, "interval": "1m", "input_series": input, "alert_rule_test": checks }))
}

/// The latency thresholds of the burn-rate latency SLOs of `slo`'s route, as `le` labels.
fn latency_les_of_route(system: &System, slo_alerts: &[Vec<SloAlert>], slo: &Slo) -> Vec<String> {
    let mut les: Vec<String> = Vec::new();
    for (i, s) in system.slos.iter().enumerate() {
        if let (false, true, Some(l)) = (slo_alerts[i].is_empty(), s.route == slo.route, slo_le(s)) {
            if !les.contains(&l) {
                les.push(l);
            }
        }
    }
    les
}

fn burn_tests(s: &mut Seq, system: &System, slo_alerts: &[Vec<SloAlert>], burn: &[BurnGroup]) {
    for group in burn {
        let rep = group.slos[0];
        let slo = &system.slos[rep];
        let slos = driven(system, slo_alerts, rep);
        let budget = 1.0 - slo.objective.unwrap_or(0.0);
        let latency = slo.sli == Sli::Latency;
        let allowed = if latency { slow_share_allowed(slo) } else { 0.0 };
        let what = format!("{} SLOs over {} (via {})", group.sli.as_str(), group.window, slo.name);
        let mut emit = |test: Option<Value>| {
            if let Some(t) = test {
                s.json(&t);
            }
        };
        tickets_test(system, slo_alerts, group, &slos, &what, &mut emit);
        for (j, alert) in slo_alerts[rep].iter().enumerate() {
            if alert.window.severity != crate::model::alerts::Severity::Page {
                continue;
            }
            let rule = alert.prometheus_rule();
            let (long, short) = (in_minutes(alert.window.long), in_minutes(alert.window.short));
            let test = |name: String, traffic: &Traffic, at: &[u32]| {
                burn_test(system, slo_alerts, group, &slos, name, traffic, j, at)
            };
            // 1. A full long window just under the factor (latency: every slice just under the
            // percentile's allowance) is quiet; then a burn fires in the computed minute and not
            // the one before. Ten times the factor fills a tenth of the long window. (Tickets:
            // `tickets_test`.)
            let near = if latency { allowed * 0.9 } else { alert.threshold * 0.9 };
            let burning = if latency { MAX_BAD } else { (10.0 * alert.threshold).min(MAX_BAD) };
            let can_burn = if latency { burning > allowed } else { burning > alert.threshold * (1.0 + MARGIN) };
            let horizon = long + short + 10;
            let probe = Traffic { segments: vec![(long, near), (horizon + 1, burning)] };
            let first = (long + 1..=long + horizon).find(|&t| probe.fires(alert, t) == Some(true)).filter(|_| can_burn);
            let quiet = first.and_then(|f| (long..f).rev().find(|&t| probe.fires(alert, t) == Some(false)));
            let history = if latency {
                "every slice just under the percentile's allowance".to_string()
            } else {
                format!("a burn at 0.9x the {}x factor", ratio(alert.burn))
            };
            match (first, quiet) {
                (Some(first), Some(quiet)) => {
                    let how = if latency {
                        "every slice slow".to_string()
                    } else {
                        format!("a {}x burn", ratio(burning / budget))
                    };
                    let traffic = Traffic { segments: vec![(long, near), (first - long + 1, burning)] };
                    emit(test(
                        format!(
                            "{what}: {history} for {} is quiet; then {how} fires {rule} {} minutes in, not before",
                            alert.window.long,
                            first - long
                        ),
                        &traffic,
                        &if quiet == long { vec![long, first] } else { vec![long, quiet, first] },
                    ));
                }
                _ => emit(test(
                    format!("{what}: {history} for {} is quiet ({rule})", alert.window.long),
                    &Traffic { segments: vec![(long + 1, near)] },
                    &[long],
                )),
            }
            // 2. A spike that fills the short window and not the long one: quiet (pages: they
            // are what a spike must not wake anyone for).
            let normal = near / 9.0;
            let spike = if latency { MAX_BAD } else { (2.0 * alert.threshold).min(MAX_BAD) };
            let above = if latency { spike > allowed } else { spike > alert.threshold * (1.0 + MARGIN) };
            let spike_len = if latency {
                ((0.9 * alert.threshold * (long + 1) as f64).floor() as u32).saturating_sub(4)
            } else {
                (0.9 * alert.threshold * long as f64 / spike).floor() as u32
            };
            if above && spike_len >= 1 {
                let after = if latency { 4 } else { 0 };
                let traffic = Traffic { segments: vec![(long, normal), (spike_len, spike), (after + 1, normal)] };
                let end = long + spike_len + after;
                let short_over = traffic.sli(slo, end, short) > alert.threshold * (1.0 + MARGIN);
                let quiet_throughout = (long..=end + 1).all(|t| traffic.fires(alert, t) == Some(false));
                if short_over && quiet_throughout {
                    emit(test(
                        format!(
                            "{what}: a {spike_len}-minute spike over the {} window, under the {} window, stays quiet ({rule})",
                            alert.window.short, alert.window.long
                        ),
                        &traffic,
                        &[end],
                    ));
                }
            }
            // 3. The fast alert clears within its short window of recovery.
            if j == 0 {
                let burning = if latency { MAX_BAD } else { (50.0 * budget).max(4.0 * alert.threshold).min(MAX_BAD) };
                let probe = Traffic { segments: vec![(long, normal), (horizon + 1, burning)] };
                let Some(fired) = (long + 1..=long + horizon).find(|&t| probe.fires(alert, t) == Some(true)) else {
                    continue;
                };
                let recovery = fired + 1;
                let traffic = Traffic { segments: vec![(long, normal), (recovery - long, burning), (short + 10, 0.0)] };
                let Some(cleared) =
                    (recovery + 1..=recovery + short + 10).find(|&t| traffic.fires(alert, t) == Some(false))
                else {
                    continue;
                };
                let traffic = Traffic {
                    segments: vec![(long, normal), (recovery - long, burning), (cleared - recovery + 1, 0.0)],
                };
                emit(test(
                    format!(
                        "{what}: {rule} clears {} minutes after recovery (short window {})",
                        cleared - recovery,
                        alert.window.short
                    ),
                    &traffic,
                    &[recovery, cleared],
                ));
            }
        }
    }
}

/// The ticket windows of a group in one test, as their days of history make each test costly:
/// the longest ticket window's whole long window just under the lowest ticket factor is quiet;
/// then ten times that factor fires each ticket in its computed minute and not the one before.
fn tickets_test(
    system: &System,
    slo_alerts: &[Vec<SloAlert>],
    group: &BurnGroup,
    slos: &[usize],
    what: &str,
    emit: &mut dyn FnMut(Option<Value>),
) {
    let rep = group.slos[0];
    let slo = &system.slos[rep];
    let latency = slo.sli == Sli::Latency;
    let tickets: Vec<(usize, &SloAlert)> = slo_alerts[rep]
        .iter()
        .enumerate()
        .filter(|(_, a)| a.window.severity == crate::model::alerts::Severity::Ticket)
        .collect();
    let Some(lowest) = tickets.iter().map(|(_, a)| a.threshold).reduce(f64::min) else { return };
    let history = tickets.iter().map(|(_, a)| in_minutes(a.window.long)).max().unwrap_or(0);
    let allowed = slow_share_allowed(slo);
    let (near, burning) = if latency { (allowed * 0.9, MAX_BAD) } else { (lowest * 0.9, (10.0 * lowest).min(MAX_BAD)) };
    let horizon =
        tickets.iter().map(|(_, a)| in_minutes(a.window.long) + in_minutes(a.window.short)).max().unwrap_or(0);
    let probe = Traffic { segments: vec![(history, near), (horizon + 1, burning)] };
    let mut checks = Vec::new();
    let mut end = history + 1;
    let mut fired = Vec::new();
    for &(j, alert) in &tickets {
        let rule = alert.prometheus_rule();
        checks.push((j, history));
        let first = (history + 1..=history + horizon).find(|&t| probe.fires(alert, t) == Some(true));
        let quiet = first.and_then(|f| (history..f).rev().find(|&t| probe.fires(alert, t) == Some(false)));
        if let (Some(first), Some(quiet)) = (first, quiet) {
            checks.push((j, quiet));
            checks.push((j, first));
            end = end.max(first + 1);
            fired.push(format!("{rule} {} minutes in", first - history));
        }
    }
    let traffic = Traffic { segments: vec![(history, near), (end - history, burning)] };
    let rep_slo = &system.slos[rep];
    let route = system.route(rep_slo.route).name.as_str();
    let les = latency_les_of_route(system, slo_alerts, rep_slo);
    let rep_le = slo_le(rep_slo);
    let input = route_series(route, &traffic, rep_le.as_deref().map(|l| (l, les.as_slice())), true);
    let mut tests = Vec::new();
    for (j, t) in checks {
        let Some(exp) = burn_expected(system, slo_alerts, slos, j, &traffic, t) else { return };
        tests.push(json!({ "eval_time": minutes(t), "alertname": burn_rule(group, slo_alerts, j), "exp_alerts": exp }));
    }
    let history_text = if latency {
        "every slice just under the percentile's allowance".to_string()
    } else {
        format!("a burn at 0.9x the lowest ticket factor ({}x)", ratio(lowest / (1.0 - slo.objective.unwrap_or(0.0))))
    };
    let how = if latency { "every slice slow".to_string() } else { "ten times that burn".to_string() };
    emit(Some(json!({
        "name": format!(
            "{what}: {history_text} for {} tickets nothing; then {how} fires {}, not before",
            minutes(history),
            fired.join(", ")
        ),
        "interval": "1m",
        "input_series": input,
        "alert_rule_test": tests,
    })));
}

/// One `promql_expr_test` per SLO: its data series holds the value the spec implies; and one
/// per route that dedicated capacity serves, its hourly cost.
fn data_tests(system: &System, slo_alerts: &[Vec<SloAlert>], threshold_alerts: &[ThresholdAlert]) -> Option<Value> {
    let check = |metric: &str, selector: String, value: f64| {
        json!({
            "expr": format!("count({metric}{{{selector}}} == {})", ratio(value)),
            "eval_time": "0m",
            "exp_samples": [{ "labels": "{}", "value": 1 }],
        })
    };
    let of_slo = |slo: &Slo| {
        let le = slo_le(slo).map(|l| format!(",le={}", pq(&l))).unwrap_or_default();
        format!("slo={}{le}", pq(slo.name.as_str()))
    };
    let mut checks: Vec<Value> = Vec::new();
    for (slo, _) in system.slos.iter().zip(slo_alerts).filter(|(_, a)| !a.is_empty()) {
        checks.push(check(BUDGET, of_slo(slo), 1.0 - slo.objective.unwrap_or(0.0)));
        if slo.sli == Sli::Latency {
            checks.push(check(SLOW_ALLOWED, of_slo(slo), slow_share_allowed(slo)));
        }
    }
    for a in threshold_alerts.iter().filter(|a| is_slo_kind(&a.watch)) {
        checks.push(check(THRESHOLD, of_slo(&system.slos[a.slo_index.unwrap_or_default()]), threshold_value(&a.watch)));
    }
    if threshold_alerts.iter().any(|a| matches!(a.watch, Watch::CostPerQuery { .. })) {
        for (route, hourly) in dedicated_costs(system) {
            checks.push(check(DEDICATED, format!("route={}", pq(route)), hourly));
        }
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
        Watch::HarmfulRate { max, .. } => measured / max > harmful_plan(system, a).2,
        Watch::CostPerQuery { max, .. } => measured > *max,
        Watch::InjectionAttempts { min } | Watch::AuditAnomalies { min } => measured >= *min,
        _ => true,
    };
    let rule = rep.prometheus_rule();
    let same: Vec<&ThresholdAlert> = if is_slo_kind(&rep.watch) {
        alerts
            .iter()
            .filter(|a| {
                a.prometheus_rule() == rule
                    && watched_route(&a.watch) == watched_route(&rep.watch)
                    && harmful_plan(system, a).0 == harmful_plan(system, rep).0
            })
            .collect()
    } else {
        vec![rep]
    };
    same.into_iter()
        .filter(|a| fires(a))
        .map(|a| {
            let mut labels = threshold_instance_labels(system, a);
            if is_windowed(&a.watch) {
                labels.extend(data_labels(system, &system.slos[a.slo_index.unwrap_or_default()], &a.runbook, true));
                labels.insert("slo_window".into(), json!(harmful_plan(system, a).0.to_string()));
            }
            let value = match &a.watch {
                Watch::HarmfulRate { max, .. } => measured / max,
                w => threshold_value(w),
            };
            let annotations = rendered(&threshold_annotations(system, a), &labels, value);
            expected(labels, annotations)
        })
        .collect()
}

fn via(alert: &ThresholdAlert) -> String {
    match (&alert.slo, watched_route(&alert.watch)) {
        (Some(slo), _) => format!(" (via SLO {slo})"),
        (None, Some(route)) => format!(" (via route {route})"),
        _ => match &alert.watch {
            Watch::EvalScore { evaluation, .. } => format!(" (via evaluation {evaluation})"),
            _ => String::new(),
        },
    }
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
        if is_event(&alert.watch) {
            event_tests(s, system, alert);
            continue;
        }
        let name = alert.prometheus_rule();
        let via = via(alert);
        // The condition holds from the first minutes on; the alert fires once it held `for`.
        let held = in_minutes(alert.hold) + 10;
        let Some(((healthy, calm), (breaching, bad))) = threshold_series(system, alert, held) else { continue };
        let at = minutes(held);
        let quiet_name = match &alert.watch {
            Watch::HarmfulRate { .. } => {
                let (window, w, burn) = harmful_plan(system, alert);
                format!(
                    "{name}{via}: harmful answers at 0.9x the {window} SLO's page factor ({}x its ceiling) over {} stay quiet",
                    ratio(burn),
                    w.long
                )
            }
            _ => format!("{name}{via}: quiet when healthy"),
        };
        s.json(&json!({
            "name": quiet_name,
            "interval": "1m",
            "input_series": healthy,
            "alert_rule_test": [{ "eval_time": at, "alertname": name, "exp_alerts": threshold_expected(system, threshold_alerts, alert, calm).into_iter().filter(|_| is_slo_kind(&alert.watch)).collect::<Vec<_>>() }],
        }));
        if let Some(breaching) = breaching {
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
    if has_litellm_slo(system) {
        absent_tests(s, system);
    }
}

/// Event alerts: one event, a burst, and a series that is born counting, each checked the
/// minute it is counted.
fn event_tests(s: &mut Seq, system: &System, alert: &ThresholdAlert) {
    let (metric, min) = match &alert.watch {
        Watch::InjectionAttempts { min } => (metrics::INJECTION, *min),
        Watch::AuditAnomalies { min } => (metrics::AUDIT_ANOMALIES, *min),
        _ => return,
    };
    let name = alert.prometheus_rule();
    let labels = threshold_instance_labels(system, alert);
    let fire = |count: f64| -> Vec<Value> {
        if count >= min {
            vec![expected(labels.clone(), rendered(&threshold_annotations(system, alert), &labels, count))]
        } else {
            Vec::new()
        }
    };
    let burst = min.ceil().max(1.0) + 2.0;
    let cases = [
        ("one event".to_string(), format!("{} 1x10", counter(&[(9, 0.0)])), "source=\"guard\"", 1.0),
        (
            format!("a burst of {}", ratio(burst)),
            format!("{} {}x10", counter(&[(9, 0.0)]), ratio(burst)),
            "source=\"guard\"",
            burst,
        ),
        (
            format!("a new series appearing at {}", ratio(min.ceil().max(1.0))),
            format!("_x10 {}x10", ratio(min.ceil().max(1.0))),
            "source=\"new-replica\"",
            min.ceil().max(1.0),
        ),
    ];
    for (what, values, series_labels, count) in cases {
        let verdict = if count >= min { "fires at once" } else { "stays quiet" };
        s.json(&json!({
            "name": format!("{name}: {what} (threshold {}) {verdict}", ratio(min)),
            "interval": "1m",
            "input_series": [series(metric, series_labels, values)],
            "alert_rule_test": [
                { "eval_time": "9m", "alertname": name, "exp_alerts": [] },
                { "eval_time": "10m", "alertname": name, "exp_alerts": fire(count) },
                { "eval_time": "16m", "alertname": name, "exp_alerts": [] },
            ],
        }));
    }
}

/// The no-data alert: with no request series at all, every route with a LiteLLM SLO tickets
/// after the hold (counted, and the representative's alert exactly); with the series there,
/// the representative is quiet.
fn absent_tests(s: &mut Seq, system: &System) {
    let mut routes: Vec<&str> = system
        .slos
        .iter()
        .filter(|slo| matches!(slo.sli, Sli::Availability | Sli::Latency | Sli::CostPerQuery))
        .map(|slo| system.route(slo.route).name.as_str())
        .collect();
    routes.sort_unstable();
    routes.dedup();
    let Some(rep) = system
        .slos
        .iter()
        .find(|slo| matches!(slo.sli, Sli::Availability | Sli::Latency | Sli::CostPerQuery))
        .map(|slo| system.route(slo.route).name.as_str())
    else {
        return;
    };
    let hold = 30;
    let at = minutes(hold + 1);
    let alert_of = |route: &str| {
        let mut labels = absent_labels();
        labels.insert("route".into(), json!(route));
        let annotations = rendered(&absent_annotations(), &labels, 1.0);
        (labels, annotations)
    };
    let (labels, _) = alert_of(rep);
    let mut exact: Vec<String> = vec![format!("alertname={}", pq(ABSENT_RULE)), "alertstate=\"firing\"".to_string()];
    exact.extend(labels.iter().map(|(k, v)| format!("{k}={}", pq(v.as_str().unwrap_or_default()))));
    // Every route's alert exactly while that stays short; for a large system, their count and
    // the representative's labels.
    let exp_alerts: Vec<Value> = if routes.len() <= 10 {
        routes.iter().map(|r| alert_of(r)).map(|(l, a)| expected(l, a)).collect()
    } else {
        Vec::new()
    };
    let mut checks = vec![json!({ "eval_time": minutes(hold - 1), "alertname": ABSENT_RULE, "exp_alerts": [] })];
    if routes.len() <= 10 {
        checks.push(json!({ "eval_time": at, "alertname": ABSENT_RULE, "exp_alerts": exp_alerts }));
    }
    s.json(&json!({
        "name": format!("{ABSENT_RULE}: no LiteLLM request series for {ABSENT_FOR} tickets every route with a LiteLLM SLO"),
        "interval": "1m",
        "input_series": [],
        "alert_rule_test": checks,
        "promql_expr_test": [
            {
                "expr": format!("count(ALERTS{{alertname=\"{ABSENT_RULE}\",alertstate=\"firing\"}})"),
                "eval_time": at,
                "exp_samples": [{ "labels": "{}", "value": routes.len() }],
            },
            {
                "expr": format!("ALERTS{{alertname=\"{ABSENT_RULE}\",alertstate=\"firing\",route={}}}", pq(rep)),
                "eval_time": at,
                "exp_samples": [{ "labels": format!("ALERTS{{{}}}", exact.join(", ")), "value": 1 }],
            },
        ],
    }));
    s.json(&json!({
        "name": format!("{ABSENT_RULE}: a route whose requests are exported is quiet (via route {rep})"),
        "interval": "1m",
        "input_series": [series(metrics::REQUESTS, &format!("requested_model={}", pq(&format!("{rep}--via-test"))), counter(&[(hold + 2, 1.0)]))],
        "promql_expr_test": [{
            "expr": format!("count(ALERTS{{alertname=\"{ABSENT_RULE}\",alertstate=\"firing\",route={}}}) or vector(0)", pq(rep)),
            "eval_time": at,
            "exp_samples": [{ "labels": "{}", "value": 0 }],
        }],
    }));
}

/// Healthy and breaching input series for a threshold alert, `n` minutes each, with the value
/// each measures (score, share or cost; unused where the rule is not an SLO's). No breaching
/// input when the SLO cannot be breached (a harmful-rate ceiling so loose that its page factor
/// would need more than every answer harmful).
type Input = (Vec<Value>, f64);
type MaybeInput = (Option<Vec<Value>>, f64);
fn threshold_series(system: &System, alert: &ThresholdAlert, n: u32) -> Option<(Input, MaybeInput)> {
    let steady = |per_minute: f64| counter(&[(n, per_minute)]);
    // Requests of a route as LiteLLM counts them: half on the route's group, half served by another.
    let requests = |route: &str, rpm: f64| {
        vec![
            series(metrics::REQUESTS, &format!("requested_model={}", pq(route)), steady(rpm / 2.0)),
            series(
                metrics::REQUESTS,
                &format!("requested_model={}", pq(&format!("{route}--via-test"))),
                steady(rpm / 2.0),
            ),
        ]
    };
    let pair = |make: &dyn Fn(f64) -> Vec<Value>, healthy: f64, breaching: Option<f64>| {
        Some(((make(healthy), healthy), (breaching.map(make), breaching.unwrap_or(healthy))))
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
            pair(&make, (min + 1.0) / 2.0, Some(min / 2.0))
        }
        Watch::HarmfulRate { route, max } => {
            let page = max * harmful_plan(system, alert).2;
            let make = |share: f64| {
                let mut out = requests(route, TEST_RPM);
                out.push(series(metrics::HARMFUL, &format!("route={}", pq(route)), steady(TEST_RPM * share)));
                out
            };
            let breaching = (2.0 * page).min(1.0);
            pair(&make, (0.9 * page).min(1.0), (breaching > page * (1.0 + MARGIN)).then_some(breaching))
        }
        Watch::CostPerQuery { route, max } => {
            // Dedicated capacity adds its hourly cost; enough requests keep its share per
            // request under a quarter of the ceiling, so spend decides.
            let hourly = dedicated_costs(system).into_iter().find(|(r, _)| r == route).map_or(0.0, |(_, h)| h);
            let rpm = TEST_RPM.max((4.0 * hourly / (max * n as f64)).ceil());
            let per_request = hourly / (rpm * n as f64);
            let make = |spend: f64| {
                let mut out = requests(route, rpm);
                out.push(series(
                    metrics::SPEND,
                    &format!("requested_model={}", pq(&format!("{route}--via-test"))),
                    steady(rpm * spend),
                ));
                out
            };
            let ((healthy, _), (breaching, _)) = pair(&make, max / 4.0, Some(max * 2.0))?;
            Some(((healthy, max / 4.0 + per_request), (breaching, max * 2.0 + per_request)))
        }
        Watch::SlowRoute { route, max } => {
            let fast_le = le(0.5_f64.min(max.seconds() / 4.0));
            let slow_le = le(max.seconds() * 4.0);
            let make = |fast: f64| {
                let (in_fast, in_slow) = if fast > 0.0 { (TEST_RPM, TEST_RPM) } else { (0.0, TEST_RPM) };
                let bucket = |le: &str, v: f64| {
                    series(
                        &format!("{}_bucket", metrics::LATENCY),
                        &format!("requested_model={},le={}", pq(&format!("{route}--via-test")), pq(le)),
                        steady(v),
                    )
                };
                vec![bucket(&fast_le, in_fast), bucket(&slow_le, in_slow), bucket("+Inf", TEST_RPM)]
            };
            pair(&make, 1.0, Some(0.0))
        }
        Watch::FailingRoute { route, max } => {
            let make = |rate: f64| {
                let mut out = requests(route, TEST_RPM);
                out.push(series(
                    metrics::FAILED,
                    &format!("requested_model={},exception_status=\"500\"", pq(route)),
                    steady(TEST_RPM * rate),
                ));
                out
            };
            pair(&make, max / 10.0, Some((max * 4.0).min(1.0)))
        }
        Watch::EvalScore { evaluation, min } => {
            let make = |score: f64| {
                vec![series(
                    metrics::EVAL_SCORE,
                    &format!("evaluation={}", pq(evaluation)),
                    format!("{}x{n}", ratio(score)),
                )]
            };
            pair(&make, (min + 1.0) / 2.0, Some(min / 2.0))
        }
        Watch::InjectionAttempts { .. } | Watch::AuditAnomalies { .. } => None,
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
        assert_eq!(counter(&[(3, 2.0), (1, 10.0)]), "0+2x3 16");
        // never `+0x…`, which promtool reads as a hex number
        assert_eq!(counter(&[(3, 2.0), (3, 0.0)]), "0+2x3 6x2");
        assert_eq!(counter(&[(2, 0.0), (1, 1.0)]), "0 0 0 1");
        // 216 + 86.4 added 14 times is 1425.6000000000001: the next segment may not start lower
        assert_eq!(counter(&[(60, 2.16), (15, 86.4), (5, 0.0)]), "0+2.16x60 216+86.4x14 1425.6000000000001x4");
    }

    #[test]
    fn values_on_a_rounding_edge_are_not_guessed() {
        assert!(near_rounding(33.425));
        assert!(!near_rounding(33.42));
        assert!(near_rounding(0.0012345));
        assert!(!near_rounding(14.4));
    }

    #[test]
    fn the_model_reads_windows_like_promtool() {
        let t = Traffic { segments: vec![(10, 0.0), (5, 1.0)] };
        assert_eq!(t.share(10), 0.0);
        assert_eq!(t.share(11), 1.0);
        // rate over [10m, 15m]: the five increments of minutes 11..=15
        assert_eq!(t.mean(15, 5), 1.0);
        assert_eq!(t.mean(15, 10), 0.5);
        // before minute 0 nothing is counted
        assert_eq!(t.mean(4, 60), 0.0);
    }
}
