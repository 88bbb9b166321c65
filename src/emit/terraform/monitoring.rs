//! `monitoring.tf`: OCI Monitoring alarms for every SLO and incident type, from the same alarm
//! catalogue as the Prometheus rules (same names, same runbooks), and the alarms that escalate
//! an unresolved page along `oncall.escalation`.
//!
//! In: the alarm catalogue ([`SloAlert`], [`ThresholdAlert`]). Out: one `oci_monitoring_alarm`
//! per alert (and per later escalation step of each page). An OCI alarm evaluates one MQL
//! expression every minute, each metric query over an interval of at most an hour, and holds
//! its condition for a pending duration of at most a day; MQL joins queries with `&&` but has
//! no arithmetic between metrics. Within these limits (each alarm's body states the
//! approximation it uses; docs/alarms.md, "How OCI's limits were handled"):
//! - availability counts the failures users see at the route's API deployment (`HttpResponses`
//!   with a 5xx, 408 or 429 status) against the route's expected traffic (`traffic.per_day`),
//!   the long window's count AND the short window's, as the Prometheus rules AND their two
//!   ratios; a long window over an hour is the hourly count held for the rest of the window
//!   (fires later, never falsely); windows longer than OCI can hold are left to Prometheus
//!   ([`SloAlert::has_oci_alarm`]). Routes without `traffic` read the `genops` custom metric
//!   `ErrorRatio`;
//! - latency SLOs: a 5-minute slice is bad when `Latency[5m].percentile(p)` is above the
//!   threshold; the fast window's alarm fires when bad slices last as long as the burn allows
//!   in its long window (consecutive slices: later, never falsely);
//! - quality, safety, cost and incident alarms read the `genops` custom metrics; cost per query
//!   adds the route's share of its dedicated clusters' hourly cost at its expected traffic.
//!
//! Escalation: a page goes at once to the pager channel and the first escalation rotation (or
//! the rotation its incident type names); for each later step a second alarm with the same
//! query, held for the page's pending duration plus the step's `after`, notifies that step's
//! rotation ([`crate::model::alerts::oci_escalation_steps`]). OCI cannot see an
//! acknowledgement: an escalation alarm fires whenever the condition still holds.

use super::Tf;
use crate::conventions::{display_name, ident, ident_of};
use crate::emit::hcl::{Block, FileWriter, Value};
use crate::model::alerts::{Severity, SloAlert, ThresholdAlert, Watch, oci_escalation_steps};
use crate::model::cost::Costs;
use crate::model::metrics::{OCI_APIGATEWAY, OCI_CUSTOM};
use crate::model::{RotationId, System};
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Threshold, format_number};

const MINUTE: u64 = 60_000;
const HOUR: u64 = 3_600_000;
const DAY: u64 = 86_400_000;

/// The longest interval of a metric query in an alarm: "Supported values for interval: 1m-60m
/// (also 1h)" (CreateAlarmDetails.query, https://docs.oracle.com/iaas/api/#/en/monitoring/latest/Alarm).
pub const MAX_INTERVAL: Duration = Duration { millis: HOUR };

/// The longest pending duration of an alarm (`pending_duration`, at most `PT1D`).
pub const MAX_PENDING: Duration = Duration { millis: DAY };

/// The slice a latency SLO is judged in (the lead's definition, shared with OpenSLO).
const SLICE: u64 = 5 * MINUTE;

/// The API Gateway statuses a user sees as a failed request: every 5xx (a LiteLLM failure with
/// no status of its own, such as a circuit breaker's "no deployments available", reaches the
/// caller as 500: litellm 1.106.12 proxy/common_request_processing.py:3805-3810, and a backend
/// that does not answer as 502/504), timeouts (408) and throttling (429). `httpStatusCode` is a
/// dimension of `HttpResponses` (https://docs.oracle.com/iaas/Content/APIGateway/Reference/apigatewaymetrics.htm);
/// `=~` with `*` and `|` is MQL's fuzzy match of several values
/// (https://docs.oracle.com/iaas/Content/Monitoring/Tasks/query-metric-dimension.htm).
const FAILED_STATUSES: &str = "5*|408|429";

