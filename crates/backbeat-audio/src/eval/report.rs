//! Per-file evaluation and the aggregate report.
//!
//! Policy (identical in `bench/compare.py`): a file that failed to analyse, or gave no estimate,
//! counts as wrong for every metric it has a label for (it stays in n), and failures are listed.
//! Loudness and true peak are compared only on files whose reference is above -70 LUFS, the
//! BS.1770 absolute gate (below it integrated loudness is undefined).

use serde::Serialize;

use super::beats::{beat_f_measure, BEAT_WINDOW_SECS};
use super::keys::{mirex_relation, KeyLabel, KeyRelation};
use super::labels::{Label, SpeechLabel};
use super::tempo::{curve_hits, tempo_acc1, tempo_acc2};
use crate::rhythm::TempoPoint;
use crate::Analysis;

/// Decision threshold on the speech and vocal probabilities.
pub const PROBABILITY_THRESHOLD: f64 = 0.5;
/// BS.1770 absolute gate (LUFS): references at or below it are left out of loudness figures.
pub const LOUDNESS_FLOOR_LUFS: f64 = -70.0;

/// What an analyser estimated for one file (`None` = no estimate).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Prediction {
    /// Tempo (BPM).
    pub bpm: Option<f64>,
    /// The tempo estimate's confidence in [0, 1].
    pub bpm_confidence: Option<f64>,
    /// Beat times (s).
    pub beats: Vec<f64>,
    /// The tempo curve: (time s, BPM) points.
    pub tempo_curve: Vec<(f64, f64)>,
    /// Key.
    pub key: Option<KeyLabel>,
    /// Integrated loudness (LUFS).
    pub lufs: Option<f64>,
    /// True peak (dBTP).
    pub true_peak_db: Option<f64>,
    /// Probability of speech.
    pub speech_probability: Option<f64>,
    /// Probability of sung vocals.
    pub vocal_probability: Option<f64>,
}

impl Prediction {
    /// The estimates of a Backbeat analysis.
    pub fn from_analysis(a: &Analysis) -> Self {
        Prediction {
            bpm: a.rhythm.bpm,
            bpm_confidence: a.rhythm.bpm.map(|_| a.rhythm.confidence),
            beats: a.rhythm.beats.clone(),
            tempo_curve: Self::curve_pairs(&a.rhythm.tempo_curve),
            key: a.key.as_ref().map(KeyLabel::from_key),
            lufs: a.loudness.integrated_lufs,
            true_peak_db: a.loudness.true_peak_dbtp,
            speech_probability: Some(a.content.speech_probability),
            vocal_probability: Some(a.content.vocal_probability),
        }
    }

    /// A tempo curve as the (time s, BPM) pairs a prediction holds.
    pub fn curve_pairs(curve: &[TempoPoint]) -> Vec<(f64, f64)> {
        curve.iter().map(|p| (p.time, p.bpm)).collect()
    }
}

/// The evaluation of one file; a field is `None` when the file has no label for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileEval {
    /// Audio file as named in the labels file.
    pub path: String,
    /// Why the analysis failed, if it did.
    pub error: Option<String>,
    /// Annotated and estimated tempo.
    pub bpm: Option<(f64, Option<f64>)>,
    /// The tempo estimate's confidence (files with a tempo label and estimate).
    pub bpm_confidence: Option<f64>,
    /// Tempo within 4 %.
    pub acc1: Option<bool>,
    /// Tempo within 4 % of 1, 2, 3, 1/2 or 1/3 times the annotation.
    pub acc2: Option<bool>,
    /// Beat F-measure (±70 ms).
    pub beat_f: Option<f64>,
    /// Tempo-curve points within 4 % of the annotated beats' local tempo, and points scored.
    pub curve: Option<(usize, usize)>,
    /// Annotated key, estimated key and their MIREX relation.
    pub key: Option<(String, Option<String>, KeyRelation)>,
    /// |estimated − reference| integrated loudness (LU); `Some(None)` = no estimate.
    pub lufs_abs_diff: Option<Option<f64>>,
    /// |estimated − reference| true peak (dB); `Some(None)` = no estimate.
    pub true_peak_abs_diff: Option<Option<f64>>,
    /// Speech label and whether the thresholded probability agrees (`mixed`: said speech?).
    pub speech: Option<(SpeechLabel, bool)>,
    /// Whether the thresholded vocal probability agrees with the label.
    pub vocal_correct: Option<bool>,
}

