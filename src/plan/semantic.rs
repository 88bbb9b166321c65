//! Semantic changes: what changed in the spec, in the words of the people who wrote it.
//!
//! In: the checked [`System`] (with the prompt and dataset texts), summarised into a
//! [`Summary`] — a compact, stable record of every definition as plain strings, kept in the
//! output directory's manifest at each build — and the summary recorded at the last build.
//! Out: [`SemanticChange`]s such as "route `chat`: canary weight 5% → 25%" or
//! "prompt `answer`: file changed without a version bump". Every value in a summary is already
//! written the way a reviewer reads it (`99.9%`, `8s`, `command-r`), so comparing two summaries
//! field by field gives the plain-words lines directly; prompts and datasets are recorded by
//! their SHA-256, which is how an edit without a version bump is caught.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::conventions::sha256_hex;
use crate::model::{Auth, Fallback, Serving, System};
use crate::source::SourceMap;
use crate::spec::routes::Strategy;
use crate::spec::units::format_number;

/// The fields of one definition, in the order they are shown.
pub type Fields = Vec<(String, String)>;

/// A section of the summary: its key in the JSON, the word for one of its definitions, and
/// whether it is a single object (`compliance`) rather than a map of named definitions.
struct Section {
    key: &'static str,
    kind: &'static str,
    single: bool,
}

const SECTIONS: &[Section] = &[
    Section { key: "system", kind: "system", single: true },
    Section { key: "models", kind: "model", single: false },
    Section { key: "clusters", kind: "cluster", single: false },
    Section { key: "prompts", kind: "prompt", single: false },
    Section { key: "routes", kind: "route", single: false },
    Section { key: "slos", kind: "slo", single: false },
    Section { key: "budgets", kind: "budget", single: false },
    Section { key: "evaluations", kind: "evaluation", single: false },
    Section { key: "data_classes", kind: "data class", single: false },
    Section { key: "compliance", kind: "compliance", single: true },
    Section { key: "rotations", kind: "rotation", single: false },
    Section { key: "oncall", kind: "on-call", single: true },
    Section { key: "incidents", kind: "incident", single: false },
];

/// The checked model of a spec, summarised for comparison: section → name → field → value.
/// Single-object sections use the empty name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub sections: BTreeMap<String, BTreeMap<String, Fields>>,
}

/// What happened to a definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemanticKind {
    Added,
    Removed,
    Changed,
}

impl SemanticKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SemanticKind::Added => "added",
            SemanticKind::Removed => "removed",
            SemanticKind::Changed => "changed",
        }
    }

    pub fn symbol(self) -> char {
        match self {
            SemanticKind::Added => '+',
            SemanticKind::Removed => '-',
            SemanticKind::Changed => '~',
        }
    }
}

/// One change of the spec since the last build.
#[derive(Clone, Debug, PartialEq)]
pub struct SemanticChange {
    /// `route`, `slo`, `prompt` … (docs/plans.md lists them).
    pub kind: String,
    /// The definition's name; `None` for single sections (`compliance`, `on-call`, `system`).
    pub name: Option<String>,
    pub change: SemanticKind,
    /// What changed, in words (`canary weight`); `None` when the subject itself is the value
    /// (a prompt's version) or when the change is only a note.
    pub field: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    /// `major`, `minor` … for versions, or a sentence when there is no before/after to show.
    pub note: Option<String>,
    /// Worth a reviewer's attention before anything else (a prompt edited without a version
    /// bump, a version going backwards).
    pub warning: bool,
}

impl SemanticChange {
    fn new(kind: &str, name: &str, change: SemanticKind) -> SemanticChange {
        SemanticChange {
            kind: kind.to_string(),
            name: (!name.is_empty()).then(|| name.to_string()),
            change,
            field: None,
            before: None,
            after: None,
            note: None,
            warning: false,
        }
    }

