//! The LiteLLM config as text: the routing [`Plan`] written as `gateway/litellm/config.yaml`.
//!
//! In: the checked [`System`] and its plan. Out: the config, through `emit::yaml`, into the
//! file being made: a header of comments (the environment the config reads, where LiteLLM
//! differs from the spec), `model_list` one deployment at a time (a large system has tens of
//! thousands, handed on in parts between them), then `router_settings` and
//! `litellm_settings`. Per-route settings live on the deployments and on per-group router
//! settings, because LiteLLM's `router_settings` are global: `timeout`/`stream_timeout`, `rpm`,
//! `cooldown_time` and `model_info.allowed_fails_policy` per deployment,
//! `model_group_retry_policy` per group. Output is deterministic: spec order everywhere, no
//! maps with random order, no timestamps.

use super::plan::{Deployment, Plan, Role, prompt_label};
use super::{LITELLM_VERSION, OCI_ENV, REDIS_ENV, api_key_env, endpoint_env, environment};
use crate::conventions;
use crate::emit::sink::FileOut;
use crate::emit::yaml::{Map, Writer};
use crate::model::metrics::latency_buckets;
use crate::model::{Serving, System};
use crate::spec::data_classes::LoggingLevel;
use crate::spec::models::Provider;
use crate::spec::units::SecretRef;

/// Failure kinds that count toward a circuit breaker: the model's failures, not the caller's
/// (`BadRequestError` and `ContentPolicyViolationError` are left out, so a bad request never
/// opens the circuit).
const BREAKER_FAILURES: [&str; 7] = [
    "TimeoutErrorAllowedFails",
    "RateLimitErrorAllowedFails",
    "InternalServerErrorAllowedFails",
    "ServiceUnavailableErrorAllowedFails",
    "BadGatewayErrorAllowedFails",
    "AuthenticationErrorAllowedFails",
    "NotFoundErrorAllowedFails",
];
/// Errors a retry cannot fix (`DefaultRetries` covers timeouts, rate limits and server errors):
/// they go to the fallbacks at once.
const NOT_RETRIED: [&str; 4] = [
    "BadRequestErrorRetries",
    "AuthenticationErrorRetries",
    "ContentPolicyViolationErrorRetries",
    "NotFoundErrorRetries",
];

/// Seconds, as LiteLLM reads timeouts and cooldowns.
fn secs(millis: u64) -> f64 {
    millis as f64 / 1000.0
}

/// Writes the config into `file`.
pub(super) fn render(system: &System, plan: &Plan, file: &mut FileOut) {
    // About a kilobyte and a half of text a deployment: reserved, so a config of tens of
    // megabytes is not copied as it grows (reserved and unwritten memory is address space only).
    file.reserve(plan.deployments.len() * 2048 + 65536);
    let mut y = Writer::new(file);
    y.comment(conventions::HEADER);
    y.comment(&format!(
        "system: {} — LiteLLM {LITELLM_VERSION} proxy config: litellm --config gateway/litellm/config.yaml",
        system.name
    ));
    y.comment("The OCI API Gateway (terraform/gateway.tf) sends each route to the model group of the same name.");
    y.comment("Environment (os.environ/NAME references; nothing secret is written here):");
    for (var, what) in environment(system) {
        y.comment(&format!("  {var}: {what}"));
    }
    if !plan.limits.is_empty() {
        y.comment("Where LiteLLM differs from the spec (see the README):");
    }
    for limit in &plan.limits {
        y.comment(&format!("- {limit}"));
    }
    y.document(|m| {
        m.seq("model_list", |s| {
            for d in &plan.deployments {
                for c in &d.comments {
                    s.comment(c);
                }
                s.map(|m| deployment(m, system, plan, d));
                s.boundary();
            }
        });
        m.map("router_settings", |m| router_settings(m, system, plan));
        m.map("litellm_settings", |m| litellm_settings(m, system, plan));
    });
}

