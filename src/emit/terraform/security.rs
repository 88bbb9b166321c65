//! `security.rs`: the IAM and key resources of `security.tf`.
//!
//! In: the checked system. Out: the customer-managed vault and key (only when the spec asks for
//! customer-managed encryption), the group of the OCI user the LiteLLM gateway signs its
//! requests with (the config's `OCI_USER`) and that user's membership, the policies written
//! statement by statement for exactly the principals that act (the gateway's group, Object
//! Storage for keys and lifecycle rules, the service connectors that archive logs), and the
//! cost-tracking tag namespace. The OCI facts each resource relies on are cited beside it and
//! gathered in docs/terraform.md; `tests/ocicheck/iam.py` checks the statements offline.

use super::Tf;
use super::logging::archive_sources;
use super::storage::{archive_retention, bucket_name, has_lifecycle};
use crate::emit::hcl::{Block, Value};
use crate::spec::models::{ModelKind, Provider};
use crate::spec::units::SecretRef;

/// The key every bucket is encrypted with, when the spec asks for customer-managed keys.
pub(crate) const KEY: &str = "oci_kms_key.data";
/// The policy that lets Object Storage act on the system's buckets (keys, lifecycle rules).
pub(crate) const OBJECT_STORAGE_POLICY: &str = "oci_identity_policy.object_storage";
/// The policy that lets the archive's service connectors write to the archive bucket.
pub(crate) const ARCHIVE_POLICY: &str = "oci_identity_policy.archive_writer";

/// The IAM group of the gateway's OCI user; policies name it.
pub(crate) fn gateway_group(tf: &Tf) -> String {
    crate::conventions::display_name(tf.system, "llm-gateway")
}

pub(super) fn blocks(tf: &Tf) -> Vec<Block> {
    let mut out = Vec::new();
    if tf.needs_cmk() {
        out.extend(key_blocks(tf));
    }
    out.extend(gateway_blocks(tf));
    out.extend(service_policies(tf));
    out.extend(tag_blocks(tf));
    out
}

/// The vault and the key of the buckets.
///
/// A DEFAULT vault: automatic key rotation exists only for keys in virtual private vaults
/// (Oracle, "Enabling and Updating Auto Key Rotation": "This feature is available only for
/// virtual private vaults",
/// https://docs.oracle.com/en-us/iaas/Content/KeyManagement/Tasks/tasks_tasks_managingkeys_topic_edit_auto_key_rotation.htm),
/// and a virtual private vault is a dedicated HSM partition billed by the hour, which the spec
/// does not ask for. So the key is rotated by hand (`oci kms management key rotate`), and the
/// comment says so instead of claiming a rotation that OCI would refuse.
fn key_blocks(tf: &Tf) -> Vec<Block> {
    vec![
        Block::new("resource", &["oci_kms_vault", "data"])
            .comment("encryption: customer-managed (a data class or compliance.encryption asks for it)")
            .attr("compartment_id", Tf::compartment())
            .attr("display_name", tf.display("vault"))
            .attr("vault_type", Value::str("DEFAULT"))
            .attr("freeform_tags", tf.tags(None))
            .attr("defined_tags", tf.cost_tags(&[])),
        Block::new("resource", &["oci_kms_key", "data"])
            .comment("the key of the system's buckets; a DEFAULT vault has no automatic rotation: rotate it with")
            .comment("`oci kms management key rotate --key-id <id> --endpoint <vault management endpoint>`")
            .attr("compartment_id", Tf::compartment())
            .attr("display_name", tf.display("data-key"))
            .attr("management_endpoint", Value::expr("oci_kms_vault.data.management_endpoint"))
            .attr("protection_mode", Value::str("HSM"))
            .attr("freeform_tags", tf.tags(None))
            .attr("defined_tags", tf.cost_tags(&[]))
            .block(Block::new("key_shape", &[]).attr("algorithm", Value::str("AES")).attr("length", Value::Int(32))),
    ]
}

