//! `downsample`: one decode of the upload into the mono analysis signal and the source facts.

use std::sync::Arc;

use async_trait::async_trait;
use backbeat_audio::AnalyzeOptions;
use backbeat_pipeline::{Job, JobContext, JobError};

use crate::support::{audio_err, blocking, write_json};
use crate::wav::WavWriter;

/// The mono signal of a chain, kept in memory only up to this many samples (15 minutes at
/// 22,050 Hz, 79 MB); longer tracks are streamed from `audio.wav` instead.
pub const MEMO_MAX_SAMPLES: usize = 22_050 * 60 * 15;

/// The `downsample` job.
pub(crate) struct Downsample;

#[async_trait]
impl Job for Downsample {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let input = ctx.input("upload")?.clone();
        let wav = ctx.output("audio.wav")?.clone();
        let source = ctx.output("source.json")?.clone();
        let cancel = ctx.cancel.clone();
        let (decoded, kept) = blocking(move || {
            let mut writer = WavWriter::create(&wav)?;
            let mut kept: Option<Vec<f32>> = Some(Vec::new());
            let mut failed: Option<JobError> = None;
            let decoded =
                backbeat_audio::decode_for_analysis(&input, &AnalyzeOptions::default(), |mono| {
                    if failed.is_some() || cancel.is_cancelled() {
                        return;
                    }
                    if let Err(e) = writer.push(mono) {
                        failed = Some(e);
                    }
                    if let Some(k) = &mut kept {
                        if k.len() + mono.len() > MEMO_MAX_SAMPLES {
                            kept = None;
                        } else {
                            k.extend_from_slice(mono);
                        }
                    }
                })
                .map_err(audio_err)?;
            if let Some(e) = failed {
                return Err(e);
            }
            if cancel.is_cancelled() {
                return Err(JobError::Transient("cancelled".into()));
            }
            writer.finish()?;
            write_json(&source, &decoded)?;
            Ok((decoded, kept))
        })
        .await?;
        if let Some(samples) = kept {
            ctx.memo.put("downsample.audio.wav", Arc::new(samples));
        }
        ctx.memo.put("downsample.source.json", Arc::new(decoded));
        Ok(())
    }
}
