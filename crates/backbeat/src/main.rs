//! The `backbeat` command-line binary. Thin: argument parsing and output; the work lives in
//! the library crates.

mod analyze;
mod eval;
mod files;
mod pool;
mod table;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Backbeat: a music-catalog platform. This binary analyses, (later) ingests, processes and serves.
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
    /// score, loudness and true-peak differences, speech and vocal accuracy.
    Eval(eval::EvalArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Eval(args) => eval::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("backbeat: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
