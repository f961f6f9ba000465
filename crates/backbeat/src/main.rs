//! The `backbeat` command-line binary. Thin: argument parsing and output; the work lives in
//! the library crates.

mod admin;
mod analyze;
mod annotate;
mod config;
mod demo;
mod eval;
mod eval_loso;
mod eval_project;
mod files;
mod logging;
mod pipeline;
mod pool;
mod secret;
mod seed;
mod serve;
mod table;
mod transcode;
mod wiring;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Backbeat: a music-catalog platform. This binary analyses, serves and (later) ingests and
/// processes.
#[derive(Parser)]
#[command(name = "backbeat", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse audio files or folders (recursively): file facts, loudness, rhythm, key,
    /// dynamics and content, one JSON object per file.
    Analyze(analyze::AnalyzeArgs),
    /// Evaluate the analysis against a labels CSV: tempo ACC1/ACC2, beat F-measure, MIREX key
    /// score, loudness and true-peak differences, speech and vocal accuracy; or, with
    /// `--project`, the stored analysis and tags against an annotation project's accepted
    /// labels.
    Eval(eval::EvalArgs),
    /// Serve the catalog and streaming API (flags, `BACKBEAT_*` variables or a TOML file).
    Serve(serve::ServeCmd),
    /// Rebuild the search index from the database.
    Reindex(admin::ReindexArgs),
    /// Manage accounts (e.g. create the first admin).
    #[command(subcommand)]
    User(admin::UserCmd),
    /// Fill a data directory with a generated catalog (for load and search benchmarks).
    Seed(seed::SeedArgs),
    /// Run pipeline workers against the data directory's queue.
    Worker(pipeline::WorkerArgs),
    /// Inspect the job graph and job states.
    #[command(subcommand)]
    Jobs(pipeline::JobsCmd),
    /// Bring a job up to date over a catalog subset.
    Backfill(pipeline::BackfillArgs),
    /// Make the HLS/DASH streaming ladder of one file into a folder, as the pipeline does.
    Transcode(transcode::TranscodeArgs),
    /// The annotation engine: agreement between annotators.
    #[command(subcommand)]
    Annotate(annotate::AnnotateCommand),
    /// The whole product on one machine: serve a demo catalog, filled the first time with the
    /// sample recordings, an account for each role and an annotation project; prints the URL
    /// and the logins.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Serve(cmd) => serve::run(cmd),
        Command::Reindex(args) => admin::reindex(args),
        Command::User(cmd) => admin::user(cmd),
        Command::Seed(args) => seed::run(args),
        Command::Worker(args) => pipeline::worker(args),
        Command::Jobs(cmd) => pipeline::jobs(cmd),
        Command::Backfill(args) => pipeline::backfill(args),
        Command::Transcode(args) => transcode::run(args),
        Command::Annotate(cmd) => annotate::run(cmd),
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("backbeat: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
