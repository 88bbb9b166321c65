//! Synthetic specs for benchmarks and scale tests.
//!
//! In: a number of routes. Out: the text of a realistic, valid `genops.yaml` and the prompt and
//! dataset files it references: routes spread over on-demand and dedicated models and the
//! three usable data classes, with fallbacks, retries, circuit breakers, caches, canary and A/B
//! rollouts, tiers, traffic, two or three SLOs per route, budgets, evaluations and rotations.
//! Valid by construction; past about 100 routes it needs more OCI API gateways than a tenancy
//! gets by default (GO0404), and past about 830 routes its 7.2 OCI alarms a route take
//! Terraform more than ten minutes of alarm operations (GO0405): genops warns about both, as it
//! would for a real system.
//! Deterministic: the same N always gives the same bytes. `genops-synth N DIR` (src/bin) writes it.

use std::fmt::Write;

/// Smallest spec that uses every model it defines.
pub const MIN_ROUTES: usize = 12;

/// A generated spec and the files beside it (path relative to the spec, contents).
pub struct SynthSpec {
    pub spec: String,
    pub files: Vec<(String, String)>,
}

const ON_DEMAND: [(&str, &str, f64, f64); 6] = [
    ("command-r", "cohere.command-r-08-2024", 0.00015, 0.0006),
    ("command-r-plus", "cohere.command-r-plus-08-2024", 0.0025, 0.01),
    ("command-a", "cohere.command-a-03-2025", 0.0025, 0.01),
    ("llama-70b", "meta.llama-3.3-70b-instruct", 0.00072, 0.00072),
    ("maverick", "meta.llama-4-maverick-17b-128e-instruct-fp8", 0.0002, 0.0008),
    ("gpt-oss", "openai.gpt-oss-120b", 0.00015, 0.0006),
];

