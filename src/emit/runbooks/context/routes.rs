//! The routes in the context: each route with its model, prompt, fallbacks, limits, rollout,
//! cost, API Gateway deployment, LiteLLM groups and what covers it; and the JWT issuers.
//!
//! In: the checked system, its LiteLLM plan and cost model, and the runbooks (an SLO links the
//! section of its runbook). Out: one [`RouteCtx`] per route, in spec order, each built from
//! indexes made once for all routes rather than by searching per route.

use std::sync::Arc;

use super::super::object::List;
use super::first_seen;
use super::format::{human, money, percent};
use super::view::*;
use crate::conventions::{display_name, ident, model_group};
use crate::emit::derived::Derived;
use crate::emit::litellm;
use crate::hash::HashMap;
use crate::model::cost::Costs;
use crate::model::latency::worst_case_latency;
use crate::model::{Auth, Fallback, Model, Route, RouteId, Serving, System};
use crate::spec::units::format_number;

/// Every route of the system, in spec order.
pub(super) fn routes(derived: &Derived, costs: &Costs, runbooks: &[RunbookCtx]) -> Vec<RouteCtx> {
    let system = derived.system;
    let plan = derived.routing();
    let mut by_route: Vec<Vec<&litellm::Deployment>> = vec![Vec::new(); system.routes.len()];
    for d in &plan.deployments {
        if let Some(r) = d.route {
            by_route[r.0].push(d);
        }
    }
    let with_runbook: HashMap<&str, &str> =
        runbooks.iter().flat_map(|r| r.sections.iter()).map(|s| (s.slo.name.as_str(), s.link.as_str())).collect();
    let mut slos: Vec<Vec<SloLink>> = vec![Vec::new(); system.routes.len()];
    for slo in &system.slos {
        slos[slo.route.0].push(SloLink {
            name: slo.name.to_string(),
            file: with_runbook.get(slo.name.as_str()).map(|f| f.to_string()),
        });
    }
    // What covers each route, in spec order, found once for all routes (a search of every
    // evaluation and budget for every route grew with the square of the system).
    let mut covering_evaluations: Vec<Vec<String>> = vec![Vec::new(); system.routes.len()];
    for e in &system.evaluations {
        for r in first_seen(e.routes.iter().copied()) {
            covering_evaluations[r.0].push(e.name.to_string());
        }
    }
    let mut budgets: Vec<Vec<String>> = vec![Vec::new(); system.routes.len()];
    for b in &system.budgets {
        if b.routes.is_empty() {
            budgets.iter_mut().for_each(|names| names.push(b.name.to_string()));
        }
        for r in first_seen(b.routes.iter().copied()) {
            budgets[r.0].push(b.name.to_string());
        }
    }
    let mut retry_groups: HashMap<&str, Vec<String>> = HashMap::default();
    for (group, attempts) in &plan.retries {
        let route = group.split("--").next().unwrap_or(group);
        if *attempts > 0 {
            retry_groups.entry(route).or_default().push(group.clone());
        }
    }
    system
        .routes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let covered = Covered {
                slos: std::mem::take(&mut slos[i]),
                evaluations: std::mem::take(&mut covering_evaluations[i]),
                budgets: std::mem::take(&mut budgets[i]),
                retry_groups: retry_groups.remove(r.name.as_str()).unwrap_or_default(),
            };
            route(system, &by_route[i], costs, RouteId(i), r, covered)
        })
        .collect()
}

