//! Definitions nobody uses: models, prompts, clusters and rotations (warnings).

use super::Checker;
use crate::diag::{Code, Diagnostic};
use crate::hash::HashSet;
use crate::spec::NamedMap;
use crate::spec::models::Serving;

impl Checker<'_> {
    pub(super) fn check_unused(&mut self) {
        let doc = self.doc;
        let mut models: HashSet<&str> = HashSet::default();
        let mut prompts: HashSet<&str> = HashSet::default();
        let mut clusters: HashSet<&str> = HashSet::default();
        let mut rotations: HashSet<&str> = HashSet::default();
        for (_, route) in doc.routes.value.valid() {
            models.insert(route.model.value.as_str());
            models.extend(route.fallbacks.iter().map(|f| f.value.as_str()));
            models.extend(route.tiers.iter().map(|t| t.value.model.value.as_str()));
            if let Some(p) = &route.prompt {
                prompts.insert(p.value.as_str());
            }
            if let Some(r) = &route.rollout {
                if let Some(m) = &r.value.candidate.value.model {
                    models.insert(m.value.as_str());
                }
                if let Some(p) = &r.value.candidate.value.prompt {
                    prompts.insert(p.value.as_str());
                }
            }
        }
        for (_, budget) in doc.budgets.value.valid() {
            if let Some(p) = &budget.on_pressure {
                models.extend(p.value.downgrade.0.iter().map(|d| d.value.to.value.as_str()));
            }
        }
        for (_, eval) in doc.evaluations.value.valid() {
            models.extend(eval.grader.iter().chain(eval.embedding.iter()).map(|m| m.value.as_str()));
        }
        for (_, model) in doc.models.value.valid() {
            if let Some(Serving::Dedicated(c)) = model.serving.as_ref().map(|s| &s.value) {
                clusters.insert(c.value.as_str());
            }
        }
        if let Some(oncall) = &doc.oncall {
            rotations.extend(oncall.value.escalation.value.iter().map(|s| s.value.rotation.value.as_str()));
        }
        for (_, o) in doc.incidents.value.valid() {
            if let Some(r) = &o.rotation {
                rotations.insert(r.value.as_str());
            }
        }
        self.warn_unused(
            &doc.models.value,
            &models,
            "model",
            "use it in a route (model, fallback, tier, rollout), a budget downgrade or an evaluation, or remove it",
        );
        self.warn_unused(
            &doc.prompts.value,
            &prompts,
            "prompt",
            "use it in a route or a rollout candidate, or remove it",
        );
        self.warn_unused(
            &doc.clusters.value,
            &clusters,
            "cluster",
            "serve a model on it (`serving: { dedicated: … }`) or remove it: an idle dedicated cluster is still billed",
        );
        if let Some(oncall) = &doc.oncall {
            self.warn_unused(
                &oncall.value.rotations.value,
                &rotations,
                "rotation",
                "add it to the escalation ladder, or remove it",
            );
        }
    }

    fn warn_unused<T>(&mut self, map: &NamedMap<T>, used: &HashSet<&str>, kind: &str, help: &str) {
        for entry in &map.entries {
            if !used.contains(entry.name.value.as_str()) {
                self.diags.push(
                    Diagnostic::new(Code::Unused, format!("{kind} `{}` is never used", entry.name.value))
                        .label(entry.name.span, "defined here")
                        .help(help.to_string()),
                );
            }
        }
    }
}