    /// `route `chat``, or `compliance` for a single section.
    pub fn subject(&self) -> String {
        match &self.name {
            Some(name) => format!("{} `{name}`", self.kind),
            None => self.kind.clone(),
        }
    }

    /// The change in one line of plain words, values as they are.
    pub fn message(&self) -> String {
        self.message_with(&|v: &str| v.to_string())
    }

    /// The change in one line, each value passed through `value` (e.g. a Markdown code span).
    pub fn message_with(&self, value: &dyn Fn(&str) -> String) -> String {
        let subject = self.subject();
        match self.change {
            SemanticKind::Added => match &self.note {
                Some(note) => format!("{subject} added ({note})"),
                None => format!("{subject} added"),
            },
            SemanticKind::Removed => format!("{subject} removed"),
            SemanticKind::Changed => {
                let mut text = format!("{subject}:");
                if let Some(field) = &self.field {
                    text.push(' ');
                    text.push_str(field);
                }
                if let (Some(before), Some(after)) = (&self.before, &self.after) {
                    text.push_str(&format!(" {} → {}", value(before), value(after)));
                    if let Some(note) = &self.note {
                        text.push_str(&format!(" ({note})"));
                    }
                } else if let Some(note) = &self.note {
                    text.push(' ');
                    text.push_str(note);
                }
                text
            }
        }
    }
}

