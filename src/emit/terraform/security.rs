//! `security.tf`: the system's vault and key (customer-managed encryption of buckets), the
//! dynamic group of the LLM gateway's hosts, least-privilege IAM policies written statement by
//! statement, and the cost-tracking tag namespace.

use super::Tf;
use super::storage::bucket_name;
use crate::emit::hcl::{Block, Value};

/// The key every bucket is encrypted with.
pub(crate) const KEY: &str = "oci_kms_key.data";

pub(super) fn blocks(tf: &Tf) -> Vec<Block> {
    let system = tf.system;
    let group = crate::conventions::display_name(system, "llm-gateway");
    let compartment = "compartment id ${var.compartment_ocid}";
    let mut runtime = vec![
        format!("Allow dynamic-group {group} to use generative-ai-family in {compartment}"),
        format!("Allow dynamic-group {group} to read secret-bundles in {compartment}"),
        format!(
            "Allow dynamic-group {group} to read objects in {compartment} where target.bucket.name = '{}'",
            bucket_name(tf, "prompts")
        ),
        format!(
            "Allow dynamic-group {group} to manage objects in {compartment} where all {{target.bucket.name = '{}', any {{request.permission = 'OBJECT_CREATE', request.permission = 'OBJECT_INSPECT'}}}}",
            bucket_name(tf, "traces")
        ),
        format!(
            "Allow dynamic-group {group} to use metrics in {compartment} where target.metrics.namespace = 'genops'"
        ),
    ];
    runtime.sort();
    let needs = if tf.needs_cmk() {
        "a data class or compliance framework requires customer-managed keys"
    } else {
        "buckets are encrypted with a customer-managed key"
    };
    let mut out = vec![
        Block::new("resource", &["oci_kms_vault", "data"])
            .comment(format!("encryption: {needs}"))
            .attr("compartment_id", Tf::compartment())
            .attr("display_name", tf.display("vault"))
            .attr("vault_type", Value::str("DEFAULT"))
            .attr("freeform_tags", tf.tags(None))
            .attr("defined_tags", tf.cost_tags(&[])),
        Block::new("resource", &["oci_kms_key", "data"])
            .comment("the key of the system's buckets; rotated yearly")
            .attr("compartment_id", Tf::compartment())
            .attr("display_name", tf.display("data-key"))
            .attr("management_endpoint", Value::expr("oci_kms_vault.data.management_endpoint"))
            .attr("protection_mode", Value::str("HSM"))
            .attr("is_auto_rotation_enabled", Value::Bool(true))
            .attr("freeform_tags", tf.tags(None))
            .attr("defined_tags", tf.cost_tags(&[]))
            .block(Block::new("key_shape", &[]).attr("algorithm", Value::str("AES")).attr("length", Value::Int(32)))
            .block(Block::new("auto_key_rotation_details", &[]).attr("rotation_interval_in_days", Value::Int(365))),
        Block::new("resource", &["oci_identity_dynamic_group", "llm_gateway"])
            .comment("the hosts that run the LLM gateway (LiteLLM) in the system's compartment")
            .attr("compartment_id", Tf::tenancy())
            .attr("name", Value::str(group.clone()))
            .attr("description", Value::str(format!("LLM gateway hosts of {}", system.name)))
            .attr("matching_rule", Value::expr("\"ALL {instance.compartment.id = '${var.compartment_ocid}'}\""))
            .attr("freeform_tags", tf.tags(None)),
        Block::new("resource", &["oci_identity_policy", "llm_gateway"])
            .comment("least privilege for the gateway: call models, read its secrets and prompts, write traces and metrics")
            .attr("compartment_id", Tf::compartment())
            .attr("name", tf.display("llm-gateway"))
            .attr("description", Value::str(format!("What the LLM gateway of {} may do", system.name)))
            .attr("statements", Value::List(runtime.into_iter().map(|s| template(&s)).collect()))
            .attr("freeform_tags", tf.tags(None))
            .attr("depends_on", Value::List(vec![Value::expr("oci_identity_dynamic_group.llm_gateway")])),
        Block::new("resource", &["oci_identity_policy", "storage_keys"])
            .comment("Object Storage encrypts the buckets with the system's key")
            .attr("compartment_id", Tf::compartment())
            .attr("name", tf.display("storage-keys"))
            .attr("description", Value::str(format!("Object Storage may use the data key of {}", system.name)))
            .attr(
                "statements",
                Value::List(vec![template("Allow service objectstorage-${var.region} to use keys in compartment id ${var.compartment_ocid} where target.key.id = '${oci_kms_key.data.id}'")]),
            )
            .attr("freeform_tags", tf.tags(None)),
        Block::new("resource", &["oci_identity_tag_namespace", "cost"])
            .comment("cost attribution: the genops tags become cost-tracking defined tags")
            .attr("compartment_id", Tf::tenancy())
            .attr("name", tf.display("cost"))
            .attr("description", Value::str(format!("Cost attribution of {}", system.name)))
            .attr("freeform_tags", tf.tags(None)),
    ];
    for (key, description) in [
        ("route", "the spec route a resource serves"),
        ("owner", "the owning team"),
        ("budget", "the route-scoped budget a resource's spend counts against"),
    ] {
        out.push(
            Block::new("resource", &["oci_identity_tag", key])
                .attr("tag_namespace_id", Value::expr("oci_identity_tag_namespace.cost.id"))
                .attr("name", Value::str(key))
                .attr("description", Value::str(description))
                .attr("is_cost_tracking", Value::Bool(true))
                .attr("freeform_tags", tf.tags(None)),
        );
    }
    out
}

/// A policy statement with `${…}` interpolations that genops wrote itself.
fn template(statement: &str) -> Value {
    Value::expr(format!("\"{}\"", statement.replace('"', "\\\"")))
}
