//! `backbeat analyze`: analyse files in parallel, print JSON Lines or a table, and a summary.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use backbeat_audio::{analyze_file, Analysis, AnalyzeOptions, AudioError};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use crate::{files, pool, table};

/// Output format.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Json,
    /// An aligned table for people.
    Table,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Audio files or folders (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Parallel files (default: all cores).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Write the output to FILE instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Leave beat times out of the JSON (they are long for long tracks).
    #[arg(long)]
    no_beats: bool,
    /// Refuse files larger than this many bytes.
    #[arg(long, default_value_t = 4 << 30)]
    max_file_bytes: u64,
    /// Refuse audio longer than this many seconds.
    #[arg(long, default_value_t = 6.0 * 3600.0)]
    max_duration: f64,
}

/// One output record: the analysis of a file or the reason it failed.
#[derive(Serialize)]
pub struct Record {
    pub path: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum Outcome {
    Ok(Box<Analysis>),
    Failed { error: ErrorRecord },
}

#[derive(Serialize)]
pub struct ErrorRecord {
    pub kind: &'static str,
    pub message: String,
}

impl Record {
    pub fn new(path: String, result: Result<Analysis, AudioError>) -> Self {
        let outcome = match result {
            Ok(a) => Outcome::Ok(Box::new(a)),
            Err(e) => Outcome::Failed {
                error: ErrorRecord {
                    kind: e.kind(),
                    message: e.to_string(),
                },
            },
        };
        Record { path, outcome }
    }
}

pub fn run(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let files = files::expand(&args.paths)?;
    if files.is_empty() {
        anyhow::bail!("no audio files found under the given paths");
    }
    let mut opts = AnalyzeOptions::default();
    opts.limits.max_file_bytes = args.max_file_bytes;
    opts.limits.max_duration_secs = args.max_duration;
    let (pool, jobs) = pool::worker_pool(args.jobs)?;

    let sink: Box<dyn Write + Send> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => Box::new(std::io::stdout()),
    };
    let sink = Mutex::new(sink);
    let progress = progress_bar(files.len() as u64);
    let started = Instant::now();
    let collected: Mutex<Vec<(usize, Record)>> = Mutex::new(Vec::new());

    pool.install(|| {
        files.par_iter().enumerate().for_each(|(i, path)| {
            let mut result = analyze_file(path, &opts);
            if args.no_beats {
                if let Ok(a) = &mut result {
                    a.rhythm.beats.clear();
                }
            }
            let record = Record::new(path.display().to_string(), result);
            if args.format == Format::Json {
                if let Ok(line) = serde_json::to_string(&record) {
                    let mut w = sink.lock().unwrap_or_else(|p| p.into_inner());
                    let _ = writeln!(w, "{line}");
                }
            }
            if let Some(pb) = &progress {
                pb.set_message(short_name(path));
                pb.inc(1);
            }
            collected
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((i, record));
        })
    });
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    let mut records = collected.into_inner().unwrap_or_else(|p| p.into_inner());
    records.sort_by_key(|(i, _)| *i);
    let records: Vec<Record> = records.into_iter().map(|(_, r)| r).collect();
    let mut w = sink.into_inner().unwrap_or_else(|p| p.into_inner());
    if args.format == Format::Table {
        table::write(&mut w, &records)?;
    }
    w.flush()?;

    let wall = started.elapsed().as_secs_f64();
    let failures = records
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
        .count();
    let audio_secs: f64 = records
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Ok(a) => Some(a.file.duration_secs),
            Outcome::Failed { .. } => None,
        })
        .sum();
    eprintln!(
        "{} files, {} failed, {:.2} h of audio, {:.1} s wall, {:.0}x real time ({} jobs)",
        records.len(),
        failures,
        audio_secs / 3600.0,
        wall,
        audio_secs / wall.max(1e-9),
        jobs
    );
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(n: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::new(n);
    let style = ProgressStyle::with_template(
        "{bar:40} {pos}/{len} files {elapsed_precise} eta {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    Some(pb)
}

fn short_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
