//! `layout.md.j2` and the macros of `macros.md.j2` the written runbooks use.
//!
//! In: a runbook's [`Blocks`] (what its template fills in) and the context. Out: the runbook's
//! text, the skeleton of `layout.md.j2` around the blocks. Blank lines follow the templates'
//! loosely: the reflow makes every run of them one, outside code blocks.

use super::{Md, Refused, Vars, Written, some, truthy};
use crate::emit::runbooks::context::{AlertCtx, BurnWindowCtx, RouteCtx, RunbookCtx, SloSectionCtx};

/// What a runbook's template puts in the layout's blocks.
pub struct Blocks {
    pub title: Block,
    pub summary: Block,
    pub meaning: Block,
    pub impact: Block,
    /// `None`: the layout's own, the runbook's alarms and where they are delivered.
    pub detection: Option<Block>,
    pub action: Block,
    pub diagnosis: Block,
    pub recovery: Block,
    /// The `extra` line of `m.postmortem(extra)`.
    pub postmortem: &'static str,
    /// One SLO's section, after `## SLO <name>` (the runbooks of an SLI kind).
    pub section: Option<Section>,
}

/// The section of one SLO, after its heading.
pub type Section = fn(&mut Md, &Vars, &SloSectionCtx, &RouteCtx) -> Written;

/// A block of the layout.
pub type Block = fn(&mut Md, &Vars, &RunbookCtx) -> Written;

/// `layout.md.j2` with `blocks`.
pub fn write(md: &mut Md, vars: &Vars, rb: &RunbookCtx, blocks: &Blocks) -> Written {
    let incident = rb.incident.as_deref();
    md.s("# ");
    (blocks.title)(md, vars, rb)?;
    md.s("\n\n");
    (blocks.summary)(md, vars, rb)?;
    md.s("\n");
    if rb.pages {
        md.s("This runbook is linked from paging alarms: acknowledge the page first.\n");
    }
    md.s("\n## Meaning\n\n");
    (blocks.meaning)(md, vars, rb)?;
    md.s("\n## Impact\n\n");
    (blocks.impact)(md, vars, rb)?;
    md.s("\n## Detection\n\n");
    match blocks.detection {
        Some(detection) => detection(md, vars, rb)?,
        None => detection(md, vars, rb),
    }
    md.s("\n## Immediate action\n\n");
    (blocks.action)(md, vars, rb)?;
    md.s("\n## Diagnosis\n\n");
    (blocks.diagnosis)(md, vars, rb)?;
    md.s("\n## Escalation\n\n");
    escalation(md, vars, incident.and_then(|i| i.rotation.as_deref()))?;
    md.s("\n## Communication\n\n");
    communication(md, vars, incident.map(|i| i.severity.as_str()));
    md.s("\n## Recovery and verification\n\n");
    (blocks.recovery)(md, vars, rb)?;
    md.s("\n## Postmortem\n\n");
    postmortem(md, Some(blocks.postmortem));
    if let Some(write_section) = blocks.section {
        for section in rb.sections.iter() {
            let route = vars.route(&section.slo.route)?;
            md.s("\n## SLO ").t(&section.slo.name).s("\n\n");
            write_section(md, vars, section, route)?;
        }
    }
    md.s("\n\n---\n\n[All runbooks of ").code(&vars.system.name).s("](README.md)\n");
    Ok(())
}

/// The layout's detection block: the runbook's alarms and where they are delivered.
fn detection(md: &mut Md, vars: &Vars, rb: &RunbookCtx) {
    if rb.alerts.is_empty() {
        md.s("No alarm of this system detects it");
        match rb.incident.as_deref() {
            Some(incident) if incident.kind == "quality-degradation" => md.s(" (the spec has no evaluation)"),
            Some(_) => md.s(" (the spec has no route)"),
            None => md,
        };
        md.s(": it is found by users, or on the dashboards.\n");
        return;
    }
    // `m.alarm_table(runbook.alerts)`.
    md.s("| Prometheus alert | OCI alarm | severity | fires when | over |\n| --- | --- | --- | --- | --- |\n");
    for a in rb.alerts.iter() {
        md.s("| ").cell(&a.name).s(" | ");
        match truthy(&a.oci_name) {
            Some(oci) => md.cell(oci).s(" (").t(&a.oci_severity).s(")"),
            None => md.s("none"),
        };
        md.s(" | ").t(&a.severity).s(" | ").t(&a.measures).s(": ").t(&a.threshold).s(" | ").t(&a.window).s(" |\n");
    }
    md.s("\n");
    delivery(md, vars, rb);
}

