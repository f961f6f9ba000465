//! Reading `downsample`'s stored signal (`audio.wav`) back, for jobs that did not get it from
//! the chain's memo.

use std::path::Path;

use backbeat_audio::decode::{DecodeLimits, DecodedStream};
use backbeat_audio::ANALYSIS_RATE;
use backbeat_pipeline::JobError;

use crate::support::audio_err;

/// Opens `downsample`'s stored signal (`audio.wav`).
pub(crate) fn open_stored_signal(path: &Path) -> Result<DecodedStream, JobError> {
    DecodedStream::open(path, DecodeLimits::default()).map_err(audio_err)
}

/// Hands the stored signal to `push` chunk by chunk, refusing anything but mono at
/// [`ANALYSIS_RATE`] (a signal stored by another version would be analysed wrongly).
pub(crate) fn stream_stored_signal(
    mut stream: DecodedStream,
    mut push: impl FnMut(&[f32]) -> Result<(), JobError>,
) -> Result<(), JobError> {
    while let Some(chunk) = stream.next_chunk().map_err(audio_err)? {
        if chunk.channels != 1 || chunk.sample_rate != ANALYSIS_RATE {
            return Err(JobError::Permanent(format!(
                "stored signal is {} ch at {} Hz, expected mono at {ANALYSIS_RATE} Hz",
                chunk.channels, chunk.sample_rate
            )));
        }
        push(chunk.samples)?;
    }
    Ok(())
}
