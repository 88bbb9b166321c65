//! `genops plan` and `genops build`: compile, emit, compare with the output directory, then
//! print the plan or carry it out.
//!
//! Both run the same steps up to the plan, so a plan shows exactly what a build would do:
//! read OUT's manifest (`outdir::open`) → compile (spec errors: exit 1, OUT untouched), while
//! another thread hashes the files the manifest lists (`outdir::verify`) → if the manifest's
//! input fingerprint matches and the files are as it lists them, nothing to emit; else emit,
//! comparing each file with OUT as it comes (a build also stages it) → `plan::compute_from`.
//! `plan` renders the plan (text, JSON or Markdown) and exits 0, or 2 with
//! `--detailed-exitcode` when there are changes. `build` refuses (exit 1) when it would
//! overwrite or delete a file genops did not leave as it is, unless `--force`, then writes
//! (`outdir::write`); an I/O error is exit 3.

use std::io::{self, IsTerminal};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::args::{DiagFormat, PlanFormat};
use super::outdir;
use super::{Output, compile_path, count, exit};
use crate::compile::Compilation;
use crate::emit::Artifact;
use crate::emit::sink::{Parts, Sink};
use crate::parallel::lock;
use crate::plan::manifest::{Manifest, ModelJson};
use crate::plan::render_text::TextOptions;
use crate::plan::{self, Disk, Plan, Produced, Summary, render_json, render_markdown, render_text};

/// The steps `plan` and `build` share, after a spec without errors (a build skips cutting
/// files into addressed changes: it only needs the file operations).
struct Prepared {
    produced: Vec<Produced>,
    summary: Summary,
    /// A build's model as the manifest writes it, made beside the emitters (`None`: made when
    /// the manifest is written).
    model_json: Option<ModelJson>,
    disk: Disk,
    plan: Plan,
    /// A build's new files, staged as they were emitted.
    staging: Option<outdir::Staging>,
    /// A build's hashes of its inputs, for the manifest.
    input_hashes: Option<InputHashes>,
}

/// What a manifest records of the inputs.
struct InputHashes {
    /// SHA-256 of the spec.
    spec: String,
    /// The fingerprint of everything the output depends on (`plan::fingerprint`).
    inputs: String,
}

impl InputHashes {
    /// `inputs`: the fingerprint, if it was made already.
    fn of(c: &Compilation, inputs: Option<String>, options: &crate::emit::Options) -> InputHashes {
        let spec = &c.sources.get(crate::source::FileId(0)).text;
        InputHashes {
            spec: crate::plan::manifest::sha256(spec.as_bytes()),
            inputs: inputs.unwrap_or_else(|| plan::fingerprint::of(&c.sources, &options.templates)),
        }
    }
}

