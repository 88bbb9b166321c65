//! Command-line arguments (clap). Only this file knows about clap: `run` turns the parsed
//! arguments into a [`Command`] and nothing below the CLI sees them.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "genops",
    version,
    about = "Compile one declarative spec of a production GenAI system into the infrastructure that runs and guards it",
    after_help = "Exit codes: 0 ok, 1 errors in the spec (or build refused to overwrite a file genops did not leave as it is), 2 changes present (plan --detailed-exitcode), 3 internal or I/O error.\nNO_COLOR disables colour."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print what genops reads and writes.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a spec; exit 0 when it is valid, 1 when it has errors.
    Validate {
        spec: PathBuf,
        /// How diagnostics are printed.
        #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
        format: DiagFormat,
        /// Also render these runbook templates, so a broken override fails here as in `build`.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// Check a spec and write every target into OUT, atomically.
    Build {
        spec: PathBuf,
        /// The output directory (created when missing; files genops did not write are kept).
        #[arg(short, long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
        format: DiagFormat,
        /// Overwrite (or delete) generated files that were edited by hand, and files genops did
        /// not write that are in the way.
        #[arg(long)]
        force: bool,
        /// Runbook templates that replace the built-in ones of the same name.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// Show what `build` would change in OUT: spec changes in plain words, then every changed
    /// resource with its diff.
    Plan {
        spec: PathBuf,
        /// The output directory a build would write to.
        #[arg(short, long)]
        out: PathBuf,
        /// `text` for a terminal or log, `json` for bots (format_version 1), `markdown` for a
        /// pull-request comment.
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// Exit 2 when there are changes (0 when there are none), as `terraform plan` does.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Runbook templates that replace the built-in ones, as for `build`.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// Print the dependency graph of a spec.
    Graph {
        spec: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Estimated monthly cost per route and model, against budgets and cost SLOs.
    Cost {
        spec: PathBuf,
        #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
        format: DiagFormat,
    },
    /// Print the JSON Schema of the spec.
    Schema,
    /// Write a starter spec (with a prompt and a dataset) into DIR.
    Init {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Explain a diagnostic code, e.g. `genops explain GO0201`.
    Explain { code: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

pub fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(args)
}
