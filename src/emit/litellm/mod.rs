//! The LiteLLM gateway target: `gateway/litellm/config.yaml`, the config of the LiteLLM proxy
//! (1.106.12, `litellm --config gateway/litellm/config.yaml`) that the OCI API Gateway forwards
//! every route to (`${llm_gateway_url}/openai/deployments/<route>/chat/completions`).
//!
//! In: the checked [`System`]. Out: one artifact whose YAML runs every routing decision of the
//! spec inside LiteLLM's own router. [`plan`] makes those decisions (groups, deployments,
//! fallbacks, tiers, rollouts, downgrades), which the runbooks share; [`render`] writes them as
//! LiteLLM's config, with a comment wherever LiteLLM cannot do what the spec says (also in the
//! README). This module holds what both need: the file's path and the environment variables
//! the config reads.

mod plan;
mod render;

pub(crate) use plan::{Deployment, Plan, Role, plan};

use super::Artifact;
use super::derived::Derived;
use super::sink::{FileOut, Sink};
use crate::conventions::{self, env_name};
use crate::model::{Serving, System};
use crate::spec::models::Provider;
use crate::spec::units::SecretRef;

/// Where the target is written.
pub const PATH: &str = "gateway/litellm/config.yaml";
/// The proxy callback that writes the decision log (`compliance.decision_logging`), beside the
/// config: LiteLLM loads `callbacks: ["genops_decision_log.decision_log"]` from the config's own
/// directory (litellm/proxy/types_utils/utils.py `get_instance_fn`, 1.106.12).
pub const DECISION_LOG_PATH: &str = "gateway/litellm/genops_decision_log.py";
/// The callback's one definition (Python, the same for every system).
const DECISION_LOG: &str = include_str!("../../../targets/litellm/genops_decision_log.py");
/// The callback as `litellm_settings.callbacks` names it: module `genops_decision_log`, instance
/// `decision_log`.
pub(crate) const DECISION_LOG_CALLBACK: &str = "genops_decision_log.decision_log";
/// The LiteLLM release the config is written for (and checked against by `litellmcheck`).
pub const LITELLM_VERSION: &str = "1.106.12";

/// LiteLLM's own environment fallbacks of its OCI provider; the deployments reference them.
const OCI_ENV: [(&str, &str); 5] = [
    ("oci_compartment_id", "OCI_COMPARTMENT_ID"),
    ("oci_user", "OCI_USER"),
    ("oci_fingerprint", "OCI_FINGERPRINT"),
    ("oci_tenancy", "OCI_TENANCY"),
    ("oci_key_file", "OCI_KEY_FILE"),
];
/// Redis of the proxy replicas. Named `GENOPS_REDIS_*`, not LiteLLM's `REDIS_*`: those also make
/// the proxy ping an inferred "coordination" Redis at start, which genops does not need.
const REDIS_ENV: [(&str, &str); 3] =
    [("host", "GENOPS_REDIS_HOST"), ("port", "GENOPS_REDIS_PORT"), ("password", "GENOPS_REDIS_PASSWORD")];

pub fn emit(system: &System) -> Vec<Artifact> {
    crate::parallel::gather(|sink| emit_into(&Derived::new(system), &|file| sink(file))).0
}

/// [`emit`], with the routing plan the runbooks share, handing the config to `sink` (in parts
/// between deployments, if it takes them).
pub fn emit_into(derived: &Derived, sink: &dyn Sink) {
    let system = derived.system;
    if system.routes.is_empty() {
        return; // no route, nothing for the gateway to serve
    }
    let mut file = FileOut::to(sink, PATH.to_string());
    render::render(system, derived.routing(), &mut file);
    file.finish();
    if system.compliance.decision_logging {
        let mut file = FileOut::to(sink, DECISION_LOG_PATH.to_string());
        file.text().push_str(DECISION_LOG);
        file.finish();
    }
}

/// The environment variables the config reads (`os.environ/NAME`), with what each holds.
pub fn environment(system: &System) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    if system.models.iter().any(|m| m.provider == Provider::OciGenai) {
        for (param, var) in OCI_ENV {
            let what = if var == "OCI_USER" {
                format!(
                    "LiteLLM's OCI `{param}`: the OCID of the user in group `{}`, the principal the policies grant (`llm_gateway_user_ocid` in Terraform)",
                    conventions::display_name(system, "llm-gateway")
                )
            } else {
                format!("LiteLLM's OCI `{param}` (API-key signing)")
            };
            env.push((var.to_string(), what));
        }
    }
    for m in &system.models {
        if let Serving::Dedicated(_) = m.serving {
            env.push((
                endpoint_env(m.name.as_str()),
                format!(
                    "OCID of the dedicated endpoint of model `{}`: `terraform output -raw model_{}_endpoint_id`",
                    m.name,
                    conventions::ident(m.name.as_str())
                ),
            ));
        }
        if let Some(key) = &m.api_key {
            let (var, what) = api_key_env(m.name.as_str(), key);
            env.push((var, what));
        }
    }
    if system.compliance.decision_logging {
        env.push((
            "GENOPS_DECISION_LOG_ID".into(),
            "OCID of the decision log the gateway writes every answer to: `terraform output -raw decision_log_id`"
                .into(),
        ));
        env.push((
            "GENOPS_OCI_REGION".into(),
            format!("OCI region of the decision log's ingestion endpoint: `{}`", system.region),
        ));
    }
    for (_, var) in REDIS_ENV {
        env.push((var.to_string(), "Redis shared by the proxy replicas (breaker counters, budgets, cache)".into()));
    }
    env
}

fn endpoint_env(model: &str) -> String {
    format!("GENOPS_ENDPOINT_{}", env_name(model))
}

fn api_key_env(model: &str, key: &SecretRef) -> (String, String) {
    match key {
        SecretRef::Env(name) => (name.clone(), format!("API key of model `{model}` (`env:{name}` in the spec)")),
        SecretRef::Vault(ocid) => (
            format!("GENOPS_API_KEY_{}", env_name(model)),
            format!("API key of model `{model}`: the content of vault secret `{ocid}`"),
        ),
    }
}
