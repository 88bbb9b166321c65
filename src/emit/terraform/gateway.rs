//! `gateway.tf`: OCI API Gateway in front of the LLM gateway (LiteLLM). Private gateways for
//! routes whose data class asks for a private network, public ones for the others; one
//! deployment per route, so that each route has its own path, authentication, rate limit,
//! logs and timeouts, and at most 20 deployments to a gateway, OCI's limit
//! ([`crate::model::gateways`]). The backend is the LiteLLM model group of the route.

use super::Tf;
use crate::conventions::{ident, model_group};
use crate::emit::hcl::{Block, FileWriter, Value};
use crate::model::gateways::{GATEWAY_MAX_READ_TIMEOUT, Gateway};
use crate::model::latency::worst_case_latency;
use crate::model::{Auth, Route, RouteId};
use crate::spec::data_classes::{LoggingLevel, Network};

/// OCI API Gateway's longest backend read timeout, in the seconds the deployment takes.
const MAX_READ_TIMEOUT_S: u64 = GATEWAY_MAX_READ_TIMEOUT.millis / 1000;

/// The resource name of the API gateway of the route at this index (`public`, `public_2` …).
pub(crate) fn gateway_of(tf: &Tf, route: usize) -> String {
    tf.gateways[route].resource()
}

/// Writes the gateways, then the deployments one by one: a large system has thousands.
pub(super) fn write(tf: &Tf, file: &mut FileWriter) {
    let system = tf.system;
    // About two kilobytes of text a deployment: reserved, so a large file is not copied as it
    // grows.
    file.reserve(system.routes.len() * 2560);
    // Each gateway once, private ones first, in order, with the routes it serves.
    let mut served: std::collections::BTreeMap<(bool, usize), (Gateway, Vec<RouteId>)> = Default::default();
    for (i, gateway) in tf.gateways.iter().enumerate() {
        let key = (gateway.network == Network::Public, gateway.number);
        served.entry(key).or_insert_with(|| (*gateway, Vec::new())).1.push(RouteId(i));
    }
    for (gateway, routes) in served.into_values() {
        let names: Vec<&str> = routes.iter().map(|r| system.route(*r).name.as_str()).collect();
        // A public gateway behind the web application firewall is private: its load balancer
        // (`waf.tf`) is the only public entry, so the firewall cannot be bypassed.
        let (endpoint, subnet) = match gateway.network {
            Network::Private => ("PRIVATE", "var.gateway_subnet_ocid"),
            Network::Public if super::waf::fronted(tf, gateway) => ("PRIVATE", "var.gateway_subnet_ocid"),
            Network::Public => ("PUBLIC", "var.public_gateway_subnet_ocid"),
        };
        file.push(
            &Block::new("resource", &["oci_apigateway_gateway", &gateway.resource()])
                .comment(format!("routes {} ({} network)", names.join(", "), gateway.network))
                .attr("compartment_id", Tf::compartment())
                .attr("display_name", tf.display(&gateway.display()))
                .attr("endpoint_type", Value::str(endpoint))
                .attr("subnet_id", Value::expr(subnet))
                .attr("freeform_tags", tf.tags(None))
                .attr("defined_tags", tf.cost_tags(&routes)),
        );
    }
    for (i, route) in system.routes.iter().enumerate() {
        file.push(&deployment(tf, RouteId(i), route));
    }
}

