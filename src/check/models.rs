//! Models and clusters: provider-specific fields, model ids, cluster references, regions,
//! prices.

use super::{Checker, valid_indexed};
use crate::diag::{Code, Diagnostic};
use crate::spec::models::{Provider, Serving};

/// Longest model id: the providers' ids are a few dozen characters. An id is copied into the
/// gateway configuration once per route that can reach its model, so an unbounded one
/// multiplies the output.
pub const MAX_MODEL_ID: usize = 128;

/// Whether `id` has the form of a provider's model id: `cohere.command-r-08-2024`,
/// `meta.llama-3.3-70b-instruct`, `gpt-4o-2024-08-06`, `claude-3-5-sonnet@20240620`. The id is
/// written into LiteLLM's `model:` and OCI display names, where spaces, line breaks, control
/// characters or markup would break them.
pub fn is_model_id(id: &str) -> bool {
    id.len() <= MAX_MODEL_ID
        && id.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'/' | b'@' | b'+' | b'-'))
}

impl Checker<'_> {
    pub(super) fn check_models(&mut self) {
        for (index, name, model) in valid_indexed(&self.doc.models.value) {
            let partial = Checker::partial(&self.doc.models.value, index);
            let provider = model.provider.value;
            if !is_model_id(&model.id.value) {
                let why = if model.id.value.len() > MAX_MODEL_ID {
                    format!("{} bytes, more than {MAX_MODEL_ID}", model.id.value.len())
                } else {
                    "expected letters, digits and `._:/@+-`, starting with a letter or digit".to_string()
                };
                self.diags.push(
                    Diagnostic::new(Code::InvalidValue, format!("model `{}` has an id that is not a model id", name.value))
                        .label(model.id.span, why)
                        .help(format!(
                            "write the provider's model id (at most {MAX_MODEL_ID} characters), e.g. `cohere.command-r-08-2024`, `meta.llama-3.3-70b-instruct` or `gpt-4o-2024-08-06`"
                        )),
                );
            }
            match provider {
                Provider::External => {
                    if let Some(serving) = &model.serving {
                        self.diags.push(
                            Diagnostic::new(
                                Code::ConflictingFields,
                                format!("external model `{}` cannot have OCI serving", name.value),
                            )
                            .label(
                                serving.span,
                                "only `oci-genai` models are served on-demand or on dedicated clusters",
                            )
                            .label(model.provider.span, "the provider is external")
                            .help("remove `serving:`, or make the provider `oci-genai`"),
                        );
                    }
                    for (field, present) in
                        [("endpoint", model.endpoint.is_some()), ("api_key", model.api_key.is_some())]
                    {
                        if !present && !partial {
                            self.diags.push(
                                Diagnostic::new(
                                    Code::MissingField,
                                    format!("external model `{}` has no `{field}`", name.value),
                                )
                                .label(name.span, format!("an external model needs `{field}`"))
                                .help(match field {
                                    "endpoint" => "add `endpoint: https://…` with the API's base URL",
                                    _ => "add `api_key: vault:<secret OCID>` or `api_key: env:NAME`",
                                }),
                            );
                        }
                    }
                }
                Provider::OciGenai => {
                    for (field, span) in [
                        ("endpoint", model.endpoint.as_ref().map(|e| e.span)),
                        ("api_key", model.api_key.as_ref().map(|e| e.span)),
                    ] {
                        if let Some(span) = span {
                            self.diags.push(
                                Diagnostic::new(
                                    Code::ConflictingFields,
                                    format!("OCI model `{}` does not take `{field}`", name.value),
                                )
                                .label(
                                    span,
                                    "OCI Generative AI is reached through the region's endpoint with OCI credentials",
                                )
                                .label(model.provider.span, "the provider is `oci-genai`")
                                .help(format!("remove `{field}:`, or make the provider `external`")),
                            );
                        }
                    }
                }
            }
            if let Some(serving) = &model.serving {
                if let Serving::Dedicated(cluster) = &serving.value {
                    if let Some(id) = self.clusters.resolve(cluster, &mut self.diags) {
                        let cluster_def = self.doc.clusters.value.entries[id].value.as_ref();
                        if let (Some(model_region), Some(cluster_region)) =
                            (&model.region, cluster_def.and_then(|c| c.region.as_ref()))
                        {
                            if model_region.value != cluster_region.value {
                                self.diags.push(
                                    Diagnostic::new(
                                        Code::ConflictingFields,
                                        format!(
                                            "model `{}` and its cluster `{}` name different regions",
                                            name.value, cluster.value
                                        ),
                                    )
                                    .label(model_region.span, format!("model in `{}`", model_region.value))
                                    .label(cluster_region.span, format!("cluster in `{}`", cluster_region.value))
                                    .help(
                                        "a dedicated model runs where its cluster runs: remove the model's `region:`",
                                    ),
                                );
                            }
                        }
                    }
                    if let Some(price) = &model.price {
                        self.diags.push(
                            Diagnostic::new(
                                Code::ConflictingFields,
                                format!("dedicated model `{}` has a per-token price", name.value),
                            )
                            .label(price.input_per_1k.span, "per-token prices apply to on-demand models")
                            .label(serving.span, "served on a dedicated cluster")
                            .help("remove `price:`; a dedicated model costs its cluster's `price_per_unit_hour`"),
                        );
                    }
                }
            }
            if let Some(cw) = &model.context_window {
                if cw.value == 0 {
                    self.diags.push(
                        Diagnostic::new(Code::InvalidNumber, "a context window of 0 tokens")
                            .label(cw.span, "must be at least 1")
                            .help("give the model's context window in tokens, e.g. `128000`"),
                    );
                }
            }
        }
        for (_, _, cluster) in valid_indexed(&self.doc.clusters.value) {
            if cluster.units.value == 0 {
                self.diags.push(
                    Diagnostic::new(Code::InvalidNumber, "a dedicated AI cluster needs at least one unit")
                        .label(cluster.units.span, "0 units")
                        .help("set `units: 1` or more"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids() {
        for id in [
            "cohere.command-r-08-2024",
            "meta.llama-3.3-70b-instruct",
            "xai.grok-4",
            "gpt-4o-2024-08-06",
            "claude-3-5-sonnet@20240620",
            "accounts/fireworks/models/llama-v3p1-8b-instruct",
            "ft:gpt-4o-mini:org::abc123",
            "1.0",
        ] {
            assert!(is_model_id(id), "{id}");
        }
        let long = "a".repeat(MAX_MODEL_ID + 1);
        for id in ["", "-x", ".x", "a b", "a\nb", "x\u{1b}[1A", "<script>", "é", long.as_str()] {
            assert!(!is_model_id(id), "{id:?}");
        }
    }
}