/// Emits every file and compares it with OUT the moment it is emitted; a build also stages each
/// file that changes. Only the comparison stays in memory (and, for a plan, the parts of the
/// files that change), so a large system's output is never all held at once.
fn prepare(
    c: &Compilation,
    dir: &Path,
    snapshot: Snapshot,
    building: bool,
    options: &crate::emit::Options,
    out: &Output,
) -> Result<Option<Prepared>, i32> {
    let Some(system) = c.system.as_ref().filter(|_| !c.has_errors()) else {
        return Ok(None);
    };
    let unreadable = |e: outdir::OutError| {
        out.stderr(&format!("error: cannot read the output directory: {e}\n"));
        exit::INTERNAL
    };
    let Snapshot { disk, as_recorded, inputs } = snapshot;
    let mut disk = disk.map_err(unreadable)?;
    let started = Instant::now();
    if let Some(produced) = as_recorded {
        // Nothing the output depends on has changed, and the files are as written: they are
        // what emitting would give.
        let summary = Summary::of(system, &c.sources);
        let plan = plan::compute_from(&produced, &summary, &disk, !building);
        out.info(&format!("inputs unchanged since the last build; checked {}", count(produced.len(), "file")));
        let input_hashes = building.then(|| InputHashes::of(c, inputs, options));
        return Ok(Some(Prepared { produced, summary, model_json: None, disk, plan, staging: None, input_hashes }));
    }
    let staging = building.then(|| outdir::Staging::new(dir));
    // The first I/O error of the sink, and whether it was writing (staging) or reading.
    let failure: Mutex<Option<(&str, outdir::OutError)>> = Mutex::new(None);
    // The summary of the model (and for a build, its text and the hashes of the inputs for the
    // manifest) is made beside the emitters: it is needed only after them.
    let ((summary, model_json, input_hashes), (mut produced, emitted)) = std::thread::scope(|scope| {
        let summary = scope.spawn(|| {
            let summary = Summary::of(system, &c.sources);
            let json = building.then(|| ModelJson::of(&summary));
            (summary, json, building.then(|| InputHashes::of(c, inputs, options)))
        });
        let gathered = crate::parallel::gather(|push| {
            let sink = Compare { dir, building, staging: staging.as_ref(), failure: &failure, push };
            crate::emit::emit_each(system, &c.sources, options, &sink)
        });
        (summary.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), gathered)
    });
    let discard = |staging: Option<outdir::Staging>| staging.into_iter().for_each(outdir::Staging::discard);
    if let Err(e) = emitted {
        discard(staging);
        out.stderr(&format!("error: {e}\n"));
        return Err(exit::INTERNAL);
    }
    if let Some((what, e)) = lock(&failure).take() {
        discard(staging);
        out.stderr(&format!("error: cannot {what} the output directory: {e}\n"));
        return Err(exit::INTERNAL);
    }
    produced.sort_by(|a, b| a.path.cmp(&b.path));
    out.info(&format!(
        "emitted and compared {} in {} ms",
        count(produced.len(), "file"),
        started.elapsed().as_millis()
    ));
    let started = Instant::now();
    if let Err(e) = outdir::read_stale(dir, &mut disk, &produced) {
        discard(staging);
        return Err(unreadable(e));
    }
    let plan = plan::compute_from(&produced, &summary, &disk, !building);
    out.info(&format!("planned {} in {} ms", count(plan.changes.len(), "change"), started.elapsed().as_millis()));
    Ok(Some(Prepared { produced, summary, model_json, disk, plan, staging, input_hashes }))
}

/// Where a plan or a build puts each file as it is emitted: compared with OUT right away and
/// recorded; a build also stages each file that changes. A build takes the largest files in
/// parts while they are made ([`outdir::Streamed`]); a plan takes every file whole, to cut a
/// changed one into addressed changes.
struct Compare<'a> {
    dir: &'a Path,
    building: bool,
    staging: Option<&'a outdir::Staging>,
    failure: &'a Mutex<Option<(&'static str, outdir::OutError)>>,
    push: &'a (dyn Fn(Produced) + Sync),
}

impl Compare<'_> {
    fn record(&self, record: Result<Produced, (&'static str, outdir::OutError)>) {
        match record {
            Ok(record) => (self.push)(record),
            Err(e) => {
                lock(self.failure).get_or_insert(e);
            }
        }
    }
}

impl Sink for Compare<'_> {
    fn file(&self, artifact: Artifact) {
        let contents = artifact.contents.as_bytes();
        let record = outdir::read_unless_same(self.dir, &artifact.path, contents).map_err(|e| ("read", e)).and_then(
            |existing| {
                // A plan cuts a changed file into addressed changes; a build stages it.
                let record = match existing {
                    outdir::Existing::Same => Produced::unchanged(&artifact),
                    outdir::Existing::Absent => Produced::compare(&artifact, None, !self.building),
                    outdir::Existing::Different(bytes) => Produced::compare(&artifact, Some(&bytes), !self.building),
                };
                if let (Some(staging), true) = (self.staging, record.changes()) {
                    staging.stage(&artifact.path, contents).map_err(|e| ("write", e))?;
                }
                Ok(record)
            },
        );
        self.record(record);
    }

    fn open(&self, path: &str) -> Option<Box<dyn Parts + '_>> {
        let staging = self.staging?;
        Some(Box::new(Staged { file: staging.stream(path), to: self }))
    }
}

/// A file a build stages in parts.
struct Staged<'a> {
    file: outdir::Streamed<'a>,
    to: &'a Compare<'a>,
}