/// The JWT issuers of `routes`, each once in route order, with the routes that trust it.
pub(super) fn issuers(routes: &[RouteCtx]) -> List<Arc<IssuerCtx>> {
    let mut issuers: Vec<(String, Vec<String>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::default();
    for r in routes {
        if let Some(auth) = &r.auth {
            let i = *index.entry(auth.issuer.clone()).or_insert_with(|| {
                issuers.push((auth.issuer.clone(), Vec::new()));
                issuers.len() - 1
            });
            issuers[i].1.push(r.name.clone());
        }
    }
    issuers.into_iter().map(|(issuer, routes)| IssuerCtx { issuer, routes: routes.into() }).collect()
}

fn model_ctx(system: &System, m: &Model) -> ModelCtx {
    ModelCtx {
        name: m.name.to_string(),
        id: m.model_id.clone(),
        provider: m.provider.to_string(),
        serving: m.serving.kind().to_string(),
        cluster: match m.serving {
            Serving::Dedicated(c) => Some(system.cluster(c).name.to_string()),
            _ => None,
        },
        region: m.region.clone(),
        endpoint: m.endpoint.clone(),
    }
}

/// What covers one route: its SLOs (with their runbooks), the evaluations and budgets that
/// name it (or, for a budget, name no route), and its LiteLLM groups with retries.
struct Covered {
    slos: Vec<SloLink>,
    evaluations: Vec<String>,
    budgets: Vec<String>,
    retry_groups: Vec<String>,
}

fn prompt_ctx(system: &System, p: crate::model::PromptId) -> Arc<PromptCtx> {
    let p = system.prompt(p);
    Arc::new(PromptCtx { name: p.name.to_string(), version: p.version.to_string(), file: p.file.clone() })
}

fn route(
    system: &System,
    deployments: &[&litellm::Deployment],
    costs: &Costs,
    id: RouteId,
    r: &Route,
    covered: Covered,
) -> RouteCtx {
    let Covered { slos, evaluations, budgets, retry_groups } = covered;
    let name = r.name.as_str();
    let policy = system.policy(r.data_class);
    let deployments_of = |role: fn(&litellm::Role) -> bool| -> Vec<String> {
        deployments.iter().filter(|d| role(&d.role)).map(|d| d.id.clone()).collect()
    };
    let fallbacks = r
        .fallbacks
        .iter()
        .map(|f| match f {
            Fallback::Model(m) => {
                let model = system.model(*m);
                FallbackCtx {
                    kind: "model".into(),
                    name: model.name.to_string(),
                    model_id: model.model_id.clone(),
                    group: format!("{}--fallback--{}", model_group(name), model.name),
                    deployment: deployments
                        .iter()
                        .find(|d| d.role == litellm::Role::Fallback && d.model == *m)
                        .map(|d| d.id.clone()),
                }
            }
            Fallback::Route(other) => {
                let other = system.route(*other);
                FallbackCtx {
                    kind: "route".into(),
                    name: other.name.to_string(),
                    model_id: system.model(other.model).model_id.clone(),
                    group: model_group(other.name.as_str()),
                    deployment: None,
                }
            }
        })
        .collect();
    let execution = policy.logging.min_level(r.logging).is_some();
    let estimate = costs.route(id).ok();
    RouteCtx {
        name: name.to_string(),
        path: r.path.clone(),
        description: r.description.clone(),
        data_class: r.data_class.to_string(),
        policy: Arc::new(PolicyCtx {
            serving: policy.serving.iter().map(|s| s.to_string()).collect(),
            logging: policy.logging.to_string(),
            encryption: policy.encryption.to_string(),
            network: policy.network.to_string(),
            residency: policy.residency,
            moderation: policy.moderation,
        }),
        logging: r.logging.to_string(),
        model: Arc::new(model_ctx(system, system.model(r.model))),
        prompt: r.prompt.map(|p| prompt_ctx(system, p)),
        fallbacks,
        timeout: human(r.timeout),
        retries: r.retries.attempts,
        backoff: r.retries.backoff.to_string(),
        worst_case: human(worst_case_latency(system, id)),
        circuit_breaker: r
            .circuit_breaker
            .map(|c| Arc::new(BreakerCtx { failures: c.failures, cooldown: c.cooldown.to_string() })),
        rate_limit: r.rate_limit.map(|l| Arc::new(RateLimitCtx { per_second: l.per_second, per_day: l.per_day })),
        cache: r.cache.map(|c| {
            Arc::new(CacheCtx {
                kind: c.kind.to_string(),
                similarity: c.similarity.map(format_number),
                ttl: c.ttl.to_string(),
            })
        }),
        rollout: r.rollout.map(|ro| {
            Arc::new(RolloutCtx {
                strategy: ro.strategy.to_string(),
                label: if ro.strategy == crate::spec::routes::Strategy::Ab {
                    "A/B".into()
                } else {
                    ro.strategy.to_string()
                },
                candidate_model: ro.candidate_model.map(|m| system.model(m).name.to_string()),
                candidate_prompt: ro.candidate_prompt.map(|p| prompt_ctx(system, p)),
                weight: percent(ro.weight),
                active: ro.active.to_string(),
                evaluation: ro.evaluation.map(|e| system.evaluation(e).name.to_string()),
            })
        }),
        tiers: r
            .tiers
            .iter()
            .map(|t| TierCtx { model: system.model(t.model).name.to_string(), max_input_tokens: t.max_input_tokens })
            .collect(),
        traffic: r.traffic.map(|t| {
            Arc::new(TrafficCtx {
                per_day: t.per_day,
                input_tokens: t.input_tokens,
                output_tokens: t.output_tokens,
                per_minute: format_number((t.per_day as f64 / 1440.0 * 10.0).round() / 10.0),
            })
        }),
        cost_per_query: estimate.map(|e| money(e.per_query)),
        cost_per_month: estimate.map(|e| money(e.per_month)),
        auth: match &r.auth {
            Auth::Jwt { issuer, audience, jwks_uri } => Some(Arc::new(AuthCtx {
                issuer: issuer.clone(),
                audience: audience.clone(),
                jwks_uri: jwks_uri.clone(),
            })),
            Auth::None => None,
        },
        gateway: Arc::new(GatewayCtx {
            deployment: format!("oci_apigateway_deployment.{}", ident(name)),
            display_name: display_name(system, name),
            network: policy.network.to_string(),
            access_log: display_name(system, &format!("{name}-access")),
            execution_log: execution.then(|| display_name(system, &format!("{name}-execution"))),
        }),
        litellm: Arc::new(LitellmCtx {
            group: model_group(name),
            primary: deployments_of(|r| matches!(r, litellm::Role::Primary | litellm::Role::Mirrored)).into(),
            candidate: deployments
                .iter()
                .find(|d| {
                    matches!(
                        d.role,
                        litellm::Role::Candidate
                            | litellm::Role::CandidateGroup
                            | litellm::Role::Shadow
                            | litellm::Role::Standby
                    )
                })
                .map(|d| Arc::new(DeploymentRef { deployment: d.id.clone(), group: d.group.clone() })),
            retry_groups: retry_groups.into(),
        }),
        slos: slos.iter().map(|s| s.name.clone()).collect(),
        slo_runbooks: slos.into_iter().collect(),
        evaluations: evaluations.into(),
        budgets: budgets.into(),
    }
}
