//! `README.md.j2`: the index of the runbooks, written directly.
//!
//! In: the context. Out: the index's text: who is on call and how to reach them, every SLO,
//! alarm and incident type with the runbook it leads to, and every route.

use super::layout::field;
use super::{Md, Refused, Vars, Written, truthy};

/// The whole index.
pub fn write(md: &mut Md, vars: &Vars) -> Written {
    let system = &vars.system;
    md.s("# Runbooks of ").code(&system.name).s("\n\n");
    if let Some(description) = truthy(&system.description) {
        md.t(description).s("\n");
    }
    md.s("\nOwned by team ").code(&system.owner).s("; runs in OCI region ").code(&system.region);
    md.s("; amounts are in ").t(&system.currency).s(".\n");
    if !system.tags.is_empty() {
        md.s("Tags: ");
        for (i, tag) in system.tags.iter().enumerate() {
            if i > 0 {
                md.s(", ");
            }
            md.code(&tag.key).s(" = ").t(&tag.value);
        }
        md.s(".\n");
    }
    md.s("Every alarm of this system links one of the runbooks below; start with the one the alarm names.\n\n## On call\n\n");
    on_call(md, vars)?;
    alarms(md, vars)?;
    incidents(md, vars);
    routes(md, vars);
    let files = &vars.files;
    md.s("\n## Generated files these runbooks refer to\n\n");
    md.s("- Prometheus rules and their promtool tests: ").code(&files.prometheus_rules).s(", ");
    md.code(&files.prometheus_tests).s(".\n");
    md.s("- OCI Monitoring alarms: ").code(&files.monitoring_tf).s("; budgets: ").code(&files.budgets_tf);
    md.s("; notification topics: ").code(&files.notifications_tf).s(".\n");
    md.s("- API Gateway deployments, one per route: ").code(&files.gateway_tf).s("; logs: ");
    md.code(&files.logging_tf).s(".\n");
    md.s("- LiteLLM proxy config (model groups named after the routes): ").code(&files.litellm_config).s(".\n");
    Ok(())
}

/// `## On call`: rotations, the escalation ladder and the channels.
fn on_call(md: &mut Md, vars: &Vars) -> Written {
    let Some(oncall) = &vars.oncall else {
        md.s("The spec has no `oncall` section: no alarm pages anyone, and no OCI alarm is generated.\n");
        md.s("Escalate to the owning team ").code(&vars.system.owner).s(".\n");
        return Ok(());
    };
    md.s("### Rotations\n\n| rotation | coverage | shift | members | OCI topic |\n| --- | --- | --- | --- | --- |\n");
    for r in oncall.rotations.iter() {
        md.s("| ").cell(&r.name).s(" | ").t(&r.coverage);
        if let Some(step) = r.step.filter(|&s| s != 0) {
            md.s(", escalation step ").n(step);
        }
        md.s(" | ").t(&r.shift).s(" | ").plain_join(&r.members, ", ").s(" | ").cell(&r.topic).s(" |\n");
    }
    md.s("\n### Escalation\n\n");
    for s in oncall.escalation.iter() {
        let rot = oncall.rotations.iter().find(|r| r.name == s.rotation).ok_or(Refused)?;
        md.n(s.step).s(". ");
        if s.step == 1 {
            md.s("At once");
        } else {
            md.s("After ").t(&s.after).s(" without acknowledgement");
        }
        md.s(": rotation ").code(&s.rotation).s(" (").t(&rot.coverage).s(").\n");
    }
    md.s("\nPaging alarms notify ").codes(&oncall.page_topics, " and ");
    md.s(" and repeat every ").t(&oncall.repeat_page).s(" until acknowledged; tickets notify ");
    md.codes(&oncall.ticket_topics, ", ").s(".\n\n");
    md.s("### Channels\n\n| channel | for | Slack | e-mail | also | OCI topic |\n| --- | --- | --- | --- | --- | --- |\n");
    let channels = &oncall.channels;
    let listed =
        [Some(&channels.alerts), channels.incidents.as_ref(), channels.pager.as_ref(), channels.support.as_ref()];
    for c in listed.into_iter().flatten() {
        let purpose = match c.role.as_str() {
            "alerts" => "automated alerts; watch it while on call",
            "incidents" => "active incident coordination; answer at once",
            "pager" => "pages",
            _ => "support requests from other teams",
        };
        md.s("| ").t(&c.role).s(" | ").s(purpose).s(" | ");
        match truthy(&c.slack) {
            Some(slack) => md.cell(slack),
            None => md.s("none"),
        };
        md.s(" | ");
        match truthy(&c.email) {
            Some(email) => md.t(email),
            None => md.s("none"),
        };
        md.s(" | ");
        let mut also: Vec<&str> = Vec::new();
        if c.pagerduty {
            also.push("PagerDuty");
        }
        if c.webhook {
            also.push("Slack webhook");
        }
        if let Some(https) = truthy(&c.https) {
            also.push(https);
        }
        if also.is_empty() {
            md.s("none");
        } else {
            md.plain_join(&also, ", ");
        }
        md.s(" | ").cell(&c.topic).s(" |\n");
    }
    Ok(())
}

