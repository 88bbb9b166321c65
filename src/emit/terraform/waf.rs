//! `waf.tf`: an OCI web application firewall in front of every public API gateway that serves
//! a route with the firewall on (`waf`, default on).
//!
//! In: the checked system and the gateway of each route. Out: per such gateway, a public
//! flexible load balancer that terminates TLS and forwards to the gateway, now a private one
//! (so the firewall cannot be bypassed), and a firewall on it; one firewall policy for the
//! system with, per route behind it: a rate limit from `rate_limit.per_second`, a request size
//! limit from the largest context window of its models, and OWASP protection rules.
//!
//! The OCI facts this relies on:
//! - OCI WAF attaches to a load balancer only (`backend_type` accepts `LOAD_BALANCER` alone:
//!   provider schema `oci_waf_web_app_firewall`;
//!   <https://docs.oracle.com/en-us/iaas/Content/WAF/Concepts/overview.htm>), not to API
//!   Gateway: hence the load balancer in front of it.
//! - Rule conditions are JMESPath over the request (`http.request.url.path`,
//!   `http.request.headers."<name>"[0]`, `starts_with`):
//!   <https://docs.oracle.com/en-us/iaas/Content/WAF/Concepts/understanding_conditions.htm>.
//!   Rate limits count per client IP address:
//!   <https://docs.oracle.com/en-us/iaas/Content/WAF/RateLimiting/create_rate_limiting_rule.htm>.
//! - A request protection rule inspects at most 8,192 bytes of a body
//!   (<https://docs.oracle.com/iaas/Content/WAF/Protections/request-body-inspection.htm>): a
//!   prompt is larger, so the size limit is an access control rule on `content-length`.
//! - Protection capabilities are OCI's OWASP rule groups, by key and version; the collaborative
//!   groups used here are those of the provider's documented example (`9300000`, version 1).

use super::Tf;
use crate::emit::hcl::{Block, FileWriter, Value};
use crate::model::gateways::Gateway;
use crate::model::{RouteId, System};
use crate::spec::data_classes::Network;

/// OWASP collaborative protection groups (key, what it detects): local file inclusion, remote
/// code execution (Unix), PHP injection, cross-site scripting, SQL injection.
const PROTECTIONS: [(&str, &str); 5] = [
    ("9300000", "local file inclusion"),
    ("9320000", "remote code execution (Unix)"),
    ("9330000", "PHP injection"),
    ("9410000", "cross-site scripting"),
    ("9420000", "SQL injection"),
];

/// OCI WAF's largest inspected body, in bytes.
const BODY_INSPECTION_MAX: i64 = 8192;

/// Bytes a token of prompt text takes at most, as an upper bound (UTF-8, short tokens).
const BYTES_PER_TOKEN: u64 = 4;
/// Room for the JSON envelope of a chat request (messages, parameters) around the prompt.
const ENVELOPE_BYTES: u64 = 64 * 1024;
/// The request size limit of a route whose models declare no context window.
const DEFAULT_MAX_REQUEST_BYTES: u64 = 1024 * 1024;

/// Whether the API gateway `gateway` is fronted by the firewall: it is public and serves a
/// route with the firewall on.
pub(crate) fn fronted(tf: &Tf, gateway: Gateway) -> bool {
    gateway.network == Network::Public && tf.gateways.iter().zip(&tf.system.routes).any(|(g, r)| *g == gateway && r.waf)
}

/// The host a route is reached at: its API gateway's, or the firewall's load balancer's.
pub(crate) fn host_of(tf: &Tf, route: usize) -> String {
    let gateway = tf.gateways[route];
    if fronted(tf, gateway) {
        format!("oci_load_balancer_load_balancer.{}.ip_address_details[0].ip_address", lb(gateway))
    } else {
        format!("oci_apigateway_gateway.{}.hostname", gateway.resource())
    }
}

/// The load balancer of a fronted gateway: `waf_public`, `waf_public_2` …
fn lb(gateway: Gateway) -> String {
    format!("waf_{}", gateway.resource())
}

