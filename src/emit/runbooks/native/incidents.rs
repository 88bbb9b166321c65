//! `incident-<kind>.md.j2`: the blocks each standard incident type's runbook fills in the
//! layout.
//!
//! In: the context. Out: the [`Blocks`] of each incident runbook, which [`layout::write`] turns
//! into the runbook: the procedure, with a part per route where the template has one.

use super::layout::{self, Blocks, threshold};
use super::{Md, Refused, Vars, Written, some, truthy};
use crate::emit::runbooks::context::{RouteCtx, RunbookCtx};

/// The routes of a runbook (`runbook.routes`), each as `routes_by_name[name]`.
fn routes<'a>(vars: &'a Vars, rb: &'a RunbookCtx) -> impl Iterator<Item = Result<&'a RouteCtx, Refused>> {
    rb.routes.iter().map(|name| vars.route(name))
}

/// Whether a data class is one whose data a breach would expose.
fn sensitive(data_class: &str) -> bool {
    matches!(data_class, "confidential" | "restricted")
}

/// `(system.name ~ suffix) | code`.
fn bucket(md: &mut Md, vars: &Vars, suffix: &str) {
    md.code(&format!("{}{suffix}", vars.system.name));
}

/// `{{ runbook.alerts | map(attribute="name") | map("code") | join(", ") }}`.
fn alert_names(md: &mut Md, rb: &RunbookCtx) {
    let names: Vec<&str> = rb.alerts.iter().map(|a| a.name.as_str()).collect();
    md.codes(&names, ", ");
}

/// The `litellm --config` step shared by the timeout and tool-failure runbooks.
fn restart_proxy(md: &mut Md, vars: &Vars) -> Written {
    md.s(", then restart the LiteLLM proxy replicas one at a time:\n\n```sh\nlitellm --config ");
    md.verbatim(&vars.files.litellm_config)?.s("\n```\n\n");
    Ok(())
}

/// `m.stop_rollout(r)`, for a route with a rollout.
fn stop_rollout(md: &mut Md, vars: &Vars, r: &RouteCtx) -> Written {
    let ro = some(&r.rollout)?;
    let candidate = r.litellm.candidate.as_deref();
    if ro.strategy == "shadow" {
        md.s("The shadow of ");
        match truthy(&ro.candidate_model) {
            Some(model) => md.s("model ").code(model),
            None => md.s("prompt ").code(&some(&ro.candidate_prompt)?.name),
        };
        md.s(" never answers callers; stop it only if it loads a shared cluster: remove `rollout` from `routes.");
        md.t(&r.name).s("` in the spec, `genops build`, apply, restart the proxy.\n");
    } else if ro.strategy == "blue-green" {
        md.s("Switch back to the other side");
        if let Some(candidate) = candidate {
            md.s(" (waiting in group ").code(&candidate.group).s(")");
        }
        md.s(": set `rollout.active` of `routes.").t(&r.name).s("` to the side that served before (now ");
        md.t(&ro.active).s("), `genops build`, apply, restart the proxy.\n");
    } else if let Some(prompt) = &ro.candidate_prompt {
        md.s("Stop sending requests to the prompt candidate ").code(&prompt.name).s(" ").t(&prompt.version);
        md.s(": LiteLLM cannot split by prompt, so the caller sends ").t(&ro.weight).s(" of requests");
        if let Some(candidate) = candidate {
            md.s(" to LiteLLM group ").code(&candidate.group);
        }
        md.s("; set that share to 0 there, then remove `rollout` from `routes.").t(&r.name).s("` in the spec.\n");
    } else if let Some(candidate) = candidate {
        md.s("Take the candidate out of the split: in ").code(&vars.files.litellm_config);
        md.s(", set `litellm_params.weight: 0` on the deployment `model_info.id: \"").t(&candidate.deployment);
        md.s("\"` of group ").code(&candidate.group).s(" and restart the proxy; then remove `rollout` from `routes.");
        md.t(&r.name).s("` in the spec.\n");
    } else {
        md.s("Remove `rollout` from `routes.")
            .t(&r.name)
            .s("` in the spec, `genops build`, apply, restart the proxy.\n");
    }
    Ok(())
}

/// `m.block_route(r)`.
fn block_route(md: &mut Md, vars: &Vars, r: &RouteCtx) -> Written {
    md.s("In ").code(&vars.files.gateway_tf).s(", replace the `backend` block of ").code(&r.gateway.deployment);
    md.s(" (path ").code(&r.path).s(") with a stock response, then apply only that deployment:\n\n");
    md.s("```hcl\nbackend {\n  type   = \"STOCK_RESPONSE_BACKEND\"\n  status = 503\n  body   = \"temporarily unavailable\"\n}\n```\n\n");
    md.s("```sh\nterraform apply -target=").verbatim(&r.gateway.deployment)?.s("\n```\n\n");
    md.s("The deployment is updated in place: its logs and their history stay. Do not `terraform destroy` it: that also deletes the route's log objects.\n");
    Ok(())
}

