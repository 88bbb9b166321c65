//! `budgets.tf`: an OCI budget per spec budget, an alert rule per threshold (actual or
//! forecast spend), and one at the pressure threshold telling on-call which downgrade and rate
//! limit apply.
//!
//! A budget of the whole system targets the system's compartment. A budget with `routes`
//! targets the one cost-tracking tag every resource of its routes carries
//! (`<namespace>.budget.<budget name>`, [`super::Tf::cost_tags`]): OCI takes exactly one
//! target, a compartment OCID or `{tagNamespace}.{tagKey}.{tagValue}`
//! (<https://docs.oracle.com/en-us/iaas/api/#/en/budgets/20190111/datatypes/CreateBudgetDetails>),
//! and the tag key must be a cost-tracking one (`is_cost_tracking`, `security.tf`). What such a
//! budget cannot see is in [`crate::model::budgets`]. Every alert rule is e-mailed to
//! [`crate::model::budgets::recipients`]; a spec where nobody would be told is refused or
//! warned about (GO0325, GO0326).

use super::Tf;
use crate::conventions::ident;
use crate::emit::hcl::{Block, Value};
use crate::spec::units::format_number;

pub(super) fn blocks(tf: &Tf) -> Vec<Block> {
    let system = tf.system;
    let recipients = crate::model::budgets::recipients(system);
    // OCI's `recipients` is one string of addresses, "delimited by comma, space, TAB or semicolon"
    // (https://docs.oracle.com/en-us/iaas/api/#/en/budgets/20190111/AlertRule/).
    let recipients = (!recipients.is_empty()).then(|| Value::Str(recipients.join(", ")));
    let mut out = Vec::new();
    for budget in &system.budgets {
        let id = ident(budget.name.as_str());
        let scope = if budget.routes.is_empty() {
            "the whole system".to_string()
        } else {
            budget.routes.iter().map(|r| format!("`{}`", system.route(*r).name)).collect::<Vec<_>>().join(", ")
        };
        let (comment, target_type, target) = if budget.routes.is_empty() {
            ("counts the spend of the system's compartment", "COMPARTMENT", Tf::compartment())
        } else {
            (
                "counts the resources tagged with this budget: its routes' dedicated clusters, API deployments and WAF, not their on-demand calls (GO0327)",
                "TAG",
                Value::expr(format!(
                    "\"${{oci_identity_tag_namespace.cost.name}}.${{oci_identity_tag.budget.name}}.{}\"",
                    budget.name
                )),
            )
        };
        out.push(
            Block::new("resource", &["oci_budget_budget", &id])
                .comment(format!("budgets.{}: {comment}", budget.name))
                .attr("compartment_id", Tf::tenancy())
                .attr("display_name", tf.display(budget.name.as_str()))
                .attr(
                    "description",
                    Value::str(format!("{} {} per month for {scope}", format_number(budget.amount), system.currency)),
                )
                .attr("amount", Value::Num(budget.amount))
                .attr("reset_period", Value::str("MONTHLY"))
                .attr("target_type", Value::str(target_type))
                .attr("targets", Value::List(vec![target]))
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
                    .attr_if("recipients", recipients.clone())
                    .attr("message", Value::str(message))
                    .attr("freeform_tags", tf.tags(None)),
            );
        }
    }
    out
}
