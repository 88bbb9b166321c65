//! The JSON Schema of the spec (draft 2020-12), derived from the `spec` types.
//!
//! In: nothing. Out: the schema text that `genops schema` prints and that is committed as
//! `schemas/genops.schema.json` (a test keeps the two equal). Editors use it for completion
//! and inline errors through the `# yaml-language-server: $schema=` line.

use schemars::generate::SchemaSettings;

use crate::spec::Document;

pub fn json_schema() -> String {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<Document>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
