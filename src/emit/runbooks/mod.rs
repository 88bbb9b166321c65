//! The runbooks target: `runbooks/README.md` (the on-call index: owner, rotations, escalation
//! ladder, channels, and every SLO and incident type with its alarms and runbook), one runbook
//! per SLI kind that has alarms (`runbooks/slo-<sli>.md`: the procedure once, then a section
//! `## SLO <name>` per SLO with its thresholds, alarms and exact first action) and one per
//! standard incident type (`runbooks/incident-<kind>.md`) — exactly the files and anchors the
//! alarm catalogue links from every Prometheus rule and OCI alarm, so a `runbook_url` always
//! resolves. One file per kind rather than per SLO keeps the file count fixed as a system grows
//! (10,000 routes would otherwise mean 22,000 files).
//!
//! In: the checked [`System`] and the texts of any override templates (the CLI reads them;
//! this stays pure). Out: Markdown artifacts as the minijinja templates of `targets/runbooks/`
//! define them (embedded with `include_str!`; an override of the same file name wins),
//! rendered under [`UndefinedBehavior::Strict`], so a misspelt variable fails the build instead
//! of printing nothing. The templates are the only definition of what a runbook says; the
//! index and each runbook are rendered in parallel. The context is plain pre-formatted data
//! ([`context`]), which templates read in place as minijinja objects ([`object`]). Every value
//! a template prints is escaped for Markdown by the formatter unless a filter made it Markdown
//! on purpose (`code`, `code_cell`); printing `none` or a list is an error too. The rendered
//! text then goes through [`markdown::reflow`] (prose wrapped at 80 columns) and gets the
//! generated-file header and a markdownlint directive that lets tables run long, so every
//! runbook passes markdownlint's defaults wherever it is linted. A runbook is handed on whole:
//! rendering it into its file in parts, reflowed as it went, cost more time than it saved
//! memory.

pub mod context;
pub mod markdown;
pub mod object;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State, UndefinedBehavior};

use super::Artifact;
use super::derived::Derived;
use super::sink::Sink;
use crate::conventions::HEADER;
use crate::hash::HashMap;
use crate::model::System;
use context::Context;
use object::Field;

/// The embedded templates, by file name (`targets/runbooks/`).
pub const TEMPLATES: &[(&str, &str)] = &[
    ("README.md.j2", include_str!("../../../targets/runbooks/README.md.j2")),
    ("layout.md.j2", include_str!("../../../targets/runbooks/layout.md.j2")),
    ("macros.md.j2", include_str!("../../../targets/runbooks/macros.md.j2")),
    ("slo-availability.md.j2", include_str!("../../../targets/runbooks/slo-availability.md.j2")),
    ("slo-latency.md.j2", include_str!("../../../targets/runbooks/slo-latency.md.j2")),
    ("slo-groundedness.md.j2", include_str!("../../../targets/runbooks/slo-groundedness.md.j2")),
    ("slo-cost-per-query.md.j2", include_str!("../../../targets/runbooks/slo-cost-per-query.md.j2")),
    ("slo-harmful-rate.md.j2", include_str!("../../../targets/runbooks/slo-harmful-rate.md.j2")),
    ("incident-model-timeout.md.j2", include_str!("../../../targets/runbooks/incident-model-timeout.md.j2")),
    ("incident-tool-failure.md.j2", include_str!("../../../targets/runbooks/incident-tool-failure.md.j2")),
    (
        "incident-quality-degradation.md.j2",
        include_str!("../../../targets/runbooks/incident-quality-degradation.md.j2"),
    ),
    ("incident-cost-overrun.md.j2", include_str!("../../../targets/runbooks/incident-cost-overrun.md.j2")),
    ("incident-prompt-injection.md.j2", include_str!("../../../targets/runbooks/incident-prompt-injection.md.j2")),
    ("incident-data-breach.md.j2", include_str!("../../../targets/runbooks/incident-data-breach.md.j2")),
];

/// The template of the index.
pub const INDEX: &str = "README.md.j2";
/// Where the index goes.
const INDEX_PATH: &str = "runbooks/README.md";

/// The markdownlint settings every runbook carries: tables hold alarm names and paths, and code
/// blocks hold queries and commands to copy whole, so neither can wrap and MD013 (line length)
/// does not apply to them; prose is wrapped at 80.
const LINT: &str = r#"<!-- markdownlint-configure-file {
  "MD013": { "tables": false, "code_blocks": false }
} -->"#;

