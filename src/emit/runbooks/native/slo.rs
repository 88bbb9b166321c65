//! `slo-<sli>.md.j2`: the blocks each fills in the layout, and the section of each SLO.
//!
//! In: the context. Out: the [`Blocks`] of each SLI kind's runbook, which [`layout::write`]
//! turns into the runbook: the procedure, then a section per SLO.

use super::layout::{self, Blocks, field};
use super::{Md, Refused, Written, truthy};
use crate::emit::runbooks::context::RouteCtx;

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
    detection: Some(layout::slo_detection),
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
    section: Some(|md, _, s, r| {
        let slo = &s.slo;
        md.s("Route ").code(&r.name).s(" must answer ").t(field(&slo.objective)?);
        md.s(" of its requests without a server error over ").t(&slo.window);
        md.s(": an error budget of ").t(field(&slo.error_budget)?).s(", ");
        md.t(field(&slo.error_budget_time)?).s(" of complete outage.\n");
        layout::slo_facts(md, s, r);
        md.s(
            "\nFailure ratio now:\n\n```promql\nsum(rate(litellm_proxy_failed_requests_metric_total{requested_model=\"",
        );
        md.verbatim(&r.litellm.group)?;
        md.s("\"}[5m])) / sum(rate(litellm_proxy_total_requests_metric_total{requested_model=\"");
        md.verbatim(&r.litellm.group)?.s("\"}[5m]))\n```\n\n");
        switch(md, r, "3")
    }),
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
    detection: Some(layout::slo_detection),
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
    section: Some(|md, _, s, r| {
        let slo = &s.slo;
        let percentile = field(&slo.percentile)?;
        md.s("Route ").code(&r.name).s(" must answer ").t(field(&slo.objective)?);
        md.s(" of its requests within ").t(field(&slo.threshold)?).s(" (the p").t(percentile);
        md.s(" target) over ").t(&slo.window).s(": an error budget of ").t(field(&slo.error_budget)?);
        md.s(", ").t(field(&slo.error_budget_time)?).s(" of everything being slow.\n");
        layout::slo_facts(md, s, r);
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
    }),
};

pub const COST_PER_QUERY: Blocks = Blocks {
    title: |md, vars, _| {
        md.s("Cost-per-query SLOs of ").code(&vars.system.name);
        Ok(())
    },
    summary: |md, _, _| {
        md.s("A query on each route below must cost at most the SLO's threshold on average.\n");
        md.s("The alarm that brought you here names its SLO: go to that SLO's section (`SLO <name>`, after the procedure) for its threshold, genops's estimate, its route and the query to run, then follow the procedure.\n");
        Ok(())
    },
    meaning: |md, _, _| {
        md.s("The alarm divides the spend LiteLLM records for the route's model group (`litellm_spend_metric_total`) by its requests over the last hour, and fires when the average stays above the threshold for 30 minutes.\n");
        md.s("A model on a dedicated cluster is paid by the hour whatever the traffic: per query it gets dearer when traffic falls, and LiteLLM records no per-token spend for it.\n");
        md.s("Nothing is broken for users; the money is. Left alone it shows up in the route's budgets.\n");
        Ok(())
    },
    impact: |md, _, _| {
        md.s("No user-visible impact; the spend of the route's budgets grows faster than planned.\n");
        Ok(())
    },
    detection: Some(layout::slo_detection),
    action: |md, vars, _| {
        md.s("1. See which deployments the money goes to (the SLO's section has the query with the route's model group).\n");
        md.s("2. If a budget names a cheaper model for the route (`on_pressure.downgrade`, listed in [incident-cost-overrun](incident-cost-overrun.md)), switch to it now rather than at the budget's pressure threshold: in ").code(&vars.files.litellm_config);
        md.s(
            " give the downgrade deployment `litellm_params.weight: 100` and the others `0`, then restart the proxy.\n",
        );
        md.s("   Otherwise a switch is a spec change (a cheaper `model`, or a budget `on_pressure.downgrade`) reviewed with `genops plan` and `genops cost`.\n");
        md.s("3. A rollout to a dearer model moves the average with its share: stop it if it is the cause.\n");
        Ok(())
    },
    diagnosis: |md, _, _| {
        md.s("1. Longer requests? Compare input and output tokens per request with the route's declared traffic: a longer prompt or chattier answers raise every query.\n");
        md.s("2. Another model answering? Fallbacks, tiers and retries are paid per call: a rise of fallback traffic or of retries shows in the section's query.\n");
        md.s("3. Fewer cache hits? A cache saves a model call per hit; a drop in hits raises the average.\n");
        md.s("4. Less traffic? A dedicated cluster costs the same every hour: fewer requests make each one dearer.\n");
        Ok(())
    },
    recovery: |md, vars, _| {
        layout::slo_oci_status(md, vars);
        md.s("\n- The alarm resolves once the hourly average is below the threshold; watch the section's spend query and `genops cost` for the monthly view.\n- ");
        layout::restore(md);
        Ok(())
    },
    postmortem: "the extra spend, and whether the cost SLO or the traffic estimate in the spec is wrong",
    section: Some(|md, vars, s, r| {
        md.s("A query on route ").code(&r.name).s(" must cost at most ").t(field(&s.slo.threshold)?).s(" on average");
        if let Some(estimate) = truthy(&r.cost_per_query) {
            md.s("; genops estimates ").t(estimate).s(" ").t(&vars.system.currency);
            md.s(" from the declared traffic and prices");
        }
        if !r.budgets.is_empty() {
            md.s("; budgets ").codes(&r.budgets, ", ");
        }
        md.s(".\n");
        layout::slo_facts(md, s, r);
        md.s("\nSpend by deployment over the last hour:\n\n```promql\nsum by (model_id) (increase(litellm_spend_metric_total{requested_model=\"");
        md.verbatim(&r.litellm.group)?.s("\"}[1h]))\n```\n");
        Ok(())
    }),
};

