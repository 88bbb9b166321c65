//! The string cache of the context: strings that many alarms have in common, kept once.
//!
//! In: the texts, numbers and burn windows of the alerts as they are built. Out: shared
//! [`Text`]s, so that a rule name, a window, a threshold or a runbook repeated by 100,000
//! alerts at 10,000 routes is one allocation, and each distinct number is formatted once.

use std::sync::Arc;

use super::super::object::Text;
use super::alerts::oci_severity;
use super::format::percent;
use crate::model::alerts::SloAlert;
use crate::spec::slos::Sli;
use crate::spec::units::format_number;

/// The text every burn-rate alert of one SLI kind and window has in common.
#[derive(Clone)]
pub(super) struct WindowTexts {
    pub(super) rule: Text,
    pub(super) severity: Text,
    pub(super) oci_severity: Text,
    pub(super) window: Text,
    pub(super) name: Text,
}

/// Strings that many alerts have in common (a rule, a window, a threshold, a route, a
/// runbook), each kept once in the context and shared: 100,000 alerts at 10,000 routes.
#[derive(Default)]
pub(super) struct Shared {
    texts: crate::hash::HashSet<Text>,
    /// The texts of each SLI kind and burn window (by name) seen, a handful.
    windows: Vec<((Sli, &'static str), WindowTexts)>,
    /// The text of each number written one way, by the number's bits: a few hundred distinct
    /// numbers for 100,000 alerts, each formatted once.
    numbers: crate::hash::HashMap<(Number, u64), Text>,
}

/// How an alert's number is written.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Number {
    /// `format_number`: `14.4`.
    Plain,
    /// `above 0.5%`: a share as a threshold.
    Above,
}

impl Shared {
    /// The texts of the SLI kind and burn window of `a`, made once per build.
    pub(super) fn window(&mut self, a: &SloAlert) -> WindowTexts {
        let key = (a.slo.sli, a.window.name.as_str());
        if let Some((_, texts)) = self.windows.iter().find(|(k, _)| *k == key) {
            return texts.clone();
        }
        let texts = WindowTexts {
            rule: self.text(&a.prometheus_rule()),
            severity: self.text(a.window.severity.as_str()),
            oci_severity: self.text(oci_severity(a.window.severity)),
            window: self.text(&format!("{} and {}", a.window.long, a.window.short)),
            name: self.text(&a.window.name),
        };
        self.windows.push((key, texts.clone()));
        texts
    }

    pub(super) fn number(&mut self, how: Number, value: f64) -> Text {
        if let Some(text) = self.numbers.get(&(how, value.to_bits())) {
            return text.clone();
        }
        let text = match how {
            Number::Plain => self.text(&format_number(value)),
            Number::Above => self.text(&format!("above {}", percent(value))),
        };
        self.numbers.insert((how, value.to_bits()), text.clone());
        text
    }

    pub(super) fn text(&mut self, text: &str) -> Text {
        if let Some(shared) = self.texts.get(text) {
            return shared.clone();
        }
        let shared: Text = Arc::from(text);
        self.texts.insert(shared.clone());
        shared
    }
}
