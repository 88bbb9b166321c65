//! `notifications.tf`: a topic per on-call channel and per rotation, and their subscriptions.
//! Secret endpoints (Slack webhooks, PagerDuty keys) are read from OCI Vault at apply time
//! (`vault:` references) or from sensitive variables (`env:` references); never written here.

use super::Tf;
use super::variables::secret_variable;
use crate::conventions::{ident, ident_of};
use crate::emit::hcl::{Block, Value};
use crate::model::Channel;
use crate::spec::units::SecretRef;

pub(super) fn blocks(tf: &Tf) -> Vec<Block> {
    let Some(oncall) = &tf.system.oncall else { return Vec::new() };
    let mut out = Vec::new();
    let mut secrets: Vec<(String, String)> = Vec::new();
    let channels = [
        ("alerts", Some(&oncall.channels.alerts)),
        ("incidents", oncall.channels.incidents.as_ref()),
        ("pager", oncall.channels.pager.as_ref()),
        ("support", oncall.channels.support.as_ref()),
    ];
    for (role, channel) in channels {
        let Some(channel) = channel else { continue };
        let topic = ident_of("channel", role);
        out.push(
            Block::new("resource", &["oci_ons_notification_topic", &topic])
                .comment(format!("oncall.channels.{role}"))
                .attr("compartment_id", Tf::compartment())
                .attr("name", tf.display(role))
                .attr("description", Value::str(format!("{} notifications of {}", role, tf.system.name)))
                .attr("freeform_tags", tf.tags(None))
                .attr("defined_tags", tf.cost_tags(&[])),
        );
        for (protocol, endpoint, suffix) in endpoints(channel, &mut secrets) {
            out.push(
                Block::new("resource", &["oci_ons_subscription", &format!("{topic}_{suffix}")])
                    .comment(format!("oncall.channels.{role}"))
                    .attr("compartment_id", Tf::compartment())
                    .attr("topic_id", Value::expr(format!("oci_ons_notification_topic.{topic}.id")))
                    .attr("protocol", Value::str(protocol))
                    .attr("endpoint", endpoint)
                    .attr("freeform_tags", tf.tags(None)),
            );
        }
    }
    for rotation in &oncall.rotations {
        let topic = ident_of("rotation", rotation.name.as_str());
        out.push(
            Block::new("resource", &["oci_ons_notification_topic", &topic])
                .comment(format!("oncall.rotations.{}", rotation.name))
                .attr("compartment_id", Tf::compartment())
                .attr("name", tf.display(&format!("oncall-{}", rotation.name)))
                .attr(
                    "description",
                    Value::str(format!("pages for the {} rotation ({})", rotation.name, rotation.coverage)),
                )
                .attr("freeform_tags", tf.tags(None))
                .attr("defined_tags", tf.cost_tags(&[])),
        );
        for (i, member) in rotation.members.iter().enumerate() {
            out.push(
                Block::new("resource", &["oci_ons_subscription", &format!("{topic}_member_{}", i + 1)])
                    .comment(format!("oncall.rotations.{}.members[{i}]", rotation.name))
                    .attr("compartment_id", Tf::compartment())
                    .attr("topic_id", Value::expr(format!("oci_ons_notification_topic.{topic}.id")))
                    .attr("protocol", Value::str("EMAIL"))
                    .attr("endpoint", Value::str(member.clone()))
                    .attr("freeform_tags", tf.tags(None)),
            );
        }
    }
    secrets.sort();
    secrets.dedup();
    for (label, ocid) in secrets {
        out.push(
            Block::new("data", &["oci_secrets_secretbundle", &label])
                .comment("a secret referenced by the spec, read at apply time")
                .attr("secret_id", Value::str(ocid)),
        );
    }
    out
}

/// (protocol, endpoint, resource suffix) for each destination of a channel.
fn endpoints(channel: &Channel, secrets: &mut Vec<(String, String)>) -> Vec<(&'static str, Value, &'static str)> {
    let mut out = Vec::new();
    if let Some(email) = &channel.email {
        out.push(("EMAIL", Value::str(email.clone()), "email"));
    }
    if let Some(webhook) = &channel.webhook {
        out.push(("SLACK", Value::expr(secret_expr(webhook, secrets)), "slack"));
    }
    if let Some(key) = &channel.pagerduty {
        let key = secret_expr(key, secrets);
        out.push((
            "PAGERDUTY",
            Value::expr(format!("\"https://events.pagerduty.com/integration/${{{key}}}/enqueue\"")),
            "pagerduty",
        ));
    }
    if let Some(url) = &channel.https {
        out.push(("CUSTOM_HTTPS", Value::str(url.clone()), "https"));
    }
    out
}

/// The expression that yields a secret at apply time.
fn secret_expr(secret: &SecretRef, secrets: &mut Vec<(String, String)>) -> String {
    match secret {
        SecretRef::Env(name) => format!("var.{}", secret_variable(name)),
        SecretRef::Vault(ocid) => {
            let label = format!("secret_{}", ident(&crate::conventions::sha256_hex(ocid)[..12]));
            secrets.push((label.clone(), ocid.clone()));
            format!("base64decode(data.oci_secrets_secretbundle.{label}.secret_bundle_content[0].content)")
        }
    }
}
