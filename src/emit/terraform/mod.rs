//! The OCI Terraform target: `terraform/*.tf`, one file per concern.
//!
//! In: the checked [`System`] and the sources (prompt texts go into the prompt registry).
//! Out: artifacts under `terraform/`, `terraform fmt`-canonical (see [`hcl`]), every spec
//! string escaped, every resource tagged for cost attribution and commented with the spec node
//! it comes from. What genops knows about the resources it writes (attributes, required ones)
//! is checked against `targets/terraform/oci-resources.json` by a test.

mod budgets;
mod gateway;
mod genai;
mod logging;
mod monitoring;
mod notifications;
mod outputs;
mod security;
mod storage;
mod variables;
mod versions;
mod waf;

pub(crate) use logging::archive_sources;

use super::Artifact;
use super::derived::Derived;
use super::hcl::{self, Block, FileWriter, Value};
use super::sink::Sink;
use crate::conventions;
use crate::model::System;
use crate::source::SourceMap;

/// Pinned provider: the current 8.x major, at least the version genops's knowledge comes from.
pub const PROVIDER_VERSION: &str = "~> 8.28";

/// What every file of the target needs (`'s`: the system's lifetime, which the shared alerts
/// borrow).
pub(crate) struct Tf<'a, 's> {
    pub system: &'a System,
    /// The alerts the other targets share.
    pub derived: &'a Derived<'s>,
    pub sources: &'a SourceMap,
    /// Route name → index, for lookups by name in linear time over many routes.
    routes: crate::hash::HashMap<&'a str, usize>,
    /// The API gateway of each route, in route order.
    gateways: &'s [crate::model::gateways::Gateway],
}

impl<'a, 's> Tf<'a, 's> {
    pub fn new(derived: &'a Derived<'s>, sources: &'a SourceMap) -> Tf<'a, 's> {
        let system = derived.system;
        let routes = system.routes.iter().enumerate().map(|(i, r)| (r.name.as_str(), i)).collect();
        Tf { system, derived, sources, routes, gateways: &system.analysis.gateways }
    }
}

/// The `route` tag value of a resource of the whole system (not a route name: names are
/// kebab-case).
pub(crate) const ALL_ROUTES: &str = "all routes";

/// OCI's longest defined tag value, in characters
/// (<https://docs.oracle.com/en-us/iaas/Content/Tagging/Concepts/taggingoverview.htm#limits>).
const TAG_VALUE_MAX: usize = 256;

/// A `defined_tags` key, `"<namespace>.<key>"`, as an expression of the tag resources
/// `security.tf` defines (the keys `owner`, `route` and `budget`).
fn cost_tag_key(key: &str) -> String {
    format!("\"${{oci_identity_tag_namespace.cost.name}}.${{oci_identity_tag.{key}.name}}\"")
}

impl Tf<'_, '_> {
    /// The expected traffic of the route of this name.
    pub fn traffic_of(&self, route: &str) -> Option<crate::model::Traffic> {
        self.routes.get(route).and_then(|&i| self.system.routes[i].traffic)
    }

    /// `freeform_tags` for a resource, optionally of one route: `local.tags` (`variables.tf`),
    /// merged with the route's tag. Written once instead of on each of thousands of resources.
    pub fn tags(&self, route: Option<&str>) -> Value {
        let Some(route) = route else { return Value::expr("local.tags") };
        let mut text = String::from("merge(local.tags, { ");
        text.push_str(conventions::TAG_PREFIX);
        text.push_str("route = ");
        hcl::write_string(&mut text, route);
        text.push_str(" })");
        Value::expr(text)
    }

