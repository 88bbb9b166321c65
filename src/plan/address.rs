//! Addresses: the level a reviewer thinks in, per target, in one place.
//!
//! In: a generated file's path and text. Out: the file cut into [`Part`]s, each with an
//! address — Terraform resource addresses for `terraform/*.tf` (`oci_apigateway_deployment.chat`,
//! `data.oci_objectstorage_namespace.this`, `var.region`), LiteLLM model groups and top-level
//! keys for `gateway/litellm/*.yaml` (`model_group.chat`, `router_settings`), Prometheus rule
//! names for `alarms/prometheus/*.yaml` (`alert.AvailabilityBudgetBurnFast{slo_window=30d}`,
//! `record.genops:slo_error_budget{slo=chat-availability}`), OpenSLO documents for `alarms/openslo/*.yaml`
//! (`SLO.chat-availability`, `AlertPolicy.fast-burn-30d-window`), the sections of runbooks by
//! their link anchor (`#slo-chat-availability`, `#route-chat`) — plus the text around them (headers, comments), which
//! has the file's own path as address. A file of any other kind, or one that cannot be cut
//! (hand-edited beyond recognition, two parts with one address), is one part: its path.
//!
//! genops writes its files with a fixed layout, so small line-based cutters are enough: a
//! top-level HCL block starts at column 0 (`resource "T" "N" {`) and ends at the next `}` at
//! column 0; YAML files are read with genops's own loader and cut at the lines where their
//! entries start.

use std::borrow::Cow;

use crate::hash::HashMap;
use crate::source::{FileId, SourceMap};
use crate::yaml::{self, Limits, Node, NodeKind};

/// A piece of a file with its address. `address == None` is the text around the addressed
/// parts (file header, comments between blocks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part<'a> {
    pub address: Option<String>,
    pub text: Cow<'a, str>,
}

/// How files under a path prefix are cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cutter {
    Hcl,
    Litellm,
    PrometheusRules,
    OpenSlo,
    Markdown,
    WholeFile,
}

/// Per-target knowledge, keyed by path prefix and suffix: the target's name and its cutter.
/// The first match wins; anything else is target `other`, cut as a whole file.
const TARGETS: &[(&str, &str, &str, Cutter)] = &[
    ("terraform/", ".tf", "terraform", Cutter::Hcl),
    ("terraform/", "", "terraform", Cutter::WholeFile),
    ("gateway/litellm/", ".yaml", "litellm", Cutter::Litellm),
    ("gateway/litellm/", "", "litellm", Cutter::WholeFile),
    ("alarms/prometheus/", ".yaml", "prometheus", Cutter::PrometheusRules),
    ("alarms/prometheus/", ".yml", "prometheus", Cutter::PrometheusRules),
    ("alarms/prometheus/", "", "prometheus", Cutter::WholeFile),
    ("alarms/openslo/", ".yaml", "openslo", Cutter::OpenSlo),
    ("alarms/openslo/", "", "openslo", Cutter::WholeFile),
    ("alarms/", "", "alarms", Cutter::WholeFile),
    ("runbooks/", ".md", "runbooks", Cutter::Markdown),
    ("runbooks/", "", "runbooks", Cutter::WholeFile),
    ("evals/", "", "evals", Cutter::WholeFile),
];

fn lookup(path: &str) -> (&'static str, Cutter) {
    TARGETS
        .iter()
        .find(|(prefix, suffix, _, _)| path.starts_with(prefix) && path.ends_with(suffix))
        .map_or(("other", Cutter::WholeFile), |(_, _, target, cutter)| (*target, *cutter))
}

/// The target a generated file belongs to: `terraform`, `litellm`, `prometheus` … or `other`.
pub fn target(path: &str) -> &'static str {
    lookup(path).0
}

/// Cuts a file into addressed parts; `None` when it cannot be cut, so that the caller compares
/// it as a whole file. Parts with the same address (a LiteLLM model group's deployments) are
/// merged; otherwise the addresses are unique.
pub fn split<'a>(path: &str, text: &'a str) -> Option<Vec<Part<'a>>> {
    let parts = match lookup(path).1 {
        Cutter::Hcl => split_hcl(text)?,
        Cutter::Litellm => split_yaml(text, litellm_anchors)?,
        Cutter::PrometheusRules => split_yaml(text, prometheus_anchors)?,
        Cutter::OpenSlo => unique(split_documents(text)?)?,
        Cutter::Markdown => split_markdown(text),
        Cutter::WholeFile => return None,
    };
    let addressed = parts.iter().filter(|p| p.address.is_some()).count();
    (addressed > 0).then_some(parts)
}

