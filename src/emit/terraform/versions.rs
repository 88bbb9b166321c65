//! `versions.tf`: Terraform and the pinned `oracle/oci` provider.

use super::{PROVIDER_VERSION, Tf};
use crate::emit::hcl::{Block, Value};

pub(super) fn blocks(_: &Tf) -> Vec<Block> {
    vec![
        Block::new("terraform", &[]).attr("required_version", Value::str(">= 1.5.0")).block(
            Block::new("required_providers", &[]).attr(
                "oci",
                Value::Object(vec![
                    ("source".into(), Value::str("oracle/oci")),
                    ("version".into(), Value::str(PROVIDER_VERSION)),
                ]),
            ),
        ),
        Block::new("provider", &["oci"])
            .comment("Credentials come from the environment (API key in ~/.oci/config, or instance principal): never from code.")
            .attr("auth", Value::expr("var.oci_auth"))
            .attr("region", Value::expr("var.region")),
    ]
}
