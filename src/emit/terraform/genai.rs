//! `genai.tf`: a dedicated AI cluster per spec cluster and an endpoint per model served on one,
//! with content moderation where the data classes of the routes using it ask for it. Each is
//! tagged with the routes that can reach it, so a route-scoped budget counts its cluster hours.

use super::Tf;
use crate::conventions::{ident, ident_of};
use crate::emit::hcl::{Block, Value};
use crate::model::budgets::{routes_of_cluster, routes_of_model};
use crate::model::{ClusterId, ModelId, Serving};

pub(super) fn blocks(tf: &Tf) -> Vec<Block> {
    let system = tf.system;
    let mut out = Vec::new();
    for (i, cluster) in system.clusters.iter().enumerate() {
        let routes = routes_of_cluster(system, ClusterId(i));
        out.push(
            Block::new("resource", &["oci_generative_ai_dedicated_ai_cluster", &ident(cluster.name.as_str())])
                .comment(format!("clusters.{}", cluster.name))
                .attr("compartment_id", Tf::compartment())
                .attr("display_name", tf.display(cluster.name.as_str()))
                .attr_if("description", cluster.description.clone().map(Value::Str))
                .attr("type", Value::str("HOSTING"))
                .attr("unit_shape", Value::str(cluster.shape.as_str()))
                .attr("unit_count", Value::Int(cluster.units as i64))
                .attr("freeform_tags", tf.tags(None))
                .attr("defined_tags", tf.cost_tags(&routes)),
        );
    }
    for (i, model) in system.models.iter().enumerate() {
        let Serving::Dedicated(cluster) = model.serving else { continue };
        let name = ident_of("model", model.name.as_str());
        let cluster = &system.clusters[cluster.0];
        out.push(
            Block::new("data", &["oci_generative_ai_models", &name])
                .comment(format!(
                    "models.{}: the base model `{}` in the region's catalogue",
                    model.name, model.model_id
                ))
                .attr("compartment_id", Tf::compartment())
                .attr("display_name", Value::str(model.model_id.clone())),
        );
        let moderation = moderated(tf, ModelId(i));
        out.push(
            Block::new("resource", &["oci_generative_ai_endpoint", &ident(model.name.as_str())])
                .comment(format!("models.{} on clusters.{}", model.name, cluster.name))
                .attr("compartment_id", Tf::compartment())
                .attr("display_name", tf.display(model.name.as_str()))
                .attr_if("description", model.description.clone().map(Value::Str))
                .attr(
                    "dedicated_ai_cluster_id",
                    Value::expr(format!("oci_generative_ai_dedicated_ai_cluster.{}.id", ident(cluster.name.as_str()))),
                )
                .attr(
                    "model_id",
                    Value::expr(format!("data.oci_generative_ai_models.{name}.model_collection[0].items[0].id")),
                )
                .attr("freeform_tags", tf.tags(None))
                .attr("defined_tags", tf.cost_tags(&routes_of_model(system, ModelId(i))))
                .block(Block::new("content_moderation_config", &[]).attr("is_enabled", Value::Bool(moderation))),
        );
    }
    out
}

/// Moderation is on when any route that can reach the model has a class that asks for it.
fn moderated(tf: &Tf, model: ModelId) -> bool {
    tf.system.routes.iter().any(|r| {
        let uses = r.model == model
            || r.fallbacks.contains(&crate::model::Fallback::Model(model))
            || r.tiers.iter().any(|t| t.model == model)
            || r.rollout.is_some_and(|ro| ro.candidate_model == Some(model));
        uses && tf.system.policy(r.data_class).moderation
    })
}