/// `m.oci_status(runbook)`.
pub fn oci_status(md: &mut Md, vars: &Vars, rb: &RunbookCtx) -> Written {
    let oci: Vec<&str> = rb.alerts.iter().filter_map(|a| truthy(&a.oci_name)).collect();
    if vars.oncall.is_none() || oci.is_empty() {
        return Ok(());
    }
    md.s("- The OCI ");
    md.s(if oci.len() == 1 {
        "alarm returns"
    } else {
        "alarm of each affected route or evaluation (named in the detection table) returns"
    });
    md.s(" to `OK`:\n\n  ```sh\n  oci monitoring alarm-status list-alarms-status --compartment-id \"$COMPARTMENT_OCID\" --display-name ");
    match oci.as_slice() {
        [only] => md.verbatim(only)?,
        _ => md.s("\"<alarm>\""),
    };
    md.s("\n  ```\n\n");
    Ok(())
}

/// The summary of an incident runbook: what fired (`what`, ending in a full stop), then the
/// incident's severity, who is paged first and the first action.
pub fn incident_summary(md: &mut Md, rb: &RunbookCtx, what: fn(&mut Md, &str)) -> Written {
    let incident = rb.incident.as_deref().ok_or(Refused)?;
    what(md, &incident.threshold);
    md.s("\nSeverity ").t(&incident.severity).s("; ");
    md.s(if incident.page { "it pages" } else { "it opens a ticket" });
    if let Some(rotation) = truthy(&incident.rotation) {
        md.s(", rotation ").code(rotation).s(" first");
    }
    md.s(".\nFirst action: ").t(&incident.action).s(".\n");
    Ok(())
}

/// `{{ incident.threshold }}`.
pub fn threshold(rb: &RunbookCtx) -> Result<&str, Refused> {
    rb.incident.as_deref().map(|i| i.threshold.as_str()).ok_or(Refused)
}

/// `m.delivery(runbook, oncall)`.
pub fn delivery(md: &mut Md, vars: &Vars, rb: &RunbookCtx) {
    let Some(oncall) = &vars.oncall else {
        md.s("The spec has no `oncall` section: no OCI alarm is generated and nobody is paged.\n");
        md.s("Prometheus rules: ").code(&vars.files.prometheus_rules).s(".\n");
        return;
    };
    if rb.pages {
        md.s("Pages go to ").codes(&oncall.page_topics, " and ");
        md.s("\n(OCI Notifications topics), repeated every ").t(&oncall.repeat_page).s(" until acknowledged.\n");
    }
    if rb.tickets {
        md.s("Tickets go to ").codes(&oncall.ticket_topics, "");
        if let Some(slack) = truthy(&oncall.channels.alerts.slack) {
            md.s(" and Slack ").code(slack);
        }
        md.s(".\n");
    }
    md.s("Prometheus rules: ").code(&vars.files.prometheus_rules);
    md.s("; OCI alarms: ").code(&vars.files.monitoring_tf).s(".\n");
}

/// `m.burn_windows(windows)`.
pub fn burn_windows(md: &mut Md, windows: &[std::sync::Arc<BurnWindowCtx>]) {
    md.s("| window | severity | fires when both windows burn faster than | long and short windows | budget spent in the long window |\n");
    md.s("| --- | --- | --- | --- | --- |\n");
    for w in windows {
        md.s("| ").t(&w.name).s(" | ").t(&w.severity).s(" | ").t(&w.burn_30d);
        md.s("× the sustainable rate (for a 30d SLO; scaled to the SLO's window) | ");
        md.t(&w.long).s(" and ").t(&w.short).s(" | ").t(&w.budget).s(" |\n");
    }
    md.s("\nEach SLO's section gives the failure ratios these burn rates mean for its objective.\n");
}

/// `m.slo_detection(runbook, oncall)`.
pub fn slo_detection(md: &mut Md, vars: &Vars, rb: &RunbookCtx) -> Written {
    md.s("Every SLO below has its own alarms, listed in its section with their thresholds");
    if vars.oncall.is_some() {
        md.s(": the OCI Monitoring alarms by display name");
    }
    md.s(".\nIn Prometheus the SLOs of this kind share the alerting rules ").codes(&rb.rules, ", ");
    md.s("; an alert carries the labels `slo` and `route`, and the `slo` label names the section to read.\n");
    if !rb.sections.is_empty() {
        md.s("\n");
        delivery(md, vars, rb);
    }
    Ok(())
}

