//! `backbeat transcode SRC --out DIR`: the streaming ladder of one file, made exactly as the
//! pipeline's `transcode` job makes it (the same `[media]` settings, one ffmpeg process), into
//! a folder; for looking at a ladder with a player, and for `bench/transcode_cost.sh`.
//!
//! The pipeline takes the loudness gain from `downsample`'s measurement (the analysis decodes
//! the upload anyway); here it is `--gain-db` (0 by default), so the command costs what the
//! job costs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use backbeat_audio::decode::{DecodeLimits, DecodedStream};
use backbeat_media::ffmpeg::SourceShape;
use backbeat_media::gain::Gain;
use backbeat_media::ladder::{rungs_for, SourceQuality};
use backbeat_media::package::{package, PackageSpec};

use crate::config::Settings;

/// `backbeat transcode`.
#[derive(Debug, clap::Args)]
pub struct TranscodeArgs {
    /// The audio file.
    pub source: PathBuf,
    /// Folder for the ladder (created; must be empty or absent).
    #[arg(long)]
    pub out: PathBuf,
    /// Normalisation gain for the Opus headers of the normalised manifests, dB.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub gain_db: f64,
    /// A TOML configuration file whose `[media]` section sets the ladder.
    #[arg(long, env = "BACKBEAT_CONFIG")]
    pub config: Option<PathBuf>,
}

pub fn run(args: TranscodeArgs) -> anyhow::Result<ExitCode> {
    let settings = match &args.config {
        Some(path) => Settings::from_file(path)?,
        None => Settings::default(),
    };
    let media = &settings.media;
    backbeat_media::ffmpeg::check(&media.ffmpeg, &media.ladder).map_err(anyhow::Error::msg)?;
    let stream = DecodedStream::open(&args.source, DecodeLimits::default())
        .with_context(|| format!("reading {}", args.source.display()))?;
    let info = stream.info().clone();
    drop(stream);
    let rungs = rungs_for(
        &media.ladder,
        &SourceQuality {
            codec: info.codec.clone(),
            bitrate_kbps: info.bitrate_kbps,
            sample_rate: info.sample_rate,
            channels: info.channels,
        },
    );
    if args.out.exists() && std::fs::read_dir(&args.out)?.next().is_some() {
        anyhow::bail!("{} is not empty", args.out.display());
    }
    let work = args.out.join(".work");
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let spec = PackageSpec {
        ffmpeg: media.ffmpeg.clone(),
        source: args.source.clone(),
        shape: SourceShape {
            channels: info.channels,
            bits_per_sample: info.bits_per_sample,
        },
        rungs,
        segment_s: media.ladder.segment_s(),
        gain: Gain {
            gain_db: args.gain_db,
            peak_db: None,
            loudness_lufs: None,
            target_lufs: media.ladder.normalisation.target_lufs,
            peak_limited: false,
        },
        generation: "1".into(),
        limit: std::time::Duration::from_secs(3 * 3600),
    };
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let made = rt.block_on(package(&spec, &work, &args.out))?;
    std::fs::remove_dir_all(&work).ok();
    std::fs::write(
        args.out.join("stream.json"),
        serde_json::to_vec_pretty(&made.index)?,
    )?;
    let i = &made.index;
    eprintln!(
        "{} renditions, {:.1} s of audio in {:.1} s: {}",
        i.renditions.len(),
        i.duration_s,
        started.elapsed().as_secs_f64(),
        i.manifests.hls
    );
    for r in &i.renditions {
        eprintln!(
            "  {:<9} {:<10} {:>4} segments  average {:>4} kb/s  peak {:>4} kb/s",
            r.id,
            r.codecs,
            r.segments,
            r.average_bandwidth / 1000,
            r.bandwidth / 1000
        );
    }
    Ok(ExitCode::SUCCESS)
}