pub const MODEL_TIMEOUT: Blocks = Blocks {
    title: |md, _, _| {
        md.s("Incident: model timeout");
        Ok(())
    },
    summary: |md, _, rb| {
        layout::incident_summary(md, rb, |md, threshold| {
            md.s("A model answers too slowly: the p95 latency of a route is above ").t(threshold).s(".");
        })
    },
    meaning: |md, _, rb| {
        md.s("Each route has its own alarm on the p95 of its end-to-end latency over 5 minutes (LiteLLM's `litellm_request_total_latency_metric` for the route's model group; API Gateway `Latency` for OCI), held for 5 minutes.\n");
        md.s("A p95 above ").t(threshold(rb)?);
        md.s(" means requests are running into timeouts, retries and fallbacks: the model, its endpoint or the region is slow.\n");
        md.s("The alarm's `route` label (in OCI, the alarm's name) says which route.\n");
        Ok(())
    },
    impact: |md, _, _| {
        md.s("Callers of the route wait up to its worst case (timeout, retries, then the fallbacks); those with a shorter client timeout see errors. Each route's section below gives its traffic, model, timeout and fallbacks; the [index](README.md) lists every route.\n");
        Ok(())
    },
    detection: None,
    action: |md, vars, rb| {
        let files = &vars.files;
        md.s("Acknowledge the page, read the route from the alarm, and go to its section below.\n\n");
        md.s("If the route has a fallback, send all of its traffic there now instead of after every timeout and retry: add the alias shown in the route's section under `router_settings` in ").code(&files.litellm_config);
        restart_proxy(md, vars)?;
        md.s("Without the switch, a circuit breaker already cools the slow model down after its failures and serves the fallback; the switch also stops every caller waiting for it.\n\n");
        for r in routes(vars, rb) {
            let r = r?;
            md.s("### Route ").code(&r.name).s("\n\n").code(&r.path).s(", ").t(&r.data_class).s(" data");
            if let Some(traffic) = &r.traffic {
                md.s(", ").n(traffic.per_day).s(" requests a day");
            }
            md.s(": model ")
                .code(&r.model.name)
                .s(", timeout ")
                .t(&r.timeout)
                .s(", callers wait up to ")
                .t(&r.worst_case);
            if let Some(breaker) = &r.circuit_breaker {
                md.s("; the circuit opens after ").n(breaker.failures).s(" failures for ").t(&breaker.cooldown);
            }
            md.s(".\n\n");
            if let Some(first) = r.fallbacks.first() {
                md.s("Switch to the fallback ").code(&first.name).s(":\n\n");
                layout::fallback_alias(md, r)?;
            } else {
                let dedicated = r.model.serving == "dedicated";
                md.s("No fallback");
                if dedicated {
                    md.s(" (data class ").code(&r.data_class).s(" allows ").plain_join(&r.policy.serving, ", ");
                    md.s(" serving only)");
                }
                md.s(".\n");
                if !r.litellm.retry_groups.is_empty() {
                    md.s("Cut the wait to ").t(&r.timeout).s(" instead of ").t(&r.worst_case);
                    md.s(": stop retrying timeouts in ").code(&files.litellm_config).s(" and restart the proxy.\n\n");
                    md.s("```yaml\nrouter_settings:\n  model_group_retry_policy:\n");
                    for group in r.litellm.retry_groups.iter() {
                        md.s("    \"").verbatim(group)?.s("\":\n      TimeoutErrorRetries: 0\n");
                    }
                    md.s("```\n\n");
                }
                if dedicated {
                    md.s("Check endpoint ")
                        .code(&r.model.name)
                        .s(" on dedicated AI cluster ")
                        .code(some(&r.model.cluster)?);
                    md.s(": its state must be `ACTIVE`; a saturated cluster needs more units or less traffic (lower `rate_in_requests_per_second` of ");
                    md.code(&r.gateway.deployment).s(" in ").code(&files.gateway_tf).s(").\n");
                } else if r.model.provider == "external" {
                    md.s("Check the status of the provider behind ").code(some(&r.model.endpoint)?);
                    md.s(" for ").code(&r.model.id).s(".\n");
                } else {
                    md.s("Check the OCI Generative AI service health of ").code(&r.model.region);
                    md.s(" for ").code(&r.model.id).s(".\n");
                }
            }
            md.s("\n");
        }
        Ok(())
    },
    diagnosis: |md, _, rb| {
        md.s("1. One route or all? All routes slow at once is the proxy, its Redis or the region; one route is its model.\n");
        md.s("2. Timeouts or slow answers? A p95 at the route's timeout or a multiple of it means calls time out and are retried; a p95 just above ");
        md.t(threshold(rb)?).s(" means the model is slow but answers.\n");
        md.s("3. Longer requests? Compare tokens per request with the route's declared traffic: a prompt change or a new client can double the output.\n");
        md.s("4. Capacity? On a dedicated cluster, compare the request rate with what its units were sized for; on demand, look for 429 responses (`exception_status=\"429\"`).\n\n");
        md.s("```promql\nhistogram_quantile(0.95, sum by (le, requested_model) (rate(litellm_request_total_latency_metric_bucket[5m])))\n```\n");
        Ok(())
    },
    recovery: |md, vars, rb| {
        layout::oci_status(md, vars, rb)?;
        md.s("\n- The route's alarm clears once its p95 over 5 minutes stays under ").t(threshold(rb)?);
        md.s(" for 5 minutes; the query above shows every route.\n");
        md.s("- Switch back to the primary model only after its latency is normal: remove the `model_group_alias` entry and restart the proxy. ");
        layout::restore(md);
        md.s("\n- Check the latency SLOs of the route: a long timeout spends their error budget; their runbooks say how much is left.\n");
        Ok(())
    },
    postmortem: "how long callers waited, how much traffic the fallback took, and whether the timeout and retries of the route are right",
    section: None,
};