/// `m.slo_oci_status(oncall)`.
pub fn slo_oci_status(md: &mut Md, vars: &Vars) {
    if vars.oncall.is_some() {
        md.s("- The SLO's OCI alarms (named in its section) return to `OK`:\n\n  ```sh\n");
        md.s("  oci monitoring alarm-status list-alarms-status --compartment-id \"$COMPARTMENT_OCID\" --display-name \"<alarm>\"\n");
        md.s("  ```\n\n");
    }
}

/// `m.route_facts(r)`.
pub fn route_facts(md: &mut Md, r: &RouteCtx) {
    md.s("- Route ").code(&r.name).s(" at ").code(&r.path).s(": data class ").code(&r.data_class);
    if let Some(traffic) = &r.traffic {
        md.s(", ").n(traffic.per_day).s(" requests a day");
    }
    md.s("; API Gateway deployment ").code(&r.gateway.display_name);
    md.s(", access log ").code(&r.gateway.access_log).s(".\n");
    md.s("- Model ").code(&r.model.name).s(" (").code(&r.model.id).s(", ").t(&r.model.serving);
    if let Some(cluster) = truthy(&r.model.cluster) {
        md.s(" on cluster ").code(cluster);
    }
    md.s(")");
    if let Some(prompt) = &r.prompt {
        md.s(" with prompt ").code(&prompt.name).s(" ").t(&prompt.version);
    }
    md.s("; ");
    if r.fallbacks.is_empty() {
        md.s("no fallback");
    } else {
        md.s("fallbacks ");
        for (i, f) in r.fallbacks.iter().enumerate() {
            if i > 0 {
                md.s(", ");
            }
            md.code(&f.name);
        }
    }
    md.s("; timeout ").t(&r.timeout).s(", a caller waits at most ").t(&r.worst_case).s(".\n");
    if let Some(ro) = &r.rollout {
        md.s("- Rollout in progress: ").t(&ro.label).s(" of ");
        let model = truthy(&ro.candidate_model);
        if let Some(model) = model {
            md.s("model ").code(model);
        }
        if model.is_some() && ro.candidate_prompt.is_some() {
            md.s(" and ");
        }
        if let Some(prompt) = &ro.candidate_prompt {
            md.s("prompt ").code(&prompt.name).s(" ").t(&prompt.version);
        }
        if ro.strategy == "blue-green" {
            md.s(", active side ").t(&ro.active);
        } else {
            md.s(" at ").t(&ro.weight);
        }
        md.s(": the first suspect.\n");
    }
}

/// The description, the route's facts and the SLO's alarms, after an SLO section's first
/// sentence.
pub fn slo_facts(md: &mut Md, s: &SloSectionCtx, r: &RouteCtx) {
    if let Some(description) = truthy(&s.slo.description) {
        // `description | sentence`: exactly one full stop at the end.
        md.s("From the spec: ").t(&format!("{}.", description.trim_end().trim_end_matches('.'))).s("\n");
    }
    md.s("\n");
    route_facts(md, r);
    md.s("\n");
    slo_alarms(md, &s.alerts);
}

/// `m.slo_alarms(s)`.
fn slo_alarms(md: &mut Md, alerts: &[std::sync::Arc<AlertCtx>]) {
    md.s("| alarm | severity | fires when | over |\n| --- | --- | --- | --- |\n");
    for a in alerts {
        md.s("| ");
        match truthy(&a.oci_name) {
            Some(oci) => md.cell(oci),
            None => md.cell(&a.name).s(" (Prometheus)"),
        };
        md.s(" | ").t(&a.severity).s(" | ").t(&a.threshold).s(" | ").t(&a.window).s(" |\n");
    }
}

/// `m.fallback_alias(r)`, for a route with a fallback.
pub fn fallback_alias(md: &mut Md, r: &RouteCtx) -> Written {
    let first = r.fallbacks.first().ok_or(Refused)?;
    md.s("```yaml\nrouter_settings:\n  model_group_alias:\n    \"");
    md.verbatim(&r.litellm.group)?.s("\": \"").verbatim(&first.group)?.s("\"\n```\n");
    Ok(())
}

