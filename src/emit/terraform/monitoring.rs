//! `monitoring.tf`: OCI Monitoring alarms for every SLO and incident type, from the same alarm
//! catalogue as the Prometheus rules (same names, same runbooks).
//!
//! OCI alarm queries take one MQL expression with an interval of at most an hour and hold it
//! for a pending duration of at most a day, so the burn-rate windows are mapped as follows and
//! the body of each alarm says so:
//! - availability reads `HttpResponses` (5xx) of the route's deployment (`oci_apigateway`) and
//!   compares the count in the window with the burn threshold at the route's expected traffic
//!   (`traffic.per_day`); routes without `traffic` read the `genops` custom metric
//!   `ErrorRatio` instead;
//! - windows longer than an hour become "the hourly rate above the threshold, held for the
//!   window" (capped at a day for the 3-day window): stricter than a true long window;
//! - latency SLOs alarm on the percentile itself (`Latency[1h].percentile(p)`) held for the
//!   fastest window's short duration, not on the share of slow requests (the Prometheus rules
//!   do that): the slower windows would repeat the same query with a longer hold, so they are
//!   not emitted ([`SloAlert::has_oci_alarm`]);
//! - quality, safety, cost and incident alarms read the `genops` custom metrics.

use super::Tf;
use crate::conventions::{display_name, display_name_into, ident, ident_of};
use crate::emit::alarms::metrics::{OCI_APIGATEWAY, OCI_CUSTOM};
use crate::emit::alarms::{Severity, SloAlert, ThresholdAlert, Watch};
use crate::emit::hcl::{Block, FileWriter, Value, write_string};
use crate::model::System;
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Threshold, format_number};

const HOUR: u64 = 3_600_000;
const DAY: u64 = 86_400_000;

/// ISO 8601 duration as OCI wants it (`PT5M`, `PT6H`).
fn iso(d: Duration) -> String {
    let mut text = String::new();
    iso_into(&mut text, d);
    text
}

/// [`iso`], at the end of `out`.
fn iso_into(out: &mut String, d: Duration) {
    use std::fmt::Write;
    let minutes = (d.millis / 60_000).max(1);
    let _ = if minutes % 60 == 0 { write!(out, "PT{}H", minutes / 60) } else { write!(out, "PT{minutes}M") };
}

/// An MQL query as an HCL template (it interpolates the deployment's OCID).
fn query(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    query_into(&mut out, text);
    out
}

/// [`query`], at the end of `out`.
fn query_into(out: &mut String, text: &str) {
    out.push('"');
    for (i, piece) in text.split('"').enumerate() {
        if i > 0 {
            out.push_str("\\\"");
        }
        out.push_str(piece);
    }
    out.push('"');
}

fn deployment(route: &str) -> String {
    format!("${{oci_apigateway_deployment.{}.id}}", ident(route))
}

/// Where pages and tickets go.
#[derive(Clone)]
struct Destinations {
    page: Vec<Value>,
    ticket: Vec<Value>,
    repeat_page: Duration,
    /// Pages go to an incident type's own rotation, not to `local.page_destinations`.
    rerouted: bool,
}

fn destinations(system: &System) -> Option<Destinations> {
    let oncall = system.oncall.as_ref()?;
    let mut page = Vec::new();
    if oncall.channels.pager.is_some() {
        page.push(Value::expr(format!("oci_ons_notification_topic.{}.id", ident_of("channel", "pager"))));
    }
    if let Some(first) = oncall.escalation.first() {
        let rotation = &oncall.rotations[first.rotation.0];
        page.push(Value::expr(format!(
            "oci_ons_notification_topic.{}.id",
            ident_of("rotation", rotation.name.as_str())
        )));
    }
    let ticket = vec![Value::expr(format!("oci_ons_notification_topic.{}.id", ident_of("channel", "alerts")))];
    // An unacknowledged page is repeated when the next escalation step would be paged.
    let repeat_page = oncall.escalation.get(1).map_or(Duration::from_millis(15 * 60_000), |s| s.after);
    Some(Destinations { page, ticket, repeat_page, rerouted: false })
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
    let mut scratch = String::new();
    for alert in slo.iter().flatten().filter(|a| a.has_oci_alarm()) {
        push_alarm(file, tf, &dest, slo_alarm(tf, alert), &mut scratch);
    }
    for alert in thresholds {
        push_alarm(file, tf, &dest, threshold_alarm(tf, &dest, alert), &mut scratch);
    }
}