/// Top-level blocks of generated HCL. Comment lines directly above a block belong to it.
fn split_hcl(text: &str) -> Option<Vec<Part<'static>>> {
    let mut parts = Vec::new();
    let mut around = String::new();
    let mut comments = String::new();
    let mut block: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some((address, body)) = &mut block {
            body.push_str(line);
            if line.starts_with('}') {
                parts.push(Part { address: Some(std::mem::take(address)), text: std::mem::take(body).into() });
                block = None;
            }
            continue;
        }
        let trimmed = line.trim_end();
        if trimmed.starts_with('#') || trimmed.starts_with("//") {
            comments.push_str(line);
        } else if trimmed.is_empty() {
            around.push_str(&std::mem::take(&mut comments));
            around.push_str(line);
        } else {
            let address = hcl_address(trimmed)?;
            let body = std::mem::take(&mut comments) + line;
            if trimmed.ends_with('}') {
                parts.push(Part { address: Some(address), text: body.into() });
            } else {
                block = Some((address, body));
            }
        }
    }
    if block.is_some() {
        return None;
    }
    around.push_str(&comments);
    parts.push(Part { address: None, text: around.into() });
    unique(parts)
}

/// The Terraform address of a top-level block's first line, e.g.
/// `resource "oci_x" "y" {` → `oci_x.y`; `None` if the line does not open a block.
fn hcl_address(line: &str) -> Option<String> {
    let kind_len = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
    let (kind, mut rest) = line.split_at(kind_len);
    if kind.is_empty() || !kind.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut labels = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('"') {
            let mut escaped = false;
            let end = after.char_indices().find(|&(_, c)| {
                let close = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                close
            })?;
            labels.push(&after[..end.0]);
            rest = &after[end.0 + 1..];
        } else if rest.starts_with('{') {
            break;
        } else {
            let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
            if len == 0 {
                return None;
            }
            labels.push(&rest[..len]);
            rest = &rest[len..];
        }
    }
    Some(match (kind, labels.as_slice()) {
        ("resource", [t, n]) => format!("{t}.{n}"),
        ("data", [t, n]) => format!("data.{t}.{n}"),
        ("variable", [n]) => format!("var.{n}"),
        ("output", [n]) => format!("output.{n}"),
        ("module", [n]) => format!("module.{n}"),
        ("provider", [n]) => format!("provider.{n}"),
        (kind, []) => kind.to_string(),
        (kind, labels) => format!("{kind}.{}", labels.join(".")),
    })
}

/// Where addressed parts of a YAML file start: (address, byte offset); `None` address for
/// structure that belongs to no part (a `groups:` header).
type Anchors = Vec<(Option<String>, usize)>;

/// Cuts a YAML file at the lines where `anchors` says its parts start.
fn split_yaml(text: &str, anchors: fn(&Node) -> Option<Anchors>) -> Option<Vec<Part<'static>>> {
    let mut sources = SourceMap::new();
    let id: FileId = sources.add("generated.yaml", text);
    let mut diags = crate::diag::Diagnostics::new();
    let root = yaml::load(sources.get(id), id, Limits::for_len(text.len()), &mut diags)?;
    if diags.has_errors() {
        return None;
    }
    let mut starts: Vec<(Option<String>, usize)> =
        anchors(&root)?.into_iter().map(|(address, offset)| (address, line_start(text, offset))).collect();
    // Parts are cut by lines: two anchors on one line (flow style) cannot be told apart.
    if starts.windows(2).any(|w| w[0].1 >= w[1].1) {
        return None;
    }
    // Comment lines right above an entry belong to it.
    for i in 0..starts.len() {
        let floor = if i == 0 { 0 } else { starts[i - 1].1 + 1 };
        while starts[i].1 > floor {
            let above = line_start(text, starts[i].1 - 1);
            if above < floor || !text[above..starts[i].1].trim_start().starts_with('#') {
                break;
            }
            starts[i].1 = above;
        }
    }
    let mut around = text[..starts.first().map_or(text.len(), |s| s.1)].to_string();
    starts.push((None, text.len()));
    let mut parts: Vec<Part<'static>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::default();
    for pair in starts.windows(2) {
        let chunk = &text[pair[0].1..pair[1].1];
        match &pair[0].0 {
            None => around.push_str(chunk),
            Some(address) => match index.get(address.as_str()) {
                Some(&i) => parts[i].text.to_mut().push_str(chunk),
                None => {
                    index.insert(address, parts.len());
                    parts.push(Part { address: Some(address.clone()), text: chunk.to_string().into() });
                }
            },
        }
    }
    parts.push(Part { address: None, text: around.into() });
    Some(parts)
}

