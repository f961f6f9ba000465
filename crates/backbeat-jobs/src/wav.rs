//! The stored signal's format: a 32-bit float mono WAV at the analysis rate, written as
//! samples arrive, its sizes patched in at the end.

use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use backbeat_audio::ANALYSIS_RATE;
use backbeat_pipeline::JobError;

/// A 32-bit float mono WAV being written.
pub(crate) struct WavWriter {
    file: BufWriter<std::fs::File>,
    samples: u64,
}

impl WavWriter {
    /// Creates `path` with a header for an empty signal.
    pub(crate) fn create(path: &Path) -> Result<Self, JobError> {
        let file = std::fs::File::create(path).map_err(JobError::io("creating audio.wav"))?;
        let mut w = WavWriter {
            file: BufWriter::with_capacity(1 << 16, file),
            samples: 0,
        };
        w.header(0)?;
        Ok(w)
    }

    fn header(&mut self, samples: u64) -> Result<(), JobError> {
        let data = u32::try_from(samples * 4)
            .map_err(|_| JobError::Permanent("signal too long for a WAV file".into()))?;
        let rate = ANALYSIS_RATE;
        let mut h = Vec::with_capacity(44);
        h.extend_from_slice(b"RIFF");
        h.extend_from_slice(&(36 + data).to_le_bytes());
        h.extend_from_slice(b"WAVEfmt ");
        h.extend_from_slice(&16u32.to_le_bytes());
        h.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
        h.extend_from_slice(&1u16.to_le_bytes()); // mono
        h.extend_from_slice(&rate.to_le_bytes());
        h.extend_from_slice(&(rate * 4).to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&32u16.to_le_bytes());
        h.extend_from_slice(b"data");
        h.extend_from_slice(&data.to_le_bytes());
        self.file
            .write_all(&h)
            .map_err(JobError::io("writing audio.wav"))
    }

    /// Appends mono samples.
    pub(crate) fn push(&mut self, mono: &[f32]) -> Result<(), JobError> {
        for s in mono {
            self.file
                .write_all(&s.to_le_bytes())
                .map_err(JobError::io("writing audio.wav"))?;
        }
        self.samples += mono.len() as u64;
        Ok(())
    }

    /// Patches the sizes into the header and syncs the file.
    pub(crate) fn finish(mut self) -> Result<(), JobError> {
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(JobError::io("writing audio.wav"))?;
        self.header(self.samples)?;
        let file = self
            .file
            .into_inner()
            .map_err(|e| JobError::io("writing audio.wav")(e.into_error()))?;
        file.sync_all().map_err(JobError::io("syncing audio.wav"))
    }
}
