//! `routes:` — the endpoints the system serves and every routing decision behind them:
//! model, prompt, fallbacks, timeout, retries, circuit breaker, rate limit, cache, rollout,
//! model tiers, authentication and expected traffic.

use schemars::JsonSchema;

use super::data_classes::{DataClassName, LoggingLevel};
use super::units::{Duration, HttpsUrl, Name, Origin, Percent, RoutePath};
use crate::diag::{Code, Diagnostic};
use crate::source::Spanned;
use crate::yaml::{Decode, Decoder, MapReader, Node, NodeKind};
use crate::{decode_struct, keyword_enum};

/// An endpoint of the system.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Route {
    /// The HTTP path on the gateway, e.g. `/v1/chat`.
    pub path: Spanned<RoutePath>,
    pub description: Option<Spanned<String>>,
    /// The most sensitive data the route handles: `public`, `internal`, `confidential`, `restricted`.
    pub data_class: Spanned<DataClassName>,
    /// The primary model.
    pub model: Spanned<Name>,
    /// The prompt template.
    pub prompt: Option<Spanned<Name>>,
    /// Models tried in order when the primary fails; each must be allowed for the data class.
    #[schemars(default)]
    pub fallbacks: Vec<Spanned<Name>>,
    /// Deadline of one model call. Default `30s`.
    pub timeout: Option<Spanned<Duration>>,
    pub retries: Option<Spanned<Retries>>,
    pub circuit_breaker: Option<Spanned<CircuitBreaker>>,
    pub rate_limit: Option<Spanned<RateLimit>>,
    pub cache: Option<Spanned<Cache>>,
    pub rollout: Option<Spanned<Rollout>>,
    /// Dynamic routing: smaller models for smaller requests, tried in order; the route's
    /// `model` takes what no tier takes.
    #[schemars(default)]
    pub tiers: Vec<Spanned<Tier>>,
    /// Expected traffic, for cost estimates and SLO sanity checks.
    pub traffic: Option<Spanned<Traffic>>,
    /// What is logged: at most what the data class allows. Default: the class's level.
    pub logging: Option<Spanned<LoggingLevel>>,
    /// Caller authentication at the gateway. Default `none`.
    pub auth: Option<Spanned<Auth>>,
    /// Browser origins allowed to call the route (CORS at the gateway). Default: none.
    pub cors: Option<Spanned<Cors>>,
    /// The web application firewall in front of a route on a public API gateway. Default: on;
    /// `{ enabled: false, reason: "…" }` opts out, and says why.
    pub waf: Option<Spanned<Waf>>,
}

decode_struct!(Route "route" {
    path: req, description: opt, data_class: req, model: req, prompt: opt, fallbacks: default,
    timeout: opt, retries: opt, circuit_breaker: opt, rate_limit: opt, cache: opt, rollout: opt,
    tiers: default, traffic: opt, logging: opt, auth: opt, cors: opt, waf: opt,
});

keyword_enum!(
    /// Wait between attempts.
    Backoff "backoff" { None = "none", Constant = "constant", Exponential = "exponential" }
);

/// Retries of a failed model call.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Retries {
    /// Retries after the first attempt (0–10).
    pub attempts: Spanned<u32>,
    /// `none`, `constant` or `exponential` (default).
    pub backoff: Option<Spanned<Backoff>>,
    /// First wait. Default `200ms`.
    pub initial: Option<Spanned<Duration>>,
    /// Longest wait. Default: no cap.
    pub max: Option<Spanned<Duration>>,
}

decode_struct!(Retries "retry policy" { attempts: req, backoff: opt, initial: opt, max: opt });

/// Stop calling a failing model for a while.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CircuitBreaker {
    /// Consecutive failures that open the circuit.
    pub failures: Spanned<u32>,
    /// How long the circuit stays open.
    pub cooldown: Spanned<Duration>,
}

decode_struct!(CircuitBreaker "circuit breaker" { failures: req, cooldown: req });

/// Requests admitted by the gateway.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RateLimit {
    pub per_second: Spanned<u32>,
    /// Optional daily quota per client.
    pub per_day: Option<Spanned<u64>>,
}

decode_struct!(RateLimit "rate limit" { per_second: req, per_day: opt });

keyword_enum!(
    /// Response cache kind.
    CacheKind "cache kind" { Exact = "exact", Semantic = "semantic" }
);