fn router_settings(m: &mut Map, system: &System, plan: &Plan) {
    m.comment("weighted pick by `weight` (canary, A/B, shadow share, budget downgrade)");
    m.str("routing_strategy", "simple-shuffle");
    m.comment("retries are per group: model_group_retry_policy");
    m.int("num_retries", 0);
    let longest = system.routes.iter().map(|r| r.timeout.millis).max().unwrap_or(30_000);
    m.comment("default per-call timeout; every deployment sets its route's own `timeout` and `stream_timeout`");
    m.num("timeout", secs(longest));
    m.int("retry_after", 0);
    m.comment("the longest chain of tier steps and fallbacks of any route (nested fallback routes included)");
    m.int("max_fallbacks", plan.max_fallbacks as i64);
    m.comment("skip deployments whose max_input_tokens or rpm a request exceeds, before calling them");
    m.bool("enable_pre_call_checks", true);
    if !plan.fallbacks.is_empty() {
        m.comment("routes.*.fallbacks, in order; a fallback route is that route's whole group chain");
        rule_list(m, "fallbacks", &plan.fallbacks);
    }
    if !plan.context_window_fallbacks.is_empty() {
        m.comment("routes.*.tiers: a request too long for a tier goes to the next one, then to the route's model");
        rule_list(m, "context_window_fallbacks", &plan.context_window_fallbacks);
    }
    m.comment(
        "routes.*.retries.attempts per group; fallback models are called once; errors a retry cannot fix are not retried",
    );
    m.map("model_group_retry_policy", |m| {
        for (group, attempts) in &plan.retries {
            m.map(group, |m| {
                m.int("DefaultRetries", *attempts as i64);
                if *attempts > 0 {
                    NOT_RETRIED.iter().for_each(|k| m.int(k, 0));
                }
            });
        }
    });
    m.comment("shared state of the proxy replicas: circuit-breaker counters, cooldowns, deployment budgets");
    for (key, var) in REDIS_ENV {
        m.str(&format!("redis_{key}"), &env(var));
    }
}

fn litellm_settings(m: &mut Map, system: &System, plan: &Plan) {
    if let Some(cache) = &plan.cache {
        let cached: Vec<&str> = system.routes.iter().filter(|r| r.cache.is_some()).map(|r| r.name.as_str()).collect();
        m.comment(&format!("routes {}: response cache", cached.join(", ")));
        cache.comments.iter().for_each(|c| m.comment(c));
        m.bool("cache", true);
        m.map("cache_params", |m| {
            m.str("type", if cache.semantic.is_some() { "redis-semantic" } else { "redis" });
            m.comment(
                "only the deployments of cached routes opt in, each with its route's ttl (`cache` in litellm_params)",
            );
            m.str("mode", "default_off");
            for (key, var) in REDIS_ENV {
                m.str(key, &env(var));
            }
            m.str("namespace", &format!("genops.{}", system.name));
            m.num("ttl", cache.ttl_s);
            if let Some((similarity, embedding)) = &cache.semantic {
                m.num("similarity_threshold", *similarity);
                m.str("redis_semantic_cache_embedding_model", embedding);
            }
            m.flow("supported_call_types", |f| {
                f.str("acompletion");
                f.str("completion");
            });
        });
    }
    let quiet: Vec<String> = system
        .routes
        .iter()
        .filter(|r| r.logging != LoggingLevel::Full)
        .map(|r| format!("{} ({})", r.name, r.logging))
        .collect();
    if !quiet.is_empty() {
        m.comment(&format!(
            "routes {} may not log messages: LiteLLM's logging callbacks get metadata only",
            quiet.join(", ")
        ));
        if quiet.len() < system.routes.len() {
            m.comment("LiteLLM's switch is global: routes that may log in full are redacted too");
        }
        m.bool("turn_off_message_logging", true);
    }
    // The SLO alerts read the exporter's series, so it is on: without it they are silently
    // dead. "prometheus" is a custom-logger callback LiteLLM 1.106.12 loads without a premium
    // check (litellm/proxy/common_utils/callback_utils.py, `initialize_callbacks_on_proxy`);
    // its proxy-level `async_post_call_failure_hook` is what counts failed requests. The
    // exporter imports prometheus_client, which only the `proxy-runtime` extra installs
    // (litellm-1.106.12.dist-info/METADATA: `prometheus-client ; extra == 'proxy-runtime'`).
    m.comment("the SLO alerts read LiteLLM's Prometheus exporter (GET /metrics on the proxy):");
    m.comment("install litellm[proxy,proxy-runtime]==1.106.12 (proxy-runtime brings prometheus_client)");
    if system.compliance.decision_logging {
        m.comment("compliance.decision_logging: every answer is written to the decision log before it is returned");
        m.comment("(genops_decision_log.py beside this file; it needs the `oci` package and GENOPS_DECISION_LOG_ID)");
    }
    m.flow("callbacks", |f| {
        f.str("prometheus");
        if system.compliance.decision_logging {
            f.str(super::DECISION_LOG_CALLBACK);
        }
    });
    m.comment("the alarms read LiteLLM's latency histogram: its default buckets and every latency-SLO threshold");
    m.flow("prometheus_latency_buckets", |f| latency_buckets(system).into_iter().for_each(|b| f.num(b)));
}

/// `os.environ/NAME`: LiteLLM reads the value from the environment.
fn env(var: &str) -> String {
    format!("os.environ/{var}")
}

/// Fallback chains: one `- group: [next, …]` item per group.
fn rule_list(m: &mut Map, key: &str, rules: &[(String, Vec<String>)]) {
    m.seq(key, |s| {
        for (from, to) in rules {
            s.map(|m| m.flow(from, |f| to.iter().for_each(|t| f.str(t))));
        }
    });
}