pub const TOOL_FAILURE: Blocks = Blocks {
    title: |md, _, _| {
        md.s("Incident: tool failure");
        Ok(())
    },
    summary: |md, _, rb| {
        layout::incident_summary(md, rb, |md, threshold| {
            md.s("Calls behind a route are failing: more than ").t(threshold).s(" of its requests end in an error.");
        })
    },
    meaning: |md, _, _| {
        md.s("Each route has an alarm on its share of failed requests over 5 minutes (LiteLLM's failed-request counter for the route's model group; API Gateway 5xx for OCI), held for 5 minutes.\n");
        md.s("A failing dependency is anything between the gateway and the answer: the LiteLLM proxy, its Redis, the model endpoint, a retrieval or tool call made for the route.\n");
        md.s("The alarm's `route` label (in OCI, the alarm's name) says which route.\n");
        Ok(())
    },
    impact: |md, _, _| {
        md.s("Callers of the route get errors, or the fallback's answers when it has one. Each route's section below gives its traffic, circuit breaker and fallbacks; the [index](README.md) lists every route.\n");
        Ok(())
    },
    detection: None,
    action: |md, vars, rb| {
        let files = &vars.files;
        md.s("Acknowledge the page, read the route from the alarm, and go to its section below.\n\n");
        md.s("The circuit breaker is LiteLLM's cooldown: after the route's failures of the same kind a deployment of its group is skipped for the cooldown (`cooldown_time` and `model_info.allowed_fails_policy` in ").code(&files.litellm_config);
        md.s(") and the fallback answers. Confirm it opened: the proxy log says the deployment entered cooldown.\n");
        md.s("If it keeps failing after the cooldown, take the primary out of the path: add the alias shown in the route's section under `router_settings` in ").code(&files.litellm_config);
        restart_proxy(md, vars)?;
        md.s("A route without a fallback has nothing to serve: find the failing dependency (below) and shed load meanwhile by lowering `rate_in_requests_per_second` of its deployment in ").code(&files.gateway_tf);
        md.s(", then `terraform apply -target=` that deployment.\n\n");
        for r in routes(vars, rb) {
            let r = r?;
            md.s("### Route ").code(&r.name).s("\n\n").code(&r.path).s(", ").t(&r.data_class).s(" data");
            if let Some(traffic) = &r.traffic {
                md.s(", about ").t(&traffic.per_minute).s(" requests a minute");
            }
            md.s(": ");
            match &r.circuit_breaker {
                Some(breaker) => {
                    md.s("circuit opens after ").n(breaker.failures).s(" failures for ").t(&breaker.cooldown)
                }
                None => md.s("no circuit breaker: every caller keeps hitting the failing dependency"),
            };
            md.s(".\n\n");
            if let Some(first) = r.fallbacks.first() {
                md.s("Switch to the fallback ").code(&first.name).s(":\n\n");
                layout::fallback_alias(md, r)?;
            } else {
                md.s("No fallback: callers get the errors. Shed load with `terraform apply -target=");
                md.verbatim(&r.gateway.deployment)?.s("` after lowering its rate limit.\n");
            }
            md.s("\n");
        }
        Ok(())
    },
    diagnosis: |md, _, _| {
        md.s("1. Split the failures by status and route:\n\n   ```promql\n   sum by (requested_model, exception_status) (rate(litellm_proxy_failed_requests_metric_total[5m]))\n   ```\n\n");
        md.s("2. All routes failing? Then it is shared: the proxy replicas (`GET <llm_gateway_url>/health/readiness`), their Redis (`REDIS_HOST`), the OCI credentials the proxy signs with (a 401 from every OCI model), the region.\n");
        md.s("3. One route, 5xx from the provider? The model endpoint: its status in the OCI Console; on demand, the service health of the region.\n");
        md.s("4. 401 or 403? A rotated or expired credential: the OCI API key of the proxy (`OCI_USER`, `OCI_FINGERPRINT`, `OCI_KEY_FILE`) or an external model's API key.\n");
        md.s("5. 429? Capacity or quota, not a failure of the tool: shed load or add capacity.\n");
        md.s("6. Errors only in the API Gateway access log and not in LiteLLM? The gateway cannot reach the proxy: network, TLS, `llm_gateway_url`.\n");
        Ok(())
    },
    recovery: |md, vars, rb| {
        layout::oci_status(md, vars, rb)?;
        md.s("\n- The route's alarm clears once its failure share over 5 minutes stays under ").t(threshold(rb)?);
        md.s(" for 5 minutes; the query above shows every route.\n- Put the primary back after the dependency is healthy. ");
        layout::restore(md);
        md.s("\n- Check the availability SLOs of the affected routes: their runbooks say how much error budget is left.\n");
        Ok(())
    },
    postmortem: "the failing dependency, whether the circuit breaker opened and the fallback answered, and the requests lost",
    section: None,
};