impl Summary {
    /// Summarises a checked system; prompt and dataset texts are taken from `sources`.
    pub fn of(system: &System, sources: &SourceMap) -> Summary {
        let mut s = Summary::default();
        let model_name = |id: crate::model::ModelId| system.model(id).name.to_string();
        let route_name = |id: crate::model::RouteId| system.route(id).name.to_string();
        let none = || "none".to_string();

        let tags = system.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>();
        s.insert(
            "system",
            "",
            vec![
                field("name", &system.name),
                field("owner", &system.owner),
                field("region", &system.region),
                field("currency", &system.currency),
                ("tags".into(), list(tags)),
            ],
        );

        for model in &system.models {
            let serving = match model.serving {
                Serving::External => "external".to_string(),
                Serving::OnDemand => "on-demand".to_string(),
                Serving::Dedicated(c) => format!("dedicated on {}", system.cluster(c).name),
            };
            let price = model.price.map_or_else(none, |p| {
                format!("{} in / {} out per 1k tokens", format_number(p.input_per_1k), format_number(p.output_per_1k))
            });
            s.insert(
                "models",
                model.name.as_str(),
                vec![
                    field("provider", model.provider),
                    field("id", &model.model_id),
                    field("kind", model.kind),
                    ("serving".into(), serving),
                    ("price".into(), price),
                    field("region", &model.region),
                    ("endpoint".into(), model.endpoint.clone().unwrap_or_else(none)),
                    ("context_window".into(), model.context_window.map_or_else(none, |n| n.to_string())),
                ],
            );
        }

        for cluster in &system.clusters {
            s.insert(
                "clusters",
                cluster.name.as_str(),
                vec![
                    field("shape", cluster.shape),
                    field("units", cluster.units),
                    ("price_per_unit_hour".into(), cluster.price_per_unit_hour.map_or_else(none, format_number)),
                    field("region", &cluster.region),
                ],
            );
        }

        for prompt in &system.prompts {
            s.insert(
                "prompts",
                prompt.name.as_str(),
                vec![
                    field("version", &prompt.version),
                    field("file", &prompt.file),
                    ("sha256".into(), sha256_hex(&sources.get(prompt.file_id).text)),
                ],
            );
        }

        for (route, gateway) in system.routes.iter().zip(&system.analysis.gateways) {
            let fallbacks = route
                .fallbacks
                .iter()
                .map(|f| match f {
                    Fallback::Model(m) => model_name(*m),
                    Fallback::Route(r) => format!("route {}", route_name(*r)),
                })
                .collect();
            let retries = if route.retries.attempts == 0 {
                none()
            } else {
                let r = &route.retries;
                let mut text = format!(
                    "{} {}, {} backoff from {}",
                    r.attempts,
                    if r.attempts == 1 { "retry" } else { "retries" },
                    r.backoff,
                    r.initial
                );
                if let Some(max) = r.max {
                    text.push_str(&format!(" up to {max}"));
                }
                text
            };
            let breaker = route
                .circuit_breaker
                .map_or_else(none, |c| format!("open after {} failures for {}", c.failures, c.cooldown));
            let rate_limit = route.rate_limit.map_or_else(none, |r| match r.per_day {
                Some(day) => format!("{}/s, {day}/day per client", r.per_second),
                None => format!("{}/s", r.per_second),
            });
            let cache = route.cache.map_or_else(none, |c| match c.similarity {
                Some(sim) => format!("{} (similarity {}), ttl {}", c.kind, format_number(sim), c.ttl),
                None => format!("{}, ttl {}", c.kind, c.ttl),
            });
            let mut fields = vec![
                field("path", &route.path),
                field("data_class", route.data_class),
                ("model".into(), model_name(route.model)),
                ("prompt".into(), route.prompt.map_or_else(none, |p| system.prompt(p).name.to_string())),
                ("fallbacks".into(), list(fallbacks)),
                field("timeout", route.timeout),
                ("retries".into(), retries),
                ("circuit_breaker".into(), breaker),
                ("rate_limit".into(), rate_limit),
                ("cache".into(), cache),
            ];
            match &route.rollout {
                None => fields.push(("rollout".into(), none())),
                Some(r) => {
                    let mut candidate = Vec::new();
                    if let Some(m) = r.candidate_model {
                        candidate.push(format!("model {}", model_name(m)));
                    }
                    if let Some(p) = r.candidate_prompt {
                        candidate.push(format!("prompt {}", system.prompt(p).name));
                    }
                    fields.push(("rollout".into(), format!("{} of {}", r.strategy, candidate.join(" and "))));
                    if r.strategy == Strategy::BlueGreen {
                        fields.push(("rollout_active".into(), r.active.to_string()));
                    } else {
                        fields.push(("rollout_weight".into(), percent(r.weight)));
                    }
                    fields.push((
                        "rollout_evaluation".into(),
                        r.evaluation.map_or_else(none, |e| system.evaluation(e).name.to_string()),
                    ));
                }
            }
            let tiers = route
                .tiers
                .iter()
                .map(|t| format!("{} up to {} input tokens", model_name(t.model), t.max_input_tokens))
                .collect();
            fields.push(("tiers".into(), list(tiers)));
            fields.push((
                "traffic".into(),
                route.traffic.map_or_else(none, |t| {
                    format!("{}/day, {} input and {} output tokens", t.per_day, t.input_tokens, t.output_tokens)
                }),
            ));
            fields.push(field("logging", route.logging));
            fields.push((
                "auth".into(),
                match &route.auth {
                    Auth::None => none(),
                    Auth::Jwt { issuer, audience, jwks_uri } => {
                        format!("jwt (issuer {issuer}, audience {audience}, keys {jwks_uri})")
                    }
                },
            ));
            fields.push(("api_gateway".into(), gateway.resource()));
            s.insert("routes", route.name.as_str(), fields);
        }

        for slo in &system.slos {
            s.insert(
                "slos",
                slo.name.as_str(),
                vec![
                    ("route".into(), route_name(slo.route)),
                    field("sli", slo.sli),
                    ("objective".into(), slo.objective.map_or_else(none, percent)),
                    field("window", slo.window),
                    ("percentile".into(), slo.percentile.map_or_else(none, format_number)),
                    ("threshold".into(), slo.threshold.map_or_else(none, |t| t.to_string())),
                ],
            );
        }

        for budget in &system.budgets {
            let routes = if budget.routes.is_empty() {
                "all routes".to_string()
            } else {
                budget.routes.iter().map(|r| route_name(*r)).collect::<Vec<_>>().join(", ")
            };
            let alerts = budget
                .alerts
                .iter()
                .map(|a| if a.forecast { format!("{} forecast", percent(a.at)) } else { percent(a.at) })
                .collect();
            let pressure = budget.on_pressure.as_ref().map_or_else(none, |p| {
                let mut actions: Vec<String> = p
                    .downgrades
                    .iter()
                    .map(|d| format!("route {} to {}", route_name(d.route), model_name(d.to)))
                    .collect();
                if let Some(limit) = p.rate_limit {
                    actions.push(format!("rate limit {limit}/s"));
                }
                format!("at {}: {}", percent(p.at), actions.join(", "))
            });
            s.insert(
                "budgets",
                budget.name.as_str(),
                vec![
                    ("amount".into(), format!("{} {}", format_number(budget.amount), system.currency)),
                    field("period", budget.period),
                    ("routes".into(), routes),
                    ("alerts".into(), list(alerts)),
                    ("on_pressure".into(), pressure),
                ],
            );
        }

        for evaluation in &system.evaluations {
            let t = &evaluation.thresholds;
            let thresholds = [
                ("relevance", t.relevance.map(format_number)),
                ("groundedness", t.groundedness.map(format_number)),
                ("completeness", t.completeness.map(format_number)),
                ("harmful rate", t.harmful_rate.map(percent)),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k} {v}")))
            .collect();
            s.insert(
                "evaluations",
                evaluation.name.as_str(),
                vec![
                    field("dataset", &evaluation.dataset),
                    ("dataset_sha256".into(), sha256_hex(&sources.get(evaluation.dataset_file).text)),
                    field("cases", evaluation.cases),
                    field("min_cases", evaluation.min_cases),
                    ("routes".into(), list(evaluation.routes.iter().map(|r| route_name(*r)).collect::<Vec<String>>())),
                    ("thresholds".into(), list(thresholds)),
                    field("gate", evaluation.gate),
                    ("grader".into(), evaluation.grader.map_or_else(none, model_name)),
                    ("embedding".into(), evaluation.embedding.map_or_else(none, model_name)),
                ],
            );
        }

        for class in crate::spec::data_classes::DataClassName::ALL {
            let p = system.policy(*class);
            s.insert(
                "data_classes",
                class.as_str(),
                vec![
                    ("serving".into(), list(p.serving.iter().map(|k| k.to_string()).collect::<Vec<String>>())),
                    field("logging", p.logging),
                    field("encryption", p.encryption),
                    field("network", p.network),
                    field("residency", p.residency),
                    field("moderation", p.moderation),
                ],
            );
        }

        let c = &system.compliance;
        s.insert(
            "compliance",
            "",
            vec![
                ("frameworks".into(), list(c.frameworks.iter().map(|f| f.to_string()).collect::<Vec<String>>())),
                ("traces_retention".into(), c.traces_retention.map_or_else(none, |d| d.to_string())),
                ("audit_retention".into(), c.audit_retention.map_or_else(none, |d| d.to_string())),
                ("datasets_retention".into(), c.datasets_retention.map_or_else(none, |d| d.to_string())),
                field("decision_logging", c.decision_logging),
                ("encryption".into(), c.encryption.map_or_else(none, |e| e.to_string())),
            ],
        );

        if let Some(oncall) = &system.oncall {
            for rotation in &oncall.rotations {
                s.insert(
                    "rotations",
                    rotation.name.as_str(),
                    vec![
                        ("members".into(), list(rotation.members.clone())),
                        field("coverage", rotation.coverage),
                        field("length", rotation.length),
                    ],
                );
            }
            let escalation = oncall
                .escalation
                .iter()
                .map(|step| {
                    let name = &oncall.rotations[step.rotation.0].name;
                    if step.after.millis == 0 { name.to_string() } else { format!("{name} after {}", step.after) }
                })
                .collect();
            let ch = &oncall.channels;
            s.insert(
                "oncall",
                "",
                vec![
                    ("escalation".into(), list(escalation)),
                    ("alerts_channel".into(), channel(Some(&ch.alerts))),
                    ("incidents_channel".into(), channel(ch.incidents.as_ref())),
                    ("pager_channel".into(), channel(ch.pager.as_ref())),
                    ("support_channel".into(), channel(ch.support.as_ref())),
                ],
            );
        }

        for incident in &system.incidents {
            let rotation = incident
                .rotation
                .and_then(|r| system.oncall.as_ref().map(|o| o.rotations[r.0].name.to_string()))
                .unwrap_or_else(none);
            s.insert(
                "incidents",
                incident.kind.as_str(),
                vec![
                    field("severity", incident.severity),
                    field("page", incident.page),
                    ("rotation".into(), rotation),
                    field("threshold", incident.threshold),
                ],
            );
        }
        s
    }

