//! `peaks`: the waveform a player draws (BBC audiowaveform `.dat`, 16-bit, 256 samples a pixel
//! at the analysis rate), from `downsample`'s mono signal: no decode of its own.

use std::path::Path;

use async_trait::async_trait;
use backbeat_audio::peaks::{Peaks, PeaksBuilder, DEFAULT_SAMPLES_PER_PIXEL};
use backbeat_audio::ANALYSIS_RATE;
use backbeat_pipeline::{Job, JobContext, JobError};

use crate::signal::{open_stored_signal, stream_stored_signal};
use crate::support::blocking;

/// The `peaks` job.
pub(crate) struct PeaksJob;

#[async_trait]
impl Job for PeaksJob {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let wav = ctx.input("downsample.audio.wav")?.clone();
        let out = ctx.output("peaks.dat")?.clone();
        let mono = ctx.memo.get::<Vec<f32>>("downsample.audio.wav");
        blocking(move || {
            let peaks = match mono {
                Some(samples) => {
                    let mut b = builder();
                    b.push(&samples);
                    b.finish()
                }
                None => peaks_of_wav(&wav)?,
            };
            std::fs::write(&out, peaks.to_dat()).map_err(JobError::io("writing peaks.dat"))
        })
        .await
    }
}

fn builder() -> PeaksBuilder {
    PeaksBuilder::new(ANALYSIS_RATE, DEFAULT_SAMPLES_PER_PIXEL)
}

/// Streams a stored mono signal into peaks (bounded memory: 4 bytes per 256 samples).
fn peaks_of_wav(path: &Path) -> Result<Peaks, JobError> {
    let mut b = builder();
    stream_stored_signal(open_stored_signal(path)?, |samples| {
        b.push(samples);
        Ok(())
    })?;
    Ok(b.finish())
}