/// `m.escalation(owner)`.
pub fn escalation(md: &mut Md, vars: &Vars, owner: Option<&str>) -> Written {
    let Some(oncall) = &vars.oncall else {
        md.s("The spec has no on-call section: escalate to the owning team ").code(&vars.system.owner).s(".\n");
        return Ok(());
    };
    if let Some(owner) = owner.filter(|o| !o.is_empty() && *o != oncall.first) {
        md.s("This incident type belongs to rotation ").code(owner);
        md.s(": bring it in as soon as the incident is confirmed.\n");
    }
    md.s("Unacknowledged pages climb the ladder:\n\n");
    let rotation = |name: &str| oncall.rotations.iter().find(|r| r.name == name).ok_or(Refused);
    for s in oncall.escalation.iter() {
        let rot = rotation(&s.rotation)?;
        md.n(s.step).s(". ");
        if s.step == 1 {
            md.s("At once");
        } else {
            md.s("After ").t(&s.after).s(" without acknowledgement");
        }
        md.s(": rotation ").code(&s.rotation).s(" (").t(&rot.coverage);
        if !rot.around_the_clock {
            md.s(", not paged out of hours");
        }
        md.s("): ").plain_join(&rot.members, ", ").s(".\n");
    }
    md.s("\nPage the next step yourself as soon as you need it, without waiting for the timer: publish to its topic, e.g. ");
    for s in oncall.escalation.iter().filter(|s| s.step == 2) {
        md.code(&rotation(&s.rotation)?.topic);
    }
    if oncall.escalation.len() < 2 {
        md.code(&oncall.rotations.first().ok_or(Refused)?.topic);
    }
    md.s(".\n");
    Ok(())
}

/// `m.communication(severity)`.
pub fn communication(md: &mut Md, vars: &Vars, severity: Option<&str>) {
    let Some(oncall) = &vars.oncall else {
        md.s("- Coordinate with the owning team ").code(&vars.system.owner).s(".\n");
        return;
    };
    let c = &oncall.coordination;
    md.s("- Coordinate in ");
    match truthy(&c.slack) {
        Some(slack) => md.s("Slack ").code(slack),
        None => md.s("the ").t(&c.role).s(" channel (topic ").code(&c.topic).s(")"),
    };
    if let Some(email) = truthy(&c.email) {
        md.s(" and by e-mail to ").t(email);
    }
    md.s(": post what fired, the routes affected, what you did and the next update time");
    if let Some(severity) = severity.filter(|s| !s.is_empty()) {
        md.s(" (severity ").t(severity).s(")");
    }
    md.s(".\n- Post an update at least every 30 minutes while users are affected, and when it is resolved.\n");
    if let Some(alerts) = truthy(&oncall.channels.alerts.slack) {
        if c.slack.as_deref() != Some(alerts) {
            md.s("- Automated alerts keep arriving in ").code(alerts).s("; do not discuss the incident there.\n");
        }
    }
    if let Some(support) = &oncall.channels.support {
        md.s("- Tell the support channel (");
        if let Some(slack) = truthy(&support.slack) {
            md.code(slack);
        } else if let Some(email) = truthy(&support.email) {
            md.t(email);
        } else {
            md.s("topic ").code(&support.topic);
        }
        md.s(") what users see, so they can answer tickets.\n");
    }
}

/// `m.postmortem(extra)`.
pub fn postmortem(md: &mut Md, extra: Option<&str>) {
    md.s("Write it within five working days, blameless, with:\n\n");
    md.s("- a timeline in UTC: first alarm, acknowledgement, each action, recovery (the alarms above and the route's access log give the times);\n");
    md.s("- impact: requests failed or degraded, users and routes affected, error budget spent;\n");
    md.s("- root cause, and why the alarm did not fire earlier, if it could have;\n");
    if let Some(extra) = extra.filter(|e| !e.is_empty()) {
        md.s("- ").t(extra).s(";\n");
    }
    md.s("- actions with owners: a spec change (fallback, timeout, threshold, budget, rollout) goes through a pull request and `genops plan`.\n");
}

/// `m.restore()`.
pub fn restore(md: &mut Md) {
    md.s("Undo every temporary edit once the alarm has been quiet for a full short window: `genops plan` lists the generated files that were edited by hand, and `genops build --force` writes them back as the spec says (then apply Terraform and restart the proxy as before).\n");
}

/// `{{ s.slo.<field> }}` of an SLO section: printing an absent one is refused.
pub fn field(value: &Option<String>) -> Result<&str, Refused> {
    some(value).map(String::as_str)
}
