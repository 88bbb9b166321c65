//! `storage.tf`: the system's buckets, all private with object events.
//!
//! In: the checked system and the prompt texts. Out: the prompt registry (versioned, one object
//! per prompt, its key and metadata naming the version), the evaluation-datasets and traces
//! buckets (versioned, lifecycle deletion from the compliance retention rules, GDPR Art. 17),
//! and, when the spec needs records kept longer than OCI keeps them, the archive bucket (a
//! retention rule, so not versioned) that the service connectors of `logging.tf` fill. The
//! buckets use the system's key when the spec asks for customer-managed encryption, and
//! Oracle-managed encryption otherwise.

use super::Tf;
use super::logging::archive_sources;
use super::security::{KEY, OBJECT_STORAGE_POLICY};
use crate::conventions::{ident, sha256_hex};
use crate::emit::hcl::{Block, Value};
use crate::model::Prompt;
use crate::spec::units::Duration;

pub(crate) const NAMESPACE: &str = "data.oci_objectstorage_namespace.this.namespace";

/// One bucket of the system.
pub(crate) struct Bucket {
    /// The Terraform name of the bucket resource.
    pub id: &'static str,
    /// The bucket's name after the system's: `<system>-<suffix>`.
    pub suffix: &'static str,
    pub purpose: &'static str,
    /// Objects are deleted this long after they are written (a lifecycle rule).
    pub delete_after: Option<Duration>,
    /// Objects can be neither changed nor deleted for this long (a retention rule).
    pub retain: Option<Duration>,
}

impl Bucket {
    /// Versioning and retention rules exclude each other: "You can't add retention rules to a
    /// bucket that has versioning enabled"
    /// (https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingretentionrules.htm).
    fn versioned(&self) -> bool {
        self.retain.is_none()
    }
}

/// The buckets, in the order they are written.
pub(crate) fn buckets(tf: &Tf) -> Vec<Bucket> {
    let c = &tf.system.compliance;
    let mut out = vec![
        Bucket {
            id: "prompts",
            suffix: "prompts",
            purpose: "prompt registry: one object per prompt, every version kept (a versioned bucket)",
            delete_after: None,
            retain: None,
        },
        Bucket {
            id: "datasets",
            suffix: "eval-datasets",
            purpose: "evaluation datasets and results",
            delete_after: c.datasets_retention,
            retain: None,
        },
        Bucket {
            id: "traces",
            suffix: "traces",
            purpose: "request traces",
            delete_after: c.traces_retention,
            retain: None,
        },
    ];
    if !archive_sources(&tf.system.compliance).is_empty() {
        let kept = archive_retention(tf);
        out.push(Bucket {
            id: "archive",
            suffix: "archive",
            purpose: "archive of the records the spec keeps longer than OCI does (service connectors in logging.tf)",
            delete_after: kept,
            retain: kept,
        });
    }
    out
}

/// How long the archive keeps what it receives: `retention.audit`, else `retention.traces`.
pub(crate) fn archive_retention(tf: &Tf) -> Option<Duration> {
    let c = &tf.system.compliance;
    c.audit_retention.or(c.traces_retention)
}

/// Whether a bucket has a lifecycle rule (which needs Object Storage's grant in `security.tf`).
pub(crate) fn has_lifecycle(tf: &Tf) -> bool {
    buckets(tf).iter().any(|b| b.delete_after.is_some())
}

pub(crate) fn bucket_name(tf: &Tf, suffix: &str) -> String {
    crate::conventions::display_name(tf.system, suffix)
}

fn days(duration: Duration) -> i64 {
    duration.millis.div_ceil(86_400_000).max(1) as i64
}

