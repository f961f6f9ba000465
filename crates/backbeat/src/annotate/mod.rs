//! `backbeat annotate …`: the annotation engine from the command line. One variant per
//! subcommand, one file per variant; each `run` returns the process's exit code, so a new
//! subcommand (projects, items, status, export) is a variant, a file and a match arm.

mod agreement;
mod export;
mod items;
mod project;
mod status;
mod store;

pub use store::refusal;

use std::process::ExitCode;

use clap::Subcommand;

/// The `backbeat annotate` subcommands.
#[derive(Debug, Subcommand)]
pub enum AnnotateCommand {
    /// Krippendorff's α (and Fleiss' κ where it applies) of a reliability table CSV: one row
    /// per coder, one column per unit, empty cell = missing.
    Agreement(agreement::AgreementArgs),
    /// Export a project's resolved items (JSON Lines, CSV or Label Studio JSON), streamed.
    Export(export::ExportArgs),
    /// Annotation projects on the configured database.
    #[command(subcommand)]
    Project(project::ProjectCmd),
    /// A project's items on the configured database.
    #[command(subcommand)]
    Items(items::ItemsCmd),
    /// A project's item counts by state, as JSON.
    Status(status::StatusArgs),
}

/// Run one `backbeat annotate` subcommand.
pub fn run(command: AnnotateCommand) -> anyhow::Result<ExitCode> {
    match command {
        AnnotateCommand::Agreement(args) => agreement::run(args),
        AnnotateCommand::Export(args) => export::run(args),
        AnnotateCommand::Project(cmd) => project::run(cmd),
        AnnotateCommand::Items(cmd) => items::run(cmd),
        AnnotateCommand::Status(args) => status::run(args),
    }
}