    fn insert(&mut self, section: &str, name: &str, fields: Fields) {
        self.sections.entry(section.to_string()).or_default().insert(name.to_string(), fields);
    }

    /// Reads a summary written by [`Summary`]'s `Serialize`, by this or another version of genops:
    /// unknown sections are kept, values that are not strings are read as their JSON text.
    pub fn from_json(value: &Value) -> Summary {
        let mut s = Summary::default();
        let Some(object) = value.as_object() else {
            return s;
        };
        let fields_of = |v: &Value| -> Fields {
            v.as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                        .collect()
                })
                .unwrap_or_default()
        };
        for (section, v) in object {
            let single = SECTIONS.iter().any(|s| s.key == section && s.single);
            if single {
                s.insert(section, "", fields_of(v));
            } else if let Some(entries) = v.as_object() {
                for (name, fields) in entries {
                    s.insert(section, name, fields_of(fields));
                }
            }
        }
        s
    }
}

/// The summary as JSON: objects of strings, keys sorted (a definition's fields too); a single
/// section is one object, the others an object of named objects. Written straight from the
/// maps, without a JSON tree between: the summary of a 10,000-route system is 10 MB of JSON.
impl serde::Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        /// A definition's fields by key; a key given twice keeps its last value.
        struct Sorted<'a>(&'a Fields);
        impl serde::Serialize for Sorted<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let fields: BTreeMap<&str, &str> = self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                serializer.collect_map(fields)
            }
        }
        struct Named<'a>(&'a BTreeMap<String, Fields>);
        impl serde::Serialize for Named<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(name, fields)| (name, Sorted(fields))))
            }
        }
        const NONE: &Fields = &Vec::new();
        let mut map = serializer.serialize_map(Some(self.sections.len()))?;
        for (section, entries) in &self.sections {
            if SECTIONS.iter().any(|s| s.key == section && s.single) {
                map.serialize_entry(section, &Sorted(entries.get("").unwrap_or(NONE)))?;
            } else {
                map.serialize_entry(section, &Named(entries))?;
            }
        }
        map.end()
    }
}

