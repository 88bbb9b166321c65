//! The runbooks in the context: one per SLI kind that has alarms (a section per SLO) and one
//! per incident type, each with its alarms, routes and template.
//!
//! In: the [`Derived`] alert catalogue of the system. Out: [`RunbookCtx`]s, SLOs first, in spec
//! order: exactly the files and anchors the alarms link.

use std::sync::Arc;

use super::super::object::List;
use super::alerts::{SloTexts, slo_alert, threshold_alert};
use super::first_seen;
use super::format::{file_of, percent};
use super::shared::Shared;
use super::view::*;
use crate::conventions::{incident_runbook, sli_runbook_file, slo_runbook};
use crate::emit::derived::Derived;
use crate::hash::HashMap;
use crate::model::{IncidentKind, RouteId, Slo, System};
use crate::spec::slos::Sli;
use crate::spec::units::{Threshold, format_number};

/// The template an SLO's runbook is rendered with.
pub fn slo_template(sli: Sli) -> String {
    format!("slo-{}.md.j2", sli.as_str().replace('_', "-"))
}

fn slo_ctx(system: &System, slo: &Slo) -> SloCtx {
    let budget = slo.objective.map(|o| 1.0 - o);
    SloCtx {
        name: slo.name.to_string(),
        route: system.route(slo.route).name.to_string(),
        sli: slo.sli.to_string(),
        objective: slo.objective.map(percent),
        window: slo.window.to_string(),
        percentile: slo.percentile.map(format_number),
        threshold: slo.threshold.map(|t| match t {
            Threshold::Number(n) if slo.sli == Sli::CostPerQuery => format!("{} {}", format_number(n), system.currency),
            t => t.to_string(),
        }),
        description: slo.description.clone(),
        error_budget: budget.map(|b| percent((b * 1e6).round() / 1e6)),
        error_budget_time: budget.map(|b| {
            let minutes = (slo.window.millis as f64 * b / 60_000.0 * 10.0).round() / 10.0;
            if minutes >= 120.0 {
                format!("{} hours", format_number((minutes / 6.0).round() / 10.0))
            } else {
                format!("{} minutes", format_number(minutes))
            }
        }),
    }
}

pub(super) fn runbooks(derived: &Derived) -> Vec<RunbookCtx> {
    let system = derived.system;
    let slo_alerts = derived.slo_alerts();
    let threshold_alerts = derived.threshold_alerts();
    let mut shared = Shared::default();
    let mut by_slo: HashMap<&str, Vec<AlertCtx>> = HashMap::default();
    let mut by_incident: HashMap<IncidentKind, Vec<AlertCtx>> = HashMap::default();
    for a in threshold_alerts {
        if let Some(slo) = &a.slo {
            by_slo.entry(slo.as_str()).or_default().push(threshold_alert(system, a, &mut shared));
        }
        if let Some(kind) = a.incident {
            by_incident.entry(kind).or_default().push(threshold_alert(system, a, &mut shared));
        }
    }
    let mut sections: Vec<Vec<SloSectionCtx>> = vec![Vec::new(); Sli::ALL.len()];
    for (slo, burn) in system.slos.iter().zip(slo_alerts) {
        let mut alerts: Vec<AlertCtx> = match burn.first() {
            Some(first) => {
                let of_slo = SloTexts::of(system, slo, &first.runbook, &mut shared);
                burn.iter().map(|a| slo_alert(system, a, &of_slo, &mut shared)).collect()
            }
            None => Vec::new(),
        };
        alerts.extend(by_slo.remove(slo.name.as_str()).unwrap_or_default());
        if alerts.is_empty() {
            continue;
        }
        let link = slo_runbook(slo.sli.as_str(), slo.name.as_str());
        let kind = Sli::ALL.iter().position(|k| *k == slo.sli).unwrap_or(0);
        sections[kind].push(SloSectionCtx {
            slo: Arc::new(slo_ctx(system, slo)),
            anchor: format!("slo-{}", slo.name),
            link: file_of(&link),
            pages: alerts.iter().any(|a| a.pages),
            alerts: alerts.into_iter().collect(),
        });
    }
    let mut out = Vec::new();
    for (sli, sections) in Sli::ALL.iter().zip(sections) {
        if sections.is_empty() {
            continue;
        }
        let path = sli_runbook_file(sli.as_str());
        let mut routes: Vec<String> = sections.iter().map(|s| s.slo.route.clone()).collect();
        routes.sort();
        routes.dedup();
        out.push(RunbookCtx {
            kind: "slo".into(),
            name: sli.as_str().into(),
            title: format!("{} SLOs", sli.as_str().replace('_', " ")),
            file: file_of(&path),
            template: slo_template(*sli),
            pages: sections.iter().any(|s| s.pages),
            tickets: sections.iter().any(|s| s.alerts.iter().any(|a| !a.pages)),
            rules: first_seen(sections.iter().flat_map(|s| s.alerts.iter().map(|a| &*a.rule)))
                .map(String::from)
                .collect(),
            alerts: List::default(),
            routes: routes.into(),
            sections: sections.into_iter().collect(),
            incident: None,
            path,
        });
    }
    let first = system.oncall.as_ref().and_then(|o| o.escalation.first()).map(|s| s.rotation);
    for incident in &system.incidents {
        let kind = incident.kind.as_str();
        let alerts: Vec<AlertCtx> = by_incident.remove(&incident.kind).unwrap_or_default();
        let routes: Vec<String> = match incident.kind {
            IncidentKind::QualityDegradation => {
                let mut ids: Vec<RouteId> = system.evaluations.iter().flat_map(|e| e.routes.iter().copied()).collect();
                ids.sort();
                ids.dedup();
                ids.into_iter().map(|r| system.route(r).name.to_string()).collect()
            }
            IncidentKind::CostOverrun => {
                let mut ids: Vec<RouteId> = Vec::new();
                for b in &system.budgets {
                    if b.routes.is_empty() {
                        ids.extend((0..system.routes.len()).map(RouteId));
                    } else {
                        ids.extend(b.routes.iter().copied());
                    }
                }
                ids.sort();
                ids.dedup();
                ids.into_iter().map(|r| system.route(r).name.to_string()).collect()
            }
            _ => system.routes.iter().map(|r| r.name.to_string()).collect(),
        };
        let path = incident_runbook(kind);
        let rotation = incident
            .rotation
            .or(first)
            .and_then(|r| system.oncall.as_ref().and_then(|o| o.rotations.get(r.0)).map(|r| r.name.to_string()));
        out.push(RunbookCtx {
            kind: "incident".into(),
            name: kind.into(),
            title: format!("Incident: {}", incident.title.to_lowercase()),
            file: file_of(&path),
            template: format!("incident-{kind}.md.j2"),
            pages: alerts.iter().any(|a| a.pages),
            tickets: alerts.iter().any(|a| !a.pages),
            rules: first_seen(alerts.iter().map(|a| &*a.rule)).map(String::from).collect(),
            alerts: alerts.into_iter().collect(),
            routes: routes.into(),
            sections: List::default(),
            incident: Some(Arc::new(IncidentCtx {
                kind: kind.into(),
                title: incident.title.clone(),
                severity: incident.severity.to_string(),
                page: incident.page,
                rotation,
                threshold: match incident.threshold {
                    Threshold::Percent(p) if incident.kind == IncidentKind::CostOverrun => format!("{p} of a budget"),
                    t => t.to_string(),
                },
                detection: incident.detection.clone(),
                action: incident.action.clone(),
            })),
            path,
        });
    }
    out
}