/// The largest request a route accepts, in bytes: its models' largest context window as text,
/// plus the request's envelope.
pub(crate) fn max_request_bytes(system: &System, route: RouteId) -> u64 {
    crate::model::budgets::models_of_route(system, route)
        .into_iter()
        .filter_map(|m| system.model(m).context_window)
        .max()
        .map_or(DEFAULT_MAX_REQUEST_BYTES, |tokens| u64::from(tokens) * BYTES_PER_TOKEN + ENVELOPE_BYTES)
}

pub(super) fn write(tf: &Tf, file: &mut FileWriter) {
    let system = tf.system;
    let mut gateways: Vec<Gateway> = tf.gateways.iter().copied().filter(|g| fronted(tf, *g)).collect();
    gateways.sort();
    gateways.dedup();
    if gateways.is_empty() {
        return;
    }
    let guarded: Vec<usize> =
        (0..system.routes.len()).filter(|i| system.routes[*i].waf && fronted(tf, tf.gateways[*i])).collect();
    file.push(
        &Block::new("variable", &["public_certificate_ocid"])
            .attr(
                "description",
                Value::str("OCID of the TLS certificate (OCI Certificates) the firewall's load balancers serve public routes with."),
            )
            .attr("type", Value::expr("string"))
            .block(
                Block::new("validation", &[])
                    .attr("condition", Value::expr("startswith(var.public_certificate_ocid, \"ocid1.certificate.\")"))
                    .attr("error_message", Value::str("public_certificate_ocid must be a certificate OCID (ocid1.certificate.…).")),
            ),
    );
    file.push(&policy(tf, &guarded));
    for gateway in gateways {
        let routes: Vec<RouteId> =
            (0..system.routes.len()).filter(|i| tf.gateways[*i] == gateway).map(RouteId).collect();
        let names: Vec<&str> = routes.iter().map(|r| system.route(*r).name.as_str()).collect();
        let lb = lb(gateway);
        file.push(
            &Block::new("resource", &["oci_load_balancer_load_balancer", &lb])
                .comment(format!(
                    "routes {}: the public entry, with the firewall; the API gateway behind it is private",
                    names.join(", ")
                ))
                .attr("compartment_id", Tf::compartment())
                .attr("display_name", tf.display(&format!("waf-{}", gateway.display())))
                .attr("shape", Value::str("flexible"))
                .attr("is_private", Value::Bool(false))
                .attr("subnet_ids", Value::List(vec![Value::expr("var.public_gateway_subnet_ocid")]))
                .attr("freeform_tags", tf.tags(None))
                .attr("defined_tags", tf.cost_tags(&routes))
                .block(
                    Block::new("shape_details", &[])
                        .attr("minimum_bandwidth_in_mbps", Value::Int(10))
                        .attr("maximum_bandwidth_in_mbps", Value::Int(100)),
                ),
        );
        file.push(
            &Block::new("resource", &["oci_load_balancer_backend_set", &lb])
                .comment("the API gateway, over TLS inside the VCN")
                .attr("load_balancer_id", Value::expr(format!("oci_load_balancer_load_balancer.{lb}.id")))
                .attr("name", Value::str("api-gateway"))
                .attr("policy", Value::str("ROUND_ROBIN"))
                .block(
                    Block::new("health_checker", &[]).attr("protocol", Value::str("TCP")).attr("port", Value::Int(443)),
                )
                .block(Block::new("ssl_configuration", &[]).attr("verify_peer_certificate", Value::Bool(false))),
        );
        file.push(
            &Block::new("resource", &["oci_load_balancer_backend", &lb])
                .attr("load_balancer_id", Value::expr(format!("oci_load_balancer_load_balancer.{lb}.id")))
                .attr("backendset_name", Value::expr(format!("oci_load_balancer_backend_set.{lb}.name")))
                .attr(
                    "ip_address",
                    Value::expr(format!("oci_apigateway_gateway.{}.ip_addresses[0].ip_address", gateway.resource())),
                )
                .attr("port", Value::Int(443)),
        );
        file.push(
            &Block::new("resource", &["oci_load_balancer_listener", &lb])
                .comment("HTTPS in: the firewall inspects decrypted requests")
                .attr("load_balancer_id", Value::expr(format!("oci_load_balancer_load_balancer.{lb}.id")))
                .attr("name", Value::str("https"))
                .attr("default_backend_set_name", Value::expr(format!("oci_load_balancer_backend_set.{lb}.name")))
                .attr("port", Value::Int(443))
                .attr("protocol", Value::str("HTTP"))
                .block(
                    Block::new("ssl_configuration", &[])
                        .attr("certificate_ids", Value::List(vec![Value::expr("var.public_certificate_ocid")])),
                ),
        );
        file.push(
            &Block::new("resource", &["oci_waf_web_app_firewall", &lb])
                .attr("compartment_id", Tf::compartment())
                .attr("display_name", tf.display(&format!("waf-{}", gateway.display())))
                .attr("backend_type", Value::str("LOAD_BALANCER"))
                .attr("load_balancer_id", Value::expr(format!("oci_load_balancer_load_balancer.{lb}.id")))
                .attr("web_app_firewall_policy_id", Value::expr("oci_waf_web_app_firewall_policy.public.id"))
                .attr("freeform_tags", tf.tags(None))
                .attr("defined_tags", tf.cost_tags(&routes)),
        );
    }
}

