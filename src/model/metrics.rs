//! The metric contract: which metric each alert reads, who must publish it, and how a series
//! is attributed to a route.
//!
//! Prometheus alerts read the LiteLLM proxy's own metrics where they exist and `genops_*`
//! metrics that the application or an online evaluator publishes. OCI alarms read OCI API
//! Gateway's service metrics (`oci_apigateway`) for availability and latency and the custom
//! namespace `genops` for the rest. docs/alarms.md's "Metric contract" is the user-facing copy.
//!
//! **Route attribution.** LiteLLM 1.106.12 labels a success with the model group that served it
//! (`requested_model=standard_logging_payload["model_group"]`,
//! `litellm/integrations/prometheus.py:1557`) and a proxy failure with the group the client
//! asked for (`requested_model=request_data["model"]`, `prometheus.py:2894`, in
//! `async_post_call_failure_hook`). Every group genops writes for a route is named `<route>` or
//! `<route>--<role>` (`emit/litellm/plan.rs`), so every SLI sums by a `route` label derived
//! from `requested_model` by [`by_route`]: a tier, fallback or candidate that served a request
//! still counts for the route the client called. (LiteLLM's own `route` label, the API path,
//! is overwritten.)

/// LiteLLM: requests the proxy answered, successes and failures, per `requested_model`.
pub const REQUESTS: &str = "litellm_proxy_total_requests_metric_total";
/// LiteLLM: failed requests, per `requested_model`, `exception_status` and `exception_class`.
pub const FAILED: &str = "litellm_proxy_failed_requests_metric_total";
/// LiteLLM: end-to-end latency histogram (seconds) of successful requests, per `requested_model`.
pub const LATENCY: &str = "litellm_request_total_latency_metric";
/// LiteLLM: spend in the system's currency, per `requested_model` (0 for dedicated deployments).
pub const SPEND: &str = "litellm_spend_metric_total";
/// Published by the online evaluator: groundedness scores (summary `_sum`/`_count`), per `route`.
pub const GROUNDEDNESS: &str = "genops_groundedness_score";
/// Published by the moderation step: answers flagged harmful, per `route`.
pub const HARMFUL: &str = "genops_moderation_flagged_total";
/// Published by the evaluation pipeline: latest average score, per `evaluation`.
pub const EVAL_SCORE: &str = "genops_eval_score";
/// Published by the input guard: requests blocked as prompt injection.
pub const INJECTION: &str = "genops_prompt_injection_blocked_total";
/// Published by the audit pipeline: anomalies found in the audit trail.
pub const AUDIT_ANOMALIES: &str = "genops_audit_anomalies_total";

/// `expr` with a `route` label taken from `requested_model`: `chat`, `chat--tier-2` and
/// `chat--fallback--command-r` all become `chat` (RE2, anchored at both ends; the lazy
/// `(.+?)` stops at the first `--`, which no spec name contains).
pub fn by_route(expr: &str) -> String {
    format!("label_replace({expr}, \"route\", \"$1\", \"requested_model\", \"(.+?)(--.*)?\")")
}

/// Failure statuses the caller causes, left out of the availability SLI: a malformed or
/// over-long request (400, 413, 422: `BadRequestError`, `ContextWindowExceededError`,
/// `ContentPolicyViolationError`, `UnprocessableEntityError`), a missing or wrong key or a
/// model the key may not use (401, 403), an unknown model group (404). Every other failure is a
/// request that did not get a good answer: 5xx, 408 (`litellm.Timeout`), a 429 from the model,
/// and failures with no status at all (`exception_status="None"`: LiteLLM writes
/// `str(status_code)` of an exception without one, `prometheus.py:2889`, e.g. the router's
/// `RouterRateLimitError` "no deployments available" once every deployment is cooling down).
pub const CALLER_STATUSES: &str = "400|401|403|404|413|422";

/// The proxy's own rate limiter answers 429 with `exception_class="HTTPException"`
/// (`ProxyRateLimitError.prometheus_exception_class_name`,
/// `litellm/proxy/common_utils/proxy_rate_limit_error.py:142`): the caller went over its key's
/// limit. A model's 429 carries the provider's class (`Oci.RateLimitError`) and counts.
pub const PROXY_RATE_LIMIT_CLASS: &str = "HTTPException";

/// The failed requests that count against availability, as two selectors whose union is the
/// bad events: every failure but the caller's statuses and 429, then the 429s that are not
/// the proxy's own rate limiting. PromQL cannot say "not (429 and HTTPException)" in one
/// selector. `matchers` (e.g. `requested_model=~"chat(--.*)?",`, empty for every route) come
/// first in both.
pub fn availability_bad_selectors(matchers: &str) -> [String; 2] {
    [
        format!("{FAILED}{{{matchers}exception_status!~\"{CALLER_STATUSES}|429\"}}"),
        format!("{FAILED}{{{matchers}exception_status=\"429\",exception_class!=\"{PROXY_RATE_LIMIT_CLASS}\"}}"),
    ]
}

/// OCI API Gateway service metrics.
pub const OCI_APIGATEWAY: &str = "oci_apigateway";
/// Custom metrics the LLM gateway and evaluators post to OCI Monitoring.
pub const OCI_CUSTOM: &str = "genops";

/// LiteLLM's default latency buckets (seconds); genops adds every latency-SLO threshold so that
/// the SLI is an exact bucket boundary (`litellm_settings.prometheus_latency_buckets`).
pub const LITELLM_LATENCY_BUCKETS: &[f64] =
    &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 420.0, 600.0];

/// A bucket boundary as prometheus_client writes it in `le` (`12.0`, `0.25`).
pub fn le(seconds: f64) -> String {
    let text = format!("{seconds:?}");
    if text.contains('.') || text.contains('e') { text } else { format!("{text}.0") }
}

/// The latency buckets LiteLLM must export for this system: its defaults and every threshold.
pub fn latency_buckets(system: &crate::model::System) -> Vec<f64> {
    let mut buckets: Vec<f64> = LITELLM_LATENCY_BUCKETS.to_vec();
    for slo in &system.slos {
        if let Some(crate::spec::units::Threshold::Duration(d)) = slo.threshold {
            if slo.sli == crate::spec::slos::Sli::Latency {
                buckets.push(d.seconds());
            }
        }
    }
    buckets.sort_by(f64::total_cmp);
    buckets.dedup();
    buckets
}

#[cfg(test)]
mod tests {
    use super::le;

    #[test]
    fn le_labels_match_prometheus_client() {
        assert_eq!(le(12.0), "12.0");
        assert_eq!(le(0.25), "0.25");
        assert_eq!(le(11.5), "11.5");
    }
}