/// What one alarm watches and says.
#[derive(Clone)]
struct Alarm<'a> {
    name: &'a str,
    severity: Severity,
    namespace: &'a str,
    query: String,
    pending: Duration,
    body: String,
    route: Option<&'a str>,
    /// The destinations of an incident type that pages its own rotation.
    rerouted: Option<Destinations>,
}

/// Where an alarm notifies: one of the `local` lists, or a list of its own.
enum Targets<'d> {
    Local(&'static str),
    List(&'d [Value]),
}

impl Targets<'_> {
    fn value(&self) -> Value {
        match self {
            Targets::Local(name) => Value::expr(*name),
            Targets::List(list) => Value::List(list.to_vec()),
        }
    }
}

/// How an alarm notifies: its OCI severity, destinations, repeat and pending durations.
fn notification<'d>(dest: &'d Destinations, a: &'d Alarm) -> (&'static str, Targets<'d>, Duration, Duration) {
    let dest = a.rerouted.as_ref().unwrap_or(dest);
    let (oci_severity, destinations, repeat) = match a.severity {
        Severity::Page if dest.rerouted => ("CRITICAL", Targets::List(&dest.page), dest.repeat_page),
        Severity::Page => ("CRITICAL", Targets::Local("local.page_destinations"), dest.repeat_page),
        Severity::Ticket => ("WARNING", Targets::Local("local.ticket_destinations"), Duration::from_millis(4 * HOUR)),
    };
    let repeat = repeat.max(Duration::from_millis(60_000));
    let pending = a.pending.clamp(Duration::from_millis(60_000), Duration::from_millis(DAY));
    (oci_severity, destinations, repeat, pending)
}

/// Writes one alarm into the file: as text directly when its destinations are one of the
/// `local` lists (every alarm but those of an incident type with its own rotation), the same
/// text [`alarm`]'s block gives (a test holds the two together); else through the block.
fn push_alarm(file: &mut FileWriter, tf: &Tf, dest: &Destinations, a: Alarm, scratch: &mut String) {
    let (oci_severity, destinations, repeat, pending) = notification(dest, &a);
    let Targets::Local(destinations) = destinations else {
        return file.push(&alarm(tf, dest, a));
    };
    file.push_text(|out| {
        // Every attribute fits on one line, so `=` aligns after the longest key,
        // `repeat_notification_duration`. Names and durations are made in `scratch` and
        // quoted from there, not in a String each (a large system has 100,000 alarms).
        out.push_str("resource \"oci_monitoring_alarm\" ");
        scratch.clear();
        snake_into(scratch, a.name);
        write_string(out, scratch);
        out.push_str(" {\n  compartment_id               = var.compartment_ocid\n");
        out.push_str("  metric_compartment_id        = var.compartment_ocid\n");
        out.push_str("  display_name                 = ");
        scratch.clear();
        display_name_into(scratch, tf.system, a.name);
        write_string(out, scratch);
        out.push_str("\n  namespace                    = ");
        write_string(out, a.namespace);
        out.push_str("\n  query                        = ");
        query_into(out, &a.query);
        out.push_str("\n  severity                     = ");
        write_string(out, oci_severity);
        out.push_str("\n  pending_duration             = \"");
        iso_into(out, pending);
        out.push_str("\"\n  repeat_notification_duration = \"");
        iso_into(out, repeat);
        out.push_str("\"\n  message_format               = \"ONS_OPTIMIZED\"\n");
        out.push_str("  is_enabled                   = true\n  destinations                 = ");
        out.push_str(destinations);
        out.push_str("\n  body                         = ");
        write_string(out, &a.body);
        out.push_str("\n  freeform_tags                = ");
        tf.tags_into(out, a.route);
        out.push_str("\n}\n");
    });
}

