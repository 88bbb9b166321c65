//! The LiteLLM gateway target (`gateway/litellm/config.yaml`): snapshots of every example,
//! deterministic output, YAML that reads back (under the YAML 1.2 core schema genops itself
//! uses) with every spec string intact, and a config whose references hold together: every
//! fallback names a model group, every route the API gateway forwards has its group, weighted
//! groups weigh every deployment, ids are unique, credentials are environment references.
//! `.ci/run` also runs LiteLLM's own loader on the same files (`litellmcheck`).

use std::collections::{BTreeMap, BTreeSet};

use genops::diag::Diagnostics;
use genops::source::SourceMap;
use genops::yaml::{Limits, load};
use serde_json::Value as Json;

use crate::snapshot;
use crate::support::{examples, genops};

const CONFIG: &str = "gateway/litellm/config.yaml";

/// Builds a spec and returns the output directory, the config text and the gateway's Terraform.
fn build(spec: &str) -> (tempfile::TempDir, String, String) {
    let out = tempfile::tempdir().expect("temp dir");
    let dir = out.path().join("out");
    let run = genops(&["build", spec, "-o", &dir.to_string_lossy()]);
    assert_eq!(run.code, 0, "{spec}: {}", run.stderr);
    let config = std::fs::read_to_string(dir.join(CONFIG)).expect("config.yaml");
    let gateway = std::fs::read_to_string(dir.join("terraform/gateway.tf")).expect("gateway.tf");
    (out, config, gateway)
}

/// The config as JSON, read by genops's own YAML 1.2 loader.
fn parse(text: &str) -> Json {
    let mut sources = SourceMap::new();
    let id = sources.add("config.yaml", text.to_string());
    let mut diags = Diagnostics::new();
    let node = load(sources.get(id), id, Limits::for_len(text.len()), &mut diags);
    assert!(!diags.has_errors(), "config.yaml is not valid YAML: {diags:?}");
    node.expect("a YAML document").to_json()
}

fn str_of<'a>(v: &'a Json, what: &str) -> &'a str {
    v.as_str().unwrap_or_else(|| panic!("{what} is not a string: {v}"))
}