fn field(key: &str, value: impl std::fmt::Display) -> (String, String) {
    (key.to_string(), value.to_string())
}

fn percent(fraction: f64) -> String {
    format!("{}%", format_number(fraction * 100.0))
}

fn list<S: AsRef<str>>(items: Vec<S>) -> String {
    if items.is_empty() { "none".to_string() } else { items.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ") }
}

fn channel(channel: Option<&crate::model::Channel>) -> String {
    let Some(c) = channel else {
        return "none".to_string();
    };
    let mut parts = Vec::new();
    if let Some(v) = &c.slack {
        parts.push(format!("slack {v}"));
    }
    if let Some(v) = &c.webhook {
        parts.push(format!("webhook {v}"));
    }
    if let Some(v) = &c.email {
        parts.push(format!("email {v}"));
    }
    if let Some(v) = &c.pagerduty {
        parts.push(format!("pagerduty {v}"));
    }
    if let Some(v) = &c.https {
        parts.push(format!("https {v}"));
    }
    list(parts)
}

/// The changes from `before` (the summary recorded at the last build; `None` when there was
/// none) to `after`, in section order, then name order, then field order.
pub fn diff(before: Option<&Summary>, after: &Summary) -> Vec<SemanticChange> {
    let Some(before) = before else {
        return vec![first_build(after)];
    };
    let mut out = Vec::new();
    let known: Vec<&str> = SECTIONS.iter().map(|s| s.key).collect();
    let mut keys: Vec<(&str, &str)> = SECTIONS.iter().map(|s| (s.key, s.kind)).collect();
    // Sections a newer genops recorded are compared too, under their own key.
    for key in before.sections.keys().chain(after.sections.keys()) {
        if !known.contains(&key.as_str()) && !keys.iter().any(|(k, _)| k == key) {
            keys.push((key.as_str(), key.as_str()));
        }
    }
    let no_entries = BTreeMap::new();
    for (key, kind) in keys {
        let old = before.sections.get(key).unwrap_or(&no_entries);
        let new = after.sections.get(key).unwrap_or(&no_entries);
        let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            match (old.get(name), new.get(name)) {
                (None, Some(_)) if !name.is_empty() => out.push(SemanticChange::new(kind, name, SemanticKind::Added)),
                (Some(_), None) if !name.is_empty() => out.push(SemanticChange::new(kind, name, SemanticKind::Removed)),
                (old_fields, new_fields) => {
                    let empty_fields = Fields::new();
                    compare(
                        kind,
                        name,
                        old_fields.unwrap_or(&empty_fields),
                        new_fields.unwrap_or(&empty_fields),
                        &mut out,
                    )
                }
            }
        }
    }
    out
}

