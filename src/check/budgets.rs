//! Budgets: alert thresholds in order, pressure threshold in range, downgrade targets that
//! exist, are chat models allowed for the route's data class, and stay within the budget's scope.

use super::{Checker, valid_indexed};
use crate::diag::{Code, Diagnostic};
use crate::model::{Fallback, RouteId, Serving, System};

impl Checker<'_> {
    pub(super) fn check_budgets(&mut self) {
        for (index, name, budget) in valid_indexed(&self.doc.budgets.value) {
            let partial = Checker::partial(&self.doc.budgets.value, index);
            if budget.amount.value.0 <= 0.0 {
                self.diags.push(
                    Diagnostic::new(Code::InvalidNumber, format!("budget `{}` has no amount", name.value))
                        .label(budget.amount.span, "must be more than 0")
                        .help("give the spend allowed per period in the system's currency"),
                );
            }
            let scope: Vec<usize> =
                budget.routes.iter().filter_map(|r| self.routes.resolve(r, &mut self.diags)).collect();
            for pair in budget.alerts.windows(2) {
                let (a, b) = (&pair[0].value, &pair[1].value);
                if b.at.value.fraction <= a.at.value.fraction {
                    self.diags.push(
                        Diagnostic::new(
                            Code::BudgetThresholds,
                            format!("budget `{}` alerts are not in increasing order", name.value),
                        )
                        .label(b.at.span, format!("{} comes after {}", b.at.value, a.at.value))
                        .label(a.at.span, "previous alert")
                        .help("list alerts from the lowest threshold to the highest, each once"),
                    );
                }
            }
            for alert in &budget.alerts {
                if alert.value.at.value.fraction <= 0.0 {
                    self.diags.push(
                        Diagnostic::new(
                            Code::BudgetThresholds,
                            "a budget alert at 0% fires at the start of every period",
                        )
                        .label(alert.value.at.span, "must be more than 0%")
                        .help("alert at a share of the amount, e.g. `at: 50%`"),
                    );
                }
            }
            let Some(pressure) = &budget.on_pressure else { continue };
            let p = &pressure.value;
            if p.at.value.fraction <= 0.0 {
                self.diags.push(
                    Diagnostic::new(Code::BudgetThresholds, "budget pressure at 0% acts from the first request")
                        .label(p.at.span, "must be more than 0%")
                        .help("act on pressure late in the budget, e.g. `at: 90%`"),
                );
            }
            if !partial && p.downgrade.0.is_empty() && p.rate_limit.is_none() {
                self.diags.push(
                    Diagnostic::new(Code::MissingField, "budget pressure that does nothing")
                        .label(pressure.span, "no `downgrade` and no `rate_limit`")
                        .help("add `downgrade: { route: <route>, to: <cheaper model> }` and/or `rate_limit: { per_second: N }`"),
                );
            }
            if let Some(rl) = &p.rate_limit {
                if rl.value.per_second.value == 0 {
                    self.diags.push(
                        Diagnostic::new(Code::InvalidNumber, "a pressure rate limit of 0 per second stops the system")
                            .label(rl.value.per_second.span, "at least 1")
                            .help("throttle rather than stop, e.g. `per_second: 10`"),
                    );
                }
            }
            for downgrade in &p.downgrade.0 {
                let d = &downgrade.value;
                let route = self.routes.resolve(&d.route, &mut self.diags);
                let to = self.models.resolve(&d.to, &mut self.diags);
                let (Some(route_id), Some(to)) = (route, to) else { continue };
                if !scope.is_empty() && !scope.contains(&route_id) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DowngradeTarget,
                            format!("route `{}` does not count against budget `{}`", d.route.value, name.value),
                        )
                        .label(d.route.span, "not in the budget's `routes`")
                        .help(format!(
                            "add `{}` to the budget's `routes`, or downgrade a route the budget covers",
                            d.route.value
                        )),
                    );
                }
                let Some(route_def) = self.route(route_id) else { continue };
                if self.model(to).is_some_and(|m| {
                    m.kind.as_ref().is_some_and(|k| k.value == crate::spec::models::ModelKind::Embedding)
                }) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::WrongKind,
                            format!("downgrade target `{}` is an embedding model", d.to.value),
                        )
                        .label(d.to.span, "a route needs a chat model")
                        .help("downgrade to a cheaper chat model"),
                    );
                    continue;
                }
                if route_def.model.value == d.to.value {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DowngradeTarget,
                            format!("route `{}` already uses `{}`", d.route.value, d.to.value),
                        )
                        .label(d.to.span, "no change")
                        .label(route_def.model.span, "the route's model")
                        .help("downgrade to a cheaper model than the route's own"),
                    );
                    continue;
                }
                self.check_model_allowed(
                    route_def.data_class.value,
                    route_def.data_class.span,
                    to,
                    d.to.span,
                    "downgrade target",
                );
            }
        }
    }
}