/// Every structural promise of the config, for one built spec.
fn check_config(name: &str, text: &str, gateway: &str) {
    let config = parse(text);
    let deployments = config["model_list"].as_array().unwrap_or_else(|| panic!("{name}: no model_list"));
    let mut groups: BTreeMap<String, Vec<&Json>> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for d in deployments {
        let group = str_of(&d["model_name"], "model_name").to_string();
        let params = &d["litellm_params"];
        let model = str_of(&params["model"], "litellm_params.model");
        assert!(model.starts_with("oci/") || model.starts_with("openai/"), "{name}: provider of {model}");
        let id = str_of(&d["model_info"]["id"], "model_info.id").to_string();
        assert!(ids.insert(id.clone()), "{name}: model_info.id {id} is used twice");
        for (key, value) in params.as_object().expect("litellm_params") {
            if key.starts_with("oci_") && !matches!(key.as_str(), "oci_region" | "oci_serving_mode") || key == "api_key"
            {
                assert!(
                    str_of(value, key).starts_with("os.environ/"),
                    "{name}: {id}.{key} must be an environment reference, not a literal"
                );
            }
        }
        // The SLIs attribute a series to the route before the first `--` of its group
        // (docs/alarms.md, "Metric contract"): a route's deployments live in such groups only.
        if let Some(route) = d["model_info"]["genops_route"].as_str() {
            assert!(
                group == route || group.starts_with(&format!("{route}--")),
                "{name}: group {group} of route {route} would be counted for another route"
            );
        }
        if params["oci_serving_mode"] == "DEDICATED" {
            assert!(str_of(&params["oci_endpoint_id"], "oci_endpoint_id").starts_with("os.environ/GENOPS_ENDPOINT_"));
        }
        groups.entry(group).or_default().push(d);
    }
    for (group, members) in &groups {
        let weighted = members.iter().filter(|d| !d["litellm_params"]["weight"].is_null()).count();
        if weighted > 0 {
            assert_eq!(weighted, members.len(), "{name}: group {group} weighs only some deployments");
            let sum: f64 = members.iter().map(|d| d["litellm_params"]["weight"].as_f64().expect("number")).sum();
            assert!((sum - 100.0).abs() < 1e-9, "{name}: weights of {group} sum to {sum}");
        }
        for d in members {
            if let Some(target) = d["litellm_params"]["silent_model"].as_str() {
                assert!(groups.contains_key(target), "{name}: silent_model {target} is no group");
            }
        }
    }
    assert_eq!(
        config["litellm_settings"]["callbacks"][0],
        serde_json::json!("prometheus"),
        "{name}: the SLO alerts need LiteLLM's Prometheus exporter"
    );
    let router = &config["router_settings"];
    for key in ["fallbacks", "context_window_fallbacks"] {
        for rule in router[key].as_array().into_iter().flatten() {
            let rule = rule.as_object().expect("a one-key mapping");
            assert_eq!(rule.len(), 1, "{name}: {key} rule {rule:?}");
            for (from, to) in rule {
                assert!(groups.contains_key(from), "{name}: {key} source {from} is no model group");
                let to = to.as_array().expect("a list of groups");
                assert!(!to.is_empty(), "{name}: {key} of {from} is empty");
                for t in to {
                    let t = str_of(t, key);
                    assert!(groups.contains_key(t), "{name}: {key} target {t} of {from} is no model group");
                    assert_ne!(t, from, "{name}: {from} falls back to itself");
                }
            }
        }
    }
    for group in router["model_group_retry_policy"].as_object().expect("model_group_retry_policy").keys() {
        assert!(groups.contains_key(group), "{name}: retry policy of unknown group {group}");
    }
    if let Some(embedding) = config["litellm_settings"]["cache_params"]["redis_semantic_cache_embedding_model"].as_str()
    {
        assert!(groups.contains_key(embedding), "{name}: semantic cache embedding model {embedding} is no group");
    }
    // The API gateway forwards each route to the group of the route's name.
    let marker = "/openai/deployments/";
    let forwarded: Vec<&str> = gateway
        .match_indices(marker)
        .map(|(i, _)| {
            let rest = &gateway[i + marker.len()..];
            &rest[..rest.find('/').expect("…/chat/completions")]
        })
        .collect();
    assert!(!forwarded.is_empty(), "{name}: gateway.tf forwards nothing");
    for route in forwarded {
        assert!(groups.contains_key(route), "{name}: the API gateway forwards to {route}, which is no model group");
    }
}

#[test]
fn config_of_every_example() {
    for name in examples() {
        let (_dir, text, gateway) = build(&format!("examples/{name}/genops.yaml"));
        assert!(text.starts_with("# generated by genops — do not edit\n"), "{name}");
        check_config(&name, &text, &gateway);
        snapshot!(format!("litellm__{name}"), text);
    }
}

#[test]
fn config_is_identical_across_builds() {
    for name in examples() {
        let spec = format!("examples/{name}/genops.yaml");
        assert_eq!(build(&spec).1, build(&spec).1, "{name}");
    }
}

