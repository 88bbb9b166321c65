//! Which OCI API gateway each route's deployment lives on.
//!
//! In: the checked [`System`]. Out: a [`Gateway`] per route. Every route gets its own API
//! deployment (its own path, authentication, rate limit, logs and timeouts are deployment
//! settings in OCI), and OCI allows at most [`DEPLOYMENTS_PER_GATEWAY`] active deployments on a
//! gateway — a limit Oracle does not raise. So the routes of each network (public, private)
//! fill that network's gateways in spec order, 20 to a gateway: the first gateway of a network
//! keeps the plain name (`public`), the next are `public_2`, `public_3` … A route keeps its
//! gateway as long as the routes of its network before it stay; inserting or removing one
//! earlier moves the later ones to the next or previous gateway, which `genops plan` shows as
//! a change of their deployments' `gateway_id` (Terraform replaces them: a new hostname).
//! Also the limits of OCI API Gateway that the checks warn or refuse at and `gateway.tf` follows.

use super::System;
use crate::spec::data_classes::Network;
use crate::spec::units::Duration;

/// OCI API Gateway's limit of active deployments per gateway (not raisable).
pub const DEPLOYMENTS_PER_GATEWAY: usize = 20;

/// OCI API Gateway's longest backend read timeout: a deployment's read timeout is the route's
/// worst case, and a longer worst case is refused (GO0320).
pub const GATEWAY_MAX_READ_TIMEOUT: Duration = Duration { millis: 300_000 };

/// OCI's default limits of active API gateways per tenancy: Pay-as-You-Go (and promotions),
/// then Universal Credits. Both can be raised on request.
pub const DEFAULT_GATEWAY_LIMITS: [usize; 2] = [5, 50];

/// One API gateway: its network and its number among that network's gateways (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gateway {
    pub network: Network,
    pub number: usize,
}

impl Gateway {
    /// The Terraform resource name: `public`, then `public_2`, `public_3` …
    pub fn resource(self) -> String {
        match self.number {
            1 => self.network.as_str().to_string(),
            n => format!("{}_{n}", self.network),
        }
    }

    /// The suffix of its display name: `public-gateway`, then `public-gateway-2` …
    pub fn display(self) -> String {
        match self.number {
            1 => format!("{}-gateway", self.network),
            n => format!("{}-gateway-{n}", self.network),
        }
    }
}

/// The gateway of every route, in route order.
pub fn assign(system: &System) -> Vec<Gateway> {
    let mut seen = [0usize; Network::ALL.len()];
    system
        .routes
        .iter()
        .map(|route| {
            let network = system.policy(route.data_class).network;
            let count = &mut seen[network as usize];
            *count += 1;
            Gateway { network, number: (*count - 1) / DEPLOYMENTS_PER_GATEWAY + 1 }
        })
        .collect()
}

/// How many gateways the routes need in all.
pub fn count(gateways: &[Gateway]) -> usize {
    let mut last = [0usize; Network::ALL.len()];
    for g in gateways {
        last[g.network as usize] = last[g.network as usize].max(g.number);
    }
    last.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_first_gateway_and_number_the_others() {
        let first = Gateway { network: Network::Public, number: 1 };
        let third = Gateway { network: Network::Private, number: 3 };
        assert_eq!((first.resource(), first.display()), ("public".into(), "public-gateway".into()));
        assert_eq!((third.resource(), third.display()), ("private_3".into(), "private-gateway-3".into()));
    }

    #[test]
    fn each_network_fills_its_gateways_twenty_routes_at_a_time() {
        let c = crate::testing::synthetic(130);
        let system = c.system.expect("a valid synthetic system");
        let gateways = assign(&system);
        assert_eq!(gateways.len(), 130);
        for network in [Network::Public, Network::Private] {
            let numbers: Vec<usize> = gateways.iter().filter(|g| g.network == network).map(|g| g.number).collect();
            assert!(!numbers.is_empty(), "the synthetic system has {network} routes");
            let expected: Vec<usize> = (0..numbers.len()).map(|i| i / DEPLOYMENTS_PER_GATEWAY + 1).collect();
            assert_eq!(numbers, expected, "{network}: in spec order, 20 to a gateway");
        }
        let public = gateways.iter().filter(|g| g.network == Network::Public).count();
        assert_eq!(count(&gateways), public.div_ceil(20) + (130 - public).div_ceil(20));
    }
}
