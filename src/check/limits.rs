//! OCI service limits the generated infrastructure would run into at `terraform apply`.
//!
//! In: the resolved [`System`]. Out: warnings.
//! - GO0404: the system needs more API gateways than a tenancy gets by default. Every route is
//!   an API deployment and a gateway holds at most 20 of them ([`crate::model::gateways`]), so
//!   every 20 routes of a network need another gateway; OCI allows 5 active gateways per
//!   Pay-as-You-Go tenancy and 50 with Universal Credits unless the limit was raised.
//! - GO0405: the system has so many OCI Monitoring alarms that Terraform spends more than ten
//!   minutes on them: OCI accepts at most 10 alarm operations a second per tenancy, and every
//!   `terraform plan` reads each alarm again ([`crate::model::alerts::oci_alarm_counts`]).
//!
//! Warnings, not errors: genops cannot see the tenancy's limits or what else runs in it, and a
//! raised limit or a patient pipeline makes the design sound.

use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::model::System;
use crate::model::alerts::{OciAlarmOwner, oci_alarm_counts};
use crate::model::gateways::{self, DEFAULT_GATEWAY_LIMITS, DEPLOYMENTS_PER_GATEWAY};
use crate::spec::units::Duration;

/// OCI Monitoring throttles alarm operations (create, get, update, delete, list) above this
/// rate per tenancy: "Limits on Monitoring", and the note on every alarm call of the API.
pub const ALARM_OPERATIONS_PER_SECOND: usize = 10;

/// The time of alarm operations past which a system is warned about: ten minutes of a
/// `terraform plan` only reading alarms.
pub const ALARM_OPERATIONS_WARNED_SECONDS: usize = 600;

impl Checker<'_> {
    pub(super) fn check_gateway_limits(&mut self, system: &System) {
        let assigned = &system.analysis.gateways;
        let needed = gateways::count(assigned);
        let Some(&limit) = DEFAULT_GATEWAY_LIMITS.iter().rev().find(|&&limit| needed > limit) else {
            return;
        };
        // The route whose deployment needs the first gateway over the limit.
        let mut opened = crate::hash::HashSet::default();
        let Some((route, gateway)) =
            system.routes.iter().zip(assigned).find(|(_, g)| opened.insert(**g) && opened.len() > limit)
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

    pub(super) fn check_alarm_operations(&mut self, system: &System) {
        let counts = oci_alarm_counts(system);
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        let warned = ALARM_OPERATIONS_WARNED_SECONDS * ALARM_OPERATIONS_PER_SECOND;
        if total <= warned {
            return;
        }
        // What owns the first alarm past the ten minutes, in the order `monitoring.tf` lists them.
        let mut seen = 0;
        let Some(&(owner, _)) = counts.iter().find(|(_, n)| {
            seen += n;
            seen > warned
        }) else {
            return;
        };
        let slo = |i: usize| &system.slos[i];
        let (span, what) = match owner {
            OciAlarmOwner::SloBurnRate(i) => (slo(i).span, "a burn-rate alarm of this SLO".to_string()),
            OciAlarmOwner::SloThreshold(i) => (slo(i).span, "the threshold alarm of this SLO".to_string()),
            OciAlarmOwner::Route(i, kind) => (system.routes[i].span, format!("this route's `{}` alarm", kind.as_str())),
            OciAlarmOwner::Evaluation(i) => (system.evaluations[i].span, "this evaluation's quality alarm".to_string()),
            OciAlarmOwner::System(kind) => match &self.doc.oncall {
                Some(oncall) => (oncall.span, format!("the system's `{}` alarm", kind.as_str())),
                None => return,
            },
        };
        let minutes = total.div_ceil(ALARM_OPERATIONS_PER_SECOND * 60) as u64;
        let least = Duration::from_millis(minutes * 60_000);
        self.diags.push(
            Diagnostic::new(
                Code::AlarmOperations,
                format!(
                    "this system has {} OCI alarms: at OCI's {ALARM_OPERATIONS_PER_SECOND} alarm operations a second, every `terraform plan` spends at least {least} reading them",
                    thousands(total)
                ),
            )
            .label(
                span,
                format!(
                    "alarm {} of {} is {what}: from here on, past {}m of alarm operations",
                    thousands(warned + 1),
                    thousands(total),
                    ALARM_OPERATIONS_WARNED_SECONDS / 60
                ),
            )
            .help(format!(
                "OCI Monitoring throttles alarm operations at {ALARM_OPERATIONS_PER_SECOND} a second per tenancy, shared with everything else in it: the first `terraform apply` creates the alarms at that pace (retrying on 429), and every plan reads each of them again. Split the routes over several systems, each with its own Terraform state and at most {} alarms, or plan with `-refresh=false` when only the spec changed",
                thousands(warned)
            )),
        );
    }
}

/// `72103` → `72,103`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(6_000), "6,000");
        assert_eq!(thousands(72_103), "72,103");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