/// A runbook cut at its `##` and `###` headings (outside code blocks): each section up to the
/// next such heading, addressed by its link anchor as GitHub makes it (`## SLO chat-availability`
/// → `#slo-chat-availability`; a repeated heading gets `-1`, `-2` …). A large system's runbook
/// is megabytes, and a change of one route touches a few of its sections.
fn split_markdown(text: &str) -> Vec<Part<'_>> {
    // Sections are runs of whole lines: each part borrows its run of the text.
    let mut heads: Vec<(String, usize)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::default();
    let mut fenced = false;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
        }
        if !fenced && (line.starts_with("## ") || line.starts_with("### ")) {
            let mut anchor = slug(line.trim_start_matches('#'));
            let count = seen.entry(anchor.clone()).or_insert(0);
            if *count > 0 {
                anchor = format!("{anchor}-{count}");
            }
            *count += 1;
            heads.push((format!("#{anchor}"), at));
        }
        at += line.len();
    }
    let first = heads.first().map_or(text.len(), |(_, start)| *start);
    let ends: Vec<usize> = heads.iter().skip(1).map(|(_, start)| *start).chain([text.len()]).collect();
    let mut parts: Vec<Part> = heads
        .into_iter()
        .zip(ends)
        .map(|((address, start), end)| Part { address: Some(address), text: Cow::Borrowed(&text[start..end]) })
        .collect();
    parts.push(Part { address: None, text: Cow::Borrowed(&text[..first]) });
    parts
}

/// A heading's link anchor as GitHub makes it: lower case, spaces to hyphens, punctuation other
/// than `-` and `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// A multi-document YAML file of OpenSLO objects as genops writes it: one part per document,
/// `SLO.chat-availability`, `AlertPolicy.fast-burn-30d-window`; the `---` line before a document
/// belongs to it. A document without a top-level `kind:` and a `  name:` under `metadata:`
/// makes the file uncuttable.
fn split_documents(text: &str) -> Option<Vec<Part<'static>>> {
    let mut parts = Vec::new();
    let mut around = String::new();
    let mut current = String::new();
    let address = |doc: &str| -> Option<String> {
        let unquote = |v: &str| v.trim().trim_matches('"').to_string();
        let kind = doc.lines().find_map(|l| l.strip_prefix("kind:")).map(unquote)?;
        let mut lines = doc.lines().skip_while(|l| *l != "metadata:");
        lines.next()?;
        let name = lines.take_while(|l| l.starts_with("  ")).find_map(|l| l.strip_prefix("  name:")).map(unquote)?;
        Some(format!("{kind}.{name}"))
    };
    let flush = |doc: &mut String, parts: &mut Vec<Part<'static>>, around: &mut String| -> Option<()> {
        if doc.lines().all(|l| l.trim().is_empty() || l.starts_with('#') || l == "---") {
            around.push_str(doc);
        } else {
            parts.push(Part { address: Some(address(doc)?), text: doc.clone().into() });
        }
        doc.clear();
        Some(())
    };
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            flush(&mut current, &mut parts, &mut around)?;
        }
        current.push_str(line);
    }
    flush(&mut current, &mut parts, &mut around)?;
    parts.push(Part { address: None, text: around.into() });
    Some(parts)
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].rfind('\n').map_or(0, |i| i + 1)
}

fn scalar<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key)?.as_scalar().map(|s| s.text.as_str())
}

/// LiteLLM: one part per model group (every `model_list` entry with that `model_name`), one per
/// other top-level key.
fn litellm_anchors(root: &Node) -> Option<Anchors> {
    let mut anchors = Vec::new();
    for entry in root.as_map()? {
        match (&entry.value.kind, entry.key.value.as_str()) {
            (NodeKind::Seq(items), "model_list") => {
                anchors.push((None, entry.key.span.start as usize));
                for item in items {
                    let group = scalar(item, "model_name")?;
                    anchors.push((Some(format!("model_group.{group}")), item.span.start as usize));
                }
            }
            (_, key) => anchors.push((Some(key.to_string()), entry.key.span.start as usize)),
        }
    }
    Some(anchors)
}

