//! `analyze`: every descriptor, from the mono signal and the source facts.

use std::path::Path;

use async_trait::async_trait;
use backbeat_audio::{Decoded, MonoAnalysers, MonoDescriptors};
use backbeat_pipeline::{Job, JobContext, JobError};

use crate::signal::{open_stored_signal, stream_stored_signal};
use crate::support::{audio_err, blocking, write_json};

/// The `analyze` job.
pub(crate) struct Analyze;

#[async_trait]
impl Job for Analyze {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let wav = ctx.input("downsample.audio.wav")?.clone();
        let source_path = ctx.input("downsample.source.json")?.clone();
        let out = ctx.output("analysis.json")?.clone();
        let mono = ctx.memo.get::<Vec<f32>>("downsample.audio.wav");
        let source = ctx.memo.get::<Decoded>("downsample.source.json");
        blocking(move || {
            let source: Decoded = match source {
                Some(s) => (*s).clone(),
                None => {
                    let bytes =
                        std::fs::read(&source_path).map_err(JobError::io("reading source"))?;
                    serde_json::from_slice(&bytes)
                        .map_err(|e| JobError::Permanent(format!("source.json: {e}")))?
                }
            };
            let descriptors = match mono {
                Some(samples) => backbeat_audio::analyze_mono(&samples).map_err(audio_err)?,
                None => analyze_wav(&wav)?,
            };
            write_json(&out, &source.with(descriptors))
        })
        .await
    }
}

/// Streams a stored mono signal through the analysers (bounded memory).
fn analyze_wav(path: &Path) -> Result<MonoDescriptors, JobError> {
    let mut a = MonoAnalysers::new();
    stream_stored_signal(open_stored_signal(path)?, |samples| {
        a.push(samples);
        Ok(())
    })?;
    Ok(a.finish())
}