/// Score one file's `prediction` (or its analysis `error`) against its `label`.
///
/// `reference_beats` are the annotated beats when the label names a beats file.
pub fn evaluate_file(
    label: &Label,
    reference_beats: Option<&[f64]>,
    prediction: Result<&Prediction, &str>,
) -> FileEval {
    let empty = Prediction::default();
    let (p, error) = match prediction {
        Ok(p) => (p, None),
        Err(e) => (&empty, Some(e.to_string())),
    };
    let said = |prob: Option<f64>| prob.is_some_and(|x| x >= PROBABILITY_THRESHOLD);
    let loud_ref = label.lufs.filter(|&l| l > LOUDNESS_FLOOR_LUFS);
    let abs_diff = |est: Option<f64>, reference: f64| est.map(|e| (e - reference).abs());
    FileEval {
        path: label.path.clone(),
        error,
        bpm: label.bpm.map(|r| (r, p.bpm)),
        bpm_confidence: label.bpm.and(p.bpm).and(p.bpm_confidence),
        acc1: label.bpm.map(|r| p.bpm.is_some_and(|e| tempo_acc1(r, e))),
        acc2: label.bpm.map(|r| p.bpm.is_some_and(|e| tempo_acc2(r, e))),
        beat_f: reference_beats.map(|r| beat_f_measure(r, &p.beats, BEAT_WINDOW_SECS)),
        curve: reference_beats.map(|r| curve_hits(p.tempo_curve.iter().copied(), r)),
        key: label.key.map(|r| {
            let rel = mirex_relation(r, p.key);
            (r.name(), p.key.map(|k| k.name()), rel)
        }),
        lufs_abs_diff: loud_ref.map(|r| abs_diff(p.lufs, r)),
        true_peak_abs_diff: loud_ref
            .and(label.true_peak_db)
            .map(|r| abs_diff(p.true_peak_db, r)),
        speech: label.speech.map(|s| {
            let yes = said(p.speech_probability);
            let ok = match s {
                SpeechLabel::Yes | SpeechLabel::Mixed => yes,
                SpeechLabel::No => !yes,
            };
            (s, ok)
        }),
        vocal_correct: label.vocal.map(|v| v == said(p.vocal_probability)),
    }
}

/// Aggregate figures over a labelled set (see [`Report::from_files`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Files in the labels file.
    pub files: usize,
    /// Files whose analysis failed, with the reason.
    pub failures: Vec<(String, String)>,
    /// Tempo: files with an annotated tempo, and how many are correct under ACC1 and ACC2.
    pub tempo: Rate2,
    /// How well the tempo confidence tells right answers from wrong ones.
    pub tempo_confidence: ConfidenceSeparation,
    /// Mean beat F-measure and number of files with annotated beats.
    pub beat_f: Mean,
    /// Tempo-curve points (pooled over files with annotated beats) within 4 % of the local
    /// annotated tempo.
    pub tempo_curve: Rate,
    /// Key: MIREX weighted score, files with a key label, counts per relation.
    pub key: KeyFigures,
    /// |Δ integrated loudness| (LU) over files above -70 LUFS.
    pub loudness: Diff,
    /// |Δ true peak| (dB) over files above -70 LUFS with a true-peak reference.
    pub true_peak: Diff,
    /// Speech accuracy over `yes`/`no` files.
    pub speech: Rate,
    /// `mixed` files: how many, and how many were called speech.
    pub speech_mixed: (usize, usize),
    /// Vocal accuracy over `yes`/`vocal` vs `no`/`instrumental` files.
    pub vocal: Rate,
}

/// How well a confidence separates right answers from wrong ones, as ROC-AUC: the chance that
/// a right answer, drawn at random, has the higher confidence than a wrong one (ties count
/// half). 0.5 is no separation; 1 is a threshold that splits them perfectly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ConfidenceSeparation {
    /// Right answers (tempo: ACC1) with a confidence.
    pub right: usize,
    /// Wrong only by a metrical factor (tempo: ACC2 but not ACC1).
    pub octave: usize,
    /// Wrong otherwise.
    pub wrong: usize,
    /// ROC-AUC of right against octave-wrong answers.
    pub auc_vs_octave: Option<f64>,
    /// ROC-AUC of right against every wrong answer.
    pub auc_vs_wrong: Option<f64>,
}

/// ROC-AUC of `positive` against `negative` scores (Mann–Whitney); `None` when either is empty.
pub fn roc_auc(positive: &[f64], negative: &[f64]) -> Option<f64> {
    if positive.is_empty() || negative.is_empty() {
        return None;
    }
    let mut wins = 0.0;
    for p in positive {
        for n in negative {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    Some(wins / (positive.len() * negative.len()) as f64)
}

/// A fraction of correct answers over n files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rate {
    /// Files counted.
    pub n: usize,
    /// Files correct.
    pub correct: usize,
}

/// ACC1 and ACC2 over the same files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rate2 {
    /// Files counted.
    pub n: usize,
    /// Files correct under ACC1.
    pub acc1: usize,
    /// Files correct under ACC2.
    pub acc2: usize,
}

/// The mean of a per-file score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Mean {
    /// Files counted.
    pub n: usize,
    /// Mean score (0 when n = 0).
    pub mean: f64,
}

/// Key figures: weighted score and the count of each MIREX relation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct KeyFigures {
    /// Files with a key label.
    pub n: usize,
    /// Mean MIREX weight.
    pub weighted: f64,
    /// Counts: same, fifth, relative, parallel, other.
    pub counts: [usize; 5],
    /// Files (among n) with no key estimate at all (counted as other).
    pub missing: usize,
}

/// Absolute differences to a reference: mean and max over files with an estimate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Diff {
    /// Files with a usable reference.
    pub n: usize,
    /// Of those, files without an estimate (left out of mean and max).
    pub missing: usize,
    /// Mean |Δ| over files with an estimate.
    pub mean: Option<f64>,
    /// Max |Δ| over files with an estimate.
    pub max: Option<f64>,
}
