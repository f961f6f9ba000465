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

use serde::{Deserialize, Serialize};

use crate::content::{Content, ContentAnalyzer, SegmentFeatures};
use crate::decode::{DecodeLimits, DecodedStream, SourceInfo};
use crate::dynamics::{Dynamics, DynamicsAnalyzer};
use crate::key::{Folded, Key, KeyAnalyzer};
use crate::loudness::{Loudness, LoudnessMeter};
use crate::resample::MonoResampler;
use crate::rhythm::{Rhythm, RhythmAnalyzer, RhythmFeatures};
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
        Err(payload) => Err(AudioError::from_panic(payload.as_ref())),
    }
}

fn analyze_uncaught(path: &Path, opts: &AnalyzeOptions) -> Result<Analysis, AudioError> {
    Ok(analyze_with_features_uncaught(path, opts)?.0)
}

/// [`analyze_file`] and what its tempo and key decisions worked from ([`DecisionFeatures`]), for
/// an evaluation that tries other decision parameters without decoding again.
pub fn analyze_file_with_features(
    path: &Path,
    opts: &AnalyzeOptions,
) -> Result<(Analysis, DecisionFeatures), AudioError> {
    match catch_unwind(AssertUnwindSafe(|| {
        analyze_with_features_uncaught(path, opts)
    })) {
        Ok(result) => result,
        Err(payload) => Err(AudioError::from_panic(payload.as_ref())),
    }
}

fn analyze_with_features_uncaught(
    path: &Path,
    opts: &AnalyzeOptions,
) -> Result<(Analysis, DecisionFeatures), AudioError> {
    let mut mono_analysers = MonoAnalysers::new();
    let decoded = decode_uncaught(
        path,
        opts,
        |_| {},
        |_, _, _| {},
        |mono| mono_analysers.push(mono),
    )?;
    let (mono, features) = mono_analysers.finish_with_features();
    Ok((decoded.with(mono), features))
}

/// What the tempo, key and content decisions of one file worked from.
#[derive(Debug, Clone)]
pub struct DecisionFeatures {
    pub rhythm: RhythmFeatures,
    /// The tuning-corrected pitch-class profile; `None` without tonal content.
    pub pitch_classes: Option<Folded>,
    /// The ≈1 s segments' features the speech and vocal models scored, silent ones included
    /// (their `level_db` says so).
    pub content_segments: Vec<SegmentFeatures>,
}

/// What decoding a file at its source rate yields besides the mono signal: the file's facts,
/// its loudness (BS.1770 needs the original channels and rate) and decoding warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decoded {
    /// File and stream facts.
    pub file: SourceInfo,
    /// Loudness, true peak and ReplayGain.
    pub loudness: Loudness,
    /// Non-fatal problems met while decoding.
    pub warnings: Vec<String>,
}

impl Decoded {
    /// The whole analysis, from this and the descriptors of the mono signal.
    pub fn with(self, mono: MonoDescriptors) -> Analysis {
        Analysis {
            file: self.file,
            loudness: self.loudness,
            rhythm: mono.rhythm,
            key: mono.key,
            dynamics: mono.dynamics,
            content: mono.content,
            warnings: self.warnings,
        }
    }
}

/// Decodes `path` once, measuring loudness at the source rate and handing the mono signal at
/// [`ANALYSIS_RATE`] to `sink` piece by piece; a panic becomes [`AudioError::Panic`].
///
/// This is the first half of [`analyze_file`]; the processing pipeline runs the two halves as
/// separate jobs (`downsample`, then `analyze`), so a stored mono signal can be re-analysed
/// without decoding the upload again.
pub fn decode_for_analysis(
    path: &Path,
    opts: &AnalyzeOptions,
    mut sink: impl FnMut(&[f32]),
) -> Result<Decoded, AudioError> {
    decode_for_analysis_with(path, opts, |_| {}, |_, _, _| {}, &mut sink)
}

/// [`decode_for_analysis`], also telling `on_open` the stream's facts (rate, channels, the
/// declared duration when the container has one) before the first samples arrive — consumers
/// that plan over the whole track (the tagger's patch sampling) need the length up front — and
/// handing `source` every decoded chunk as it came out of the decoder (interleaved samples,
/// their rate and channel count — those of the decoded stream, which can differ from the
/// header's), for consumers that resample to a rate of their own (the tagger's 16 kHz) rather
/// than from the analysis rate.
pub fn decode_for_analysis_with(
    path: &Path,
    opts: &AnalyzeOptions,
    on_open: impl FnOnce(&SourceInfo),
    mut source: impl FnMut(&[f32], u32, usize),
    mut sink: impl FnMut(&[f32]),
) -> Result<Decoded, AudioError> {
    match catch_unwind(AssertUnwindSafe(|| {
        decode_uncaught(path, opts, on_open, &mut source, &mut sink)
    })) {
        Ok(result) => result,
        Err(payload) => Err(AudioError::from_panic(payload.as_ref())),
    }
}

