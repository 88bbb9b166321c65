//! Timing checks: the worst case a caller can wait on a route ([`worst_case_latency`]) against
//! OCI API Gateway's read timeout and the route's latency SLOs; and the data-class rule applied
//! through fallback routes.
//!
//! The worst case is the deadline the gateway must allow; a latency SLO whose threshold is
//! below it counts every request that takes the fallback path as slow, so genops refuses it.

use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::gateways::GATEWAY_MAX_READ_TIMEOUT;
use crate::model::latency::{MAX_FALLBACK_DEPTH, worst_case_latency};
use crate::model::{Fallback, RouteId, System};
use crate::spec::slos::Sli;
use crate::spec::units::Threshold;

/// The breakdown shown in the diagnostic.
fn explain(system: &System, id: RouteId) -> String {
    let route = system.route(id);
    let attempts = 1 + route.retries.attempts;
    let waits: Vec<String> = route.retries.waits().map(|w| w.to_string()).collect();
    let mut parts = vec![format!("{attempts} × {} timeout", route.timeout)];
    if !waits.is_empty() {
        parts.push(format!("backoff {}", waits.join(" + ")));
    }
    for fallback in &route.fallbacks {
        match fallback {
            Fallback::Model(m) => parts.push(format!("fallback `{}` {}", system.model(*m).name, route.timeout)),
            Fallback::Route(r) => {
                parts.push(format!("fallback route `{}` {}", system.route(*r).name, worst_case_latency(system, *r)))
            }
        }
    }
    parts.join(" + ")
}

impl Checker<'_> {
    pub(super) fn check_latency(&mut self, system: &System) {
        for (i, route) in system.routes.iter().enumerate() {
            let worst = worst_case_latency(system, crate::model::RouteId(i));
            if worst <= GATEWAY_MAX_READ_TIMEOUT {
                continue;
            }
            let span = self.doc.routes.value.entries[i]
                .value
                .as_ref()
                .and_then(|r| r.timeout.as_ref())
                .map_or(route.span, |t| t.span);
            self.diags.push(
                Diagnostic::new(
                    Code::GatewayTimeout,
                    format!("route `{}` can take {worst}, but OCI API Gateway cuts a backend call at {GATEWAY_MAX_READ_TIMEOUT}", route.name),
                )
                .label(span, format!("worst case: {}", explain(system, crate::model::RouteId(i))))
                .help("shorten the timeout, retry less or drop a fallback: callers would get a gateway timeout while the chain still runs"),
            );
        }
        for (i, slo) in system.slos.iter().enumerate() {
            let (Sli::Latency, Some(Threshold::Duration(threshold))) = (slo.sli, slo.threshold) else {
                continue;
            };
            let worst = worst_case_latency(system, slo.route);
            if worst <= threshold {
                continue;
            }
            let route = system.route(slo.route);
            let spec_route = self.doc.routes.value.entries[slo.route.0].value.as_ref();
            let spec_slo = self.doc.slos.value.entries[i].value.as_ref();
            let timeout_span = spec_route.and_then(|r| r.timeout.as_ref()).map_or(route.span, |t| t.span);
            let mut d = Diagnostic::new(
                Code::LatencyBudget,
                format!(
                    "route `{}` can take {worst} in the worst case, over the {threshold} of SLO `{}`",
                    route.name, slo.name
                ),
            )
            .label(timeout_span, format!("worst case: {}", explain(system, slo.route)));
            if let Some(t) = spec_slo.and_then(|s| s.threshold.as_ref()) {
                d = d.label(
                    t.span,
                    format!(
                        "p{} must stay under {threshold}",
                        slo.percentile.map_or("95".into(), crate::spec::units::format_number)
                    ),
                );
            }
            self.diags.push(d.help(
                "shorten the timeout, retry less, or drop a fallback so the whole chain fits the threshold; or raise the threshold if callers really wait that long",
            ));
        }
    }

    /// Every model reached through a fallback route must be allowed for the first route's class.
    pub(super) fn check_fallback_route_classes(&mut self, system: &System) {
        for (i, route) in system.routes.iter().enumerate() {
            let Some(spec_route) = self.doc.routes.value.entries[i].value.as_ref() else { continue };
            for (fallback, spec_fallback) in route.fallbacks.iter().zip(&spec_route.fallbacks) {
                let Fallback::Route(target) = fallback else { continue };
                let mut models = Vec::new();
                reachable_models(system, *target, 0, &mut models);
                models.sort();
                models.dedup();
                for m in models {
                    let through = system.route(*target).name.to_string();
                    self.check_model_allowed_via(
                        route.data_class,
                        spec_route.data_class.span,
                        m.0,
                        spec_fallback.span,
                        "model",
                        Some(&through),
                    );
                }
            }
        }
    }
}

fn reachable_models(system: &System, id: RouteId, depth: usize, out: &mut Vec<crate::model::ModelId>) {
    if depth > MAX_FALLBACK_DEPTH {
        return;
    }
    let route = system.route(id);
    out.push(route.model);
    out.extend(route.tiers.iter().map(|t| t.model));
    out.extend(route.rollout.iter().filter_map(|r| r.candidate_model));
    for fallback in &route.fallbacks {
        match fallback {
            Fallback::Model(m) => out.push(*m),
            Fallback::Route(r) => reachable_models(system, *r, depth + 1, out),
        }
    }
}