/// ISO 8601 duration as OCI wants it (`PT5M`, `PT6H`).
fn iso(d: Duration) -> String {
    let minutes = (d.millis / 60_000).max(1);
    if minutes % 60 == 0 { format!("PT{}H", minutes / 60) } else { format!("PT{minutes}M") }
}

/// An MQL query as an HCL template (it interpolates the deployment's OCID).
fn query(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\\\""))
}

fn deployment(route: &str) -> String {
    format!("${{oci_apigateway_deployment.{}.id}}", ident(route))
}

/// The failed requests of a route's API deployment in `interval`.
fn failed_responses(route: &str, interval: Duration) -> String {
    format!(
        "HttpResponses[{interval}]{{deploymentId = \"{}\", httpStatusCode =~ \"{FAILED_STATUSES}\"}}.sum()",
        deployment(route)
    )
}

fn rotation_topic(system: &System, rotation: RotationId) -> Value {
    let oncall = system.oncall.as_ref().expect("rotations exist with oncall");
    Value::expr(format!(
        "oci_ons_notification_topic.{}.id",
        ident_of("rotation", oncall.rotations[rotation.0].name.as_str())
    ))
}

/// Where pages and tickets go.
struct Destinations {
    /// The pager channel's topic, if the spec has one.
    pager: Option<Value>,
    /// Pages: the pager channel and the first escalation rotation (`local.page_destinations`).
    page: Vec<Value>,
    /// Tickets: the alerts channel (`local.ticket_destinations`).
    ticket: Vec<Value>,
}

fn destinations(system: &System) -> Option<Destinations> {
    let oncall = system.oncall.as_ref()?;
    let pager = oncall
        .channels
        .pager
        .is_some()
        .then(|| Value::expr(format!("oci_ons_notification_topic.{}.id", ident_of("channel", "pager"))));
    let mut page: Vec<Value> = pager.iter().cloned().collect();
    if let Some(first) = oncall.escalation.first() {
        page.push(rotation_topic(system, first.rotation));
    }
    let ticket = vec![Value::expr(format!("oci_ons_notification_topic.{}.id", ident_of("channel", "alerts")))];
    Some(Destinations { pager, page, ticket })
}

/// Writes the alarms one by one: a large system has a hundred thousand of them.
pub(super) fn write(tf: &Tf, file: &mut FileWriter) {
    let system = tf.system;
    let Some(dest) = destinations(system) else { return };
    file.push(
        &Block::new("locals", &[])
            .comment("Where alarms notify: pages to the pager channel and the first rotation, tickets to the alerts channel.")
            .attr("page_destinations", Value::List(dest.page.clone()))
            .attr("ticket_destinations", Value::List(dest.ticket.clone())),
    );
    let (slo, thresholds) = (tf.derived.slo_alerts(), tf.derived.threshold_alerts());
    // About a kilobyte of text an alarm: reserved, so a file of a hundred megabytes is not
    // copied as it grows.
    file.reserve((slo.len() + thresholds.len()) * 1536);
    for alert in slo.iter().flatten().filter(|a| a.has_oci_alarm()) {
        write_alarm(tf, &dest, &slo_alarm(tf, alert), file);
    }
    let costs = Costs::new(system);
    for alert in thresholds {
        write_alarm(tf, &dest, &threshold_alarm(tf, &costs, alert), file);
    }
}

/// What one alarm watches and says.
struct Alarm<'a> {
    name: &'a str,
    severity: Severity,
    namespace: &'a str,
    query: String,
    pending: Duration,
    body: String,
    runbook: &'a str,
    route: Option<&'a str>,
    /// The rotation its incident type names, notified instead of the first escalation step.
    rotation: Option<RotationId>,
}

