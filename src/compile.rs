//! The front end as one call: spec bytes in, checked system and diagnostics out.
//!
//! In: the spec's name (as the user wrote it), its bytes, and a [`Files`] view of its directory.
//! Out: a [`Compilation`]: every source read, the system when there is no error, its dependency
//! graph, and the sorted diagnostics. `validate`, `build`, `graph` and `cost` all start here,
//! so they can never disagree about what is valid.

use crate::check;
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::DepGraph;
use crate::load::{self, Files, Inputs};
use crate::model::System;
use crate::source::SourceMap;
use crate::spec;

pub struct Compilation {
    pub sources: SourceMap,
    pub system: Option<System>,
    pub graph: Option<DepGraph>,
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == crate::diag::Severity::Error)
    }
}

/// Runs load → parse → check → graph on a spec's bytes.
pub fn compile(spec_name: &str, spec_bytes: Vec<u8>, files: &dyn Files) -> Compilation {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let text = match load::decode_utf8(spec_bytes) {
        Ok(text) => text,
        Err(error) => {
            diags.push(load::spec_unreadable(spec_name, &error));
            return finish(sources, None, diags);
        }
    };
    let id = sources.add(spec_name, text);
    let Some(doc) = spec::parse(sources.get(id), id, &mut diags) else {
        return finish(sources, None, diags);
    };
    let spec_dir =
        std::path::Path::new(spec_name).parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    let inputs = Inputs::load(&doc, files, &mut sources, &spec_dir);
    let system = check::check(&doc, &inputs, &sources, &mut diags);
    // The typed spec of a large system is a million small allocations; nothing reads it now.
    crate::parallel::drop_aside(doc);
    finish(sources, system, diags)
}

fn finish(sources: SourceMap, system: Option<System>, diags: Diagnostics) -> Compilation {
    let graph = system.as_ref().map(DepGraph::build);
    Compilation { sources, system, graph, diagnostics: diags.into_sorted() }
}