pub const QUALITY_DEGRADATION: Blocks = Blocks {
    title: |md, _, _| {
        md.s("Incident: quality degradation");
        Ok(())
    },
    summary: |md, _, rb| {
        layout::incident_summary(md, rb, |md, threshold| {
            md.s("An evaluation score dropped below ").t(threshold).s(": the answers got worse.");
        })
    },
    meaning: |md, vars, rb| {
        md.s("The evaluation pipeline publishes the latest score of each metric of each evaluation (`genops_eval_score{evaluation=\"…\"}`); the alarm fires when the lowest of them stays below ");
        md.t(threshold(rb)?).s(" for 5 minutes.\n");
        if vars.evaluations.is_empty() {
            md.s("The spec has no evaluation, so nothing publishes a score and this alarm cannot fire: quality drops are found by users.\n");
            return Ok(());
        }
        md.s("The evaluations and what they cover:\n\n");
        for e in vars.evaluations.iter() {
            md.s("- ")
                .code(&e.name)
                .s(": ")
                .n(e.cases)
                .s(" cases of ")
                .code(&e.dataset)
                .s(" on ")
                .codes(&e.routes, ", ");
            md.s("; thresholds ");
            for (i, t) in e.thresholds.iter().enumerate() {
                if i > 0 {
                    md.s(", ");
                }
                md.t(&t.key).s(" ").t(&t.value);
            }
            md.s("; gate `").t(&e.gate).s("`");
            if let Some(grader) = truthy(&e.grader) {
                md.s(", graded by ").code(grader);
            }
            md.s(".\n");
        }
        Ok(())
    },
    impact: |md, vars, rb| {
        if rb.routes.is_empty() {
            md.s("- No route is evaluated.\n");
        }
        for r in routes(vars, rb) {
            let r = r?;
            md.s("- ").code(&r.name).s(" (").code(&r.path);
            if let Some(traffic) = &r.traffic {
                md.s(", ").n(traffic.per_day).s(" requests a day");
            }
            md.s("): prompt ");
            match &r.prompt {
                Some(prompt) => md.code(&prompt.name).s(" ").t(&prompt.version),
                None => md.s("none"),
            };
            md.s(", model ").code(&r.model.name);
            if let Some(rollout) = &r.rollout {
                md.s(", ").t(&rollout.label).s(" rollout at ").t(&rollout.weight);
            }
            md.s(".\n");
        }
        Ok(())
    },
    detection: None,
    action: |md, vars, rb| {
        md.s("Find the evaluation in the alarm's `evaluation` label, then roll back what changed on its routes, most recent first:\n\n");
        for r in routes(vars, rb) {
            let r = r?;
            md.s("### Route ").code(&r.name).s("\n\n");
            if let Some(rollout) = &r.rollout {
                md.s("- The ").t(&rollout.label).s(" rollout is the first suspect. ");
                stop_rollout(md, vars, r)?;
                md.s("\n");
            }
            if let Some(prompt) = &r.prompt {
                md.s("- Prompt ").code(&prompt.name).s(" is at ").t(&prompt.version).s(" (").code(&prompt.file);
                md.s(
                    "). If that version is new, roll it back: put the previous version and its file back in `prompts.",
                );
                md.t(&prompt.name).s("` of the spec (every version is kept in the prompt registry bucket ");
                bucket(md, vars, "-prompts");
                md.s("), `genops build`, apply, restart the proxy. The version must go back too: genops refuses an edited prompt without a version change.\n");
            }
            md.s("- Model ").code(&r.model.name).s(" (").code(&r.model.id);
            md.s("): if the provider changed the model behind the id, pin it or switch back in the spec.\n\n");
        }
        Ok(())
    },
    diagnosis: |md, _, _| {
        md.s("1. Which metric dropped? Relevance, groundedness, completeness and harmful rate point at different causes: retrieval, prompt, model, safety.\n");
        md.s("2. Did a change ship before the drop? Compare the score's history with the prompt versions in the registry and the spec's history.\n");
        md.s("3. Is the grader to blame? A changed grader model or embedding model moves every score at once: compare with an older grader run.\n");
        md.s("4. Is the dataset to blame? New cases can lower the score without any change to the route: check the last commits to the dataset.\n\n");
        md.s("```promql\nmin by (evaluation) (genops_eval_score)\n```\n");
        Ok(())
    },
    recovery: |md, vars, rb| {
        layout::oci_status(md, vars, rb)?;
        md.s("\n- The alarm clears once the next evaluation run scores at least ").t(threshold(rb)?);
        md.s("; run the evaluation again after the rollback rather than waiting for the schedule.\n");
        md.s("- Keep the rolled-back version until the candidate passes the gate on the golden set. ");
        layout::restore(md);
        Ok(())
    },
    postmortem: "the scores before and after, the change that caused the drop, and cases to add to the golden set so the gate catches it next time",
    section: None,
};

