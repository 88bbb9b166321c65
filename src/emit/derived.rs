//! What several targets derive from the same system, made once per emission.
//!
//! In: a checked [`System`]. Out: on demand, its alerts (the Prometheus rules, the OpenSLO
//! file, the OCI alarms and the runbooks all list them) and its LiteLLM routing plan (the
//! gateway config and the runbooks read it). The targets are emitted in parallel: whichever
//! asks first makes a value, the others wait for it and share it, instead of each target
//! making its own (at 10,000 routes, four copies of 110,000 alerts and two of the plan).

use std::sync::OnceLock;

use super::litellm;
use crate::model::System;
use crate::model::alerts::{self, SloAlert, ThresholdAlert};

pub struct Derived<'s> {
    pub system: &'s System,
    slo_alerts: OnceLock<Vec<Vec<SloAlert<'s>>>>,
    threshold_alerts: OnceLock<Vec<ThresholdAlert>>,
    routing: OnceLock<litellm::Plan>,
}

impl<'s> Derived<'s> {
    /// Nothing is made yet.
    pub fn new(system: &'s System) -> Derived<'s> {
        Derived { system, slo_alerts: OnceLock::new(), threshold_alerts: OnceLock::new(), routing: OnceLock::new() }
    }

    /// The burn-rate alerts of each SLO, indexed like `system.slos` ([`alerts::slo_alerts_by_slo`]).
    pub fn slo_alerts(&self) -> &[Vec<SloAlert<'s>>] {
        self.slo_alerts.get_or_init(|| alerts::slo_alerts_by_slo(self.system))
    }

    /// The threshold alerts of the SLOs and incident types ([`alerts::threshold_alerts`]).
    pub fn threshold_alerts(&self) -> &[ThresholdAlert] {
        self.threshold_alerts.get_or_init(|| alerts::threshold_alerts(self.system))
    }

    /// How the gateway routes each route's requests ([`litellm::plan`]).
    pub(crate) fn routing(&self) -> &litellm::Plan {
        self.routing.get_or_init(|| litellm::plan(self.system))
    }
}