/// `## Alarms and runbooks`: every SLO, then every alarm and budget rule with its runbook.
fn alarms(md: &mut Md, vars: &Vars) -> Written {
    md.s("\n## Alarms and runbooks\n\n### SLOs\n\n");
    md.s("Each SLO's alarms, with their names and thresholds, are in its section of the runbook of its kind (`slo-<sli>.md`): follow the SLO's link.\n\n");
    md.s("| SLO and its runbook section | route | SLI | objective | alarms |\n| --- | --- | --- | --- | --- |\n");
    for rb in vars.runbooks.iter() {
        for s in rb.sections.iter() {
            let slo = &s.slo;
            md.s("| [").cell(&slo.name).s("](").s(&s.link).s(") | ").cell(&slo.route).s(" | ").t(&slo.sli).s(" | ");
            match truthy(&slo.objective) {
                Some(objective) => {
                    md.t(objective);
                    if let Some(threshold) = truthy(&slo.threshold) {
                        md.s(" within ").t(threshold);
                    }
                    md.s(" over ").t(&slo.window);
                }
                None => {
                    md.t(field(&slo.threshold)?);
                }
            }
            let pages = s.alerts.iter().filter(|a| a.pages).count();
            md.s(" | ").n(pages).s(" page, ").n(s.alerts.len() - pages).s(" ticket |\n");
        }
    }
    md.s("\n### Incident types\n\n| incident | route | Prometheus alert | OCI alarm | severity | runbook |\n| --- | --- | --- | --- | --- | --- |\n");
    for rb in vars.runbooks.iter() {
        let kind = rb.kind.replace("slo", "SLO");
        for a in rb.alerts.iter() {
            md.s("| ").t(&kind).s(" ").cell(&rb.name).s(" | ");
            if let Some(route) = truthy(&a.route) {
                md.cell(route);
            } else if let Some(evaluation) = truthy(&a.evaluation) {
                md.s("evaluation ").cell(evaluation);
            } else {
                md.s("all");
            }
            md.s(" | ").cell(&a.name).s(" | ");
            match truthy(&a.oci_name) {
                Some(oci) => md.cell(oci),
                None => md.s("none"),
            };
            md.s(" | ").t(&a.severity).s(" | [").t(&rb.file).s("](").t(&rb.file).s(") |\n");
        }
    }
    for b in vars.budgets.iter() {
        let rules = b.alerts.iter().map(|a| a.rule.as_str()).chain(b.pressure.iter().map(|p| p.rule.as_str()));
        for rule in rules {
            md.s("| incident `cost-overrun` | ");
            if b.routes.is_empty() {
                md.s("all");
            } else {
                md.cells(&b.routes, ", ");
            }
            md.s(" | none | budget ").cell(&b.display_name).s(" rule ").cell(rule);
            md.s(" | ticket | [incident-cost-overrun.md](incident-cost-overrun.md) |\n");
        }
    }
    Ok(())
}

/// `## Incident runbooks`.
fn incidents(md: &mut Md, vars: &Vars) {
    md.s("\n## Incident runbooks\n\n| incident | severity | pages | first rotation | detected by | first action | runbook |\n");
    md.s("| --- | --- | --- | --- | --- | --- | --- |\n");
    for rb in vars.runbooks.iter() {
        let Some(incident) = &rb.incident else { continue };
        md.s("| ").t(&incident.title).s(" | ").t(&incident.severity).s(" | ");
        md.s(if incident.page { "yes" } else { "no, ticket" }).s(" | ");
        match truthy(&incident.rotation) {
            Some(rotation) => md.cell(rotation),
            None => md.s("none"),
        };
        md.s(" | ").t(&incident.detection).s(", threshold ").t(&incident.threshold).s(" | ");
        md.t(&incident.action).s(" | [").t(&rb.file).s("](").t(&rb.file).s(") |\n");
    }
}

/// `## Routes`.
fn routes(md: &mut Md, vars: &Vars) {
    md.s("\n## Routes\n\n| route | path | data class | model | fallbacks | worst case | SLOs |\n");
    md.s("| --- | --- | --- | --- | --- | --- | --- |\n");
    for r in vars.routes.iter() {
        md.s("| ").cell(&r.name).s(" | ").cell(&r.path).s(" | ").t(&r.data_class).s(" | ").cell(&r.model.name).s(" | ");
        if r.fallbacks.is_empty() {
            md.s("none");
        } else {
            let names: Vec<&str> = r.fallbacks.iter().map(|f| f.name.as_str()).collect();
            md.cells(&names, ", ");
        }
        md.s(" | ").t(&r.worst_case).s(" | ");
        if r.slos.is_empty() {
            md.s("none");
        } else {
            md.cells(&r.slos, ", ");
        }
        md.s(" |\n");
    }
}