pub const PROMPT_INJECTION: Blocks = Blocks {
    title: |md, _, _| {
        md.s("Incident: prompt injection");
        Ok(())
    },
    summary: |md, _, rb| {
        layout::incident_summary(md, rb, |md, threshold| {
            md.s("Someone is trying to make a model ignore its instructions: ").t(threshold);
            md.s(" or more blocked attempts in 5 minutes.");
        })
    },
    meaning: |md, _, rb| {
        md.s("The input guard in front of the models blocks requests that match injection patterns and counts them (`genops_prompt_injection_blocked_total`); the alarm fires when ");
        md.t(threshold(rb)?).s(" or more are blocked within 5 minutes, held for 5 minutes.\n");
        md.s("Blocked attempts did no harm by themselves. The risk is the attempt the guard did not recognise: it reached the model with the same intent.\n");
        Ok(())
    },
    impact: |md, vars, rb| {
        md.s("An injection that gets through can make a route leak its prompt or the data in its context, or act outside its purpose. What is at stake per route:\n\n");
        for r in routes(vars, rb) {
            let r = r?;
            md.s("- ").code(&r.name).s(" (").code(&r.path).s("): ").t(&r.data_class).s(" data");
            if sensitive(&r.data_class) {
                md.s(": an injection that gets through may expose it, so treat a confirmed one as a possible [data breach](incident-data-breach.md)");
            }
            md.s("; ");
            match &r.auth {
                Some(auth) => md.s("callers are identified by their JWT (issuer ").code(&auth.issuer).s(")"),
                None => md.s("callers are anonymous"),
            };
            md.s(".\n");
        }
        Ok(())
    },
    detection: None,
    action: |md, vars, rb| {
        md.s("1. Acknowledge the page and find the source: the blocked requests in the input guard's log, then the same callers in the API Gateway access logs (");
        for (i, r) in routes(vars, rb).enumerate() {
            if i > 0 {
                md.s(", ");
            }
            md.code(&r?.gateway.access_log);
        }
        md.s("): client IP, JWT subject, route, time.\n2. Block the source:\n");
        for r in routes(vars, rb) {
            let r = r?;
            md.s("   - ").code(&r.name).s(": ");
            match &r.auth {
                Some(auth) => {
                    md.s("revoke the caller's sessions and client credentials at the issuer ").code(&auth.issuer);
                    md.s("; its tokens stop working at the gateway when they expire or the issuer's keys rotate")
                }
                None => {
                    md.s("the route is anonymous: deny the source address at the WAF or load balancer in front of the API gateway (API Gateway has no deny list), and lower `rate_in_requests_per_second` of ");
                    md.code(&r.gateway.deployment).s(" meanwhile")
                }
            };
            md.s(".\n");
        }
        md.s("3. If attempts keep coming from many sources and a route carries confidential or restricted data, take that route off the air until the guard is fixed: see below.\n");
        for r in routes(vars, rb) {
            let r = r?;
            if sensitive(&r.data_class) {
                md.s("\n\n### Taking ").code(&r.name).s(" off the air\n\n");
                block_route(md, vars, r)?;
                md.s("\n");
            }
        }
        Ok(())
    },
    diagnosis: |md, _, _| {
        md.s("1. Did any attempt get through? Look for answers to the same callers right before or after the blocked ones: unusual length, the system prompt quoted back, data of another user.\n");
        md.s("   A yes is a [data breach](incident-data-breach.md) investigation for confidential or restricted routes.\n");
        md.s("2. One source or many? One caller is abuse: block it. Many callers with the same pattern is a campaign or a published exploit: update the guard's patterns.\n");
        md.s("3. Which route? Routes with tools or retrieval can be steered into acting, not only talking: review what they did for the caller.\n");
        md.s("4. Is the guard wrong? A burst of blocks of normal questions after a guard change is a false positive: roll the guard back.\n\n");
        md.s("```promql\nsum(increase(genops_prompt_injection_blocked_total[5m]))\n```\n");
        Ok(())
    },
    recovery: |md, vars, rb| {
        layout::oci_status(md, vars, rb)?;
        md.s("\n- ");
        alert_names(md, rb);
        md.s(" clears once the blocked attempts over 5 minutes stay below ").t(threshold(rb)?).s(" for 5 minutes.\n");
        md.s("- Put every route taken off the air back (").code(&vars.files.gateway_tf);
        md.s(
            " as generated: `genops build --force`, then `terraform apply`), after the guard blocks the new pattern.\n",
        );
        Ok(())
    },
    postmortem: "the attack pattern, whether anything got through, and the cases added to the guard and to the golden set",
    section: None,
};

