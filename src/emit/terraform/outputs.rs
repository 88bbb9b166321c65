//! `outputs.tf`: what other tools read after `terraform apply`: each route's URL, the
//! notification topics the alarms and the gateway use, the registry bucket, the decision log.

use super::Tf;
use crate::conventions::{ident, ident_of};
use crate::emit::hcl::{Block, Value};

pub(super) fn blocks(tf: &Tf) -> Vec<Block> {
    let system = tf.system;
    let mut out = Vec::new();
    for (i, route) in system.routes.iter().enumerate() {
        let name = route.name.as_str();
        out.push(
            Block::new("output", &[&format!("route_{}_url", ident(name))])
                .attr("description", Value::str(format!("URL of route {name}")))
                .attr(
                    "value",
                    Value::expr(format!(
                        "\"https://${{{}}}${{oci_apigateway_deployment.{}.path_prefix}}\"",
                        super::waf::host_of(tf, i),
                        ident(name)
                    )),
                ),
        );
    }
    if let Some(oncall) = &system.oncall {
        let roles = [
            ("alerts", true),
            ("incidents", oncall.channels.incidents.is_some()),
            ("pager", oncall.channels.pager.is_some()),
            ("support", oncall.channels.support.is_some()),
        ];
        for (role, present) in roles {
            if present {
                out.push(
                    Block::new("output", &[&format!("topic_{role}_id")])
                        .attr("description", Value::str(format!("Notification topic of the {role} channel")))
                        .attr(
                            "value",
                            Value::expr(format!("oci_ons_notification_topic.{}.id", ident_of("channel", role))),
                        ),
                );
            }
        }
    }
    for model in &system.models {
        if let crate::model::Serving::Dedicated(_) = model.serving {
            out.push(
                Block::new("output", &[&format!("model_{}_endpoint_id", ident(model.name.as_str()))])
                    .attr(
                        "description",
                        Value::str(format!(
                            "OCID of the dedicated endpoint serving model {} (LiteLLM's oci_endpoint_id)",
                            model.name
                        )),
                    )
                    .attr(
                        "value",
                        Value::expr(format!("oci_generative_ai_endpoint.{}.id", ident(model.name.as_str()))),
                    ),
            );
        }
    }
    if system.compliance.decision_logging {
        out.push(
            Block::new("output", &["decision_log_id"])
                .attr("description", Value::str("OCID of the custom log the gateway writes its decisions to (PutLogs)"))
                .attr("value", Value::expr("oci_logging_log.decisions.id")),
        );
    }
    out.push(
        Block::new("output", &["prompt_registry_bucket"])
            .attr("description", Value::str("Bucket holding one object per prompt version"))
            .attr("value", Value::expr("oci_objectstorage_bucket.prompts.name")),
    );
    out
}
