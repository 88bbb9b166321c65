//! The runbooks target: snapshots of every runbook of every example; runbooks and alarms agree
//! in both directions (every alarm a runbook names exists in the Prometheus rules and in
//! `monitoring.tf`, and every alarm links a runbook that exists and names it); template
//! overrides, and a template typo that fails the build; hostile spec strings that stay text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::snapshot;
use crate::support::{examples, genops, slug};

fn build(spec: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let mut args = vec!["build", spec, "-o", out.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let run = genops(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (dir, out)
}

fn runbooks(out: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(out.join("runbooks")).expect("runbooks/").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        files.insert(name, std::fs::read_to_string(entry.path()).expect("runbook"));
    }
    files
}

/// The text of every code span of a Markdown document.
fn code_spans(markdown: &str) -> BTreeSet<String> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES)
        .filter_map(|e| match e {
            Event::Code(c) => Some(c.to_string()),
            _ => None,
        })
        .collect()
}

/// What a runbook link (`runbooks/slo-latency.md#slo-chat-latency`) leads to: the section under
/// the heading of that anchor, up to the next heading of its level, or the whole file.
fn resolve<'a>(files: &'a BTreeMap<String, String>, link: &str) -> Option<&'a str> {
    let link = link.strip_prefix("runbooks/").unwrap_or(link);
    let (file, anchor) = link.split_once('#').map_or((link, None), |(f, a)| (f, Some(a)));
    let text = files.get(file)?.as_str();
    let Some(anchor) = anchor else { return Some(text) };
    let start = text.match_indices("\n## ").map(|(i, _)| i + 1).find(|&i| {
        let line = text[i..].lines().next().unwrap_or_default();
        slug(line.trim_start_matches('#')) == anchor
    })?;
    let end = text[start + 3..].find("\n## ").map_or(text.len(), |i| start + 3 + i + 1);
    Some(&text[start..end])
}

/// A Prometheus alerting rule: name, severity label, runbook label.
struct Rule {
    name: String,
    severity: String,
    runbook: String,
}

/// The alerting rules of a rules file, read line by line (the file is generated YAML with one
/// key per line).
fn prometheus_rules(text: &str) -> Vec<Rule> {
    let value = |line: &str, key: &str| -> Option<String> {
        line.trim().strip_prefix(key).map(|v| v.trim().trim_matches('"').to_string())
    };
    let mut rules: Vec<Rule> = Vec::new();
    for line in text.lines() {
        if let Some(name) = value(line, "- alert:") {
            rules.push(Rule { name, severity: String::new(), runbook: String::new() });
        } else if let Some(rule) = rules.last_mut() {
            if let Some(s) = value(line, "severity:") {
                rule.severity = s;
            } else if let Some(r) = value(line, "runbook_url:") {
                rule.runbook = r;
            }
        }
    }
    rules
}