pub const DATA_BREACH: Blocks = Blocks {
    title: |md, _, _| {
        md.s("Incident: data breach");
        Ok(())
    },
    summary: |md, _, rb| {
        layout::incident_summary(md, rb, |md, threshold| {
            md.s("The audit trail shows access that should not have happened: ").t(threshold);
            md.s(" or more anomalies in 5 minutes.");
        })
    },
    meaning: |md, vars, rb| {
        md.s("The audit pipeline reads OCI Audit and the gateway logs and counts anomalies: access from an unknown principal, a read of the traces or prompt buckets outside the pipeline, a key used from a new place (`genops_audit_anomalies_total`). The alarm fires at ");
        md.t(threshold(rb)?)
            .s(" or more in 5 minutes, held for 5 minutes.\nTreat it as a breach until shown otherwise.\n");
        let frameworks = &vars.compliance.frameworks;
        if !frameworks.is_empty() {
            md.s("The system is under ")
                .codes(frameworks, ", ")
                .s(": a confirmed breach starts legal clocks (below).\n");
        }
        Ok(())
    },
    impact: |md, vars, rb| {
        for r in routes(vars, rb) {
            let r = r?;
            md.s("- ").code(&r.name).s(" (").code(&r.path).s("): ").t(&r.data_class).s(" data");
            if let Some(traffic) = &r.traffic {
                md.s(", ").n(traffic.per_day).s(" requests a day");
            }
            md.s("; logs ").code(&r.logging).s("; ").t(&r.policy.encryption).s(" keys");
            if r.policy.residency {
                md.s("; must stay in ").code(&vars.system.region);
            }
            md.s(".\n");
        }
        md.s("- Stored data: traces and decision logs in bucket ");
        bucket(md, vars, "-traces");
        if let Some(retention) = truthy(&vars.compliance.traces_retention) {
            md.s(" (kept ").t(retention).s(")");
        }
        md.s(", prompts in ");
        bucket(md, vars, "-prompts");
        md.s(", evaluation datasets in ");
        bucket(md, vars, "-eval-datasets");
        md.s(".\n");
        Ok(())
    },
    detection: None,
    action: |md, vars, rb| {
        let compliance = &vars.compliance;
        md.s("1. Write down the time you learned of it, in UTC: ");
        md.s(if compliance.hipaa || compliance.gdpr {
            "the notification deadlines below count from discovery"
        } else {
            "it starts the incident timeline"
        });
        md.s(".\n2. Isolate the routes whose data is at risk, ");
        let at_risk: Vec<&str> =
            vars.routes.iter().filter(|r| sensitive(&r.data_class)).map(|r| r.name.as_str()).collect();
        if at_risk.is_empty() {
            md.s("starting with the one the anomalies name");
        } else {
            md.s("first ").codes(&at_risk, ", ");
        }
        md.s(": block them at the gateway (sections below).\n3. Revoke the keys an intruder could use:\n");
        md.s("   - the OCI API key the LiteLLM proxy signs with (environment `OCI_USER`, `OCI_FINGERPRINT`); every route stops until the proxy has a new one:\n\n");
        md.s("     ```sh\n     oci iam user api-key delete --user-id \"$OCI_USER\" --fingerprint \"$OCI_FINGERPRINT\"\n     ```\n\n");
        for issuer in vars.issuers.iter() {
            md.s("   - callers' tokens issued by ").code(&issuer.issuer).s(" (").codes(&issuer.routes, ", ");
            md.s("): revoke the sessions and rotate the signing keys there;\n");
        }
        md.s("   - any vault secret the spec references (the channels' webhooks, external models' API keys): create a new version in OCI Vault.\n");
        md.s("4. Preserve the evidence: do not delete logs or buckets. Put a retention rule on the traces bucket so its lifecycle rule does not delete them:\n\n");
        md.s("   ```sh\n   oci os retention-rule create --bucket-name ");
        md.verbatim(&format!("{}-traces", vars.system.name))?.s(" --display-name incident-hold\n   ```\n\n\n");
        if compliance.hipaa || compliance.gdpr || compliance.pci_dss || compliance.soc2 {
            md.s("5. Tell the privacy officer and legal now; they decide on notification, you give them facts:\n");
            if compliance.hipaa {
                md.s("   - HIPAA (Breach Notification Rule, 45 CFR 164.400 to 414): unless a documented risk assessment shows a low probability that PHI was compromised, notify the affected individuals without unreasonable delay and within 60 days of discovery; 500 or more individuals: HHS within the same 60 days, and prominent media where more than 500 residents of a state are affected; fewer: log it and report to HHS within 60 days of the end of the year.\n");
            }
            if compliance.gdpr {
                md.s("   - GDPR: notify the supervisory authority within 72 hours of becoming aware (Art. 33) unless the breach is unlikely to result in a risk to people; tell the data subjects without undue delay when the risk is high (Art. 34); document every breach, notified or not (Art. 33(5)).\n");
            }
            if compliance.pci_dss {
                md.s("   - PCI DSS: start the incident response plan (Req. 12.10) and notify the acquirer and the card brands as their rules require.\n");
            }
            if compliance.soc2 {
                md.s("   - SOC 2: follow the incident response commitments to customers (CC7.3 to CC7.5): evaluate, contain, and inform the affected customers as contracts require.\n");
            }
        }
        for r in routes(vars, rb) {
            let r = r?;
            md.s("\n### Blocking ").code(&r.name).s("\n\n");
            block_route(md, vars, r)?;
        }
        Ok(())
    },
    diagnosis: |md, vars, _| {
        let compliance = &vars.compliance;
        md.s("1. Real or noise? Read the anomalies: principal, source address, resource, time. A new deploy pipeline or a rotated key explains many false alarms; check with the team before concluding.\n");
        md.s("2. Which data? Map the resources touched to routes and buckets: ");
        bucket(md, vars, "-traces");
        md.s(" holds requests and answers");
        if compliance.decision_logging {
            md.s(" and the decision logs");
        }
        md.s("; the prompt registry holds no user data.\n");
        md.s("3. How did it get in? A leaked key (rotate it, find where it was), a route without authentication, a public bucket, an injection that made a route return other users' data ([incident-prompt-injection](incident-prompt-injection.md)).\n");
        md.s("4. Since when? OCI Audit keeps events ");
        match truthy(&compliance.audit_retention) {
            Some(retention) => md.s("for ").t(retention).s(" (at most 365 days in OCI)"),
            None => md.s("90 days by default"),
        };
        md.s(": search back to the first anomalous access, and export the events before they expire.\n\n");
        md.s("```promql\nsum(increase(genops_audit_anomalies_total[5m]))\n```\n");
        Ok(())
    },
    recovery: |md, vars, rb| {
        layout::oci_status(md, vars, rb)?;
        md.s("\n- ");
        alert_names(md, rb);
        md.s(" clears once the anomaly count over 5 minutes drops below ").t(threshold(rb)?);
        md.s("; that only means the access stopped.\n");
        md.s("- Bring a route back only when the way in is closed and the keys are new: restore ")
            .code(&vars.files.gateway_tf);
        md.s(" (`genops build --force`) and `terraform apply`.\n");
        md.s("- Keep the retention rule on the traces bucket until legal releases the evidence.\n");
        Ok(())
    },
    postmortem: "the data and people affected, the notification decisions with their dates, and the control that failed",
    section: None,
};