fn deployment(tf: &Tf, id: RouteId, route: &Route) -> Block {
    let name = route.name.as_str();
    let worst = worst_case_latency(tf.system, id);
    let read_timeout = worst.millis.div_ceil(1000).clamp(1, MAX_READ_TIMEOUT_S);
    let level = tf.system.policy(route.data_class).logging.min_level(route.logging);
    let mut policies = Block::new("request_policies", &[]);
    if let Auth::Jwt { issuer, audience, jwks_uri } = &route.auth {
        policies = policies.block(
            Block::new("authentication", &[])
                .attr("type", Value::str("JWT_AUTHENTICATION"))
                .attr("token_header", Value::str("Authorization"))
                .attr_commented(
                    "token_auth_scheme",
                    Value::str("Bearer"),
                    "checkov:skip=CKV_SECRET_6: the word Bearer next to an Authorization header name is the scheme, not a credential",
                )
                .attr("is_anonymous_access_allowed", Value::Bool(false))
                .attr("issuers", Value::strs([issuer.clone()]))
                .attr("audiences", Value::strs([audience.clone()]))
                .attr("max_clock_skew_in_seconds", Value::Int(60))
                .block(
                    Block::new("public_keys", &[])
                        .attr("type", Value::str("REMOTE_JWKS"))
                        .attr("uri", Value::str(jwks_uri.clone()))
                        .attr("max_cache_duration_in_hours", Value::Int(1)),
                ),
        );
    }
    if let Some(cors) = &route.cors {
        policies = policies.block(
            Block::new("cors", &[])
                .attr("allowed_origins", Value::strs(cors.origins.clone()))
                .attr("allowed_methods", Value::strs(["POST"]))
                .attr("allowed_headers", Value::strs(["Authorization", "Content-Type"]))
                .attr("max_age_in_seconds", Value::Int((cors.max_age.millis / 1000) as i64)),
        );
    }
    if let Some(limit) = route.rate_limit {
        policies = policies.block(
            Block::new("rate_limiting", &[])
                .attr("rate_in_requests_per_second", Value::Int(limit.per_second as i64))
                .attr("rate_key", Value::str("CLIENT_IP")),
        );
    }
    let execution = Block::new("execution_log", &[]).attr("is_enabled", Value::Bool(level.is_some()));
    let execution = match level {
        Some(level) => execution.attr("log_level", Value::str(level)),
        None => execution,
    };
    let mut spec = Block::new("specification", &[]).block(
        Block::new("logging_policies", &[])
            .block(Block::new("access_log", &[]).attr("is_enabled", Value::Bool(true)))
            .block(execution),
    );
    if !policies.blocks.is_empty() {
        spec = spec.block(policies);
    }
    spec = spec.block(
        Block::new("routes", &[]).attr("path", Value::str("/")).attr("methods", Value::strs(["POST"])).block(
            Block::new("backend", &[])
                .attr("type", Value::str("HTTP_BACKEND"))
                .attr(
                    "url",
                    Value::expr(format!(
                        "\"${{var.llm_gateway_url}}/openai/deployments/{}/chat/completions\"",
                        model_group(name)
                    )),
                )
                .attr("connect_timeout_in_seconds", Value::Int(10))
                .attr("read_timeout_in_seconds", Value::Int(read_timeout as i64))
                .attr("send_timeout_in_seconds", Value::Int(60)),
        ),
    );
    let comment = vec![format!("routes.{name}: {} data, worst case {worst}", route.data_class)];
    let mut block = Block::new("resource", &["oci_apigateway_deployment", &ident(name)]);
    for c in comment {
        block = block.comment(c);
    }
    block
        .attr("compartment_id", Tf::compartment())
        .attr("gateway_id", Value::expr(format!("oci_apigateway_gateway.{}.id", gateway_of(tf, id.0))))
        .attr("display_name", tf.display(name))
        .attr("path_prefix", Value::str(route.path.clone()))
        .attr("freeform_tags", tf.tags(Some(name)))
        .attr("defined_tags", tf.cost_tags(&[id]))
        .block(spec)
}

impl LoggingLevel {
    /// The API Gateway execution-log level for what a route may log, or `None` when only
    /// audit records (the access log) may be kept.
    pub fn min_level(self, route: LoggingLevel) -> Option<&'static str> {
        let effective = if crate::model::logs_more(route, self) { self } else { route };
        match effective {
            LoggingLevel::Full => Some("INFO"),
            LoggingLevel::Metadata => Some("WARN"),
            LoggingLevel::AuditOnly => None,
        }
    }
}
