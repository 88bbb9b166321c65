//! Built-in data: the YAML tables embedded in the binary (data classes, compliance controls,
//! incident types, burn-rate windows), read with the same decoder as specs.

use crate::diag::Diagnostics;
use crate::source::SourceMap;
use crate::spec::NamedMap;

use super::{Decode, Decoder, Limits, load};

/// Decodes an embedded table. Its text is fixed at build time and each table has a unit test
/// that reads it, so a failure here is a bug in genops, reported with the table's name.
pub fn builtin_table<T: Decode + Send>(name: &str, text: &str) -> NamedMap<T> {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text);
    let mut diags = Diagnostics::new();
    let node = load(sources.get(id), id, Limits::for_len(text.len()), &mut diags);
    let table = node.and_then(|n| NamedMap::<T>::decode(&n, &mut Decoder { diags: &mut diags }));
    match table {
        Some(table) if !diags.has_errors() => table,
        _ => panic!("built-in table {name} does not decode: {:?}", diags.into_sorted()),
    }
}
