//! The alarm targets: Prometheus alerting rules with their promtool tests, and OpenSLO.
//!
//! In: the alert catalogue ([`crate::model::alerts`]) and the metric contract
//! ([`crate::model::metrics`]), through [`super::derived::Derived`]. Out: the files under
//! `alarms/`. The OCI Monitoring alarms read the same catalogue from the Terraform target.

pub mod openslo;
pub mod prometheus;
