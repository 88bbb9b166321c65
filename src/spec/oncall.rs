//! `oncall:` — who is paged, in which order, and where alerts and incidents are discussed.

use schemars::JsonSchema;

use super::named::NamedMap;
use super::units::{Duration, Email, HttpsUrl, Name, SecretRef, SlackChannel};
use crate::source::Spanned;
use crate::{decode_struct, keyword_enum};

/// On-call.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Oncall {
    pub rotations: Spanned<NamedMap<Rotation>>,
    /// Who is paged first, and who next after how long without acknowledgement.
    pub escalation: Spanned<Vec<Spanned<EscalationStep>>>,
    pub channels: Spanned<Channels>,
}

decode_struct!(Oncall "oncall" { rotations: req, escalation: req, channels: req });

keyword_enum!(
    /// Hours a rotation covers.
    Coverage "coverage" { AllHours = "24x7", BusinessHours = "business-hours" }
);

/// A rotation.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rotation {
    pub members: Spanned<Vec<Spanned<Email>>>,
    pub coverage: Spanned<Coverage>,
    /// Length of one shift. Default `1w`.
    pub length: Option<Spanned<Duration>>,
}

decode_struct!(Rotation "rotation" { members: req, coverage: req, length: opt });

/// One step of the escalation ladder.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EscalationStep {
    pub rotation: Spanned<Name>,
    /// Time since the page after which this step is paged: none on the first step (paged at
    /// once), required and increasing on every later one.
    pub after: Option<Spanned<Duration>>,
}

decode_struct!(EscalationStep "escalation step" { rotation: req, after: opt });

/// Where notifications go.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Channels {
    /// Automated alerts (tickets, warnings).
    pub alerts: Spanned<Channel>,
    /// Active incident coordination.
    pub incidents: Option<Spanned<Channel>>,
    /// Pages.
    pub pager: Option<Spanned<Channel>>,
    /// Support requests.
    pub support: Option<Spanned<Channel>>,
}

decode_struct!(Channels "channel list" { alerts: req, incidents: opt, pager: opt, support: opt });

/// A destination: one or more of Slack, email, PagerDuty, an HTTPS endpoint.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Channel {
    pub slack: Option<Spanned<SlackChannel>>,
    /// Slack incoming-webhook URL, as a secret reference.
    pub webhook: Option<Spanned<SecretRef>>,
    pub email: Option<Spanned<Email>>,
    /// PagerDuty integration key, as a secret reference.
    pub pagerduty: Option<Spanned<SecretRef>>,
    pub https: Option<Spanned<HttpsUrl>>,
}

decode_struct!(Channel "channel" { slack: opt, webhook: opt, email: opt, pagerduty: opt, https: opt });
