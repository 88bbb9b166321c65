//! Sections that are maps from names to definitions (`models:`, `routes:` …).
//!
//! In: a YAML mapping. Out: its entries in file order, each name checked (kebab-case) and each
//! definition decoded on its own: a definition with errors is kept as a name without a value,
//! so references to it still resolve and do not add "unknown name" noise.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::units::Name;
use crate::diag::Diagnostics;
use crate::source::Spanned;
use crate::yaml::{Decode, Decoder, Entry, Node, NodeKind};

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

/// Sections with at least this many definitions decode on several threads, a run of entries
/// each ([`crate::parallel`]): a system of ten thousand routes and twice as many SLOs spends a
/// tenth of a second here.
const PARALLEL_FROM: usize = 1024;

impl<T: Decode + Send> Decode for NamedMap<T> {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Self> {
        let NodeKind::Map(entries) = &node.kind else {
            d.wrong_type(node, "a mapping of names to definitions");
            return None;
        };
        let threads = crate::parallel::threads();
        if entries.len() < PARALLEL_FROM || threads == 1 {
            return Some(NamedMap { entries: decode_entries(entries, d) });
        }
        // Each run reports into its own list; the lists join in file order, so the result is
        // the sequential one.
        let runs: Vec<&[Entry]> = entries.chunks(entries.len().div_ceil(threads)).collect();
        let decoded = crate::parallel::map(runs, |run| {
            let mut diags = Diagnostics::new();
            let named = decode_entries(run, &mut Decoder { diags: &mut diags });
            (named, diags)
        });
        let mut out = Vec::with_capacity(entries.len());
        for (named, diags) in decoded {
            out.extend(named);
            d.diags.extend(diags);
        }
        Some(NamedMap { entries: out })
    }
}

/// The definitions of `entries`, in order.
fn decode_entries<T: Decode>(entries: &[Entry], d: &mut Decoder) -> Vec<Named<T>> {
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        // A badly spelled name is reported once and kept, so its references resolve.
        let name =
            Name::check(&entry.key.value, entry.key.span, d).unwrap_or_else(|| Name(entry.key.value.to_string()));
        let before = d.diags.len();
        let value = T::decode(&entry.value, d);
        out.push(Named { name: Spanned::new(name, entry.key.span), value, partial: d.diags.len() > before });
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;
    use crate::spec::units::Duration;
    use crate::yaml::{Limits, load};

    /// A large section decoded on several threads is the section decoded on one: the same
    /// definitions in the same order, and the same diagnostics (bad names, bad values).
    #[test]
    fn a_large_section_decodes_in_parallel_as_in_sequence() {
        let mut text = String::new();
        for i in 0..3 * PARALLEL_FROM {
            match i % 97 {
                0 => text.push_str(&format!("Bad_Name_{i}: 5s\n")),
                1 => text.push_str(&format!("late-{i}: soon\n")),
                _ => text.push_str(&format!("timeout-{i}: {}s\n", i % 60 + 1)),
            }
        }
        let mut sources = SourceMap::new();
        let id = sources.add("t.yaml", text.as_str());
        let mut diags = Diagnostics::new();
        let node = load(sources.get(id), id, Limits::for_len(text.len()), &mut diags).expect("loads");
        let mut parallel = Diagnostics::new();
        let decoded = NamedMap::<Duration>::decode(&node, &mut Decoder { diags: &mut parallel }).expect("a map");
        let mut sequential = Diagnostics::new();
        let NodeKind::Map(entries) = &node.kind else { panic!("a map") };
        let expected: Vec<Named<Duration>> = decode_entries(entries, &mut Decoder { diags: &mut sequential });
        assert!(crate::parallel::threads() == 1 || entries.len() >= PARALLEL_FROM);
        assert_eq!(format!("{:?}", decoded.entries), format!("{expected:?}"));
        assert_eq!(parallel.len(), 2 * (3 * PARALLEL_FROM).div_ceil(97));
        assert_eq!(format!("{:?}", parallel.into_sorted()), format!("{:?}", sequential.into_sorted()));
    }
}
