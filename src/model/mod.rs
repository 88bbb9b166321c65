//! The checked system: what emitters consume.
//!
//! In: built by `check` from a spec without errors. Out: plain data with every reference
//! resolved to a typed id ([`ModelId`], [`RouteId`] …), every default applied and every unit
//! converted. An emitter cannot see an unchecked name: there are none here. Spans of the
//! defining names are kept so later stages can still point into the spec.
//!
//! Beside it, the analyses of a system that both the check stage and the emitters read, each
//! defined once here so that `check` never reaches into `emit`: the cost of a query
//! ([`cost`]), the worst-case latency of a route ([`latency`]), the API gateway of each route
//! and the gateway's limits ([`gateways`]), the alert catalogue and its OCI alarm counts
//! ([`alerts`]), the metrics the alerts read ([`metrics`]) and what an OCI budget counts and
//! whom it tells ([`budgets`]).

pub mod alerts;
pub mod budgets;
pub mod cost;
pub mod gateways;
pub mod latency;
pub mod metrics;

use crate::source::FileId;
use crate::source::Span;
use crate::spec::budgets::Period;
use crate::spec::compliance::Framework;
use crate::spec::data_classes::{DataClassName, Encryption, LoggingLevel, Network, ServingKind};
use crate::spec::evaluations::Gate;
use crate::spec::incidents::Severity;
use crate::spec::models::{ModelKind, Provider, UnitShape};
use crate::spec::oncall::Coverage;
use crate::spec::routes::{Backoff, CacheKind, Side, Strategy};
use crate::spec::slos::Sli;
use crate::spec::units::{Duration, Name, SecretRef, Threshold};

macro_rules! ids {
    ($($id:ident),*) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $id(pub usize);
    )*};
}

ids!(ModelId, ClusterId, PromptId, RouteId, SloId, BudgetId, EvaluationId, RotationId);

#[derive(Clone, Debug)]
pub struct System {
    pub name: Name,
    pub owner: Name,
    pub region: String,
    pub currency: String,
    pub description: Option<String>,
    pub tags: Vec<(String, String)>,
    pub models: Vec<Model>,
    pub clusters: Vec<Cluster>,
    pub prompts: Vec<Prompt>,
    pub routes: Vec<Route>,
    pub slos: Vec<Slo>,
    pub budgets: Vec<Budget>,
    pub evaluations: Vec<Evaluation>,
    pub data_classes: DataClasses,
    pub compliance: Compliance,
    pub oncall: Option<Oncall>,
    /// All six standard incident types, with the spec's overrides applied.
    pub incidents: Vec<Incident>,
    /// Analyses that the checks, the emitters and the plan all read, computed once when the
    /// system is made ([`System::analysed`]).
    pub analysis: Analysis,
}

/// What several stages derive from a system, made once by [`System::analysed`].
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// The API gateway of each route, in route order ([`gateways::assign`]).
    pub gateways: Vec<gateways::Gateway>,
    /// Requests a day planned on each dedicated cluster, in cluster order
    /// ([`cost::cluster_requests_per_day`]).
    pub cluster_requests_per_day: Vec<f64>,
}

impl System {
    /// The system with its [`Analysis`] made: the last step of making a system.
    pub fn analysed(mut self) -> System {
        self.analysis = Analysis {
            gateways: gateways::assign(&self),
            cluster_requests_per_day: cost::cluster_requests_per_day(&self),
        };
        self
    }

    pub fn model(&self, id: ModelId) -> &Model {
        &self.models[id.0]
    }
    pub fn cluster(&self, id: ClusterId) -> &Cluster {
        &self.clusters[id.0]
    }
    pub fn prompt(&self, id: PromptId) -> &Prompt {
        &self.prompts[id.0]
    }
    pub fn route(&self, id: RouteId) -> &Route {
        &self.routes[id.0]
    }
    pub fn evaluation(&self, id: EvaluationId) -> &Evaluation {
        &self.evaluations[id.0]
    }
    pub fn policy(&self, class: DataClassName) -> &DataClassPolicy {
        self.data_classes.get(class)
    }
}

