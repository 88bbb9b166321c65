//! The routing plan of the LiteLLM config: every decision of the spec's routes, before any text.
//!
//! In: the checked [`System`]. Out: a [`Plan`]: the deployments of every model group (with the
//! weights, budgets, mirrors and token limits that carry rollouts, tiers and downgrades), the
//! fallback and context-window chains, the retries per group, the cache, and the comments that
//! say where LiteLLM cannot do what the spec says. The runbooks read the same plan, so what
//! on-call is told matches what the gateway does. Decisions, read off LiteLLM 1.106.12's source:
//! - **One entry group per route, named the route** ([`conventions::model_group`]); other groups
//!   are `<route>--<role>` (`--` never occurs in a spec name, so no group collides with a route).
//!   Deployment ids are `<route>.<role>`, distinct from every group name.
//! - **Rollouts**: canary and A/B are weights in the primary group; shadow mirrors with
//!   `silent_model` (LiteLLM's own fire-and-forget mirror) on a weighted share of the primary;
//!   blue-green puts the active side in the group and the other in `<route>--standby`. A candidate
//!   that changes the prompt cannot be split by LiteLLM (it does not apply prompts): it gets its
//!   own group and the caller splits.
//! - **Tiers** become a chain of groups, smallest first: each tier deployment declares its
//!   `max_input_tokens`, `enable_pre_call_checks` makes LiteLLM refuse a request that does not fit
//!   before calling the model, and `context_window_fallbacks` walks to the next tier. (Deployment
//!   `order` would pick the same tier but turns every tier failure into extra calls.)
//! - **Budget downgrade**: the cheaper model is a weight-0 deployment in the primary group; the
//!   primary deployments carry `max_budget` (LiteLLM's deployment budgets), so once they are over
//!   it only the downgrade is left and takes the traffic.

use crate::conventions::model_group;
use crate::hash::HashMap;
use crate::model::cost::Costs;
use crate::model::{Budget, Downgrade, Fallback, ModelId, OnPressure, PromptId, Route, RouteId, Serving, System};
use crate::spec::models::{ModelKind, Provider};
use crate::spec::routes::{Backoff, CacheKind, Side, Strategy};
use crate::spec::units::format_number;

/// Why a deployment exists.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Role {
    /// The route's model (or the active side of a blue-green pair).
    Primary,
    /// The primary model again, mirroring to the shadow group (`silent_model`).
    Mirrored,
    /// A canary / A/B candidate in the weighted split.
    Candidate,
    /// A prompt-changing candidate in its own group: the caller splits.
    CandidateGroup,
    /// The inactive side of a blue-green pair.
    Standby,
    /// The mirror target of a shadow rollout.
    Shadow,
    /// Tier `n` (1-based).
    Tier(usize),
    /// A fallback model, called once.
    Fallback,
    /// A budget's downgrade target (weight 0 until the primary is over budget).
    Downgrade,
    /// The embedding model of the semantic cache.
    Embedding,
}

