//! Sections that are maps from names to definitions (`models:`, `routes:` …).
//!
//! In: a YAML mapping. Out: its entries in file order, each name checked (kebab-case) and each
//! definition decoded on its own: a definition with errors is kept as a name without a value,
//! so references to it still resolve and do not add "unknown name" noise.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::units::Name;
use crate::source::Spanned;
use crate::yaml::{Decode, Decoder, Node, NodeKind};

#[derive(Clone, Debug)]
pub struct Named<T> {
    pub name: Spanned<Name>,
    /// `None` when the definition had errors (already reported).
    pub value: Option<T>,
    /// A diagnostic was reported inside the definition (an invalid optional field reads as absent).
    pub partial: bool,
}

#[derive(Clone, Debug)]
pub struct NamedMap<T> {
    pub entries: Vec<Named<T>>,
}

impl<T> Default for NamedMap<T> {
    fn default() -> Self {
        NamedMap { entries: Vec::new() }
    }
}

impl<T> NamedMap<T> {
    /// The definitions that decoded cleanly, with their names.
    pub fn valid(&self) -> impl Iterator<Item = (&Spanned<Name>, &T)> {
        self.entries.iter().filter_map(|e| e.value.as_ref().map(|v| (&e.name, v)))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.value.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<T: Decode> Decode for NamedMap<T> {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let NodeKind::Map(entries) = &node.kind else {
            d.wrong_type(node, "a mapping of names to definitions");
            return None;
        };
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            // A badly spelled name is reported once and kept, so its references resolve.
            let name =
                Name::check(&entry.key.value, entry.key.span, d).unwrap_or_else(|| Name(entry.key.value.clone()));
            let before = d.diags.len();
            let value = T::decode(&entry.value, d);
            out.push(Named { name: Spanned::new(name, entry.key.span), value, partial: d.diags.len() > before });
        }
        Some(NamedMap { entries: out })
    }
}

impl<T: JsonSchema> JsonSchema for NamedMap<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("NamedMap_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let name = generator.subschema_for::<Name>();
        let value = generator.subschema_for::<T>();
        json_schema!({
            "type": "object",
            "propertyNames": name,
            "additionalProperties": value
        })
    }
}