/// One alarm's resources: the alarm, and for a page one alarm per later escalation step.
///
/// Pages are CRITICAL to the pager and the first rotation (or the incident type's own), and
/// repeat until the next step is due; tickets are WARNING to the alerts channel (and the
/// incident type's rotation) and repeat every four hours. Step `n` of the ladder is the same
/// query held `after` longer, CRITICAL to that step's rotation, repeating until step `n + 1`.
fn write_alarm(tf: &Tf, dest: &Destinations, a: &Alarm, file: &mut FileWriter) {
    let system = tf.system;
    let own = a.rotation.map(|r| rotation_topic(system, r));
    let pending = a.pending.clamp(Duration::from_millis(MINUTE), MAX_PENDING);
    let steps: Vec<(usize, crate::model::EscalationStep)> = match (a.severity, &system.oncall) {
        (Severity::Page, Some(oncall)) => oci_escalation_steps(oncall, a.rotation).collect(),
        _ => Vec::new(),
    };
    // A page repeats until the next step is due (every 15 minutes without a next step).
    let repeat_until = |i: usize| {
        let oncall = system.oncall.as_ref();
        let at = |k: usize| oncall.and_then(|o| o.escalation.get(k)).map_or(0, |s| s.after.millis);
        let next = steps.iter().find(|(k, _)| *k > i).map(|(k, _)| at(*k) - at(i));
        Duration::from_millis(next.unwrap_or(15 * MINUTE).max(MINUTE))
    };
    let (oci_severity, destinations, repeat) = match (a.severity, own) {
        (Severity::Page, Some(own)) => {
            ("CRITICAL", Value::List(dest.pager.iter().cloned().chain([own]).collect()), repeat_until(0))
        }
        (Severity::Page, None) => ("CRITICAL", Value::expr("local.page_destinations"), repeat_until(0)),
        (Severity::Ticket, Some(own)) => (
            "WARNING",
            Value::List(dest.ticket.iter().cloned().chain([own]).collect()),
            Duration::from_millis(4 * HOUR),
        ),
        (Severity::Ticket, None) => {
            ("WARNING", Value::expr("local.ticket_destinations"), Duration::from_millis(4 * HOUR))
        }
    };
    file.push(&block(tf, a, &snake(a.name), a.name, oci_severity, pending, repeat, destinations, &a.body));
    let Some(oncall) = &system.oncall else { return };
    for &(i, step) in &steps {
        let held = Duration::from_millis(pending.millis + step.after.millis);
        // The page itself said what and why; the step says who is next, and where to start.
        let mut body = format!(
            "Escalation step {}: {} still firing {} after the page. Runbook: {}",
            i + 1,
            display_name(system, a.name),
            step.after,
            a.runbook
        );
        if held > MAX_PENDING {
            body.push_str(&format!(". OCI holds an alarm for at most {MAX_PENDING}: this step is notified then"));
        }
        let rotation = &oncall.rotations[step.rotation.0];
        file.push(&block(
            tf,
            a,
            &format!("{}_step_{}", snake(a.name), i + 1),
            &format!("{}-step{}-{}", a.name, i + 1, rotation.name),
            "CRITICAL",
            held.min(MAX_PENDING),
            repeat_until(i),
            Value::List(vec![rotation_topic(system, step.rotation)]),
            &body,
        ));
    }
}

#[allow(clippy::too_many_arguments)]
fn block(
    tf: &Tf,
    a: &Alarm,
    label: &str,
    display: &str,
    severity: &str,
    pending: Duration,
    repeat: Duration,
    destinations: Value,
    body: &str,
) -> Block {
    Block::new("resource", &["oci_monitoring_alarm", label])
        .attr("compartment_id", Tf::compartment())
        .attr("metric_compartment_id", Tf::compartment())
        .attr("display_name", Value::str(display_name(tf.system, display)))
        .attr("namespace", Value::str(a.namespace))
        .attr("query", Value::expr(query(&a.query)))
        .attr("severity", Value::str(severity))
        .attr("pending_duration", Value::str(iso(pending)))
        .attr("repeat_notification_duration", Value::str(iso(repeat)))
        .attr("message_format", Value::str("ONS_OPTIMIZED"))
        .attr("is_enabled", Value::Bool(true))
        .attr("destinations", destinations)
        .attr("body", Value::str(body))
        .attr("freeform_tags", tf.tags(a.route))
}

/// A count threshold: the expected count at the alert's ratio, at least one (an alarm needs two
/// failed requests). Printed with `format_number`, whose six decimals drop float noise (180,
/// not 180.00000000000003), and never rounded up (which once made it 181).
fn count_threshold(ratio: f64, per_day: u64, interval: Duration) -> String {
    format_number((ratio * per_day as f64 * interval.millis as f64 / DAY as f64).max(1.0))
}

