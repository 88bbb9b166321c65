//! Cost arithmetic: the estimated cost of one query on a route and of one call to a model.
//!
//! In: the checked [`System`]. Out: [`CostEstimate`]s, or why a cost is unknown. The check stage
//! holds them to the cost SLOs and budget downgrades (`check/cost.rs`), `genops cost` reports
//! them, the LiteLLM config orders downgrades by them and the runbooks quote them.
//!
//! On-demand and external models cost their per-token price times the route's average tokens.
//! A dedicated model costs its cluster's hours (730 a month) shared over the requests of every
//! route whose primary model runs on that cluster. A rollout mixes in its candidate: canary and
//! A/B by weight, shadow adds the mirrored share, blue-green counts the active side.

use super::{ModelId, RouteId, Serving, System, Traffic};
use crate::spec::routes::Strategy;

/// Hours in an average month, as cloud price lists count them.
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Days in an average month.
pub const DAYS_PER_MONTH: f64 = 30.4;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostEstimate {
    pub per_query: f64,
    pub per_month: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CostUnknown {
    NoTraffic,
    Unpriced(ModelId),
}

/// Cost arithmetic over one system: the planned load of every dedicated cluster is the
/// system's [`crate::model::Analysis`], so estimating every route is linear in the routes.
pub struct Costs<'a> {
    system: &'a System,
}

/// Requests a day each dedicated cluster serves by plan, in cluster order: each route's traffic
/// split between its primary model and its rollout candidate (canary and A/B by weight, shadow
/// adds the mirrored share, blue-green the active side). Fallbacks and tiers are not planned
/// traffic. Made once per system ([`System::analysed`]).
pub fn cluster_requests_per_day(system: &System) -> Vec<f64> {
    let mut cluster_per_day = vec![0.0; system.clusters.len()];
    for r in &system.routes {
        let Some(t) = r.traffic else { continue };
        let per_day = t.per_day as f64;
        let (primary_share, candidate) = match r.rollout {
            Some(ro) => {
                let primary_share = match (ro.strategy, ro.candidate_model) {
                    (Strategy::Shadow, _) | (_, None) => 1.0,
                    _ => 1.0 - ro.weight,
                };
                (primary_share, ro.candidate_model.map(|m| (m, ro.weight)))
            }
            None => (1.0, None),
        };
        if let Serving::Dedicated(c) = system.model(r.model).serving {
            cluster_per_day[c.0] += primary_share * per_day;
        }
        if let Some((m, share)) = candidate {
            if let Serving::Dedicated(c) = system.model(m).serving {
                cluster_per_day[c.0] += share * per_day;
            }
        }
    }
    cluster_per_day
}

