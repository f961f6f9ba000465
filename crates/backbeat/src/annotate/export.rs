//! `backbeat annotate export PROJECT --format jsonl|csv|labelstudio [--out FILE]`: a project's
//! resolved items, streamed from the database (pages of 1000 items, so memory stays flat on a
//! project of millions) to standard output or a file; a progress bar on stderr when writing
//! to a file. Formats: see `backbeat_annotate::reports::export`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use backbeat_annotate::reports::{export, ExportFormat, ExportOptions};
use backbeat_store::annotation::ItemState;
use backbeat_store::{AnnotationStore, Id};
use clap::{Args, ValueEnum};
use tokio::io::AsyncWrite;

use crate::config::{ServeArgs, Settings};
use crate::serve::runtime;
use crate::wiring;

/// `backbeat annotate export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The project's id.
    pub project: Id,
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: FormatArg,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The audio URL of a Label Studio task (`{trackId}` is replaced).
    #[arg(long, default_value = "/api/v1/tracks/{trackId}/stream")]
    pub audio_url: String,
    #[command(flatten)]
    pub config: ServeArgs,
}

/// An export format on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Jsonl,
    Csv,
    Labelstudio,
}

/// Runs the export; prints a one-line summary on stderr.
pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let config = Settings::load(&args.config)?;
    runtime()?.block_on(async move {
        let store = wiring::open_database(&config).await?;
        let format = match args.format {
            FormatArg::Jsonl => ExportFormat::Jsonl,
            FormatArg::Csv => ExportFormat::Csv,
            FormatArg::Labelstudio => ExportFormat::LabelStudio,
        };
        let mut opts = ExportOptions::new(format);
        opts.audio_url = args.audio_url.clone();
        let started = std::time::Instant::now();
        let (out, bar): (Box<dyn AsyncWrite + Unpin + Send>, _) = match &args.out {
            Some(path) => {
                let file = tokio::fs::File::create(path)
                    .await
                    .with_context(|| format!("creating {}", path.display()))?;
                let resolved = store
                    .item_counts(args.project)
                    .await
                    .context("reading the project")?
                    .into_iter()
                    .find(|(s, _)| *s == ItemState::Resolved)
                    .map_or(0, |(_, n)| n);
                let bar = indicatif::ProgressBar::new(resolved);
                bar.set_style(indicatif::ProgressStyle::with_template(
                    "[{bar:40}] {pos}/{len} items  {per_sec}  ETA {eta}",
                )?);
                (Box::new(tokio::io::BufWriter::new(file)), Some(bar))
            }
            None => (
                Box::new(tokio::io::BufWriter::new(tokio::io::stdout())),
                None,
            ),
        };
        let mut progress = |n: u64| {
            if let Some(b) = &bar {
                b.set_position(n);
            }
        };
        let summary = export(&store, args.project, &opts, out, &mut progress)
            .await
            .context("exporting")?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        eprintln!(
            "exported {} items, {} annotations, {} bytes in {:.1} s",
            summary.items,
            summary.annotations,
            summary.bytes,
            started.elapsed().as_secs_f64()
        );
        Ok(ExitCode::SUCCESS)
    })
}
