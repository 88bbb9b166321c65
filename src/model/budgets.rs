//! What OCI makes of a spec budget: who its alert rules e-mail, which resources a
//! route-scoped budget counts, and which of its routes' spend it cannot see.
//!
//! In: the checked [`System`]. Out: the recipients of the budgets' alert rules, the routes and
//! the route-scoped budget a resource's spend belongs to (the cost-tracking tag values
//! `terraform/` writes), and the blind spots of a route-scoped budget (GO0327).
//!
//! The OCI facts this relies on:
//! - A budget alert rule sends e-mail only, to `recipients`, "the delimited list of email
//!   addresses to receive the alert when it triggers" (comma, space, tab or semicolon):
//!   <https://docs.oracle.com/en-us/iaas/api/#/en/budgets/20190111/AlertRule/>.
//! - A budget targets one compartment or exactly one cost-tracking tag, written
//!   `{tagNamespace}.{tagKey}.{tagValue}` ("the array should contain exactly one item"):
//!   <https://docs.oracle.com/en-us/iaas/api/#/en/budgets/20190111/datatypes/CreateBudgetDetails>.
//!   So one resource counts against at most one route-scoped budget, the one its tag names.
//! - Cost is attributed to tags per resource (the cost report has one row per resource and
//!   hour, with its tags): <https://docs.oracle.com/en-us/iaas/Content/Billing/Concepts/costusagereportsoverview.htm>.
//!   On-demand Generative AI is paid per transaction (characters or tokens) of calls made in
//!   a compartment, not by a resource genops creates and tags:
//!   <https://docs.oracle.com/en-us/iaas/Content/generative-ai/pay-on-demand.htm>. A tag
//!   budget therefore sees a route's dedicated clusters, API deployment and other tagged
//!   resources, never its on-demand calls; external providers bill outside OCI entirely.

use super::{Budget, ClusterId, Fallback, ModelId, RouteId, Serving, System};

/// The addresses every budget alert rule is sent to: the alerts channel's e-mail when it has
/// one, otherwise the members of the rotation the escalation pages first (their addresses are
/// e-mail addresses). Empty when the spec names neither: then nobody is told (GO0325/GO0326).
pub fn recipients(system: &System) -> Vec<String> {
    let Some(oncall) = &system.oncall else { return Vec::new() };
    if let Some(email) = &oncall.channels.alerts.email {
        return vec![email.clone()];
    }
    oncall
        .escalation
        .first()
        .and_then(|step| oncall.rotations.get(step.rotation.0))
        .map(|rotation| rotation.members.clone())
        .unwrap_or_default()
}

/// The models a route's requests can be answered by: its model, its tiers, its rollout
/// candidate, its model fallbacks and the cheaper models budgets downgrade it to. A route
/// fallback is not listed: those requests are the other route's and are billed to it.
pub fn models_of_route(system: &System, route: RouteId) -> Vec<ModelId> {
    let r = system.route(route);
    let mut models = vec![r.model];
    models.extend(r.tiers.iter().map(|t| t.model));
    models.extend(r.rollout.iter().filter_map(|ro| ro.candidate_model));
    models.extend(r.fallbacks.iter().filter_map(|f| match f {
        Fallback::Model(m) => Some(*m),
        Fallback::Route(_) => None,
    }));
    for budget in &system.budgets {
        let downgrades = budget.on_pressure.iter().flat_map(|p| &p.downgrades);
        models.extend(downgrades.filter(|d| d.route == route).map(|d| d.to));
    }
    models.sort();
    models.dedup();
    models
}

/// The routes whose requests can reach `model`, in route order.
pub fn routes_of_model(system: &System, model: ModelId) -> Vec<RouteId> {
    (0..system.routes.len()).map(RouteId).filter(|r| models_of_route(system, *r).contains(&model)).collect()
}

/// The routes whose requests can reach a model hosted on `cluster`, in route order.
pub fn routes_of_cluster(system: &System, cluster: ClusterId) -> Vec<RouteId> {
    routes_of_clusters(system).swap_remove(cluster.0)
}

/// [`routes_of_cluster`] of every cluster, in cluster order, in one pass over the routes.
fn routes_of_clusters(system: &System) -> Vec<Vec<RouteId>> {
    let mut out = vec![Vec::new(); system.clusters.len()];
    for r in (0..system.routes.len()).map(RouteId) {
        for m in models_of_route(system, r) {
            if let Serving::Dedicated(c) = system.model(m).serving {
                if out[c.0].last() != Some(&r) {
                    out[c.0].push(r);
                }
            }
        }
    }
    out
}