/// A template that does not parse or render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// The template file, e.g. `slo-latency.md.j2`.
    pub template: String,
    /// Whether the template came from the override directory.
    pub overridden: bool,
    /// minijinja's message, with the line and the source around it.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = if self.overridden { "override template" } else { "built-in template" };
        write!(f, "{origin} `{}`: {}", self.template, self.message)
    }
}

impl std::error::Error for TemplateError {}

/// The built-in text of a template.
pub fn embedded(name: &str) -> Option<&'static str> {
    TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Markdown for a value a template prints: escaped text, or the value itself when a filter
/// marked it safe. `none`, lists and maps are template mistakes and fail the build.
fn format_markdown(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    if value.is_safe() {
        return out.write_str(value.as_str().unwrap_or_default()).map_err(Error::from);
    }
    use minijinja::value::ValueKind;
    let text = match value.kind() {
        ValueKind::None => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "printed `none`: this value is optional, guard it with `{% if … %}`",
            ));
        }
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable | ValueKind::Plain => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("printed a {}: loop over it, or use `join`", value.kind()),
            ));
        }
        _ => match value.as_str() {
            Some(text) => std::borrow::Cow::Borrowed(text),
            None => std::borrow::Cow::Owned(value.to_string()),
        },
    };
    if markdown::is_plain(&text) {
        return out.write_str(&text).map_err(Error::from);
    }
    out.write_str(&markdown::escape(&text)).map_err(Error::from)
}

fn environment(overrides: &BTreeMap<String, String>) -> Environment<'static> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("default delimiters are valid");
    env.set_syntax(syntax);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    env.set_auto_escape_callback(|_| AutoEscape::Custom("markdown".into()));
    env.set_formatter(format_markdown);
    // The filters borrow the string they are given (`Cow`: a string value as it is, anything
    // else as it prints, as `String` would), since a runbook calls them for nearly every value.
    env.add_filter("code", |text: Cow<'_, str>| Value::from_safe_string(markdown::code(&text)));
    env.add_filter("code_cell", |text: Cow<'_, str>| Value::from_safe_string(markdown::code_cell(&text)));
    // The built-in `indent` returns plain text, which would then be escaped a second time.
    env.add_filter("indent", |value: Value, width: usize| {
        let text = if value.is_safe() {
            value.as_str().unwrap_or_default().to_string()
        } else {
            markdown::escape(&value.to_string())
        };
        let pad = " ".repeat(width);
        let indented: Vec<String> = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| if i == 0 || l.trim().is_empty() { l.to_string() } else { format!("{pad}{l}") })
            .collect();
        Value::from_safe_string(indented.join("\n"))
    });
    // A value inside a fenced code block, where escapes would be literal: printed as it is,
    // and refused if it could end the block (a backtick, a tilde, a line break).
    env.add_filter("verbatim", |value: Value| {
        let text = value.to_string();
        if text.contains(['`', '~', '\n', '\r']) {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("`verbatim` cannot print {text:?} inside a code block: use `code` outside it"),
            ));
        }
        Ok(Value::from_safe_string(text))
    });
    // Text that ends with exactly one full stop, whether or not the spec wrote one.
    env.add_filter("sentence", |text: String| format!("{}.", text.trim_end().trim_end_matches('.')));
    env.add_filter("plural", |n: i64, word: String| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") });
    let overrides = overrides.clone();
    env.set_loader(move |name| Ok(overrides.get(name).cloned().or_else(|| embedded(name).map(String::from))));
    env
}

fn render(
    env: &Environment<'static>,
    overrides: &BTreeMap<String, String>,
    template: &str,
    ctx: Value,
) -> Result<String, TemplateError> {
    let error = |e: Error| {
        // The failing template may be one the first includes or extends.
        let name = e.name().unwrap_or(template).to_string();
        TemplateError { overridden: overrides.contains_key(&name), template: name, message: format!("{e:#}") }
    };
    let text = env.get_template(template).map_err(error)?.render(ctx).map_err(error)?;
    Ok(finish(&text))
}

/// A runbook's file from its rendered text: the generated-file header and the lint settings,
/// then the reflowed text, in one buffer (a runbook of a large system is tens of megabytes, so
/// no copy more than needed).
fn finish(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16 + LINT.len() + 64);
    out.push_str("<!-- ");
    out.push_str(HEADER);
    out.push_str(" -->\n");
    out.push_str(LINT);
    out.push_str("\n\n");
    markdown::reflow_into(&mut out, text.trim());
    out.push('\n');
    out
}

