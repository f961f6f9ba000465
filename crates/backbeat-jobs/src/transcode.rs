//! `transcode`: the track's streaming ladder (HLS and DASH over CMAF segments, AAC and Opus
//! rungs, loudness gain), made by one ffmpeg process (`backbeat_media::package`).
//!
//! Outputs: `ladder/` (segments, init segments, playlists, MPDs; every name prefixed by this
//! run's generation) and `stream.json` (the [`StreamIndex`] naming the generation's manifests
//! and the gain). The index is what the stream endpoint reads, so a re-run switches players
//! to the new generation at once, while the previous generation's files stay readable for as
//! long as the spec's `keep_replaced` says (the longest stream-URL lifetime).
//!
//! The gain comes from `downsample`'s loudness (measured on the upload at its own rate), so
//! the ladder never decodes the upload a second time for it.
//!
//! Without ffmpeg the job is unavailable (not failed): it writes a `stream.json` saying why,
//! the track stays streamable progressively, and a later run makes the ladder.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use backbeat_audio::Decoded;
use backbeat_media::ffmpeg::SourceShape;
use backbeat_media::gain::normalisation_gain;
use backbeat_media::ladder::{rungs_for, LadderConfig, SourceQuality};
use backbeat_media::ondemand::OnDemandConfig;
use backbeat_media::package::{package, PackageSpec};
use backbeat_media::MediaError;
use backbeat_pipeline::{Job, JobContext, JobError};
use backbeat_store::model::now_millis;

use crate::redecode::redecode_to_wav;
use crate::support::{blocking, write_json};

/// How long ffmpeg may run for one track (a three-hour upload at the slowest rung set stays
/// well below).
pub(crate) const FFMPEG_LIMIT: Duration = Duration::from_secs(50 * 60);

/// The media settings (`[media]`): the ladder the built-in `transcode` job makes, the
/// on-demand transcoder's limits (used by the server), and the ffmpeg both run.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaSettings {
    pub ladder: LadderConfig,
    /// The ffmpeg to run.
    pub ffmpeg: PathBuf,
    /// On-demand limits; its `cache_dir` and `ffmpeg` are filled in by the wiring.
    pub on_demand: OnDemandConfig,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            ladder: LadderConfig::default(),
            ffmpeg: backbeat_media::ffmpeg::default_ffmpeg(),
            on_demand: OnDemandConfig::default(),
        }
    }
}

/// Why `ffmpeg` cannot make ladders here, if it cannot (not installed, or built without an
/// encoder the ladder needs).
pub(crate) fn ffmpeg_missing(settings: &MediaSettings) -> Option<String> {
    backbeat_media::ffmpeg::check(&settings.ffmpeg, &settings.ladder).err()
}

/// The `transcode` job.
pub(crate) struct Transcode {
    pub(crate) settings: Arc<MediaSettings>,
}

#[async_trait]
impl Job for Transcode {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let upload = ctx.input("upload")?.clone();
        let source_json = ctx.input("downsample.source.json")?.clone();
        let index_path = ctx.output("stream.json")?.clone();
        let ladder_dir = ctx.output("ladder/")?.clone();
        if let Some(why) = ffmpeg_missing(&self.settings) {
            write_json(&index_path, &serde_json::json!({ "unavailable": why }))?;
            return Err(JobError::Unavailable(why));
        }
        let decoded: Decoded = read_json(&source_json)?;
        let cfg = &self.settings.ladder;
        let file = &decoded.file;
        let rungs = rungs_for(
            cfg,
            &SourceQuality {
                codec: file.codec.clone(),
                bitrate_kbps: file.bitrate_kbps,
                sample_rate: file.sample_rate,
                channels: file.channels,
            },
        );
        let gain = normalisation_gain(
            decoded.loudness.integrated_lufs,
            decoded.loudness.true_peak_dbtp,
            cfg.normalisation,
        );
        // The encoder's own files go next to the outputs, inside the job's scratch folder.
        let work = ladder_dir
            .parent()
            .map(|p| p.join("transcode-work"))
            .ok_or_else(|| JobError::Permanent("the ladder output has no parent".into()))?;
        tokio::fs::create_dir_all(&work)
            .await
            .map_err(JobError::io("creating the encoder's folder"))?;
        let spec = PackageSpec {
            ffmpeg: self.settings.ffmpeg.clone(),
            source: upload,
            shape: SourceShape {
                channels: file.channels,
                bits_per_sample: file.bits_per_sample,
            },
            rungs,
            segment_s: cfg.segment_s(),
            gain,
            generation: format!("{:x}", now_millis()),
            limit: FFMPEG_LIMIT,
        };
        let made = match package(&spec, &work, &ladder_dir).await {
            Err(MediaError::BadSource(why)) => {
                // ffmpeg refuses some files Backbeat's own decoder reads (the analysis already
                // did): encode the ladder from that decode instead of failing the track.
                tracing::warn!(track = %ctx.track.id, %why, "ffmpeg refused the source; encoding from Backbeat's decode");
                let wav = work.with_file_name("transcode-source.wav");
                let (from, to) = (spec.source.clone(), wav.clone());
                blocking(move || redecode_to_wav(&from, &to)).await.map_err(|e| {
                    JobError::BadInput(
                        format!("ffmpeg could not transcode the source ({why}), nor could it be re-decoded: {e}").into(),
                    )
                })?;
                // The encoder starts again in an empty folder.
                let _ = tokio::fs::remove_dir_all(&work).await;
                tokio::fs::create_dir_all(&work)
                    .await
                    .map_err(JobError::io("creating the encoder's folder"))?;
                let spec = PackageSpec { source: wav.clone(), ..spec };
                let made = package(&spec, &work, &ladder_dir).await;
                let _ = tokio::fs::remove_file(&wav).await;
                made
            }
            other => other,
        }
        .map_err(media_err)?;
        let _ = tokio::fs::remove_dir_all(&work).await;
        write_json(&index_path, &made.index)
    }
}

/// A packaging error as a job error: a source ffmpeg refuses fails for good, the rest may
/// pass on another try.
fn media_err(e: MediaError) -> JobError {
    if e.is_permanent() {
        JobError::BadInput(Box::new(e))
    } else {
        JobError::Transient(e.to_string())
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T, JobError> {
    let bytes = std::fs::read(path).map_err(JobError::io("reading source.json"))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| JobError::Permanent(format!("source.json does not parse: {e}")))
}
