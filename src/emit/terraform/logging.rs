//! `logging.tf`: the system's log group, each route deployment's access log (always: it is the
//! audit trail) and execution log (when the data class allows more than audit records), with
//! the retention from `compliance.retention.traces`; and the tenancy's audit retention.

use super::Tf;
use super::gateway::gateway_of;
use crate::conventions::ident;
use crate::emit::hcl::{Block, FileWriter, Value};
use crate::spec::units::Duration;

/// OCI Logging keeps logs 30 to 180 days, in 30-day steps.
fn log_retention_days(retention: Option<Duration>) -> i64 {
    let days = retention.map_or(30, |d| d.millis.div_ceil(86_400_000));
    (days.div_ceil(30) * 30).clamp(30, 180) as i64
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
    if let Some(audit) = system.compliance.audit_retention {
        let days = audit.millis.div_ceil(86_400_000).clamp(90, 365) as i64;
        let mut block = Block::new("resource", &["oci_audit_configuration", "tenancy"])
            .comment(format!("compliance.retention.audit: {audit}"));
        if audit.millis > 365 * 86_400_000 {
            block = block.comment(format!(
                "OCI Audit keeps events at most 365 days: export them to the traces bucket for the full {audit}"
            ));
        }
        file.push(&block.attr("compartment_id", Tf::tenancy()).attr("retention_period_days", Value::Int(days)));
    }
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