/// With no earlier build, one line: the system and how many of each definition it has.
fn first_build(after: &Summary) -> SemanticChange {
    let name = after.sections.get("system").and_then(|s| s.get("")).and_then(|f| get(f, "name")).unwrap_or("");
    let counts: Vec<String> = [
        ("models", "model"),
        ("clusters", "cluster"),
        ("prompts", "prompt"),
        ("routes", "route"),
        ("slos", "SLO"),
        ("budgets", "budget"),
        ("evaluations", "evaluation"),
        ("rotations", "on-call rotation"),
    ]
    .iter()
    .filter_map(|(key, word)| {
        let n = after.sections.get(*key).map_or(0, BTreeMap::len);
        (n > 0).then(|| format!("{n} {word}{}", if n == 1 { "" } else { "s" }))
    })
    .collect();
    let mut change = SemanticChange::new("system", name, SemanticKind::Added);
    change.note = (!counts.is_empty()).then(|| counts.join(", "));
    change
}

fn get<'a>(fields: &'a Fields, key: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Field-by-field changes of one definition present on both sides.
fn compare(kind: &str, name: &str, old: &Fields, new: &Fields, out: &mut Vec<SemanticChange>) {
    if kind == "prompt" {
        compare_prompt(name, old, new, out);
        return;
    }
    let mut keys: Vec<&str> = new.iter().map(|(k, _)| k.as_str()).collect();
    for (k, _) in old {
        if !keys.contains(&k.as_str()) {
            keys.push(k);
        }
    }
    for key in keys {
        let (before, after) = (get(old, key), get(new, key));
        if before == after {
            continue;
        }
        let mut change = SemanticChange::new(kind, name, SemanticKind::Changed);
        if key == "api_gateway" {
            if before.is_none() {
                // A manifest from before gateways were recorded: nothing moved.
                continue;
            }
            // Routes fill their network's gateways in spec order: a route inserted or removed
            // before this one moves it, and OCI cannot move a deployment.
            change.warning = true;
            change.note = Some("Terraform replaces its deployment on the other gateway: its URL's host changes".into());
        }
        if let Some(what) = key.strip_suffix("_sha256").or((key == "sha256").then_some("file")) {
            // A hash changing says "the contents changed"; the hashes themselves say nothing.
            change.note = Some(format!("{} contents changed", what.replace('_', " ")));
            out.push(change);
            continue;
        }
        change.field = Some(label(key, old, new));
        change.before = Some(before.unwrap_or("none").to_string());
        change.after = Some(after.unwrap_or("none").to_string());
        out.push(change);
    }
}

