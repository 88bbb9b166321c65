//! `logging.tf`: the system's log group, each route deployment's access log (always: it is the
//! audit trail) and execution log (when the data class allows more than audit records), with
//! the retention from `compliance.retention.traces`; the tenancy's audit retention; the
//! decision log of the gateway (`compliance.decision_logging`, GDPR Art. 22); and the service
//! connectors that copy the audit events and the decision log to the archive bucket of
//! `storage.tf` when the spec keeps them longer than OCI does.

use super::Tf;
use super::gateway::gateway_of;
use super::security::ARCHIVE_POLICY;
use super::storage::{NAMESPACE, archive_retention, bucket_name};
use crate::conventions::ident;
use crate::emit::hcl::{Block, FileWriter, Value};
use crate::spec::units::Duration;

/// OCI Logging keeps logs 30 to 180 days, in 30-day steps.
fn log_retention_days(retention: Option<Duration>) -> i64 {
    let days = retention.map_or(30, |d| d.millis.div_ceil(86_400_000));
    (days.div_ceil(30) * 30).clamp(30, 180) as i64
}

/// OCI Audit keeps events at most 365 days
/// (https://docs.oracle.com/en-us/iaas/Content/Audit/Tasks/settingretentionperiod.htm).
const AUDIT_MAX_DAYS: u64 = 365;

/// What the archive receives, each by its own service connector: (connector name, what it
/// copies). Audit events when `retention.audit` is longer than OCI Audit keeps them; the
/// decision log when `decision_logging` is on.
/// The runbooks say where the archived records are from the same answer.
pub(crate) fn archive_sources(c: &crate::model::Compliance) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if c.audit_retention.is_some_and(|a| a.millis > AUDIT_MAX_DAYS * 86_400_000) {
        out.push(("audit", "the compartment's OCI Audit events"));
    }
    if c.decision_logging {
        out.push(("decisions", "the gateway's decision log"));
    }
    out
}

/// Writes the logs one by one: a large system has tens of thousands of them.
pub(super) fn write(tf: &Tf, file: &mut FileWriter) {
    let system = tf.system;
    let retention = log_retention_days(system.compliance.traces_retention);
    // About a kilobyte of text a log: reserved, so a large file is not copied as it grows.
    file.reserve(system.routes.len() * 2 * 1024);
    file.push(
        &Block::new("resource", &["oci_logging_log_group", "system"])
            .comment("logs of the system's gateways")
            .attr("compartment_id", Tf::compartment())
            .attr("display_name", tf.display("logs"))
            .attr("description", Value::str(format!("Gateway logs of {}", system.name)))
            .attr("freeform_tags", tf.tags(None))
            .attr("defined_tags", tf.cost_tags(&[])),
    );
    for (i, route) in system.routes.iter().enumerate() {
        let name = route.name.as_str();
        let execution = system.policy(route.data_class).logging.min_level(route.logging).is_some();
        let categories: &[&str] = if execution { &["access", "execution"] } else { &["access"] };
        for category in categories {
            file.push(
                &Block::new("resource", &["oci_logging_log", &format!("{}_{category}", ident(name))])
                    .comment(format!(
                        "routes.{name}: {category} log ({} data, {} gateway)",
                        route.data_class,
                        gateway_of(tf, i)
                    ))
                    .attr("display_name", tf.display(&format!("{name}-{category}")))
                    .attr("log_group_id", Value::expr("oci_logging_log_group.system.id"))
                    .attr("log_type", Value::str("SERVICE"))
                    .attr("is_enabled", Value::Bool(true))
                    .attr("retention_duration", Value::Int(retention))
                    .attr("freeform_tags", tf.tags(Some(name)))
                    .attr("defined_tags", tf.cost_tags(&[crate::model::RouteId(i)]))
                    .block(
                        Block::new("configuration", &[]).attr("compartment_id", Tf::compartment()).block(
                            Block::new("source", &[])
                                .attr("category", Value::str(*category))
                                .attr("resource", Value::expr(format!("oci_apigateway_deployment.{}.id", ident(name))))
                                .attr("service", Value::str("apigateway"))
                                .attr("source_type", Value::str("OCISERVICE")),
                        ),
                    ),
            );
        }
    }
    if system.compliance.decision_logging {
        // A custom log the gateway writes with PutLogs (Logging ingestion); OCI Logging keeps it
        // at most 180 days, the archive keeps it for the framework.
        file.push(
            &Block::new("resource", &["oci_logging_log", "decisions"])
                .comment("compliance.decision_logging: one entry per answer: input hash, route, prompt version, model, output")
                .attr("display_name", tf.display("decisions"))
                .attr("log_group_id", Value::expr("oci_logging_log_group.system.id"))
                .attr("log_type", Value::str("CUSTOM"))
                .attr("is_enabled", Value::Bool(true))
                .attr("retention_duration", Value::Int(retention))
                .attr("freeform_tags", tf.tags(None)),
        );
    }
    if let Some(audit) = system.compliance.audit_retention {
        let days = audit.millis.div_ceil(86_400_000).clamp(90, AUDIT_MAX_DAYS) as i64;
        let mut block = Block::new("resource", &["oci_audit_configuration", "tenancy"])
            .comment(format!("compliance.retention.audit: {audit}"));
        if audit.millis > AUDIT_MAX_DAYS * 86_400_000 {
            block = block.comment(format!(
                "OCI Audit keeps events at most 365 days: the connector audit_archive copies them to bucket {} for the full {audit}",
                bucket_name(tf, "archive")
            ));
        }
        file.push(&block.attr("compartment_id", Tf::tenancy()).attr("retention_period_days", Value::Int(days)));
    }
    for (id, what) in archive_sources(&system.compliance) {
        file.push(&connector(tf, id, what));
    }
}

