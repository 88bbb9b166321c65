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
use crate::conventions::{display_name, ident, ident_of};
use crate::emit::hcl::{Block, FileWriter, Value};
use crate::model::System;
use crate::model::alerts::{Severity, SloAlert, ThresholdAlert, Watch};
use crate::model::metrics::{OCI_APIGATEWAY, OCI_CUSTOM};
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Threshold, format_number};

const HOUR: u64 = 3_600_000;
const DAY: u64 = 86_400_000;

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
    for alert in slo.iter().flatten().filter(|a| a.has_oci_alarm()) {
        file.push(&alarm(tf, &dest, slo_alarm(tf, alert)));
    }
    for alert in thresholds {
        file.push(&alarm(tf, &dest, threshold_alarm(tf, &dest, alert)));
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
    route: Option<&'a str>,
    /// The destinations of an incident type that pages its own rotation.
    rerouted: Option<Destinations>,
}

/// One alarm's resource: its OCI severity, destinations (one of the `local` lists, or a list of
/// its own when its incident type pages its own rotation), repeat and pending durations.
fn alarm(tf: &Tf, dest: &Destinations, a: Alarm) -> Block {
    let dest = a.rerouted.as_ref().unwrap_or(dest);
    let (oci_severity, destinations, repeat) = match a.severity {
        Severity::Page if dest.rerouted => ("CRITICAL", Value::List(dest.page.clone()), dest.repeat_page),
        Severity::Page => ("CRITICAL", Value::expr("local.page_destinations"), dest.repeat_page),
        Severity::Ticket => ("WARNING", Value::expr("local.ticket_destinations"), Duration::from_millis(4 * HOUR)),
    };
    let repeat = repeat.max(Duration::from_millis(60_000));
    let pending = a.pending.clamp(Duration::from_millis(60_000), Duration::from_millis(DAY));
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
        .attr("destinations", destinations)
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

    /// An incident type that names a rotation of its own pages the pager and that rotation,
    /// not the first escalation step; its tickets and every other alarm use the shared lists.
    #[test]
    fn an_incident_type_with_its_own_rotation_pages_that_rotation() {
        let c = crate::compile::compile(
            "genops.yaml",
            b"version: genops/v1
system: { name: s, owner: o, region: us-chicago-1 }
models:
  m: { provider: oci-genai, id: cohere.command-r-08-2024, price: { input_per_1k: 0.001, output_per_1k: 0.002 } }
routes:
  chat: { path: /c, data_class: internal, model: m, traffic: { per_day: 1000, input_tokens: 100, output_tokens: 10 } }
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
        assert!(!c.has_errors(), "{:#?}", c.diagnostics);
        let derived = Derived::new(c.system.as_ref().expect("system"));
        let mut file = FileWriter::new("");
        write(&Tf::new(&derived, &c.sources), &mut file);
        let body: hcl::Body = hcl::parse(&file.finish()).expect("monitoring.tf parses");
        let destinations = |alarm: &str| {
            let block = body.blocks().find(|b| b.labels.get(1).is_some_and(|l| l.as_str() == alarm)).expect(alarm);
            let text = block
                .body
                .attributes()
                .find(|a| a.key.as_str() == "destinations")
                .expect("destinations")
                .expr
                .to_string();
            // Compared without the line breaks of a long list.
            text.split_whitespace().collect::<String>()
        };
        assert_eq!(
            destinations("model_timeout_chat"),
            "[oci_ons_notification_topic.channel_pager.id,oci_ons_notification_topic.rotation_infra.id]"
        );
        assert_eq!(destinations("tool_failure_chat"), "local.ticket_destinations");
        assert_eq!(destinations("chat_availability_budget_burn_fast"), "local.page_destinations");
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
