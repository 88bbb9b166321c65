//! `budgets.tf`: an OCI budget per spec budget on the system's compartment, an alert rule per
//! threshold (actual or forecast spend), and one at the pressure threshold telling on-call
//! which downgrade and rate limit apply.

use super::Tf;
use crate::conventions::ident;
use crate::emit::hcl::{Block, Value};
use crate::spec::units::format_number;

pub(super) fn blocks(tf: &Tf) -> Vec<Block> {
    let system = tf.system;
    let recipients = system.oncall.as_ref().and_then(|o| o.channels.alerts.email.clone());
    let mut out = Vec::new();
    for budget in &system.budgets {
        let id = ident(budget.name.as_str());
        let scope = if budget.routes.is_empty() {
            "the whole system".to_string()
        } else {
            budget.routes.iter().map(|r| format!("`{}`", system.route(*r).name)).collect::<Vec<_>>().join(", ")
        };
        out.push(
            Block::new("resource", &["oci_budget_budget", &id])
                .comment(format!("budgets.{}", budget.name))
                .comment("OCI budgets count a compartment's spend; route scopes are attributed by the genops-route tag")
                .attr("compartment_id", Tf::tenancy())
                .attr("display_name", tf.display(budget.name.as_str()))
                .attr(
                    "description",
                    Value::str(format!("{} {} per month for {scope}", format_number(budget.amount), system.currency)),
                )
                .attr("amount", Value::Num(budget.amount))
                .attr("reset_period", Value::str("MONTHLY"))
                .attr("target_type", Value::str("COMPARTMENT"))
                .attr("targets", Value::List(vec![Tf::compartment()]))
                .attr("freeform_tags", tf.tags(None)),
        );
        let mut rules: Vec<(String, f64, bool, String)> = budget
            .alerts
            .iter()
            .map(|a| {
                let kind = if a.forecast { "forecast" } else { "actual" };
                (
                    format!("{}_{}", kind, format_number(a.at * 100.0).replace('.', "_")),
                    a.at,
                    a.forecast,
                    format!(
                        "Budget {} of {}: {} spend reached {}%.",
                        budget.name,
                        system.name,
                        kind,
                        format_number(a.at * 100.0)
                    ),
                )
            })
            .collect();
        if let Some(p) = &budget.on_pressure {
            let mut actions: Vec<String> = p
                .downgrades
                .iter()
                .map(|d| format!("switch route {} to model {}", system.route(d.route).name, system.model(d.to).name))
                .collect();
            if let Some(rate) = p.rate_limit {
                actions.push(format!("rate-limit to {rate} requests/s"));
            }
            rules.push((
                format!("pressure_{}", format_number(p.at * 100.0).replace('.', "_")),
                p.at,
                false,
                format!(
                    "Budget pressure on {} of {} at {}%: {}.",
                    budget.name,
                    system.name,
                    format_number(p.at * 100.0),
                    actions.join("; ")
                ),
            ));
        }
        // The cost-overrun incident type's threshold is a budget share too: alert there as well.
        let overrun = system.incidents.iter().find(|i| i.kind == crate::model::IncidentKind::CostOverrun);
        if let Some(crate::spec::units::Threshold::Percent(p)) = overrun.map(|i| i.threshold) {
            if !rules.iter().any(|(_, at, forecast, _)| !*forecast && (*at - p.fraction).abs() < 1e-9) {
                rules.push((
                    format!("cost_overrun_{}", format_number(p.fraction * 100.0).replace('.', "_")),
                    p.fraction,
                    false,
                    format!(
                        "Cost overrun on {} of {}: actual spend reached {}% (incident type cost-overrun, runbook {}).",
                        budget.name,
                        system.name,
                        format_number(p.fraction * 100.0),
                        crate::conventions::incident_runbook("cost-overrun")
                    ),
                ));
            }
        }
        for (label, at, forecast, message) in rules {
            out.push(
                Block::new("resource", &["oci_budget_alert_rule", &format!("{id}_{label}")])
                    .comment(format!("budgets.{}", budget.name))
                    .attr("budget_id", Value::expr(format!("oci_budget_budget.{id}.id")))
                    .attr("display_name", Value::str(format!("{}-{}", budget.name, label.replace('_', "-"))))
                    .attr("type", Value::str(if forecast { "FORECAST" } else { "ACTUAL" }))
                    .attr("threshold", Value::Num(at * 100.0))
                    .attr("threshold_type", Value::str("PERCENTAGE"))
                    .attr_if("recipients", recipients.clone().map(Value::Str))
                    .attr("message", Value::str(message))
                    .attr("freeform_tags", tf.tags(None)),
            );
        }
    }
    out
}