pub const GROUNDEDNESS: Blocks = Blocks {
    title: |md, vars, _| {
        md.s("Groundedness SLOs of ").code(&vars.system.name);
        Ok(())
    },
    summary: |md, _, _| {
        md.s("The answers of each route below must stay grounded in their sources: an average groundedness score of at least the SLO's threshold.\n");
        md.s(PICK_SECTION_TO_QUERY);
        Ok(())
    },
    meaning: |md, _, _| {
        md.s("The online evaluator scores a sample of each route's answers for groundedness (0 to 1: is every claim supported by the retrieved context?) and publishes `genops_groundedness_score` with a `route` label.\n");
        md.s("The alarm fires when the average over the last hour falls below the threshold for 30 minutes: the route is answering, but more of its answers contain claims its sources do not support.\n");
        md.s("It is a ticket, not a page: look at it within working hours, sooner if the route carries confidential data to customers.\n");
        Ok(())
    },
    impact: |md, _, _| {
        md.s("Users of the route get confident answers that are not backed by the knowledge they were given: wrong instructions, invented facts, misquoted data.\n");
        Ok(())
    },
    detection: Some(layout::slo_detection),
    action: |md, _, _| {
        md.s("1. Find the last change to what the model sees: the route's prompt, its model, the retrieval behind it; a rollout in progress (the section says so) is the first suspect.\n");
        md.s("   If one shipped since the score was last healthy, roll it back: set the previous prompt version in `prompts` of the spec (the prompt registry bucket keeps every version), `genops build`, apply, restart the proxy.\n");
        md.s("2. Check the score of the last hours to see when it started (the SLO's section has the query).\n");
        md.s("3. Traffic on a fallback scores differently: if the fallback share rose (see the availability and latency runbooks), the drop may be the fallback answering.\n");
        Ok(())
    },
    diagnosis: |md, _, _| {
        md.s("1. Is the evaluator healthy? A sudden step to a round number, or a gap in `genops_groundedness_score_count`, is the scorer failing, not the route.\n");
        md.s("2. Is it one kind of question? Sample low-scoring answers from the traces (or the evaluator's own samples when the route logs audit records only) and group them by topic.\n");
        md.s("3. Did the sources change? Stale or missing retrieval makes a good model ungrounded: check the retrieval index and the knowledge base updates.\n");
        md.s("4. Run the route's golden set (its evaluations in the [index](README.md)) on the current prompt and model; a pass there points at live data, a failure at the change.\n");
        Ok(())
    },
    recovery: |md, vars, _| {
        layout::slo_oci_status(md, vars);
        md.s("\n- The alarm resolves once the hourly average is back above the threshold; watch the section's query for two hours.\n- ");
        layout::restore(md);
        Ok(())
    },
    postmortem: "examples of ungrounded answers (redacted), and whether the golden set should gain cases that would have caught it",
    section: Some(|md, _, s, r| {
        md.s("The answers of route ").code(&r.name).s(" must keep an average groundedness score of at least ");
        md.t(field(&s.slo.threshold)?).s(".\n");
        layout::slo_facts(md, s, r);
        md.s("\nScore over the last hour:\n\n```promql\nsum(increase(genops_groundedness_score_sum{route=\"");
        md.verbatim(&r.name)?.s("\"}[1h])) / sum(increase(genops_groundedness_score_count{route=\"");
        md.verbatim(&r.name)?.s("\"}[1h]))\n```\n");
        Ok(())
    }),
};