/// The gateway's principal and its grants.
///
/// LiteLLM 1.106.12 signs OCI requests with an API key (`oci_user`, `oci_fingerprint`,
/// `oci_tenancy`, `oci_key_file`) or with an OCI SDK signer passed in code
/// (litellm/llms/oci/chat/transformation.py, `validate_environment` / `sign_request`); the
/// generated config uses the API key, so the principal is that user, granted through a group
/// (policies name groups, not users: https://docs.oracle.com/en-us/iaas/Content/Identity/policysyntax/policy-syntax.htm).
fn gateway_blocks(tf: &Tf) -> Vec<Block> {
    let system = tf.system;
    let group = gateway_group(tf);
    let compartment = "compartment id ${var.compartment_ocid}";
    let mut statements = Vec::new();
    // Generative AI's individual resource types: chat and embeddings are separate, and `use`
    // is the verb of inference (https://docs.oracle.com/en-us/iaas/Content/generative-ai/iam-policies.htm).
    let oci = |kind: ModelKind| system.models.iter().any(|m| m.provider == Provider::OciGenai && m.kind == kind);
    if oci(ModelKind::Chat) {
        statements.push(format!("Allow group {group} to use generative-ai-chat in {compartment}"));
    }
    if oci(ModelKind::Embedding) {
        statements.push(format!("Allow group {group} to use generative-ai-text-embedding in {compartment}"));
    }
    statements.push(format!(
        "Allow group {group} to read objects in {compartment} where target.bucket.name = '{}'",
        bucket_name(tf, "prompts")
    ));
    statements.push(format!(
        "Allow group {group} to manage objects in {compartment} where all {{target.bucket.name = '{}', any {{request.permission = 'OBJECT_CREATE', request.permission = 'OBJECT_INSPECT'}}}}",
        bucket_name(tf, "traces")
    ));
    statements
        .push(format!("Allow group {group} to use metrics in {compartment} where target.metrics.namespace = 'genops'"));
    if system.compliance.decision_logging {
        // PutLogs into the decision log (Logging's `log-content`,
        // https://docs.oracle.com/en-us/iaas/Content/Identity/Reference/loggingpolicyreference.htm).
        statements.push(format!("Allow group {group} to use log-content in {compartment}"));
    }
    statements.sort();
    let mut out = vec![
        Block::new("resource", &["oci_identity_group", "llm_gateway"])
            .comment("the OCI user the LiteLLM gateway signs with (OCI_USER in its environment) is the one member")
            .attr("compartment_id", Tf::tenancy())
            .attr("name", Value::str(group.clone()))
            .attr("description", Value::str(format!("The LLM gateway's OCI user of {}", system.name)))
            .attr("freeform_tags", tf.tags(None)),
        Block::new("resource", &["oci_identity_user_group_membership", "llm_gateway"])
            .attr("group_id", Value::expr("oci_identity_group.llm_gateway.id"))
            .attr("user_id", Value::expr("var.llm_gateway_user_ocid")),
        Block::new("resource", &["oci_identity_policy", "llm_gateway"])
            .comment("least privilege for the gateway: call models, read prompts, write traces and metrics")
            .attr("compartment_id", Tf::compartment())
            .attr("name", tf.display("llm-gateway"))
            .attr("description", Value::str(format!("What the LLM gateway of {} may do", system.name)))
            .attr("statements", Value::List(statements.iter().map(|s| template(s)).collect()))
            .attr("freeform_tags", tf.tags(None))
            .attr("depends_on", Value::List(vec![Value::expr("oci_identity_group.llm_gateway")])),
    ];
    let secrets = gateway_secrets(tf);
    if !secrets.is_empty() {
        // Secrets may live in any compartment, so the grant is at the tenancy, narrowed to the
        // secrets by OCID (`target.secret.id`, Vault's policy variables:
        // https://docs.oracle.com/en-us/iaas/Content/Identity/Reference/keypolicyreference.htm).
        let ids: Vec<String> = secrets.iter().map(|id| format!("target.secret.id = '{}'", literal(id))).collect();
        let condition = if ids.len() == 1 { ids[0].clone() } else { format!("any {{{}}}", ids.join(", ")) };
        out.push(
            Block::new("resource", &["oci_identity_policy", "llm_gateway_secrets"])
                .comment("the gateway reads the API keys of its external models from these vault secrets, and no other")
                .attr("compartment_id", Tf::tenancy())
                .attr("name", tf.display("llm-gateway-secrets"))
                .attr("description", Value::str(format!("Vault secrets the LLM gateway of {} reads", system.name)))
                .attr(
                    "statements",
                    Value::List(vec![template(&format!(
                        "Allow group {group} to read secret-bundles in tenancy where {condition}"
                    ))]),
                )
                .attr("freeform_tags", tf.tags(None))
                .attr("depends_on", Value::List(vec![Value::expr("oci_identity_group.llm_gateway")])),
        );
    }
    out
}