pub(super) fn blocks(tf: &Tf) -> Vec<Block> {
    let cmk = tf.needs_cmk();
    let mut out =
        vec![Block::new("data", &["oci_objectstorage_namespace", "this"]).attr("compartment_id", Tf::compartment())];
    for bucket in buckets(tf) {
        let mut block = Block::new("resource", &["oci_objectstorage_bucket", bucket.id])
            .comment(bucket.purpose)
            .attr("compartment_id", Tf::compartment())
            .attr("namespace", Value::expr(NAMESPACE))
            .attr("name", Value::str(bucket_name(tf, bucket.suffix)))
            .attr("access_type", Value::str("NoPublicAccess"))
            .attr("versioning", Value::str(if bucket.versioned() { "Enabled" } else { "Disabled" }))
            .attr("object_events_enabled", Value::Bool(true));
        block = if cmk {
            block.attr("kms_key_id", Value::expr(format!("{KEY}.id")))
        } else {
            block.attr_commented(
                "storage_tier",
                Value::str("Standard"),
                "checkov:skip=CKV_OCI_9: Oracle-managed encryption: neither compliance.encryption nor a data class in use asks for customer-managed keys",
            )
        };
        if cmk {
            block = block.attr("storage_tier", Value::str("Standard"));
        }
        block = block.attr("freeform_tags", tf.tags(None)).attr("defined_tags", tf.cost_tags(&[]));
        if cmk {
            block = block.attr("depends_on", Value::List(vec![Value::expr(OBJECT_STORAGE_POLICY)]));
        }
        if let Some(retain) = bucket.retain {
            block = block
                .comment(format!("objects can be neither changed nor deleted for {retain} (a retention rule)"))
                .block(
                    Block::new("retention_rules", &[])
                        .attr_commented(
                            "display_name",
                            Value::str(format!("keep-{}d", days(retain))),
                            "checkov:skip=CKV_OCI_8: Object Storage refuses retention rules on versioned buckets",
                        )
                        .block(
                            Block::new("duration", &[])
                                .attr("time_amount", Value::Int(days(retain)))
                                .attr("time_unit", Value::str("DAYS")),
                        ),
                );
        }
        out.push(block);
        if let Some(after) = bucket.delete_after {
            out.push(lifecycle(&bucket, after));
        }
    }
    for prompt in &tf.system.prompts {
        out.push(prompt_object(tf, prompt));
    }
    out
}

/// Deletion after `after` (GDPR Art. 17): the current objects and, in a versioned bucket, the
/// versions they replaced.
fn lifecycle(bucket: &Bucket, after: Duration) -> Block {
    let days = days(after);
    let rule = |name: String, target: &str| {
        Block::new("rules", &[])
            .attr("name", Value::str(name))
            .attr("action", Value::str("DELETE"))
            .attr("is_enabled", Value::Bool(true))
            .attr("time_amount", Value::Int(days))
            .attr("time_unit", Value::str("DAYS"))
            .attr("target", Value::str(target))
    };
    let mut block = Block::new("resource", &["oci_objectstorage_object_lifecycle_policy", bucket.id])
        .comment(format!("compliance.retention: delete after {after} (GDPR Art. 17)"))
        .attr("namespace", Value::expr(NAMESPACE))
        .attr("bucket", Value::expr(format!("oci_objectstorage_bucket.{}.name", bucket.id)))
        .attr("depends_on", Value::List(vec![Value::expr(OBJECT_STORAGE_POLICY)]))
        .block(rule(format!("delete-after-{days}d"), "objects"));
    if bucket.versioned() {
        block = block.block(rule(format!("delete-old-versions-after-{days}d"), "previous-object-versions"));
    }
    block
}

/// The object key of a prompt version in the registry.
pub(crate) fn prompt_key(prompt: &Prompt) -> String {
    format!("prompts/{}/{}.md", prompt.name, prompt.version)
}

/// One resource per prompt, named after the prompt alone, so that a new version is a change of
/// that resource and not the removal of one resource and the addition of another. Terraform
/// still replaces the object (its key names the version), and the provider deletes the old key
/// without a version id (`delete_all_object_versions = false`: DeleteObject, in
/// internal/service/objectstorage/objectstorage_object_resource.go of oracle/terraform-provider-oci),
/// which in a versioned bucket only writes a delete marker: the old version stays, readable with
/// `oci os object list-object-versions` and `oci os object get --version-id`
/// (https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingversioning.htm).
fn prompt_object(tf: &Tf, prompt: &Prompt) -> Block {
    let text = &tf.sources.get(prompt.file_id).text;
    Block::new("resource", &["oci_objectstorage_object", &format!("prompt_{}", ident(prompt.name.as_str()))])
        .comment(format!("prompts.{} {} from {}", prompt.name, prompt.version, prompt.file))
        .attr("namespace", Value::expr(NAMESPACE))
        .attr("bucket", Value::expr("oci_objectstorage_bucket.prompts.name"))
        .attr("object", Value::str(prompt_key(prompt)))
        .attr("content_type", Value::str("text/markdown; charset=utf-8"))
        .attr_commented(
            "delete_all_object_versions",
            Value::Bool(false),
            "a new version keeps the old one in the versioned bucket",
        )
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
