//! `slo-availability.md.j2` and `slo-latency.md.j2`: the blocks each fills in the layout, and
//! the section of each SLO.
//!
//! In: the context. Out: [`AVAILABILITY`] and [`LATENCY`], the [`Blocks`] that
//! [`layout::write`] turns into the two largest runbooks of a large system (a section per SLO).

use super::layout::{self, Blocks, field};
use super::{Md, Refused, Written, truthy};
use crate::emit::runbooks::context::{RouteCtx, SloSectionCtx};

pub const AVAILABILITY: Blocks = Blocks {
    title: |md, vars, _| {
        md.s("Availability SLOs of ").code(&vars.system.name);
        Ok(())
    },
    summary: |md, _, _| {
        md.s("Each route below must answer its objective's share of requests without a server error over the SLO's window.\n");
        md.s(PICK_SECTION);
        Ok(())
    },
    meaning: |md, vars, _| {
        md.s("The SLI is the share of a route's requests (the LiteLLM model group named after the route) that end in a 5xx: `litellm_proxy_failed_requests_metric_total` over `litellm_proxy_total_requests_metric_total`, by `requested_model`; the OCI alarms count the 5xx responses of the route's API Gateway deployment.\n");
        md.s("The alarms are multi-window burn-rate alarms: each fires when both of its windows fail more requests than the error budget can sustain at that pace.\n\n");
        layout::burn_windows(md, &vars.burn_windows);
        md.s("\nA page means users are failing now; a ticket means the budget is leaking slowly and someone should look during working hours.\n");
        Ok(())
    },
    impact: |md, _, _| {
        md.s("Callers of the route get errors instead of answers. Each SLO's section gives the route's path, data class, traffic, model and fallbacks; the [index](README.md) lists every route.\n");
        Ok(())
    },
    detection: layout::slo_detection,
    action: |md, vars, _| {
        let config = &vars.files.litellm_config;
        md.s("1. Acknowledge the page, then check the failure ratio of the route's model group over the last 5 minutes (the SLO's section has the query with its name).\n");
        md.s("2. If the route has a rollout in progress (its section says so), rule it out first: set the candidate deployment's `litellm_params.weight` to 0 in ").code(config);
        md.s(" (a blue-green rollout: set `rollout.active` back to the side that served before), then remove `rollout` from the route in the spec.\n");
        md.s("   Otherwise check what changed last: a prompt version, the LiteLLM config, the cluster. `genops plan` against the deployed output shows a hand edit.\n");
        md.s("3. If the primary model fails and the route has a fallback: send all of the route's traffic to it now, instead of after every timeout and retry.\n");
        md.s("   Add the alias shown in the SLO's section under `router_settings` in ").code(config);
        md.s(", then restart the LiteLLM proxy replicas one at a time:\n\n   ```sh\n   litellm --config ")
            .verbatim(config)?;
        md.s("\n   ```\n\n");
        md.s("   A route without a fallback has nothing to switch to: check the model's serving (the OCI Generative AI service health of the region, or the dedicated AI cluster in the OCI Console) and open a P1 service request with Oracle if it is down.\n");
        md.s("4. Let the circuit breaker work: after its failures LiteLLM cools the deployment down and serves the fallback; do not restart the proxy in a loop, it resets the counters.\n");
        Ok(())
    },
    diagnosis: |md, vars, _| {
        md.s("1. Do the API Gateway and LiteLLM agree? If the route's deployment returns 5xx but LiteLLM counts no failures, the gateway cannot reach the proxy: check `GET <llm_gateway_url>/health/readiness` and the proxy replicas, then the route's access log.\n");
        md.s("2. Which status fails? Split the failures by `exception_status`: 429 means capacity (the on-demand quota of ").code(&vars.system.region);
        md.s(", or a saturated dedicated cluster: add units); 408 or 504 means the model is slow, go to [incident-model-timeout](incident-model-timeout.md); 500 to 503 from the provider means the model endpoint is failing.\n\n");
        md.s("   ```promql\n   sum by (requested_model, exception_status) (rate(litellm_proxy_failed_requests_metric_total[5m]))\n   ```\n\n");
        md.s("3. Is it only this route? If every route fails, suspect what they share: the LiteLLM proxy, its Redis, the region; go to [incident-tool-failure](incident-tool-failure.md).\n");
        md.s("4. Did it start with a change? Compare the start of the errors with the last deploy of the spec, the route's prompt version and the LiteLLM config; roll the change back before looking further.\n");
        Ok(())
    },
    recovery: |md, vars, _| {
        layout::slo_oci_status(md, vars);
        md.s("\n- The fast page clears once the failure ratio is back under its threshold over 5 minutes and 1 hour; the slower alarms clear later by design.\n");
        md.s("  Watch the ratio fall below the SLO's error budget and stay there.\n- ");
        layout::restore(md);
        Ok(())
    },
    postmortem: "the error budget of the SLO left after the incident, and whether a rollout or fallback would have shortened it",
    section: |md, _, s, r| {
        let slo = &s.slo;
        md.s("Route ").code(&r.name).s(" must answer ").t(field(&slo.objective)?);
        md.s(" of its requests without a server error over ").t(&slo.window);
        md.s(": an error budget of ").t(field(&slo.error_budget)?).s(", ");
        md.t(field(&slo.error_budget_time)?).s(" of complete outage.\n");
        facts(md, s, r);
        md.s(
            "\nFailure ratio now:\n\n```promql\nsum(rate(litellm_proxy_failed_requests_metric_total{requested_model=\"",
        );
        md.verbatim(&r.litellm.group)?;
        md.s("\"}[5m])) / sum(rate(litellm_proxy_total_requests_metric_total{requested_model=\"");
        md.verbatim(&r.litellm.group)?.s("\"}[5m]))\n```\n\n");
        switch(md, r, "3")
    },
};