/// The Prometheus alerts of an example under the catalogue's names (what the runbooks print),
/// each checked to be raised by the rules file: Prometheus has shared rules
/// (`AvailabilityBudgetBurnFast`, `ModelTimeout`, …) that carry the SLO, route or evaluation
/// in labels, so an alert exists when its shared rule does and, for an SLO's alert, when the
/// SLO's data series (`slo: "<slo>"`) does.
/// The alerts of the catalogue as the runbooks name them in Prometheus (their shared rule and
/// the label that picks them out: `AvailabilityBudgetBurnFast{slo="chat-availability"}`), after
/// checking that each rule and each SLO's data series is in the rules file; and the names of the
/// rules in the file.
fn prometheus_alerts(name: &str, rules_text: &str) -> (Vec<Rule>, BTreeSet<String>) {
    let dir = crate::support::root().join(format!("examples/{name}"));
    let mut files = genops::load::MemoryFiles::default();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(&dir).expect("inside").to_string_lossy().replace('\\', "/");
                files = files.with(&rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    let spec = std::fs::read(dir.join("genops.yaml")).expect("spec");
    let c = genops::compile::compile("genops.yaml", spec, &files);
    let system = c.system.as_ref().expect("a valid spec");
    let shared: BTreeSet<String> = prometheus_rules(rules_text).into_iter().map(|r| r.name).collect();
    let mut out = Vec::new();
    for a in genops::model::alerts::slo_alerts(system) {
        assert!(shared.contains(&a.prometheus_rule()), "{name}: no Prometheus rule {}", a.prometheus_rule());
        assert!(rules_text.contains(&format!("slo: \"{}\"", a.slo.name)), "{name}: no data series of {}", a.slo.name);
        out.push(Rule { name: a.prometheus_alert(), severity: a.window.severity.as_str().into(), runbook: a.runbook });
    }
    for a in genops::model::alerts::threshold_alerts(system) {
        assert!(shared.contains(&a.prometheus_rule()), "{name}: no Prometheus rule {}", a.prometheus_rule());
        if let Some(slo) = &a.slo {
            assert!(rules_text.contains(&format!("slo: \"{slo}\"")), "{name}: no data series of {slo}");
        }
        out.push(Rule { name: a.prometheus_alert(), severity: a.severity.as_str().into(), runbook: a.runbook });
    }
    (out, shared)
}

/// (display_name, severity, body) of every `oci_monitoring_alarm` in `monitoring.tf`.
fn oci_alarms(text: &str) -> Vec<(String, String, String)> {
    let body: hcl::Body = hcl::parse(text).expect("monitoring.tf parses");
    let string = |block: &hcl::Block, key: &str| -> String {
        block
            .body
            .attributes()
            .find(|a| a.key.as_str() == key)
            .and_then(|a| match a.expr.evaluate(&Context::new()) {
                Ok(hcl::Value::String(s)) => Some(s),
                _ => None,
            })
            .unwrap_or_default()
    };
    body.blocks()
        .filter(|b| {
            b.identifier.as_str() == "resource"
                && b.labels.first().is_some_and(|l| l.as_str() == "oci_monitoring_alarm")
        })
        .map(|b| (string(b, "display_name"), string(b, "severity"), string(b, "body")))
        .collect()
}

fn budget_rules(text: &str) -> BTreeSet<String> {
    let body: hcl::Body = hcl::parse(text).expect("budgets.tf parses");
    body.blocks()
        .filter(|b| b.labels.first().is_some_and(|l| l.as_str() == "oci_budget_alert_rule"))
        .filter_map(|b| b.body.attributes().find(|a| a.key.as_str() == "display_name"))
        .filter_map(|a| match a.expr.evaluate(&Context::new()) {
            Ok(hcl::Value::String(s)) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn every_runbook_of_every_example() {
    for name in examples() {
        let (_dir, out) = build(&format!("examples/{name}/genops.yaml"), &[]);
        let files = runbooks(&out);
        assert!(files.contains_key("README.md"), "{name}: no index");
        for kind in
            ["model-timeout", "tool-failure", "quality-degradation", "cost-overrun", "prompt-injection", "data-breach"]
        {
            assert!(files.contains_key(&format!("incident-{kind}.md")), "{name}: no runbook for {kind}");
        }
        for (file, text) in files {
            assert!(text.starts_with("<!-- generated by genops — do not edit -->\n"), "{name}/{file}");
            for section in [
                "## Meaning",
                "## Impact",
                "## Detection",
                "## Immediate action",
                "## Diagnosis",
                "## Escalation",
                "## Communication",
                "## Recovery and verification",
                "## Postmortem",
            ] {
                assert!(
                    file == "README.md" || text.contains(&format!("\n{section}\n")),
                    "{name}/{file}: no `{section}`"
                );
            }
            snapshot!(format!("runbooks__{name}__{file}"), text);
        }
    }
}

#[test]
fn runbooks_and_alarms_agree_both_ways() {
    for name in examples() {
        let (_dir, out) = build(&format!("examples/{name}/genops.yaml"), &[]);
        let (rules, shared) = prometheus_alerts(
            &name,
            &std::fs::read_to_string(out.join(format!("alarms/prometheus/{name}.rules.yaml"))).expect("rules"),
        );
        let oci = oci_alarms(&std::fs::read_to_string(out.join("terraform/monitoring.tf")).expect("monitoring.tf"));
        let budgets = budget_rules(&std::fs::read_to_string(out.join("terraform/budgets.tf")).expect("budgets.tf"));
        let files = runbooks(&out);
        assert!(!rules.is_empty() && !oci.is_empty());
        let prom_alerts: BTreeSet<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        let oci_names: BTreeSet<&str> = oci.iter().map(|(n, _, _)| n.as_str()).collect();

        // Runbooks → alarms: every alarm a runbook names exists. Prometheus alerts are the
        // CamelCase code spans, alone (`AvailabilityBudgetBurnFast`, a shared rule) or with the
        // label that picks one out (`ModelTimeout{route="chat"}`); OCI alarms are
        // `<system>-<CamelCase>` ones.
        let camel = |s: &str| {
            s.len() > 3
                && s.starts_with(|c: char| c.is_ascii_uppercase())
                && s.chars().all(|c| c.is_ascii_alphanumeric())
                && s.chars().any(|c| c.is_ascii_lowercase())
                && s.chars().filter(|c| c.is_ascii_uppercase()).count() >= 2
        };
        for (file, text) in &files {
            for span in code_spans(text) {
                let (rule, selector) = span.split_once('{').map_or((span.as_str(), None), |(r, l)| (r, Some(l)));
                if camel(rule) {
                    assert!(shared.contains(rule), "{name}/{file}: `{span}` is no Prometheus rule");
                    if selector.is_some() {
                        assert!(prom_alerts.contains(span.as_str()), "{name}/{file}: `{span}` is no Prometheus alert");
                    }
                }
                if let Some(rest) = span.strip_prefix(&format!("{name}-")) {
                    if rest.starts_with(|c: char| c.is_ascii_uppercase()) {
                        assert!(oci_names.contains(span.as_str()), "{name}/{file}: `{span}` is no OCI alarm");
                    }
                }
                if span.contains("-actual-") || span.contains("-forecast-") || span.contains("-pressure-") {
                    assert!(budgets.contains(&span), "{name}/{file}: `{span}` is no budget alert rule");
                }
            }
        }

        // Alarms → runbooks: every alarm links a runbook (a file, or an SLO's section in the
        // runbook of its kind) that exists and names it, and the index lists it or its SLO;
        // paging alarms above all.
        let index = &files["README.md"];
        let index_spans = code_spans(index);
        for rule in &rules {
            let section = resolve(&files, &rule.runbook)
                .unwrap_or_else(|| panic!("{name}: {} links missing {}", rule.name, rule.runbook));
            let named = code_spans(section).contains(&rule.name) || section.contains(&format!("{}\n", rule.name));
            let slo_section = rule.runbook.contains('#');
            assert!(named || slo_section, "{name}: {} does not name {}", rule.runbook, rule.name);
            if slo_section {
                let link = rule.runbook.strip_prefix("runbooks/").unwrap_or(&rule.runbook);
                assert!(index.contains(&format!("]({link})")), "{name}: the index does not link {link}");
            } else {
                assert!(index_spans.contains(&rule.name), "{name}: the index does not list {}", rule.name);
            }
            assert!(
                matches!(rule.severity.as_str(), "page" | "ticket"),
                "{name}: {} severity {}",
                rule.name,
                rule.severity
            );
        }
        assert!(rules.iter().any(|r| r.severity == "page"), "{name}: no paging alert to check");
        for (display, severity, body) in &oci {
            let link = body
                .split("Runbook: ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .map(|r| r.trim_end_matches('.').to_string());
            let link = link.unwrap_or_else(|| panic!("{name}: OCI alarm {display} links no runbook"));
            let section = resolve(&files, &link)
                .unwrap_or_else(|| panic!("{name}: OCI alarm {display} ({severity}) links missing {link}"));
            // An escalation step's alarm is the page's alarm with `-step<n>-<rotation>` appended,
            // as the index's escalation section says: the section names the page's alarm.
            let page = display
                .rsplit_once("-step")
                .filter(|(_, step)| step.contains('-'))
                .map_or(display.as_str(), |(p, _)| p);
            assert!(code_spans(section).contains(page), "{name}: {link} does not name OCI alarm {page}");
            if page != display {
                assert!(severity == "CRITICAL", "{name}: escalation alarm {display} is not a page");
            }
            if let Some((_, anchor)) = link.split_once('#') {
                assert!(index.contains(&format!("#{anchor})")), "{name}: the index does not link {link}");
            } else {
                assert!(index_spans.contains(page), "{name}: the index does not list {page}");
            }
        }
        assert!(oci.iter().any(|(_, s, _)| s == "CRITICAL"), "{name}: no paging OCI alarm to check");
    }
}

#[test]
fn an_override_template_replaces_the_built_in_one_and_a_typo_fails_the_build() {
    let spec = "examples/support-assistant/genops.yaml";
    let templates = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        templates.path().join("incident-data-breach.md.j2"),
        "{% extends \"layout.md.j2\" %}\n{% block meaning %}Call the DPO of {{ system.owner | code }} first.{% endblock %}\n",
    )
    .expect("write template");
    let dir = templates.path().to_str().expect("utf-8").to_string();
    let (_out_dir, out) = build(spec, &["--templates", &dir]);
    let files = runbooks(&out);
    assert!(files["incident-data-breach.md"].contains("\n## Meaning\n\nCall the DPO of `cx-ai-platform` first.\n"));
    assert!(files["incident-data-breach.md"].contains("\n## Escalation\n"), "the layout's other sections stay");
    let (_plain_dir, plain) = build(spec, &[]);
    let plain = runbooks(&plain);
    assert_eq!(
        files["incident-model-timeout.md"], plain["incident-model-timeout.md"],
        "other runbooks are the built-in ones"
    );

    // A misspelt variable: the build fails with the template, the line and the name, and the
    // previous output stays as it was.
    std::fs::write(
        templates.path().join("incident-data-breach.md.j2"),
        "{% extends \"layout.md.j2\" %}\n{% block meaning %}\nCall {{ system.ownr }}.\n{% endblock %}\n",
    )
    .expect("write template");
    let run = genops(&["build", spec, "-o", out.to_str().expect("utf-8"), "--templates", &dir]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("override template `incident-data-breach.md.j2`"), "{}", run.stderr);
    assert!(run.stderr.contains("system.ownr") && run.stderr.contains("undefined"), "{}", run.stderr);
    assert!(run.stderr.contains("incident-data-breach.md.j2:3"), "{}", run.stderr);
    assert_eq!(runbooks(&out), files, "a failed build leaves the output as it was");
    // `validate` is `build` without the write: it refuses the same template.
    let checked = genops(&["validate", spec, "--templates", &dir]);
    assert_eq!(checked.code, 3, "{}", checked.stderr);
    assert!(checked.stderr.contains("system.ownr"), "{}", checked.stderr);

    // A syntax error, and a directory that does not exist.
    std::fs::write(templates.path().join("README.md.j2"), "{% for x in %}\n").expect("write template");
    let run = genops(&["build", spec, "-o", out.to_str().expect("utf-8"), "--templates", &dir]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("README.md.j2") && run.stderr.contains("syntax error"), "{}", run.stderr);
    let run = genops(&["build", spec, "-o", out.to_str().expect("utf-8"), "--templates", "no/such/dir"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("cannot read the templates"), "{}", run.stderr);
}

/// The text a reader sees, and anything that is not plain text (links, HTML, emphasis …).
fn rendered(markdown: &str) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut structure = Vec::new();
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::Html(h) | Event::InlineHtml(h) => structure.push(format!("html {h}")),
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Image { .. }) => {
                structure.push(format!("{event:?}"))
            }
            Event::Start(Tag::Link { dest_url, .. }) if dest_url.contains(':') => {
                structure.push(format!("link {dest_url}"))
            }
            Event::End(TagEnd::Paragraph | TagEnd::TableCell | TagEnd::Item | TagEnd::Heading(_)) => text.push(' '),
            _ => {}
        }
    }
    (text.split_whitespace().collect::<Vec<_>>().join(" "), structure)
}

#[test]
fn hostile_spec_strings_stay_plain_text() {
    let (_dir, out) = build("tests/cases/valid/escaping/genops.yaml", &[]);
    let files = runbooks(&out);
    // The header (generated-file notice, markdownlint settings) is genops's own HTML comment;
    // after it, nothing may be HTML, a link to elsewhere, or emphasis.
    let body = |text: &str| text.split_once("\n\n").map(|(_, rest)| rest.to_string()).unwrap_or_default();
    for (file, text) in &files {
        let (_, structure) = rendered(&body(text));
        assert!(structure.is_empty(), "{file}: {structure:?}");
    }
    let (index, _) = rendered(&body(&files["README.md"]));
    for hostile in [
        "${var.secret} and %{ if true }x%{ endif }",
        "quote \" backslash \\ newline tab end",
        "Équipe données — 数据 🚀",
        "ops+${x}@example.com",
    ] {
        assert!(index.contains(hostile), "README.md does not show {hostile:?}:\n{index}");
    }
    snapshot!("runbooks__escaping__README.md", files["README.md"].clone());
}
