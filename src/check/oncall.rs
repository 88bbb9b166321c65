//! On-call: rotations that can page someone, an escalation ladder whose timings increase,
//! and channels that reach somewhere.

use super::{Checker, valid_indexed};
use crate::diag::{Code, Diagnostic};
use crate::source::Spanned;
use crate::spec::oncall::{Channel, Coverage};
use crate::spec::slos::Sli;

impl Checker<'_> {
    pub(super) fn check_oncall(&mut self) {
        let Some(oncall) = &self.doc.oncall else {
            if let Some(first) = self.doc.slos.value.entries.first() {
                self.diags.push(
                    Diagnostic::new(Code::AlarmsPageNobody, "the SLOs' alarms would page nobody: the spec has no `oncall` section")
                        .label(first.name.span, "this SLO gets paging and ticket alarms")
                        .help("add `oncall:` with a rotation, an escalation ladder and the alerts channel; every paging alarm goes to the first escalation step"),
                );
            }
            return;
        };
        let o = &oncall.value;
        for (_, name, rotation) in valid_indexed(&o.rotations.value) {
            if rotation.members.value.is_empty() {
                self.diags.push(
                    Diagnostic::new(Code::RotationDefinition, format!("rotation `{}` has no members", name.value))
                        .label(rotation.members.span, "nobody to page")
                        .help("list the members' email addresses"),
                );
            }
            let members = &rotation.members.value;
            for (i, member) in members.iter().enumerate() {
                if let Some(first) =
                    members[..i].iter().find(|m| m.value.as_str().eq_ignore_ascii_case(member.value.as_str()))
                {
                    self.diags.push(
                        Diagnostic::new(
                            Code::RedundantReference,
                            format!("`{}` is listed twice in rotation `{}`", member.value, name.value),
                        )
                        .label(member.span, "listed again")
                        .label(first.span, "first listed here")
                        .help("list each member once"),
                    );
                }
            }
            if let Some(length) = &rotation.length {
                if length.value.millis < 3_600_000 {
                    self.diags.push(
                        Diagnostic::new(
                            Code::InvalidDuration,
                            format!("rotation `{}` hands over every {}", name.value, length.value),
                        )
                        .label(length.span, "shorter than an hour")
                        .help("shifts are usually `1d` or `1w`"),
                    );
                }
            }
        }
        if o.escalation.value.is_empty() {
            self.diags.push(
                Diagnostic::new(Code::EscalationOrder, "the escalation ladder is empty")
                    .label(o.escalation.span, "nobody is paged")
                    .help("start with `- rotation: primary`, then later steps with `after:`"),
            );
        }
        let mut previous: Option<&Spanned<crate::spec::units::Duration>> = None;
        for (i, step) in o.escalation.value.iter().enumerate() {
            let s = &step.value;
            self.rotations.resolve(&s.rotation, &mut self.diags);
            match (&s.after, previous) {
                (Some(after), None) if i == 0 && after.value.millis > 0 => self.diags.push(
                    Diagnostic::new(Code::EscalationOrder, format!("the first escalation step waits {}", after.value))
                        .label(after.span, "the first step is paged at once")
                        .help("remove `after` from the first step"),
                ),
                (Some(after), Some(prev)) if after.value <= prev.value => self.diags.push(
                    Diagnostic::new(
                        Code::EscalationOrder,
                        format!("escalation step {} at {} does not come after {}", i + 1, after.value, prev.value),
                    )
                    .label(after.span, "not later than the step before")
                    .label(prev.span, "previous step")
                    .help("each step's `after` must be later than the one before it"),
                ),
                (None, _) if i > 0 => self.diags.push(
                    Diagnostic::new(Code::EscalationOrder, format!("escalation step {} has no `after`", i + 1))
                        .label(step.span, "when is this step paged?")
                        .help("add `after: 15m` (time since the page, without acknowledgement)"),
                ),
                _ => {}
            }
            // OCI escalates a page with an alarm held `after` longer, and holds an alarm for at
            // most a day (`emit/terraform/monitoring.rs`).
            if let Some(after) = s.after.as_ref().filter(|a| a.value.millis >= 86_400_000) {
                self.diags.push(
                    Diagnostic::new(
                        Code::EscalationTooLate,
                        format!("escalation step {} waits {}, longer than an OCI alarm can", i + 1, after.value),
                    )
                    .label(after.span, "OCI holds an alarm for at most 1d")
                    .help("escalate within a day (e.g. `after: 4h`); the step's OCI alarm is notified a day after the page's condition began"),
                );
            }
            if let Some(after) = &s.after {
                previous = Some(after);
            }
        }
        self.check_paging_coverage();
        let channels = &o.channels.value;
        let all = [
            ("alerts", Some(&channels.alerts)),
            ("incidents", channels.incidents.as_ref()),
            ("pager", channels.pager.as_ref()),
            ("support", channels.support.as_ref()),
        ];
        for (role, channel) in all {
            if let Some(channel) = channel {
                self.check_channel(role, channel);
            }
        }
    }

    /// Pages must reach someone on duty at any hour: the first escalation step, and the rotation
    /// an incident type that pages names, must cover 24x7 (GO0318).
    fn check_paging_coverage(&mut self) {
        let Some(oncall) = &self.doc.oncall else { return };
        let o = &oncall.value;
        let business_hours = |name: &str| {
            valid_indexed(&o.rotations.value)
                .find(|(_, n, _)| n.value.as_str() == name)
                .filter(|(_, _, r)| r.coverage.value == Coverage::BusinessHours)
                .map(|(_, _, r)| r.coverage.span)
        };
        // Which incident types page, with the spec's overrides applied.
        let mut paging_incidents = Vec::new();
        for (kind, defaults) in super::incidents::defaults() {
            let entry = self.doc.incidents.value.entries.iter().find(|e| e.name.value.as_str() == kind.as_str());
            let o = entry.and_then(|e| e.value.as_ref());
            let page = o.and_then(|o| o.page.as_ref()).map_or(defaults.page.value, |p| p.value);
            if page {
                paging_incidents.push((kind.as_str(), o.and_then(|o| o.rotation.as_ref())));
            }
        }
        let paging_slos = self
            .doc
            .slos
            .value
            .valid()
            .any(|(_, s)| matches!(s.sli.value, Sli::Availability | Sli::Latency | Sli::HarmfulRate));
        if let Some(first) = o.escalation.value.first() {
            let rotation = &first.value.rotation;
            if let (Some(coverage), true) =
                (business_hours(rotation.value.as_str()), paging_slos || !paging_incidents.is_empty())
            {
                self.diags.push(
                    Diagnostic::new(
                        Code::PagesOutOfHours,
                        format!(
                            "the first escalation step pages rotation `{}`, which is on call in business hours only",
                            rotation.value
                        ),
                    )
                    .label(rotation.span, "paged first for every alarm, day and night")
                    .label(coverage, "business hours only")
                    .help("put a `24x7` rotation first; a business-hours rotation can join at a later step"),
                );
            }
        }
        for (kind, rotation) in paging_incidents {
            let Some(rotation) = rotation else { continue };
            if let Some(coverage) = business_hours(rotation.value.as_str()) {
                self.diags.push(
                    Diagnostic::new(
                        Code::PagesOutOfHours,
                        format!(
                            "incident type `{kind}` pages rotation `{}`, which is on call in business hours only",
                            rotation.value
                        ),
                    )
                    .label(rotation.span, "paged at any hour")
                    .label(coverage, "business hours only")
                    .help("name a `24x7` rotation, or make the incident a ticket with `page: false`"),
                );
            }
        }
    }

    fn check_channel(&mut self, role: &str, channel: &Spanned<Channel>) {
        let c = &channel.value;
        if c.slack.is_none() && c.webhook.is_none() && c.email.is_none() && c.pagerduty.is_none() && c.https.is_none() {
            self.diags.push(
                Diagnostic::new(Code::RotationDefinition, format!("channel `{role}` has no destination"))
                    .label(channel.span, "notifications would go nowhere")
                    .help("add `slack` + `webhook`, `email`, `pagerduty` or `https`"),
            );
        }
        if let (Some(slack), None) = (&c.slack, &c.webhook) {
            self.diags.push(
                Diagnostic::new(Code::RotationDefinition, format!("Slack channel `{}` has no webhook", slack.value))
                    .label(slack.span, "OCI Notifications posts to Slack through an incoming webhook")
                    .help("add `webhook: vault:<secret OCID>` holding the channel's incoming-webhook URL"),
            );
        }
    }
}