fn alarm(tf: &Tf, dest: &Destinations, a: Alarm) -> Block {
    let (oci_severity, destinations, repeat, pending) = notification(dest, &a);
    Block::new("resource", &["oci_monitoring_alarm", &snake(a.name)])
        .attr("compartment_id", Tf::compartment())
        .attr("metric_compartment_id", Tf::compartment())
        .attr("display_name", Value::str(display_name(tf.system, a.name)))
        .attr("namespace", Value::str(a.namespace))
        .attr("query", Value::expr(query(&a.query)))
        .attr("severity", Value::str(oci_severity))
        .attr("pending_duration", Value::str(iso(pending)))
        .attr("repeat_notification_duration", Value::str(iso(repeat)))
        .attr("message_format", Value::str("ONS_OPTIMIZED"))
        .attr("is_enabled", Value::Bool(true))
        .attr("destinations", destinations.value())
        .attr("body", Value::str(a.body))
        .attr("freeform_tags", tf.tags(a.route))
}

fn slo_alarm<'a>(tf: &Tf<'a, '_>, alert: &'a SloAlert) -> Alarm<'a> {
    let system = tf.system;
    let slo = alert.slo;
    let route = system.route(slo.route);
    let name = route.name.as_str();
    let long = alert.window.long;
    let interval = if long.millis <= HOUR { long } else { Duration::from_millis(HOUR) };
    let held = if long.millis <= HOUR { alert.window.short } else { Duration::from_millis(long.millis.min(DAY)) };
    let mut notes = Vec::new();
    if long.millis > HOUR {
        notes.push(format!(
            "OCI approximation: the {long} window is the hourly rate held for {}",
            Duration::from_millis(long.millis.min(DAY))
        ));
    }
    let (namespace, text) = match (slo.sli, slo.threshold) {
        (Sli::Latency, Some(Threshold::Duration(t))) => {
            notes.push(format!(
                "OCI approximation: p{} latency above {t} held for {}, not the share of slow requests",
                format_number(slo.percentile.unwrap_or(95.0)),
                alert.window.short
            ));
            let held = alert.window.short;
            return Alarm {
                name: &alert.alertname,
                severity: alert.window.severity,
                namespace: OCI_APIGATEWAY,
                query: format!(
                    "Latency[1h]{{deploymentId = \"{}\"}}.percentile({}) > {}",
                    deployment(name),
                    format_number(slo.percentile.unwrap_or(95.0) / 100.0),
                    t.millis
                ),
                pending: held,
                body: body(name, alert, &notes),
                route: Some(name),
                rerouted: None,
            };
        }
        _ => match route.traffic {
            Some(traffic) => {
                let per_interval = traffic.per_day as f64 * interval.millis as f64 / DAY as f64;
                let count = (alert.threshold * per_interval).ceil().max(1.0);
                notes.push(format!(
                    "Counts 5xx responses against {} expected requests per {interval}",
                    format_number(per_interval.round())
                ));
                (
                    OCI_APIGATEWAY,
                    format!(
                        "HttpResponses[{}]{{deploymentId = \"{}\", httpStatusCategory = \"5xx\"}}.sum() > {}",
                        interval,
                        deployment(name),
                        format_number(count)
                    ),
                )
            }
            None => (
                OCI_CUSTOM,
                format!("ErrorRatio[{interval}]{{route = \"{name}\"}}.mean() > {}", format_number(alert.threshold)),
            ),
        },
    };
    Alarm {
        name: &alert.alertname,
        severity: alert.window.severity,
        namespace,
        query: text,
        pending: held,
        body: body(name, alert, &notes),
        route: Some(name),
        rerouted: None,
    }
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