fn slo_alarm<'a>(tf: &Tf<'a, '_>, alert: &'a SloAlert) -> Alarm<'a> {
    let system = tf.system;
    let slo = alert.slo;
    let route = system.route(slo.route);
    let name = route.name.as_str();
    let (long, short) = (alert.window.long, alert.window.short);
    let mut notes = Vec::new();
    if let (Sli::Latency, Some(Threshold::Duration(t))) = (slo.sli, slo.threshold) {
        let percentile = slo.percentile.unwrap_or(95.0);
        // The bad slices the burn allows in the long window, held back to back.
        let slices = (alert.threshold * long.millis as f64 / SLICE as f64 - 1e-9).ceil().max(1.0) as u64;
        let pending = Duration::from_millis(slices * SLICE);
        notes.push(format!(
            "OCI approximation: a 5m slice is bad when p{} latency at the gateway exceeds {t} (failed requests count at the time they fail); fires after {slices} bad slices in a row, the {}x burn's share of {long}: later than {slices} scattered bad slices, never falsely",
            format_number(percentile),
            format_number(alert.burn)
        ));
        return Alarm {
            name: &alert.alertname,
            severity: alert.window.severity,
            namespace: OCI_APIGATEWAY,
            query: format!(
                "Latency[5m]{{deploymentId = \"{}\"}}.percentile({}) > {}",
                deployment(name),
                format_number(percentile / 100.0),
                t.millis
            ),
            pending,
            body: body(name, alert, &notes),
            runbook: &alert.runbook,
            route: Some(name),
            rotation: None,
        };
    }
    let long_interval = long.min(MAX_INTERVAL);
    let short_interval = short.min(MAX_INTERVAL);
    // A long window over an hour: the hourly count held for the rest of it.
    let pending = Duration::from_millis(long.millis.saturating_sub(HOUR).max(MINUTE));
    if long > MAX_INTERVAL {
        notes.push(format!(
            "OCI approximation: the {long} window is every hour of it above the {}x rate (held {pending}): fires later, never falsely",
            format_number(alert.burn)
        ));
    }
    let (namespace, text) = match route.traffic {
        Some(traffic) => {
            notes.push(format!(
                "Counts requests failed with 5xx, 408 or 429 against {} expected requests per hour",
                format_number((traffic.per_day as f64 / 24.0).round())
            ));
            let condition = |interval: Duration| {
                format!(
                    "{} > {}",
                    failed_responses(name, interval),
                    count_threshold(alert.threshold, traffic.per_day, interval)
                )
            };
            (OCI_APIGATEWAY, both(condition(long_interval), condition(short_interval)))
        }
        None => {
            let condition = |interval: Duration| {
                format!("ErrorRatio[{interval}]{{route = \"{name}\"}}.mean() > {}", format_number(alert.threshold))
            };
            (OCI_CUSTOM, both(condition(long_interval), condition(short_interval)))
        }
    };
    Alarm {
        name: &alert.alertname,
        severity: alert.window.severity,
        namespace,
        query: text,
        pending,
        body: body(name, alert, &notes),
        runbook: &alert.runbook,
        route: Some(name),
        rotation: None,
    }
}

/// Two conditions that must both hold, joined as MQL joins queries ("You can also join
/// multiple queries into a single query", https://docs.oracle.com/iaas/Content/Monitoring/Reference/mql.htm);
/// one when the short window is the long one (both capped at an hour).
fn both(long: String, short: String) -> String {
    if long == short { long } else { format!("{long} && {short}") }
}

fn body(route: &str, alert: &SloAlert, notes: &[String]) -> String {
    let mut text = format!(
        "SLO {} ({} of route {route}): error budget burning {}x over {} and {}. Runbook: {}",
        alert.slo.name,
        alert.slo.sli,
        format_number(alert.burn),
        alert.window.long,
        alert.window.short,
        alert.runbook
    );
    for note in notes {
        text.push_str(". ");
        text.push_str(note);
    }
    text
}