/// The labels that identify a rule among those of its name: `record.genops:slo_error_budget{slo=chat-availability}`.
const KEY_LABELS: &[&str] = &["slo", "incident", "evaluation", "window", "slo_window", "le"];

/// Prometheus rule files: one part per rule, `alert.NAME` or `record.NAME`; rules that share
/// a name (recording rules per window, alerts per severity) are told apart by their labels.
fn prometheus_anchors(root: &Node) -> Option<Anchors> {
    let mut anchors = Vec::new();
    let mut rules = Vec::new();
    for entry in root.as_map()? {
        let NodeKind::Seq(groups) = (entry.key.value == "groups").then_some(&entry.value.kind)? else {
            return None;
        };
        anchors.push((None, entry.key.span.start as usize));
        for group in groups {
            anchors.push((None, group.span.start as usize));
            let NodeKind::Seq(items) = &group.get("rules")?.kind else {
                return None;
            };
            for rule in items {
                let (kind, name) = match (scalar(rule, "alert"), scalar(rule, "record")) {
                    (Some(name), _) => ("alert", name),
                    (None, Some(name)) => ("record", name),
                    (None, None) => return None,
                };
                let labels = |only: Option<&[&str]>| {
                    rule.get("labels").and_then(Node::as_map).map(|entries| {
                        entries
                            .iter()
                            .filter(|e| only.is_none_or(|keys| keys.contains(&e.key.value.as_str())))
                            .map(|e| {
                                format!("{}={}", e.key.value, e.value.as_scalar().map_or("…", |s| s.text.as_str()))
                            })
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                };
                rules.push((
                    format!("{kind}.{name}"),
                    labels(Some(KEY_LABELS)),
                    labels(None),
                    rule.span.start as usize,
                ));
            }
        }
    }
    let mut uses: HashMap<&str, usize> = HashMap::default();
    let mut short_uses: HashMap<(&str, Option<&str>), usize> = HashMap::default();
    for (address, short, _, _) in &rules {
        *uses.entry(address.as_str()).or_default() += 1;
        *short_uses.entry((address.as_str(), short.as_deref())).or_default() += 1;
    }
    for (address, short, full, offset) in &rules {
        let shared = uses[address.as_str()] > 1;
        // Rules that share a name are told apart by the labels that identify them (the SLO, the
        // windows) when those suffice, else by all their labels.
        let labels = match short.as_deref() {
            Some(s) if !s.is_empty() && short_uses[&(address.as_str(), Some(s))] == 1 => Some(s),
            _ => full.as_deref(),
        };
        let address = match labels {
            Some(labels) if shared => format!("{address}{{{labels}}}"),
            _ => address.clone(),
        };
        anchors.push((Some(address), *offset));
    }
    anchors.sort_by_key(|(_, offset)| *offset);
    let mut seen = std::collections::BTreeSet::new();
    anchors.iter().filter_map(|(a, _)| a.as_ref()).all(|a| seen.insert(a)).then_some(anchors)
}

/// Refuses a cut with two parts of one address (a hand-edited file): it is compared whole.
fn unique(parts: Vec<Part<'_>>) -> Option<Vec<Part<'_>>> {
    let mut seen = std::collections::BTreeSet::new();
    parts.iter().filter_map(|p| p.address.as_ref()).all(|a| seen.insert(a)).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses<'p>(parts: &'p [Part<'_>]) -> Vec<&'p str> {
        parts.iter().filter_map(|p| p.address.as_deref()).collect()
    }

    #[test]
    fn terraform_blocks_with_their_comments() {
        let text = "# generated by genops — do not edit\n# system: s\n\n# routes.chat\nresource \"oci_apigateway_deployment\" \"chat\" {\n  a = 1\n\n  b {\n    c = 2\n  }\n}\n\ndata \"oci_x\" \"this\" {\n}\n\nvariable \"region\" {\n}\n\noutput \"url\" {\n  value = 1\n}\n\nterraform {\n}\n\nprovider \"oci\" {\n}\n";
        let parts = split("terraform/gateway.tf", text).unwrap();
        assert_eq!(
            addresses(&parts),
            [
                "oci_apigateway_deployment.chat",
                "data.oci_x.this",
                "var.region",
                "output.url",
                "terraform",
                "provider.oci"
            ]
        );
        assert!(parts[0].text.starts_with("# routes.chat\nresource"));
        assert!(parts[0].text.ends_with("  }\n}\n"));
        assert_eq!(parts.last().unwrap().text, "# generated by genops — do not edit\n# system: s\n\n\n\n\n\n\n");
        let joined: usize = parts.iter().map(|p| p.text.len()).sum();
        assert_eq!(joined, text.len(), "every byte is in one part");
    }

    #[test]
    fn openslo_documents_by_kind_and_name() {
        let text = "# generated by genops — do not edit\napiVersion: \"openslo/v1\"\nkind: \"AlertPolicy\"\nmetadata:\n  name: \"fast-burn-30d-window\"\nspec:\n  conditions:\n    - metadata:\n        name: \"inner\"\n---\napiVersion: \"openslo/v1\"\nkind: \"SLO\"\nmetadata:\n  name: \"chat-availability\"\n  displayName: \"x\"\nspec: {}\n";
        let parts = split("alarms/openslo/s.yaml", text).unwrap();
        assert_eq!(addresses(&parts), ["AlertPolicy.fast-burn-30d-window", "SLO.chat-availability"]);
        assert!(parts[1].text.starts_with("---\napiVersion"));
        assert_eq!(parts.iter().map(|p| p.text.len()).sum::<usize>(), text.len(), "every byte is in one part");
        assert!(split("alarms/openslo/s.yaml", "kind: SLO\n").is_none(), "no metadata name");
    }

    #[test]
    fn unrecognisable_hcl_is_a_whole_file() {
        assert!(split("terraform/x.tf", "resource \"a\" \"b\" {\n  x = 1\n").is_none(), "unclosed");
        assert!(split("terraform/x.tf", "x = 1\n").is_none(), "top-level attribute");
        assert!(split("terraform/x.tf", "output \"a\" {\n}\noutput \"a\" {\n}\n").is_none(), "duplicate");
        assert!(split("runbooks/chat.md", "# Chat\n").is_none(), "no section");
        assert_eq!(target("runbooks/chat.md"), "runbooks");
        assert_eq!(target("terraform/gateway.tf"), "terraform");
        assert_eq!(target("README.txt"), "other");
    }

    #[test]
    fn runbook_sections_by_anchor() {
        let text = "<!-- generated by genops -->\n# Latency\n\n## SLO chat-latency\n\nRoute `chat`.\n\n```sh\n## not a heading\n```\n\n### Route `chat` (3.5s)\n\ntext\n\n## Meaning\n\n## Meaning\n";
        let parts = split("runbooks/slo-latency.md", text).unwrap();
        assert_eq!(addresses(&parts), ["#slo-chat-latency", "#route-chat-35s", "#meaning", "#meaning-1"]);
        assert!(parts[0].text.contains("## not a heading\n```\n"), "a code block stays in its section");
        assert_eq!(parts.last().unwrap().text, "<!-- generated by genops -->\n# Latency\n\n");
        assert_eq!(parts.iter().map(|p| p.text.len()).sum::<usize>(), text.len(), "every byte is in one part");
        assert_eq!(slug(" SLO chat-availability "), "slo-chat-availability");
    }

    #[test]
    fn litellm_model_groups_and_keys() {
        let text = "# generated by genops\nmodel_list:\n  - model_name: chat\n    litellm_params:\n      model: a\n  # routes.digest\n  - model_name: digest\n    litellm_params:\n      model: b\n  - model_name: chat\n    litellm_params:\n      model: c\nrouter_settings:\n  num_retries: 2\n";
        let parts = split("gateway/litellm/config.yaml", text).unwrap();
        assert_eq!(addresses(&parts), ["model_group.chat", "model_group.digest", "router_settings"]);
        assert!(parts[0].text.contains("model: a") && parts[0].text.contains("model: c"));
        assert!(parts[1].text.starts_with("  # routes.digest\n  - model_name: digest\n"), "{:?}", parts[1].text);
        assert_eq!(parts.last().unwrap().text, "# generated by genops\nmodel_list:\n");
    }

    #[test]
    fn prometheus_rule_names() {
        let text = "groups:\n  - name: chat\n    rules:\n      - record: slo:error:ratio\n        expr: a\n        labels:\n          window: 5m\n      - record: slo:error:ratio\n        expr: b\n        labels:\n          window: 1h\n      - alert: ChatBurnRate\n        expr: c\n";
        let parts = split("alarms/prometheus/chat.rules.yaml", text).unwrap();
        assert_eq!(
            addresses(&parts),
            ["record.slo:error:ratio{window=5m}", "record.slo:error:ratio{window=1h}", "alert.ChatBurnRate"]
        );
        assert!(split("alarms/prometheus/chat.test.yaml", "rule_files: [a]\ntests: []\n").is_none());
    }
}