pub fn generate(routes: usize) -> SynthSpec {
    let routes = routes.max(MIN_ROUTES);
    let prompts = routes.div_ceil(10);
    let mut s = String::with_capacity(routes * 900);
    let _ = writeln!(s, "# yaml-language-server: $schema=genops.schema.json");
    let _ = writeln!(s, "# Synthetic spec with {routes} routes (genops synth).");
    s.push_str("version: genops/v1\nsystem:\n  name: synthetic\n  owner: ai-platform\n  region: us-chicago-1\n  currency: USD\n  tags: { cost-center: bench }\n");
    s.push_str("models:\n");
    for (name, id, input, output) in ON_DEMAND {
        let _ = writeln!(
            s,
            "  {name}: {{ provider: oci-genai, id: {id}, serving: on-demand, price: {{ input_per_1k: {input}, output_per_1k: {output} }} }}"
        );
    }
    s.push_str(
        "  ded-a: { provider: oci-genai, id: meta.llama-3.3-70b-instruct, serving: { dedicated: cluster-a } }\n",
    );
    s.push_str("  ded-b: { provider: oci-genai, id: meta.llama-4-maverick-17b-128e-instruct-fp8, serving: { dedicated: cluster-b } }\n");
    s.push_str("  embed: { provider: oci-genai, id: cohere.embed-v4.0, kind: embedding, serving: on-demand, price: { input_per_1k: 0.0001, output_per_1k: 0 } }\n");
    s.push_str("clusters:\n  cluster-a: { shape: LARGE_GENERIC, units: 2, price_per_unit_hour: 12.0 }\n  cluster-b: { shape: LARGE_GENERIC_2, units: 2, price_per_unit_hour: 14.0 }\n");
    s.push_str("prompts:\n");
    for p in 0..prompts {
        let _ = writeln!(s, "  prompt-{p}: {{ version: 1.{}.0, file: prompts/prompt-{p}.md }}", p % 7);
        if p * 10 + 3 < routes {
            let _ = writeln!(
                s,
                "  prompt-{p}-next: {{ version: 2.0.0-rc.{}, file: prompts/prompt-{p}-next.md }}",
                p % 5 + 1
            );
        }
    }
    s.push_str("routes:\n");
    for r in 0..routes {
        let class = ["internal", "public", "confidential"][r % 3];
        let (model, fallback) = match class {
            "confidential" => ("ded-a", "ded-b"),
            _ => (ON_DEMAND[r % 6].0, ON_DEMAND[(r + 1) % 6].0),
        };
        let _ = writeln!(s, "  route-{r}:");
        let _ = writeln!(s, "    path: /v1/team-{}/route-{r}", r / 50);
        let _ = writeln!(s, "    description: Synthetic route {r} of team {}.", r / 50);
        let _ = writeln!(s, "    data_class: {class}");
        let _ = writeln!(s, "    model: {model}");
        let _ = writeln!(s, "    prompt: prompt-{}", r / 10);
        let _ = writeln!(s, "    fallbacks: [{fallback}]");
        s.push_str("    timeout: 3s\n    retries: { attempts: 1, backoff: exponential, initial: 200ms }\n");
        s.push_str("    circuit_breaker: { failures: 5, cooldown: 60s }\n    rate_limit: { per_second: 20 }\n");
        if r % 4 == 0 {
            s.push_str("    cache: { kind: semantic, similarity: 0.95, ttl: 1h }\n");
        }
        match r % 10 {
            3 => {
                let _ = writeln!(
                    s,
                    "    rollout: {{ strategy: canary, candidate: {{ prompt: prompt-{}-next }}, weight: 5% }}",
                    r / 10
                );
            }
            7 if class != "confidential" => {
                let _ = writeln!(
                    s,
                    "    rollout: {{ strategy: ab, candidate: {{ model: {} }}, weight: 20% }}",
                    ON_DEMAND[(r + 2) % 6].0
                );
            }
            _ => {}
        }
        if r % 6 == 1 && class != "confidential" {
            s.push_str("    tiers: [{ model: gpt-oss, max_input_tokens: 1000 }, { model: maverick, max_input_tokens: 8000 }]\n");
        }
        s.push_str("    auth: { jwt: { issuer: https://idp.example.com, audience: synthetic, jwks_uri: https://idp.example.com/jwks } }\n");
        let _ = writeln!(
            s,
            "    traffic: {{ per_day: {}, input_tokens: 1500, output_tokens: 300 }}",
            4000 + (r % 7) * 1000
        );
    }
    s.push_str("slos:\n");
    for r in 0..routes {
        let _ = writeln!(
            s,
            "  route-{r}-availability: {{ route: route-{r}, sli: availability, objective: 99.5%, window: 30d }}"
        );
        let _ = writeln!(
            s,
            "  route-{r}-latency: {{ route: route-{r}, sli: latency, percentile: 95, threshold: 12s, objective: 99% }}"
        );
        if r % 5 == 0 {
            let _ = writeln!(s, "  route-{r}-cost: {{ route: route-{r}, sli: cost_per_query, threshold: 0.05 }}");
        }
    }
    let teams = routes.div_ceil(50);
    s.push_str("budgets:\n");
    for t in 0..teams {
        let members: Vec<String> = (t * 50..((t + 1) * 50).min(routes)).map(|r| format!("route-{r}")).collect();
        let _ = writeln!(s, "  team-{t}:\n    amount: 100000\n    routes: [{}]", members.join(", "));
        s.push_str("    alerts: [{ at: 50% }, { at: 80% }, { at: 100%, forecast: true }]\n");
        let internal = (t * 50..((t + 1) * 50).min(routes)).find(|r| r % 3 == 0 && r % 6 != 1 && r % 10 != 7);
        match internal {
            Some(r) if ON_DEMAND[r % 6].0 != "command-r" => {
                let _ = writeln!(
                    s,
                    "    on_pressure: {{ at: 90%, downgrade: {{ route: route-{r}, to: command-r }}, rate_limit: {{ per_second: 10 }} }}"
                );
            }
            _ => s.push_str("    on_pressure: { at: 90%, rate_limit: { per_second: 10 } }\n"),
        }
    }
    s.push_str("evaluations:\n");
    let evals = routes.div_ceil(100);
    for e in 0..evals {
        let covered: Vec<String> = (e * 100..((e + 1) * 100).min(routes)).map(|r| format!("route-{r}")).collect();
        let _ = writeln!(
            s,
            "  golden-{e}:\n    dataset: evals/golden-{}.jsonl\n    min_cases: 20\n    routes: [{}]",
            e % 4,
            covered.join(", ")
        );
        s.push_str("    thresholds: { relevance: 0.85, groundedness: 0.9 }\n    gate: block\n    grader: llama-70b\n    embedding: embed\n");
    }
    s.push_str("compliance:\n  frameworks: [gdpr, soc2]\n  retention: { traces: 30d, audit: 365d }\n  decision_logging: true\n");
    s.push_str("oncall:\n  rotations:\n    primary: { members: [ana@example.com, bo@example.com], coverage: 24x7 }\n    secondary: { members: [cy@example.com], coverage: 24x7 }\n");
    s.push_str("  escalation:\n    - rotation: primary\n    - rotation: secondary\n      after: 15m\n");
    s.push_str("  channels:\n    alerts: { email: alerts@example.com }\n    pager: { pagerduty: env:PAGERDUTY_KEY }\n");

    let mut files = Vec::new();
    for p in 0..prompts {
        files.push((
            format!("prompts/prompt-{p}.md"),
            format!(
                "You answer questions for team {}.\n\nContext:\n{{{{context}}}}\n\nQuestion: {{{{question}}}}\n",
                p / 5
            ),
        ));
        files.push((format!("prompts/prompt-{p}-next.md"), format!("You answer questions for team {} concisely.\n\nContext:\n{{{{context}}}}\n\nQuestion: {{{{question}}}}\n", p / 5)));
    }
    for d in 0..evals.min(4) {
        let mut data = String::new();
        for i in 0..25 {
            let _ = writeln!(data, "{{\"input\": \"Question {i} of set {d}?\", \"expected\": \"Answer {i}.\"}}");
        }
        files.push((format!("evals/golden-{d}.jsonl"), data));
    }
    SynthSpec { spec: s, files }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::MemoryFiles;

    #[test]
    fn synthetic_specs_are_valid_and_warn_only_about_oci_limits() {
        use crate::diag::Code::{AlarmOperations, GatewayLimit};
        // From 12 routes on, every model, prompt and cluster is used (no GO0401). Past 5 API
        // gateways (20 routes each per network), OCI's default limit needs raising (GO0404);
        // past 6,000 OCI alarms, Terraform spends ten minutes on alarm operations (GO0405).
        for (n, warned) in
            [(12, vec![]), (13, vec![]), (301, vec![GatewayLimit]), (900, vec![GatewayLimit, AlarmOperations])]
        {
            let synth = generate(n);
            let files = synth.files.iter().fold(MemoryFiles::default(), |f, (p, c)| f.with(p, c.as_bytes()));
            let c = crate::compile::compile("synthetic.yaml", synth.spec.into_bytes(), &files);
            let mut codes: Vec<_> = c.diagnostics.iter().map(|d| d.code).collect();
            // Each team budget lists routes served on demand, which OCI bills to the compartment
            // and no tag budget sees (GO0327): one warning a team.
            let blind = codes.iter().filter(|c| **c == crate::diag::Code::BudgetBlind).count();
            assert_eq!(blind, n.div_ceil(50), "{n} routes: one GO0327 a team budget");
            codes.retain(|c| *c != crate::diag::Code::BudgetBlind);
            codes.sort_by_key(|c| c.id());
            assert_eq!(codes, warned, "{n} routes: {:?}", c.diagnostics);
            assert_eq!(c.system.map(|s| s.routes.len()), Some(n));
        }
    }

    #[test]
    fn generation_is_deterministic() {
        assert_eq!(generate(50).spec, generate(50).spec);
    }
}