fn threshold_alarm<'a>(tf: &Tf<'a, '_>, costs: &Costs, alert: &'a ThresholdAlert) -> Alarm<'a> {
    let system = tf.system;
    // An incident type that names its own rotation notifies it instead of the first step.
    let rotation =
        alert.incident.and_then(|kind| system.incidents.iter().find(|i| i.kind == kind)).and_then(|i| i.rotation);
    let mut note = None;
    let (namespace, text, route): (&str, String, Option<&str>) = match &alert.watch {
        Watch::Groundedness { route, min } => (
            OCI_CUSTOM,
            format!("GroundednessScore[1h]{{route = \"{route}\"}}.mean() < {}", format_number(*min)),
            Some(route.as_str()),
        ),
        Watch::HarmfulRate { route, max } => (
            OCI_CUSTOM,
            format!("HarmfulRate[1h]{{route = \"{route}\"}}.mean() > {}", format_number(*max)),
            Some(route.as_str()),
        ),
        Watch::CostPerQuery { route, max } => {
            let dedicated = alert.slo_index.map_or(0.0, |i| costs.dedicated_per_hour(system.slos[i].route));
            let limit = match (dedicated > 0.0, tf.traffic_of(route)) {
                (false, _) => *max,
                (true, Some(traffic)) => {
                    let share = dedicated / (traffic.per_day as f64 / 24.0).max(1.0);
                    note = Some(format!(
                        "Dedicated capacity costs {} {} an hour on this route; LiteLLM reports its spend as 0, so at {} expected requests an hour the metered cost per query must stay under {} (MQL has no arithmetic between metrics)",
                        format_number(dedicated),
                        system.currency,
                        format_number((traffic.per_day as f64 / 24.0).round()),
                        format_number(*max - share)
                    ));
                    *max - share
                }
                (true, None) => {
                    note = Some(format!(
                        "Dedicated capacity costs {} {} an hour on this route and is not counted: the route states no traffic to spread it over",
                        format_number(dedicated),
                        system.currency
                    ));
                    *max
                }
            };
            (
                OCI_CUSTOM,
                format!("CostPerQuery[1h]{{route = \"{route}\"}}.mean() > {}", format_number(limit)),
                Some(route.as_str()),
            )
        }
        Watch::SlowRoute { route, max } => (
            OCI_APIGATEWAY,
            format!("Latency[5m]{{deploymentId = \"{}\"}}.percentile(0.95) > {}", deployment(route), max.millis),
            Some(route.as_str()),
        ),
        Watch::FailingRoute { route, max } => match tf.traffic_of(route) {
            Some(t) => (
                OCI_APIGATEWAY,
                format!(
                    "{} > {}",
                    failed_responses(route, Duration::from_millis(SLICE)),
                    count_threshold(*max, t.per_day, Duration::from_millis(SLICE))
                ),
                Some(route.as_str()),
            ),
            None => (
                OCI_CUSTOM,
                format!("ErrorRatio[5m]{{route = \"{route}\"}}.mean() > {}", format_number(*max)),
                Some(route.as_str()),
            ),
        },
        Watch::EvalScore { evaluation, min } => (
            OCI_CUSTOM,
            format!("EvalScore[1h]{{evaluation = \"{evaluation}\"}}.min() < {}", format_number(*min)),
            None,
        ),
        Watch::InjectionAttempts { min } => {
            (OCI_CUSTOM, format!("PromptInjectionBlocked[5m].sum() >= {}", format_number(*min)), None)
        }
        Watch::AuditAnomalies { min } => {
            (OCI_CUSTOM, format!("AuditAnomalies[5m].sum() >= {}", format_number(*min)), None)
        }
    };
    let mut body = format!("{}. Runbook: {}", alert.summary, alert.runbook);
    if let Some(note) = note {
        body.push_str(". ");
        body.push_str(&note);
    }
    Alarm {
        name: &alert.alertname,
        severity: alert.severity,
        namespace,
        query: text,
        pending: alert.hold,
        body,
        runbook: &alert.runbook,
        route,
        rotation,
    }
}