impl Parts for Staged<'_> {
    fn part(&mut self, text: &str) {
        self.file.part(text.as_bytes());
    }

    fn end(self: Box<Self>) {
        let Staged { file, to } = *self;
        to.record(file.end());
    }
}

/// The compile, and what the plan needs from OUT before anything is emitted.
struct Snapshot {
    /// OUT's manifest (or why it could not be read: reported only if the spec has no error).
    disk: Result<Disk, outdir::OutError>,
    /// The files of the last build, all as recorded, when nothing they depend on has changed.
    as_recorded: Option<Vec<Produced>>,
    /// The fingerprint of this build's inputs, when OUT's manifest records one to compare it
    /// with (else a build makes it beside the emitters).
    inputs: Option<String>,
}

/// Compiles the spec while another thread hashes the files the last build recorded in OUT's
/// manifest (the compile uses one core): when the inputs turn out not to have changed, that is
/// all a `plan` or a `build` has to do; when they have, the hashing is stopped.
fn compile_with_snapshot(
    spec: &Path,
    dir: &Path,
    force: bool,
    options: &crate::emit::Options,
    out: &Output,
) -> (Compilation, Snapshot) {
    let disk = outdir::open(dir, force);
    let manifest = disk.as_ref().ok().and_then(|d| d.manifest.as_ref());
    let stop = AtomicBool::new(false);
    let (c, as_recorded, inputs) = std::thread::scope(|scope| {
        let verified =
            manifest.filter(|m| m.inputs_sha256.is_some()).map(|m| scope.spawn(|| outdir::verify(dir, m, &stop)));
        let c = compile_path(spec, out);
        let recorded = manifest.and_then(|m| m.inputs_sha256.as_deref());
        let inputs = recorded.map(|_| plan::fingerprint::of(&c.sources, &options.templates));
        let unchanged = !c.has_errors() && recorded.is_some() && recorded == inputs.as_deref();
        stop.store(!unchanged, Ordering::Relaxed);
        let as_recorded = verified.and_then(|t| t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        (c, as_recorded.filter(|_| unchanged), inputs)
    });
    (c, Snapshot { disk, as_recorded, inputs })
}

pub(super) fn plan(
    spec: &Path,
    dir: &Path,
    format: PlanFormat,
    detailed: bool,
    options: &crate::emit::Options,
    out: &Output,
) -> i32 {
    let (c, snapshot) = compile_with_snapshot(spec, dir, false, options, out);
    let diag_format = if format == PlanFormat::Json && c.has_errors() { DiagFormat::Json } else { DiagFormat::Human };
    out.diagnostics(&c, diag_format);
    let p = match prepare(&c, dir, snapshot, false, options, out) {
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
    let (c, snapshot) = compile_with_snapshot(spec, dir, force, options, out);
    out.diagnostics(&c, format);
    let mut p = match prepare(&c, dir, snapshot, true, options, out) {
        Ok(Some(p)) => p,
        Ok(None) => return exit::SPEC_ERRORS,
        Err(code) => return code,
    };
    let human = format == DiagFormat::Human && !out.quiet;
    if !p.plan.conflicts.is_empty() {
        let list: String =
            p.plan.conflicts.iter().map(|c| format!("  {}: {}\n", c.file, c.reason.describe())).collect();
        if !force {
            p.staging.into_iter().for_each(outdir::Staging::discard);
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
    let input_hashes = p.input_hashes.take().unwrap_or_else(|| InputHashes::of(&c, None, options));
    let hashes = p.produced.iter().map(|f| (f.path.clone(), f.sha256.clone())).collect();
    let mut manifest = Manifest::of_hashes(input_hashes.spec, hashes, p.summary);
    manifest.inputs_sha256 = Some(input_hashes.inputs);
    let started = Instant::now();
    let manifest_json = match &p.model_json {
        Some(model) => manifest.to_json_with(model),
        None => manifest.to_json(),
    };
    let staging = p.staging.take().unwrap_or_else(|| outdir::Staging::new(dir));
    let written = outdir::write(dir, &p.produced, &p.plan, &p.disk, &manifest_json, staging);
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