impl<'a> Costs<'a> {
    pub fn new(system: &'a System) -> Costs<'a> {
        Costs { system }
    }

    /// Requests a day `cluster` serves by plan ([`cluster_requests_per_day`]).
    pub fn cluster_requests_per_day(&self, cluster: super::ClusterId) -> f64 {
        self.system.analysis.cluster_requests_per_day[cluster.0]
    }

    /// Estimated cost of one query on `route` (and per month at its expected traffic).
    pub fn route(&self, route: RouteId) -> Result<CostEstimate, CostUnknown> {
        let r = self.system.route(route);
        let traffic = r.traffic.ok_or(CostUnknown::NoTraffic)?;
        let primary = self.model(r.model, traffic)?;
        let per_query = match r.rollout {
            None => primary,
            Some(rollout) => {
                let candidate = match rollout.candidate_model {
                    Some(m) => self.model(m, traffic)?,
                    None => primary,
                };
                let w = rollout.weight;
                match rollout.strategy {
                    Strategy::Canary | Strategy::Ab | Strategy::BlueGreen => (1.0 - w) * primary + w * candidate,
                    Strategy::Shadow => primary + w * candidate,
                }
            }
        };
        Ok(CostEstimate { per_query, per_month: per_query * traffic.per_day as f64 * DAYS_PER_MONTH })
    }

    /// The hourly cost of dedicated capacity that falls on `route`, in the system's currency:
    /// for each dedicated cluster that serves the route by plan (its primary model, its rollout
    /// candidate), the cluster's hourly cost times the route's share of the cluster's planned
    /// requests ([`cluster_requests_per_day`]). A cluster with no planned traffic is shared
    /// evenly by the routes it serves. LiteLLM reports a dedicated deployment's spend as 0, so
    /// cost-per-query SLIs add this, spread over the route's requests, to the metered spend.
    /// 0 for a route served on demand only; unpriced clusters count 0.
    pub fn dedicated_per_hour(&self, route: RouteId) -> f64 {
        let system = self.system;
        let r = system.route(route);
        let mut shares: Vec<(super::ClusterId, f64)> = Vec::new();
        let primary_share = match r.rollout {
            Some(ro) => match (ro.strategy, ro.candidate_model) {
                (Strategy::Shadow, _) | (_, None) => 1.0,
                _ => 1.0 - ro.weight,
            },
            None => 1.0,
        };
        if let Serving::Dedicated(c) = system.model(r.model).serving {
            shares.push((c, primary_share));
        }
        if let Some(ro) = r.rollout {
            if let Some(m) = ro.candidate_model {
                if let Serving::Dedicated(c) = system.model(m).serving {
                    shares.push((c, ro.weight));
                }
            }
        }
        let mut total = 0.0;
        for (cluster, share) in shares {
            let c = system.cluster(cluster);
            let Some(price) = c.price_per_unit_hour else { continue };
            let hourly = price * c.units as f64;
            let planned = self.cluster_requests_per_day(cluster);
            let fraction = match r.traffic {
                Some(t) if planned > 0.0 => share * t.per_day as f64 / planned,
                // Nobody planned traffic on this cluster: share it evenly by the routes on it.
                _ if planned <= 0.0 => {
                    let routes = system
                        .routes
                        .iter()
                        .filter(|o| {
                            system.model(o.model).serving == Serving::Dedicated(cluster)
                                || o.rollout
                                    .and_then(|ro| ro.candidate_model)
                                    .is_some_and(|m| system.model(m).serving == Serving::Dedicated(cluster))
                        })
                        .count();
                    1.0 / routes.max(1) as f64
                }
                _ => 0.0,
            };
            total += hourly * fraction;
        }
        total
    }

    /// Cost of one call to `model` with a route's average tokens.
    pub fn model(&self, model: ModelId, traffic: Traffic) -> Result<f64, CostUnknown> {
        let m = self.system.model(model);
        match m.serving {
            Serving::Dedicated(cluster) => {
                let c = self.system.cluster(cluster);
                let hourly = c.price_per_unit_hour.ok_or(CostUnknown::Unpriced(model))?;
                let monthly = hourly * c.units as f64 * HOURS_PER_MONTH;
                // A cluster used only as a fallback has no planned traffic: its whole cost falls
                // on the requests that reach it, counted as this route's.
                let planned = self.cluster_requests_per_day(cluster);
                let per_day = if planned > 0.0 { planned } else { traffic.per_day.max(1) as f64 };
                Ok(monthly / (per_day * DAYS_PER_MONTH))
            }
            Serving::OnDemand | Serving::External => {
                let p = m.price.ok_or(CostUnknown::Unpriced(model))?;
                Ok(traffic.input_tokens as f64 / 1000.0 * p.input_per_1k
                    + traffic.output_tokens as f64 / 1000.0 * p.output_per_1k)
            }
        }
    }
}

/// Estimated cost of one query on `route`. Builds [`Costs`] each call: for many routes, build
/// it once and call [`Costs::route`].
pub fn estimate_cost_per_query(system: &System, route: RouteId) -> Result<CostEstimate, CostUnknown> {
    Costs::new(system).route(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dedicated hourly cost of the routes adds up to the cost of the clusters they use.
    #[test]
    fn dedicated_hourly_cost_is_shared_by_the_routes_of_a_cluster() {
        for name in crate::testing::EXAMPLES {
            let compiled = crate::testing::example(name);
            let system = compiled.system.as_ref().expect("example compiles");
            let costs = Costs::new(system);
            let routes: f64 = (0..system.routes.len()).map(|r| costs.dedicated_per_hour(RouteId(r))).sum();
            let clusters: f64 =
                system.clusters.iter().filter_map(|c| c.price_per_unit_hour.map(|p| p * c.units as f64)).sum();
            assert!((routes - clusters).abs() <= 1e-9 * clusters.max(1.0), "{name}: {routes} vs {clusters}");
        }
    }
}