/// How a field is named in a sentence.
fn label(key: &str, old: &Fields, new: &Fields) -> String {
    if key == "rollout_weight" {
        // "canary weight", "shadow weight": the strategy is the first word of `rollout`.
        let strategy = get(new, "rollout").or(get(old, "rollout")).and_then(|r| r.split(' ').next());
        if let Some(strategy) = strategy.filter(|s| *s != "none") {
            return format!("{strategy} weight");
        }
    }
    if key == "rollout_active" {
        return "blue-green active side".to_string();
    }
    key.replace('_', " ")
}

/// A prompt is read by its version: a new version is one line with its kind (major, minor …);
/// new text under the same version is the mistake the manifest exists to catch.
fn compare_prompt(name: &str, old: &Fields, new: &Fields, out: &mut Vec<SemanticChange>) {
    let (v_old, v_new) = (get(old, "version").unwrap_or("none"), get(new, "version").unwrap_or("none"));
    let text_changed = get(old, "sha256") != get(new, "sha256");
    if v_old != v_new {
        let mut change = SemanticChange::new("prompt", name, SemanticKind::Changed);
        change.before = Some(v_old.to_string());
        change.after = Some(v_new.to_string());
        let (note, backwards) = bump(v_old, v_new);
        change.note = note.map(str::to_string);
        change.warning = backwards;
        out.push(change);
    } else if text_changed {
        let mut change = SemanticChange::new("prompt", name, SemanticKind::Changed);
        change.note = Some("file changed without a version bump".to_string());
        change.warning = true;
        out.push(change);
    }
    let (f_old, f_new) = (get(old, "file"), get(new, "file"));
    if f_old != f_new {
        let mut change = SemanticChange::new("prompt", name, SemanticKind::Changed);
        change.field = Some("file".to_string());
        change.before = Some(f_old.unwrap_or("none").to_string());
        change.after = Some(f_new.unwrap_or("none").to_string());
        out.push(change);
    }
}

