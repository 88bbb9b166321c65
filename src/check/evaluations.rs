//! Evaluations: routes evaluated, grader and embedding models of the right kind, thresholds
//! in range.

use super::{Checker, valid_indexed};
use crate::diag::{Code, Diagnostic};
use crate::spec::models::ModelKind;

impl Checker<'_> {
    pub(super) fn check_evaluations(&mut self) {
        for (index, name, eval) in valid_indexed(&self.doc.evaluations.value) {
            let partial = Checker::partial(&self.doc.evaluations.value, index);
            if eval.routes.value.is_empty() {
                self.diags.push(
                    Diagnostic::new(Code::MissingField, format!("evaluation `{}` evaluates no route", name.value))
                        .label(eval.routes.span, "empty")
                        .help("list the routes whose answers this dataset checks"),
                );
            }
            for route in &eval.routes.value {
                self.routes.resolve(route, &mut self.diags);
            }
            if let Some(min) = &eval.min_cases {
                if min.value == 0 {
                    self.diags.push(
                        Diagnostic::new(Code::InvalidNumber, "an evaluation with `min_cases: 0` gates nothing")
                            .label(min.span, "at least 1")
                            .help("the operating guide asks for a golden set of 500+ cases"),
                    );
                }
            }
            let t = &eval.thresholds.value;
            let scores =
                [("relevance", &t.relevance), ("groundedness", &t.groundedness), ("completeness", &t.completeness)];
            for (field, value) in scores {
                if let Some(v) = value {
                    if !(0.0..=1.0).contains(&v.value) {
                        self.diags.push(
                            Diagnostic::new(
                                Code::InvalidNumber,
                                format!("{field} threshold {} is not a score", v.value),
                            )
                            .label(v.span, "between 0 and 1")
                            .help(format!("write the minimum average {field}, e.g. `0.85`")),
                        );
                    }
                }
            }
            if !partial && scores.iter().all(|(_, v)| v.is_none()) && t.harmful_rate.is_none() {
                self.diags.push(
                    Diagnostic::new(Code::MissingField, format!("evaluation `{}` has no threshold", name.value))
                        .label(eval.thresholds.span, "nothing to gate on")
                        .help("set at least one of `relevance`, `groundedness`, `completeness`, `harmful_rate`"),
                );
            }
            for (field, wanted, model) in
                [("grader", ModelKind::Chat, &eval.grader), ("embedding", ModelKind::Embedding, &eval.embedding)]
            {
                let Some(model) = model else { continue };
                let Some(id) = self.models.resolve(model, &mut self.diags) else { continue };
                let Some(def) = self.model(id) else { continue };
                let kind = def.kind.as_ref().map_or(ModelKind::Chat, |k| k.value);
                if kind != wanted {
                    self.diags.push(
                        Diagnostic::new(
                            Code::WrongKind,
                            format!(
                                "`{field}` model `{}` is {} {kind} model",
                                model.value,
                                if kind == ModelKind::Embedding { "an" } else { "a" }
                            ),
                        )
                        .label(model.span, format!("expected a {wanted} model"))
                        .help(match wanted {
                            ModelKind::Chat => "the grader judges answers: name a chat model",
                            ModelKind::Embedding => "similarity needs embeddings: name a model with `kind: embedding`",
                        }),
                    );
                }
            }
        }
    }
}