/// One deployment of `model_list`.
fn deployment(m: &mut Map, system: &System, plan: &Plan, d: &Deployment) {
    let model = system.model(d.model);
    let route = d.route.map(|r| system.route(r));
    m.str("model_name", &d.group);
    m.map("litellm_params", |m| {
        match model.provider {
            Provider::OciGenai => {
                m.str("model", &format!("oci/{}", model.model_id));
                m.str("oci_region", &model.region);
                for (param, var) in OCI_ENV {
                    m.str(param, &env(var));
                }
                match model.serving {
                    Serving::Dedicated(cluster) => {
                        m.str("oci_serving_mode", "DEDICATED");
                        m.comment(&format!(
                            "clusters.{}: terraform output -raw model_{}_endpoint_id",
                            system.cluster(cluster).name,
                            conventions::ident(model.name.as_str())
                        ));
                        m.str("oci_endpoint_id", &env(&endpoint_env(model.name.as_str())));
                    }
                    _ => m.str("oci_serving_mode", "ON_DEMAND"),
                }
            }
            Provider::External => {
                m.comment(&format!("models.{}: external OpenAI-compatible API", model.name));
                m.str("model", &format!("openai/{}", model.model_id));
                if let Some(endpoint) = &model.endpoint {
                    m.str("api_base", endpoint);
                }
                if let Some(key) = &model.api_key {
                    let (var, _) = api_key_env(model.name.as_str(), key);
                    if let SecretRef::Vault(ocid) = key {
                        m.comment(&format!("the content of vault secret {ocid}"));
                    }
                    m.str("api_key", &env(&var));
                }
            }
        }
        if let Some(route) = route {
            m.num("timeout", secs(route.timeout.millis));
            m.num("stream_timeout", secs(route.timeout.millis));
        }
        m.int("max_retries", 0);
        if let Some(limit) = route.and_then(|r| r.rate_limit) {
            m.int("rpm", limit.per_second as i64 * 60);
        }
        let cooldown = route.and_then(|r| r.circuit_breaker).map_or(0, |cb| cb.cooldown.millis);
        m.num("cooldown_time", secs(cooldown));
        match (model.serving, model.price) {
            (Serving::Dedicated(_), _) => {
                m.comment("dedicated: paid by the cluster's hours");
                m.int("input_cost_per_token", 0);
                m.int("output_cost_per_token", 0);
            }
            (_, Some(price)) => {
                m.num("input_cost_per_token", price.input_per_1k / 1000.0);
                m.num("output_cost_per_token", price.output_per_1k / 1000.0);
            }
            (_, None) => {}
        }
        if let Some(w) = d.weight {
            m.num("weight", w);
        }
        if let Some(b) = d.max_budget {
            m.num("max_budget", b);
            m.str("budget_duration", "1mo");
        }
        if let Some(s) = &d.silent_model {
            m.str("silent_model", s);
        }
        if let (Some(route), Some(_)) = (route, plan.cache.as_ref()) {
            if let (Some(cache), false) = (route.cache, d.role == Role::Shadow) {
                m.map("cache", |m| {
                    m.bool("use-cache", true);
                    m.num("ttl", secs(cache.ttl.millis));
                });
            }
        }
    });
    m.map("model_info", |m| {
        m.str("id", &d.id);
        if let Some(t) = d.max_input_tokens {
            m.int("max_input_tokens", t as i64);
        }
        if let Some(cb) = route.and_then(|r| r.circuit_breaker) {
            m.map("allowed_fails_policy", |m| {
                BREAKER_FAILURES.iter().for_each(|k| m.int(k, cb.failures as i64 - 1));
            });
        }
        if let Some(description) = &model.description {
            m.str("description", description);
        }
        if let Some(route) = route {
            m.str("genops_route", route.name.as_str());
            m.str("genops_data_class", &route.data_class.to_string());
            if system.compliance.decision_logging {
                // the decision log keeps the answer itself only where the route may log in full
                let full = route.logging == LoggingLevel::Full;
                m.str("genops_decision_output", if full { "full" } else { "sha256" });
            }
        }
        m.str("genops_model", model.name.as_str());
        if let Some(p) = d.prompt {
            m.str("genops_prompt", &prompt_label(system, Some(p)));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::emit;
    use super::super::plan::tests::{MODELS, system};

    #[test]
    fn dedicated_deployments_read_their_endpoint_from_the_environment() {
        let s = system(&format!("{MODELS}routes:\n  chat: {{ path: /c, data_class: confidential, model: llama }}\n"));
        let text = emit(&s).remove(0).contents;
        assert!(text.contains("oci_serving_mode: \"DEDICATED\""), "{text}");
        assert!(text.contains("oci_endpoint_id: \"os.environ/GENOPS_ENDPOINT_LLAMA\""), "{text}");
        assert!(text.contains("terraform output -raw model_llama_endpoint_id"), "{text}");
        assert!(!text.contains("ON_DEMAND"));
    }
}
