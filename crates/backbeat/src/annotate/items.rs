//! `backbeat annotate items add PROJECT (--tracks FILE | --selection JSON)`: adds items in one
//! transaction and prints `{"added", "duplicates"}`.
//!
//! `--tracks` reads either JSON — an array of `{"trackId", "start", "end", "gold"}` (seconds;
//! `end` absent: to the end of the track), or `{"items": […]}` — or plain text, one track id
//! per line (blank lines and `#` comments skipped). `--selection` is a catalog selection as
//! the API takes it (`{"artistId": …, "tempoConfidence": {"max": 0.3}, …}`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use backbeat_annotate::engine::ItemsInput;
use backbeat_store::annotation::{NewItem, TrackSelection};
use backbeat_store::model::Id;
use clap::{Args, Subcommand};
use serde::Deserialize;
use serde_json::json;

use crate::annotate::store::{open, operator, refusal};
use crate::config::ServeArgs;
use crate::serve::runtime;

/// Largest `--tracks` file read (256 MiB: millions of items).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// `backbeat annotate items …`.
#[derive(Debug, Subcommand)]
pub enum ItemsCmd {
    /// Add items to a project: a list of tracks or windows, or a catalog selection.
    Add(AddArgs),
}

/// Flags of `backbeat annotate items add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The project's id.
    pub project: Id,
    /// Items: a JSON array of `{"trackId","start","end","gold"}`, or one track id per line.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "selection",
        required_unless_present = "selection"
    )]
    pub tracks: Option<PathBuf>,
    /// A catalog selection (JSON).
    #[arg(long, value_name = "JSON")]
    pub selection: Option<String>,
    #[command(flatten)]
    pub config: ServeArgs,
}

/// One item of a `--tracks` JSON file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ItemLine {
    track_id: Id,
    #[serde(default)]
    start: Option<f64>,
    #[serde(default)]
    end: Option<f64>,
    #[serde(default)]
    gold: Option<serde_json::Value>,
}

/// `{"items": […]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsFile {
    items: Vec<ItemLine>,
}

/// Runs `backbeat annotate items …`.
pub fn run(cmd: ItemsCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ItemsCmd::Add(args) => {
            let input = match (&args.tracks, &args.selection) {
                (Some(path), None) => ItemsInput::List(read_items(path)?),
                (None, Some(sel)) => {
                    let sel: TrackSelection =
                        serde_json::from_str(sel).context("--selection is not a selection")?;
                    ItemsInput::Selection(Box::new(sel))
                }
                _ => bail!("give exactly one of --tracks and --selection"),
            };
            let out = runtime()?.block_on(async {
                let engine = open(&args.config).await?;
                let added = engine
                    .add_items(&operator(Id::nil()), args.project, &input)
                    .await
                    .map_err(refusal)?;
                anyhow::Ok(json!({"added": added.added, "duplicates": added.duplicates}))
            })?;
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The items of a `--tracks` file.
fn read_items(path: &std::path::Path) -> anyhow::Result<Vec<NewItem>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if size > MAX_FILE_BYTES {
        bail!("{} is over {MAX_FILE_BYTES} bytes", path.display());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let lines: Vec<ItemLine> = if trimmed.starts_with('[') {
            serde_json::from_str(trimmed)
        } else {
            serde_json::from_str::<ItemsFile>(trimmed).map(|f| f.items)
        }
        .with_context(|| format!("{}: not a list of items", path.display()))?;
        lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let ms = |s: f64, what: &str| -> anyhow::Result<i64> {
                    if s.is_finite() && (0.0..=1e9).contains(&s) {
                        Ok((s * 1000.0).round() as i64)
                    } else {
                        bail!("item {i}: {what} must be seconds from 0 to 10^9")
                    }
                };
                Ok(NewItem {
                    track_id: l.track_id,
                    start_ms: ms(l.start.unwrap_or(0.0), "start")?,
                    end_ms: match l.end {
                        Some(e) => ms(e, "end")?,
                        None => 0,
                    },
                    gold: l.gold,
                })
            })
            .collect()
    } else {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let track_id: Id = line
                .parse()
                .with_context(|| format!("{} line {}: not a track id", path.display(), n + 1))?;
            out.push(NewItem {
                track_id,
                start_ms: 0,
                end_ms: 0,
                gold: None,
            });
        }
        Ok(out)
    }
}
