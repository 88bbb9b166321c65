//! The on-call part of the context: rotations, the escalation ladder, the channels, and where
//! pages and tickets are delivered.
//!
//! In: the spec's [`Oncall`]. Out: [`OncallCtx`], with the OCI Notifications topic of each
//! rotation and channel named as `terraform/notifications.tf` names them.

use std::sync::Arc;

use super::view::{ChannelCtx, ChannelsCtx, OncallCtx, RotationCtx, StepCtx};
use crate::conventions::display_name;
use crate::model::{Channel, Oncall, System};
use crate::spec::oncall::Coverage;
use crate::spec::units::Duration;

fn channel(system: &System, role: &str, c: &Channel) -> ChannelCtx {
    ChannelCtx {
        role: role.into(),
        slack: c.slack.clone(),
        email: c.email.clone(),
        https: c.https.clone(),
        webhook: c.webhook.is_some(),
        pagerduty: c.pagerduty.is_some(),
        topic: display_name(system, role),
    }
}

pub(super) fn oncall(system: &System, o: &Oncall) -> OncallCtx {
    let rotations: Vec<RotationCtx> = o
        .rotations
        .iter()
        .enumerate()
        .map(|(i, r)| RotationCtx {
            name: r.name.to_string(),
            members: r.members.iter().cloned().collect(),
            coverage: r.coverage.to_string(),
            around_the_clock: r.coverage == Coverage::AllHours,
            shift: r.length.to_string(),
            topic: display_name(system, &format!("oncall-{}", r.name)),
            step: o.escalation.iter().position(|s| s.rotation.0 == i).map(|p| p + 1),
        })
        .collect();
    let escalation: Vec<StepCtx> = o
        .escalation
        .iter()
        .enumerate()
        .map(|(i, s)| StepCtx {
            step: i + 1,
            rotation: o.rotations[s.rotation.0].name.to_string(),
            after: s.after.to_string(),
            around_the_clock: o.rotations[s.rotation.0].coverage == Coverage::AllHours,
        })
        .collect();
    let first = escalation.first().map(|s| s.rotation.clone()).unwrap_or_default();
    let channels = ChannelsCtx {
        alerts: Arc::new(channel(system, "alerts", &o.channels.alerts)),
        incidents: o.channels.incidents.as_ref().map(|c| Arc::new(channel(system, "incidents", c))),
        pager: o.channels.pager.as_ref().map(|c| Arc::new(channel(system, "pager", c))),
        support: o.channels.support.as_ref().map(|c| Arc::new(channel(system, "support", c))),
    };
    // As terraform/monitoring.tf routes them.
    let mut page_topics = Vec::new();
    if let Some(pager) = &channels.pager {
        page_topics.push(pager.topic.clone());
    }
    if !first.is_empty() {
        page_topics.push(display_name(system, &format!("oncall-{first}")));
    }
    let coordination = channels.incidents.clone().unwrap_or_else(|| channels.alerts.clone());
    OncallCtx {
        first,
        repeat_page: o.escalation.get(1).map_or(Duration::from_millis(15 * 60_000), |s| s.after).to_string(),
        page_topics: page_topics.into(),
        ticket_topics: vec![channels.alerts.topic.clone()].into(),
        coordination,
        rotations: rotations.into_iter().collect(),
        escalation: escalation.into_iter().collect(),
        channels: Arc::new(channels),
    }
}