fn decode_uncaught(
    path: &Path,
    opts: &AnalyzeOptions,
    on_open: impl FnOnce(&SourceInfo),
    mut source: impl FnMut(&[f32], u32, usize),
    mut sink: impl FnMut(&[f32]),
) -> Result<Decoded, AudioError> {
    let mut stream = DecodedStream::open(path, opts.limits)?;
    on_open(stream.info());
    let mut front: Option<(LoudnessMeter, MonoResampler)> = None;
    let mut mono = Vec::with_capacity(8192);
    while let Some(chunk) = stream.next_chunk()? {
        let (loudness, resampler) = match &mut front {
            Some(f) => f,
            slot => slot.insert((
                LoudnessMeter::new(chunk.sample_rate, chunk.channels),
                MonoResampler::new(chunk.sample_rate, chunk.channels, ANALYSIS_RATE)?,
            )),
        };
        loudness.push_interleaved(chunk.samples);
        source(chunk.samples, chunk.sample_rate, chunk.channels);
        mono.clear();
        resampler.push_interleaved(chunk.samples, &mut mono)?;
        if !mono.is_empty() {
            sink(&mono);
        }
    }
    // `next_chunk` returns `ZeroLength` before this point when nothing decoded.
    let Some((loudness, mut resampler)) = front else {
        return Err(AudioError::ZeroLength);
    };
    mono.clear();
    resampler.flush(&mut mono)?;
    if !mono.is_empty() {
        sink(&mono);
    }
    let mut warnings = Vec::new();
    if stream.bad_packets() > 0 {
        warnings.push(format!(
            "{} corrupt or truncated packet(s) skipped while decoding",
            stream.bad_packets()
        ));
    }
    Ok(Decoded {
        file: stream.info().clone(),
        loudness: loudness.finish(),
        warnings,
    })
}

/// The descriptors computed from the mono signal at [`ANALYSIS_RATE`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonoDescriptors {
    /// Tempo, confidence and beats.
    pub rhythm: Rhythm,
    /// Key; `None` when there is no tonal content.
    pub key: Option<Key>,
    /// RMS, crest, dynamic complexity, energy and danceability.
    pub dynamics: Dynamics,
    /// Speech and vocal probabilities.
    pub content: Content,
}

/// The analysers of the mono signal, fed piece by piece (any piece sizes give the same result).
pub struct MonoAnalysers {
    rhythm: RhythmAnalyzer,
    key: KeyAnalyzer,
    dynamics: DynamicsAnalyzer,
    content: ContentAnalyzer,
}

impl Default for MonoAnalysers {
    fn default() -> Self {
        Self::new()
    }
}

impl MonoAnalysers {
    /// Analysers for a signal at [`ANALYSIS_RATE`].
    pub fn new() -> Self {
        MonoAnalysers {
            rhythm: RhythmAnalyzer::new(ANALYSIS_RATE),
            key: KeyAnalyzer::new(ANALYSIS_RATE),
            dynamics: DynamicsAnalyzer::new(ANALYSIS_RATE),
            content: ContentAnalyzer::new(ANALYSIS_RATE),
        }
    }

    /// Feeds the next piece of the signal.
    pub fn push(&mut self, mono: &[f32]) {
        if mono.is_empty() {
            return;
        }
        self.rhythm.push(mono);
        self.key.push(mono);
        self.dynamics.push(mono);
        self.content.push(mono);
    }

    /// The descriptors of everything fed.
    pub fn finish(self) -> MonoDescriptors {
        let rhythm = self.rhythm.finish();
        let dynamics = self.dynamics.finish(&rhythm);
        MonoDescriptors {
            key: self.key.finish(),
            dynamics,
            content: self.content.finish(),
            rhythm,
        }
    }

    /// [`finish`](Self::finish) and what the tempo and key decisions worked from.
    pub fn finish_with_features(self) -> (MonoDescriptors, DecisionFeatures) {
        let (rhythm, rhythm_features) = self.rhythm.finish_with_envelope();
        let (key, pitch_classes) = self.key.finish_with_profile();
        let dynamics = self.dynamics.finish(&rhythm);
        let content_segments = self.content.segment_features();
        let mono = MonoDescriptors {
            key,
            dynamics,
            content: self.content.finish(),
            rhythm,
        };
        let features = DecisionFeatures {
            rhythm: rhythm_features,
            pitch_classes,
            content_segments,
        };
        (mono, features)
    }
}

/// Analyses a whole mono signal at [`ANALYSIS_RATE`], containing any panic.
pub fn analyze_mono(mono: &[f32]) -> Result<MonoDescriptors, AudioError> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut a = MonoAnalysers::new();
        // The decoder hands pieces of a few thousand samples; the same here keeps per-push
        // buffers small.
        for piece in mono.chunks(8192) {
            a.push(piece);
        }
        a.finish()
    }))
    .map_err(|payload| AudioError::from_panic(payload.as_ref()))
}
