//! `prompts:` — versioned prompt templates kept in files beside the spec.

use schemars::JsonSchema;

use super::units::{RelativePath, Version};
use crate::decode_struct;
use crate::source::Spanned;

/// A versioned prompt.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Prompt {
    /// Semantic version; bump it whenever the file changes.
    pub version: Spanned<Version>,
    /// The template file, relative to the spec.
    pub file: Spanned<RelativePath>,
    pub description: Option<Spanned<String>>,
}

decode_struct!(Prompt "prompt" { version: req, file: req, description: opt });
