//! The cost diagnostics: a route whose cost something depends on but cannot be estimated
//! (GO0316), an estimate over a cost SLO (GO0306), and a budget downgrade to a model that is
//! not cheaper (GO0308).
//!
//! In: the resolved [`System`]. Out: diagnostics. The arithmetic is [`crate::model::cost`].

use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::cost::{CostUnknown, Costs};
use crate::model::{RouteId, System, Traffic};
use crate::spec::slos::Sli;
use crate::spec::units::{Threshold, format_number};

fn money(value: f64) -> String {
    if value >= 1.0 { format!("{value:.2}") } else { format_number((value * 1e6).round() / 1e6) }
}

impl Checker<'_> {
    pub(super) fn check_costs(&mut self, system: &System) {
        let costs = Costs::new(system);
        // Routes whose cost something depends on: a cost SLO or a budget.
        let mut needed: Vec<(RouteId, &str)> = Vec::new();
        for slo in &system.slos {
            if slo.sli == Sli::CostPerQuery {
                needed.push((slo.route, "a cost_per_query SLO"));
            }
        }
        for budget in &system.budgets {
            let scope: Vec<RouteId> = if budget.routes.is_empty() {
                (0..system.routes.len()).map(RouteId).collect()
            } else {
                budget.routes.clone()
            };
            needed.extend(scope.into_iter().map(|r| (r, "a budget")));
        }
        needed.sort_by_key(|(r, _)| *r);
        needed.dedup_by_key(|(r, _)| *r);
        for (route, why) in needed {
            if let Err(unknown) = costs.route(route) {
                let r = system.route(route);
                let (span, what) = match unknown {
                    CostUnknown::NoTraffic => (r.span, "no `traffic:` to estimate from".to_string()),
                    CostUnknown::Unpriced(m) => {
                        (system.model(m).span, format!("model `{}` has no price", system.model(m).name))
                    }
                };
                self.diags.push(
                    Diagnostic::new(Code::CostUnknown, format!("the cost of route `{}` cannot be estimated, and {why} depends on it", r.name))
                        .label(span, what)
                        .help("give the route `traffic: { per_day, input_tokens, output_tokens }` and its models a `price` (on-demand) or their cluster a `price_per_unit_hour`"),
                );
            }
        }
        for (i, slo) in system.slos.iter().enumerate() {
            let (Sli::CostPerQuery, Some(Threshold::Number(limit))) = (slo.sli, slo.threshold) else { continue };
            let Ok(estimate) = costs.route(slo.route) else { continue };
            if estimate.per_query <= limit {
                continue;
            }
            let route = system.route(slo.route);
            let span = self.doc.slos.value.entries[i]
                .value
                .as_ref()
                .and_then(|s| s.threshold.as_ref())
                .map_or(slo.span, |t| t.span);
            self.diags.push(
                Diagnostic::new(
                    Code::CostSlo,
                    format!("route `{}` costs an estimated {} {} per query, over the {} of SLO `{}`", route.name, money(estimate.per_query), system.currency, money(limit), slo.name),
                )
                .label(span, format!("at most {}", money(limit)))
                .label(route.span, format!("estimated {} per query with `{}`", money(estimate.per_query), system.model(route.model).name))
                .help("use a cheaper model, shorten the prompt, send less traffic to an expensive candidate, or raise the threshold"),
            );
        }
        for (b, budget) in system.budgets.iter().enumerate() {
            let Some(pressure) = &budget.on_pressure else { continue };
            for (k, downgrade) in pressure.downgrades.iter().enumerate() {
                let route = system.route(downgrade.route);
                let traffic = route.traffic.unwrap_or(Traffic { per_day: 1, input_tokens: 1000, output_tokens: 1000 });
                let (Ok(current), Ok(target)) = (costs.model(route.model, traffic), costs.model(downgrade.to, traffic))
                else {
                    continue;
                };
                if target < current {
                    continue;
                }
                let spec_to = self.doc.budgets.value.entries[b]
                    .value
                    .as_ref()
                    .and_then(|bd| bd.on_pressure.as_ref())
                    .and_then(|p| p.value.downgrade.0.get(k))
                    .map_or(budget.span, |d| d.value.to.span);
                self.diags.push(
                    Diagnostic::new(
                        Code::DowngradeTarget,
                        format!(
                            "downgrade target `{}` is not cheaper than `{}` on route `{}`",
                            system.model(downgrade.to).name,
                            system.model(route.model).name,
                            route.name
                        ),
                    )
                    .label(spec_to, format!("{} per query, against {} now", money(target), money(current)))
                    .help("under budget pressure, switch to a model that costs less per query"),
                );
            }
        }
    }
}
