//! The budgets in the context: amounts, alert rules, the pressure point with its downgrades
//! and rate limits, the estimated spend of the routes in scope, what OCI counts for it and whom
//! its alert rules e-mail ([`crate::model::budgets`]).
//!
//! In: a spec budget, the LiteLLM plan (the downgrade deployments) and the cost model. Out:
//! [`BudgetCtx`], its rule names as `terraform/budgets.tf` names them.

use std::sync::Arc;

use super::super::object::List;
use super::format::{money, percent};
use super::view::{BudgetAlertCtx, BudgetCtx, DowngradeCtx, LimitCtx, PressureCtx};
use crate::conventions::{display_name, ident};
use crate::emit::litellm;
use crate::model::budgets;
use crate::model::cost::Costs;
use crate::model::{RouteId, System};
use crate::spec::units::format_number;

pub(super) fn budget(system: &System, plan: &litellm::Plan, costs: &Costs, b: &crate::model::Budget) -> BudgetCtx {
    let rule = |label: String| format!("{}-{}", b.name, label);
    let at = |f: f64| format_number(f * 100.0).replace('.', "-");
    let scope: Vec<RouteId> =
        if b.routes.is_empty() { (0..system.routes.len()).map(RouteId).collect() } else { b.routes.clone() };
    let estimates: Vec<Option<f64>> = scope.iter().map(|r| costs.route(*r).ok().map(|e| e.per_month)).collect();
    let estimate = estimates.iter().all(Option::is_some).then(|| money(estimates.iter().flatten().sum()));
    BudgetCtx {
        name: b.name.to_string(),
        amount: money(b.amount),
        currency: system.currency.clone(),
        period: b.period.to_string(),
        routes: b.routes.iter().map(|r| system.route(*r).name.to_string()).collect(),
        alerts: b
            .alerts
            .iter()
            .map(|a| BudgetAlertCtx {
                at: percent(a.at),
                forecast: a.forecast,
                rule: rule(format!("{}-{}", if a.forecast { "forecast" } else { "actual" }, at(a.at))),
            })
            .collect(),
        pressure: b.on_pressure.as_ref().map(|p| {
            Arc::new(PressureCtx {
                at: percent(p.at),
                downgrades: p
                    .downgrades
                    .iter()
                    .map(|d| {
                        let dg = plan
                            .deployments
                            .iter()
                            .find(|x| x.route == Some(d.route) && x.role == litellm::Role::Downgrade);
                        DowngradeCtx {
                            route: system.route(d.route).name.to_string(),
                            from: system.model(system.route(d.route).model).name.to_string(),
                            to: system.model(d.to).name.to_string(),
                            to_id: system.model(d.to).model_id.clone(),
                            deployment: dg.map(|x| x.id.clone()),
                            group: dg.map(|x| x.group.clone()),
                            others: plan
                                .deployments
                                .iter()
                                .filter(|x| dg.is_some_and(|dg| x.group == dg.group && x.id != dg.id))
                                .map(|x| x.id.clone())
                                .collect(),
                        }
                    })
                    .collect(),
                rate_limit: p.rate_limit,
                limits: p.rate_limit.map_or_else(List::default, |rate| split_rate(system, &scope, rate)),
                rule: rule(format!("pressure-{}", at(p.at))),
            })
        }),
        estimate,
        display_name: display_name(system, b.name.as_str()),
        recipients: Some(budgets::recipients(system).join(", ")).filter(|r| !r.is_empty()),
        tag: (!b.routes.is_empty()).then(|| format!("budget = {}", b.name)),
        unseen: unseen(system, b),
    }
}

/// The models of a route budget's routes billed per call: OCI cannot attribute those calls
/// to a tagged resource, so the budget does not count them.
fn unseen(system: &System, b: &crate::model::Budget) -> List<String> {
    let mut models: Vec<String> = budgets::blind_spots(system, b)
        .into_iter()
        .filter_map(|spot| match spot {
            budgets::BlindSpot::Untagged { model, .. } => Some(system.model(model).name.to_string()),
            _ => None,
        })
        .collect();
    models.sort();
    models.dedup();
    models.into_iter().collect()
}

/// A budget's rate limit split over its routes by their expected traffic (evenly when no route
/// declares traffic), at least 1 request per second each.
fn split_rate(system: &System, scope: &[RouteId], rate: u32) -> List<Arc<LimitCtx>> {
    let weights: Vec<f64> = scope.iter().map(|r| system.route(*r).traffic.map_or(0.0, |t| t.per_day as f64)).collect();
    let total: f64 = weights.iter().sum();
    scope
        .iter()
        .zip(&weights)
        .map(|(r, w)| {
            let share = if total > 0.0 { w / total } else { 1.0 / scope.len() as f64 };
            let name = system.route(*r).name.as_str();
            LimitCtx {
                route: name.to_string(),
                per_second: ((rate as f64 * share).floor() as u64).max(1),
                deployment: format!("oci_apigateway_deployment.{}", ident(name)),
            }
        })
        .collect()
}
