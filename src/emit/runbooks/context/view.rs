//! The view model of the runbooks: what a template can read, as types.
//!
//! In: nothing but the values the builders of [`super`] put in. Out: the structs a template
//! reads — every value a string, a number, a boolean, a list or `none` — each declared through
//! [`template_struct!`], which makes it a template object read in place ([`super::super::object`]);
//! nested structs are shared (`Arc`) and lists are [`List`]s, so that reading one copies nothing.
//! The structs also derive `Serialize`: their serialised form is what the object view is tested
//! against. The README's "Runbooks" section lists these variables for template authors.

use std::sync::Arc;

use serde::Serialize;

use super::super::object::{List, Text, template_struct};

template_struct! {
    /// The variables every template gets, shared and read in place (the runbook being rendered
    /// and `routes_by_name` are added where the templates are rendered).
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
        /// The e-mail addresses OCI sends its alert rules to (`none`: the spec names nobody).
        pub recipients: Option<String>,
        /// The cost-tracking tag a route budget counts (`budget = <name>`); `None`: the
        /// budget counts the system's compartment.
        pub tag: Option<String>,
        /// The models of its routes billed per call, which a route budget does not see (GO0327).
        pub unseen: List<String>,
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
        /// The archive bucket exists (`<system>-archive`, retention rule): decision logs, and
        /// audit events when `archived_audit`.
        pub archive: bool,
        pub archived_audit: bool,
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

/// `routes_by_name`: the routes of a [`Context`] by name, to a template a mapping whose keys
/// iterate in name order. A runbook looks a route up for each of its SLOs and each route of an
/// incident type, so a name is found through an index made once, not by a search.
#[derive(Debug)]
pub struct RoutesByName {
    routes: List<Arc<RouteCtx>>,
    index: crate::hash::HashMap<String, usize>,
}

impl RoutesByName {
    pub fn new(routes: &List<Arc<RouteCtx>>) -> RoutesByName {
        let index = routes.iter().enumerate().map(|(i, r)| (r.name.clone(), i)).collect();
        RoutesByName { routes: routes.clone(), index }
    }
}

impl minijinja::value::Object for RoutesByName {
    fn get_value(self: &Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        let i = *self.index.get(key.as_str()?)?;
        Some(super::super::object::Field::value(&self.routes[i]))
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        let mut names: Vec<&str> = self.index.keys().map(String::as_str).collect();
        names.sort_unstable();
        minijinja::value::Enumerator::Values(names.into_iter().map(minijinja::Value::from).collect())
    }
}
