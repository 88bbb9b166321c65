//! `compliance:` — the frameworks the system answers to and the controls that implement them.
//! Which controls each framework requires is built-in data (`src/data/frameworks.yaml`).

use schemars::JsonSchema;

use super::data_classes::Encryption;
use super::units::Duration;
use crate::source::Spanned;
use crate::{decode_struct, keyword_enum};

keyword_enum!(
    /// A compliance framework.
    Framework "compliance framework" {
        Gdpr = "gdpr",
        Soc2 = "soc2",
        Hipaa = "hipaa",
        PciDss = "pci-dss",
    }
);

/// Compliance duties.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Compliance {
    pub frameworks: Spanned<Vec<Spanned<Framework>>>,
    pub retention: Option<Spanned<Retention>>,
    /// Record every model decision with its inputs, prompt version and model (GDPR Art. 22).
    pub decision_logging: Option<Spanned<bool>>,
    /// Keys for logs, buckets and traces of the whole system.
    pub encryption: Option<Spanned<Encryption>>,
}

decode_struct!(Compliance "compliance" { frameworks: req, retention: opt, decision_logging: opt, encryption: opt });

/// How long data is kept before it is deleted.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Retention {
    /// Request traces and logs.
    pub traces: Option<Spanned<Duration>>,
    /// Audit records.
    pub audit: Option<Spanned<Duration>>,
    /// Evaluation datasets and results.
    pub datasets: Option<Spanned<Duration>>,
}

decode_struct!(Retention "retention policy" { traces: opt, audit: opt, datasets: opt });
