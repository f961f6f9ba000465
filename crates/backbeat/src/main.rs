//! The `backbeat` command-line binary. Thin: argument parsing and output; the work lives in
//! the library crates.

mod analyze;
mod files;
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("backbeat: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