    /// `defined_tags` for a resource serving `routes` (none: the whole system), in the
    /// cost-tracking namespace of `security.tf`: `owner`, `route` (the route's name, the names
    /// of several joined by `+`, or [`ALL_ROUTES`]) and, when one route-scoped budget covers
    /// all of them, `budget`, the tag that budget targets ([`crate::model::budgets`]). Keys
    /// refer to the tag resources, so Terraform creates the tags first.
    pub fn cost_tags(&self, routes: &[crate::model::RouteId]) -> Value {
        let mut route = routes.iter().map(|r| self.system.route(*r).name.as_str()).collect::<Vec<_>>().join("+");
        if routes.is_empty() {
            route = ALL_ROUTES.to_string();
        } else if route.len() > TAG_VALUE_MAX {
            route = format!("{} routes", routes.len());
        }
        let budget = crate::model::budgets::budget_of(self.system, routes).map(|b| b.name.as_str());
        let mut text = String::from("{ ");
        let pairs = [("owner", Some(self.system.owner.as_str())), ("route", Some(route.as_str())), ("budget", budget)];
        for (i, (key, value)) in pairs.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(&cost_tag_key(key));
            text.push_str(" = ");
            hcl::write_string(&mut text, value);
        }
        text.push_str(" }");
        Value::expr(text)
    }

    /// The tags of every resource, the value of `local.tags`.
    pub fn all_tags(&self) -> Value {
        Value::Object(conventions::tags(self.system, None).into_iter().map(|(k, v)| (k, Value::Str(v))).collect())
    }

    pub fn display(&self, name: &str) -> Value {
        Value::Str(conventions::display_name(self.system, name))
    }

    pub fn compartment() -> Value {
        Value::expr("var.compartment_ocid")
    }

    pub fn tenancy() -> Value {
        Value::expr("var.tenancy_ocid")
    }

    /// Whether customer-managed keys are needed: a data class in use asks for them, or compliance does.
    pub fn needs_cmk(&self) -> bool {
        use crate::spec::data_classes::Encryption;
        self.system.compliance.encryption == Some(Encryption::CustomerManaged)
            || self
                .system
                .routes
                .iter()
                .any(|r| self.system.policy(r.data_class).encryption == Encryption::CustomerManaged)
    }
}

pub fn emit(system: &System, sources: &SourceMap) -> Vec<Artifact> {
    let derived = Derived::new(system);
    let (mut files, ()) = crate::parallel::gather(|sink| emit_each(&derived, sources, &|file| sink(file)));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// [`emit`], handing each file to `sink` on the thread that wrote it, as soon as it is written.
pub fn emit_each(derived: &Derived, sources: &SourceMap, sink: &dyn Sink) {
    let system = derived.system;
    let tf = Tf::new(derived, sources);
    /// Writes one file's blocks.
    type Write = fn(&Tf, &mut FileWriter);
    fn all(file: &mut FileWriter, blocks: Vec<Block>) {
        for block in &blocks {
            file.push(block);
        }
    }
    let files: Vec<(&str, Write)> = vec![
        ("versions.tf", |tf, f| all(f, versions::blocks(tf))),
        ("variables.tf", |tf, f| all(f, variables::blocks(tf))),
        ("genai.tf", |tf, f| all(f, genai::blocks(tf))),
        ("gateway.tf", gateway::write),
        ("waf.tf", waf::write),
        ("monitoring.tf", monitoring::write),
        ("notifications.tf", |tf, f| all(f, notifications::blocks(tf))),
        ("budgets.tf", |tf, f| all(f, budgets::blocks(tf))),
        ("logging.tf", logging::write),
        ("security.tf", |tf, f| all(f, security::blocks(tf))),
        ("storage.tf", |tf, f| all(f, storage::blocks(tf))),
        ("outputs.tf", |tf, f| all(f, outputs::blocks(tf))),
    ];
    // Each file on its own, in parallel; a file without blocks is not written.
    crate::parallel::map(files, |(name, write)| {
        let header = format!("{}\nsystem: {} — {}", conventions::HEADER, system.name, describe(name));
        let mut file = FileWriter::to(sink, format!("terraform/{name}"), &header);
        write(&tf, &mut file);
        if file.blocks() > 0 {
            file.finish();
        } else {
            file.abandon();
        }
    });
}

fn describe(file: &str) -> &'static str {
    match file {
        "versions.tf" => "Terraform and provider versions",
        "variables.tf" => "inputs to set before `terraform apply`",
        "genai.tf" => "dedicated AI clusters and endpoints",
        "gateway.tf" => "OCI API Gateway: one deployment per route",
        "waf.tf" => "the web application firewall in front of public API gateways",
        "monitoring.tf" => "OCI Monitoring alarms for the SLOs and incident types",
        "notifications.tf" => "notification topics and subscriptions for the on-call channels",
        "budgets.tf" => "budgets and their alert rules",
        "logging.tf" => "log groups, gateway logs and audit retention",
        "security.tf" => "vault, keys, IAM policies and cost-tracking tags",
        "storage.tf" => "buckets: prompt registry, evaluation datasets, traces",
        "outputs.tf" => "values other tools read after apply",
        _ => "",
    }
}
