//! Compliance: each declared framework's required controls, from the built-in table in
//! `src/data/frameworks.yaml`, checked against the spec.

use std::sync::OnceLock;

use super::Checker;
use crate::decode_struct;
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::spec::compliance::Framework;
use crate::spec::data_classes::{Encryption, Network};
use crate::spec::models::Provider;
use crate::spec::routes::Auth;
use crate::spec::units::Duration;

const FRAMEWORKS: &str = include_str!("../data/frameworks.yaml");

/// One control a framework requires.
#[derive(Clone, Debug)]
pub struct Control {
    pub control: String,
    pub title: String,
    pub requires: String,
    pub fix: String,
}

decode_struct!(Control "control" { control: req, title: req, requires: req, fix: req });

/// The built-in controls per framework.
pub fn controls() -> &'static [(Framework, Vec<Control>)] {
    static TABLE: OnceLock<Vec<(Framework, Vec<Control>)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let map = crate::yaml::builtin_table::<Vec<Control>>("frameworks.yaml", FRAMEWORKS);
        map.valid()
            .filter_map(|(name, controls)| Framework::parse(name.value.as_str()).map(|f| (f, controls.clone())))
            .collect()
    })
}

/// Six years, HIPAA's documentation retention.
const SIX_YEARS: Duration = Duration { millis: 2190 * 86_400_000 };

impl Checker<'_> {
    pub(super) fn check_compliance(&mut self) {
        self.check_encryption();
        let Some(compliance) = &self.doc.compliance else { return };
        let c = &compliance.value;
        let mut seen: Vec<(Framework, Span)> = Vec::new();
        for framework in &c.frameworks.value {
            if let Some((_, first)) = seen.iter().find(|(f, _)| *f == framework.value) {
                self.diags.push(
                    Diagnostic::new(
                        Code::RedundantReference,
                        format!("framework `{}` is listed twice", framework.value),
                    )
                    .label(framework.span, "listed again")
                    .label(*first, "first listed here")
                    .help("list each framework once"),
                );
                continue;
            }
            seen.push((framework.value, framework.span));
            let Some((_, controls)) = controls().iter().find(|(f, _)| *f == framework.value) else { continue };
            for control in controls {
                for (span, why) in self.control_gaps(&control.requires) {
                    let mut d = Diagnostic::new(
                        Code::ComplianceControl,
                        format!("`{}` requires {}", framework.value, control.title),
                    )
                    .label(span, why.clone());
                    if span != framework.span {
                        d = d.label(framework.span, format!("`{}` declared here", framework.value));
                    }
                    self.diags.push(d.help(control.fix.clone()).note(format!("control `{}`", control.control)));
                }
            }
        }
    }

    /// `encryption: oracle-managed` covers the system's buckets and logs, which hold the traces
    /// of every route: a route whose data class asks for customer-managed keys contradicts it.
    /// genops does what the spec says or refuses it, never both (no vault while the spec says
    /// Oracle-managed, no Oracle-managed bucket holding data that needs a customer key).
    fn check_encryption(&mut self) {
        let Some(e) = self.doc.compliance.as_ref().and_then(|c| c.value.encryption.as_ref()) else { return };
        if e.value != Encryption::OracleManaged {
            return;
        }
        let needing: Vec<(Span, String, String)> = self
            .doc
            .routes
            .value
            .valid()
            .filter(|(_, r)| self.classes.get(r.data_class.value).encryption == Encryption::CustomerManaged)
            .map(|(name, r)| (r.data_class.span, name.value.to_string(), r.data_class.value.to_string()))
            .collect();
        let Some((_, first, _)) = needing.first() else { return };
        let mut d = Diagnostic::new(
            Code::EncryptionConflict,
            format!("`compliance.encryption` is oracle-managed, but route `{first}` needs customer-managed keys"),
        )
        .label(e.span, "the system's buckets and logs would use Oracle's keys");
        for (span, route, class) in &needing {
            d = d.label(*span, format!("route `{route}`: {class} data asks for customer-managed keys"));
        }
        self.diags.push(d.help(
            "set `compliance.encryption: customer-managed` (genops then creates the vault and key the buckets use), or give those routes a data class whose `encryption` is oracle-managed",
        ));
    }

    /// Where the spec falls short of a requirement: (span to point at, what is missing).
    fn control_gaps(&self, requires: &str) -> Vec<(Span, String)> {
        let Some(compliance) = &self.doc.compliance else { return Vec::new() };
        let c = &compliance.value;
        let anchor = c.frameworks.span;
        let retention = c.retention.as_ref().map(|r| &r.value);
        match requires {
            "trace-retention" => match retention.and_then(|r| r.traces.as_ref()) {
                Some(_) => Vec::new(),
                None => vec![(anchor, "traces are kept forever: no `retention.traces`".into())],
            },
            "decision-logging" => match &c.decision_logging {
                Some(d) if d.value => Vec::new(),
                Some(d) => vec![(d.span, "`decision_logging` is false".into())],
                None => vec![(anchor, "no `decision_logging: true`".into())],
            },
            "customer-managed-keys" => match &c.encryption {
                Some(e) if e.value == Encryption::CustomerManaged => Vec::new(),
                Some(e) => vec![(e.span, format!("encryption is `{}`", e.value))],
                None => vec![(anchor, "no `encryption: customer-managed`".into())],
            },
            "audit-retention-6y" => match retention.and_then(|r| r.audit.as_ref()) {
                Some(a) if a.value >= SIX_YEARS => Vec::new(),
                Some(a) => vec![(a.span, format!("audit records kept {} only", a.value))],
                None => vec![(anchor, "no `retention.audit`".into())],
            },
            "route-authentication" => self
                .doc
                .routes
                .value
                .valid()
                .filter_map(|(name, route)| match &route.auth {
                    Some(a) if matches!(a.value, Auth::Jwt(_)) => None,
                    Some(a) => Some((a.span, format!("route `{}` has no authentication", name.value))),
                    None => Some((name.span, format!("route `{}` has no `auth`", name.value))),
                })
                .collect(),
            "network-isolation" => {
                let mut gaps: Vec<(Span, String)> = self
                    .doc
                    .routes
                    .value
                    .valid()
                    .filter(|(_, r)| self.classes.get(r.data_class.value).network == Network::Public)
                    .map(|(name, r)| {
                        (r.data_class.span, format!("route `{}` is served on a public network", name.value))
                    })
                    .collect();
                gaps.extend(
                    self.doc
                        .models
                        .value
                        .valid()
                        .filter(|(_, m)| m.provider.value == Provider::External)
                        .map(|(name, m)| (m.provider.span, format!("model `{}` runs outside OCI", name.value))),
                );
                gaps
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_framework_has_controls_with_known_requirements() {
        let known = [
            "trace-retention",
            "decision-logging",
            "route-authentication",
            "customer-managed-keys",
            "audit-retention-6y",
            "network-isolation",
        ];
        for framework in Framework::ALL {
            let (_, list) = controls().iter().find(|(f, _)| f == framework).expect("framework in table");
            assert!(!list.is_empty());
            assert!(list.iter().all(|c| known.contains(&c.requires.as_str())), "{framework}");
        }
    }
}
