//! Tagging as a consumer of Backbeat's decode: decoded samples at any rate and channel count
//! are mixed to mono and resampled to the models' 16 kHz on the fly (nothing to do for 16 kHz
//! mono), so one decode feeds the descriptors and the tagger, and the result is a
//! serialisable [`TrackTags`].
//!
//! `analyze --tags` feeds the decoder's own samples, which is what the reference (librosa
//! loading the file at 16 kHz) sees; the pipeline's `tag` job feeds the stored 22,050 Hz
//! analysis signal, one resampling more (tags move by up to ~1e-3, see docs/BENCHMARKS.md).

use backbeat_audio::resample::MonoResampler;
use serde::Serialize;

use crate::groups::{group, Grouped, Thresholds};
use crate::mel::SAMPLE_RATE;
use crate::model::ModelKind;
use crate::tagger::{RawTags, Sampling, TagSession, Tagger};
use crate::TaggerError;

/// A track being tagged from the analysis-rate stream.
pub struct StreamTagging<'a> {
    session: TagSession<'a>,
    resampler: MonoResampler,
    buf: Vec<f32>,
    source_rate: Option<u32>,
}

impl<'a> StreamTagging<'a> {
    /// Samples will arrive interleaved at `input_rate` Hz with `channels` channels.
    /// `expected_secs` (the container's declared duration) places spread patches up front;
    /// `source_rate` is the file's own rate, to warn when it is below the models' 16 kHz.
    pub fn new(
        tagger: &'a Tagger,
        sampling: Sampling,
        expected_secs: Option<f64>,
        (input_rate, channels): (u32, usize),
        source_rate: Option<u32>,
    ) -> Result<Self, TaggerError> {
        let expected = expected_secs
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| (s * f64::from(SAMPLE_RATE)) as u64);
        let resampler = MonoResampler::new(input_rate, channels, SAMPLE_RATE)
            .map_err(|e| TaggerError::Inference(format!("resampler: {e}")))?;
        Ok(StreamTagging {
            session: tagger.session(sampling, expected),
            resampler,
            buf: Vec::with_capacity(8192),
            source_rate,
        })
    }

    /// Add interleaved samples at the input rate.
    pub fn push(&mut self, samples: &[f32]) -> Result<(), TaggerError> {
        self.buf.clear();
        self.resampler
            .push_interleaved(samples, &mut self.buf)
            .map_err(|e| TaggerError::Inference(format!("resampler: {e}")))?;
        self.session.push(&self.buf)
    }

    /// Finish: raw probabilities, grouped tags and warnings.
    pub fn finish(mut self, thresholds: &Thresholds) -> Result<TrackTags, TaggerError> {
        self.buf.clear();
        self.resampler
            .flush(&mut self.buf)
            .map_err(|e| TaggerError::Inference(format!("resampler: {e}")))?;
        self.session.push(&self.buf)?;
        let raw = self.session.finish()?;
        Ok(TrackTags::new(raw, thresholds, self.source_rate))
    }
}

/// Everything the tagger says about one track, as stored and printed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackTags {
    /// `all` or `spread:N`.
    pub sampling: String,
    /// The engine that ran the models: `ort` or `tract`.
    pub backend: &'static str,
    pub patches_used: u64,
    pub patches_total: u64,
    #[serde(flatten)]
    pub grouped: Grouped,
    /// Mean probability of every raw tag, per model, in the model's label order.
    pub raw: RawByModel,
    /// Label names for `raw`.
    pub labels: LabelsByModel,
    /// Mean penultimate activations (MTT 200, then MSD 200), for similarity search.
    pub embedding: Vec<f32>,
    /// The audio was digital silence: no grouped tags.
    pub silent: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawByModel {
    #[serde(rename = "MTT_musicnn")]
    pub mtt: Vec<f32>,
    #[serde(rename = "MSD_musicnn")]
    pub msd: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelsByModel {
    #[serde(rename = "MTT_musicnn")]
    pub mtt: &'static [&'static str],
    #[serde(rename = "MSD_musicnn")]
    pub msd: &'static [&'static str],
}

impl TrackTags {
    pub fn new(raw: RawTags, thresholds: &Thresholds, source_rate: Option<u32>) -> Self {
        let mut warnings = Vec::new();
        if let Some(rate) = source_rate.filter(|&r| r < SAMPLE_RATE) {
            warnings.push(format!(
                "source sample rate {rate} Hz is below the models' {SAMPLE_RATE} Hz: there is no \
                 content above {} Hz and the tags are less reliable",
                rate / 2
            ));
        }
        if raw.silent {
            warnings.push("the audio is silent: no tags".to_string());
        }
        TrackTags {
            sampling: raw.sampling.to_string(),
            backend: raw.backend.name(),
            patches_used: raw.patches_used,
            patches_total: raw.patches_total,
            grouped: group(&raw, thresholds),
            raw: RawByModel {
                mtt: raw.mtt,
                msd: raw.msd,
            },
            labels: LabelsByModel {
                mtt: ModelKind::Mtt.labels().as_slice(),
                msd: ModelKind::Msd.labels().as_slice(),
            },
            embedding: raw.embedding,
            silent: raw.silent,
            warnings,
        }
    }
}
