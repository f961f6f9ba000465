//! Tagging a whole track: stream 16 kHz samples in, get mean tag probabilities and embeddings.
//!
//! Memory stays bounded whatever the duration: log-mel frames are computed as samples arrive
//! and only the frames of the patch being filled are kept (72 KB), one batch at a time. Patches are musicnn's: consecutive, non-overlapping 187-frame windows
//! starting at frame 0, a trailing partial window dropped — except that a track shorter than
//! one patch is zero-padded to one (musicnn's own code fails on such input).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::backend::{print_fallback_notice, Backend, BackendChoice, TaggerOptions};
use crate::mel::{MelFrame, MelFrontEnd, HOP};
use crate::model::{Model, ModelKind, EMBEDDING_DIM, PATCH_FRAMES, PATCH_LEN};
use crate::TaggerError;

/// Which patches of a track are tagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Every patch (musicnn's own behaviour): cost grows with duration.
    All,
    /// At most N patches, evenly spread over the track (each at the centre of one of N equal
    /// spans). Needs the track's length up front; without it every patch is tagged.
    Spread(usize),
}

/// The default: 11 patches (33 s of audio), the fewest whose top-5 tags agreed with all-patch
/// tagging on ≥ 90 % of the dev tracks (8: 89.7 %, 10: 88.8 %, 11: 91.6 %, 12: 92.5 %, 16:
/// 97.2 %) while a 4-minute track costs under 1 CPU-second with tract (docs/BENCHMARKS.md,
/// "Auto-tagging").
pub const DEFAULT_SAMPLING: Sampling = Sampling::Spread(11);

impl fmt::Display for Sampling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sampling::All => f.write_str("all"),
            Sampling::Spread(n) => write!(f, "spread:{n}"),
        }
    }
}

impl FromStr for Sampling {
    type Err = String;

    /// `all`, `N` or `spread:N` (N ≥ 1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("all") {
            return Ok(Sampling::All);
        }
        let n = s.strip_prefix("spread:").unwrap_or(s);
        match n.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Sampling::Spread(n)),
            _ => Err(format!(
                "patch sampling must be `all` or a number of patches ≥ 1, not `{s}`"
            )),
        }
    }
}

/// Complete patches in a stream of `frames` log-mel frames (at least one: short tracks are
/// padded).
pub fn patch_count(frames: u64) -> u64 {
    if frames < PATCH_FRAMES as u64 {
        1
    } else {
        (frames - PATCH_FRAMES as u64) / PATCH_FRAMES as u64 + 1
    }
}

/// The patch indices `sampling` picks among `total` patches, ascending.
pub fn pick_patches(sampling: Sampling, total: u64) -> Vec<u64> {
    match sampling {
        Sampling::Spread(n) if (n as u64) < total => (0..n as u64)
            .map(|k| ((2 * k + 1) * total) / (2 * n as u64))
            .collect(),
        _ => (0..total).collect(),
    }
}

/// Both musicnn models, ready to tag.
pub struct Tagger {
    models: [Model; 2],
}

impl Tagger {
    /// Default patches per model run.
    pub const DEFAULT_BATCH: usize = 1;

    /// Load both models from `models_dir` (see [`crate::default_models_dir`]) on the backend
    /// `$BACKBEAT_TAGGER_BACKEND` names (unset: `auto`).
    pub fn load(models_dir: &Path) -> Result<Self, TaggerError> {
        let options = TaggerOptions::from_env().map_err(TaggerError::Setting)?;
        Self::load_with(models_dir, &options)
    }

    /// Load both models as `options` say. With [`BackendChoice::Auto`], an ONNX Runtime
    /// library that is missing or does not load means tract, after a one-line notice on
    /// stderr (once per process); a model file that is missing or broken is an error on
    /// every backend.
    pub fn load_with(models_dir: &Path, options: &TaggerOptions) -> Result<Self, TaggerError> {
        let library = options.ort_library();
        let backend = match options.backend {
            BackendChoice::Tract => Backend::Tract,
            BackendChoice::Ort => {
                crate::model::start_ort(&library).map_err(TaggerError::Backend)?;
                Backend::Ort
            }
            BackendChoice::Auto => match crate::model::start_ort(&library) {
                Ok(()) => Backend::Ort,
                Err(reason) => {
                    print_fallback_notice(&reason);
                    Backend::Tract
                }
            },
        };
        let load = |kind| Model::load_on(kind, models_dir, options.batch, backend, Some(&library));
        Ok(Tagger {
            models: [load(ModelKind::Mtt)?, load(ModelKind::Msd)?],
        })
    }