/// A service connector from a log to the archive bucket, objects under `<id>/`.
fn connector(tf: &Tf, id: &str, what: &str) -> Block {
    let kept = archive_retention(tf).map_or("until deleted".to_string(), |d| format!("kept {d}"));
    // The special log group `_Audit` is the compartment's audit events (SCH API, LogSource.logGroupId:
    // https://docs.oracle.com/en-us/iaas/api/#/en/serviceconnectors/latest/datatypes/LogSource).
    let source = if id == "audit" {
        Block::new("log_sources", &[])
            .attr("compartment_id", Tf::compartment())
            .attr("log_group_id", Value::str("_Audit"))
    } else {
        Block::new("log_sources", &[])
            .attr("compartment_id", Tf::compartment())
            .attr("log_group_id", Value::expr("oci_logging_log_group.system.id"))
            .attr("log_id", Value::expr("oci_logging_log.decisions.id"))
    };
    Block::new("resource", &["oci_sch_service_connector", &format!("{id}_archive")])
        .comment(format!("{what} to the archive bucket, {kept}"))
        .attr("compartment_id", Tf::compartment())
        .attr("display_name", tf.display(&format!("{id}-archive")))
        .attr("description", Value::str(format!("Copies {what} to the archive of {}", tf.system.name)))
        .attr("freeform_tags", tf.tags(None))
        .attr("depends_on", Value::List(vec![Value::expr(ARCHIVE_POLICY)]))
        .block(Block::new("source", &[]).attr("kind", Value::str("logging")).block(source))
        .block(
            Block::new("target", &[])
                .attr("kind", Value::str("objectStorage"))
                .attr("namespace", Value::expr(NAMESPACE))
                .attr("bucket", Value::expr("oci_objectstorage_bucket.archive.name"))
                .attr("object_name_prefix", Value::str(id)),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_fits_oci_logging_steps() {
        assert_eq!(log_retention_days(None), 30);
        assert_eq!(log_retention_days(Duration::parse("7d").ok()), 30);
        assert_eq!(log_retention_days(Duration::parse("45d").ok()), 60);
        assert_eq!(log_retention_days(Duration::parse("365d").ok()), 180);
    }
}