/// `ChatAvailabilityBudgetBurnFast` → `chat_availability_budget_burn_fast`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::derived::Derived;

    /// `monitoring.tf` of a small system: one route at 60,000 requests a day, an availability
    /// SLO of 99.5%, a two-step escalation ladder and an incident type with its own rotation.
    fn small_system() -> hcl::Body {
        let c = crate::compile::compile(
            "genops.yaml",
            b"version: genops/v1
system: { name: s, owner: o, region: us-chicago-1 }
models:
  m: { provider: oci-genai, id: cohere.command-r-08-2024, price: { input_per_1k: 0.001, output_per_1k: 0.002 } }
routes:
  chat: { path: /c, data_class: internal, model: m, traffic: { per_day: 60000, input_tokens: 100, output_tokens: 10 } }
slos:
  chat-availability: { route: chat, sli: availability, objective: 99.5% }
  chat-latency: { route: chat, sli: latency, percentile: 95, threshold: 40s, objective: 99% }
oncall:
  rotations:
    primary: { members: [a@example.com], coverage: 24x7 }
    secondary: { members: [c@example.com], coverage: 24x7 }
    infra: { members: [b@example.com], coverage: 24x7 }
  escalation: [ { rotation: primary }, { rotation: secondary, after: 15m } ]
  channels:
    alerts: { email: alerts@example.com }
    pager: { pagerduty: vault:ocid1.vaultsecret.oc1..x }
incidents:
  model-timeout: { page: true, rotation: infra }
  tool-failure: { page: false, rotation: infra }
"
            .to_vec(),
            &crate::load::MemoryFiles::default(),
        );
        assert!(!c.has_errors(), "{:#?}", c.diagnostics);
        let derived = Derived::new(c.system.as_ref().expect("system"));
        let mut file = FileWriter::new("");
        write(&Tf::new(&derived, &c.sources), &mut file);
        hcl::parse(&file.finish()).expect("monitoring.tf parses")
    }

    /// An attribute of an alarm, without the line breaks of a long list.
    fn attr(body: &hcl::Body, alarm: &str, key: &str) -> String {
        let block = body.blocks().find(|b| b.labels.get(1).is_some_and(|l| l.as_str() == alarm)).expect(alarm);
        let text = block.body.attributes().find(|a| a.key.as_str() == key).expect(key).expr.to_string();
        text.split_whitespace().collect::<String>()
    }

    fn alarms(body: &hcl::Body) -> Vec<String> {
        body.blocks().filter_map(|b| b.labels.get(1).map(|l| l.as_str().to_string())).collect()
    }

    /// An incident type that names a rotation of its own pages the pager and that rotation,
    /// not the first escalation step, and tickets the alerts channel and that rotation.
    #[test]
    fn an_incident_type_with_its_own_rotation_notifies_that_rotation() {
        let body = small_system();
        assert_eq!(
            attr(&body, "model_timeout_chat", "destinations"),
            "[oci_ons_notification_topic.channel_pager.id,oci_ons_notification_topic.rotation_infra.id]"
        );
        assert_eq!(
            attr(&body, "tool_failure_chat", "destinations"),
            "[oci_ons_notification_topic.channel_alerts.id,oci_ons_notification_topic.rotation_infra.id]"
        );
        assert_eq!(attr(&body, "chat_availability_budget_burn_fast", "destinations"), "local.page_destinations");
    }

    /// Every page reaches the next escalation step's rotation when it still fires after the
    /// step's delay: the same query, held the delay longer; tickets do not escalate; a page
    /// repeats until the next step is due.
    #[test]
    fn pages_escalate_to_the_next_rotation_after_its_delay() {
        let body = small_system();
        let names = alarms(&body);
        for page in ["chat_availability_budget_burn_fast", "chat_availability_budget_burn_medium", "model_timeout_chat"]
        {
            let step = format!("{page}_step_2");
            assert!(names.contains(&step), "{step} in {names:?}");
            assert_eq!(attr(&body, &step, "query"), attr(&body, page, "query"));
            assert_eq!(attr(&body, &step, "destinations"), "[oci_ons_notification_topic.rotation_secondary.id]");
            assert_eq!(attr(&body, page, "repeat_notification_duration"), "\"PT15M\"");
        }
        assert_eq!(attr(&body, "chat_availability_budget_burn_fast", "pending_duration"), "\"PT1M\"");
        assert_eq!(attr(&body, "chat_availability_budget_burn_fast_step_2", "pending_duration"), "\"PT16M\"");
        assert_eq!(attr(&body, "model_timeout_chat_step_2", "pending_duration"), "\"PT20M\"");
        assert!(!names.iter().any(|n| n.starts_with("tool_failure_chat_step")), "{names:?}");
        assert!(!names.iter().any(|n| n.starts_with("chat_availability_budget_burn_slow_step")), "{names:?}");
    }

    /// The fast burn alarm ANDs the 1h count with the 5m count, so it clears minutes after
    /// recovery; it counts what users see as failures (5xx, 408, 429); its thresholds carry no
    /// float noise (14.4 × 0.5% × 2,500 an hour is 180, not 181).
    #[test]
    fn the_fast_burn_alarm_joins_both_windows_and_counts_what_users_see() {
        let body = small_system();
        let fast = attr(&body, "chat_availability_budget_burn_fast", "query");
        assert!(fast.contains("HttpResponses[1h]") && fast.contains("}.sum()>180&&HttpResponses[5m]"), "{fast}");
        assert!(fast.ends_with("}.sum()>15\""), "{fast}");
        assert!(fast.contains(r#"httpStatusCode=~"5*|408|429""#), "{fast}");
    }

    /// No two OCI alarms of an SLO watch the same thing: each burn window that OCI can hold
    /// has its own threshold or hold, and the 3-day window OCI cannot hold is left to
    /// Prometheus. A latency SLO's alarm fires on the bad 5-minute slices its fast burn allows.
    #[test]
    fn the_burn_alarms_of_an_slo_differ_and_latency_counts_bad_slices() {
        let body = small_system();
        let names = alarms(&body);
        let burns: Vec<(String, String)> = names
            .iter()
            .filter(|n| n.starts_with("chat_availability_budget_burn") && !n.contains("_step_"))
            .map(|n| (attr(&body, n, "query"), attr(&body, n, "pending_duration")))
            .collect();
        assert_eq!(burns.len(), 3, "fast, medium, slow: {names:?}");
        for (i, a) in burns.iter().enumerate() {
            assert!(!burns[i + 1..].contains(a), "{a:?} twice");
        }
        assert!(!names.contains(&"chat_availability_budget_burn_very_slow".to_string()));
        // 14.4 × 1% of the 12 slices of an hour is 1.7: two bad slices in a row.
        assert_eq!(attr(&body, "chat_latency_budget_burn_fast", "pending_duration"), "\"PT10M\"");
        assert!(attr(&body, "chat_latency_budget_burn_fast", "query").contains("Latency[5m]"));
    }

    /// The limit checks count alarms without naming them; the count is what `monitoring.tf`
    /// holds, for every shipped example, a system without on-call and synthetic ones.
    #[test]
    fn oci_alarm_counts_are_the_alarms_of_monitoring_tf() {
        let mut compiled: Vec<crate::compile::Compilation> =
            crate::testing::EXAMPLES.iter().map(|name| crate::testing::example(name)).collect();
        compiled.extend([1, 45].map(crate::testing::synthetic));
        let bare = "version: genops/v1\nsystem: { name: s, owner: o, region: us-chicago-1 }\nmodels:\n  m: { provider: oci-genai, id: cohere.command-r-08-2024 }\nroutes:\n  r: { path: /r, data_class: public, model: m }\n";
        compiled.push(crate::compile::compile(
            "genops.yaml",
            bare.as_bytes().to_vec(),
            &crate::load::MemoryFiles::default(),
        ));
        for c in &compiled {
            let system = c.system.as_ref().unwrap_or_else(|| panic!("valid: {:#?}", c.diagnostics));
            let emitted = super::super::emit(system, &c.sources);
            let monitoring = emitted.iter().find(|a| a.path == "terraform/monitoring.tf");
            let written = monitoring.map_or(0, |a| a.contents.matches("resource \"oci_monitoring_alarm\"").count());
            let counted: usize = crate::model::alerts::oci_alarm_counts(system).iter().map(|(_, n)| n).sum();
            assert_eq!(counted, written, "{}", system.name);
            assert!(written > 0 || system.oncall.is_none(), "{}", system.name);
        }
    }
}
