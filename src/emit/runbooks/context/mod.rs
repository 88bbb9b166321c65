//! What a runbook template sees: the checked system as plain, pre-formatted data.
//!
//! Every value is a string, a number of items, a boolean, a list or `none` — durations, shares
//! and amounts are already written the way the spec writes them (`8s`, `99.9%`, `0.05`), so a
//! template never formats numbers. Optional things are `none` rather than missing, so that
//! `{% if route.fallbacks %}` works under strict undefined while a misspelt field still fails
//! the build.
//!
//! In: the [`Derived`] view of a checked system (its alert catalogue and LiteLLM plan). Out:
//! [`Context`], built once per build and shared, read in place, by every template. The types a
//! template reads are in `view`; each part is built by the file of its concept (`system`,
//! `oncall`, `routes`, `budgets`, `runbooks` with their `alerts`); numbers, durations
//! and links are written by `format`, and the strings that many alerts share are kept once by
//! `shared`.

mod alerts;
mod budgets;
mod format;
mod oncall;
mod routes;
mod runbooks;
mod shared;
mod system;
mod view;

use std::sync::Arc;

pub use view::*;

use crate::emit::derived::Derived;
use crate::model::cost::Costs;

/// The context of every runbook of the system.
pub fn build(derived: &Derived) -> Context {
    let system = derived.system;
    // Linear in the size of the system: one LiteLLM plan, one cost model, and indexes by route
    // instead of searches.
    let costs = Costs::new(system);
    let runbooks = runbooks::runbooks(derived);
    let routes = routes::routes(derived, &costs, &runbooks);
    Context {
        system: Arc::new(system::system(system)),
        files: Arc::new(system::files(system)),
        oncall: system.oncall.as_ref().map(|o| Arc::new(oncall::oncall(system, o))),
        issuers: routes::issuers(&routes),
        routes: routes.into_iter().collect(),
        budgets: system.budgets.iter().map(|b| budgets::budget(system, derived.routing(), &costs, b)).collect(),
        evaluations: system::evaluations(system),
        compliance: Arc::new(system::compliance(system)),
        runbooks: runbooks.into_iter().collect(),
        burn_windows: system::burn_windows(),
    }
}

/// Each item once, in the order first seen.
fn first_seen<T: std::hash::Hash + Eq + Copy>(items: impl IntoIterator<Item = T>) -> impl Iterator<Item = T> {
    let mut seen = crate::hash::HashSet::default();
    items.into_iter().filter(move |item| seen.insert(*item))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::load::MemoryFiles;
    use crate::model::RouteId;

    /// The evaluations and budgets of each route, found once for all routes, are those that
    /// name it (a budget that names no route covers them all), in spec order, each once: what
    /// searching every evaluation and budget for the route gives.
    #[test]
    fn each_route_lists_what_covers_it() {
        let mut synth = crate::synth::generate(120);
        // A route named twice by one evaluation and one budget still lists each once.
        synth.spec = synth.spec.replacen("routes: [route-0", "routes: [route-0, route-0", 2);
        assert!(synth.spec.contains("route-0, route-0"), "the synthetic spec names route-0 in a list");
        let files = synth.files.iter().fold(MemoryFiles::default(), |f, (p, c)| f.with(p, c.as_bytes()));
        let c = compile("genops.yaml", synth.spec.into_bytes(), &files);
        assert!(!c.has_errors(), "{:#?}", c.diagnostics);
        let system = c.system.expect("system");
        let base = build(&Derived::new(&system));
        for (i, r) in base.routes.iter().enumerate() {
            let id = RouteId(i);
            let evaluations: Vec<String> =
                system.evaluations.iter().filter(|e| e.routes.contains(&id)).map(|e| e.name.to_string()).collect();
            let budgets: Vec<String> = system
                .budgets
                .iter()
                .filter(|b| b.routes.is_empty() || b.routes.contains(&id))
                .map(|b| b.name.to_string())
                .collect();
            assert_eq!(r.evaluations.to_vec(), evaluations, "{}", r.name);
            assert_eq!(r.budgets.to_vec(), budgets, "{}", r.name);
        }
        assert!(
            base.routes.iter().any(|r| !r.evaluations.is_empty()) && base.routes.iter().any(|r| !r.budgets.is_empty())
        );
    }
}
