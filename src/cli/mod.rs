//! The command line: the only code that touches argv, stdout/stderr and exit codes. Each
//! command is a small function over the library's pure stages and `outdir`.

mod args;
mod disk;
mod init;
mod plan;
mod templates;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::Path;

use crate::compile::{Compilation, compile};
use crate::diag::{Code, HumanOptions, Severity, render_human, render_json};
use crate::load::{FileError, MAX_SPEC_BYTES, spec_unreadable};
use args::{Command, DiagFormat, GraphFormat};
use disk::{DiskFiles, read_capped};

/// Exit codes: the contract CI scripts rely on.
pub mod exit {
    pub const OK: i32 = 0;
    pub const SPEC_ERRORS: i32 = 1;
    pub const CHANGES: i32 = 2;
    pub const INTERNAL: i32 = 3;
}

/// Runs genops with these arguments and exits the process with its exit code.
pub fn main<I: IntoIterator<Item = OsString>>(args: I) -> ! {
    std::process::exit(run(args))
}

/// Runs genops with these arguments (the first is the program name); returns the exit code.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
    let cli = match args::parse(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::INTERNAL } else { exit::OK };
            let _ = e.print();
            return code;
        }
    };
    let out = Output { quiet: cli.quiet, verbose: cli.verbose };
    match cli.command {
        Command::Validate { spec, format, templates } => match templates::options(templates.as_deref(), &out) {
            Ok(options) => validate(&spec, format, &options, &out),
            Err(code) => code,
        },
        Command::Build { spec, out: dir, format, force, templates } => {
            match templates::options(templates.as_deref(), &out) {
                Ok(options) => plan::build(&spec, &dir, format, force, &options, &out),
                Err(code) => code,
            }
        }
        Command::Plan { spec, out: dir, format, detailed_exitcode, templates } => {
            match templates::options(templates.as_deref(), &out) {
                Ok(options) => plan::plan(&spec, &dir, format, detailed_exitcode, &options, &out),
                Err(code) => code,
            }
        }
        Command::Graph { spec, format } => graph(&spec, format, &out),
        Command::Cost { spec, format } => cost(&spec, format, &out),
        Command::Schema => out.stdout(&crate::schema::json_schema()),
        Command::Init { dir } => init::init(&dir, &out),
        Command::Explain { code } => explain(&code, &out),
    }
}

/// Where text goes, and how much of it.
struct Output {
    quiet: bool,
    verbose: bool,
}

impl Output {
    /// Writes to stdout; a closed pipe (`genops … | head`) is a normal end, not a panic.
    fn stdout(&self, text: &str) -> i32 {
        let mut stdout = io::stdout().lock();
        match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
            Ok(()) => exit::OK,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::OK,
            Err(_) => exit::INTERNAL,
        }
    }

    fn stderr(&self, text: &str) {
        let _ = io::stderr().lock().write_all(text.as_bytes());
    }

    fn info(&self, text: &str) {
        if self.verbose {
            self.stderr(&format!("{text}\n"));
        }
    }

    fn color() -> bool {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stderr().is_terminal()
    }

    /// Prints diagnostics: human text on stderr, or the JSON report on stdout.
    fn diagnostics(&self, c: &Compilation, format: DiagFormat) {
        let shown: Vec<_> =
            c.diagnostics.iter().filter(|d| !self.quiet || d.severity == Severity::Error).cloned().collect();
        match format {
            DiagFormat::Json => {
                self.stdout(&render_json(&shown, &c.sources));
            }
            DiagFormat::Human => {
                if !shown.is_empty() {
                    let opts = HumanOptions { color: Output::color(), width: 100 };
                    self.stderr(&render_human(&shown, &c.sources, opts));
                }
            }
        }
    }
}

/// Reads and compiles a spec; a spec that cannot be read is a diagnostic like any other.
fn compile_path(spec: &Path, out: &Output) -> Compilation {
    let name = spec.display().to_string();
    out.info(&format!("reading {name}"));
    let root = spec.parent().map(Path::to_path_buf).unwrap_or_default();
    let files = DiskFiles { root };
    match read_capped(spec, MAX_SPEC_BYTES) {
        Ok(bytes) => compile(&name, bytes, &files),
        Err(error) => unreadable(&name, &error),
    }
}

fn unreadable(name: &str, error: &FileError) -> Compilation {
    Compilation {
        sources: crate::source::SourceMap::new(),
        system: None,
        graph: None,
        diagnostics: vec![spec_unreadable(name, error)],
    }
}

/// `build` without the write: the same compile, and override templates rendered when given.
fn validate(spec: &Path, format: DiagFormat, options: &crate::emit::Options, out: &Output) -> i32 {
    let c = compile_path(spec, out);
    out.diagnostics(&c, format);
    if c.has_errors() {
        return exit::SPEC_ERRORS;
    }
    if let (Some(system), false) = (&c.system, options.templates.is_empty()) {
        if let Err(e) = crate::emit::runbooks::emit(system, &options.templates) {
            out.stderr(&format!("error: {e}\n"));
            return exit::INTERNAL;
        }
    }
    if format == DiagFormat::Human && !out.quiet {
        if let Some(system) = &c.system {
            out.stderr(&format!(
                "genops: `{}` is valid: {}, {}, {}, {}, {}\n",
                system.name,
                count(system.routes.len(), "route"),
                count(system.models.len(), "model"),
                count(system.slos.len(), "SLO"),
                count(system.budgets.len(), "budget"),
                count(system.evaluations.len(), "evaluation")
            ));
        }
    }
    exit::OK
}

fn graph(spec: &Path, format: GraphFormat, out: &Output) -> i32 {
    let c = compile_path(spec, out);
    let diag_format = if format == GraphFormat::Json && c.has_errors() { DiagFormat::Json } else { DiagFormat::Human };
    out.diagnostics(&c, diag_format);
    let Some(graph) = c.graph.as_ref().filter(|_| !c.has_errors()) else {
        return exit::SPEC_ERRORS;
    };
    out.stdout(&match format {
        GraphFormat::Dot => graph.to_dot(),
        GraphFormat::Mermaid => graph.to_mermaid(),
        GraphFormat::Json => graph.to_json(),
    })
}

fn cost(spec: &Path, format: DiagFormat, out: &Output) -> i32 {
    let c = compile_path(spec, out);
    out.diagnostics(&c, if c.has_errors() { format } else { DiagFormat::Human });
    let Some(system) = c.system.as_ref().filter(|_| !c.has_errors()) else {
        return exit::SPEC_ERRORS;
    };
    let report = crate::cost::CostReport::build(system);
    out.stdout(&match format {
        DiagFormat::Human => report.to_text(),
        DiagFormat::Json => report.to_json(),
    })
}

fn explain(code: &str, out: &Output) -> i32 {
    match code.parse::<Code>() {
        Ok(code) => out.stdout(code.explanation()),
        Err(()) => {
            let ids: Vec<&str> = Code::ALL.iter().map(|c| c.id()).collect();
            let upper = code.to_ascii_uppercase();
            let hint = crate::diag::suggest::help_for(&upper, ids.iter().copied())
                .unwrap_or_else(|| "codes look like `GO0201`".into());
            out.stderr(&format!("error: no diagnostic code `{code}`\n  help: {hint}\n"));
            exit::SPEC_ERRORS
        }
    }
}

fn count(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}