pub const LATENCY: Blocks = Blocks {
    title: |md, vars, _| {
        md.s("Latency SLOs of ").code(&vars.system.name);
        Ok(())
    },
    summary: |md, _, _| {
        md.s("Each route below must answer its objective's share of requests within its latency threshold over the SLO's window.\n");
        md.s(PICK_SECTION);
        Ok(())
    },
    meaning: |md, vars, _| {
        md.s("The SLI is the share of a route's requests (the LiteLLM model group named after the route) that take longer than the SLO's threshold end to end: `litellm_request_total_latency_metric_bucket` at the threshold's bucket boundary, over `litellm_request_total_latency_metric_count`; OCI Monitoring cannot count slow requests, so each SLO has one OCI alarm, on the percentile latency of the route's API Gateway deployment held for 5 minutes (a page); the slower windows are Prometheus alerts only.\n");
        md.s("By design a request can take up to the route's worst case (timeout, retries, then the fallbacks), which genops checked against the threshold: slow requests are requests that hit timeouts and retries.\n\n");
        layout::burn_windows(md, &vars.burn_windows);
        Ok(())
    },
    impact: |md, _, _| {
        md.s("Callers of the route wait; those with a shorter client timeout than the route's worst case see errors. Each SLO's section gives the route's path, data class, traffic, model and fallbacks.\n");
        Ok(())
    },
    detection: layout::slo_detection,
    action: |md, vars, _| {
        let files = &vars.files;
        md.s("1. Acknowledge the page, then look at the route's latency over the last 5 minutes (the SLO's section has the query with its names).\n");
        md.s("2. If the primary model is slow and the route has a fallback: send all of the route's traffic to it now. Add the alias shown in the SLO's section under `router_settings` in ").code(&files.litellm_config);
        md.s(", then restart the LiteLLM proxy replicas one at a time:\n\n   ```sh\n   litellm --config ")
            .verbatim(&files.litellm_config)?;
        md.s("\n   ```\n\n");
        md.s("   Without a fallback: check the load of the dedicated AI cluster, or the OCI Generative AI service health of ").code(&vars.system.region);
        md.s("; if a cluster is saturated, lower the route's rate limit in ").code(&files.gateway_tf);
        md.s(" (`rate_in_requests_per_second` of its deployment) and apply only that deployment.\n");
        md.s("3. Retries multiply the wait on a slow model: while it is slow, set `TimeoutErrorRetries: 0` for the route's groups under `router_settings.model_group_retry_policy` in ").code(&files.litellm_config);
        md.s(" and restart the proxy.\n");
        md.s("4. If a rollout is running on the route (its section says so), rule it out: set the candidate's share to 0 or switch back to the other side.\n");
        Ok(())
    },
    diagnosis: |md, _, _| {
        md.s("1. Slow everywhere or only here? If every route is slow, suspect the LiteLLM proxy (CPU, its Redis) or the region; if only this route, its model.\n");
        md.s("2. Slow model or retries? A percentile near the route's timeout or its multiples means timeouts and retries: go to [incident-model-timeout](incident-model-timeout.md).\n");
        md.s("3. Longer requests? Compare input and output tokens with the route's declared traffic: a prompt change or a new client can double them.\n");
        md.s("4. More requests? Compare the request rate with the declared traffic, and the hit rate of the route's cache if it has one.\n");
        Ok(())
    },
    recovery: |md, vars, _| {
        layout::slo_oci_status(md, vars);
        md.s("\n- The fast page clears once the share of slow requests is back under its threshold over 5 minutes and 1 hour.\n");
        md.s("  Watch the percentile fall under the SLO's threshold.\n- ");
        layout::restore(md);
        Ok(())
    },
    postmortem: "the error budget of the SLO left, and whether the route's timeout and retries still fit the threshold",
    section: |md, _, s, r| {
        let slo = &s.slo;
        let percentile = field(&slo.percentile)?;
        md.s("Route ").code(&r.name).s(" must answer ").t(field(&slo.objective)?);
        md.s(" of its requests within ").t(field(&slo.threshold)?).s(" (the p").t(percentile);
        md.s(" target) over ").t(&slo.window).s(": an error budget of ").t(field(&slo.error_budget)?);
        md.s(", ").t(field(&slo.error_budget_time)?).s(" of everything being slow.\n");
        facts(md, s, r);
        // `(s.slo.percentile | float / 100) | verbatim`, as minijinja prints a float.
        let quantile = percentile.parse::<f64>().map_err(|_| Refused)? / 100.0;
        let mut quantile = quantile.to_string();
        if !quantile.contains('.') {
            quantile.push_str(".0");
        }
        md.s("\nLatency now:\n\n```promql\nhistogram_quantile(").verbatim(&quantile)?;
        md.s(", sum by (le) (rate(litellm_request_total_latency_metric_bucket{requested_model=\"");
        md.verbatim(&r.litellm.group)?.s("\"}[5m])))\n```\n\n");
        switch(md, r, "2")
    },
};

/// The second line of both summaries.
const PICK_SECTION: &str = "The alarm that brought you here names its SLO: go to that SLO's section (`SLO <name>`, after the procedure) for its thresholds, its route and the exact first action, then follow the procedure.\n";

/// The description, the route's facts and the SLO's alarms, after a section's first sentence.
fn facts(md: &mut Md, s: &SloSectionCtx, r: &RouteCtx) {
    if let Some(description) = truthy(&s.slo.description) {
        // `description | sentence`: exactly one full stop at the end.
        md.s("From the spec: ").t(&format!("{}.", description.trim_end().trim_end_matches('.'))).s("\n");
    }
    md.s("\n");
    layout::route_facts(md, r);
    md.s("\n");
    layout::slo_alarms(md, &s.alerts);
}

/// The switch to the route's first fallback, which the procedure's `step` describes.
fn switch(md: &mut Md, r: &RouteCtx, step: &str) -> Written {
    if let Some(first) = r.fallbacks.first() {
        md.s("Switch to the fallback ").code(&first.name).s(" (step ").s(step).s("):\n\n");
        layout::fallback_alias(md, r)?;
    }
    Ok(())
}
