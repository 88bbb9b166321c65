//! Incidents: the six standard types (`src/data/incidents.yaml`) with the spec's overrides;
//! an override names a known type, an existing rotation, and a threshold in the type's unit.

use std::sync::OnceLock;

use super::Checker;
use crate::decode_struct;
use crate::diag::{Code, Diagnostic, suggest};
use crate::model::IncidentKind;
use crate::source::Spanned;
use crate::spec::incidents::Severity;
use crate::spec::units::Threshold;

const INCIDENTS: &str = include_str!("../data/incidents.yaml");

/// A standard incident type's defaults.
#[derive(Clone, Debug)]
pub struct IncidentDefaults {
    pub title: Spanned<String>,
    pub severity: Spanned<Severity>,
    pub page: Spanned<bool>,
    pub threshold: Spanned<Threshold>,
    pub detection: Spanned<String>,
    pub action: Spanned<String>,
}

decode_struct!(IncidentDefaults "incident type" { title: req, severity: req, page: req, threshold: req, detection: req, action: req });

/// The built-in defaults, in the order of [`IncidentKind::ALL`].
pub fn defaults() -> &'static [(IncidentKind, IncidentDefaults)] {
    static TABLE: OnceLock<Vec<(IncidentKind, IncidentDefaults)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let map = crate::yaml::builtin_table::<IncidentDefaults>("incidents.yaml", INCIDENTS);
        IncidentKind::ALL
            .iter()
            .map(|kind| {
                let (_, d) = map
                    .valid()
                    .find(|(n, _)| n.value.as_str() == kind.as_str())
                    .expect("every incident type has defaults (tested)");
                (*kind, d.clone())
            })
            .collect()
    })
}

/// Whether a threshold has the unit an incident type is detected in.
pub fn threshold_fits(kind: IncidentKind, threshold: Threshold) -> Result<(), &'static str> {
    match (kind, threshold) {
        (IncidentKind::ModelTimeout, Threshold::Duration(d)) if d.millis > 0 => Ok(()),
        (IncidentKind::ModelTimeout, _) => Err("a latency, e.g. `8s`"),
        (IncidentKind::ToolFailure | IncidentKind::CostOverrun, Threshold::Percent(p)) if p.fraction > 0.0 => Ok(()),
        (IncidentKind::ToolFailure, _) => Err("an error rate, e.g. `5%`"),
        (IncidentKind::CostOverrun, _) => Err("a share of the budget, e.g. `100%`"),
        (IncidentKind::QualityDegradation, Threshold::Number(n)) if n > 0.0 && n <= 1.0 => Ok(()),
        (IncidentKind::QualityDegradation, _) => Err("an evaluation score between 0 and 1, e.g. `0.85`"),
        (IncidentKind::PromptInjection | IncidentKind::DataBreach, Threshold::Number(n))
            if n >= 1.0 && n.fract() == 0.0 =>
        {
            Ok(())
        }
        (IncidentKind::PromptInjection | IncidentKind::DataBreach, _) => {
            Err("a count of events per 5 minutes, e.g. `1`")
        }
    }
}

impl Checker<'_> {
    pub(super) fn check_incidents(&mut self) {
        let names: Vec<&str> = IncidentKind::ALL.iter().map(|k| k.as_str()).collect();
        for entry in &self.doc.incidents.value.entries {
            let Some(kind) = IncidentKind::parse(entry.name.value.as_str()) else {
                let help = suggest::help_for(entry.name.value.as_str(), names.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "the incident types are {}",
                        names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                    )
                });
                self.diags.push(
                    Diagnostic::new(Code::UnknownName, format!("unknown incident type `{}`", entry.name.value))
                        .label(entry.name.span, "not a standard incident type")
                        .help(help),
                );
                continue;
            };
            let Some(o) = &entry.value else { continue };
            if let Some(rotation) = &o.rotation {
                if self.doc.oncall.is_none() {
                    self.diags.push(
                        Diagnostic::new(Code::UnknownName, format!("unknown rotation `{}`", rotation.value))
                            .label(rotation.span, "the spec has no `oncall:` section")
                            .help("define the rotation under `oncall.rotations`"),
                    );
                } else {
                    self.rotations.resolve(rotation, &mut self.diags);
                }
            }
            if let Some(t) = &o.threshold {
                if let Err(expected) = threshold_fits(kind, t.value) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!(
                                "threshold `{}` does not fit incident type `{kind}`",
                                t.value,
                                kind = kind.as_str()
                            ),
                        )
                        .label(t.span, format!("expected {expected}"))
                        .help(format!("write {expected}")),
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
    fn defaults_cover_all_six_types_with_fitting_thresholds() {
        let table = defaults();
        assert_eq!(table.len(), 6);
        for (kind, d) in table {
            assert_eq!(threshold_fits(*kind, d.threshold.value), Ok(()), "{}", kind.as_str());
        }
    }
}
