//! The fingerprint of everything a build's output depends on.
//!
//! In: the sources a compile read (the spec, then every prompt and dataset, in the order they
//! were read) and the runbook templates that override the built-in ones. Out: a SHA-256 in hex
//! over the identity of this genops (its version and `GENOPS_SOURCE_ID`, a hash of the sources
//! it was built from, made by `build.rs`), the texts read and the override templates (names and
//! texts). Emitting is a pure function of exactly these, so an output directory whose manifest
//! records the same fingerprint, and whose files still hash as the manifest says, is what a
//! build would write: `build` and `plan` then skip emitting. File names are left out on
//! purpose: the spec names every file it reads, so a renamed file changes the spec's text, and
//! the same spec built from another directory gives the same fingerprint.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::source::SourceMap;

/// This genops: its version and the hash of the sources it was built from.
pub const GENOPS_IDENTITY: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("GENOPS_SOURCE_ID"));

/// The fingerprint of a build's inputs.
pub fn of(sources: &SourceMap, templates: &BTreeMap<String, String>) -> String {
    let mut hash = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    field(GENOPS_IDENTITY.as_bytes());
    for file in sources.files() {
        field(b"source");
        field(file.text.as_bytes());
    }
    for (name, text) in templates {
        field(b"template");
        field(name.as_bytes());
        field(text.as_bytes());
    }
    crate::conventions::hex(&hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(texts: &[(&str, &str)]) -> SourceMap {
        let mut map = SourceMap::new();
        for (name, text) in texts {
            map.add(*name, *text);
        }
        map
    }

    #[test]
    fn every_input_counts_and_only_the_inputs() {
        let none = BTreeMap::new();
        let base = of(&sources(&[("genops.yaml", "spec"), ("prompts/a.md", "a")]), &none);
        assert_eq!(base.len(), 64);
        assert_eq!(base, of(&sources(&[("elsewhere/genops.yaml", "spec"), ("elsewhere/prompts/a.md", "a")]), &none));
        assert_ne!(base, of(&sources(&[("genops.yaml", "spec"), ("prompts/a.md", "b")]), &none));
        assert_ne!(base, of(&sources(&[("genops.yaml", "spec2"), ("prompts/a.md", "a")]), &none));
        // Moving bytes from one file to the next is a change.
        assert_ne!(base, of(&sources(&[("genops.yaml", "spe"), ("prompts/a.md", "ca")]), &none));
        let templates: BTreeMap<String, String> = [("README.md.j2".to_string(), "x".to_string())].into();
        assert_ne!(base, of(&sources(&[("genops.yaml", "spec"), ("prompts/a.md", "a")]), &templates));
    }
}