/// The route-scoped budget the spend of a resource serving `routes` counts against: the first
/// one, in spec order, whose routes include all of them. `None` for a resource of the whole
/// system (no routes) or one whose routes no single route-scoped budget covers: whole-system
/// budgets count it, route budgets do not.
pub fn budget_of<'s>(system: &'s System, routes: &[RouteId]) -> Option<&'s Budget> {
    if routes.is_empty() {
        return None;
    }
    system.budgets.iter().find(|b| !b.routes.is_empty() && routes.iter().all(|r| b.routes.contains(r)))
}

/// Spend of a route-scoped budget's routes that the budget does not count.
#[derive(Clone, Debug, PartialEq)]
pub enum BlindSpot {
    /// The route can call a model billed per call (on demand: to the compartment, untagged) or
    /// outside OCI (external).
    Untagged { route: RouteId, model: ModelId },
    /// A dedicated cluster the route uses also serves a route outside the budget: its hours are
    /// tagged as shared and count against no route-scoped budget.
    SharedCluster { route: RouteId, cluster: ClusterId, other: RouteId },
    /// An earlier route-scoped budget also lists the route: its resources count against that one.
    CountedElsewhere { route: RouteId, budget: usize },
}

/// What a route-scoped budget cannot see (nothing for a whole-system budget, which counts the
/// compartment, on-demand calls included).
pub fn blind_spots(system: &System, budget: &Budget) -> Vec<BlindSpot> {
    let mut out = Vec::new();
    if budget.routes.is_empty() {
        return out;
    }
    let clusters = routes_of_clusters(system);
    for &route in &budget.routes {
        if let Some(index) = system.budgets.iter().position(|b| !b.routes.is_empty() && b.routes.contains(&route)) {
            if !std::ptr::eq(&system.budgets[index], budget) {
                out.push(BlindSpot::CountedElsewhere { route, budget: index });
                continue;
            }
        }
        for model in models_of_route(system, route) {
            match system.model(model).serving {
                Serving::Dedicated(cluster) => {
                    if let Some(&other) = clusters[cluster.0].iter().find(|o| !budget.routes.contains(o)) {
                        out.push(BlindSpot::SharedCluster { route, cluster, other });
                    }
                }
                Serving::OnDemand | Serving::External => out.push(BlindSpot::Untagged { route, model }),
            }
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system() -> System {
        crate::testing::example("support-assistant").system.expect("the example compiles")
    }

    #[test]
    fn budget_alerts_go_to_the_alerts_email_else_to_the_first_rotation() {
        let mut s = system();
        // The example's alerts channel has no e-mail: the primary rotation is told.
        assert_eq!(recipients(&s).len(), 3);
        assert!(recipients(&s)[0].starts_with("ana.silva@"));
        s.oncall.as_mut().unwrap().channels.alerts.email = Some("alerts@x.example".into());
        assert_eq!(recipients(&s), ["alerts@x.example"]);
        s.oncall = None;
        assert!(recipients(&s).is_empty());
    }

    #[test]
    fn a_resource_counts_against_the_route_budget_that_covers_all_its_routes() {
        let s = system();
        let help = RouteId(s.routes.iter().position(|r| r.name.as_str() == "help-center").unwrap());
        let chat = RouteId(s.routes.iter().position(|r| r.name.as_str() == "chat").unwrap());
        assert_eq!(budget_of(&s, &[help]).map(|b| b.name.as_str()), Some("help-center"));
        assert!(budget_of(&s, &[help, chat]).is_none());
        assert!(budget_of(&s, &[]).is_none());
    }

    #[test]
    fn a_route_budget_is_blind_to_on_demand_calls() {
        let s = system();
        let budget = s.budgets.iter().find(|b| b.name.as_str() == "help-center").unwrap();
        let blind = blind_spots(&s, budget);
        assert!(!blind.is_empty());
        assert!(blind.iter().all(|b| matches!(b, BlindSpot::Untagged { .. })));
        let whole = s.budgets.iter().find(|b| b.routes.is_empty()).unwrap();
        assert!(blind_spots(&s, whole).is_empty());
    }
}
