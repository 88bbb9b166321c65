//! The system-wide parts of the context: the system itself, the paths of the other generated
//! files, the evaluations, the compliance frameworks and the burn-rate windows.
//!
//! In: the checked [`System`] (and the burn-rate table of the alarms). Out: the view-model
//! structs of those parts, every value already formatted.

use std::sync::Arc;

use super::super::object::List;
use super::format::percent;
use super::view::{BurnWindowCtx, ComplianceCtx, EvaluationCtx, Files, KeyValue, SystemCtx};
use crate::emit::alarms;
use crate::emit::litellm;
use crate::model::System;
use crate::spec::units::format_number;

pub(super) fn system(system: &System) -> SystemCtx {
    SystemCtx {
        name: system.name.to_string(),
        owner: system.owner.to_string(),
        region: system.region.clone(),
        currency: system.currency.clone(),
        description: system.description.clone(),
        tags: system.tags.iter().map(|(k, v)| KeyValue { key: k.clone(), value: v.clone() }).collect(),
    }
}

/// Paths of the other generated files, as the runbooks refer to them.
pub(super) fn files(system: &System) -> Files {
    Files {
        prometheus_rules: alarms::prometheus::rules_path(system),
        prometheus_tests: format!("alarms/prometheus/{}.rules.test.yaml", system.name),
        openslo: alarms::openslo::path(system),
        monitoring_tf: "terraform/monitoring.tf".into(),
        gateway_tf: "terraform/gateway.tf".into(),
        budgets_tf: "terraform/budgets.tf".into(),
        notifications_tf: "terraform/notifications.tf".into(),
        logging_tf: "terraform/logging.tf".into(),
        security_tf: "terraform/security.tf".into(),
        storage_tf: "terraform/storage.tf".into(),
        litellm_config: litellm::PATH.into(),
    }
}

pub(super) fn evaluations(system: &System) -> List<Arc<EvaluationCtx>> {
    system
        .evaluations
        .iter()
        .map(|e| {
            let t = e.thresholds;
            let thresholds = [
                ("relevance", t.relevance.map(format_number)),
                ("groundedness", t.groundedness.map(format_number)),
                ("completeness", t.completeness.map(format_number)),
                ("harmful_rate", t.harmful_rate.map(percent)),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|value| KeyValue { key: k.into(), value }))
            .collect();
            EvaluationCtx {
                name: e.name.to_string(),
                dataset: e.dataset.clone(),
                cases: e.cases,
                min_cases: e.min_cases,
                routes: e.routes.iter().map(|r| system.route(*r).name.to_string()).collect(),
                thresholds,
                gate: e.gate.to_string(),
                grader: e.grader.map(|m| system.model(m).name.to_string()),
            }
        })
        .collect()
}

pub(super) fn compliance(system: &System) -> ComplianceCtx {
    let compliance = &system.compliance;
    let frameworks: Vec<String> = compliance.frameworks.iter().map(|f| f.to_string()).collect();
    let has = |name: &str| frameworks.iter().any(|f| f == name);
    let archived = crate::emit::terraform::archive_sources(compliance);
    ComplianceCtx {
        archive: !archived.is_empty(),
        archived_audit: archived.iter().any(|(id, _)| *id == "audit"),
        gdpr: has("gdpr"),
        hipaa: has("hipaa"),
        soc2: has("soc2"),
        pci_dss: has("pci-dss"),
        frameworks: frameworks.iter().cloned().collect(),
        traces_retention: compliance.traces_retention.map(|d| d.to_string()),
        audit_retention: compliance.audit_retention.map(|d| d.to_string()),
        decision_logging: compliance.decision_logging,
        encryption: compliance.encryption.map(|e| e.to_string()),
    }
}

/// The burn-rate windows of the SLO alarms, fastest first.
pub(super) fn burn_windows() -> List<Arc<BurnWindowCtx>> {
    crate::model::alerts::burn_windows()
        .iter()
        .map(|w| BurnWindowCtx {
            name: w.name.clone(),
            severity: w.severity.as_str().into(),
            long: w.long.to_string(),
            short: w.short.to_string(),
            budget: percent(w.budget),
            burn_30d: format_number((w.budget * 30.0 * 86_400_000.0 / w.long.millis as f64 * 10.0).round() / 10.0),
        })
        .collect()
}
