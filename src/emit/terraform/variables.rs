//! `variables.tf`: what a user must give before `terraform apply`, and the tags every resource
//! carries (`local.tags`). No secret has a default;
//! secrets referenced as `env:NAME` become sensitive variables, `vault:` ones are read from OCI
//! Vault at apply time (see `notifications.rs`).

use super::Tf;
use crate::emit::hcl::{Block, Value};
use crate::model::Channel;
use crate::spec::units::SecretRef;

pub(super) fn blocks(tf: &Tf) -> Vec<Block> {
    let mut out = vec![
        variable("tenancy_ocid", "OCID of the tenancy (budgets, IAM policies and tags live at its root).", None)
            .block(validation("startswith(var.tenancy_ocid, \"ocid1.tenancy.\")", "tenancy_ocid must be a tenancy OCID (ocid1.tenancy.…).")),
        variable("compartment_ocid", "OCID of the compartment that holds the system's resources.", None).block(validation(
            "startswith(var.compartment_ocid, \"ocid1.compartment.\") || startswith(var.compartment_ocid, \"ocid1.tenancy.\")",
            "compartment_ocid must be a compartment OCID (ocid1.compartment.…).",
        )),
        variable("region", "OCI region of the system (from the spec's system.region).", Some(Value::str(tf.system.region.clone())))
            .block(validation("can(regex(\"^[a-z]+(-[a-z]+)+-[0-9]+$\", var.region))", "region must be an OCI region identifier such as us-chicago-1.")),
        variable("oci_auth", "How the provider authenticates: ApiKey (~/.oci/config), InstancePrincipal, ResourcePrincipal or SecurityToken.", Some(Value::str("ApiKey")))
            .block(validation(
                "contains([\"ApiKey\", \"InstancePrincipal\", \"ResourcePrincipal\", \"SecurityToken\"], var.oci_auth)",
                "oci_auth must be ApiKey, InstancePrincipal, ResourcePrincipal or SecurityToken.",
            )),
        variable("gateway_subnet_ocid", "OCID of the subnet the API gateways are placed in (private subnet for private gateways).", None)
            .block(validation("startswith(var.gateway_subnet_ocid, \"ocid1.subnet.\")", "gateway_subnet_ocid must be a subnet OCID (ocid1.subnet.…).")),
        variable(
            "llm_gateway_user_ocid",
            "OCID of the OCI user the LiteLLM gateway signs with (its OCI_USER); it joins the gateway's group, which the policies grant.",
            None,
        )
        .block(validation("startswith(var.llm_gateway_user_ocid, \"ocid1.user.\")", "llm_gateway_user_ocid must be a user OCID (ocid1.user.…).")),
        variable("llm_gateway_url", "Base URL of the LiteLLM proxy the API gateway forwards to, e.g. https://litellm.internal.example.com.", None)
            .block(validation("can(regex(\"^https://[^/]+$\", var.llm_gateway_url))", "llm_gateway_url must be https://host[:port] without a trailing slash.")),
    ];
    if tf
        .system
        .routes
        .iter()
        .any(|r| tf.system.policy(r.data_class).network == crate::spec::data_classes::Network::Public)
    {
        out.push(
            variable(
                "public_gateway_subnet_ocid",
                "OCID of the public subnet for the gateway that serves public routes.",
                None,
            )
            .block(validation(
                "startswith(var.public_gateway_subnet_ocid, \"ocid1.subnet.\")",
                "public_gateway_subnet_ocid must be a subnet OCID (ocid1.subnet.…).",
            )),
        );
    }
    for name in env_secrets(tf) {
        out.push(
            variable(
                &secret_variable(&name),
                &format!(
                    "Secret from the environment variable {name} (export TF_VAR_{} from it).",
                    secret_variable(&name)
                ),
                None,
            )
            .attr("sensitive", Value::Bool(true)),
        );
    }
    // The tags every resource carries, written once: resources say `local.tags`, or merge the
    // route's own tag into it.
    out.push(
        Block::new("locals", &[])
            .comment("Free-form tags of every resource: the spec's tags, then genops's own (cost attribution).")
            .attr("tags", tf.all_tags()),
    );
    out
}

/// The Terraform variable holding an `env:NAME` secret.
pub(super) fn secret_variable(env: &str) -> String {
    format!("secret_{}", env.to_ascii_lowercase())
}

/// Environment-variable secrets the Terraform needs, once each, sorted.
fn env_secrets(tf: &Tf) -> Vec<String> {
    let mut names: Vec<String> = channels(tf)
        .flat_map(|c| [c.webhook.as_ref(), c.pagerduty.as_ref()])
        .flatten()
        .filter_map(|s| match s {
            SecretRef::Env(name) => Some(name.clone()),
            SecretRef::Vault(_) => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

pub(super) fn channels<'a>(tf: &'a Tf) -> impl Iterator<Item = &'a Channel> {
    tf.system.oncall.iter().flat_map(|o| {
        std::iter::once(&o.channels.alerts)
            .chain(o.channels.incidents.iter())
            .chain(o.channels.pager.iter())
            .chain(o.channels.support.iter())
    })
}

fn variable(name: &str, description: &str, default: Option<Value>) -> Block {
    Block::new("variable", &[name])
        .attr("type", Value::expr("string"))
        .attr("description", Value::str(description))
        .attr_if("default", default)
}

fn validation(condition: &str, message: &str) -> Block {
    Block::new("validation", &[]).attr("condition", Value::expr(condition)).attr("error_message", Value::str(message))
}