impl Role {
    fn id_part(&self, model: &str) -> String {
        match self {
            Role::Primary => "primary".into(),
            Role::Mirrored => "primary-mirrored".into(),
            Role::Candidate | Role::CandidateGroup => "candidate".into(),
            Role::Standby => "standby".into(),
            Role::Shadow => "shadow".into(),
            Role::Tier(n) => format!("tier-{n}"),
            Role::Fallback => format!("fallback.{model}"),
            Role::Downgrade => format!("downgrade.{model}"),
            Role::Embedding => model.to_string(),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Deployment {
    pub group: String,
    pub id: String,
    pub role: Role,
    pub model: ModelId,
    /// The route whose settings (timeout, breaker, rate limit, cache) apply.
    pub route: Option<RouteId>,
    pub prompt: Option<PromptId>,
    /// Percent of the group's traffic; set on every deployment of a weighted group.
    pub weight: Option<f64>,
    pub max_budget: Option<f64>,
    pub silent_model: Option<String>,
    pub max_input_tokens: Option<u32>,
    pub comments: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub deployments: Vec<Deployment>,
    pub fallbacks: Vec<(String, Vec<String>)>,
    pub context_window_fallbacks: Vec<(String, Vec<String>)>,
    /// Retries per group.
    pub retries: Vec<(String, u32)>,
    /// Longest chain of fallback hops a request can take (LiteLLM's `max_fallbacks`).
    pub max_fallbacks: u32,
    pub cache: Option<CachePlan>,
    /// Comments on whole sections: what LiteLLM cannot do as the spec says.
    pub limits: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CachePlan {
    pub semantic: Option<(f64, String)>,
    pub ttl_s: f64,
    pub comments: Vec<String>,
}

/// Group names of a route.
fn group(route: &str, role: &str) -> String {
    format!("{}--{role}", model_group(route))
}

fn fallback_group(route: &str, model: &str) -> String {
    group(route, &format!("fallback--{model}"))
}

fn percent(fraction: f64) -> f64 {
    (fraction * 100.0 * 10_000.0).round() / 10_000.0
}

pub(crate) fn plan(system: &System) -> Plan {
    let mut plan = Plan::default();
    let downgrades = Downgrades::new(system);
    for (i, route) in system.routes.iter().enumerate() {
        plan_route(system, &downgrades, RouteId(i), route, &mut plan);
    }
    plan.max_fallbacks = (0..system.routes.len()).map(|i| hops(system, RouteId(i), 0)).max().unwrap_or(0);
    plan.cache = plan_cache(system, &mut plan);
    plan.limits.extend(limits(system));
    plan
}

/// What the spec asks for that LiteLLM does not do, said in the file's header.
fn limits(system: &System) -> Vec<String> {
    let mut out = vec![
        "no master_key: the API gateway authenticates callers (JWT) and forwards no LiteLLM key, so the proxy must be reachable from the gateway's subnet only"
            .to_string(),
    ];
    for budget in &system.budgets {
        if let Some(rate) = budget.on_pressure.as_ref().and_then(|p| p.rate_limit) {
            out.push(format!(
                "budgets.{}.on_pressure.rate_limit ({rate} req/s) is not applied by LiteLLM (no spend-triggered rate limit): apply it at the API gateway when the budgets.tf pressure alert fires",
                budget.name
            ));
        }
    }
    for route in &system.routes {
        if let Some(per_day) = route.rate_limit.and_then(|r| r.per_day) {
            out.push(format!(
                "routes.{}.rate_limit.per_day ({per_day} a day per client) is not emitted: LiteLLM counts per virtual key, which needs its database",
                route.name
            ));
        }
    }
    if system.routes.iter().any(|r| r.prompt.is_some()) {
        out.push(
            "prompts are applied by the caller from the prompt registry, not by LiteLLM; model_info.genops_prompt names the version each deployment serves"
                .to_string(),
        );
    }
    if system.routes.iter().any(|r| r.retries.attempts > 0) {
        out.push(
            "retry backoff is LiteLLM's own (0.5s × 2^i + up to 0.75s jitter, at most 8s, or the provider's Retry-After up to 60s; none when another deployment of the group is healthy), not the spec's initial/max"
                .to_string(),
        );
    }
    out
}

/// Fallback hops LiteLLM may count for a request to `id`: one per tier step and per fallback,
/// and a fallback route's own hops (LiteLLM walks fallback groups' fallbacks, nested).
fn hops(system: &System, id: RouteId, depth: usize) -> u32 {
    let route = system.route(id);
    let mut n = route.tiers.len() as u32;
    for f in &route.fallbacks {
        n += 1;
        if let Fallback::Route(r) = f {
            if depth < 64 {
                n += hops(system, *r, depth + 1);
            }
        }
    }
    n
}

fn plan_route(system: &System, downgrades: &Downgrades, id: RouteId, route: &Route, plan: &mut Plan) {
    let name = route.name.as_str();
    let entry = model_group(name);
    let deploy = |group: &str, role: Role, model: ModelId, prompt: Option<PromptId>| Deployment {
        group: group.to_string(),
        id: format!("{name}.{}", role.id_part(system.model(model).name.as_str())),
        role,
        model,
        route: Some(id),
        prompt,
        weight: None,
        max_budget: None,
        silent_model: None,
        max_input_tokens: None,
        comments: Vec::new(),
    };
    let fallbacks: Vec<String> = route
        .fallbacks
        .iter()
        .map(|f| match f {
            Fallback::Model(m) => fallback_group(name, system.model(*m).name.as_str()),
            Fallback::Route(r) => model_group(system.route(*r).name.as_str()),
        })
        .collect();
    // Groups that serve the route's traffic: retries and fallbacks of the route.
    let mut serving: Vec<String> = Vec::new();
    let mut out: Vec<Deployment> = Vec::new();

    // Tiers: the entry group is the smallest tier, then each larger one, then the primary.
    let primary_group = if route.tiers.is_empty() { entry.clone() } else { group(name, "primary") };
    if !route.tiers.is_empty() {
        // One step at a time: a longer list would, when a tier and the route's fallbacks have
        // failed, go on to call the larger tiers too (LiteLLM tries every listed group).
        let mut chain = Vec::new();
        for (k, tier) in route.tiers.iter().enumerate() {
            let g = if k == 0 { entry.clone() } else { group(name, &format!("tier-{}", k + 1)) };
            let mut d = deploy(&g, Role::Tier(k + 1), tier.model, route.prompt);
            d.max_input_tokens = Some(tier.max_input_tokens);
            if k == 0 {
                d.comments.push(format!(
                    "routes.{name}.tiers: requests up to {} input tokens; larger ones walk context_window_fallbacks to the next tier, then to {primary_group}",
                    tier.max_input_tokens
                ));
            } else {
                d.comments.push(format!("routes.{name}.tiers[{k}]: up to {} input tokens", tier.max_input_tokens));
            }
            chain.push(g.clone());
            serving.push(g);
            out.push(d);
        }
        chain.push(primary_group.clone());
        for step in chain.windows(2) {
            plan.context_window_fallbacks.push((step[0].clone(), vec![step[1].clone()]));
        }
    }

    // The primary group: the route's model, its rollout, its budget downgrade.
    let mut primary: Vec<Deployment> = Vec::new();
    let mut extra_groups: Vec<Deployment> = Vec::new();
    let mut p = deploy(&primary_group, Role::Primary, route.model, route.prompt);
    p.comments.push(route_comment(system, route));
    if let Some(cw) = system.model(route.model).context_window {
        p.max_input_tokens = Some(cw);
    }
    match route.rollout {
        None => primary.push(p),
        Some(ro) => {
            let cand_model = ro.candidate_model.unwrap_or(route.model);
            let cand_prompt = ro.candidate_prompt.or(route.prompt);
            let prompt_changes = ro.candidate_prompt.is_some();
            let w = percent(ro.weight);
            match ro.strategy {
                Strategy::Canary | Strategy::Ab if !prompt_changes => {
                    let mut c = deploy(&primary_group, Role::Candidate, cand_model, cand_prompt);
                    c.max_input_tokens = system.model(cand_model).context_window;
                    p.weight = Some(percent(1.0) - w);
                    c.weight = Some(w);
                    c.comments.push(format!(
                        "routes.{name}.rollout: {} candidate, {}% of the traffic",
                        ro.strategy,
                        format_number(w)
                    ));
                    primary.push(p);
                    primary.push(c);
                }
                Strategy::Canary | Strategy::Ab => {
                    let g = group(name, "candidate");
                    let mut c = deploy(&g, Role::CandidateGroup, cand_model, cand_prompt);
                    c.max_input_tokens = system.model(cand_model).context_window;
                    c.comments.push(format!(
                        "routes.{name}.rollout: {} of prompt {}; LiteLLM does not apply prompts, so it cannot split by prompt: the caller sends {}% of the requests, with the candidate prompt, to this group",
                        ro.strategy,
                        prompt_label(system, cand_prompt),
                        format_number(w)
                    ));
                    primary.push(p);
                    serving.push(g);
                    extra_groups.push(c);
                }
                Strategy::Shadow => {
                    let g = group(name, "shadow");
                    let mut s = deploy(&g, Role::Shadow, cand_model, cand_prompt);
                    s.max_input_tokens = system.model(cand_model).context_window;
                    if prompt_changes {
                        s.comments.push(format!(
                            "routes.{name}.rollout: shadow of prompt {}; LiteLLM does not apply prompts, so the caller mirrors {}% of the requests, with the candidate prompt, to this group (its answers are never shown)",
                            prompt_label(system, cand_prompt),
                            format_number(w)
                        ));
                        primary.push(p);
                    } else {
                        s.comments.push(format!(
                            "routes.{name}.rollout: shadow target; {}% of the requests are mirrored here by silent_model (fire-and-forget, answers never returned)",
                            format_number(w)
                        ));
                        if w >= 100.0 {
                            p.silent_model = Some(g.clone());
                            primary.push(p);
                        } else {
                            let mut m = deploy(&primary_group, Role::Mirrored, route.model, route.prompt);
                            m.max_input_tokens = p.max_input_tokens;
                            m.silent_model = Some(g.clone());
                            m.weight = Some(w);
                            m.comments.push(format!(
                                "the same model, for the {}% of requests that are also mirrored to {g}",
                                format_number(w)
                            ));
                            p.weight = Some(percent(1.0) - w);
                            primary.push(p);
                            primary.push(m);
                        }
                    }
                    extra_groups.push(s);
                }
                Strategy::BlueGreen => {
                    let (active, standby) = match ro.active {
                        Side::Stable => ((route.model, route.prompt), (cand_model, cand_prompt)),
                        Side::Candidate => ((cand_model, cand_prompt), (route.model, route.prompt)),
                    };
                    let mut a = deploy(&primary_group, Role::Primary, active.0, active.1);
                    a.max_input_tokens = system.model(active.0).context_window;
                    a.comments = p.comments.clone();
                    a.comments.push(format!(
                        "routes.{name}.rollout: blue-green, active side {}: {}; the other side waits in {}",
                        ro.active,
                        side_label(system, active.0, active.1),
                        group(name, "standby")
                    ));
                    let g = group(name, "standby");
                    let mut s = deploy(&g, Role::Standby, standby.0, standby.1);
                    s.max_input_tokens = system.model(standby.0).context_window;
                    s.comments.push(format!(
                        "routes.{name}.rollout: blue-green standby side: {}; switch by setting `active` in the spec and rebuilding",
                        side_label(system, standby.0, standby.1)
                    ));
                    primary.push(a);
                    serving.push(g);
                    extra_groups.push(s);
                }
            }
        }
    }

    // Budget downgrade: a weight-0 deployment of the cheaper model in the primary group.
    if let Some((to, allowance, why)) = downgrade(system, downgrades, id) {
        let total: f64 = primary.iter().map(|d| d.weight.unwrap_or(100.0)).sum();
        for d in primary.iter_mut() {
            let share = d.weight.unwrap_or(100.0) / total;
            d.weight = Some(d.weight.unwrap_or(100.0));
            d.max_budget = Some(round_money(allowance * share));
        }
        if primary.iter().any(|d| system.model(d.model).serving != Serving::OnDemand && !is_external(system, d.model)) {
            plan.limits.push(format!(
                "routes.{name}: the budget downgrade counts the per-token spend LiteLLM sees; a dedicated model's cost is its cluster's hours, which LiteLLM does not count, so its max_budget is never reached: switch by hand when the budgets.tf alert fires"
            ));
        }
        let mut dg = deploy(&primary_group, Role::Downgrade, to, route.prompt);
        dg.weight = Some(0.0);
        dg.max_input_tokens = system.model(to).context_window;
        dg.comments.push(why);
        dg.comments.push(
            "weight 0: picked only when no primary deployment is left, i.e. over budget (also while their circuit is open or their rpm is used up)"
                .to_string(),
        );
        primary.push(dg);
    }
    serving.insert(route.tiers.len().min(serving.len()), primary_group.clone());
    serving.dedup();
    out.extend(primary);
    out.extend(extra_groups);

    // Fallback models: one group each, called once with the route's timeout.
    let mut once: Vec<String> = Vec::new();
    for f in &route.fallbacks {
        if let Fallback::Model(m) = f {
            let g = fallback_group(name, system.model(*m).name.as_str());
            let mut d = deploy(&g, Role::Fallback, *m, route.prompt);
            d.max_input_tokens = system.model(*m).context_window;
            d.comments.push(format!("routes.{name}.fallbacks: {}, called once", system.model(*m).name));
            out.push(d);
            once.push(g);
        }
    }
    for g in &serving {
        plan.retries.push((g.clone(), route.retries.attempts));
        if !fallbacks.is_empty() {
            plan.fallbacks.push((g.clone(), fallbacks.clone()));
        }
    }
    plan.retries.extend(once.into_iter().map(|g| (g, 0)));
    if let Some(shadow) = out.iter().find(|d| d.role == Role::Shadow) {
        plan.retries.push((shadow.group.clone(), 0));
    }
    plan.deployments.extend(out);
}

fn is_external(system: &System, model: ModelId) -> bool {
    system.model(model).provider == Provider::External
}

pub(super) fn prompt_label(system: &System, prompt: Option<PromptId>) -> String {
    match prompt {
        Some(p) => format!("{}@{}", system.prompt(p).name, system.prompt(p).version),
        None => "none".into(),
    }
}

fn side_label(system: &System, model: ModelId, prompt: Option<PromptId>) -> String {
    format!("model {}, prompt {}", system.model(model).name, prompt_label(system, prompt))
}

fn route_comment(system: &System, route: &Route) -> String {
    let mut parts = vec![format!("routes.{}: {} data, timeout {}", route.name, route.data_class, route.timeout)];
    let r = route.retries;
    if r.attempts > 0 {
        let backoff = match r.backoff {
            Backoff::None => "no backoff".to_string(),
            Backoff::Constant => format!("constant {} backoff", r.initial),
            Backoff::Exponential => format!("exponential backoff from {}", r.initial),
        };
        let max = r.max.map(|m| format!(" up to {m}")).unwrap_or_default();
        parts.push(format!(
            "{} {} (spec: {backoff}{max}; LiteLLM: its own backoff)",
            r.attempts,
            if r.attempts == 1 { "retry" } else { "retries" }
        ));
    }
    if let Some(cb) = route.circuit_breaker {
        parts.push(format!("circuit breaker: {} failures, {} cooldown", cb.failures, cb.cooldown));
    }
    if let Some(rl) = route.rate_limit {
        parts.push(format!("{} req/s", rl.per_second));
    }
    let _ = system;
    parts.join("; ")
}

/// The budget downgrades of each route (budget and downgrade, in spec order), and the cost
/// model they are priced with: made once for a system, not searched for every route.
struct Downgrades<'a> {
    by_route: HashMap<RouteId, Vec<(&'a Budget, &'a OnPressure, &'a Downgrade)>>,
    costs: Costs<'a>,
}

impl<'a> Downgrades<'a> {
    fn new(system: &'a System) -> Downgrades<'a> {
        let mut by_route: HashMap<RouteId, Vec<_>> = HashMap::default();
        for budget in &system.budgets {
            let Some(pressure) = &budget.on_pressure else { continue };
            for d in &pressure.downgrades {
                by_route.entry(d.route).or_default().push((budget, pressure, d));
            }
        }
        Downgrades { by_route, costs: Costs::new(system) }
    }
}

/// The cheaper model a budget switches the route to, the budget LiteLLM may spend on the
/// route's primary deployments before it does, and the comment that says how that was computed.
fn downgrade(system: &System, downgrades: &Downgrades, route: RouteId) -> Option<(ModelId, f64, String)> {
    let mut best: Option<(ModelId, f64, String)> = None;
    for &(budget, pressure, d) in downgrades.by_route.get(&route).into_iter().flatten() {
        let scope: Vec<RouteId> = if budget.routes.is_empty() {
            (0..system.routes.len()).map(RouteId).collect()
        } else {
            budget.routes.clone()
        };
        let costs = &downgrades.costs;
        let others: f64 =
            scope.iter().filter(|r| **r != route).filter_map(|r| costs.route(*r).ok()).map(|e| e.per_month).sum();
        let threshold = pressure.at * budget.amount;
        let allowance = (threshold - others).max(0.01);
        let mut why = format!(
            "budgets.{}.on_pressure: at {}% ({} {}) switch routes.{} to {}; max_budget = that threshold minus the other routes' estimated monthly spend in the budget ({} {})",
            budget.name,
            format_number(pressure.at * 100.0),
            format_number(round_money(threshold)),
            system.currency,
            system.route(route).name,
            system.model(d.to).name,
            format_number(round_money(others)),
            system.currency
        );
        if threshold - others <= 0.0 {
            why.push_str("; the others alone pass the threshold, so the downgrade applies from the first request");
        }
        if best.as_ref().is_none_or(|(_, a, _)| allowance < *a) {
            best = Some((d.to, allowance, why));
        }
    }
    best
}

fn round_money(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// One Redis cache for the proxy: LiteLLM has a single cache, so per-route kinds and
/// similarities meet in the safest common form.
fn plan_cache(system: &System, plan: &mut Plan) -> Option<CachePlan> {
    let cached: Vec<&Route> = system.routes.iter().filter(|r| r.cache.is_some()).collect();
    if cached.is_empty() {
        return None;
    }
    let mut comments = Vec::new();
    let ttl_s = cached.iter().filter_map(|r| r.cache).map(|c| c.ttl.millis).min().unwrap_or(0) as f64 / 1000.0;
    let semantic: Vec<&Route> =
        cached.iter().copied().filter(|r| r.cache.is_some_and(|c| c.kind == CacheKind::Semantic)).collect();
    let exact: Vec<&Route> =
        cached.iter().copied().filter(|r| r.cache.is_some_and(|c| c.kind == CacheKind::Exact)).collect();
    let names = |rs: &[&Route]| rs.iter().map(|r| r.name.to_string()).collect::<Vec<_>>().join(", ");
    let mut semantic_plan = None;
    if !semantic.is_empty() {
        if !exact.is_empty() {
            comments.push(format!(
                "LiteLLM has one cache per proxy: routes {} ask for an exact cache, so the semantic routes ({}) get exact matches only (a semantic cache would answer the exact routes with similar, not identical, prompts)",
                names(&exact),
                names(&semantic)
            ));
        } else {
            let allowed = system.models.iter().enumerate().find(|(_, m)| {
                m.kind == ModelKind::Embedding
                    && semantic.iter().all(|r| {
                        let policy = system.policy(r.data_class);
                        policy.serving.contains(&m.serving.kind()) && (!policy.residency || m.region == system.region)
                    })
            });
            match allowed {
                Some((i, m)) => {
                    let similarity =
                        semantic.iter().filter_map(|r| r.cache.and_then(|c| c.similarity)).fold(0.0_f64, f64::max);
                    let g = format!("embedding--{}", m.name);
                    if semantic.iter().any(|r| r.cache.and_then(|c| c.similarity) != Some(similarity)) {
                        comments.push(format!(
                            "LiteLLM has one similarity threshold: the strictest, {}, applies to every semantic route",
                            format_number(similarity)
                        ));
                    }
                    plan.deployments.push(Deployment {
                        group: g.clone(),
                        id: format!("embedding.{}", m.name),
                        role: Role::Embedding,
                        model: ModelId(i),
                        route: None,
                        prompt: None,
                        weight: None,
                        max_budget: None,
                        silent_model: None,
                        max_input_tokens: None,
                        comments: vec![format!(
                            "models.{}: embeds the prompts of the semantic cache (routes {}); allowed for their data classes",
                            m.name,
                            names(&semantic)
                        )],
                    });
                    plan.retries.push((g.clone(), 0));
                    semantic_plan = Some((similarity, g));
                }
                None => comments.push(format!(
                    "routes {} ask for a semantic cache, but the spec has no embedding model their data classes allow: LiteLLM's semantic cache needs one (models: {{ kind: embedding }}), so they get an exact cache",
                    names(&semantic)
                )),
            }
        }
    }
    Some(CachePlan { semantic: semantic_plan, ttl_s, comments })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::load::MemoryFiles;

    const HEAD: &str = "version: genops/v1\nsystem: { name: s, owner: o, region: us-chicago-1 }\n";

    pub(crate) fn system(body: &str) -> System {
        let files = MemoryFiles::default().with("p.md", "prompt").with("q.md", "prompt 2");
        // Paid fallbacks must sit under a budget (GO0319): give every test system one.
        let budget = if body.contains("budgets:") { "" } else { "budgets:\n  all: { amount: 1000000 }\n" };
        let spec = format!("{HEAD}{body}{budget}");
        let c = compile("genops.yaml", spec.into_bytes(), &files);
        assert!(!c.has_errors(), "{:#?}", c.diagnostics);
        c.system.expect("system")
    }

    pub(crate) const MODELS: &str = "models:
  big: { provider: oci-genai, id: cohere.command-a-03-2025, price: { input_per_1k: 0.0025, output_per_1k: 0.01 } }
  small: { provider: oci-genai, id: cohere.command-r-08-2024, price: { input_per_1k: 0.00015, output_per_1k: 0.0006 } }
  llama: { provider: oci-genai, id: meta.llama-3.3-70b-instruct, serving: { dedicated: gpu } }
clusters:
  gpu: { shape: LARGE_GENERIC, units: 1, price_per_unit_hour: 10 }
prompts:
  p: { version: 1.0.0, file: p.md }
  q: { version: 2.0.0, file: q.md }
";

    fn group_of<'a>(plan: &'a Plan, group: &str) -> Vec<&'a Deployment> {
        plan.deployments.iter().filter(|d| d.group == group).collect()
    }

    #[test]
    fn canary_weights_sum_to_100_and_every_deployment_is_weighted() {
        let s = system(&format!(
            "{MODELS}routes:\n  chat: {{ path: /c, data_class: public, model: big, prompt: p, rollout: {{ strategy: canary, candidate: {{ model: small }}, weight: 7.5% }} }}\n"
        ));
        let plan = plan(&s);
        let chat = group_of(&plan, "chat");
        assert_eq!(chat.len(), 2);
        assert_eq!(chat[0].weight, Some(92.5));
        assert_eq!(chat[1].weight, Some(7.5));
        assert_eq!(chat[1].role, Role::Candidate);
        assert_eq!(chat.iter().map(|d| d.weight.unwrap_or_default()).sum::<f64>(), 100.0);
    }

    #[test]
    fn a_prompt_candidate_gets_its_own_group_not_a_fake_split() {
        let s = system(&format!(
            "{MODELS}routes:\n  chat: {{ path: /c, data_class: public, model: big, prompt: p, rollout: {{ strategy: ab, candidate: {{ prompt: q }} }} }}\n"
        ));
        let plan = plan(&s);
        assert_eq!(group_of(&plan, "chat").len(), 1);
        assert_eq!(group_of(&plan, "chat")[0].weight, None);
        let cand = group_of(&plan, "chat--candidate");
        assert_eq!(cand.len(), 1);
        assert_eq!(prompt_label(&s, cand[0].prompt), "q@2.0.0");
    }

    #[test]
    fn shadow_mirrors_a_weighted_share_with_silent_model() {
        let s = system(&format!(
            "{MODELS}routes:\n  chat: {{ path: /c, data_class: public, model: big, rollout: {{ strategy: shadow, candidate: {{ model: small }}, weight: 25% }} }}\n"
        ));
        let plan = plan(&s);
        let chat = group_of(&plan, "chat");
        assert_eq!(
            chat.iter().map(|d| (d.weight, d.silent_model.clone())).collect::<Vec<_>>(),
            vec![(Some(75.0), None), (Some(25.0), Some("chat--shadow".into()))]
        );
        assert_eq!(group_of(&plan, "chat--shadow").len(), 1);
        assert!(plan.retries.contains(&("chat--shadow".into(), 0)));
        // A full mirror needs no split.
        let s = system(&format!(
            "{MODELS}routes:\n  chat: {{ path: /c, data_class: public, model: big, rollout: {{ strategy: shadow, candidate: {{ model: small }} }} }}\n"
        ));
        let chat = plan_of(&s, "chat");
        assert_eq!(chat.len(), 1);
        assert_eq!(chat[0].silent_model.as_deref(), Some("chat--shadow"));
    }

    fn plan_of(s: &System, g: &str) -> Vec<Deployment> {
        plan(s).deployments.into_iter().filter(|d| d.group == g).collect()
    }

    #[test]
    fn blue_green_routes_the_active_side_and_parks_the_other() {
        let s = system(&format!(
            "{MODELS}routes:\n  chat: {{ path: /c, data_class: public, model: big, rollout: {{ strategy: blue-green, candidate: {{ model: small }}, active: candidate }} }}\n"
        ));
        let chat = plan_of(&s, "chat");
        assert_eq!(chat.len(), 1);
        assert_eq!(s.model(chat[0].model).name.as_str(), "small");
        let standby = plan_of(&s, "chat--standby");
        assert_eq!(s.model(standby[0].model).name.as_str(), "big");
    }

    #[test]
    fn fallbacks_name_model_groups_and_route_groups() {
        let s = system(&format!(
            "{MODELS}routes:
  a: {{ path: /a, data_class: public, model: big, fallbacks: [small, b], retries: {{ attempts: 2 }} }}
  b: {{ path: /b, data_class: public, model: small, fallbacks: [big] }}
"
        ));
        let plan = plan(&s);
        assert_eq!(
            plan.fallbacks,
            vec![
                ("a".to_string(), vec!["a--fallback--small".to_string(), "b".to_string()]),
                ("b".to_string(), vec!["b--fallback--big".to_string()]),
            ]
        );
        let groups: Vec<&str> = plan.deployments.iter().map(|d| d.group.as_str()).collect();
        for (_, to) in &plan.fallbacks {
            for t in to {
                assert!(groups.contains(&t.as_str()), "{t}");
            }
        }
        assert!(plan.retries.contains(&("a".into(), 2)));
        assert!(plan.retries.contains(&("a--fallback--small".into(), 0)));
        // a → small (1) + b (1) + b's own fallback (1)
        assert_eq!(plan.max_fallbacks, 3);
    }

    #[test]
    fn tiers_chain_by_context_window_to_the_primary() {
        let s = system(&format!(
            "{MODELS}routes:
  chat: {{ path: /c, data_class: internal, model: big, tiers: [ {{ model: small, max_input_tokens: 2000 }}, {{ model: llama, max_input_tokens: 16000 }} ] }}
"
        ));
        let plan = plan(&s);
        assert_eq!(
            plan.context_window_fallbacks,
            vec![
                ("chat".to_string(), vec!["chat--tier-2".to_string()]),
                ("chat--tier-2".to_string(), vec!["chat--primary".to_string()]),
            ]
        );
        assert_eq!(group_of(&plan, "chat")[0].max_input_tokens, Some(2000));
        assert_eq!(group_of(&plan, "chat--tier-2")[0].max_input_tokens, Some(16000));
        assert_eq!(s.model(group_of(&plan, "chat--primary")[0].model).name.as_str(), "big");
    }

    #[test]
    fn budget_downgrade_is_a_weight_zero_deployment_behind_budgeted_primaries() {
        let s = system(&format!(
            "{MODELS}routes:
  chat: {{ path: /c, data_class: public, model: big, traffic: {{ per_day: 1000, input_tokens: 1000, output_tokens: 100 }},
          rollout: {{ strategy: canary, candidate: {{ model: small }}, weight: 10% }} }}
  other: {{ path: /o, data_class: public, model: small, traffic: {{ per_day: 1000, input_tokens: 1000, output_tokens: 100 }} }}
budgets:
  b: {{ amount: 1000, on_pressure: {{ at: 50%, downgrade: {{ route: chat, to: small }} }} }}
oncall:
  rotations: {{ ops: {{ members: [ops@x.example], coverage: 24x7 }} }}
  escalation: [{{ rotation: ops }}]
  channels: {{ alerts: {{ email: ops@x.example }} }}
"
        ));
        let chat = plan_of(&s, "chat");
        assert_eq!(chat.len(), 3);
        assert_eq!(chat[2].role, Role::Downgrade);
        assert_eq!(chat[2].weight, Some(0.0));
        // other: (1 × 0.00015 + 0.1 × 0.0006) × 1000 × 30.4 = 6.384 a month; 500 − 6.384 = 493.616
        assert_eq!(chat[0].max_budget, Some(round_money(493.616 * 0.9)));
        assert_eq!(chat[1].max_budget, Some(round_money(493.616 * 0.1)));
        assert_eq!(chat[2].max_budget, None);
    }
}
