//! `backbeat analyze`: analyse files in parallel, print JSON Lines or a table, and a summary.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use std::cell::RefCell;
use std::path::Path;

use backbeat_audio::{
    analyze_file, decode_for_analysis_with, Analysis, AnalyzeOptions, AudioError, MonoAnalysers,
};
use backbeat_tagger::{
    BackendChoice, Sampling, StreamTagging, Tagger, TaggerOptions, Thresholds, TrackTags,
};
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
    /// Also auto-tag (genre, mood, instruments, vocals, era; musicnn models), in the same decode.
    #[arg(long)]
    tags: bool,
    /// Patches to tag: `all`, or N spread over the track.
    #[arg(long, default_value_t = backbeat_tagger::DEFAULT_SAMPLING, value_parser = parse_sampling)]
    tag_patches: Sampling,
    /// Override a grouped tag's threshold, e.g. `--tag-threshold rock=0.4` (repeatable).
    #[arg(long = "tag-threshold", value_name = "TAG=VALUE")]
    tag_thresholds: Vec<String>,
    /// Folder of the tagger's model files (default: $BACKBEAT_MODELS_DIR or
    /// ~/.cache/backbeat/models).
    #[arg(long)]
    models_dir: Option<PathBuf>,
    /// Engine that runs the tagger: `auto` (ONNX Runtime when its library loads, else tract
    /// after a one-line notice), `ort` (an error without it) or `tract`.
    #[arg(long, env = backbeat_tagger::backend::BACKEND_ENV, default_value = "auto", value_parser = parse_backend)]
    tagger_backend: BackendChoice,
}

fn parse_backend(s: &str) -> Result<BackendChoice, String> {
    s.parse()
}

fn parse_sampling(s: &str) -> Result<Sampling, String> {
    s.parse()
}

/// One output record: the analysis of a file or the reason it failed.
#[derive(Serialize)]
pub struct Record {
    pub path: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// With `--tags`: the tags, or why tagging failed (the analysis stands either way).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<TagOutcome>,
    /// With `--tags`: seconds this file's tagging took on its thread (resampling, features,
    /// inference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_seconds: Option<f64>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum TagOutcome {
    Ok(Box<TrackTags>),
    Failed { error: ErrorRecord },
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
        Record {
            path,
            outcome,
            tags: None,
            tag_seconds: None,
        }
    }
}

/// What `--tags` needs per file.
struct Tagging<'a> {
    tagger: &'a Tagger,
    sampling: Sampling,
    thresholds: &'a Thresholds,
}

/// Analyse and tag one file from a single decode.
fn analyze_and_tag(path: &Path, opts: &AnalyzeOptions, t: &Tagging<'_>) -> Record {
    let mut mono = MonoAnalysers::new();
    let tagging: RefCell<Option<StreamTagging<'_>>> = RefCell::new(None);
    let tag_error: RefCell<Option<String>> = RefCell::new(None);
    let mut tag_time = std::time::Duration::ZERO;
    let expected = std::cell::Cell::new(None);
    let decoded = decode_for_analysis_with(
        path,
        opts,
        |info| expected.set(info.declared_duration_secs),
        |samples, rate, channels| {
            let mut slot = tagging.borrow_mut();
            // Set up from the first decoded chunk: its rate and channels are what the decoder
            // really produces (a header can say otherwise).
            if slot.is_none() && tag_error.borrow().is_none() {
                match StreamTagging::new(
                    t.tagger,
                    t.sampling,
                    expected.get(),
                    (rate, channels),
                    Some(rate),
                ) {
                    Ok(s) => *slot = Some(s),
                    Err(e) => *tag_error.borrow_mut() = Some(e.to_string()),
                }
            }
            if let Some(s) = slot.as_mut() {
                let started = Instant::now();
                if let Err(e) = s.push(samples) {
                    tag_error.borrow_mut().get_or_insert(e.to_string());
                    *slot = None;
                }
                tag_time += started.elapsed();
            }
        },
        |mono_samples| mono.push(mono_samples),
    );
    let result = decoded.map(|d| d.with(mono.finish()));
    let tags = match (result.is_ok(), tagging.into_inner(), tag_error.into_inner()) {
        (false, _, _) => None,
        (true, _, Some(message)) => Some(tag_failed(message)),
        (true, Some(s), None) => {
            let started = Instant::now();
            let out = s.finish(t.thresholds);
            tag_time += started.elapsed();
            Some(match out {
                Ok(tags) => TagOutcome::Ok(Box::new(tags)),
                Err(e) => tag_failed(e.to_string()),
            })
        }
        (true, None, None) => Some(tag_failed("no audio reached the tagger".into())),
    };
    let mut record = Record::new(path.display().to_string(), result);
    record.tag_seconds = tags.as_ref().map(|_| tag_time.as_secs_f64());
    record.tags = tags;
    record
}

fn tag_failed(message: String) -> TagOutcome {
    TagOutcome::Failed {
        error: ErrorRecord {
            kind: "tagging",
            message,
        },
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
    // Load the models once, before any file, so a missing model stops the run with the
    // command that installs it instead of failing every file.
    let thresholds = Thresholds::parse(args.tag_thresholds.iter().map(String::as_str))
        .map_err(|e| anyhow::anyhow!(e))?;
    let tagger = if args.tags {
        let dir = args
            .models_dir
            .clone()
            .unwrap_or_else(backbeat_tagger::default_models_dir);
        let options = TaggerOptions {
            backend: args.tagger_backend,
            ..TaggerOptions::default()
        };
        Some(Tagger::load_with(&dir, &options)?)
    } else {
        None
    };

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
            let mut record = match &tagger {
                Some(tagger) => {
                    let t = Tagging {
                        tagger,
                        sampling: args.tag_patches,
                        thresholds: &thresholds,
                    };
                    analyze_and_tag(path, &opts, &t)
                }
                None => Record::new(path.display().to_string(), analyze_file(path, &opts)),
            };
            if args.no_beats {
                if let Outcome::Ok(a) = &mut record.outcome {
                    a.rhythm.beats.clear();
                }
            }
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