    /// The engine running the models.
    pub fn backend(&self) -> Backend {
        self.models[0].backend()
    }

    /// Start tagging one track. `expected_samples` (at 16 kHz) lets [`Sampling::Spread`] place
    /// its patches before the audio has been seen; `None` tags every patch.
    pub fn session(&self, sampling: Sampling, expected_samples: Option<u64>) -> TagSession<'_> {
        TagSession::new(self, sampling, expected_samples)
    }

    /// Tag a whole signal already in memory (16 kHz mono).
    pub fn tag(&self, samples: &[f32], sampling: Sampling) -> Result<RawTags, TaggerError> {
        let mut session = self.session(sampling, Some(samples.len() as u64));
        session.push(samples)?;
        session.finish()
    }

    fn batch(&self) -> usize {
        self.models[0].batch()
    }
}

/// Mean outputs of both models over the tagged patches.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTags {
    /// Sampling asked for.
    pub sampling: Sampling,
    /// Patches run through the models.
    pub patches_used: u64,
    /// Patches in the track.
    pub patches_total: u64,
    /// Mean MTT tag probabilities (50, [`crate::labels::MTT_LABELS`] order).
    pub mtt: Vec<f32>,
    /// Mean MSD tag probabilities (50, [`crate::labels::MSD_LABELS`] order).
    pub msd: Vec<f32>,
    /// Mean penultimate activations, MTT's 200 then MSD's 200.
    pub embedding: Vec<f32>,
    /// The engine that ran the models.
    pub backend: Backend,
    /// True when the tagged audio was digital silence (every log-mel value zero): the models
    /// still answer, but the tags mean nothing, and the grouped results are left empty.
    pub silent: bool,
}

/// Tagging of one track in progress.
pub struct TagSession<'a> {
    tagger: &'a Tagger,
    mel: MelFrontEnd,
    acc: Accumulator<'a>,
}

struct Accumulator<'a> {
    tagger: &'a Tagger,
    sampling: Sampling,
    /// Patches to run (ascending); `None` = all.
    wanted: Option<Vec<u64>>,
    next_wanted: usize,
    frames: u64,
    /// Frames of the patch being filled, when it is wanted.
    batch: Vec<f32>,
    rows: usize,
    /// The last complete patch, kept when sampling so that a length estimate that was too
    /// long cannot leave a track with no patch at all.
    last_patch: Vec<f32>,
    current: Vec<f32>,
    sums_tags: [Vec<f64>; 2],
    sums_embedding: [Vec<f64>; 2],
    used: u64,
    loudest: f32,
    error: Option<TaggerError>,
}

impl<'a> TagSession<'a> {
    fn new(tagger: &'a Tagger, sampling: Sampling, expected_samples: Option<u64>) -> Self {
        let wanted = match (sampling, expected_samples) {
            (Sampling::Spread(_), Some(n)) => {
                let frames = n / HOP as u64 + 1;
                Some(pick_patches(sampling, patch_count(frames)))
            }
            _ => None,
        };
        let batch = tagger.batch();
        TagSession {
            tagger,
            mel: MelFrontEnd::new(),
            acc: Accumulator {
                tagger,
                sampling,
                wanted,
                next_wanted: 0,
                frames: 0,
                batch: Vec::with_capacity(batch * PATCH_LEN),
                rows: 0,
                last_patch: Vec::new(),
                current: Vec::with_capacity(PATCH_LEN),
                sums_tags: [vec![0.0; 50], vec![0.0; 50]],
                sums_embedding: [vec![0.0; EMBEDDING_DIM], vec![0.0; EMBEDDING_DIM]],
                used: 0,
                loudest: 0.0,
                error: None,
            },
        }
    }