/// The firewall policy: per guarded route, its rate limit, its size limit and the OWASP rules.
fn policy(tf: &Tf, guarded: &[usize]) -> Block {
    let system = tf.system;
    let action = |name: &str, code: i64| {
        Block::new("actions", &[])
            .attr("name", Value::str(name))
            .attr("type", Value::str("RETURN_HTTP_RESPONSE"))
            .attr("code", Value::Int(code))
    };
    let mut access = Block::new("request_access_control", &[]).attr("default_action_name", Value::str("allow"));
    let mut rates = Block::new("request_rate_limiting", &[]);
    let mut protection = Block::new("request_protection", &[])
        .attr("body_inspection_size_limit_in_bytes", Value::Int(BODY_INSPECTION_MAX));
    for &i in guarded {
        let route = &system.routes[i];
        let path = starts_with(&route.path);
        access = access.block(
            Block::new("rules", &[])
                .attr("name", Value::str(format!("{}-request-size", route.name)))
                .attr("type", Value::str("ACCESS_CONTROL"))
                .attr("action_name", Value::str("too-large"))
                .attr("condition_language", Value::str("JMESPATH"))
                .attr(
                    "condition",
                    Value::str(format!(
                        "{path} && to_number(http.request.headers.\"content-length\"[0]) > `{}`",
                        max_request_bytes(system, RouteId(i))
                    )),
                ),
        );
        if let Some(limit) = route.rate_limit {
            rates = rates.block(
                Block::new("rules", &[])
                    .attr("name", Value::str(format!("{}-rate", route.name)))
                    .attr("type", Value::str("REQUEST_RATE_LIMITING"))
                    .attr("action_name", Value::str("too-many-requests"))
                    .attr("condition_language", Value::str("JMESPATH"))
                    .attr("condition", Value::str(path.clone()))
                    .block(
                        Block::new("configurations", &[])
                            .attr("period_in_seconds", Value::Int(1))
                            .attr("requests_limit", Value::Int(i64::from(limit.per_second))),
                    ),
            );
        }
        protection = protection.block(
            Block::new("rules", &[])
                .attr("name", Value::str(format!("{}-owasp", route.name)))
                .attr("type", Value::str("PROTECTION"))
                .attr("action_name", Value::str("blocked"))
                .attr("condition_language", Value::str("JMESPATH"))
                .attr("condition", Value::str(path))
                .attr("is_body_inspection_enabled", Value::Bool(true))
                .blocks(PROTECTIONS.iter().map(|(key, _)| {
                    Block::new("protection_capabilities", &[])
                        .attr("key", Value::str(*key))
                        .attr("version", Value::Int(1))
                })),
        );
    }
    let described: Vec<String> = PROTECTIONS.iter().map(|(k, what)| format!("{k} {what}")).collect();
    let mut block = Block::new("resource", &["oci_waf_web_app_firewall_policy", "public"])
        .comment(format!(
            "per public route: rate limit (rate_limit.per_second), request size, OWASP groups {}",
            described.join(", ")
        ))
        .attr("compartment_id", Tf::compartment())
        .attr("display_name", tf.display("waf-public"))
        .attr("freeform_tags", tf.tags(None))
        .attr("defined_tags", tf.cost_tags(&guarded.iter().map(|i| RouteId(*i)).collect::<Vec<_>>()))
        .block(Block::new("actions", &[]).attr("name", Value::str("allow")).attr("type", Value::str("ALLOW")))
        .block(action("blocked", 403))
        .block(action("too-large", 413))
        .block(action("too-many-requests", 429))
        .block(access);
    if !rates.blocks.is_empty() {
        block = block.block(rates);
    }
    block.block(protection)
}

