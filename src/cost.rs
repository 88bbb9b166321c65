//! `genops cost`: the estimated monthly cost of each route and model, against the budgets and
//! the cost SLOs. The arithmetic is [`crate::model::cost`]; this only arranges it.

use serde::Serialize;

use crate::model::cost::{CostEstimate, Costs};
use crate::model::{RouteId, System};
use crate::spec::slos::Sli;
use crate::spec::units::{Threshold, format_number};

#[derive(Serialize)]
pub struct CostReport {
    pub version: u32,
    pub currency: String,
    pub routes: Vec<RouteCost>,
    pub budgets: Vec<BudgetCost>,
    pub slos: Vec<SloCost>,
    /// Sum over the routes whose cost is known.
    pub total_per_month: f64,
}

#[derive(Serialize)]
pub struct RouteCost {
    pub route: String,
    pub model: String,
    /// `None` when the route has no traffic or an unpriced model.
    pub per_query: Option<f64>,
    pub per_month: Option<f64>,
}

#[derive(Serialize)]
pub struct BudgetCost {
    pub budget: String,
    pub amount: f64,
    pub estimated: f64,
    pub share: f64,
    /// Routes in the budget's scope whose cost is unknown.
    pub unknown_routes: Vec<String>,
}

#[derive(Serialize)]
pub struct SloCost {
    pub slo: String,
    pub route: String,
    pub threshold: f64,
    pub estimated: Option<f64>,
}

impl CostReport {
    pub fn build(system: &System) -> CostReport {
        let estimates: Vec<Option<CostEstimate>> = {
            let costs = Costs::new(system);
            (0..system.routes.len()).map(|i| costs.route(RouteId(i)).ok()).collect()
        };
        let routes = system
            .routes
            .iter()
            .zip(&estimates)
            .map(|(r, e)| RouteCost {
                route: r.name.to_string(),
                model: system.model(r.model).name.to_string(),
                per_query: e.map(|e| e.per_query),
                per_month: e.map(|e| e.per_month),
            })
            .collect();
        let budgets = system
            .budgets
            .iter()
            .map(|b| {
                let scope: Vec<RouteId> = if b.routes.is_empty() {
                    (0..system.routes.len()).map(RouteId).collect()
                } else {
                    b.routes.clone()
                };
                let estimated = scope.iter().filter_map(|r| estimates[r.0]).map(|e| e.per_month).sum::<f64>();
                BudgetCost {
                    budget: b.name.to_string(),
                    amount: b.amount,
                    estimated,
                    share: if b.amount > 0.0 { estimated / b.amount } else { 0.0 },
                    unknown_routes: scope
                        .iter()
                        .filter(|r| estimates[r.0].is_none())
                        .map(|r| system.route(*r).name.to_string())
                        .collect(),
                }
            })
            .collect();
        let slos = system
            .slos
            .iter()
            .filter_map(|s| match (s.sli, s.threshold) {
                (Sli::CostPerQuery, Some(Threshold::Number(t))) => Some(SloCost {
                    slo: s.name.to_string(),
                    route: system.route(s.route).name.to_string(),
                    threshold: t,
                    estimated: estimates[s.route.0].map(|e| e.per_query),
                }),
                _ => None,
            })
            .collect();
        CostReport {
            version: 1,
            currency: system.currency.clone(),
            routes,
            budgets,
            slos,
            total_per_month: estimates.iter().flatten().map(|e| e.per_month).sum(),
        }
    }

    pub fn to_text(&self) -> String {
        let cur = &self.currency;
        let mut out =
            format!("{:<24} {:<24} {:>14} {:>14}\n", "route", "model", format!("{cur}/query"), format!("{cur}/month"));
        for r in &self.routes {
            out.push_str(&format!(
                "{:<24} {:<24} {:>14} {:>14}\n",
                r.route,
                r.model,
                r.per_query.map_or("unknown".into(), per_query),
                r.per_month.map_or("unknown".into(), |m| format!("{m:.2}"))
            ));
        }
        out.push_str(&format!(
            "{:<24} {:<24} {:>14} {:>14}\n",
            "total",
            "",
            "",
            format!("{:.2}", self.total_per_month)
        ));
        if !self.budgets.is_empty() {
            out.push_str("\nbudgets\n");
            for b in &self.budgets {
                let unknown = if b.unknown_routes.is_empty() {
                    String::new()
                } else {
                    format!(" (unknown: {})", b.unknown_routes.join(", "))
                };
                out.push_str(&format!(
                    "  {:<22} {:>10.2} of {:>10.2} {cur}  {:>5.1}%{unknown}\n",
                    b.budget,
                    b.estimated,
                    b.amount,
                    b.share * 100.0
                ));
            }
        }
        if !self.slos.is_empty() {
            out.push_str("\ncost SLOs\n");
            for s in &self.slos {
                let verdict = match s.estimated {
                    Some(e) if e <= s.threshold => "ok",
                    Some(_) => "OVER",
                    None => "unknown",
                };
                out.push_str(&format!(
                    "  {:<22} {:>12} ≤ {:<10} {verdict}\n",
                    s.slo,
                    s.estimated.map_or("unknown".into(), per_query),
                    format_number(s.threshold)
                ));
            }
        }
        out
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

fn per_query(v: f64) -> String {
    format_number((v * 1e6).round() / 1e6)
}
