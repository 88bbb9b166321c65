//! The metric contract: which metric each alert reads, and who must publish it.
//!
//! Prometheus alerts read the LiteLLM proxy's own metrics where they exist (`requested_model`
//! is the route's model group, i.e. the route's name) and `genops_*` metrics that the
//! application or an online evaluator publishes. OCI alarms read OCI API Gateway's service
//! metrics (`oci_apigateway`) for availability and latency and the custom namespace `genops`
//! for the rest. README's "Metric contract" table is the user-facing copy of this file.

/// LiteLLM: requests received, per `requested_model`.
pub const REQUESTS: &str = "litellm_proxy_total_requests_metric_total";
/// LiteLLM: failed requests, per `requested_model` and `exception_status`.
pub const FAILED: &str = "litellm_proxy_failed_requests_metric_total";
/// LiteLLM: end-to-end latency histogram (seconds), per `requested_model`.
pub const LATENCY: &str = "litellm_request_total_latency_metric";
/// LiteLLM: spend in the system's currency, per `requested_model`.
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
