//! `incidents:` — overrides of the six standard incident types (built-in data in
//! `src/data/incidents.yaml`): severity, whether they page, which rotation, detection threshold.

use schemars::JsonSchema;

use super::units::{Name, Threshold};
use crate::source::Spanned;
use crate::{decode_struct, keyword_enum};

keyword_enum!(
    /// Incident severity, P1 most severe.
    Severity "severity" { P1 = "P1", P2 = "P2", P3 = "P3", P4 = "P4" }
);

/// Override of one incident type.
#[derive(Clone, Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IncidentOverride {
    pub severity: Option<Spanned<Severity>>,
    /// Page the rotation (true) or open a ticket (false).
    pub page: Option<Spanned<bool>>,
    /// Rotation paged first. Default: the first escalation step.
    pub rotation: Option<Spanned<Name>>,
    /// Detection threshold, in the unit of the incident type.
    pub threshold: Option<Spanned<Threshold>>,
}

decode_struct!(IncidentOverride "incident override" { severity: opt, page: opt, rotation: opt, threshold: opt });
