//! YAML, read the way genops needs it: every node with its span, all problems reported.
//!
//! In: a source text. Out: a [`Node`] tree (scalars keep their quoting style, mappings keep
//! key order and key spans), then typed values through [`Decode`]. Parsing uses
//! `saphyr-parser` (pure Rust, YAML 1.2) events directly rather than serde, because serde
//! stops at the first error and loses spans inside enums; the decoder here reports every
//! unknown field, missing field and wrong type in one pass and keeps going. A large file is
//! loaded in pieces on several threads ([`split`]) when it can be cut where that changes
//! nothing.

mod builtin;
mod decode;
mod load;
mod node;
mod split;

pub use builtin::builtin_table;
pub use decode::{Decode, Decoder, MapReader, describe, expect_scalar};
pub use load::{Limits, load};
pub use node::{Entry, Node, NodeKind, Scalar, ScalarValue};