pub const COST_OVERRUN: Blocks = Blocks {
    title: |md, _, _| {
        md.s("Incident: cost overrun");
        Ok(())
    },
    summary: |md, _, rb| {
        layout::incident_summary(md, rb, |md, threshold| {
            md.s("Spend is running over a budget: the incident starts at ").t(threshold).s(".");
        })
    },
    meaning: |md, vars, _| {
        let Some(first) = vars.budgets.first() else {
            md.s("The spec has no budget: nothing detects a cost overrun but the bill. Watch the cost SLOs of the routes, if any, and `genops cost`.\n");
            return Ok(());
        };
        md.s("OCI Budgets watch the spend of the system's compartment and send their alert rules by e-mail (as ")
            .code(&vars.files.budgets_tf);
        md.s(" configures them):\n\n");
        for b in vars.budgets.iter() {
            md.s("- Budget ").code(&b.display_name).s(": ").t(&b.amount).s(" ").t(&b.currency).s(" a month for ");
            if b.routes.is_empty() {
                md.s("the whole system");
            } else {
                md.s("routes ").codes(&b.routes, ", ");
            }
            if let Some(estimate) = truthy(&b.estimate) {
                md.s(" (estimated ").t(estimate).s(" ").t(&b.currency).s(")");
            }
            md.s("; rules ");
            for (i, a) in b.alerts.iter().enumerate() {
                if i > 0 {
                    md.s(", ");
                }
                md.code(&a.rule).s(" at ").t(&a.at);
                if a.forecast {
                    md.s(" of the forecast");
                }
            }
            if let Some(pressure) = &b.pressure {
                md.s(", and ").code(&pressure.rule).s(" at ").t(&pressure.at).s(", the pressure point");
            }
            md.s(".\n");
        }
        md.s("\n");
        match truthy(&first.recipients) {
            Some(recipients) => md.s("The alert rules are e-mailed to ").t(recipients).s(".\n"),
            None => md.s("The alerts channel has no e-mail address, so OCI sends the budget alert rules to nobody: watch the budgets in the OCI Console (Billing, Budgets) until an `email` is added to `oncall.channels.alerts`.\n"),
        };
        md.s("Budgets count the whole compartment; the `genops-route` tag attributes the spend to routes in Cost Analysis.\n");
        Ok(())
    },
    impact: |md, vars, rb| {
        md.s("Nothing is broken for users yet. Left alone, the spend passes the budget; the actions below trade quality or throughput for money, so they are seen by users.\n");
        for r in routes(vars, rb) {
            let r = r?;
            md.s("\n- ").code(&r.name).s(": model ").code(&r.model.name);
            if let Some(per_month) = truthy(&r.cost_per_month) {
                md.s(", about ").t(per_month).s(" ").t(&vars.system.currency).s(" a month (");
                md.t(some(&r.cost_per_query)?).s(" a query)");
            }
            md.s(".\n");
        }
        Ok(())
    },
    detection: Some(|md, vars, _| {
        if vars.budgets.is_empty() {
            md.s("No budget, so no alert: a cost overrun shows on the bill, or in the cost SLOs' alarms of the routes.\n");
            return Ok(());
        }
        md.s("| budget | OCI alert rule | fires at | e-mailed to |\n| --- | --- | --- | --- |\n");
        for b in vars.budgets.iter() {
            let recipients = |md: &mut Md| {
                match truthy(&b.recipients) {
                    Some(recipients) => md.t(recipients),
                    None => md.s("nobody"),
                };
                md.s(" |\n");
            };
            for a in b.alerts.iter() {
                md.s("| ").cell(&b.display_name).s(" | ").cell(&a.rule).s(" | ").t(&a.at).s(" of ");
                md.s(if a.forecast { "the forecast" } else { "the actual" }).s(" spend | ");
                recipients(md);
            }
            if let Some(pressure) = &b.pressure {
                md.s("| ").cell(&b.display_name).s(" | ").cell(&pressure.rule).s(" | ").t(&pressure.at);
                md.s(" of the actual spend: the pressure point | ");
                recipients(md);
            }
        }
        md.s("\nThe rules are in ").code(&vars.files.budgets_tf);
        md.s(". No Prometheus or OCI Monitoring alarm watches spend against a budget; the cost SLOs of the routes have their own alarms and runbooks.\n");
        Ok(())
    }),
    action: |md, vars, _| {
        let owner = &vars.system.owner;
        if vars.budgets.is_empty() {
            md.s("No budget is defined. Find the route that grew (below) and decide with the owning team ")
                .code(owner)
                .s(".\n");
            return Ok(());
        }
        for b in vars.budgets.iter() {
            md.s("### Budget ").code(&b.name).s("\n\n");
            let Some(pressure) = &b.pressure else {
                md.s("The spec gives this budget no `on_pressure`: nothing is downgraded or throttled automatically, on purpose. People decide: find the route that grew (below), then agree with the owning team ");
                md.code(owner).s(" what to give up.\n\n");
                continue;
            };
            md.s("At ").t(&pressure.at).s(" the spec says what to give up:\n\n");
            for d in pressure.downgrades.iter() {
                md.s("- Downgrade route ").code(&d.route).s(" from ").code(&d.from).s(" to ").code(&d.to);
                md.s(" (").code(&d.to_id).s(").\n");
                if let Some(deployment) = truthy(&d.deployment) {
                    md.s("  LiteLLM switches by itself once the primary deployments spend their `max_budget`; to switch now, in ").code(&vars.files.litellm_config);
                    md.s(" set `litellm_params.weight: 100` on `model_info.id: \"").t(deployment);
                    md.s("\"` and `litellm_params.weight: 0` on ").codes(&d.others, ", ").s(" (group ");
                    md.code(some(&d.group)?).s("), then restart the proxy.\n");
                }
            }
            let rate_limit = pressure.rate_limit.filter(|&limit| limit != 0);
            if let Some(limit) = rate_limit {
                md.s("- Rate-limit to ")
                    .n(limit)
                    .s(" requests per second in all. LiteLLM does not do this; the API Gateway does, per route: in ");
                md.code(&vars.files.gateway_tf).s(" set the `rate_limiting` of each deployment and apply it.\n\n");
                md.s("  | route | `rate_in_requests_per_second` | `rate_key` | deployment |\n  | --- | --- | --- | --- |\n");
                for l in pressure.limits.iter() {
                    md.s("  | ")
                        .cell(&l.route)
                        .s(" | ")
                        .n(l.per_second)
                        .s(" | `\"TOTAL\"` | ")
                        .cell(&l.deployment)
                        .s(" |\n");
                }
                md.s("\n  ```sh\n  terraform apply");
                for l in pressure.limits.iter() {
                    md.s(" -target=").verbatim(&l.deployment)?;
                }
                md.s("\n  ```\n\n");
            }
            if pressure.downgrades.is_empty() && rate_limit.is_none() {
                md.s("- The spec names no downgrade and no rate limit: decide with the owning team ")
                    .code(owner)
                    .s(".\n");
            }
            md.s("\n");
        }
        Ok(())
    },
    diagnosis: |md, _, _| {
        md.s("1. Which route? Spend per model group over the last day:\n\n   ```promql\n   sort_desc(sum by (requested_model) (increase(litellm_spend_metric_total[1d])))\n   ```\n\n");
        md.s("2. More requests or dearer requests? Compare each route's request rate and tokens per request with its declared traffic; a bot or a retry loop shows as requests, a prompt change as tokens.\n");
        md.s("3. A dedicated cluster? Its hours are spent whatever the traffic: an overrun there is more units than planned (the clusters are in `terraform/genai.tf`; compare their units with the plan).\n");
        md.s("4. A forecast alert only? A forecast over 100% early in the month may be a one-day spike: check the actual spend before cutting service.\n");
        Ok(())
    },
    recovery: |md, vars, rb| {
        layout::oci_status(md, vars, rb)?;
        md.s("\n- The budget alert rules fire once per threshold a month: recovery is the spend curve flattening in Cost Analysis and `genops cost` matching the budget again.\n");
        md.s("- Lift the rate limits and the downgrade when the month resets or the budget is raised. ");
        layout::restore(md);
        Ok(())
    },
    postmortem: "the spend above plan and its cause, and whether the budget, the cost SLOs or the traffic estimates in the spec change",
    section: None,
};