    /// Add 16 kHz mono samples. Non-finite samples are refused with an error.
    pub fn push(&mut self, samples: &[f32]) -> Result<(), TaggerError> {
        let acc = &mut self.acc;
        self.mel.push(samples, |frame| acc.frame(frame))?;
        match acc.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Finish the track and return the mean tags.
    pub fn finish(self) -> Result<RawTags, TaggerError> {
        let TagSession { mel, mut acc, .. } = self;
        mel.finish(|frame| acc.frame(frame))?;
        if let Some(e) = acc.error.take() {
            return Err(e);
        }
        acc.finish()
    }

    /// The tagger this session runs on.
    pub fn tagger(&self) -> &Tagger {
        self.tagger
    }
}

impl Accumulator<'_> {
    fn wants(&self, patch: u64) -> bool {
        match &self.wanted {
            None => true,
            Some(w) => w.get(self.next_wanted) == Some(&patch),
        }
    }

    fn frame(&mut self, frame: &MelFrame) {
        if self.error.is_some() {
            return;
        }
        let patch = self.frames / PATCH_FRAMES as u64;
        let pos = (self.frames % PATCH_FRAMES as u64) as usize;
        self.frames += 1;
        self.loudest = frame.iter().fold(self.loudest, |m, &v| m.max(v));
        let keep_for_fallback = self.wanted.is_some() && self.used == 0 && self.rows == 0;
        if self.wants(patch) || keep_for_fallback {
            if pos == 0 {
                self.current.clear();
            }
            self.current.extend_from_slice(frame);
            if pos + 1 == PATCH_FRAMES {
                if self.wants(patch) {
                    self.next_wanted += 1;
                    let current = std::mem::take(&mut self.current);
                    self.add_patch(&current);
                    self.current = current;
                } else {
                    std::mem::swap(&mut self.last_patch, &mut self.current);
                }
            }
        }
    }

    fn add_patch(&mut self, patch: &[f32]) {
        self.batch.extend_from_slice(patch);
        self.rows += 1;
        if self.rows == self.tagger.batch() {
            if let Err(e) = self.run_batch() {
                self.error = Some(e);
            }
        }
    }

    fn run_batch(&mut self) -> Result<(), TaggerError> {
        if self.rows == 0 {
            return Ok(());
        }
        let rows = self.rows;
        self.batch.resize(self.tagger.batch() * PATCH_LEN, 0.0);
        for (m, model) in self.tagger.models.iter().enumerate() {
            let out = model.run(&self.batch)?;
            let n_tags = model.kind().labels().len();
            for row in 0..rows {
                for (s, &v) in self.sums_tags[m]
                    .iter_mut()
                    .zip(&out.tags[row * n_tags..(row + 1) * n_tags])
                {
                    *s += f64::from(v);
                }
                let e = &out.embedding[row * EMBEDDING_DIM..(row + 1) * EMBEDDING_DIM];
                for (s, &v) in self.sums_embedding[m].iter_mut().zip(e) {
                    *s += f64::from(v);
                }
            }
        }
        self.used += rows as u64;
        self.rows = 0;
        self.batch.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<RawTags, TaggerError> {
        let total = patch_count(self.frames);
        if self.used == 0 && self.rows == 0 {
            // Shorter than one patch (pad what there is), or a sampling plan that pointed past
            // the real end (use the last complete patch).
            let mut patch = if self.frames >= PATCH_FRAMES as u64 && !self.last_patch.is_empty() {
                std::mem::take(&mut self.last_patch)
            } else {
                std::mem::take(&mut self.current)
            };
            patch.resize(PATCH_LEN, 0.0);
            self.add_patch(&patch);
            if let Some(e) = self.error.take() {
                return Err(e);
            }
        }
        self.run_batch()?;
        let n = self.used as f64;
        let mean = |v: &[f64]| v.iter().map(|&s| (s / n) as f32).collect::<Vec<f32>>();
        let mut embedding = mean(&self.sums_embedding[0]);
        embedding.extend(mean(&self.sums_embedding[1]));
        Ok(RawTags {
            sampling: self.sampling,
            patches_used: self.used,
            patches_total: total,
            mtt: mean(&self.sums_tags[0]),
            msd: mean(&self.sums_tags[1]),
            embedding,
            backend: self.tagger.backend(),
            silent: self.loudest <= 0.0,
        })
    }
}
