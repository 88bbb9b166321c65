//! The check stage: spec → checked system.
//!
//! In: a parsed [`Document`], the loaded [`Inputs`] and the [`SourceMap`]. Out: a
//! [`model::System`] when there is no error, and every diagnostic either way. One file per
//! concern; each reads the document through the name tables built here, so a reference is
//! resolved (and reported when unknown) in one place. Definitions that failed to decode are
//! known by name but skipped by the policy checks, so one mistake is reported once.

mod budgets;
mod compliance;
mod cost;
mod data_classes;
mod evaluations;
mod files;
mod incidents;
mod latency;
mod limits;
mod lower;
mod models;
mod oncall;
mod routes;
mod slos;
mod table;
mod unused;
mod waf;

use crate::diag::Diagnostics;
use crate::load::Inputs;
use crate::model::{self, DataClasses};
use crate::source::SourceMap;
use crate::spec::{Document, Model, NamedMap, Route};
use table::Table;

/// Checks a document; returns the system when there is no error.
pub fn check(doc: &Document, inputs: &Inputs, sources: &SourceMap, diags: &mut Diagnostics) -> Option<model::System> {
    let mut checker = Checker::new(doc, inputs, sources);
    checker.prior_errors = diags.has_errors();
    checker.run();
    let mut system = if checker.has_errors() { None } else { lower::lower(&checker) };
    // Arithmetic runs on the resolved system: fallbacks are acyclic, defaults applied.
    if let Some(resolved) = &system {
        checker.check_fallback_route_classes(resolved);
        checker.check_latency(resolved);
        checker.check_costs(resolved);
        checker.check_slo_noise(resolved);
        checker.check_fallback_budgets(resolved);
        checker.check_budget_recipients(resolved);
        checker.check_budget_blind_spots(resolved);
        checker.check_gateway_limits(resolved);
        checker.check_alarm_operations(resolved);
        if checker.diags.has_errors() {
            system = None;
        }
    }
    diags.extend(checker.diags);
    system
}

pub(crate) struct Checker<'a> {
    pub doc: &'a Document,
    pub inputs: &'a Inputs,
    pub sources: &'a SourceMap,
    pub diags: Diagnostics,
    pub models: Table<'a>,
    pub clusters: Table<'a>,
    pub prompts: Table<'a>,
    pub routes: Table<'a>,
    pub evaluations: Table<'a>,
    pub rotations: Table<'a>,
    pub classes: DataClasses,
    /// Valid dataset cases per evaluation, counted by `files`.
    pub dataset_cases: Vec<usize>,
    /// Errors found before this stage (while reading the YAML).
    pub prior_errors: bool,
}

impl<'a> Checker<'a> {
    fn new(doc: &'a Document, inputs: &'a Inputs, sources: &'a SourceMap) -> Checker<'a> {
        let rotations = doc.oncall.as_ref().map(|o| &o.value.rotations.value);
        Checker {
            doc,
            inputs,
            sources,
            diags: Diagnostics::new(),
            models: Table::new("model", &doc.models.value),
            clusters: Table::new("cluster", &doc.clusters.value),
            prompts: Table::new("prompt", &doc.prompts.value),
            routes: Table::new("route", &doc.routes.value),
            evaluations: Table::new("evaluation", &doc.evaluations.value),
            rotations: rotations.map(|r| Table::new("rotation", r)).unwrap_or_else(|| Table::empty("rotation")),
            classes: data_classes::builtin(),
            dataset_cases: vec![0; doc.evaluations.value.len()],
            prior_errors: false,
        }
    }

    fn run(&mut self) {
        self.check_data_class_overrides();
        self.check_models();
        self.check_routes();
        self.check_waf_opt_outs();
        self.check_fallback_cycles();
        self.check_slos();
        self.check_budgets();
        self.check_evaluations();
        self.check_files();
        self.check_compliance();
        self.check_oncall();
        self.check_incidents();
        // "never used" is noise while a definition that might use it has errors.
        if !self.has_errors() {
            self.check_unused();
        }
    }

    pub fn has_errors(&self) -> bool {
        self.prior_errors || self.diags.has_errors()
    }

    /// Whether the definition had an invalid optional field: absence checks skip it, since the
    /// field was written (and already reported), not forgotten.
    pub fn partial<T>(map: &NamedMap<T>, index: usize) -> bool {
        map.entries[index].partial
    }

    /// The model definition behind an id, when it decoded.
    pub fn model(&self, id: usize) -> Option<&'a Model> {
        self.doc.models.value.entries[id].value.as_ref()
    }

    pub fn route(&self, id: usize) -> Option<&'a Route> {
        self.doc.routes.value.entries[id].value.as_ref()
    }
}

/// The definitions of a named section with their index.
pub(crate) fn valid_indexed<T>(
    map: &NamedMap<T>,
) -> impl Iterator<Item = (usize, &crate::source::Spanned<crate::spec::units::Name>, &T)> {
    map.entries.iter().enumerate().filter_map(|(i, e)| e.value.as_ref().map(|v| (i, &e.name, v)))
}
