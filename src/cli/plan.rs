//! `genops plan` and `genops build`: compile, emit, compare with the output directory, then
//! print the plan or carry it out.
//!
//! Both run the same steps up to the plan, so a plan shows exactly what a build would do:
//! compile (spec errors: exit 1, OUT untouched) → emit → read OUT (`outdir::read`) →
//! `plan::compute`. `plan` renders it (text, JSON or Markdown) and exits 0, or 2 with
//! `--detailed-exitcode` when there are changes. `build` refuses (exit 1) when it would
//! overwrite or delete a file genops did not leave as it is, unless `--force`, then writes
//! (`outdir::write`); an I/O error is exit 3.

use std::io::{self, IsTerminal};
use std::path::Path;
use std::time::Instant;

use super::args::{DiagFormat, PlanFormat};
use super::outdir;
use super::{Output, compile_path, count, exit, release};
use crate::compile::Compilation;
use crate::emit::Artifact;
use crate::plan::manifest::Manifest;
use crate::plan::render_text::TextOptions;
use crate::plan::{self, Disk, Plan, Summary, render_json, render_markdown, render_text};

/// The steps `plan` and `build` share, after a spec without errors (a build skips cutting
/// files into addressed changes: it only needs the file operations).
struct Prepared {
    artifacts: Vec<Artifact>,
    summary: Summary,
    disk: Disk,
    plan: Plan,
}

fn prepare(
    c: &Compilation,
    dir: &Path,
    force: bool,
    addresses: bool,
    options: &crate::emit::Options,
    out: &Output,
) -> Result<Option<Prepared>, i32> {
    let Some(system) = c.system.as_ref().filter(|_| !c.has_errors()) else {
        return Ok(None);
    };
    let started = Instant::now();
    let artifacts = crate::emit::emit_with(system, &c.sources, options).map_err(|e| {
        out.stderr(&format!("error: {e}\n"));
        exit::INTERNAL
    })?;
    let summary = Summary::of(system, &c.sources);
    out.info(&format!("emitted {} in {} ms", count(artifacts.len(), "file"), started.elapsed().as_millis()));
    let started = Instant::now();
    let disk = outdir::read(dir, &artifacts, force).map_err(|e| {
        out.stderr(&format!("error: cannot read the output directory: {e}\n"));
        exit::INTERNAL
    })?;
    out.info(&format!("read {} in {} ms", dir.display(), started.elapsed().as_millis()));
    let started = Instant::now();
    let plan = if addresses {
        plan::compute(&artifacts, &summary, &disk)
    } else {
        plan::compute_files(&artifacts, &summary, &disk)
    };
    out.info(&format!("planned {} in {} ms", count(plan.changes.len(), "change"), started.elapsed().as_millis()));
    Ok(Some(Prepared { artifacts, summary, disk, plan }))
}

pub(super) fn plan(
    spec: &Path,
    dir: &Path,
    format: PlanFormat,
    detailed: bool,
    options: &crate::emit::Options,
    out: &Output,
) -> i32 {
    let c = compile_path(spec, out);
    let diag_format = if format == PlanFormat::Json && c.has_errors() { DiagFormat::Json } else { DiagFormat::Human };
    out.diagnostics(&c, diag_format);
    let p = match prepare(&c, dir, false, true, options, out) {
        Ok(Some(p)) => p,
        Ok(None) => return exit::SPEC_ERRORS,
        Err(code) => return code,
    };
    let started = Instant::now();
    let text = match format {
        PlanFormat::Text => render_text::render(&p.plan, TextOptions { color: stdout_color() }),
        PlanFormat::Json => render_json::render(&p.plan),
        PlanFormat::Markdown => render_markdown::render(&p.plan),
    };
    out.info(&format!("rendered the plan in {} ms", started.elapsed().as_millis()));
    let code = out.stdout(&text);
    let changes = p.plan.has_changes();
    release((p, c, text));
    if code != exit::OK {
        return code;
    }
    if detailed && changes { exit::CHANGES } else { exit::OK }
}

pub(super) fn build(
    spec: &Path,
    dir: &Path,
    format: DiagFormat,
    force: bool,
    options: &crate::emit::Options,
    out: &Output,
) -> i32 {
    let c = compile_path(spec, out);
    out.diagnostics(&c, format);
    let p = match prepare(&c, dir, force, false, options, out) {
        Ok(Some(p)) => p,
        Ok(None) => return exit::SPEC_ERRORS,
        Err(code) => return code,
    };
    let human = format == DiagFormat::Human && !out.quiet;
    if !p.plan.conflicts.is_empty() {
        let list: String =
            p.plan.conflicts.iter().map(|c| format!("  {}: {}\n", c.file, c.reason.describe())).collect();
        if !force {
            out.stderr(&format!(
                "error: refusing to overwrite or delete files in {} that genops did not leave as they are:\n{list}  help: move the change into the spec (or the file out of the output directory) and build again; `genops plan` shows the difference, `genops build --force` overwrites them\n",
                dir.display()
            ));
            return exit::SPEC_ERRORS;
        }
        if human {
            out.stderr(&format!("warning: --force: overwriting or deleting\n{list}"));
        }
    }
    let spec_text = &c.sources.get(crate::source::FileId(0)).text;
    let known: std::collections::BTreeMap<&str, &str> =
        p.plan.files.iter().filter_map(|f| f.after.as_deref().map(|h| (f.path.as_str(), h))).collect();
    let manifest = Manifest::with_known_hashes(spec_text, &p.artifacts, p.summary, &known);
    let started = Instant::now();
    let written = outdir::write(dir, &p.artifacts, &p.plan, &p.disk, &manifest);
    release((manifest, p.artifacts, p.disk, c));
    let plan = p.plan;
    match written {
        Ok(w) => {
            out.info(&format!("wrote {} in {} ms", dir.display(), started.elapsed().as_millis()));
            if human {
                for change in plan.semantic.iter().filter(|s| s.warning) {
                    out.stderr(&format!("warning: {}\n", change.message()));
                }
                let message = if w.created + w.updated + w.deleted == 0 {
                    format!("genops: {} is up to date ({} files)\n", dir.display(), w.unchanged)
                } else {
                    format!(
                        "genops: wrote {} to {} ({} new, {} changed, {} removed, {} unchanged)\n",
                        count(w.created + w.updated, "file"),
                        dir.display(),
                        w.created,
                        w.updated,
                        w.deleted,
                        w.unchanged
                    )
                };
                out.stderr(&message);
            }
            exit::OK
        }
        Err(e) => {
            out.stderr(&format!("error: cannot write {}: {e}\n", dir.display()));
            exit::INTERNAL
        }
    }
}

/// Colour in a text plan: only on a terminal, and never with `NO_COLOR` set.
fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
}