/// The vault secrets the gateway itself reads: the API keys of models (`api_key: vault:…`),
/// sorted and once each. The on-call channels' secrets are read by Terraform at apply, not by
/// the gateway.
pub(crate) fn gateway_secrets(tf: &Tf) -> Vec<String> {
    let mut ids: Vec<String> = tf
        .system
        .models
        .iter()
        .filter_map(|m| match &m.api_key {
            Some(SecretRef::Vault(ocid)) => Some(ocid.clone()),
            _ => None,
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// What OCI services need to act on the system's resources.
fn service_policies(tf: &Tf) -> Vec<Block> {
    let system = tf.system;
    let mut out = Vec::new();
    let mut statements = Vec::new();
    if tf.needs_cmk() {
        // Object Storage encrypts with the key (https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/encryption.htm).
        statements.push(
            "Allow service objectstorage-${var.region} to use keys in compartment id ${var.compartment_ocid} where target.key.id = '${oci_kms_key.data.id}'"
                .to_string(),
        );
    }
    if has_lifecycle(tf) {
        // Object lifecycle rules run as Object Storage and need this grant, without which the
        // lifecycle policy is refused ("Using Object Lifecycle Management", Service Permissions:
        // https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usinglifecyclepolicies.htm).
        statements.push(
            "Allow service objectstorage-${var.region} to manage object-family in compartment id ${var.compartment_ocid}"
                .to_string(),
        );
    }
    if !statements.is_empty() {
        out.push(
            Block::new("resource", &["oci_identity_policy", "object_storage"])
                .comment("Object Storage may use the data key and run the buckets' lifecycle rules")
                .attr("compartment_id", Tf::compartment())
                .attr("name", tf.display("object-storage"))
                .attr("description", Value::str(format!("What Object Storage may do for {}", system.name)))
                .attr("statements", Value::List(statements.iter().map(|s| template(s)).collect()))
                .attr("freeform_tags", tf.tags(None)),
        );
    }
    if !archive_sources(&tf.system.compliance).is_empty() {
        // A service connector writes to its Object Storage target as `any-user` of principal type
        // `serviceconnector` ("Access to the target": https://docs.oracle.com/en-us/iaas/Content/connector-hub/overview.htm#Authenti).
        let retention = archive_retention(tf).map_or(String::new(), |d| format!(", kept {d}"));
        out.push(
            Block::new("resource", &["oci_identity_policy", "archive_writer"])
                .comment(format!("the service connectors of the compartment write the archive{retention}"))
                .attr("compartment_id", Tf::compartment())
                .attr("name", tf.display("archive-writer"))
                .attr("description", Value::str(format!("Service connectors may write the archive of {}", system.name)))
                .attr(
                    "statements",
                    Value::List(vec![template(&format!(
                        "Allow any-user to manage objects in compartment id ${{var.compartment_ocid}} where all {{request.principal.type = 'serviceconnector', target.bucket.name = '{}', request.principal.compartment.id = '${{var.compartment_ocid}}'}}",
                        bucket_name(tf, "archive")
                    ))]),
                )
                .attr("freeform_tags", tf.tags(None)),
        );
    }
    out
}

fn tag_blocks(tf: &Tf) -> Vec<Block> {
    let system = tf.system;
    let mut out = vec![
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

/// A spec string inside a statement [`template`] writes: Terraform's template sequences and
/// backslashes escaped, so it reaches the policy as written.
fn literal(text: &str) -> String {
    text.replace('\\', "\\\\").replace("${", "$${").replace("%{", "%%{")
}

/// A policy statement with `${…}` interpolations that genops wrote itself.
fn template(statement: &str) -> Value {
    Value::expr(format!("\"{}\"", statement.replace('"', "\\\"")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A secret's OCID comes from the spec: inside a statement it must stay text, not become
    /// a Terraform interpolation or an escape.
    #[test]
    fn spec_text_in_a_statement_stays_text() {
        assert_eq!(literal("ocid1.vaultsecret.oc1..a"), "ocid1.vaultsecret.oc1..a");
        assert_eq!(literal("a${var.x}%{ if }\\"), "a$${var.x}%%{ if }\\\\");
    }
}