/// The kind of a version change, and whether it goes backwards.
fn bump(old: &str, new: &str) -> (Option<&'static str>, bool) {
    let (Ok(a), Ok(b)) = (semver::Version::parse(old), semver::Version::parse(new)) else {
        return (None, false);
    };
    if b < a {
        return (Some("downgrade"), true);
    }
    let kind = if a.major != b.major {
        "major"
    } else if a.minor != b.minor {
        "minor"
    } else if a.patch != b.patch {
        "patch"
    } else if a.pre != b.pre {
        "pre-release"
    } else {
        "build metadata"
    };
    (Some(kind), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (section, name, fields) of each definition.
    type Entries<'a> = [(&'a str, &'a str, &'a [(&'a str, &'a str)])];

    fn summary(entries: &Entries) -> Summary {
        let mut s = Summary::default();
        for (section, name, fields) in entries {
            s.insert(section, name, fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        }
        s
    }

    fn messages(changes: &[SemanticChange]) -> Vec<String> {
        changes.iter().map(SemanticChange::message).collect()
    }

    #[test]
    fn a_route_moving_to_another_api_gateway_is_a_warning() {
        let before = summary(&[("routes", "r21", &[("api_gateway", "public"), ("timeout", "8s")])]);
        let after = summary(&[("routes", "r21", &[("api_gateway", "public_2"), ("timeout", "8s")])]);
        let changes = diff(Some(&before), &after);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].warning);
        assert_eq!(
            changes[0].message(),
            "route `r21`: api gateway public → public_2 (Terraform replaces its deployment on the other gateway: its URL's host changes)"
        );
        // A manifest written before gateways were recorded: no change.
        let older = summary(&[("routes", "r21", &[("timeout", "8s")])]);
        assert!(diff(Some(&older), &after).is_empty());
    }

    #[test]
    fn field_changes_read_as_plain_words() {
        let before = summary(&[
            ("routes", "chat", &[("rollout", "canary of prompt answer-next"), ("rollout_weight", "5%")]),
            ("slos", "chat-availability", &[("objective", "99.5%")]),
        ]);
        let after = summary(&[
            ("routes", "chat", &[("rollout", "canary of prompt answer-next"), ("rollout_weight", "25%")]),
            ("slos", "chat-availability", &[("objective", "99.9%")]),
        ]);
        assert_eq!(
            messages(&diff(Some(&before), &after)),
            ["route `chat`: canary weight 5% → 25%", "slo `chat-availability`: objective 99.5% → 99.9%"]
        );
    }

    #[test]
    fn prompts_are_read_by_version_and_hash() {
        let v = |version: &'static str, sha: &'static str| {
            summary(&[("prompts", "answer", &[("version", version), ("file", "p.md"), ("sha256", sha)])])
        };
        assert_eq!(
            messages(&diff(Some(&v("2.1.0", "a")), &v("3.0.0", "b"))),
            ["prompt `answer`: 2.1.0 → 3.0.0 (major)"]
        );
        let same_version = diff(Some(&v("2.1.0", "a")), &v("2.1.0", "b"));
        assert_eq!(messages(&same_version), ["prompt `answer`: file changed without a version bump"]);
        assert!(same_version[0].warning);
        let backwards = diff(Some(&v("2.1.0", "a")), &v("2.0.9", "b"));
        assert_eq!(messages(&backwards), ["prompt `answer`: 2.1.0 → 2.0.9 (downgrade)"]);
        assert!(backwards[0].warning);
        assert!(diff(Some(&v("2.1.0", "a")), &v("2.1.0", "a")).is_empty());
    }

    #[test]
    fn definitions_added_and_removed() {
        let before = summary(&[("routes", "a", &[]), ("compliance", "", &[("frameworks", "gdpr")])]);
        let after = summary(&[("routes", "b", &[]), ("compliance", "", &[("frameworks", "gdpr, soc2")])]);
        assert_eq!(
            messages(&diff(Some(&before), &after)),
            ["route `a` removed", "route `b` added", "compliance: frameworks gdpr → gdpr, soc2"]
        );
        // Nothing recorded: one line for the whole system.
        let first = summary(&[
            ("system", "", &[("name", "s")]),
            ("models", "m", &[]),
            ("routes", "a", &[]),
            ("routes", "b", &[]),
        ]);
        assert_eq!(messages(&diff(None, &first)), ["system `s` added (1 model, 2 routes)"]);
    }

    #[test]
    fn hashes_are_reported_as_contents_changes() {
        let before = summary(&[("evaluations", "golden", &[("dataset_sha256", "a")])]);
        let after = summary(&[("evaluations", "golden", &[("dataset_sha256", "b")])]);
        assert_eq!(messages(&diff(Some(&before), &after)), ["evaluation `golden`: dataset contents changed"]);
    }

    #[test]
    fn json_round_trip() {
        let s = summary(&[("routes", "chat", &[("timeout", "8s")]), ("compliance", "", &[("frameworks", "gdpr")])]);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["compliance"]["frameworks"], "gdpr");
        assert_eq!(json["routes"]["chat"]["timeout"], "8s");
        assert!(diff(Some(&Summary::from_json(&json)), &s).is_empty());
    }
}
