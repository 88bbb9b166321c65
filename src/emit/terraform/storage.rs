//! `storage.tf`: the prompt registry (a versioned bucket with one object per prompt version,
//! its SHA-256 in the metadata), the evaluation-datasets bucket and the traces bucket, all
//! private, versioned, encrypted with the system's key, with lifecycle deletion from the
//! compliance retention rules (GDPR Art. 17).

use super::Tf;
use super::security::KEY;
use crate::conventions::{ident, sha256_hex};
use crate::emit::hcl::{Block, Value};
use crate::model::Prompt;
use crate::spec::units::Duration;

pub(crate) const NAMESPACE: &str = "data.oci_objectstorage_namespace.this.namespace";

/// The buckets: (identifier, name suffix, purpose, retention).
pub(crate) fn buckets(tf: &Tf) -> Vec<(&'static str, &'static str, &'static str, Option<Duration>)> {
    let c = &tf.system.compliance;
    vec![
        ("prompts", "prompts", "prompt registry: one object per prompt version", None),
        ("datasets", "eval-datasets", "evaluation datasets and results", c.datasets_retention),
        ("traces", "traces", "request traces and decision logs", c.traces_retention),
    ]
}

pub(crate) fn bucket_name(tf: &Tf, suffix: &str) -> String {
    crate::conventions::display_name(tf.system, suffix)
}

pub(super) fn blocks(tf: &Tf) -> Vec<Block> {
    let mut out =
        vec![Block::new("data", &["oci_objectstorage_namespace", "this"]).attr("compartment_id", Tf::compartment())];
    for (id, suffix, purpose, retention) in buckets(tf) {
        out.push(
            Block::new("resource", &["oci_objectstorage_bucket", id])
                .comment(purpose)
                .attr("compartment_id", Tf::compartment())
                .attr("namespace", Value::expr(NAMESPACE))
                .attr("name", Value::str(bucket_name(tf, suffix)))
                .attr("access_type", Value::str("NoPublicAccess"))
                .attr("versioning", Value::str("Enabled"))
                .attr("object_events_enabled", Value::Bool(true))
                .attr("kms_key_id", Value::expr(format!("{KEY}.id")))
                .attr("storage_tier", Value::str("Standard"))
                .attr("freeform_tags", tf.tags(None))
                .attr("defined_tags", tf.cost_tags(&[]))
                .attr("depends_on", Value::List(vec![Value::expr("oci_identity_policy.storage_keys")])),
        );
        if let Some(retention) = retention {
            let days = retention.millis.div_ceil(86_400_000).max(1);
            out.push(
                Block::new("resource", &["oci_objectstorage_object_lifecycle_policy", id])
                    .comment(format!("compliance.retention: delete after {retention} (GDPR Art. 17)"))
                    .attr("namespace", Value::expr(NAMESPACE))
                    .attr("bucket", Value::expr(format!("oci_objectstorage_bucket.{id}.name")))
                    .block(
                        Block::new("rules", &[])
                            .attr("name", Value::str(format!("delete-after-{days}d")))
                            .attr("action", Value::str("DELETE"))
                            .attr("is_enabled", Value::Bool(true))
                            .attr("time_amount", Value::Int(days as i64))
                            .attr("time_unit", Value::str("DAYS"))
                            .attr("target", Value::str("objects")),
                    )
                    .block(
                        Block::new("rules", &[])
                            .attr("name", Value::str(format!("delete-old-versions-after-{days}d")))
                            .attr("action", Value::str("DELETE"))
                            .attr("is_enabled", Value::Bool(true))
                            .attr("time_amount", Value::Int(days as i64))
                            .attr("time_unit", Value::str("DAYS"))
                            .attr("target", Value::str("previous-object-versions")),
                    ),
            );
        }
    }
    for prompt in &tf.system.prompts {
        out.push(prompt_object(tf, prompt));
    }
    out
}

/// The object key of a prompt version in the registry.
pub(crate) fn prompt_key(prompt: &Prompt) -> String {
    format!("prompts/{}/{}.md", prompt.name, prompt.version)
}

fn prompt_object(tf: &Tf, prompt: &Prompt) -> Block {
    let text = &tf.sources.get(prompt.file_id).text;
    Block::new(
        "resource",
        &[
            "oci_objectstorage_object",
            &format!("prompt_{}_{}", ident(prompt.name.as_str()), version_ident(&prompt.version)),
        ],
    )
    .comment(format!("prompts.{} {} from {}", prompt.name, prompt.version, prompt.file))
    .attr("namespace", Value::expr(NAMESPACE))
    .attr("bucket", Value::expr("oci_objectstorage_bucket.prompts.name"))
    .attr("object", Value::str(prompt_key(prompt)))
    .attr("content_type", Value::str("text/markdown; charset=utf-8"))
    .attr("content", Value::str(text.clone()))
    .attr(
        "metadata",
        Value::Object(vec![
            ("prompt".into(), Value::str(prompt.name.to_string())),
            ("version".into(), Value::str(prompt.version.to_string())),
            ("sha256".into(), Value::str(sha256_hex(text))),
        ]),
    )
}

/// `2.1.0-rc.1` -> `2_1_0_rc_1`: unique because versions differ in their characters.
fn version_ident(version: &semver::Version) -> String {
    version.to_string().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}
