//! Name tables: a section's names, looked up with "did you mean" when unknown.

use crate::diag::{Code, Diagnostic, Diagnostics, suggest};
use crate::hash::HashMap;
use crate::source::Spanned;
use crate::spec::NamedMap;
use crate::spec::units::Name;

pub(crate) struct Table<'a> {
    pub kind: &'static str,
    index: HashMap<&'a str, usize>,
    names: Vec<&'a str>,
}

impl<'a> Table<'a> {
    pub fn new<T>(kind: &'static str, map: &'a NamedMap<T>) -> Table<'a> {
        let names: Vec<&str> = map.names().collect();
        let index = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        Table { kind, index, names }
    }

    pub fn empty(kind: &'static str) -> Table<'a> {
        Table { kind, index: HashMap::default(), names: Vec::new() }
    }

    pub fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn name(&self, id: usize) -> &'a str {
        self.names[id]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Resolves a reference, reporting an unknown name at its span.
    pub fn resolve(&self, name: &Spanned<Name>, diags: &mut Diagnostics) -> Option<usize> {
        if let Some(id) = self.get(name.value.as_str()) {
            return Some(id);
        }
        diags.push(self.unknown(name));
        None
    }

    pub fn unknown(&self, name: &Spanned<Name>) -> Diagnostic {
        let kind = self.kind;
        let help = suggest::help_for(name.value.as_str(), self.names.iter().copied()).unwrap_or_else(|| {
            if self.names.is_empty() {
                format!("the spec defines no {kind}; add it under `{kind}s:`")
            } else if self.names.len() <= 8 {
                format!(
                    "the {kind}s are: {}",
                    self.names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                )
            } else {
                format!(
                    "define `{}` under `{kind}s:` or use one of the {} {kind}s defined",
                    name.value,
                    self.names.len()
                )
            }
        });
        Diagnostic::new(Code::UnknownName, format!("unknown {kind} `{}`", name.value))
            .label(name.span, format!("no {kind} of this name"))
            .help(help)
    }
}
