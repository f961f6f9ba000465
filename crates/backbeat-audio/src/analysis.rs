//! The whole analysis of one file: decode once, feed every analyser, collect one record.
//!
//! Data flow (all streaming, one packet at a time):
//!
//! ```text
//! file ─► DecodedStream ─► interleaved f32 @ source rate ─┬─► LoudnessMeter (BS.1770 needs the
//!                                                          │   original channels and rate)
//!                                                          └─► MonoResampler ─► mono @ 22.05 kHz
//!                                                                ├─► RhythmAnalyzer
//!                                                                ├─► KeyAnalyzer
//!                                                                ├─► DynamicsAnalyzer
//!                                                                └─► ContentAnalyzer
//! ```
//!
//! A panic anywhere inside (decoder or analyser) is caught and becomes this file's
//! [`AudioError::Panic`], so one hostile file never takes a batch down.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use serde::Serialize;

use crate::content::{Content, ContentAnalyzer};
use crate::decode::{DecodeLimits, DecodedStream, SourceInfo};
use crate::dynamics::{Dynamics, DynamicsAnalyzer};
use crate::key::{Key, KeyAnalyzer};
use crate::loudness::{Loudness, LoudnessMeter};
use crate::resample::MonoResampler;
use crate::rhythm::{Rhythm, RhythmAnalyzer};
use crate::{AudioError, ANALYSIS_RATE};

/// Options for [`analyze_file`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AnalyzeOptions {
    /// Input limits (file size, duration, channels, sample rate).
    pub limits: DecodeLimits,
}

/// Every descriptor of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// File and stream facts.
    pub file: SourceInfo,
    /// Loudness, true peak and ReplayGain.
    pub loudness: Loudness,
    /// Tempo, confidence and beats.
    pub rhythm: Rhythm,
    /// Key; `None` when there is no tonal content.
    pub key: Option<Key>,
    /// RMS, crest, dynamic complexity, energy and danceability.
    pub dynamics: Dynamics,
    /// Speech and vocal probabilities.
    pub content: Content,
    /// Non-fatal problems met while decoding (for example skipped corrupt packets).
    pub warnings: Vec<String>,
}

/// Analyse one file, containing any panic as an error of that file.
pub fn analyze_file(path: &Path, opts: &AnalyzeOptions) -> Result<Analysis, AudioError> {
    match catch_unwind(AssertUnwindSafe(|| analyze_uncaught(path, opts))) {
        Ok(result) => result,
        Err(payload) => Err(AudioError::Panic(panic_message(payload.as_ref()))),
    }
}

fn analyze_uncaught(path: &Path, opts: &AnalyzeOptions) -> Result<Analysis, AudioError> {
    let mut stream = DecodedStream::open(path, opts.limits)?;
    let mut pipeline: Option<Analysers> = None;
    let mut mono = Vec::with_capacity(8192);
    while let Some(chunk) = stream.next_chunk()? {
        let a = match &mut pipeline {
            Some(a) => a,
            slot => slot.insert(Analysers::new(chunk.sample_rate, chunk.channels)?),
        };
        a.loudness.push_interleaved(chunk.samples);
        mono.clear();
        a.resampler.push_interleaved(chunk.samples, &mut mono)?;
        a.push_mono(&mono);
    }
    // `next_chunk` returns `ZeroLength` before this point when nothing decoded.
    let Some(mut a) = pipeline else {
        return Err(AudioError::ZeroLength);
    };
    mono.clear();
    a.resampler.flush(&mut mono)?;
    a.push_mono(&mono);

    let mut warnings = Vec::new();
    if stream.bad_packets() > 0 {
        warnings.push(format!(
            "{} corrupt or truncated packet(s) skipped while decoding",
            stream.bad_packets()
        ));
    }
    let rhythm = a.rhythm.finish();
    let dynamics = a.dynamics.finish(&rhythm);
    Ok(Analysis {
        file: stream.info().clone(),
        loudness: a.loudness.finish(),
        key: a.key.finish(),
        dynamics,
        content: a.content.finish(),
        rhythm,
        warnings,
    })
}

struct Analysers {
    loudness: LoudnessMeter,
    resampler: MonoResampler,
    rhythm: RhythmAnalyzer,
    key: KeyAnalyzer,
    dynamics: DynamicsAnalyzer,
    content: ContentAnalyzer,
}

impl Analysers {
    fn new(sample_rate: u32, channels: usize) -> Result<Self, AudioError> {
        Ok(Analysers {
            loudness: LoudnessMeter::new(sample_rate, channels),
            resampler: MonoResampler::new(sample_rate, channels, ANALYSIS_RATE)?,
            rhythm: RhythmAnalyzer::new(ANALYSIS_RATE),
            key: KeyAnalyzer::new(ANALYSIS_RATE),
            dynamics: DynamicsAnalyzer::new(ANALYSIS_RATE),
            content: ContentAnalyzer::new(ANALYSIS_RATE),
        })
    }

    fn push_mono(&mut self, mono: &[f32]) {
        if mono.is_empty() {
            return;
        }
        self.rhythm.push(mono);
        self.key.push(mono);
        self.dynamics.push(mono);
        self.content.push(mono);
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}