pub const HARMFUL_RATE: Blocks = Blocks {
    title: |md, vars, _| {
        md.s("Harmful-answer SLOs of ").code(&vars.system.name);
        Ok(())
    },
    summary: |md, _, _| {
        md.s("At most the SLO's threshold of the answers of each route below may be flagged harmful.\n");
        md.s(PICK_SECTION_TO_QUERY);
        Ok(())
    },
    meaning: |md, _, _| {
        md.s("The moderation step checks every answer and counts the flagged ones (`genops_moderation_flagged_total` with a `route` label); the alarm divides them by the route's requests over the last hour and pages when the share stays above the threshold for 5 minutes.\n");
        md.s("Harmful answers reach users unless moderation blocks them: data classes with content moderation turn it on, so check whether flagged answers were blocked or delivered.\n");
        Ok(())
    },
    impact: |md, _, _| {
        md.s("Users of the route may have been shown unsafe, offensive or dangerous content: a trust and safety incident, possibly a legal one.\n");
        Ok(())
    },
    detection: Some(layout::slo_detection),
    action: |md, vars, _| {
        md.s("1. Acknowledge the page and confirm it is real: read a sample of the flagged answers of the last hour (the moderation log, not the route's access log).\n");
        md.s("2. A rollout in progress on the route (its section says so) is the first suspect: stop it. Otherwise roll back the last change to what the model sees: set the route's previous prompt version in the spec, `genops build`, apply, restart the proxy.\n");
        md.s("3. If flagged answers are still delivered and the share keeps rising, stop the route rather than serve harm: lower its rate limit to 1 request per second (its deployment in ").code(&vars.files.gateway_tf);
        md.s(", `rate_in_requests_per_second`, then `terraform apply -target=` that deployment) and tell the incident channel.\n");
        md.s("4. Check for an attack: a burst of injection attempts makes a model say what it should not. See [incident-prompt-injection](incident-prompt-injection.md).\n");
        Ok(())
    },
    diagnosis: |md, _, _| {
        md.s("1. One user or many? Group the flagged requests by caller (the JWT subject in the route's access log): one caller is abuse, many is the model or the prompt.\n");
        md.s("2. Which model answered? Flags that follow the fallback or a rollout candidate point at that model.\n");
        md.s("3. Is the classifier right? A new moderation model or threshold can flag harmless answers: compare with the rate before its last change.\n");
        Ok(())
    },
    recovery: |md, vars, _| {
        layout::slo_oci_status(md, vars);
        md.s("\n- The alarm resolves once the hourly share (the section's query) is below the threshold.\n");
        md.s("- Restore the rate limit and anything else changed by hand. ");
        layout::restore(md);
        Ok(())
    },
    postmortem: "what users saw (redacted), who was told (users, legal, trust and safety), and the eval cases that would have caught it",
    section: Some(|md, _, s, r| {
        md.s("At most ").t(field(&s.slo.threshold)?).s(" of the answers of route ").code(&r.name);
        md.s(" may be flagged harmful.\n");
        layout::slo_facts(md, s, r);
        md.s("\nShare flagged over the last hour; to stop the route, `terraform apply -target=");
        md.verbatim(&r.gateway.deployment)?
            .s("` after lowering its rate limit:\n\n```promql\nsum(increase(genops_moderation_flagged_total{route=\"");
        md.verbatim(&r.name)?
            .s("\"}[1h])) / sum(increase(litellm_proxy_total_requests_metric_total{requested_model=\"");
        md.verbatim(&r.litellm.group)?.s("\"}[1h]))\n```\n");
        Ok(())
    }),
};

/// The second line of the summaries of the groundedness and harmful-answer runbooks.
const PICK_SECTION_TO_QUERY: &str = "The alarm that brought you here names its SLO: go to that SLO's section (`SLO <name>`, after the procedure) for its threshold, its route and the query to run, then follow the procedure.\n";

/// The second line of the summaries of the availability and latency runbooks.
const PICK_SECTION: &str = "The alarm that brought you here names its SLO: go to that SLO's section (`SLO <name>`, after the procedure) for its thresholds, its route and the exact first action, then follow the procedure.\n";

/// The switch to the route's first fallback, which the procedure's `step` describes.
fn switch(md: &mut Md, r: &RouteCtx, step: &str) -> Written {
    if let Some(first) = r.fallbacks.first() {
        md.s("Switch to the fallback ").code(&first.name).s(" (step ").s(step).s("):\n\n");
        layout::fallback_alias(md, r)?;
    }
    Ok(())
}