#[test]
fn spec_strings_reach_litellm_exactly() {
    let (_dir, text, gateway) = build("tests/cases/valid/escaping/genops.yaml");
    check_config("escaping", &text, &gateway);
    let config = parse(&text);
    assert_eq!(config["model_list"][0]["model_info"]["description"], "model ${path.module} %{ for x in y }");

    // Words YAML 1.1 reads as booleans or numbers, and characters PyYAML refuses unescaped.
    let dir = tempfile::tempdir().expect("temp dir");
    let hostile = "no \"quoted\" \\ ${x} \u{7f}\u{85}\u{2028} tab\tend";
    let spec = format!(
        "version: genops/v1
system: {{ name: hostile, owner: o, region: us-chicago-1 }}
models:
  ext:
    provider: external
    id: \"on\"
    endpoint: https://llm.example.com/v1
    api_key: vault:ocid1.vaultsecret.oc1..key
    description: {}
  yes-model: {{ provider: oci-genai, id: \"1.0\", description: \"off\" }}
routes:
  no: {{ path: /no, data_class: public, model: ext, fallbacks: [yes-model] }}
budgets:
  all: {{ amount: 100 }}
",
        // JSON leaves DEL raw, which YAML 1.2 does not allow in a file: written as an escape.
        serde_json::to_string(hostile).expect("json").replace('\u{7f}', "\\u007f")
    );
    std::fs::write(dir.path().join("genops.yaml"), spec).expect("spec");
    let out = dir.path().join("out");
    let run = genops(&["build", &dir.path().join("genops.yaml").to_string_lossy(), "-o", &out.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(out.join(CONFIG)).expect("config");
    let gateway = std::fs::read_to_string(out.join("terraform/gateway.tf")).expect("gateway.tf");
    check_config("hostile", &text, &gateway);
    let config = parse(&text);
    let ext = &config["model_list"][0];
    assert_eq!(ext["model_name"], "no");
    assert_eq!(ext["litellm_params"]["model"], "openai/on");
    assert_eq!(ext["litellm_params"]["api_base"], "https://llm.example.com/v1");
    assert_eq!(ext["litellm_params"]["api_key"], "os.environ/GENOPS_API_KEY_EXT");
    assert_eq!(ext["model_info"]["description"], hostile);
    let fallback = &config["model_list"][1];
    assert_eq!(fallback["model_name"], "no--fallback--yes-model");
    assert_eq!(fallback["litellm_params"]["model"], "oci/1.0");
    assert_eq!(fallback["model_info"]["description"], "off");
    assert_eq!(config["router_settings"]["fallbacks"][0]["no"][0], "no--fallback--yes-model");
    for line in text.lines() {
        assert!(!line.chars().any(|c| c.is_control() && c != '\t'), "unescaped control character in {line:?}");
    }
}

/// `compliance.decision_logging` reaches the running gateway: the proxy callback that writes
/// each answer's decision is written beside the config, exactly the one template, and the config
/// loads it and tells it, per deployment, whether the answer itself may be kept; a system without
/// decision logging gets neither (`tests/drill/run --decision-log` drives it through LiteLLM).
#[test]
fn decision_logging_puts_its_callback_beside_the_config() {
    let callback = "gateway/litellm/genops_decision_log.py";
    let template = std::fs::read_to_string(crate::support::root().join("targets/litellm/genops_decision_log.py"))
        .expect("the callback's template");
    for example in examples() {
        let spec = format!("examples/{example}/genops.yaml");
        let (out, config, _) = build(&spec);
        let logs = std::fs::read_to_string(crate::support::root().join(&spec))
            .expect("spec")
            .lines()
            .any(|l| l.trim_start().starts_with("decision_logging: true"));
        let written = std::fs::read_to_string(out.path().join("out").join(callback)).ok();
        let json = parse(&config);
        let callbacks: Vec<&str> = json["litellm_settings"]["callbacks"]
            .as_array()
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let outputs: BTreeSet<&str> = json["model_list"]
            .as_array()
            .expect("model_list")
            .iter()
            .filter_map(|d| d["model_info"]["genops_decision_output"].as_str())
            .collect();
        if logs {
            assert_eq!(written.as_deref(), Some(template.as_str()), "{example}: the callback is the template");
            assert!(callbacks.contains(&"genops_decision_log.decision_log"), "{example}: {callbacks:?}");
            assert!(!outputs.is_empty() && outputs.iter().all(|o| ["full", "sha256"].contains(o)), "{outputs:?}");
        } else {
            assert!(written.is_none(), "{example}: a decision-log callback without decision_logging");
            assert!(!callbacks.contains(&"genops_decision_log.decision_log") && outputs.is_empty(), "{example}");
        }
    }
}
