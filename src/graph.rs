//! The dependency graph of a checked system.
//!
//! In: a [`System`]. Out: a petgraph graph of every named thing (models, clusters, prompts,
//! routes, SLOs, budgets, evaluations, rotations, incident types) and every reference between
//! them, in spec order, rendered as Graphviz dot, Mermaid or JSON. Emitters use it to order
//! what they write; `genops graph` shows it to people.

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use crate::model::{Fallback, Serving, System};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    Model,
    Cluster,
    Prompt,
    Route,
    Slo,
    Budget,
    Evaluation,
    Rotation,
    Incident,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Model => "model",
            NodeKind::Cluster => "cluster",
            NodeKind::Prompt => "prompt",
            NodeKind::Route => "route",
            NodeKind::Slo => "slo",
            NodeKind::Budget => "budget",
            NodeKind::Evaluation => "evaluation",
            NodeKind::Rotation => "rotation",
            NodeKind::Incident => "incident",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Node {
    pub kind: NodeKind,
    pub name: String,
}

impl Node {
    /// `route.chat`: unique across the graph.
    pub fn id(&self) -> String {
        format!("{}.{}", self.kind.as_str(), self.name)
    }
}

/// What a reference means, e.g. a route `uses` a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    Uses,
    FallsBackTo,
    Renders,
    Tiers,
    Candidate,
    HostedOn,
    Measures,
    Covers,
    DowngradesTo,
    Evaluates,
    GradedBy,
    EmbedsWith,
    Gates,
    EscalatesTo,
    Pages,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Uses => "uses",
            EdgeKind::FallsBackTo => "falls-back-to",
            EdgeKind::Renders => "renders",
            EdgeKind::Tiers => "tiers",
            EdgeKind::Candidate => "candidate",
            EdgeKind::HostedOn => "hosted-on",
            EdgeKind::Measures => "measures",
            EdgeKind::Covers => "covers",
            EdgeKind::DowngradesTo => "downgrades-to",
            EdgeKind::Evaluates => "evaluates",
            EdgeKind::GradedBy => "graded-by",
            EdgeKind::EmbedsWith => "embeds-with",
            EdgeKind::Gates => "gates",
            EdgeKind::EscalatesTo => "escalates-to",
            EdgeKind::Pages => "pages",
        }
    }
}

pub struct DepGraph {
    pub graph: DiGraph<Node, EdgeKind>,
}

