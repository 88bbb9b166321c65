//! The worst case a caller can wait on a route before it gets an answer or an error.
//!
//! In: the checked [`System`] and a route. Out: a [`Duration`]: (1 + retries) × timeout + the
//! backoff waits, then one more timeout per fallback model (fallbacks are tried once), and a
//! fallback route's own worst case. The check stage holds it to OCI API Gateway's read timeout
//! and the latency SLOs (`check/latency.rs`); `gateway.tf` sets each deployment's read timeout
//! to it, and the runbooks quote it.

use super::{Fallback, RouteId, System};
use crate::spec::units::Duration;

/// Fallback routes nest at most this deep (cycles are refused before this runs).
pub const MAX_FALLBACK_DEPTH: usize = 64;

/// The longest a request to `route` can take before the caller gets an answer or an error.
pub fn worst_case_latency(system: &System, route: RouteId) -> Duration {
    Duration::from_millis(worst(system, route, 0))
}

fn worst(system: &System, id: RouteId, depth: usize) -> u64 {
    let route = system.route(id);
    let attempts = 1 + route.retries.attempts as u64;
    let mut total = route.timeout.millis.saturating_mul(attempts);
    total = route.retries.waits().fold(total, |t, w| t.saturating_add(w.millis));
    for fallback in &route.fallbacks {
        let extra = match fallback {
            Fallback::Model(_) => route.timeout.millis,
            Fallback::Route(r) if depth < MAX_FALLBACK_DEPTH => worst(system, *r, depth + 1),
            Fallback::Route(_) => 0,
        };
        total = total.saturating_add(extra);
    }
    total
}