fn threshold_alarm<'a>(tf: &Tf<'a, '_>, dest: &Destinations, alert: &'a ThresholdAlert) -> Alarm<'a> {
    // An incident type that names its own rotation pages it instead of the first escalation step.
    let own_rotation = alert
        .incident
        .and_then(|kind| tf.system.incidents.iter().find(|i| i.kind == kind))
        .and_then(|i| i.rotation)
        .and_then(|r| tf.system.oncall.as_ref().map(|o| &o.rotations[r.0]));
    let rerouted = own_rotation.map(|rotation| {
        let mut d = dest.clone();
        d.page.retain(|v| *v == Value::expr(format!("oci_ons_notification_topic.{}.id", ident_of("channel", "pager"))));
        d.page.push(Value::expr(format!(
            "oci_ons_notification_topic.{}.id",
            ident_of("rotation", rotation.name.as_str())
        )));
        d.rerouted = true;
        d
    });
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
        Watch::CostPerQuery { route, max } => (
            OCI_CUSTOM,
            format!("CostPerQuery[1h]{{route = \"{route}\"}}.mean() > {}", format_number(*max)),
            Some(route.as_str()),
        ),
        Watch::SlowRoute { route, max } => (
            OCI_APIGATEWAY,
            format!("Latency[5m]{{deploymentId = \"{}\"}}.percentile(0.95) > {}", deployment(route), max.millis),
            Some(route.as_str()),
        ),
        Watch::FailingRoute { route, max } => {
            let traffic = tf.traffic_of(route);
            match traffic {
                Some(t) => {
                    let per_5m = t.per_day as f64 * 5.0 / 1440.0;
                    (
                        OCI_APIGATEWAY,
                        format!(
                            "HttpResponses[5m]{{deploymentId = \"{}\", httpStatusCategory = \"5xx\"}}.sum() > {}",
                            deployment(route),
                            format_number((max * per_5m).ceil().max(1.0))
                        ),
                        Some(route.as_str()),
                    )
                }
                None => (
                    OCI_CUSTOM,
                    format!("ErrorRatio[5m]{{route = \"{route}\"}}.mean() > {}", format_number(*max)),
                    Some(route.as_str()),
                ),
            }
        }
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
    let body = format!("{}. Runbook: {}", alert.summary, alert.runbook);
    Alarm {
        name: &alert.alertname,
        severity: alert.severity,
        namespace,
        query: text,
        pending: alert.hold,
        body,
        route,
        rerouted,
    }
}

/// `ChatAvailabilityBudgetBurnFast` → `chat_availability_budget_burn_fast`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    snake_into(&mut out, name);
    out
}

/// [`snake`], at the end of `out`.
fn snake_into(out: &mut String, name: &str) {
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EXAMPLES, example, synthetic};

    /// Every alarm written as text is the text its block gives, on the examples, a synthetic
    /// system and one whose incident type pages a rotation of its own (the alarms written
    /// through the block).
    #[test]
    fn alarms_written_as_text_are_their_blocks() {
        let own_rotation = crate::compile::compile(
            "genops.yaml",
            b"version: genops/v1
system: { name: s, owner: o, region: us-chicago-1 }
models:
  m: { provider: oci-genai, id: cohere.command-r-08-2024, price: { input_per_1k: 0.001, output_per_1k: 0.002 } }
routes:
  chat: { path: /c, data_class: internal, model: m, traffic: { per_day: 1000, input_tokens: 100, output_tokens: 10 } }
  bare: { path: /b, data_class: internal, model: m }
slos:
  chat-availability: { route: chat, sli: availability, objective: 99% }
oncall:
  rotations:
    primary: { members: [a@example.com], coverage: 24x7 }
    infra: { members: [b@example.com], coverage: 24x7 }
  escalation: [ { rotation: primary } ]
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
        let mut compilations: Vec<_> = EXAMPLES.iter().map(|name| example(name)).collect();
        compilations.push(synthetic(60));
        compilations.push(own_rotation);
        let (mut written, mut through_block) = (0, 0);
        for c in &compilations {
            assert!(!c.has_errors(), "{:#?}", c.diagnostics);
            let system = c.system.as_ref().expect("system");
            let derived = crate::emit::derived::Derived::new(system);
            let tf = Tf::new(&derived, &c.sources);
            let dest = destinations(system).expect("every test system has on-call");
            let (slo, thresholds) = (derived.slo_alerts(), derived.threshold_alerts());
            let alarms = slo
                .iter()
                .flatten()
                .filter(|a| a.has_oci_alarm())
                .map(|a| slo_alarm(&tf, a))
                .chain(thresholds.iter().map(|a| threshold_alarm(&tf, &dest, a)));
            for a in alarms {
                if a.rerouted.is_some() && a.severity == Severity::Page {
                    through_block += 1;
                } else {
                    written += 1;
                }
                let mut text = FileWriter::new("");
                // A scratch buffer left with text in it, as the previous alarm leaves it.
                let mut scratch = String::from("left over");
                push_alarm(&mut text, &tf, &dest, a.clone(), &mut scratch);
                let mut block = FileWriter::new("");
                block.push(&alarm(&tf, &dest, a));
                assert_eq!(text.finish(), block.finish());
            }
        }
        assert!(written > 400 && through_block > 0, "{written} written, {through_block} through the block");
    }
}
