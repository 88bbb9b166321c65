//! Data classes: the built-in policies, the spec's overrides, and the serving rule every
//! model reference of a route is held to.

use super::Checker;
use crate::diag::{Code, Diagnostic, suggest};
use crate::model::{DataClassPolicy, DataClasses};
use crate::source::Span;
use crate::spec::data_classes;
use crate::spec::data_classes::{DataClassName, LoggingLevel, ServingKind};
use crate::spec::models::{Provider, Serving};

const BUILTIN: &str = include_str!("../data/data_classes.yaml");

/// The built-in policies of the four classes (`src/data/data_classes.yaml`).
pub(crate) fn builtin() -> DataClasses {
    let map = crate::yaml::builtin_table::<data_classes::DataClassPolicy>("data_classes.yaml", BUILTIN);
    let policies = DataClassName::ALL
        .iter()
        .map(|class| {
            let p = map
                .valid()
                .find(|(n, _)| n.value.as_str() == class.as_str())
                .map(|(_, p)| p)
                .expect("every class is defined in the built-in data (tested)");
            DataClassPolicy {
                serving: p.serving.as_ref().map(|s| s.value.iter().map(|k| k.value).collect()).unwrap_or_default(),
                logging: p.logging.as_ref().map_or(LoggingLevel::AuditOnly, |v| v.value),
                encryption: p.encryption.as_ref().map_or(data_classes::Encryption::CustomerManaged, |v| v.value),
                network: p.network.as_ref().map_or(data_classes::Network::Private, |v| v.value),
                residency: p.residency.as_ref().is_some_and(|v| v.value),
                moderation: p.moderation.as_ref().is_some_and(|v| v.value),
            }
        })
        .collect();
    DataClasses { policies }
}

impl Checker<'_> {
    pub(super) fn check_data_class_overrides(&mut self) {
        let names: Vec<&str> = DataClassName::ALL.iter().map(|c| c.as_str()).collect();
        for entry in &self.doc.data_classes.value.entries {
            let Some(class) = DataClassName::parse(entry.name.value.as_str()) else {
                self.diags.push(
                    Diagnostic::new(Code::UnknownName, format!("unknown data class `{}`", entry.name.value))
                        .label(entry.name.span, "not a data class")
                        .help(suggest::help_for(entry.name.value.as_str(), names.iter().copied()).unwrap_or_else(|| {
                            "the data classes are `public`, `internal`, `confidential` and `restricted`; a spec overrides them, it does not add new ones".into()
                        })),
                );
                continue;
            };
            let Some(o) = &entry.value else { continue };
            let index = DataClassName::ALL.iter().position(|c| *c == class).unwrap_or(0);
            let policy = &mut self.classes.policies[index];
            if let Some(v) = &o.serving {
                policy.serving = v.value.iter().map(|k| k.value).collect();
            }
            if let Some(v) = &o.logging {
                policy.logging = v.value;
            }
            if let Some(v) = &o.encryption {
                policy.encryption = v.value;
            }
            if let Some(v) = &o.network {
                policy.network = v.value;
            }
            if let Some(v) = &o.residency {
                policy.residency = v.value;
            }
            if let Some(v) = &o.moderation {
                policy.moderation = v.value;
            }
        }
    }

    /// The serving kind of a model definition.
    pub(crate) fn serving_kind(&self, model: usize) -> Option<ServingKind> {
        let m = self.model(model)?;
        Some(match (m.provider.value, m.serving.as_ref().map(|s| &s.value)) {
            (Provider::External, _) => ServingKind::External,
            (Provider::OciGenai, Some(Serving::Dedicated(_))) => ServingKind::Dedicated,
            (Provider::OciGenai, _) => ServingKind::OnDemand,
        })
    }

    /// A model's effective region: its own, else its cluster's, else the system's.
    pub(crate) fn model_region(&self, model: usize) -> Option<(String, Option<Span>)> {
        let m = self.model(model)?;
        if let Some(r) = &m.region {
            return Some((r.value.0.clone(), Some(r.span)));
        }
        if let Some(Serving::Dedicated(cluster)) = m.serving.as_ref().map(|s| &s.value) {
            let id = self.clusters.get(cluster.value.as_str())?;
            if let Some(r) = self.doc.clusters.value.entries[id].value.as_ref().and_then(|c| c.region.as_ref()) {
                return Some((r.value.0.clone(), Some(r.span)));
            }
        }
        Some((self.system_region()?, None))
    }

    pub(crate) fn system_region(&self) -> Option<String> {
        Some(self.doc.system.value.region.value.0.clone())
    }

    /// Checks that `model`, referenced at `at` by a route of `class` as `role`, may serve it.
    pub(crate) fn check_model_allowed(
        &mut self,
        class: DataClassName,
        class_span: Span,
        model: usize,
        at: Span,
        role: &str,
    ) {
        self.check_model_allowed_via(class, class_span, model, at, role, None);
    }

    /// As [`Checker::check_model_allowed`], for a model reached through another route.
    pub(crate) fn check_model_allowed_via(
        &mut self,
        class: DataClassName,
        class_span: Span,
        model: usize,
        at: Span,
        role: &str,
        through: Option<&str>,
    ) {
        let via = through.map(|r| format!(" (through fallback route `{r}`)")).unwrap_or_default();
        let Some(kind) = self.serving_kind(model) else { return };
        let policy = self.classes.get(class).clone();
        let name = self.models.name(model);
        if !policy.serving.contains(&kind) {
            let allowed = policy.serving.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            let help = match class {
                DataClassName::Confidential | DataClassName::Restricted => format!(
                    "serve `{name}` on a dedicated AI cluster (`serving: {{ dedicated: <cluster> }}`), or choose a {role} that is"
                ),
                _ => format!("choose a {role} whose serving is one of {allowed}, or change the data class"),
            };
            self.diags.push(
                Diagnostic::new(
                    Code::DataClassServing,
                    format!("`{class}` data may not use {role} `{name}`{via}: it is served {}", kind.describe()),
                )
                .label(at, format!("`{name}` is served {}", kind.describe()))
                .label(class_span, format!("`{class}` allows {allowed}"))
                .help(help),
            );
        }
        if policy.residency {
            if let (Some((region, region_span)), Some(system)) = (self.model_region(model), self.system_region()) {
                if region != system {
                    let mut d = Diagnostic::new(
                        Code::DataResidency,
                        format!("{role} `{name}`{via} runs in `{region}`, outside the system's region `{system}`"),
                    )
                    .label(at, format!("`{class}` data must stay in `{system}`"));
                    if let Some(span) = region_span {
                        d = d.label(span, format!("`{region}` set here"));
                    }
                    self.diags.push(
                        d.help(format!("run `{name}` (and its cluster) in `{system}`, or use a model that does")),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_policies_follow_the_guide() {
        let classes = builtin();
        assert_eq!(classes.get(DataClassName::Public).serving.len(), 3);
        assert_eq!(classes.get(DataClassName::Internal).serving, vec![ServingKind::OnDemand, ServingKind::Dedicated]);
        assert_eq!(classes.get(DataClassName::Confidential).serving, vec![ServingKind::Dedicated]);
        assert!(classes.get(DataClassName::Restricted).residency);
        assert_eq!(classes.get(DataClassName::Confidential).logging, LoggingLevel::AuditOnly);
    }
}