/// Response caching.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Cache {
    pub kind: Spanned<CacheKind>,
    /// Semantic caches only: cosine similarity above which a cached answer is reused (0–1).
    pub similarity: Option<Spanned<f64>>,
    pub ttl: Spanned<Duration>,
}

decode_struct!(Cache "cache" { kind: req, similarity: opt, ttl: req });

keyword_enum!(
    /// How a candidate is rolled out.
    Strategy "rollout strategy" {
        Canary = "canary",
        BlueGreen = "blue-green",
        Shadow = "shadow",
        Ab = "ab",
    }
);

keyword_enum!(
    /// Which side of a blue-green pair takes traffic.
    Side "side" { Stable = "stable", Candidate = "candidate" }
);

/// A change rolled out under control.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rollout {
    pub strategy: Spanned<Strategy>,
    /// What is being rolled out: a new model, a new prompt, or both.
    pub candidate: Spanned<Candidate>,
    /// Canary: share of traffic to the candidate (≤ 50%). A/B: the candidate's split (default
    /// 50%). Shadow: share of requests mirrored (default 100%). Not for blue-green.
    pub weight: Option<Spanned<Percent>>,
    /// Blue-green: the side that takes traffic. Default `stable`.
    pub active: Option<Spanned<Side>>,
    /// The evaluation that must pass before the candidate is promoted.
    pub evaluation: Option<Spanned<Name>>,
}

decode_struct!(Rollout "rollout" { strategy: req, candidate: req, weight: opt, active: opt, evaluation: opt });

/// A rollout candidate: a model, a prompt, or both.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Candidate {
    pub model: Option<Spanned<Name>>,
    pub prompt: Option<Spanned<Name>>,
}

decode_struct!(Candidate "candidate" { model: opt, prompt: opt });

/// A model tier for dynamic routing.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Tier {
    pub model: Spanned<Name>,
    /// Requests up to this many input tokens go to this tier.
    pub max_input_tokens: Spanned<u32>,
}

decode_struct!(Tier "tier" { model: req, max_input_tokens: req });

/// Expected load.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Traffic {
    pub per_day: Spanned<u64>,
    /// Average input tokens per request (prompt included).
    pub input_tokens: Spanned<u32>,
    /// Average output tokens per request.
    pub output_tokens: Spanned<u32>,
}

decode_struct!(Traffic "traffic estimate" { per_day: req, input_tokens: req, output_tokens: req });

/// Caller authentication: `none`, or `{ jwt: { issuer, audience, jwks_uri } }`.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    None,
    Jwt(Jwt),
}

/// JSON Web Token validation at the gateway.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Jwt {
    pub issuer: Spanned<HttpsUrl>,
    pub audience: Spanned<String>,
    pub jwks_uri: Spanned<HttpsUrl>,
}

decode_struct!(Jwt "jwt" { issuer: req, audience: req, jwks_uri: req });

impl Decode for Auth {
    fn decode(node: &Node, d: &mut Decoder) -> Option<Auth> {
        if let NodeKind::Scalar(s) = &node.kind {
            if s.text == "none" {
                return Some(Auth::None);
            }
            if s.text == "jwt" {
                d.error(
                    Diagnostic::new(Code::MissingField, "jwt authentication needs its issuer, audience and key set")
                        .label(node.span, "how are tokens checked?")
                        .help("write `auth: { jwt: { issuer: https://…, audience: …, jwks_uri: https://… } }`"),
                );
                return None;
            }
        }
        if node.as_map().is_none() {
            d.wrong_type(node, "`none` or `{ jwt: … }`");
            return None;
        }
        let mut m = MapReader::new(node, d, "auth")?;
        let jwt = m.req(d, "jwt");
        m.finish(d)?;
        Some(Auth::Jwt(jwt?))
    }
}

/// Cross-origin requests from browsers.
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Cors {
    /// Origins allowed to call the route.
    pub origins: Spanned<Vec<Spanned<Origin>>>,
    /// How long browsers may cache the preflight answer. Default `1h`.
    pub max_age: Option<Spanned<Duration>>,
}

decode_struct!(Cors "CORS policy" { origins: req, max_age: opt });

/// The OCI web application firewall of a public route (rate limit, request size, OWASP
/// protection rules at the load balancer in front of its API gateway).
#[derive(Clone, Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Waf {
    /// `false` to serve the route without the firewall.
    pub enabled: Spanned<bool>,
    /// Why the route goes without it; required when `enabled` is `false`.
    pub reason: Option<Spanned<String>>,
}

decode_struct!(Waf "WAF setting" { enabled: req, reason: opt });