impl DepGraph {
    pub fn build(system: &System) -> DepGraph {
        let mut g: DiGraph<Node, EdgeKind> = DiGraph::new();
        let mut add = |kind: NodeKind, name: &str| g.add_node(Node { kind, name: name.to_string() });
        let models: Vec<NodeIndex> = system.models.iter().map(|m| add(NodeKind::Model, m.name.as_str())).collect();
        let clusters: Vec<NodeIndex> =
            system.clusters.iter().map(|c| add(NodeKind::Cluster, c.name.as_str())).collect();
        let prompts: Vec<NodeIndex> = system.prompts.iter().map(|p| add(NodeKind::Prompt, p.name.as_str())).collect();
        let routes: Vec<NodeIndex> = system.routes.iter().map(|r| add(NodeKind::Route, r.name.as_str())).collect();
        let slos: Vec<NodeIndex> = system.slos.iter().map(|s| add(NodeKind::Slo, s.name.as_str())).collect();
        let budgets: Vec<NodeIndex> = system.budgets.iter().map(|b| add(NodeKind::Budget, b.name.as_str())).collect();
        let evaluations: Vec<NodeIndex> =
            system.evaluations.iter().map(|e| add(NodeKind::Evaluation, e.name.as_str())).collect();
        let rotations: Vec<NodeIndex> =
            system.oncall.iter().flat_map(|o| &o.rotations).map(|r| add(NodeKind::Rotation, r.name.as_str())).collect();
        let incidents: Vec<NodeIndex> =
            system.incidents.iter().map(|i| add(NodeKind::Incident, i.kind.as_str())).collect();

        for (i, m) in system.models.iter().enumerate() {
            if let Serving::Dedicated(c) = m.serving {
                g.add_edge(models[i], clusters[c.0], EdgeKind::HostedOn);
            }
        }
        for (i, r) in system.routes.iter().enumerate() {
            g.add_edge(routes[i], models[r.model.0], EdgeKind::Uses);
            if let Some(p) = r.prompt {
                g.add_edge(routes[i], prompts[p.0], EdgeKind::Renders);
            }
            for f in &r.fallbacks {
                let target = match f {
                    Fallback::Model(m) => models[m.0],
                    Fallback::Route(rt) => routes[rt.0],
                };
                g.add_edge(routes[i], target, EdgeKind::FallsBackTo);
            }
            for t in &r.tiers {
                g.add_edge(routes[i], models[t.model.0], EdgeKind::Tiers);
            }
            if let Some(ro) = &r.rollout {
                if let Some(m) = ro.candidate_model {
                    g.add_edge(routes[i], models[m.0], EdgeKind::Candidate);
                }
                if let Some(p) = ro.candidate_prompt {
                    g.add_edge(routes[i], prompts[p.0], EdgeKind::Candidate);
                }
                if let Some(e) = ro.evaluation {
                    g.add_edge(evaluations[e.0], routes[i], EdgeKind::Gates);
                }
            }
        }
        for (i, s) in system.slos.iter().enumerate() {
            g.add_edge(slos[i], routes[s.route.0], EdgeKind::Measures);
        }
        for (i, b) in system.budgets.iter().enumerate() {
            for r in &b.routes {
                g.add_edge(budgets[i], routes[r.0], EdgeKind::Covers);
            }
            for d in b.on_pressure.iter().flat_map(|p| &p.downgrades) {
                g.add_edge(budgets[i], models[d.to.0], EdgeKind::DowngradesTo);
            }
        }
        for (i, e) in system.evaluations.iter().enumerate() {
            for r in &e.routes {
                g.add_edge(evaluations[i], routes[r.0], EdgeKind::Evaluates);
            }
            if let Some(m) = e.grader {
                g.add_edge(evaluations[i], models[m.0], EdgeKind::GradedBy);
            }
            if let Some(m) = e.embedding {
                g.add_edge(evaluations[i], models[m.0], EdgeKind::EmbedsWith);
            }
        }
        if let Some(oncall) = &system.oncall {
            for pair in oncall.escalation.windows(2) {
                g.add_edge(rotations[pair[0].rotation.0], rotations[pair[1].rotation.0], EdgeKind::EscalatesTo);
            }
            let first = oncall.escalation.first().map(|s| s.rotation);
            for (i, incident) in system.incidents.iter().enumerate() {
                if let Some(r) = incident.rotation.or(first).filter(|_| incident.page) {
                    g.add_edge(incidents[i], rotations[r.0], EdgeKind::Pages);
                }
            }
        }
        DepGraph { graph: g }
    }

    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "// generated by genops — do not edit\ndigraph genops {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
        );
        for node in self.graph.node_weights() {
            let shape = match node.kind {
                NodeKind::Route => "box",
                NodeKind::Model | NodeKind::Cluster => "ellipse",
                NodeKind::Prompt => "note",
                _ => "component",
            };
            out.push_str(&format!(
                "  \"{}\" [label=\"{}\\n{}\", shape={shape}];\n",
                node.id(),
                node.kind.as_str(),
                node.name
            ));
        }
        for edge in self.graph.raw_edges() {
            let (a, b) = (&self.graph[edge.source()], &self.graph[edge.target()]);
            out.push_str(&format!("  \"{}\" -> \"{}\" [label=\"{}\"];\n", a.id(), b.id(), edge.weight.as_str()));
        }
        out.push_str("}\n");
        out
    }

    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("%% generated by genops — do not edit\nflowchart LR\n");
        let mid = |n: &Node| format!("{}_{}", n.kind.as_str(), n.name.replace('-', "_"));
        for node in self.graph.node_weights() {
            out.push_str(&format!("  {}[\"{}: {}\"]\n", mid(node), node.kind.as_str(), node.name));
        }
        for edge in self.graph.raw_edges() {
            let (a, b) = (&self.graph[edge.source()], &self.graph[edge.target()]);
            out.push_str(&format!("  {} -->|{}| {}\n", mid(a), edge.weight.as_str(), mid(b)));
        }
        out
    }

    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Edge {
            from: String,
            to: String,
            kind: EdgeKind,
        }
        #[derive(Serialize)]
        struct Graph<'a> {
            version: u32,
            nodes: Vec<JsonNode<'a>>,
            edges: Vec<Edge>,
        }
        #[derive(Serialize)]
        struct JsonNode<'a> {
            id: String,
            kind: NodeKind,
            name: &'a str,
        }
        let graph = Graph {
            version: 1,
            nodes: self.graph.node_weights().map(|n| JsonNode { id: n.id(), kind: n.kind, name: &n.name }).collect(),
            edges: self
                .graph
                .raw_edges()
                .iter()
                .map(|e| Edge { from: self.graph[e.source()].id(), to: self.graph[e.target()].id(), kind: e.weight })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&graph).unwrap_or_default();
        text.push('\n');
        text
    }
}
