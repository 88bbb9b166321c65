//! Lowering: a spec without errors becomes a [`System`] with ids, defaults and units applied.
//! Indices are kept: the n-th route of the spec is `RouteId(n)`, so later checks can still
//! find the spans of what they report.

use super::Checker;
use super::files::DEFAULT_MIN_CASES;
use super::incidents;
use super::routes::FallbackRef;
use crate::model::*;
use crate::spec::data_classes::ServingKind;
use crate::spec::routes::Side;
use crate::spec::units::Duration;
use crate::spec::{self, models, routes as sr};

const DEFAULT_TIMEOUT: Duration = Duration { millis: 30_000 };
const DEFAULT_WINDOW: Duration = Duration { millis: 30 * 86_400_000 };
const DEFAULT_SHIFT: Duration = Duration { millis: 7 * 86_400_000 };

/// `None` only if a definition is missing, which the checks have already reported.
pub(super) fn lower(c: &Checker) -> Option<System> {
    let doc = c.doc;
    let sys = &doc.system.value;
    let region = sys.region.value.0.clone();
    let text = |s: &Option<crate::source::Spanned<String>>| s.as_ref().map(|v| v.value.clone());
    let model_id = |name: &str| c.models.get(name).map(ModelId);
    let prompt_id = |name: &str| c.prompts.get(name).map(PromptId);
    let route_id = |name: &str| c.routes.get(name).map(RouteId);

    let clusters = all(&doc.clusters.value, |name, cl: &spec::Cluster| {
        Some(Cluster {
            name: name.value.clone(),
            span: name.span,
            shape: cl.shape.value,
            units: cl.units.value,
            price_per_unit_hour: cl.price_per_unit_hour.as_ref().map(|p| p.value.0),
            region: cl.region.as_ref().map_or_else(|| region.clone(), |r| r.value.0.clone()),
            description: text(&cl.description),
        })
    })?;

    let models = all(&doc.models.value, |name, m: &spec::Model| {
        let serving = match (m.provider.value, m.serving.as_ref().map(|s| &s.value)) {
            (models::Provider::External, _) => Serving::External,
            (_, Some(models::Serving::Dedicated(cluster))) => {
                Serving::Dedicated(ClusterId(c.clusters.get(cluster.value.as_str())?))
            }
            _ => Serving::OnDemand,
        };
        let model_region = match (&m.region, serving) {
            (Some(r), _) => r.value.0.clone(),
            (None, Serving::Dedicated(cl)) => clusters[cl.0].region.clone(),
            _ => region.clone(),
        };
        Some(Model {
            name: name.value.clone(),
            span: name.span,
            provider: m.provider.value,
            model_id: m.id.value.clone(),
            kind: m.kind.as_ref().map_or(models::ModelKind::Chat, |k| k.value),
            serving,
            price: m
                .price
                .as_ref()
                .map(|p| Price { input_per_1k: p.input_per_1k.value.0, output_per_1k: p.output_per_1k.value.0 }),
            region: model_region,
            endpoint: m.endpoint.as_ref().map(|e| e.value.0.clone()),
            api_key: m.api_key.as_ref().map(|k| k.value.clone()),
            context_window: m.context_window.as_ref().map(|v| v.value),
            description: text(&m.description),
        })
    })?;

    let prompts = all(&doc.prompts.value, |name, p: &spec::Prompt| {
        let file_id = match c.inputs.get(p.file.value.as_str())? {
            Ok(id) => *id,
            Err(_) => return None,
        };
        Some(Prompt {
            name: name.value.clone(),
            span: name.span,
            version: p.version.value.0.clone(),
            file: p.file.value.0.clone(),
            file_id,
            description: text(&p.description),
        })
    })?;

    let routes = all(&doc.routes.value, |name, r: &spec::Route| {
        let class = r.data_class.value;
        let fallbacks = r
            .fallbacks
            .iter()
            .map(|f| match c.fallback_ref(f.value.as_str())? {
                FallbackRef::Model(m) => Some(Fallback::Model(ModelId(m))),
                FallbackRef::Route(rt) => Some(Fallback::Route(RouteId(rt))),
            })
            .collect::<Option<Vec<_>>>()?;
        let retries = r.retries.as_ref().map_or_else(Retries::none, |rt| Retries {
            attempts: rt.value.attempts.value,
            backoff: rt.value.backoff.as_ref().map_or(sr::Backoff::Exponential, |b| b.value),
            initial: rt.value.initial.as_ref().map_or(Retries::DEFAULT_INITIAL, |i| i.value),
            max: rt.value.max.as_ref().map(|m| m.value),
        });
        let rollout = match &r.rollout {
            None => None,
            Some(ro) => {
                let ro = &ro.value;
                let strategy = ro.strategy.value;
                let active = ro.active.as_ref().map_or(Side::Stable, |a| a.value);
                let weight = match (strategy, &ro.weight) {
                    (sr::Strategy::BlueGreen, _) => {
                        if active == Side::Candidate {
                            1.0
                        } else {
                            0.0
                        }
                    }
                    (_, Some(w)) => w.value.fraction,
                    (sr::Strategy::Ab, None) => 0.5,
                    (_, None) => 1.0,
                };
                let candidate = &ro.candidate.value;
                Some(Rollout {
                    strategy,
                    candidate_model: match &candidate.model {
                        Some(m) => Some(model_id(m.value.as_str())?),
                        None => None,
                    },
                    candidate_prompt: match &candidate.prompt {
                        Some(p) => Some(prompt_id(p.value.as_str())?),
                        None => None,
                    },
                    weight,
                    active,
                    evaluation: match &ro.evaluation {
                        Some(e) => Some(EvaluationId(c.evaluations.get(e.value.as_str())?)),
                        None => None,
                    },
                })
            }
        };
        Some(Route {
            name: name.value.clone(),
            span: name.span,
            path: r.path.value.0.clone(),
            description: text(&r.description),
            data_class: class,
            model: model_id(r.model.value.as_str())?,
            prompt: match &r.prompt {
                Some(p) => Some(prompt_id(p.value.as_str())?),
                None => None,
            },
            fallbacks,
            timeout: r.timeout.as_ref().map_or(DEFAULT_TIMEOUT, |t| t.value),
            retries,
            circuit_breaker: r
                .circuit_breaker
                .as_ref()
                .map(|cb| CircuitBreaker { failures: cb.value.failures.value, cooldown: cb.value.cooldown.value }),
            rate_limit: r.rate_limit.as_ref().map(|rl| RateLimit {
                per_second: rl.value.per_second.value,
                per_day: rl.value.per_day.as_ref().map(|v| v.value),
            }),
            cache: r.cache.as_ref().map(|ca| Cache {
                kind: ca.value.kind.value,
                similarity: ca.value.similarity.as_ref().map(|s| s.value),
                ttl: ca.value.ttl.value,
            }),
            rollout,
            tiers: r
                .tiers
                .iter()
                .map(|t| {
                    Some(Tier {
                        model: model_id(t.value.model.value.as_str())?,
                        max_input_tokens: t.value.max_input_tokens.value,
                    })
                })
                .collect::<Option<Vec<_>>>()?,
            traffic: r.traffic.as_ref().map(|t| Traffic {
                per_day: t.value.per_day.value,
                input_tokens: t.value.input_tokens.value,
                output_tokens: t.value.output_tokens.value,
            }),
            logging: r.logging.as_ref().map_or(c.classes.get(class).logging, |l| l.value),
            auth: match r.auth.as_ref().map(|a| &a.value) {
                Some(sr::Auth::Jwt(j)) => Auth::Jwt {
                    issuer: j.issuer.value.0.clone(),
                    audience: j.audience.value.clone(),
                    jwks_uri: j.jwks_uri.value.0.clone(),
                },
                _ => Auth::None,
            },
            cors: r.cors.as_ref().map(|c| Cors {
                origins: c.value.origins.value.iter().map(|o| o.value.0.clone()).collect(),
                max_age: c.value.max_age.as_ref().map_or(Duration::from_millis(3_600_000), |m| m.value),
            }),
            waf: r.waf.as_ref().is_none_or(|w| w.value.enabled.value),
        })
    })?;

    let slos = all(&doc.slos.value, |name, s: &spec::Slo| {
        Some(Slo {
            name: name.value.clone(),
            span: name.span,
            route: route_id(s.route.value.as_str())?,
            sli: s.sli.value,
            objective: s.objective.as_ref().map(|o| o.value.fraction),
            window: s.window.as_ref().map_or(DEFAULT_WINDOW, |w| w.value),
            percentile: s.percentile.as_ref().map(|p| p.value),
            threshold: s.threshold.as_ref().map(|t| t.value),
            description: text(&s.description),
        })
    })?;

    let budgets = all(&doc.budgets.value, |name, b: &spec::Budget| {
        Some(Budget {
            name: name.value.clone(),
            span: name.span,
            amount: b.amount.value.0,
            period: b.period.as_ref().map_or(spec::budgets::Period::Monthly, |p| p.value),
            routes: b.routes.iter().map(|r| route_id(r.value.as_str())).collect::<Option<Vec<_>>>()?,
            alerts: b
                .alerts
                .iter()
                .map(|a| BudgetAlert {
                    at: a.value.at.value.fraction,
                    forecast: a.value.forecast.as_ref().is_some_and(|f| f.value),
                })
                .collect(),
            on_pressure: match &b.on_pressure {
                None => None,
                Some(p) => Some(OnPressure {
                    at: p.value.at.value.fraction,
                    downgrades: p
                        .value
                        .downgrade
                        .0
                        .iter()
                        .map(|d| {
                            Some(Downgrade {
                                route: route_id(d.value.route.value.as_str())?,
                                to: model_id(d.value.to.value.as_str())?,
                            })
                        })
                        .collect::<Option<Vec<_>>>()?,
                    rate_limit: p.value.rate_limit.as_ref().map(|r| r.value.per_second.value),
                }),
            },
        })
    })?;

    let mut index = 0;
    let evaluations = all(&doc.evaluations.value, |name, e: &spec::Evaluation| {
        let cases = c.dataset_cases[index];
        index += 1;
        let dataset_file = match c.inputs.get(e.dataset.value.as_str())? {
            Ok(id) => *id,
            Err(_) => return None,
        };
        let t = &e.thresholds.value;
        Some(Evaluation {
            name: name.value.clone(),
            span: name.span,
            dataset: e.dataset.value.0.clone(),
            dataset_file,
            cases,
            min_cases: e.min_cases.as_ref().map_or(DEFAULT_MIN_CASES, |m| m.value),
            routes: e.routes.value.iter().map(|r| route_id(r.value.as_str())).collect::<Option<Vec<_>>>()?,
            thresholds: Thresholds {
                relevance: t.relevance.as_ref().map(|v| v.value),
                groundedness: t.groundedness.as_ref().map(|v| v.value),
                completeness: t.completeness.as_ref().map(|v| v.value),
                harmful_rate: t.harmful_rate.as_ref().map(|v| v.value.fraction),
            },
            gate: e.gate.as_ref().map_or(spec::evaluations::Gate::Block, |g| g.value),
            grader: match &e.grader {
                Some(m) => Some(model_id(m.value.as_str())?),
                None => None,
            },
            embedding: match &e.embedding {
                Some(m) => Some(model_id(m.value.as_str())?),
                None => None,
            },
        })
    })?;

    let compliance = doc.compliance.as_ref().map_or_else(Compliance::default, |co| {
        let co = &co.value;
        let retention = co.retention.as_ref().map(|r| &r.value);
        Compliance {
            frameworks: co.frameworks.value.iter().map(|f| f.value).collect(),
            traces_retention: retention.and_then(|r| r.traces.as_ref()).map(|d| d.value),
            audit_retention: retention.and_then(|r| r.audit.as_ref()).map(|d| d.value),
            datasets_retention: retention.and_then(|r| r.datasets.as_ref()).map(|d| d.value),
            decision_logging: co.decision_logging.as_ref().is_some_and(|d| d.value),
            encryption: co.encryption.as_ref().map(|e| e.value),
        }
    });

    let oncall = match &doc.oncall {
        None => None,
        Some(o) => {
            let o = &o.value;
            let rotations = all(&o.rotations.value, |name, r: &spec::oncall::Rotation| {
                Some(Rotation {
                    name: name.value.clone(),
                    span: name.span,
                    members: r.members.value.iter().map(|m| m.value.0.clone()).collect(),
                    coverage: r.coverage.value,
                    length: r.length.as_ref().map_or(DEFAULT_SHIFT, |l| l.value),
                })
            })?;
            let escalation = o
                .escalation
                .value
                .iter()
                .map(|s| {
                    Some(EscalationStep {
                        rotation: RotationId(c.rotations.get(s.value.rotation.value.as_str())?),
                        after: s.value.after.as_ref().map_or(Duration::from_millis(0), |a| a.value),
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            let ch = &o.channels.value;
            Some(Oncall {
                rotations,
                escalation,
                channels: Channels {
                    alerts: channel(&ch.alerts.value),
                    incidents: ch.incidents.as_ref().map(|x| channel(&x.value)),
                    pager: ch.pager.as_ref().map(|x| channel(&x.value)),
                    support: ch.support.as_ref().map(|x| channel(&x.value)),
                },
            })
        }
    };

    let incidents = incidents::defaults()
        .iter()
        .map(|(kind, d)| {
            let o = doc
                .incidents
                .value
                .valid()
                .find(|(n, _)| n.value.as_str() == kind.as_str())
                .map(|(_, o)| o.clone())
                .unwrap_or_default();
            Incident {
                kind: *kind,
                title: d.title.value.clone(),
                severity: o.severity.map_or(d.severity.value, |s| s.value),
                page: o.page.map_or(d.page.value, |p| p.value),
                rotation: o.rotation.and_then(|r| c.rotations.get(r.value.as_str())).map(RotationId),
                threshold: o.threshold.map_or(d.threshold.value, |t| t.value),
                detection: d.detection.value.clone(),
                action: d.action.value.clone(),
            }
        })
        .collect();

    Some(
        System {
            name: sys.name.value.clone(),
            owner: sys.owner.value.clone(),
            region,
            currency: sys.currency.as_ref().map_or_else(|| "USD".to_string(), |cur| cur.value.0.clone()),
            description: text(&sys.description),
            tags: sys.tags.0.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect(),
            models,
            clusters,
            prompts,
            routes,
            slos,
            budgets,
            evaluations,
            data_classes: c.classes.clone(),
            compliance,
            oncall,
            incidents,
            analysis: Default::default(),
        }
        .analysed(),
    )
}

fn channel(c: &spec::oncall::Channel) -> Channel {
    Channel {
        slack: c.slack.as_ref().map(|s| s.value.0.clone()),
        webhook: c.webhook.as_ref().map(|s| s.value.clone()),
        email: c.email.as_ref().map(|s| s.value.0.clone()),
        pagerduty: c.pagerduty.as_ref().map(|s| s.value.clone()),
        https: c.https.as_ref().map(|s| s.value.0.clone()),
    }
}

/// Lowers every definition of a section, in order; `None` if one cannot be.
fn all<T, U>(
    map: &spec::NamedMap<T>,
    mut f: impl FnMut(&crate::source::Spanned<crate::spec::units::Name>, &T) -> Option<U>,
) -> Option<Vec<U>> {
    map.entries.iter().map(|e| f(&e.name, e.value.as_ref()?)).collect()
}

impl ServingKind {
    pub fn describe(self) -> &'static str {
        match self {
            ServingKind::External => "outside OCI",
            ServingKind::OnDemand => "on shared on-demand OCI capacity",
            ServingKind::Dedicated => "on a dedicated AI cluster",
        }
    }
}