#[derive(Clone, Debug)]
pub struct Model {
    pub name: Name,
    pub span: Span,
    pub provider: Provider,
    /// The provider's model id, e.g. `cohere.command-r-08-2024`.
    pub model_id: String,
    pub kind: ModelKind,
    pub serving: Serving,
    pub price: Option<Price>,
    /// Effective region: the model's own, else its cluster's, else the system's.
    pub region: String,
    pub endpoint: Option<String>,
    pub api_key: Option<SecretRef>,
    pub context_window: Option<u32>,
    pub description: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serving {
    External,
    OnDemand,
    Dedicated(ClusterId),
}

impl Serving {
    pub fn kind(self) -> ServingKind {
        match self {
            Serving::External => ServingKind::External,
            Serving::OnDemand => ServingKind::OnDemand,
            Serving::Dedicated(_) => ServingKind::Dedicated,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Price {
    pub input_per_1k: f64,
    pub output_per_1k: f64,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: Name,
    pub span: Span,
    pub shape: UnitShape,
    pub units: u32,
    pub price_per_unit_hour: Option<f64>,
    pub region: String,
    pub description: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Prompt {
    pub name: Name,
    pub span: Span,
    pub version: semver::Version,
    /// Path relative to the spec, as written.
    pub file: String,
    pub file_id: FileId,
    pub description: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Route {
    pub name: Name,
    pub span: Span,
    pub path: String,
    pub description: Option<String>,
    pub data_class: DataClassName,
    pub model: ModelId,
    pub prompt: Option<PromptId>,
    pub fallbacks: Vec<Fallback>,
    pub timeout: Duration,
    pub retries: Retries,
    pub circuit_breaker: Option<CircuitBreaker>,
    pub rate_limit: Option<RateLimit>,
    pub cache: Option<Cache>,
    pub rollout: Option<Rollout>,
    pub tiers: Vec<Tier>,
    pub traffic: Option<Traffic>,
    /// Effective logging level: the route's own, else its class's.
    pub logging: LoggingLevel,
    pub auth: Auth,
    pub cors: Option<Cors>,
    /// Behind the web application firewall when its API gateway is public (`waf`, default on).
    pub waf: bool,
}

/// Browser origins allowed to call a route.
#[derive(Clone, Debug, PartialEq)]
pub struct Cors {
    pub origins: Vec<String>,
    pub max_age: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    Model(ModelId),
    /// Hand the request to another route (its model and its own fallbacks).
    Route(RouteId),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retries {
    /// Retries after the first attempt.
    pub attempts: u32,
    pub backoff: Backoff,
    pub initial: Duration,
    pub max: Option<Duration>,
}

impl Retries {
    pub const DEFAULT_INITIAL: Duration = Duration { millis: 200 };

    pub fn none() -> Retries {
        Retries { attempts: 0, backoff: Backoff::Exponential, initial: Retries::DEFAULT_INITIAL, max: None }
    }

    /// The waits between attempts, in order.
    pub fn waits(&self) -> impl Iterator<Item = Duration> + '_ {
        (0..self.attempts).map(move |i| {
            let millis = match self.backoff {
                Backoff::None => 0,
                Backoff::Constant => self.initial.millis,
                Backoff::Exponential => self.initial.millis.saturating_mul(1u64.checked_shl(i).unwrap_or(u64::MAX)),
            };
            let capped = self.max.map_or(millis, |m| millis.min(m.millis));
            Duration::from_millis(capped)
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CircuitBreaker {
    pub failures: u32,
    pub cooldown: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub per_second: u32,
    pub per_day: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cache {
    pub kind: CacheKind,
    pub similarity: Option<f64>,
    pub ttl: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rollout {
    pub strategy: Strategy,
    pub candidate_model: Option<ModelId>,
    pub candidate_prompt: Option<PromptId>,
    /// Canary/A-B: the candidate's share of traffic; shadow: the share mirrored; blue-green: 0 or 1
    /// by the active side.
    pub weight: f64,
    pub active: Side,
    pub evaluation: Option<EvaluationId>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tier {
    pub model: ModelId,
    pub max_input_tokens: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Traffic {
    pub per_day: u64,
    pub input_tokens: u32,
    pub output_tokens: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Auth {
    None,
    Jwt { issuer: String, audience: String, jwks_uri: String },
}

#[derive(Clone, Debug)]
pub struct Slo {
    pub name: Name,
    pub span: Span,
    pub route: RouteId,
    pub sli: Sli,
    pub objective: Option<f64>,
    pub window: Duration,
    pub percentile: Option<f64>,
    pub threshold: Option<Threshold>,
    pub description: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Budget {
    pub name: Name,
    pub span: Span,
    pub amount: f64,
    pub period: Period,
    /// Empty: the whole system.
    pub routes: Vec<RouteId>,
    pub alerts: Vec<BudgetAlert>,
    pub on_pressure: Option<OnPressure>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetAlert {
    pub at: f64,
    pub forecast: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OnPressure {
    pub at: f64,
    pub downgrades: Vec<Downgrade>,
    pub rate_limit: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Downgrade {
    pub route: RouteId,
    pub to: ModelId,
}

#[derive(Clone, Debug)]
pub struct Evaluation {
    pub name: Name,
    pub span: Span,
    pub dataset: String,
    pub dataset_file: FileId,
    /// Valid cases in the dataset.
    pub cases: usize,
    pub min_cases: u32,
    pub routes: Vec<RouteId>,
    pub thresholds: Thresholds,
    pub gate: Gate,
    pub grader: Option<ModelId>,
    pub embedding: Option<ModelId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Thresholds {
    pub relevance: Option<f64>,
    pub groundedness: Option<f64>,
    pub completeness: Option<f64>,
    pub harmful_rate: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DataClassPolicy {
    pub serving: Vec<ServingKind>,
    pub logging: LoggingLevel,
    pub encryption: Encryption,
    pub network: Network,
    pub residency: bool,
    pub moderation: bool,
}

/// `full` logs most; a level is allowed when it logs no more than the class's. The check
/// refuses a route that logs more than its class (GO0303); `gateway.tf` caps execution logs
/// at the class's level.
pub fn logs_more(level: LoggingLevel, than: LoggingLevel) -> bool {
    let rank = |l: LoggingLevel| match l {
        LoggingLevel::Full => 2,
        LoggingLevel::Metadata => 1,
        LoggingLevel::AuditOnly => 0,
    };
    rank(level) > rank(than)
}

#[derive(Clone, Debug, PartialEq)]
pub struct DataClasses {
    /// Indexed in the order of [`DataClassName::ALL`].
    pub policies: Vec<DataClassPolicy>,
}

impl DataClasses {
    pub fn get(&self, class: DataClassName) -> &DataClassPolicy {
        let index = DataClassName::ALL.iter().position(|c| *c == class).unwrap_or(0);
        &self.policies[index]
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compliance {
    pub frameworks: Vec<Framework>,
    pub traces_retention: Option<Duration>,
    pub audit_retention: Option<Duration>,
    pub datasets_retention: Option<Duration>,
    pub decision_logging: bool,
    pub encryption: Option<Encryption>,
}

#[derive(Clone, Debug)]
pub struct Oncall {
    pub rotations: Vec<Rotation>,
    pub escalation: Vec<EscalationStep>,
    pub channels: Channels,
}

#[derive(Clone, Debug)]
pub struct Rotation {
    pub name: Name,
    pub span: Span,
    pub members: Vec<String>,
    pub coverage: Coverage,
    pub length: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EscalationStep {
    pub rotation: RotationId,
    pub after: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Channels {
    pub alerts: Channel,
    pub incidents: Option<Channel>,
    pub pager: Option<Channel>,
    pub support: Option<Channel>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Channel {
    pub slack: Option<String>,
    pub webhook: Option<SecretRef>,
    pub email: Option<String>,
    pub pagerduty: Option<SecretRef>,
    pub https: Option<String>,
}

/// The six standard incident types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IncidentKind {
    ModelTimeout,
    ToolFailure,
    QualityDegradation,
    CostOverrun,
    PromptInjection,
    DataBreach,
}

impl IncidentKind {
    pub const ALL: [IncidentKind; 6] = [
        IncidentKind::ModelTimeout,
        IncidentKind::ToolFailure,
        IncidentKind::QualityDegradation,
        IncidentKind::CostOverrun,
        IncidentKind::PromptInjection,
        IncidentKind::DataBreach,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::ModelTimeout => "model-timeout",
            IncidentKind::ToolFailure => "tool-failure",
            IncidentKind::QualityDegradation => "quality-degradation",
            IncidentKind::CostOverrun => "cost-overrun",
            IncidentKind::PromptInjection => "prompt-injection",
            IncidentKind::DataBreach => "data-breach",
        }
    }

    pub fn parse(text: &str) -> Option<IncidentKind> {
        IncidentKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub kind: IncidentKind,
    pub title: String,
    pub severity: Severity,
    pub page: bool,
    pub rotation: Option<RotationId>,
    pub threshold: Threshold,
    pub detection: String,
    pub action: String,
}