/// The variables of the index, and the list of runbooks whose items are each runbook's own
/// variable. The context's structs are template objects read in place ([`object`]): nothing is
/// copied here. The routes are also given by name, for templates that go through a runbook's
/// routes.
fn template_values(context: Context) -> (Value, Value) {
    let by_name = context::RoutesByName::new(&context.routes);
    let runbooks = context.runbooks.value();
    let values = minijinja::context! {
        routes_by_name => Value::from_object(by_name),
        ..Value::from_object(context)
    };
    (values, runbooks)
}

/// Every runbook of the system and the index, rendered with the embedded templates and any
/// `overrides` (template file name → text); the index first, then the runbooks in the order
/// of the context's `runbooks`.
pub fn emit(system: &System, overrides: &BTreeMap<String, String>) -> Result<Vec<Artifact>, TemplateError> {
    let derived = Derived::new(system);
    let (files, order) = crate::parallel::gather(|sink| emit_in_order(&derived, overrides, &|file| sink(file)));
    let order: HashMap<String, usize> = order?.into_iter().enumerate().map(|(i, path)| (path, i)).collect();
    let mut files: Vec<(usize, Artifact)> = files.into_iter().map(|f| (order[&f.path], f)).collect();
    files.sort_by_key(|(i, _)| *i);
    Ok(files.into_iter().map(|(_, file)| file).collect())
}

/// [`emit`], handing each file to `sink` on the thread that rendered it, as soon as it is
/// rendered. A template that fails stops nothing else: the sink may have had other files by
/// the time the error returns.
pub fn emit_each(
    derived: &Derived,
    overrides: &BTreeMap<String, String>,
    sink: &dyn Sink,
) -> Result<(), TemplateError> {
    emit_in_order(derived, overrides, sink).map(|_| ())
}

