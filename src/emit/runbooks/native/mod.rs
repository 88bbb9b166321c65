//! The built-in runbooks written by Rust instead of the template interpreter.
//!
//! In: the runbook context ([`Vars`], the same structs the templates read) and the name of the
//! built-in template a file comes from. Out: the runbook file that template renders to,
//! written into a [`FileOut`] and reflowed a piece at a time as it is written ([`write`]), or
//! `Err` when this module has no writer for the template or meets a value the template would
//! refuse (printing an absent value, a backtick inside a code block): the file is then
//! abandoned and the caller renders the template, which gives the same text or the proper
//! error.
//!
//! The templates in `targets/runbooks/` stay the definition of every runbook and what a user
//! overrides; a writer here is used only when neither its template nor `layout.md.j2` nor
//! `macros.md.j2` is overridden. Each writer follows its template line by line (the layout and
//! the macros in [`layout`], the blocks of each runbook in [`slo`] and [`incidents`], the index
//! in [`index`]), and a test in `runbooks::tests` renders the examples and minimal, rich and
//! synthetic systems through both and requires the same bytes. At 10,000 routes the runbooks
//! take 0.30 s this way and 0.60 s from the templates; see BENCHMARKS.md.

mod incidents;
mod index;
mod layout;
mod slo;

use std::fmt::Display;
use std::sync::Arc;

use super::context::{
    BudgetCtx, BurnWindowCtx, ComplianceCtx, EvaluationCtx, Files, IssuerCtx, OncallCtx, RouteCtx, RunbookCtx,
    SystemCtx,
};
use super::markdown::{self, TrimmedReflow};
use super::object::List;
use crate::emit::sink::FileOut;
use crate::hash::HashMap;

/// The templates every written runbook but the index imports or extends.
const SHARED: &[&str] = &["layout.md.j2", "macros.md.j2"];

/// Whether `template` has a writer here: the index and every built-in runbook.
pub fn writes(template: &str) -> bool {
    template == super::INDEX || blocks(template).is_some()
}

/// Whether the file of `template` is written here, given the override templates' names.
pub fn applies(template: &str, overridden: impl Fn(&str) -> bool) -> bool {
    writes(template)
        && !overridden(template)
        && (template == super::INDEX || !SHARED.iter().any(|name| overridden(name)))
}

/// What the template of each runbook written here puts in the layout.
fn blocks(template: &str) -> Option<&'static layout::Blocks> {
    match template {
        "slo-availability.md.j2" => Some(&slo::AVAILABILITY),
        "slo-latency.md.j2" => Some(&slo::LATENCY),
        "slo-groundedness.md.j2" => Some(&slo::GROUNDEDNESS),
        "slo-cost-per-query.md.j2" => Some(&slo::COST_PER_QUERY),
        "slo-harmful-rate.md.j2" => Some(&slo::HARMFUL_RATE),
        "incident-model-timeout.md.j2" => Some(&incidents::MODEL_TIMEOUT),
        "incident-tool-failure.md.j2" => Some(&incidents::TOOL_FAILURE),
        "incident-quality-degradation.md.j2" => Some(&incidents::QUALITY_DEGRADATION),
        "incident-cost-overrun.md.j2" => Some(&incidents::COST_OVERRUN),
        "incident-prompt-injection.md.j2" => Some(&incidents::PROMPT_INJECTION),
        "incident-data-breach.md.j2" => Some(&incidents::DATA_BREACH),
        _ => None,
    }
}

/// The variables every template gets, as Rust values.
pub struct Vars {
    pub system: Arc<SystemCtx>,
    pub files: Arc<Files>,
    pub oncall: Option<Arc<OncallCtx>>,
    pub routes: List<Arc<RouteCtx>>,
    pub budgets: List<Arc<BudgetCtx>>,
    pub evaluations: List<Arc<EvaluationCtx>>,
    pub compliance: Arc<ComplianceCtx>,
    pub issuers: List<Arc<IssuerCtx>>,
    pub burn_windows: List<Arc<BurnWindowCtx>>,
    pub runbooks: List<Arc<RunbookCtx>>,
    /// `routes_by_name`: a route's place in `routes`.
    pub by_name: HashMap<String, usize>,
}

impl Vars {
    /// `routes_by_name[name]`.
    fn route(&self, name: &str) -> Result<&RouteCtx, Refused> {
        self.by_name.get(name).map(|&i| &*self.routes[i]).ok_or(Refused)
    }
}

/// The text `template` renders to for `runbook` (`None` for the index), before the reflow;
/// `None` when it has no writer here or the template would refuse a value. (The tests read
/// it; a build uses [`write`].)
#[cfg(test)]
pub fn render(template: &str, vars: &Vars, runbook: Option<&RunbookCtx>) -> Option<String> {
    // Room for the whole text up front: a runbook of a large system is megabytes, and a buffer
    // grown by doubling leaves twice its size in copies behind, all of it fresh memory. An
    // estimate on the large side costs address space only.
    let estimate = match runbook {
        // A section or a route's part of a runbook is one to two kilobytes.
        Some(rb) => (rb.sections.len() + rb.routes.len()) * 2048 + rb.alerts.len() * 256,
        // The index has a table row of about 150 bytes for each route, SLO and alarm.
        None => {
            (vars.routes.len() + vars.runbooks.iter().map(|rb| rb.sections.len() + rb.alerts.len()).sum::<usize>())
                * 256
        }
    };
    let mut md = Md { text: String::with_capacity((1 << 16) + estimate), file: None };
    write_md(&mut md, template, vars, runbook).ok().map(|()| md.text)
}