impl Checker<'_> {
    /// A fallback billed per token spends money exactly when things go wrong: some budget must
    /// count the route's spend, or an outage of the primary becomes an unbounded bill.
    pub(super) fn check_fallback_budgets(&mut self, system: &System) {
        let whole_system = system.budgets.iter().any(|b| b.routes.is_empty());
        if whole_system {
            return;
        }
        let covered: crate::hash::HashSet<RouteId> =
            system.budgets.iter().flat_map(|b| b.routes.iter().copied()).collect();
        for (i, route) in system.routes.iter().enumerate() {
            if covered.contains(&RouteId(i)) {
                continue;
            }
            let Some(spec_route) = self.doc.routes.value.entries[i].value.as_ref() else { continue };
            for (fallback, spec_fallback) in route.fallbacks.iter().zip(&spec_route.fallbacks) {
                let Fallback::Model(m) = fallback else { continue };
                let model = system.model(*m);
                if matches!(model.serving, Serving::Dedicated(_)) {
                    continue;
                }
                let mut d = Diagnostic::new(
                    Code::UnbudgetedFallback,
                    format!(
                        "route `{}` falls back to `{}`, billed per token, and no budget covers the route",
                        route.name, model.name
                    ),
                )
                .label(spec_fallback.span, "paid per call when the primary fails");
                if let Some(first) = self.doc.budgets.value.entries.first() {
                    d = d.label(first.name.span, "this budget does not list the route");
                }
                self.diags.push(d.help(format!(
                    "add `{}` to a budget's `routes` (or give a budget no `routes` to cover the whole system)",
                    route.name
                )));
            }
        }
    }
}

impl Checker<'_> {
    /// OCI e-mails a budget's alert rules to their `recipients` and nothing else
    /// ([`crate::model::budgets::recipients`]): a budget whose rules reach nobody is refused when
    /// it acts on its own (`on_pressure`), and warned about otherwise.
    pub(super) fn check_budget_recipients(&mut self, system: &System) {
        if system.budgets.is_empty() || !crate::model::budgets::recipients(system).is_empty() {
            return;
        }
        let why = match &system.oncall {
            None => "the spec has no `oncall` section",
            Some(_) => "the alerts channel has no `email`, and no rotation with members is paged first",
        };
        for (budget, spec) in system.budgets.iter().zip(&self.doc.budgets.value.entries) {
            let pressure = spec.value.as_ref().and_then(|b| b.on_pressure.as_ref());
            let d = match pressure {
                Some(p) => Diagnostic::new(
                    Code::BudgetActsUntold,
                    format!("budget `{}` acts on pressure, and its alerts reach nobody", budget.name),
                )
                .label(budget.span, format!("OCI e-mails its alert rules to no address: {why}"))
                .label(p.span, "acts on users without anyone told"),
                None => Diagnostic::new(Code::BudgetTellsNobody, format!("budget `{}` alerts nobody", budget.name))
                    .label(budget.span, format!("OCI e-mails its alert rules to no address: {why}")),
            };
            self.diags.push(
                d.help("give `oncall.channels.alerts` an `email`, or an escalation whose first rotation has members"),
            );
        }
    }

    /// A route-scoped budget counts the resources tagged with it; what its routes spend
    /// elsewhere (on-demand calls, shared clusters, another budget) it cannot see
    /// ([`crate::model::budgets::blind_spots`]). One warning a budget, at its first blind route.
    pub(super) fn check_budget_blind_spots(&mut self, system: &System) {
        use crate::model::budgets::{BlindSpot, blind_spots};
        for (budget, spec) in system.budgets.iter().zip(&self.doc.budgets.value.entries) {
            let blind = blind_spots(system, budget);
            let Some(first) = blind.first() else { continue };
            let route_of = |b: &BlindSpot| match b {
                BlindSpot::Untagged { route, .. }
                | BlindSpot::SharedCluster { route, .. }
                | BlindSpot::CountedElsewhere { route, .. } => *route,
            };
            let index = budget.routes.iter().position(|r| *r == route_of(first));
            let spans = spec.value.as_ref().map(|b| &b.routes);
            let span = index.and_then(|i| spans.and_then(|s| s.get(i))).map_or(budget.span, |r| r.span);
            let mut untagged: Vec<String> = Vec::new();
            let mut external = false;
            let mut others: Vec<String> = Vec::new();
            for spot in &blind {
                match spot {
                    BlindSpot::Untagged { model, .. } => {
                        let m = system.model(*model);
                        external |= m.serving == Serving::External;
                        let billed = if m.serving == Serving::External { "external" } else { "on demand" };
                        untagged.push(format!("`{}` ({billed})", m.name));
                    }
                    BlindSpot::SharedCluster { route, cluster, other } => others.push(format!(
                        "cluster `{}` of route `{}` also serves `{}`, outside this budget: its hours count in no route budget",
                        system.cluster(*cluster).name,
                        system.route(*route).name,
                        system.route(*other).name
                    )),
                    BlindSpot::CountedElsewhere { route, budget: other } => others.push(format!(
                        "route `{}` counts against budget `{}`, listed first",
                        system.route(*route).name,
                        system.budgets[*other].name
                    )),
                }
            }
            untagged.sort();
            untagged.dedup();
            let mut reasons = Vec::new();
            if !untagged.is_empty() {
                let billed = if external {
                    "billed per call to the compartment or outside OCI"
                } else {
                    "billed per call to the compartment"
                };
                reasons.push(format!("its routes call {}, {billed}, not to a tagged resource", untagged.join(", ")));
            }
            reasons.extend(others);
            let mut d = Diagnostic::new(
                Code::BudgetBlind,
                format!("budget `{}` cannot see all of its routes' spend: {}", budget.name, reasons[0]),
            )
            .label(span, "OCI counts this budget by its cost-tracking tag");
            for more in &reasons[1..] {
                d = d.note(more.clone());
            }
            self.diags.push(d.help(
                "watch that spend in a budget of the whole system (no `routes`), the routes' cost SLOs or LiteLLM's spend metrics; `genops explain GO0327`",
            ));
        }
    }
}
