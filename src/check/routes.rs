//! Routes: references (model, prompt, fallbacks, tiers, rollout), data-class rules for every
//! model a route can reach, paths, and the shape of retries, cache, rollout and traffic.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::{Checker, valid_indexed};
use crate::diag::{Code, Diagnostic};
use crate::hash::HashMap;
use crate::model::logs_more;
use crate::source::{Span, Spanned};
use crate::spec::Route;
use crate::spec::data_classes::DataClassName;
use crate::spec::models::ModelKind;
use crate::spec::routes::{CacheKind, Strategy};
use crate::spec::units::Name;

/// What a fallback entry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FallbackRef {
    Model(usize),
    Route(usize),
}

impl Checker<'_> {
    /// Resolves a fallback name without reporting (the route check reports).
    pub(crate) fn fallback_ref(&self, name: &str) -> Option<FallbackRef> {
        match (self.models.get(name), self.routes.get(name)) {
            (Some(m), None) => Some(FallbackRef::Model(m)),
            (None, Some(r)) => Some(FallbackRef::Route(r)),
            _ => None,
        }
    }

    pub(super) fn check_routes(&mut self) {
        let mut paths: HashMap<&str, Span> = HashMap::default();
        for (id, name, route) in valid_indexed(&self.doc.routes.value) {
            if let Some(first) = paths.get(route.path.value.as_str()) {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicatePath,
                        format!(
                            "route `{}` serves `{}`, which another route already serves",
                            name.value, route.path.value
                        ),
                    )
                    .label(route.path.span, "served again here")
                    .label(*first, "first served here")
                    .help("give each route its own path"),
                );
            } else {
                paths.insert(route.path.value.as_str(), route.path.span);
            }
            self.check_route(id, name, route);
        }
    }

    fn check_route(&mut self, id: usize, name: &Spanned<Name>, route: &Route) {
        let partial = Checker::partial(&self.doc.routes.value, id);
        let class = route.data_class.value;
        let class_span = route.data_class.span;
        let primary = self.chat_model(&route.model, "model");
        if let Some(m) = primary {
            self.check_model_allowed(class, class_span, m, route.model.span, "model");
        }
        if let Some(prompt) = &route.prompt {
            self.prompts.resolve(prompt, &mut self.diags);
        }
        self.check_fallbacks(id, route, primary);
        for tier in &route.tiers {
            if let Some(m) = self.chat_model(&tier.value.model, "tier model") {
                self.check_model_allowed(class, class_span, m, tier.value.model.span, "tier model");
                if Some(m) == primary {
                    self.diags.push(
                        Diagnostic::new(
                            Code::RedundantReference,
                            format!("tier model `{}` is the route's own model", tier.value.model.value),
                        )
                        .label(tier.value.model.span, "already the route's model")
                        .label(route.model.span, "the route's model")
                        .help("a tier names a smaller model for smaller requests; the route's `model` takes the rest"),
                    );
                }
            }
        }
        for pair in route.tiers.windows(2) {
            if pair[1].value.max_input_tokens.value <= pair[0].value.max_input_tokens.value {
                self.diags.push(
                    Diagnostic::new(Code::InvalidValue, "tiers must be ordered by increasing `max_input_tokens`")
                        .label(pair[1].value.max_input_tokens.span, "not more than the tier before")
                        .label(pair[0].value.max_input_tokens.span, "previous tier")
                        .help("list tiers from the smallest requests to the largest; a request goes to the first tier it fits"),
                );
            }
        }
        if let Some(timeout) = &route.timeout {
            if timeout.value.millis == 0 {
                self.diags.push(
                    Diagnostic::new(Code::InvalidDuration, "a timeout of zero fails every call")
                        .label(timeout.span, "0")
                        .help("set the deadline of one model call, e.g. `8s`"),
                );
            }
        }
        if let Some(retries) = &route.retries {
            let r = &retries.value;
            if r.attempts.value > 10 {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidNumber,
                        format!("{} retries turn an outage into a retry storm", r.attempts.value),
                    )
                    .label(r.attempts.span, "at most 10")
                    .help("retry a few times with backoff, then let fallbacks and the circuit breaker act"),
                );
            }
            if let Some(max) = &r.max {
                let initial = r.initial.as_ref().map_or(crate::model::Retries::DEFAULT_INITIAL, |i| i.value);
                if max.value < initial {
                    let mut d =
                        Diagnostic::new(Code::ConflictingFields, "the longest retry wait is shorter than the first")
                            .label(max.span, format!("`max` is {}", max.value));
                    d = match &r.initial {
                        Some(i) => d.label(i.span, format!("`initial` is {}", i.value)),
                        None => d.note(format!("`initial` defaults to {initial}")),
                    };
                    self.diags.push(d.help("make `max` at least `initial`"));
                }
            }
        }
        if let Some(cb) = &route.circuit_breaker {
            if cb.value.failures.value == 0 {
                self.diags.push(
                    Diagnostic::new(
                        Code::InvalidNumber,
                        "a circuit breaker that opens after 0 failures never lets a call through",
                    )
                    .label(cb.value.failures.span, "at least 1")
                    .help("open the circuit after a few consecutive failures, e.g. `failures: 5`"),
                );
            }
        }
        if let Some(per_day) = route.rate_limit.as_ref().and_then(|rl| rl.value.per_day.as_ref()) {
            self.diags.push(
                Diagnostic::new(Code::NotEnforced, format!("the daily quota of route `{}` is not enforced", name.value))
                    .label(per_day.span, "no generated gateway applies this")
                    .help("OCI usage plans need a subscriber and token per client, which the spec does not describe; enforce the quota in your client tier, or remove `per_day`"),
            );
        }
        if let Some(rl) = &route.rate_limit {
            if rl.value.per_second.value == 0 {
                self.diags.push(
                    Diagnostic::new(Code::InvalidNumber, "a rate limit of 0 per second rejects every request")
                        .label(rl.value.per_second.span, "at least 1")
                        .help("set the sustained requests per second the route admits"),
                );
            }
        }
        if let Some(cache) = &route.cache {
            let c = &cache.value;
            match (c.kind.value, &c.similarity) {
                (CacheKind::Semantic, None) if !partial => self.diags.push(
                    Diagnostic::new(Code::MissingField, "a semantic cache needs a `similarity`")
                        .label(c.kind.span, "semantic")
                        .help("add `similarity: 0.95` (cosine similarity above which a cached answer is reused)"),
                ),
                (CacheKind::Semantic, Some(s)) if !(s.value > 0.0 && s.value <= 1.0) => self.diags.push(
                    Diagnostic::new(Code::InvalidNumber, "similarity must be in (0, 1]")
                        .label(s.span, "out of range")
                        .help(
                            "use a cosine similarity such as `0.95`; lower values serve answers to different questions",
                        ),
                ),
                (CacheKind::Exact, Some(s)) => self.diags.push(
                    Diagnostic::new(Code::ConflictingFields, "an exact cache has no similarity")
                        .label(s.span, "only semantic caches compare similarity")
                        .label(c.kind.span, "exact")
                        .help("remove `similarity`, or make the cache `kind: semantic`"),
                ),
                _ => {}
            }
            if c.ttl.value.millis == 0 {
                self.diags.push(
                    Diagnostic::new(Code::InvalidDuration, "a cache TTL of zero caches nothing")
                        .label(c.ttl.span, "0")
                        .help("set how long answers stay cached, e.g. `1h`, or remove the cache"),
                );
            }
        }
        if let Some(traffic) = &route.traffic {
            let t = &traffic.value;
            for (field, value, span) in [
                ("per_day", t.per_day.value, t.per_day.span),
                ("input_tokens", t.input_tokens.value as u64, t.input_tokens.span),
                ("output_tokens", t.output_tokens.value as u64, t.output_tokens.span),
            ] {
                if value == 0 {
                    self.diags.push(
                        Diagnostic::new(Code::InvalidNumber, format!("traffic `{field}` is 0"))
                            .label(span, "must be at least 1")
                            .help("give the expected average; remove `traffic:` if it is not known"),
                    );
                }
            }
        }
        if let Some(logging) = &route.logging {
            let allowed = self.classes.get(class).logging;
            if logs_more(logging.value, allowed) {
                self.diags.push(
                    Diagnostic::new(
                        Code::LoggingLevel,
                        format!("route `{}` logs `{}`, more than `{class}` data allows", name.value, logging.value),
                    )
                    .label(logging.span, format!("`{}`", logging.value))
                    .label(class_span, format!("`{class}` allows at most `{allowed}`"))
                    .help(format!("set `logging: {allowed}`, or remove `logging:` to use the class's level")),
                );
            }
        }
        if let Some(cors) = &route.cors {
            if cors.value.origins.value.is_empty() {
                self.diags.push(
                    Diagnostic::new(Code::MissingField, "a CORS policy with no origin allows no browser")
                        .label(cors.value.origins.span, "empty")
                        .help("list the origins of the web apps that call this route, e.g. `[https://app.example.com]`, or remove `cors`"),
                );
            }
        }
        self.check_rollout(route, primary, partial);
    }

    /// Resolves a model that must be a chat model.
    fn chat_model(&mut self, name: &Spanned<Name>, role: &str) -> Option<usize> {
        let id = self.models.resolve(name, &mut self.diags)?;
        let model = self.model(id)?;
        if model.kind.as_ref().is_some_and(|k| k.value == ModelKind::Embedding) {
            self.diags.push(
                Diagnostic::new(Code::WrongKind, format!("{role} `{}` is an embedding model", name.value))
                    .label(name.span, "a route needs a chat model here")
                    .label(model.kind.as_ref().map_or(name.span, |k| k.span), "declared `kind: embedding`")
                    .help("name a chat model; embedding models serve evaluations (`embedding:`)"),
            );
            return None;
        }
        Some(id)
    }

    fn check_fallbacks(&mut self, id: usize, route: &Route, primary: Option<usize>) {
        let class = route.data_class.value;
        let mut seen: Vec<&Spanned<Name>> = Vec::new();
        for fallback in &route.fallbacks {
            if let Some(first) = seen.iter().find(|f| f.value == fallback.value) {
                self.diags.push(
                    Diagnostic::new(Code::RedundantReference, format!("fallback `{}` is listed twice", fallback.value))
                        .label(fallback.span, "listed again here")
                        .label(first.span, "first listed here")
                        .help(
                            "remove the repeated fallback: a second try of the same model adds latency, not resilience",
                        ),
                );
                continue;
            }
            seen.push(fallback);
            let as_model = self.models.get(fallback.value.as_str());
            let as_route = self.routes.get(fallback.value.as_str());
            match (as_model, as_route) {
                (Some(_), Some(_)) => self.diags.push(
                    Diagnostic::new(
                        Code::WrongKind,
                        format!("fallback `{}` is both a model and a route", fallback.value),
                    )
                    .label(fallback.span, "ambiguous")
                    .help("rename the model or the route so that the fallback names one thing"),
                ),
                (None, None) => {
                    let candidates: Vec<&str> =
                        self.doc.models.value.names().chain(self.doc.routes.value.names()).collect();
                    let help = crate::diag::suggest::help_for(fallback.value.as_str(), candidates.iter().copied())
                        .unwrap_or_else(|| "a fallback names a model, or a route whose chain takes over".into());
                    self.diags.push(
                        Diagnostic::new(Code::UnknownName, format!("unknown fallback `{}`", fallback.value))
                            .label(fallback.span, "no model or route of this name")
                            .help(help),
                    );
                }
                (Some(m), None) => {
                    if Some(m) == primary {
                        self.diags.push(
                            Diagnostic::new(
                                Code::RedundantReference,
                                format!("fallback `{}` is the route's own model", fallback.value),
                            )
                            .label(fallback.span, "falls back to itself")
                            .label(route.model.span, "the route's model")
                            .help("fall back to a different model, ideally on different capacity"),
                        );
                    } else if let Some(m) = self.chat_model(fallback, "fallback") {
                        self.check_model_allowed(class, route.data_class.span, m, fallback.span, "fallback");
                    }
                }
                (None, Some(r)) if r == id => {} // a self-loop is reported as a cycle
                (None, Some(_)) => {}
            }
        }
    }

    fn check_rollout(&mut self, route: &Route, primary: Option<usize>, partial: bool) {
        let Some(rollout) = &route.rollout else { return };
        let r = &rollout.value;
        let strategy = r.strategy.value;
        let candidate = &r.candidate.value;
        if candidate.model.is_none() && candidate.prompt.is_none() {
            self.diags.push(
                Diagnostic::new(Code::RolloutDefinition, "the rollout candidate names neither a model nor a prompt")
                    .label(r.candidate.span, "nothing to roll out")
                    .help("write `candidate: { prompt: <new prompt> }`, `{ model: <new model> }` or both"),
            );
        }
        let mut same_model = candidate.model.is_none();
        if let Some(m) = &candidate.model {
            if let Some(id) = self.chat_model(m, "candidate model") {
                same_model = Some(id) == primary;
                self.check_model_allowed(route.data_class.value, route.data_class.span, id, m.span, "candidate model");
            }
        }
        let mut same_prompt = candidate.prompt.is_none();
        if let Some(p) = &candidate.prompt {
            if self.prompts.resolve(p, &mut self.diags).is_some() {
                same_prompt = route.prompt.as_ref().is_some_and(|rp| rp.value == p.value);
            }
        }
        if same_model && same_prompt && (candidate.model.is_some() || candidate.prompt.is_some()) {
            self.diags.push(
                Diagnostic::new(Code::RedundantReference, "the rollout candidate is what the route already serves")
                    .label(r.candidate.span, "same model and prompt as the route")
                    .help("name the new model or prompt version being rolled out"),
            );
        }
        match (strategy, &r.weight) {
            (Strategy::Canary, None) if !partial => self.diags.push(
                Diagnostic::new(Code::RolloutDefinition, "a canary needs a `weight`")
                    .label(r.strategy.span, "canary")
                    .help("add `weight: 5%`: the share of traffic the candidate takes"),
            ),
            (Strategy::Canary, Some(w)) if w.value.fraction <= 0.0 || w.value.fraction > 0.5 => self.diags.push(
                Diagnostic::new(Code::RolloutDefinition, format!("a canary weight of {} is not a canary", w.value))
                    .label(w.span, "must be more than 0% and at most 50%")
                    .help("start small (1–10%) and raise it step by step; past 50% use `strategy: blue-green`"),
            ),
            (Strategy::Ab, Some(w)) if w.value.fraction <= 0.0 || w.value.fraction >= 1.0 => self.diags.push(
                Diagnostic::new(
                    Code::RolloutDefinition,
                    format!("an A/B split of {} sends everything to one side", w.value),
                )
                .label(w.span, "must be strictly between 0% and 100%")
                .help("split the traffic, e.g. `weight: 50%`"),
            ),
            (Strategy::Shadow, Some(w)) if w.value.fraction <= 0.0 => self.diags.push(
                Diagnostic::new(Code::RolloutDefinition, "a shadow rollout that mirrors 0% of requests")
                    .label(w.span, "must be more than 0%")
                    .help("mirror a share of requests, e.g. `weight: 100%` (default)"),
            ),
            (Strategy::BlueGreen, Some(w)) => self.diags.push(
                Diagnostic::new(Code::ConflictingFields, "a blue-green rollout has no weight")
                    .label(w.span, "blue-green switches all traffic at once")
                    .label(r.strategy.span, "blue-green")
                    .help("remove `weight`; switch sides with `active: candidate`, or use `strategy: canary`"),
            ),
            _ => {}
        }
        if let (Some(active), false) = (&r.active, strategy == Strategy::BlueGreen) {
            self.diags.push(
                Diagnostic::new(
                    Code::ConflictingFields,
                    format!("`active` is for blue-green rollouts, not `{strategy}`"),
                )
                .label(active.span, "only blue-green has an active side")
                .label(r.strategy.span, strategy.as_str())
                .help("remove `active`, or use `strategy: blue-green`"),
            );
        }
        if let Some(eval) = &r.evaluation {
            if let Some(e) = self.evaluations.resolve(eval, &mut self.diags) {
                let covers = self.doc.evaluations.value.entries[e].value.as_ref().is_none_or(|ev| {
                    ev.routes.value.iter().any(|rt| {
                        self.routes
                            .get(rt.value.as_str())
                            .is_some_and(|rid| self.route(rid).is_some_and(|x| std::ptr::eq(x, route)))
                    })
                });
                if !covers {
                    self.diags.push(
                        Diagnostic::new(
                            Code::RolloutDefinition,
                            format!("evaluation `{}` does not evaluate this route", eval.value),
                        )
                        .label(eval.span, "gates the rollout")
                        .help(format!("add the route to `evaluations.{}.routes`", eval.value)),
                    );
                }
            }
        }
    }

    /// Fallbacks that name routes must not loop; a cycle is reported whole, once.
    pub(super) fn check_fallback_cycles(&mut self) {
        let n = self.routes.len();
        let mut graph: DiGraph<usize, Span> = DiGraph::with_capacity(n, n);
        let nodes: Vec<NodeIndex> = (0..n).map(|i| graph.add_node(i)).collect();
        for (id, _, route) in valid_indexed(&self.doc.routes.value) {
            for fallback in &route.fallbacks {
                if let Some(FallbackRef::Route(target)) = self.fallback_ref(fallback.value.as_str()) {
                    graph.add_edge(nodes[id], nodes[target], fallback.span);
                }
            }
        }
        let mut sccs = tarjan_scc(&graph);
        sccs.sort_by_key(|scc| scc.iter().map(|n| n.index()).min());
        for scc in sccs {
            let is_cycle = scc.len() > 1 || graph.contains_edge(scc[0], scc[0]);
            if !is_cycle {
                continue;
            }
            let start = *scc.iter().min_by_key(|n| n.index()).unwrap_or(&scc[0]);
            let path = cycle_path(&graph, start, &scc);
            let names: Vec<&str> = path.iter().map(|(node, _)| self.routes.name(graph[*node])).collect();
            let mut text = names.join(" -> ");
            text.push_str(" -> ");
            text.push_str(self.routes.name(graph[start]));
            let mut d = Diagnostic::new(Code::FallbackCycle, format!("fallbacks form a cycle: `{text}`"));
            for (i, (node, span)) in path.iter().enumerate() {
                let next = path.get(i + 1).map_or(start, |(n, _)| *n);
                let label =
                    format!("`{}` falls back to `{}`", self.routes.name(graph[*node]), self.routes.name(graph[next]));
                d = d.label(*span, label);
            }
            self.diags
                .push(d.help("a failed request would be handed around this loop forever; end the chain with a model"));
        }
    }
}

/// A simple cycle through `start` inside one strongly connected component, as (node, span of the
/// edge leaving it).
fn cycle_path(graph: &DiGraph<usize, Span>, start: NodeIndex, scc: &[NodeIndex]) -> Vec<(NodeIndex, Span)> {
    // Depth-first search for a path back to `start`, staying inside the component.
    let mut stack: Vec<(NodeIndex, Vec<(NodeIndex, Span)>)> = vec![(start, Vec::new())];
    let mut visited = vec![start];
    while let Some((node, path)) = stack.pop() {
        let mut edges: Vec<_> =
            graph.edges(node).map(|e| (petgraph::visit::EdgeRef::target(&e), *e.weight())).collect();
        edges.sort_by_key(|(t, s)| (s.start, t.index()));
        for (target, span) in edges.into_iter().rev() {
            let mut next = path.clone();
            next.push((node, span));
            if target == start {
                return next;
            }
            if scc.contains(&target) && !visited.contains(&target) {
                visited.push(target);
                stack.push((target, next));
            }
        }
    }
    Vec::new()
}

impl DataClassName {
    pub fn rank(self) -> usize {
        DataClassName::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }
}