/// The runbook file of `template` for `runbook` (`None` for the index), written into `file`:
/// the header, then the text reflowed a piece at a time as it is written, so that it is handed
/// on in parts to a sink that takes them. `Err` when it has no writer here or the template
/// would refuse a value: `file` is then abandoned, and the caller renders the template.
pub fn write(template: &str, vars: &Vars, runbook: Option<&RunbookCtx>, mut file: FileOut) -> Result<(), Refused> {
    super::header_into(file.text());
    let piece = file.part_size();
    let mut md = Md { text: String::with_capacity(piece + piece / 4), file: Some((TrimmedReflow::default(), file)) };
    write_md(&mut md, template, vars, runbook)?;
    if let Some((mut reflow, mut file)) = md.file.take() {
        reflow.push(file.text(), &md.text);
        reflow.end(file.text());
        file.finish();
    }
    Ok(())
}

fn write_md(md: &mut Md, template: &str, vars: &Vars, runbook: Option<&RunbookCtx>) -> Written {
    match (runbook, blocks(template)) {
        (None, _) if template == super::INDEX => index::write(md, vars),
        (Some(rb), Some(blocks)) => layout::write(md, vars, rb, blocks),
        _ => Err(Refused),
    }
}

/// A value the template would refuse to print: the caller renders the template instead.
#[derive(Debug)]
pub struct Refused;

type Written = Result<(), Refused>;

/// The text being written, with the template's ways of printing a value; kept whole
/// ([`render`]), or reflowed into a file at [`Md::boundary`] ([`write`]).
pub struct Md<'s> {
    text: String,
    file: Option<(TrimmedReflow, FileOut<'s>)>,
}

impl Md<'_> {
    /// A point after a whole line of the runbook (template text that ends a line): the text so
    /// far is reflowed into the file once it is a piece's worth.
    fn boundary(&mut self) {
        if let Some((reflow, file)) = &mut self.file {
            if self.text.len() >= file.part_size() {
                reflow.push(file.text(), &self.text);
                self.text.clear();
                file.boundary();
            }
        }
    }

    /// Template text, as it is.
    fn s(&mut self, raw: &str) -> &mut Self {
        self.text.push_str(raw);
        if raw.ends_with('\n') {
            self.boundary();
        }
        self
    }

    /// `{{ text }}`: escaped for Markdown, as the templates' formatter does.
    fn t(&mut self, text: &str) -> &mut Self {
        if markdown::is_plain(text) {
            self.text.push_str(text);
        } else {
            self.text.push_str(&markdown::escape(text));
        }
        self
    }

    /// `{{ number }}`.
    fn n(&mut self, number: impl Display) -> &mut Self {
        self.t(&number.to_string())
    }

    /// `{{ text | code }}`.
    fn code(&mut self, text: &str) -> &mut Self {
        markdown::code_into(&mut self.text, text);
        self
    }

    /// `{{ text | code_cell }}`.
    fn cell(&mut self, text: &str) -> &mut Self {
        markdown::code_cell_into(&mut self.text, text);
        self
    }

    /// `{{ text | verbatim }}`: inside a code block, refused if it could end the block.
    fn verbatim(&mut self, text: &str) -> Result<&mut Self, Refused> {
        if text.contains(['`', '~', '\n', '\r']) {
            return Err(Refused);
        }
        self.text.push_str(text);
        Ok(self)
    }

    /// `{{ items | map("code") | join(joiner) }}`.
    fn codes<S: AsRef<str>>(&mut self, items: &[S], joiner: &str) -> &mut Self {
        self.joined(items, joiner, Md::code)
    }

    /// `{{ items | map("code_cell") | join(joiner) }}`.
    fn cells<S: AsRef<str>>(&mut self, items: &[S], joiner: &str) -> &mut Self {
        self.joined(items, joiner, Md::cell)
    }

    fn joined<S: AsRef<str>>(
        &mut self,
        items: &[S],
        joiner: &str,
        each: for<'m, 't> fn(&'m mut Self, &'t str) -> &'m mut Self,
    ) -> &mut Self {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.t(joiner);
            }
            each(self, item.as_ref());
        }
        self
    }

    /// `{{ items | join(joiner) }}` of plain strings: one string, escaped as a whole.
    fn plain_join<S: AsRef<str>>(&mut self, items: &[S], joiner: &str) -> &mut Self {
        let joined: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
        self.t(&joined.join(joiner))
    }
}

/// `{{ value }}` of an optional value: printing `none` is refused.
fn some<T>(value: &Option<T>) -> Result<&T, Refused> {
    value.as_ref().ok_or(Refused)
}

/// `{% if value %}` of an optional string: present and not empty.
fn truthy<S: AsRef<str>>(value: &Option<S>) -> Option<&str> {
    value.as_ref().map(AsRef::as_ref).filter(|s| !s.is_empty())
}
