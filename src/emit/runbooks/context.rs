//! What a runbook template sees: the checked system as plain, pre-formatted data.
//!
//! Every value is a string, a number of items, a boolean, a list or `none` — durations, shares
//! and amounts are already written the way the spec writes them (`8s`, `99.9%`, `0.05`), so a
//! template never formats numbers. Optional things are `none` rather than missing, so that
//! `{% if route.fallbacks %}` works under strict undefined while a misspelt field still fails
//! the build. The README's "Runbooks" section lists these variables for template authors.
//!
//! Each struct is declared through [`template_struct!`], which makes it a template object read
//! in place ([`super::object`]); nested structs are shared (`Arc`) and lists are [`List`]s so
//! that reading one copies nothing. The structs also derive `Serialize`: their serialised form
//! is what the object view is tested against.

use std::sync::Arc;

use serde::Serialize;

use super::object::{List, Text, template_struct};

use crate::check::{Costs, worst_case_latency};
use crate::conventions::{display_name, ident, incident_runbook, model_group, sli_runbook_file, slo_runbook};
use crate::emit::alarms::{self, Severity, SloAlert, ThresholdAlert, Watch};
use crate::emit::derived::Derived;
use crate::emit::litellm;
use crate::hash::HashMap;
use crate::model::{Auth, Channel, Fallback, IncidentKind, Model, Oncall, Route, RouteId, Serving, Slo, System};
use crate::spec::oncall::Coverage;
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Percent, Threshold, format_number};

template_struct! {
    /// The variables every template gets, shared and read in place (the runbook being rendered
    /// and `routes_by_name` are added by [`super::variables`]).
    #[derive(Clone, Debug, Serialize)]
    pub struct Context {
        pub system: Arc<SystemCtx>,
        pub files: Arc<Files>,
        pub oncall: Option<Arc<OncallCtx>>,
        pub routes: List<Arc<RouteCtx>>,
        pub budgets: List<Arc<BudgetCtx>>,
        pub evaluations: List<Arc<EvaluationCtx>>,
        pub compliance: Arc<ComplianceCtx>,
        /// The JWT issuers of the routes, each once in route order, with the routes that trust it.
        pub issuers: List<Arc<IssuerCtx>>,
        /// Every runbook of the system, SLOs first, in spec order.
        pub runbooks: List<Arc<RunbookCtx>>,
        /// The burn-rate windows of the SLO alarms, fastest first.
        pub burn_windows: List<Arc<BurnWindowCtx>>,
    }
}

template_struct! {
    /// A JWT issuer and the routes whose callers it identifies.
    #[derive(Clone, Debug, Serialize)]
    pub struct IssuerCtx {
        pub issuer: String,
        pub routes: List<String>,
    }
}