/// The condition matching a route's requests. A route path holds letters, digits and
/// `/._~-` only (GO0114), so it needs no escaping inside a JMESPath string literal.
fn starts_with(path: &str) -> String {
    format!("starts_with(http.request.url.path, '{path}')")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::MemoryFiles;

    /// The Terraform files of a system with one public route (`waf` as given) and one private.
    fn files(waf: &str) -> std::collections::BTreeMap<String, String> {
        let spec = format!(
            "version: genops/v1
system: {{ name: s, owner: o, region: us-chicago-1 }}
models:
  small: {{ provider: oci-genai, id: cohere.command-r-08-2024, context_window: 1000 }}
routes:
  faq: {{ path: /v1/faq, data_class: public, model: small, rate_limit: {{ per_second: 7 }}{waf} }}
  notes: {{ path: /v1/notes, data_class: internal, model: small }}
"
        );
        let c = crate::compile::compile("genops.yaml", spec.into_bytes(), &MemoryFiles::default());
        let system = c.system.unwrap_or_else(|| panic!("{:#?}", c.diagnostics));
        super::super::emit(&system, &c.sources)
            .into_iter()
            .map(|a| (a.path.trim_start_matches("terraform/").to_string(), a.contents))
            .collect()
    }

    #[test]
    fn a_public_route_is_behind_the_firewall_and_its_gateway_is_private() {
        let tf = files("");
        let waf = &tf["waf.tf"];
        assert!(waf.contains("backend_type               = \"LOAD_BALANCER\""), "{waf}");
        assert!(waf.contains("requests_limit    = 7"), "{waf}");
        // 1,000 tokens × 4 bytes + 64 KiB.
        assert!(waf.contains("> `69536`"), "{waf}");
        assert!(waf.contains("starts_with(http.request.url.path, '/v1/faq')") && !waf.contains("/v1/notes"));
        assert!(waf.contains("ip_address       = oci_apigateway_gateway.public.ip_addresses[0].ip_address"));
        let gateway = &tf["gateway.tf"];
        assert!(!gateway.contains("\"PUBLIC\"") && !gateway.contains("var.public_gateway_subnet_ocid"), "{gateway}");
        assert!(
            tf["outputs.tf"].contains("oci_load_balancer_load_balancer.waf_public.ip_address_details[0].ip_address")
        );
    }

    #[test]
    fn a_route_that_opts_out_keeps_a_public_gateway_and_no_firewall() {
        let tf = files(", waf: { enabled: false, reason: \"a test\" }");
        assert!(!tf.contains_key("waf.tf"));
        assert!(tf["gateway.tf"].contains("endpoint_type  = \"PUBLIC\""), "{}", tf["gateway.tf"]);
        assert!(tf["outputs.tf"].contains("oci_apigateway_gateway.public.hostname"));
    }

    #[test]
    fn a_route_accepts_its_largest_context_window_as_text() {
        let s = crate::testing::example("support-assistant").system.expect("compiles");
        let help = s.routes.iter().position(|r| r.name.as_str() == "help-center").expect("route");
        // command-r and command-r-plus: 128,000 tokens × 4 bytes + 64 KiB.
        assert_eq!(max_request_bytes(&s, RouteId(help)), 128_000 * 4 + 65_536);
    }
}
