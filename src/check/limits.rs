//! OCI service limits the generated infrastructure would run into at `terraform apply`.
//!
//! In: the resolved [`System`]. Out: a warning (GO0404) when the system needs more API
//! gateways than a tenancy gets by default. Every route is an API deployment and a gateway
//! holds at most 20 of them ([`crate::model::gateways`]), so every 20 routes of a network need
//! another gateway; OCI allows 5 active gateways per Pay-as-You-Go tenancy and 50 with
//! Universal Credits unless the limit was raised. A warning, not an error: genops cannot see
//! the tenancy's limits, and a raised limit makes the design sound.

use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::System;
use crate::model::gateways::{self, DEFAULT_GATEWAY_LIMITS, DEPLOYMENTS_PER_GATEWAY};

impl Checker<'_> {
    pub(super) fn check_gateway_limits(&mut self, system: &System) {
        let assigned = gateways::assign(system);
        let needed = gateways::count(&assigned);
        let Some(&limit) = DEFAULT_GATEWAY_LIMITS.iter().rev().find(|&&limit| needed > limit) else {
            return;
        };
        // The route whose deployment needs the first gateway over the limit.
        let mut opened = std::collections::HashSet::new();
        let Some((route, gateway)) =
            system.routes.iter().zip(&assigned).find(|(_, g)| opened.insert(**g) && opened.len() > limit)
        else {
            return;
        };
        let [payg, credits] = DEFAULT_GATEWAY_LIMITS;
        let default = if limit == credits {
            format!("the {credits} a tenancy gets by default with Universal Credits ({payg} with Pay-as-You-Go)")
        } else {
            format!("the {payg} a Pay-as-You-Go tenancy gets by default ({credits} with Universal Credits)")
        };
        self.diags.push(
            Diagnostic::new(Code::GatewayLimit, format!("this system needs {needed} OCI API gateways, more than {default}"))
            .label(
                route.span,
                format!(
                    "API gateway {} of {needed} (`{}`): each gateway holds at most {DEPLOYMENTS_PER_GATEWAY} routes",
                    limit + 1,
                    gateway.resource()
                ),
            )
            .help(format!(
                "check the tenancy's API Gateway limit `gateway-count` (Governance: Limits, Quotas and Usage) and ask Oracle to raise it to at least {needed} before `terraform apply`, or split the routes over several systems; the {DEPLOYMENTS_PER_GATEWAY} deployments per gateway cannot be raised"
            )),
        );
    }
}