template_struct! {
    /// One burn-rate window (`src/data/burn_rates.yaml`).
    #[derive(Clone, Debug, Serialize)]
    pub struct BurnWindowCtx {
        pub name: String,
        pub severity: String,
        pub long: String,
        pub short: String,
        /// Share of the error budget the burn spends in the long window.
        pub budget: String,
        /// The burn rate for a 30-day SLO.
        pub burn_30d: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct SystemCtx {
        pub name: String,
        pub owner: String,
        pub region: String,
        pub currency: String,
        pub description: Option<String>,
        pub tags: List<Arc<KeyValue>>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct KeyValue {
        pub key: String,
        pub value: String,
    }
}

template_struct! {
    /// Paths of the other generated files, relative to the output directory.
    #[derive(Clone, Debug, Serialize)]
    pub struct Files {
        pub prometheus_rules: String,
        pub prometheus_tests: String,
        pub openslo: String,
        pub monitoring_tf: String,
        pub gateway_tf: String,
        pub budgets_tf: String,
        pub notifications_tf: String,
        pub logging_tf: String,
        pub security_tf: String,
        pub storage_tf: String,
        pub litellm_config: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct OncallCtx {
        pub rotations: List<Arc<RotationCtx>>,
        pub escalation: List<Arc<StepCtx>>,
        pub channels: Arc<ChannelsCtx>,
        /// The rotation of the first escalation step: every page reaches it.
        pub first: String,
        /// How long an unacknowledged page waits before OCI repeats it (the second step's `after`).
        pub repeat_page: String,
        /// Where paging alarms notify (OCI topic display names).
        pub page_topics: List<String>,
        /// Where ticket alarms notify.
        pub ticket_topics: List<String>,
        /// The channel to coordinate an incident in: `incidents`, else `alerts`.
        pub coordination: Arc<ChannelCtx>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct RotationCtx {
        pub name: String,
        pub members: List<String>,
        /// `24x7` or `business-hours`.
        pub coverage: String,
        pub around_the_clock: bool,
        /// Length of one shift.
        pub shift: String,
        /// OCI Notifications topic that pages its members.
        pub topic: String,
        /// 1-based step of the escalation ladder, `none` when it is not on the ladder.
        pub step: Option<usize>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct StepCtx {
        pub step: usize,
        pub rotation: String,
        /// Time since the page without acknowledgement: `0s` for the first step.
        pub after: String,
        pub around_the_clock: bool,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct ChannelsCtx {
        pub alerts: Arc<ChannelCtx>,
        pub incidents: Option<Arc<ChannelCtx>>,
        pub pager: Option<Arc<ChannelCtx>>,
        pub support: Option<Arc<ChannelCtx>>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct ChannelCtx {
        /// `alerts`, `incidents`, `pager` or `support`.
        pub role: String,
        pub slack: Option<String>,
        pub email: Option<String>,
        pub https: Option<String>,
        /// Whether a Slack webhook, a PagerDuty key is configured (their values are secrets).
        pub webhook: bool,
        pub pagerduty: bool,
        /// OCI Notifications topic of the channel.
        pub topic: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct RouteCtx {
        pub name: String,
        pub path: String,
        pub description: Option<String>,
        pub data_class: String,
        pub policy: Arc<PolicyCtx>,
        /// Effective logging level of the route.
        pub logging: String,
        pub model: Arc<ModelCtx>,
        pub prompt: Option<Arc<PromptCtx>>,
        pub fallbacks: List<Arc<FallbackCtx>>,
        pub timeout: String,
        pub retries: u32,
        pub backoff: String,
        /// The longest a caller waits: retries, backoff and fallbacks included.
        pub worst_case: String,
        pub circuit_breaker: Option<Arc<BreakerCtx>>,
        pub rate_limit: Option<Arc<RateLimitCtx>>,
        pub cache: Option<Arc<CacheCtx>>,
        pub rollout: Option<Arc<RolloutCtx>>,
        pub tiers: List<Arc<TierCtx>>,
        pub traffic: Option<Arc<TrafficCtx>>,
        /// Estimated cost of one query and of a month, in the system's currency.
        pub cost_per_query: Option<String>,
        pub cost_per_month: Option<String>,
        pub auth: Option<Arc<AuthCtx>>,
        pub gateway: Arc<GatewayCtx>,
        pub litellm: Arc<LitellmCtx>,
        /// SLOs, evaluations and budgets that cover the route.
        pub slos: List<String>,
        /// The route's SLOs with the file of their runbook (`none`: the SLO has no alarm).
        pub slo_runbooks: List<Arc<SloLink>>,
        pub evaluations: List<String>,
        pub budgets: List<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct SloLink {
        pub name: String,
        pub file: Option<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct PolicyCtx {
        /// Serving kinds the data class allows: `external`, `on-demand`, `dedicated`.
        pub serving: List<String>,
        pub logging: String,
        pub encryption: String,
        pub network: String,
        pub residency: bool,
        pub moderation: bool,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct ModelCtx {
        pub name: String,
        /// The provider's model id, e.g. `cohere.command-r-08-2024`.
        pub id: String,
        pub provider: String,
        /// `dedicated`, `on-demand` or `external`.
        pub serving: String,
        pub cluster: Option<String>,
        pub region: String,
        pub endpoint: Option<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct PromptCtx {
        pub name: String,
        pub version: String,
        pub file: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct FallbackCtx {
        /// `model` or `route`.
        pub kind: String,
        pub name: String,
        /// The model's provider id (model fallbacks), or the fallback route's model id.
        pub model_id: String,
        /// The LiteLLM model group the route falls back to.
        pub group: String,
        /// The LiteLLM deployment id of a model fallback (`none` for a route).
        pub deployment: Option<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct BreakerCtx {
        pub failures: u32,
        pub cooldown: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct RateLimitCtx {
        pub per_second: u32,
        pub per_day: Option<u64>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct CacheCtx {
        pub kind: String,
        pub similarity: Option<String>,
        pub ttl: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct RolloutCtx {
        /// `canary`, `blue-green`, `shadow` or `ab`, and how to say it (`A/B`).
        pub strategy: String,
        pub label: String,
        pub candidate_model: Option<String>,
        pub candidate_prompt: Option<Arc<PromptCtx>>,
        /// The candidate's share (canary, A/B), the mirrored share (shadow).
        pub weight: String,
        /// Blue-green: the side taking traffic, `stable` or `candidate`.
        pub active: String,
        pub evaluation: Option<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct TierCtx {
        pub model: String,
        pub max_input_tokens: u32,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct TrafficCtx {
        pub per_day: u64,
        pub input_tokens: u32,
        pub output_tokens: u32,
        /// Average requests per minute over a day.
        pub per_minute: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct AuthCtx {
        pub issuer: String,
        pub audience: String,
        pub jwks_uri: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct GatewayCtx {
        /// Terraform address of the route's API Gateway deployment.
        pub deployment: String,
        /// Its OCI display name.
        pub display_name: String,
        /// `private` or `public`: which API gateway serves it.
        pub network: String,
        /// OCI Logging display names of its access and execution logs (`none`: audit only).
        pub access_log: String,
        pub execution_log: Option<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct LitellmCtx {
        /// The model group the gateway sends the route to (the route's name).
        pub group: String,
        /// Deployment ids (`model_info.id` in the config) of the route's primary model.
        pub primary: List<String>,
        /// The rollout's candidate (or blue-green standby) deployment and its model group.
        pub candidate: Option<Arc<DeploymentRef>>,
        /// The model groups that serve the route with retries (`model_group_retry_policy`).
        pub retry_groups: List<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct DeploymentRef {
        pub deployment: String,
        pub group: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct BudgetCtx {
        pub name: String,
        pub amount: String,
        pub currency: String,
        pub period: String,
        /// Routes in scope; empty for the whole system.
        pub routes: List<String>,
        pub alerts: List<Arc<BudgetAlertCtx>>,
        pub pressure: Option<Arc<PressureCtx>>,
        /// Estimated monthly spend of the routes in scope, where known.
        pub estimate: Option<String>,
        /// OCI budget display name.
        pub display_name: String,
        /// The e-mail address OCI sends its alert rules to (`none`: the alerts channel has none).
        pub recipients: Option<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct BudgetAlertCtx {
        pub at: String,
        pub forecast: bool,
        /// Display name of the OCI budget alert rule.
        pub rule: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct PressureCtx {
        pub at: String,
        pub downgrades: List<Arc<DowngradeCtx>>,
        /// Requests per second to admit under pressure.
        pub rate_limit: Option<u32>,
        /// That rate split over the routes in scope by their share of the traffic.
        pub limits: List<Arc<LimitCtx>>,
        pub rule: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct LimitCtx {
        pub route: String,
        pub per_second: u64,
        /// Terraform address of the route's API Gateway deployment.
        pub deployment: String,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct DowngradeCtx {
        pub route: String,
        pub from: String,
        pub to: String,
        pub to_id: String,
        /// The LiteLLM deployment of the downgrade model (weight 0 until the switch), its model
        /// group, and the other deployments of that group (the ones to set to weight 0).
        pub deployment: Option<String>,
        pub group: Option<String>,
        pub others: List<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct EvaluationCtx {
        pub name: String,
        pub dataset: String,
        pub cases: usize,
        pub min_cases: u32,
        pub routes: List<String>,
        pub thresholds: List<Arc<KeyValue>>,
        /// `block` or `warn`.
        pub gate: String,
        pub grader: Option<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct ComplianceCtx {
        pub frameworks: List<String>,
        pub gdpr: bool,
        pub hipaa: bool,
        pub soc2: bool,
        pub pci_dss: bool,
        pub traces_retention: Option<String>,
        pub audit_retention: Option<String>,
        pub decision_logging: bool,
        pub encryption: Option<String>,
    }
}

template_struct! {
    /// One alarm of the catalogue, as Prometheus and OCI Monitoring name it.
    #[derive(Clone, Debug, Serialize)]
    pub struct AlertCtx {
        /// The Prometheus alert: its shared rule with the label that picks this one out
        /// (`AvailabilityBudgetBurnFast{slo="chat-availability"}`, `ModelTimeout{route="chat"}`), or
        /// the rule's name alone when the rule is its own (`PromptInjection`).
        pub name: String,
        /// The Prometheus alerting rule (`alertname`), shared by the SLOs of a kind.
        pub rule: Text,
        /// The OCI Monitoring alarm's display name (`none` when the spec has no on-call, so no
        /// OCI alarm is generated).
        pub oci_name: Option<String>,
        /// `page` or `ticket`.
        pub severity: Text,
        pub pages: bool,
        /// `CRITICAL` or `WARNING`.
        pub oci_severity: Text,
        pub route: Option<Text>,
        pub slo: Option<Text>,
        pub evaluation: Option<Text>,
        /// What the alarm compares, in words.
        pub measures: Text,
        /// The value it fires at.
        pub threshold: Text,
        /// How long or over which windows it must hold.
        pub window: Text,
        /// The burn-rate window name (`fast` …) for SLO alerts.
        pub burn_window: Option<Text>,
        /// Days until the error budget is gone at this burn, and the burn rate (SLO alerts).
        pub exhaustion: Option<Text>,
        pub burn: Option<Text>,
        /// The runbook, relative to the output directory, and its file name.
        pub runbook: Text,
        pub runbook_file: Text,
    }
}

template_struct! {
    /// One runbook: an SLI kind's (all the SLOs of that kind, a section each) or an incident
    /// type's.
    #[derive(Clone, Debug, Serialize)]
    pub struct RunbookCtx {
        /// `slo` or `incident`.
        pub kind: String,
        /// The SLI kind (`availability`, `cost_per_query` …) or the incident type.
        pub name: String,
        pub title: String,
        pub file: String,
        pub path: String,
        /// The template it is rendered with.
        pub template: String,
        /// The alarms of an incident type (those of SLOs are in their sections).
        pub alerts: List<Arc<AlertCtx>>,
        /// The Prometheus alerting rules of the runbook's alarms, each once, in order.
        pub rules: List<String>,
        /// Whether any of its alarms pages, and whether any opens a ticket.
        pub pages: bool,
        pub tickets: bool,
        /// Routes it concerns.
        pub routes: List<String>,
        /// The SLOs of an SLI kind's runbook, in spec order: one section each.
        pub sections: List<Arc<SloSectionCtx>>,
        pub incident: Option<Arc<IncidentCtx>>,
    }
}

template_struct! {
    /// One SLO in the runbook of its SLI kind: the section an alarm of the SLO links to.
    #[derive(Clone, Debug, Serialize)]
    pub struct SloSectionCtx {
        pub slo: Arc<SloCtx>,
        /// The Markdown anchor of the section's heading (`## SLO <name>`): `slo-<name>`.
        pub anchor: String,
        /// The file and anchor, as alarms link it (`slo-availability.md#slo-chat-availability`).
        pub link: String,
        pub alerts: List<Arc<AlertCtx>>,
        pub pages: bool,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct SloCtx {
        pub name: String,
        pub route: String,
        /// `availability`, `latency`, `groundedness`, `cost_per_query`, `harmful_rate`.
        pub sli: String,
        pub objective: Option<String>,
        pub window: String,
        pub percentile: Option<String>,
        pub threshold: Option<String>,
        pub description: Option<String>,
        /// `1 − objective`, and that share of the window as time.
        pub error_budget: Option<String>,
        pub error_budget_time: Option<String>,
    }
}

template_struct! {
    #[derive(Clone, Debug, Serialize)]
    pub struct IncidentCtx {
        pub kind: String,
        pub title: String,
        /// `P1` … `P4`.
        pub severity: String,
        pub page: bool,
        /// The rotation the spec names for it, else the first escalation step.
        pub rotation: Option<String>,
        pub threshold: String,
        pub detection: String,
        pub action: String,
    }
}

fn money(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.2}")
    } else {
        format_number((value * 1e6).round() / 1e6)
    }
}

/// A duration as people say it: `5.5s` rather than `5s500ms`; the spec's form otherwise.
fn human(d: Duration) -> String {
    if d.millis % 1000 != 0 && d.millis > 1000 {
        format!("{}s", format_number(d.millis as f64 / 1000.0))
    } else {
        d.to_string()
    }
}

fn percent(fraction: f64) -> String {
    Percent { fraction }.to_string()
}

/// The context of every runbook of the system.
pub fn build(derived: &Derived) -> Context {
    let system = derived.system;
    let compliance = &system.compliance;
    let frameworks: Vec<String> = compliance.frameworks.iter().map(|f| f.to_string()).collect();
    let has = |name: &str| frameworks.iter().any(|f| f == name);
    let evaluations = system
        .evaluations
        .iter()
        .map(|e| {
            let t = e.thresholds;
            let thresholds = [
                ("relevance", t.relevance.map(format_number)),
                ("groundedness", t.groundedness.map(format_number)),
                ("completeness", t.completeness.map(format_number)),
                ("harmful_rate", t.harmful_rate.map(percent)),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|value| KeyValue { key: k.into(), value }))
            .collect();
            EvaluationCtx {
                name: e.name.to_string(),
                dataset: e.dataset.clone(),
                cases: e.cases,
                min_cases: e.min_cases,
                routes: e.routes.iter().map(|r| system.route(*r).name.to_string()).collect(),
                thresholds,
                gate: e.gate.to_string(),
                grader: e.grader.map(|m| system.model(m).name.to_string()),
            }
        })
        .collect();
    let burn_windows = alarms::burn_windows()
        .iter()
        .map(|w| BurnWindowCtx {
            name: w.name.clone(),
            severity: w.severity.as_str().into(),
            long: w.long.to_string(),
            short: w.short.to_string(),
            budget: percent(w.budget),
            burn_30d: format_number((w.budget * 30.0 * 86_400_000.0 / w.long.millis as f64 * 10.0).round() / 10.0),
        })
        .collect();
    // Everything below is linear in the size of the system: one LiteLLM plan, one cost model,
    // and indexes by route instead of searches.
    let plan = derived.routing();
    let costs = Costs::new(system);
    let runbooks = runbooks(derived);
    let mut by_route: Vec<Vec<&litellm::Deployment>> = vec![Vec::new(); system.routes.len()];
    for d in &plan.deployments {
        if let Some(r) = d.route {
            by_route[r.0].push(d);
        }
    }
    let with_runbook: HashMap<&str, &str> =
        runbooks.iter().flat_map(|r| r.sections.iter()).map(|s| (s.slo.name.as_str(), s.link.as_str())).collect();
    let mut slos: Vec<Vec<SloLink>> = vec![Vec::new(); system.routes.len()];
    for slo in &system.slos {
        slos[slo.route.0].push(SloLink {
            name: slo.name.to_string(),
            file: with_runbook.get(slo.name.as_str()).map(|f| f.to_string()),
        });
    }
    // What covers each route, in spec order, found once for all routes (a search of every
    // evaluation and budget for every route grew with the square of the system).
    let mut covering_evaluations: Vec<Vec<String>> = vec![Vec::new(); system.routes.len()];
    for e in &system.evaluations {
        for r in first_seen(e.routes.iter().copied()) {
            covering_evaluations[r.0].push(e.name.to_string());
        }
    }
    let mut budgets: Vec<Vec<String>> = vec![Vec::new(); system.routes.len()];
    for b in &system.budgets {
        if b.routes.is_empty() {
            budgets.iter_mut().for_each(|names| names.push(b.name.to_string()));
        }
        for r in first_seen(b.routes.iter().copied()) {
            budgets[r.0].push(b.name.to_string());
        }
    }
    let mut retry_groups: HashMap<&str, Vec<String>> = HashMap::default();
    for (group, attempts) in &plan.retries {
        let route = group.split("--").next().unwrap_or(group);
        if *attempts > 0 {
            retry_groups.entry(route).or_default().push(group.clone());
        }
    }
    let routes: Vec<RouteCtx> = system
        .routes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let covered = Covered {
                slos: std::mem::take(&mut slos[i]),
                evaluations: std::mem::take(&mut covering_evaluations[i]),
                budgets: std::mem::take(&mut budgets[i]),
                retry_groups: retry_groups.remove(r.name.as_str()).unwrap_or_default(),
            };
            route(system, &by_route[i], &costs, RouteId(i), r, covered)
        })
        .collect();
    let mut issuers: Vec<(String, Vec<String>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::default();
    for r in &routes {
        if let Some(auth) = &r.auth {
            let i = *index.entry(auth.issuer.clone()).or_insert_with(|| {
                issuers.push((auth.issuer.clone(), Vec::new()));
                issuers.len() - 1
            });
            issuers[i].1.push(r.name.clone());
        }
    }
    Context {
        system: Arc::new(SystemCtx {
            name: system.name.to_string(),
            owner: system.owner.to_string(),
            region: system.region.clone(),
            currency: system.currency.clone(),
            description: system.description.clone(),
            tags: system.tags.iter().map(|(k, v)| KeyValue { key: k.clone(), value: v.clone() }).collect(),
        }),
        files: Arc::new(Files {
            prometheus_rules: alarms::prometheus::rules_path(system),
            prometheus_tests: format!("alarms/prometheus/{}.rules.test.yaml", system.name),
            openslo: alarms::openslo::path(system),
            monitoring_tf: "terraform/monitoring.tf".into(),
            gateway_tf: "terraform/gateway.tf".into(),
            budgets_tf: "terraform/budgets.tf".into(),
            notifications_tf: "terraform/notifications.tf".into(),
            logging_tf: "terraform/logging.tf".into(),
            security_tf: "terraform/security.tf".into(),
            storage_tf: "terraform/storage.tf".into(),
            litellm_config: litellm::PATH.into(),
        }),
        oncall: system.oncall.as_ref().map(|o| Arc::new(oncall(system, o))),
        routes: routes.into_iter().collect(),
        budgets: system.budgets.iter().map(|b| budget(system, plan, &costs, b)).collect(),
        evaluations,
        compliance: Arc::new(ComplianceCtx {
            gdpr: has("gdpr"),
            hipaa: has("hipaa"),
            soc2: has("soc2"),
            pci_dss: has("pci-dss"),
            frameworks: frameworks.iter().cloned().collect(),
            traces_retention: compliance.traces_retention.map(|d| d.to_string()),
            audit_retention: compliance.audit_retention.map(|d| d.to_string()),
            decision_logging: compliance.decision_logging,
            encryption: compliance.encryption.map(|e| e.to_string()),
        }),
        issuers: issuers.into_iter().map(|(issuer, routes)| IssuerCtx { issuer, routes: routes.into() }).collect(),
        runbooks: runbooks.into_iter().collect(),
        burn_windows,
    }
}

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

fn oncall(system: &System, o: &Oncall) -> OncallCtx {
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

fn model_ctx(system: &System, m: &Model) -> ModelCtx {
    ModelCtx {
        name: m.name.to_string(),
        id: m.model_id.clone(),
        provider: m.provider.to_string(),
        serving: m.serving.kind().to_string(),
        cluster: match m.serving {
            Serving::Dedicated(c) => Some(system.cluster(c).name.to_string()),
            _ => None,
        },
        region: m.region.clone(),
        endpoint: m.endpoint.clone(),
    }
}

/// What covers one route: its SLOs (with their runbooks), the evaluations and budgets that
/// name it (or, for a budget, name no route), and its LiteLLM groups with retries.
struct Covered {
    slos: Vec<SloLink>,
    evaluations: Vec<String>,
    budgets: Vec<String>,
    retry_groups: Vec<String>,
}

fn prompt_ctx(system: &System, p: crate::model::PromptId) -> Arc<PromptCtx> {
    let p = system.prompt(p);
    Arc::new(PromptCtx { name: p.name.to_string(), version: p.version.to_string(), file: p.file.clone() })
}

fn route(
    system: &System,
    deployments: &[&litellm::Deployment],
    costs: &Costs,
    id: RouteId,
    r: &Route,
    covered: Covered,
) -> RouteCtx {
    let Covered { slos, evaluations, budgets, retry_groups } = covered;
    let name = r.name.as_str();
    let policy = system.policy(r.data_class);
    let deployments_of = |role: fn(&litellm::Role) -> bool| -> Vec<String> {
        deployments.iter().filter(|d| role(&d.role)).map(|d| d.id.clone()).collect()
    };
    let fallbacks = r
        .fallbacks
        .iter()
        .map(|f| match f {
            Fallback::Model(m) => {
                let model = system.model(*m);
                FallbackCtx {
                    kind: "model".into(),
                    name: model.name.to_string(),
                    model_id: model.model_id.clone(),
                    group: format!("{}--fallback--{}", model_group(name), model.name),
                    deployment: deployments
                        .iter()
                        .find(|d| d.role == litellm::Role::Fallback && d.model == *m)
                        .map(|d| d.id.clone()),
                }
            }
            Fallback::Route(other) => {
                let other = system.route(*other);
                FallbackCtx {
                    kind: "route".into(),
                    name: other.name.to_string(),
                    model_id: system.model(other.model).model_id.clone(),
                    group: model_group(other.name.as_str()),
                    deployment: None,
                }
            }
        })
        .collect();
    let execution = policy.logging.min_level(r.logging).is_some();
    let estimate = costs.route(id).ok();
    RouteCtx {
        name: name.to_string(),
        path: r.path.clone(),
        description: r.description.clone(),
        data_class: r.data_class.to_string(),
        policy: Arc::new(PolicyCtx {
            serving: policy.serving.iter().map(|s| s.to_string()).collect(),
            logging: policy.logging.to_string(),
            encryption: policy.encryption.to_string(),
            network: policy.network.to_string(),
            residency: policy.residency,
            moderation: policy.moderation,
        }),
        logging: r.logging.to_string(),
        model: Arc::new(model_ctx(system, system.model(r.model))),
        prompt: r.prompt.map(|p| prompt_ctx(system, p)),
        fallbacks,
        timeout: human(r.timeout),
        retries: r.retries.attempts,
        backoff: r.retries.backoff.to_string(),
        worst_case: human(worst_case_latency(system, id)),
        circuit_breaker: r
            .circuit_breaker
            .map(|c| Arc::new(BreakerCtx { failures: c.failures, cooldown: c.cooldown.to_string() })),
        rate_limit: r.rate_limit.map(|l| Arc::new(RateLimitCtx { per_second: l.per_second, per_day: l.per_day })),
        cache: r.cache.map(|c| {
            Arc::new(CacheCtx {
                kind: c.kind.to_string(),
                similarity: c.similarity.map(format_number),
                ttl: c.ttl.to_string(),
            })
        }),
        rollout: r.rollout.map(|ro| {
            Arc::new(RolloutCtx {
                strategy: ro.strategy.to_string(),
                label: if ro.strategy == crate::spec::routes::Strategy::Ab {
                    "A/B".into()
                } else {
                    ro.strategy.to_string()
                },
                candidate_model: ro.candidate_model.map(|m| system.model(m).name.to_string()),
                candidate_prompt: ro.candidate_prompt.map(|p| prompt_ctx(system, p)),
                weight: percent(ro.weight),
                active: ro.active.to_string(),
                evaluation: ro.evaluation.map(|e| system.evaluation(e).name.to_string()),
            })
        }),
        tiers: r
            .tiers
            .iter()
            .map(|t| TierCtx { model: system.model(t.model).name.to_string(), max_input_tokens: t.max_input_tokens })
            .collect(),
        traffic: r.traffic.map(|t| {
            Arc::new(TrafficCtx {
                per_day: t.per_day,
                input_tokens: t.input_tokens,
                output_tokens: t.output_tokens,
                per_minute: format_number((t.per_day as f64 / 1440.0 * 10.0).round() / 10.0),
            })
        }),
        cost_per_query: estimate.map(|e| money(e.per_query)),
        cost_per_month: estimate.map(|e| money(e.per_month)),
        auth: match &r.auth {
            Auth::Jwt { issuer, audience, jwks_uri } => Some(Arc::new(AuthCtx {
                issuer: issuer.clone(),
                audience: audience.clone(),
                jwks_uri: jwks_uri.clone(),
            })),
            Auth::None => None,
        },
        gateway: Arc::new(GatewayCtx {
            deployment: format!("oci_apigateway_deployment.{}", ident(name)),
            display_name: display_name(system, name),
            network: policy.network.to_string(),
            access_log: display_name(system, &format!("{name}-access")),
            execution_log: execution.then(|| display_name(system, &format!("{name}-execution"))),
        }),
        litellm: Arc::new(LitellmCtx {
            group: model_group(name),
            primary: deployments_of(|r| matches!(r, litellm::Role::Primary | litellm::Role::Mirrored)).into(),
            candidate: deployments
                .iter()
                .find(|d| {
                    matches!(
                        d.role,
                        litellm::Role::Candidate
                            | litellm::Role::CandidateGroup
                            | litellm::Role::Shadow
                            | litellm::Role::Standby
                    )
                })
                .map(|d| Arc::new(DeploymentRef { deployment: d.id.clone(), group: d.group.clone() })),
            retry_groups: retry_groups.into(),
        }),
        slos: slos.iter().map(|s| s.name.clone()).collect(),
        slo_runbooks: slos.into_iter().collect(),
        evaluations: evaluations.into(),
        budgets: budgets.into(),
    }
}

fn budget(system: &System, plan: &litellm::Plan, costs: &Costs, b: &crate::model::Budget) -> BudgetCtx {
    let rule = |label: String| format!("{}-{}", b.name, label);
    let at = |f: f64| format_number(f * 100.0).replace('.', "-");
    let scope: Vec<RouteId> =
        if b.routes.is_empty() { (0..system.routes.len()).map(RouteId).collect() } else { b.routes.clone() };
    let estimates: Vec<Option<f64>> = scope.iter().map(|r| costs.route(*r).ok().map(|e| e.per_month)).collect();
    let estimate = estimates.iter().all(Option::is_some).then(|| money(estimates.iter().flatten().sum()));
    BudgetCtx {
        name: b.name.to_string(),
        amount: money(b.amount),
        currency: system.currency.clone(),
        period: b.period.to_string(),
        routes: b.routes.iter().map(|r| system.route(*r).name.to_string()).collect(),
        alerts: b
            .alerts
            .iter()
            .map(|a| BudgetAlertCtx {
                at: percent(a.at),
                forecast: a.forecast,
                rule: rule(format!("{}-{}", if a.forecast { "forecast" } else { "actual" }, at(a.at))),
            })
            .collect(),
        pressure: b.on_pressure.as_ref().map(|p| {
            Arc::new(PressureCtx {
                at: percent(p.at),
                downgrades: p
                    .downgrades
                    .iter()
                    .map(|d| {
                        let dg = plan
                            .deployments
                            .iter()
                            .find(|x| x.route == Some(d.route) && x.role == litellm::Role::Downgrade);
                        DowngradeCtx {
                            route: system.route(d.route).name.to_string(),
                            from: system.model(system.route(d.route).model).name.to_string(),
                            to: system.model(d.to).name.to_string(),
                            to_id: system.model(d.to).model_id.clone(),
                            deployment: dg.map(|x| x.id.clone()),
                            group: dg.map(|x| x.group.clone()),
                            others: plan
                                .deployments
                                .iter()
                                .filter(|x| dg.is_some_and(|dg| x.group == dg.group && x.id != dg.id))
                                .map(|x| x.id.clone())
                                .collect(),
                        }
                    })
                    .collect(),
                rate_limit: p.rate_limit,
                limits: p.rate_limit.map_or_else(List::default, |rate| split_rate(system, &scope, rate)),
                rule: rule(format!("pressure-{}", at(p.at))),
            })
        }),
        estimate,
        display_name: display_name(system, b.name.as_str()),
        recipients: system.oncall.as_ref().and_then(|o| o.channels.alerts.email.clone()),
    }
}

/// A budget's rate limit split over its routes by their expected traffic (evenly when no route
/// declares traffic), at least 1 request per second each.
fn split_rate(system: &System, scope: &[RouteId], rate: u32) -> List<Arc<LimitCtx>> {
    let weights: Vec<f64> = scope.iter().map(|r| system.route(*r).traffic.map_or(0.0, |t| t.per_day as f64)).collect();
    let total: f64 = weights.iter().sum();
    scope
        .iter()
        .zip(&weights)
        .map(|(r, w)| {
            let share = if total > 0.0 { w / total } else { 1.0 / scope.len() as f64 };
            let name = system.route(*r).name.as_str();
            LimitCtx {
                route: name.to_string(),
                per_second: ((rate as f64 * share).floor() as u64).max(1),
                deployment: format!("oci_apigateway_deployment.{}", ident(name)),
            }
        })
        .collect()
}

fn slo_alert(system: &System, a: &SloAlert, of_slo: &SloTexts, shared: &mut Shared) -> AlertCtx {
    let window = shared.window(a);
    AlertCtx {
        name: a.prometheus_alert(),
        rule: window.rule,
        oci_name: system.oncall.as_ref().filter(|_| a.has_oci_alarm()).map(|_| display_name(system, &a.alertname)),
        severity: window.severity,
        pages: a.window.severity == Severity::Page,
        oci_severity: window.oci_severity,
        route: Some(of_slo.route.clone()),
        slo: Some(of_slo.slo.clone()),
        evaluation: None,
        measures: of_slo.measures.clone(),
        threshold: shared.number(Number::Above, (a.threshold * 1e8).round() / 1e8),
        window: window.window,
        burn_window: Some(window.name),
        exhaustion: Some(shared.number(Number::Plain, (a.exhaustion_days() * 10.0).round() / 10.0)),
        burn: Some(shared.number(Number::Plain, a.burn)),
        runbook: of_slo.runbook.clone(),
        runbook_file: of_slo.runbook_file.clone(),
    }
}

/// The text every burn-rate alert of one SLO has in common.
struct SloTexts {
    route: Text,
    slo: Text,
    measures: Text,
    runbook: Text,
    runbook_file: Text,
}

impl SloTexts {
    /// The texts of `slo`, whose alerts link `runbook`.
    fn of(system: &System, slo: &Slo, runbook: &str, shared: &mut Shared) -> SloTexts {
        let measures = match (slo.sli, slo.threshold) {
            (Sli::Latency, Some(t)) => shared.text(&format!("share of requests slower than {t}")),
            _ => shared.text("share of requests failing with a 5xx"),
        };
        SloTexts {
            route: shared.text(system.route(slo.route).name.as_str()),
            slo: shared.text(slo.name.as_str()),
            measures,
            runbook: shared.text(runbook),
            runbook_file: shared.text(file_of_str(runbook)),
        }
    }
}

/// The text every burn-rate alert of one SLI kind and window has in common.
#[derive(Clone)]
struct WindowTexts {
    rule: Text,
    severity: Text,
    oci_severity: Text,
    window: Text,
    name: Text,
}

/// Strings that many alerts have in common (a rule, a window, a threshold, a route, a
/// runbook), each kept once in the context and shared: 100,000 alerts at 10,000 routes.
#[derive(Default)]
struct Shared {
    texts: crate::hash::HashSet<Text>,
    /// The texts of each SLI kind and burn window (by name) seen, a handful.
    windows: Vec<((Sli, &'static str), WindowTexts)>,
    /// The text of each number written one way, by the number's bits: a few hundred distinct
    /// numbers for 100,000 alerts, each formatted once.
    numbers: crate::hash::HashMap<(Number, u64), Text>,
}

/// How an alert's number is written.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Number {
    /// `format_number`: `14.4`.
    Plain,
    /// `above 0.5%`: a share as a threshold.
    Above,
}

impl Shared {
    /// The texts of the SLI kind and burn window of `a`, made once per build.
    fn window(&mut self, a: &SloAlert) -> WindowTexts {
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

    fn number(&mut self, how: Number, value: f64) -> Text {
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

    fn text(&mut self, text: &str) -> Text {
        if let Some(shared) = self.texts.get(text) {
            return shared.clone();
        }
        let shared: Text = Arc::from(text);
        self.texts.insert(shared.clone());
        shared
    }
}

fn oci_severity(s: Severity) -> &'static str {
    match s {
        Severity::Page => "CRITICAL",
        Severity::Ticket => "WARNING",
    }
}

/// Each item once, in the order first seen.
fn first_seen<T: std::hash::Hash + Eq + Copy>(items: impl IntoIterator<Item = T>) -> impl Iterator<Item = T> {
    let mut seen = crate::hash::HashSet::default();
    items.into_iter().filter(move |item| seen.insert(*item))
}

/// `runbooks/slo-latency.md#slo-chat-latency` → `slo-latency.md#slo-chat-latency`: a link from
/// one runbook to another.
fn file_of(path: &str) -> String {
    file_of_str(path).to_string()
}

/// [`file_of`], borrowed.
fn file_of_str(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn threshold_alert(system: &System, a: &ThresholdAlert, shared: &mut Shared) -> AlertCtx {
    let (route, evaluation, measures, threshold) = match &a.watch {
        Watch::Groundedness { route, min } => (
            Some(route.clone()),
            None,
            "average groundedness score over 1h".to_string(),
            format!("below {}", format_number(*min)),
        ),
        Watch::HarmfulRate { route, max } => (
            Some(route.clone()),
            None,
            "share of answers flagged harmful over 1h".to_string(),
            format!("above {}", percent(*max)),
        ),
        Watch::CostPerQuery { route, max } => (
            Some(route.clone()),
            None,
            "average cost of a query over 1h".to_string(),
            format!("above {} {}", format_number(*max), system.currency),
        ),
        Watch::SlowRoute { route, max } => {
            (Some(route.clone()), None, "p95 latency over 5m".to_string(), format!("above {max}"))
        }
        Watch::FailingRoute { route, max } => (
            Some(route.clone()),
            None,
            "share of requests failing over 5m".to_string(),
            format!("above {}", percent(*max)),
        ),
        Watch::EvalScore { evaluation, min } => (
            None,
            Some(evaluation.clone()),
            "lowest score of the evaluation's latest run".to_string(),
            format!("below {}", format_number(*min)),
        ),
        Watch::InjectionAttempts { min } => (
            None,
            None,
            "prompt-injection attempts blocked by the input guard in 5m".to_string(),
            format!("{} or more", format_number(*min)),
        ),
        Watch::AuditAnomalies { min } => {
            (None, None, "audit anomalies found in 5m".to_string(), format!("{} or more", format_number(*min)))
        }
    };
    AlertCtx {
        name: a.prometheus_alert(),
        rule: shared.text(&a.prometheus_rule()),
        oci_name: system.oncall.as_ref().map(|_| display_name(system, &a.alertname)),
        severity: shared.text(a.severity.as_str()),
        pages: a.severity == Severity::Page,
        oci_severity: shared.text(oci_severity(a.severity)),
        route: route.map(|r| shared.text(&r)),
        slo: a.slo.as_deref().map(|slo| shared.text(slo)),
        evaluation: evaluation.map(|e| shared.text(&e)),
        measures: shared.text(&measures),
        threshold: shared.text(&threshold),
        window: shared.text(&format!("held {}", a.hold)),
        burn_window: None,
        exhaustion: None,
        burn: None,
        runbook: shared.text(&a.runbook),
        runbook_file: shared.text(file_of_str(&a.runbook)),
    }
}

/// The template an SLO's runbook is rendered with.
pub fn slo_template(sli: Sli) -> String {
    format!("slo-{}.md.j2", sli.as_str().replace('_', "-"))
}

fn slo_ctx(system: &System, slo: &Slo) -> SloCtx {
    let budget = slo.objective.map(|o| 1.0 - o);
    SloCtx {
        name: slo.name.to_string(),
        route: system.route(slo.route).name.to_string(),
        sli: slo.sli.to_string(),
        objective: slo.objective.map(percent),
        window: slo.window.to_string(),
        percentile: slo.percentile.map(format_number),
        threshold: slo.threshold.map(|t| match t {
            Threshold::Number(n) if slo.sli == Sli::CostPerQuery => format!("{} {}", format_number(n), system.currency),
            t => t.to_string(),
        }),
        description: slo.description.clone(),
        error_budget: budget.map(|b| percent((b * 1e6).round() / 1e6)),
        error_budget_time: budget.map(|b| {
            let minutes = (slo.window.millis as f64 * b / 60_000.0 * 10.0).round() / 10.0;
            if minutes >= 120.0 {
                format!("{} hours", format_number((minutes / 6.0).round() / 10.0))
            } else {
                format!("{} minutes", format_number(minutes))
            }
        }),
    }
}

fn runbooks(derived: &Derived) -> Vec<RunbookCtx> {
    let system = derived.system;
    let slo_alerts = derived.slo_alerts();
    let threshold_alerts = derived.threshold_alerts();
    let mut shared = Shared::default();
    let mut by_slo: HashMap<&str, Vec<AlertCtx>> = HashMap::default();
    let mut by_incident: HashMap<IncidentKind, Vec<AlertCtx>> = HashMap::default();
    for a in threshold_alerts {
        if let Some(slo) = &a.slo {
            by_slo.entry(slo.as_str()).or_default().push(threshold_alert(system, a, &mut shared));
        }
        if let Some(kind) = a.incident {
            by_incident.entry(kind).or_default().push(threshold_alert(system, a, &mut shared));
        }
    }
    let mut sections: Vec<Vec<SloSectionCtx>> = vec![Vec::new(); Sli::ALL.len()];
    for (slo, burn) in system.slos.iter().zip(slo_alerts) {
        let mut alerts: Vec<AlertCtx> = match burn.first() {
            Some(first) => {
                let of_slo = SloTexts::of(system, slo, &first.runbook, &mut shared);
                burn.iter().map(|a| slo_alert(system, a, &of_slo, &mut shared)).collect()
            }
            None => Vec::new(),
        };
        alerts.extend(by_slo.remove(slo.name.as_str()).unwrap_or_default());
        if alerts.is_empty() {
            continue;
        }
        let link = slo_runbook(slo.sli.as_str(), slo.name.as_str());
        let kind = Sli::ALL.iter().position(|k| *k == slo.sli).unwrap_or(0);
        sections[kind].push(SloSectionCtx {
            slo: Arc::new(slo_ctx(system, slo)),
            anchor: format!("slo-{}", slo.name),
            link: file_of(&link),
            pages: alerts.iter().any(|a| a.pages),
            alerts: alerts.into_iter().collect(),
        });
    }
    let mut out = Vec::new();
    for (sli, sections) in Sli::ALL.iter().zip(sections) {
        if sections.is_empty() {
            continue;
        }
        let path = sli_runbook_file(sli.as_str());
        let mut routes: Vec<String> = sections.iter().map(|s| s.slo.route.clone()).collect();
        routes.sort();
        routes.dedup();
        out.push(RunbookCtx {
            kind: "slo".into(),
            name: sli.as_str().into(),
            title: format!("{} SLOs", sli.as_str().replace('_', " ")),
            file: file_of(&path),
            template: slo_template(*sli),
            pages: sections.iter().any(|s| s.pages),
            tickets: sections.iter().any(|s| s.alerts.iter().any(|a| !a.pages)),
            rules: first_seen(sections.iter().flat_map(|s| s.alerts.iter().map(|a| &*a.rule)))
                .map(String::from)
                .collect(),
            alerts: List::default(),
            routes: routes.into(),
            sections: sections.into_iter().collect(),
            incident: None,
            path,
        });
    }
    let first = system.oncall.as_ref().and_then(|o| o.escalation.first()).map(|s| s.rotation);
    for incident in &system.incidents {
        let kind = incident.kind.as_str();
        let alerts: Vec<AlertCtx> = by_incident.remove(&incident.kind).unwrap_or_default();
        let routes: Vec<String> = match incident.kind {
            IncidentKind::QualityDegradation => {
                let mut ids: Vec<RouteId> = system.evaluations.iter().flat_map(|e| e.routes.iter().copied()).collect();
                ids.sort();
                ids.dedup();
                ids.into_iter().map(|r| system.route(r).name.to_string()).collect()
            }
            IncidentKind::CostOverrun => {
                let mut ids: Vec<RouteId> = Vec::new();
                for b in &system.budgets {
                    if b.routes.is_empty() {
                        ids.extend((0..system.routes.len()).map(RouteId));
                    } else {
                        ids.extend(b.routes.iter().copied());
                    }
                }
                ids.sort();
                ids.dedup();
                ids.into_iter().map(|r| system.route(r).name.to_string()).collect()
            }
            _ => system.routes.iter().map(|r| r.name.to_string()).collect(),
        };
        let path = incident_runbook(kind);
        let rotation = incident
            .rotation
            .or(first)
            .and_then(|r| system.oncall.as_ref().and_then(|o| o.rotations.get(r.0)).map(|r| r.name.to_string()));
        out.push(RunbookCtx {
            kind: "incident".into(),
            name: kind.into(),
            title: format!("Incident: {}", incident.title.to_lowercase()),
            file: file_of(&path),
            template: format!("incident-{kind}.md.j2"),
            pages: alerts.iter().any(|a| a.pages),
            tickets: alerts.iter().any(|a| !a.pages),
            rules: first_seen(alerts.iter().map(|a| &*a.rule)).map(String::from).collect(),
            alerts: alerts.into_iter().collect(),
            routes: routes.into(),
            sections: List::default(),
            incident: Some(Arc::new(IncidentCtx {
                kind: kind.into(),
                title: incident.title.clone(),
                severity: incident.severity.to_string(),
                page: incident.page,
                rotation,
                threshold: match incident.threshold {
                    Threshold::Percent(p) if incident.kind == IncidentKind::CostOverrun => format!("{p} of a budget"),
                    t => t.to_string(),
                },
                detection: incident.detection.clone(),
                action: incident.action.clone(),
            })),
            path,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::load::MemoryFiles;

    /// The evaluations and budgets of each route, found once for all routes, are those that
    /// name it (a budget that names no route covers them all), in spec order, each once: what
    /// searching every evaluation and budget for the route gives.
    #[test]
    fn each_route_lists_what_covers_it() {
        let mut synth = crate::synth::generate(120);
        // A route named twice by one evaluation and one budget still lists each once.
        synth.spec = synth.spec.replacen("routes: [route-0", "routes: [route-0, route-0", 2);
        assert!(synth.spec.contains("route-0, route-0"), "the synthetic spec names route-0 in a list");
        let files = synth.files.iter().fold(MemoryFiles::default(), |f, (p, c)| f.with(p, c.as_bytes()));
        let c = compile("genops.yaml", synth.spec.into_bytes(), &files);
        assert!(!c.has_errors(), "{:#?}", c.diagnostics);
        let system = c.system.expect("system");
        let base = build(&Derived::new(&system));
        for (i, r) in base.routes.iter().enumerate() {
            let id = RouteId(i);
            let evaluations: Vec<String> =
                system.evaluations.iter().filter(|e| e.routes.contains(&id)).map(|e| e.name.to_string()).collect();
            let budgets: Vec<String> = system
                .budgets
                .iter()
                .filter(|b| b.routes.is_empty() || b.routes.contains(&id))
                .map(|b| b.name.to_string())
                .collect();
            assert_eq!(r.evaluations.to_vec(), evaluations, "{}", r.name);
            assert_eq!(r.budgets.to_vec(), budgets, "{}", r.name);
        }
        assert!(
            base.routes.iter().any(|r| !r.evaluations.is_empty()) && base.routes.iter().any(|r| !r.budgets.is_empty())
        );
    }
}
