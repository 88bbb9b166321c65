//! The spec language `genops/v1`, as written: serde-free typed structures mirroring the YAML.
//!
//! In: the YAML node tree of a spec file. Out: a [`Document`] whose every name and value keeps
//! its span, or diagnostics. Nothing here resolves a reference or applies a policy: names are
//! still strings ([`units::Name`]); `check` turns them into the ids of `model`.
//! The JSON Schema published in `schemas/genops.schema.json` is derived from these types.

pub mod budgets;
pub mod compliance;
pub mod data_classes;
pub mod evaluations;
pub mod incidents;
pub mod models;
pub mod named;
pub mod oncall;
pub mod prompts;
pub mod routes;
pub mod slos;
pub mod system;
pub mod units;

use schemars::JsonSchema;

use crate::decode_struct;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceFile, Spanned};
use crate::yaml::{self, Decode, Decoder, Limits, Node};

pub use budgets::Budget;
pub use compliance::Compliance;
pub use data_classes::DataClassOverrides;
pub use evaluations::Evaluation;
pub use incidents::IncidentOverride;
pub use models::{Cluster, Model};
pub use named::{Named, NamedMap};
pub use oncall::Oncall;
pub use prompts::Prompt;
pub use routes::Route;
pub use slos::Slo;
pub use system::System;

/// The only version this compiler reads.
pub const VERSION: &str = "genops/v1";

/// A genops spec: the operating model of one production GenAI system.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields, title = "genops spec (genops/v1)")]
pub struct Document {
    /// Always `genops/v1`.
    #[schemars(schema_with = "version_schema")]
    pub version: Spanned<String>,
    pub system: Spanned<System>,
    #[schemars(default)]
    pub models: Spanned<NamedMap<Model>>,
    #[schemars(default)]
    pub clusters: Spanned<NamedMap<Cluster>>,
    #[schemars(default)]
    pub prompts: Spanned<NamedMap<Prompt>>,
    #[schemars(default)]
    pub routes: Spanned<NamedMap<Route>>,
    #[schemars(default)]
    pub slos: Spanned<NamedMap<Slo>>,
    #[schemars(default)]
    pub budgets: Spanned<NamedMap<Budget>>,
    #[schemars(default)]
    pub evaluations: Spanned<NamedMap<Evaluation>>,
    /// Overrides of the built-in policies of `public`, `internal`, `confidential`, `restricted`.
    #[schemars(default)]
    pub data_classes: Spanned<DataClassOverrides>,
    pub compliance: Option<Spanned<Compliance>>,
    pub oncall: Option<Spanned<Oncall>>,
    /// Overrides of the six standard incident types.
    #[schemars(default)]
    pub incidents: Spanned<NamedMap<IncidentOverride>>,
}

fn version_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "const": VERSION, "description": "The spec language version." })
}

decode_struct!(Document "spec" {
    version: req, system: req, models: default, clusters: default, prompts: default,
    routes: default, slos: default, budgets: default, evaluations: default, data_classes: default,
    compliance: opt, oncall: opt, incidents: default,
});

/// Reads a spec file: YAML, then the `version` gate, then the typed document.
pub fn parse(file: &SourceFile, id: FileId, diags: &mut Diagnostics) -> Option<Document> {
    let root = yaml::load(file, id, Limits::for_len(file.text.len()), diags)?;
    if !check_version(&root, diags) || !check_size(&root, diags) {
        return None;
    }
    let mut decoder = Decoder { diags };
    let document = Document::decode(&root, &mut decoder);
    crate::parallel::drop_aside(root);
    document
}

/// The most routes a spec may define: what a build writes, and the memory it takes, grow with
/// them (BENCHMARKS.md), so a larger system is refused before it is decoded instead of
/// exhausting a CI runner (docs/hostile-input.md).
pub const MAX_ROUTES: usize = 20_000;
/// The most definitions of any other section (SLOs, prompts, models …): a route has a few SLOs.
pub const MAX_DEFINITIONS: usize = 50_000;

/// A spec that defines more than genops supports is not read further (GO0009), each section
/// over its limit reported at its key.
fn check_size(root: &Node, diags: &mut Diagnostics) -> bool {
    let mut fits = true;
    for entry in root.as_map().into_iter().flatten() {
        let Some(definitions) = entry.value.as_map() else { continue };
        let section = entry.key.value.as_str();
        let limit = if section == "routes" { MAX_ROUTES } else { MAX_DEFINITIONS };
        if definitions.len() <= limit {
            continue;
        }
        fits = false;
        diags.push(
            Diagnostic::new(
                Code::TooManyDefinitions,
                format!("`{section}` defines {} entries, more than the {limit} genops supports", definitions.len()),
            )
            .label(entry.key.span, format!("at most {limit} entries"))
            .help("split the system into several specs, each a system of its own (one per product or team)"),
        );
    }
    fits
}

/// A spec of another version is not read further: its fields would all be "unknown".
fn check_version(root: &Node, diags: &mut Diagnostics) -> bool {
    let help = format!("start the spec with `version: {VERSION}`");
    match root.get("version") {
        None => {
            if root.as_map().is_none() {
                let mut d = Decoder { diags };
                d.wrong_type(root, "a mapping (the spec)");
                return false;
            }
            let span = root.as_map().and_then(|m| m.first()).map_or(root.span, |e| e.key.span);
            diags.push(
                Diagnostic::new(Code::MissingField, "the spec has no `version`")
                    .label(span, "genops needs to know the spec language version")
                    .help(help),
            );
            false
        }
        Some(node) => match node.as_scalar() {
            Some(s) if s.text == VERSION => true,
            _ => {
                let found = node.as_scalar().map(|s| s.text.as_str()).unwrap_or("");
                diags.push(
                    Diagnostic::new(Code::UnsupportedVersion, format!("unsupported spec version `{found}`"))
                        .label(node.span, format!("this genops reads `{VERSION}`"))
                        .help(help),
                );
                false
            }
        },
    }
}
