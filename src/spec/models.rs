//! `models:` and `clusters:` — the models a system may call and the dedicated AI clusters
//! that host some of them.

use schemars::JsonSchema;

use super::units::{HttpsUrl, Money, Name, Region, SecretRef};
use crate::source::Spanned;
use crate::yaml::{Decode, Decoder, Node, NodeKind};
use crate::{decode_struct, keyword_enum};

keyword_enum!(
    /// Who serves the model.
    Provider "provider" {
        /// OCI Generative AI.
        OciGenai = "oci-genai",
        /// An endpoint outside OCI (OpenAI-compatible API); allowed for public data only.
        External = "external",
    }
);

keyword_enum!(
    /// What the model does.
    ModelKind "model kind" { Chat = "chat", Embedding = "embedding" }
);

/// A model the system may call.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Model {
    pub provider: Spanned<Provider>,
    /// The provider's model id, e.g. `cohere.command-r-08-2024`.
    pub id: Spanned<String>,
    /// `chat` (default) or `embedding`.
    pub kind: Option<Spanned<ModelKind>>,
    /// `on-demand` (shared, default) or `{ dedicated: <cluster> }`. OCI only.
    pub serving: Option<Spanned<Serving>>,
    /// On-demand price per 1,000 tokens; dedicated models are priced by their cluster.
    pub price: Option<Price>,
    /// Region the model is served from. Default: the cluster's region, else `system.region`.
    pub region: Option<Spanned<Region>>,
    /// Base URL of an external model's API.
    pub endpoint: Option<Spanned<HttpsUrl>>,
    /// API key of an external model: a reference, never the key.
    pub api_key: Option<Spanned<SecretRef>>,
    /// Tokens the model accepts in one request.
    pub context_window: Option<Spanned<u32>>,
    pub description: Option<Spanned<String>>,
}

decode_struct!(Model "model" {
    provider: req, id: req, kind: opt, serving: opt, price: opt, region: opt, endpoint: opt,
    api_key: opt, context_window: opt, description: opt,
});

/// How OCI serves a model.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Serving {
    /// Shared, pay-per-token OCI capacity.
    OnDemand,
    /// Hosted on a dedicated AI cluster of this spec.
    Dedicated(Spanned<Name>),
}

impl Decode for Serving {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Serving> {
        if let NodeKind::Scalar(s) = &node.kind {
            if s.text == "on-demand" {
                return Some(Serving::OnDemand);
            }
            if s.text == "dedicated" {
                d.error(
                    crate::diag::Diagnostic::new(
                        crate::diag::Code::MissingField,
                        "dedicated serving needs the cluster that hosts the model",
                    )
                    .label(node.span, "which cluster?")
                    .help("write `serving: { dedicated: <cluster name> }`"),
                );
                return None;
            }
        }
        if node.as_map().is_none() {
            d.wrong_type(node, "`on-demand` or `{ dedicated: <cluster> }`");
            return None;
        }
        let mut m = crate::yaml::MapReader::new(node, d, "serving mode")?;
        let cluster = m.req(d, "dedicated");
        m.finish(d)?;
        Some(Serving::Dedicated(cluster?))
    }
}

/// Price per 1,000 tokens in the system's currency.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Price {
    pub input_per_1k: Spanned<Money>,
    pub output_per_1k: Spanned<Money>,
}

decode_struct!(Price "price list" { input_per_1k: req, output_per_1k: req });

keyword_enum!(
    /// OCI dedicated AI cluster unit shapes.
    UnitShape "cluster shape" {
        SmallCohere = "SMALL_COHERE",
        SmallCohereV2 = "SMALL_COHERE_V2",
        SmallCohere4 = "SMALL_COHERE_4",
        LargeCohere = "LARGE_COHERE",
        LargeCohereV2 = "LARGE_COHERE_V2",
        LargeCohereV2_2 = "LARGE_COHERE_V2_2",
        EmbedCohere = "EMBED_COHERE",
        Llama2_70 = "LLAMA2_70",
        SmallGeneric = "SMALL_GENERIC",
        LargeGeneric = "LARGE_GENERIC",
        LargeGeneric2 = "LARGE_GENERIC_2",
        LargeGeneric4 = "LARGE_GENERIC_4",
        LargeGenericV2 = "LARGE_GENERIC_V2",
    }
);

/// A dedicated AI cluster (hosting).
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Cluster {
    /// The unit shape, e.g. `LARGE_GENERIC`.
    pub shape: Spanned<UnitShape>,
    /// Number of units (1 or more).
    pub units: Spanned<u32>,
    /// Price of one unit for one hour, in the system's currency.
    pub price_per_unit_hour: Option<Spanned<Money>>,
    /// Region of the cluster. Default: `system.region`.
    pub region: Option<Spanned<Region>>,
    pub description: Option<Spanned<String>>,
}

decode_struct!(Cluster "cluster" {
    shape: req, units: req, price_per_unit_hour: opt, region: opt, description: opt,
});
