//! `data_classes:` — overrides of the four built-in data classes' policies.
//!
//! The built-in policies live in `src/data/data_classes.yaml`; a spec may tighten or loosen
//! single fields of a class, never add a class.

use schemars::JsonSchema;

use super::named::NamedMap;
use crate::source::Spanned;
use crate::{decode_struct, keyword_enum};

keyword_enum!(
    /// Data classification, least to most sensitive.
    DataClassName "data class" {
        Public = "public",
        Internal = "internal",
        Confidential = "confidential",
        Restricted = "restricted",
    }
);

keyword_enum!(
    /// How a model is served, from least to most isolated.
    ServingKind "serving kind" { External = "external", OnDemand = "on-demand", Dedicated = "dedicated" }
);

keyword_enum!(
    /// What is logged of a request, from most to least.
    LoggingLevel "logging level" { Full = "full", Metadata = "metadata", AuditOnly = "audit-only" }
);

keyword_enum!(
    /// Who holds the encryption keys.
    Encryption "encryption" { OracleManaged = "oracle-managed", CustomerManaged = "customer-managed" }
);

keyword_enum!(
    /// Where the gateway is reachable from.
    Network "network" { Public = "public", Private = "private" }
);

/// A data class's policy; every field optional in an override.
#[derive(Clone, Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DataClassPolicy {
    /// Serving kinds a route of this class may use (its model, fallbacks, tiers, candidates).
    pub serving: Option<Spanned<Vec<Spanned<ServingKind>>>>,
    /// The most a route of this class may log.
    pub logging: Option<Spanned<LoggingLevel>>,
    pub encryption: Option<Spanned<Encryption>>,
    pub network: Option<Spanned<Network>>,
    /// Models must run in the system's region.
    pub residency: Option<Spanned<bool>>,
    /// Content moderation on dedicated endpoints.
    pub moderation: Option<Spanned<bool>>,
}

decode_struct!(DataClassPolicy "data class policy" {
    serving: opt, logging: opt, encryption: opt, network: opt, residency: opt, moderation: opt,
});

/// Overrides keyed by class name.
pub type DataClassOverrides = NamedMap<DataClassPolicy>;