/// [`emit_each`]; returns the paths of the files in [`emit`]'s order.
fn emit_in_order(
    derived: &Derived,
    overrides: &BTreeMap<String, String>,
    sink: &dyn Sink,
) -> Result<Vec<String>, TemplateError> {
    let env = environment(overrides);
    let context = context::build(derived);
    let mut files: Vec<(String, String)> = vec![(INDEX.to_string(), INDEX_PATH.to_string())];
    files.extend(context.runbooks.iter().map(|r| (r.template.clone(), r.path.clone())));
    let (values, runbooks) = template_values(context);
    // The index and each runbook are rendered on their own, in parallel.
    let jobs: Vec<usize> = (0..files.len()).collect();
    let rendered = crate::parallel::map(jobs, |job| {
        let (template, path) = &files[job];
        let ctx = match job.checked_sub(1) {
            None => values.clone(),
            Some(i) => {
                let runbook = runbooks.get_item_by_index(i).unwrap_or_default();
                minijinja::context! {
                    incident => runbook.get_attr("incident").unwrap_or_default(),
                    runbook => runbook,
                    ..values.clone()
                }
            }
        };
        let contents = render(&env, overrides, template, ctx)?;
        sink.file(Artifact { path: path.clone(), contents });
        Ok(())
    });
    rendered.into_iter().collect::<Result<(), _>>()?;
    Ok(files.into_iter().map(|(_, path)| path).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::load::MemoryFiles;

    fn system() -> System {
        let spec = "version: genops/v1
system: { name: s, owner: o, region: us-chicago-1, description: 'a *starred* <b>system</b>' }
models:
  m: { provider: oci-genai, id: cohere.command-r-08-2024, price: { input_per_1k: 0.001, output_per_1k: 0.002 } }
routes:
  chat: { path: /c, data_class: internal, model: m, traffic: { per_day: 1000, input_tokens: 100, output_tokens: 10 } }
slos:
  chat-availability: { route: chat, sli: availability, objective: 99% }
oncall:
  rotations:
    primary: { members: [a@example.com], coverage: 24x7 }
  escalation: [ { rotation: primary } ]
  channels:
    alerts: { email: alerts@example.com }
";
        compile_with(spec, MemoryFiles::default())
    }

    fn compile_with(spec: &str, files: MemoryFiles) -> System {
        let c = compile("genops.yaml", spec.as_bytes().to_vec(), &files);
        assert!(!c.has_errors(), "{:#?}", c.diagnostics);
        c.system.expect("system")
    }

    /// The rich test system (every kind of route, rollout and budget) and a 40-route synthetic
    /// one.
    fn rich_and_synthetic() -> (System, System) {
        let rich = compile_with(
            include_str!("testdata/rich.yaml"),
            MemoryFiles::default().with("prompts/p.md", "p").with("prompts/q.md", "q"),
        );
        (rich, crate::testing::synthetic(40).system.expect("a valid synthetic system"))
    }

    /// A system with nothing but its name: no route, no SLO, no on-call.
    fn minimal() -> System {
        compile_with(
            "version: genops/v1\nsystem: { name: m, owner: o, region: us-chicago-1 }\n",
            MemoryFiles::default(),
        )
    }

    /// An evaluated route with a blue-green rollout, PCI DSS, and a support channel reached by
    /// HTTPS only: branches of `m.stop_rollout`, the data-breach runbook and `m.communication`
    /// the other systems leave out.
    fn blue_green() -> System {
        compile_with(
            "version: genops/v1
system: { name: bg, owner: o, region: us-chicago-1 }
models:
  m: { provider: oci-genai, id: cohere.command-r-08-2024, price: { input_per_1k: 0.001, output_per_1k: 0.002 } }
prompts:
  p: { version: 1.0.0, file: prompts/p.md }
  q: { version: 1.1.0, file: prompts/q.md }
routes:
  a: { path: /a, data_class: internal, model: m, prompt: p, rollout: { strategy: blue-green, candidate: { prompt: q }, active: candidate } }
evaluations:
  e: { dataset: evals/e.jsonl, min_cases: 1, routes: [a], thresholds: { relevance: 0.5 }, gate: block }
compliance: { frameworks: [pci-dss] }
oncall:
  rotations:
    only: { members: [x@example.com], coverage: 24x7 }
  escalation: [ { rotation: only } ]
  channels:
    alerts: { email: alerts@example.com }
    support: { https: \"https://support.example.com/hook\" }
",
            MemoryFiles::default().with("prompts/p.md", "p").with("prompts/q.md", "q").with(
                "evals/e.jsonl",
                "{\"input\": \"q\", \"expected\": \"a\"}\n",
            ),
        )
    }

    /// The built-in runbooks take every branch without failing (a misspelt variable or an
    /// absent value printed fails the render): no on-call, no SLO, no budget; external models,
    /// fallback routes, tiers, blue-green and shadow prompt rollouts, canaries, budgets with a
    /// downgrade and a rate limit, incident types that do not page; the examples; and synthetic
    /// systems of several sizes.
    #[test]
    fn built_in_runbooks_render_every_kind_of_system() {
        let (rich, synthetic) = rich_and_synthetic();
        let mut systems = vec![minimal(), system(), rich, synthetic, blue_green()];
        for name in crate::testing::EXAMPLES {
            let c = crate::testing::example(name);
            assert!(!c.has_errors(), "{name}: {:#?}", c.diagnostics);
            systems.push(c.system.expect("system"));
        }
        for n in [1, 7, 120] {
            systems.push(crate::testing::synthetic(n).system.expect("a valid synthetic system"));
        }
        for system in &systems {
            let files = emit(system, &BTreeMap::new()).unwrap_or_else(|e| panic!("{}: {e}", system.name));
            assert_eq!(files.iter().filter(|a| a.path.starts_with("runbooks/incident-")).count(), 6);
            for a in &files {
                // Prose stays within the width, outside tables and code blocks.
                let mut code = false;
                for line in a.contents.lines() {
                    code ^= line.trim_start().starts_with("```");
                    if !code && !line.trim_start().starts_with('|') && line.contains(' ') {
                        assert!(line.chars().count() <= markdown::WIDTH + 20, "{}: {line}", a.path);
                    }
                }
            }
        }
    }

    /// Every part of the context reaches the templates, and as the same values its serialised
    /// form gave them: the same mappings with their keys in order, the same sequences, strings,
    /// numbers, booleans and `none`s, all the way down.
    #[test]
    fn the_templates_see_the_context_as_its_serialised_form() {
        fn same(path: &str, object: &Value, serialised: &Value) {
            assert_eq!(object.kind(), serialised.kind(), "{path}");
            match serialised.kind() {
                minijinja::value::ValueKind::Map | minijinja::value::ValueKind::Seq => {
                    let keys: Vec<Value> = object.try_iter().expect("iterable").collect();
                    let expected: Vec<Value> = serialised.try_iter().expect("iterable").collect();
                    assert_eq!(keys, expected, "{path}");
                    for (i, key) in expected.iter().enumerate() {
                        let (a, b) = if serialised.kind() == minijinja::value::ValueKind::Map {
                            (object.get_item(key), serialised.get_item(key))
                        } else {
                            (object.get_item_by_index(i), serialised.get_item_by_index(i))
                        };
                        same(&format!("{path}.{key}"), &a.expect("readable"), &b.expect("readable"));
                    }
                }
                _ => assert_eq!(object, serialised, "{path}"),
            }
        }
        let (rich, synthetic) = rich_and_synthetic();
        for system in [&system(), &rich, &synthetic] {
            let context = context::build(&Derived::new(system));
            let serialised = Value::from(minijinja::value::Serde(&context));
            let (values, runbooks) = template_values(context);
            let mut parts = 0;
            for key in serialised.try_iter().expect("a struct") {
                let part = values.get_item(&key).expect("readable");
                assert!(!part.is_undefined(), "`{key}` is not given to the templates");
                same(key.as_str().unwrap_or_default(), &part, &serialised.get_item(&key).expect("readable"));
                parts += 1;
            }
            assert_eq!(parts, 10);
            same("runbooks", &runbooks, &serialised.get_attr("runbooks").expect("readable"));
            let routes = serialised.get_attr("routes").expect("routes");
            let by_name = values.get_attr("routes_by_name").expect("routes by name");
            for route in routes.try_iter().expect("a list") {
                let name = route.get_attr("name").expect("a name");
                same(&format!("routes_by_name[{name}]"), &by_name.get_item(&name).expect("readable"), &route);
            }
            // Its names iterate in order, as those of a map by name do.
            let names: Vec<Value> = by_name.try_iter().expect("a mapping").collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted);
            assert_eq!(names.len(), routes.len().expect("a list"));
            assert!(by_name.get_item(&Value::from("no-such-route")).expect("readable").is_undefined());
        }
    }

    #[test]
    fn every_embedded_template_is_listed_once() {
        let mut names: Vec<&str> = TEMPLATES.iter().map(|(n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), TEMPLATES.len());
    }

    #[test]
    fn renders_the_index_and_one_runbook_per_sli_kind_and_incident_type() {
        let files = emit(&system(), &BTreeMap::new()).expect("renders");
        let paths: Vec<&str> = files.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(paths[0], "runbooks/README.md");
        assert!(paths.contains(&"runbooks/slo-availability.md"));
        assert!(files[1].contents.contains("\n## SLO chat-availability\n"), "{}", files[1].contents);
        assert_eq!(paths.iter().filter(|p| p.starts_with("runbooks/incident-")).count(), 6);
        for a in &files {
            assert!(a.contents.starts_with(&format!("<!-- {HEADER} -->\n")), "{}", a.path);
        }
        assert!(files[0].contents.contains(r"a \*starred\* \<b\>system\</b\>"), "{}", files[0].contents);
    }

    /// The code filters print any value as it prints, not only strings: an override may put a
    /// number or a boolean in a code span.
    #[test]
    fn code_filters_take_any_value() {
        let env = environment(&BTreeMap::new());
        let text = "{{ 3 | code }} {{ true | code_cell }} {{ \"a|b\" | code_cell }} {{ routes | length | code }}";
        let out = env.render_str(text, minijinja::context! { routes => vec![1, 2] }).expect("renders");
        assert_eq!(out, "`3` `True` `a\\|b` `2`");
    }

    #[test]
    fn an_override_wins_and_a_misspelt_variable_fails() {
        let mut overrides = BTreeMap::new();
        overrides.insert("README.md.j2".to_string(), "# Index of {{ system.name }}\n".to_string());
        let files = emit(&system(), &overrides).expect("renders");
        assert!(files[0].contents.ends_with("\n\n# Index of s\n"), "{}", files[0].contents);

        overrides.insert("README.md.j2".to_string(), "# {{ system.nmae }}\n".to_string());
        let err = emit(&system(), &overrides).expect_err("strict undefined");
        assert_eq!(err.template, "README.md.j2");
        assert!(err.overridden);
        assert!(err.to_string().contains("undefined"), "{err}");

        overrides.insert("README.md.j2".to_string(), "# {{ system.description }}\n{{ routes }}\n".to_string());
        let err = emit(&system(), &overrides).expect_err("a list is not printable");
        assert!(err.message.contains("printed a"), "{err}");

        overrides.insert("README.md.j2".to_string(), "{% if %}\n".to_string());
        let err = emit(&system(), &overrides).expect_err("syntax error");
        assert!(err.message.contains("syntax error"), "{err}");
    }
}
