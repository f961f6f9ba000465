//! Agreement among the answers to one item, for routing: the mean over all pairs of answers of
//! an agreement in [0, 1] that fits the question.
//!
//! | question | pair agreement |
//! |---|---|
//! | single choice | 1 if equal, else 0 |
//! | tags | 1 − MASI or 1 − Jaccard distance (the question's `distance`) |
//! | number, `bpm` | 1 if the tempi agree within 4 % at an octave, else 0 |
//! | number, `interval`/`ratio` | 1 within 5 % of the question's range, then linearly down to 0 at 20 % |
//! | key | MIREX score |
//! | rating | `1 − |a − b|/(max − min)` |
//! | regions | F1 of the IoU matching at 0.5 |
//! | markers | F-measure at ±70 ms |
//! | text | not scored: `None` |
//!
//! Why a tolerance band for numbers rather than `1 − |a − b|/range`: a range is usually much
//! wider than the values in use (a BPM-like range 30–300 for values near 120), so a plain
//! linear score would call 100 against 140 "85 % agreement"; a band of 5 % of the range counts
//! rounding and taste as agreement, and the decay over the next 15 % keeps "close" above
//! "far" so routing can rank items. Ratio-scale questions use the same band: a per-item score
//! needs one reading of "close", and the question's range is the one the schema states.
//!
//! Pairs are over *answers*, so an item with 5 answers has 10 pairs. Answers of another kind
//! than the question's (which the schema would have refused) are left out. `None` when fewer
//! than two answers remain or the question is not scored. Markers are grouped and sorted once
//! per answer, so 5 answers of 200 markers cost 5 sorts and 10 linear scans.

use super::distance::{bpm_agree, jaccard_distance, masi_distance, mirex_key_score};
use super::markers::{LabelledTimes, MARKER_WINDOW_SECS};
use super::regions::{region_scores, DEFAULT_IOU_THRESHOLD};
use crate::answer::Value;
use crate::schema::{NumberDistance, QuestionKind, SetDistance};

/// Share of a number question's range within which two answers agree fully.
pub const NUMBER_TOLERANCE: f64 = 0.05;

/// Share of the range at which agreement on a number has decayed to 0.
pub const NUMBER_ZERO_AT: f64 = 0.20;

/// Mean pairwise agreement of one item's answers to a question (see the module).
pub fn item_agreement(kind: &QuestionKind, answers: &[&Value]) -> Option<f64> {
    match kind {
        QuestionKind::Markers { .. } => {
            let prepared: Vec<LabelledTimes<'_>> = answers
                .iter()
                .filter_map(|v| match v {
                    Value::Markers(m) => Some(LabelledTimes::new(m)),
                    _ => None,
                })
                .collect();
            mean_pairwise(&prepared, |a, b| a.f_measure(b, MARKER_WINDOW_SECS))
        }
        QuestionKind::Text { .. } => None,
        _ => {
            let fitting: Vec<&Value> = answers.iter().copied().filter(|v| fits(kind, v)).collect();
            mean_pairwise(&fitting, |a, b| value_agreement(kind, a, b).unwrap_or(0.0))
        }
    }
}

/// Agreement in [0, 1] of two answers to a question; `None` for text, or when either answer
/// is not of the question's kind.
pub fn value_agreement(kind: &QuestionKind, a: &Value, b: &Value) -> Option<f64> {
    let score = match (kind, a, b) {
        (QuestionKind::SingleChoice { .. }, Value::Choice(x), Value::Choice(y)) => {
            f64::from(u8::from(x == y))
        }
        (QuestionKind::MultiLabel { distance, .. }, Value::Tags(x), Value::Tags(y)) => {
            1.0 - match distance {
                SetDistance::Masi => masi_distance(x, y),
                SetDistance::Jaccard => jaccard_distance(x, y),
            }
        }
        (QuestionKind::Number { min, max, distance }, Value::Number(x), Value::Number(y)) => {
            match distance {
                NumberDistance::Bpm => f64::from(u8::from(bpm_agree(*x, *y))),
                NumberDistance::Interval | NumberDistance::Ratio => {
                    number_agreement(*x, *y, max - min)
                }
            }
        }
        (QuestionKind::Key, Value::Key(x), Value::Key(y)) => mirex_key_score(*x, *y),
        (QuestionKind::Rating { min, max }, Value::Number(x), Value::Number(y)) => {
            let range = (*max as f64) - (*min as f64);
            if x == y {
                1.0
            } else if range > 0.0 && x.is_finite() && y.is_finite() {
                (1.0 - (x - y).abs() / range).clamp(0.0, 1.0)
            } else {
                0.0
            }
        }
        (QuestionKind::Regions { .. }, Value::Regions(x), Value::Regions(y)) => {
            region_scores(x, y, DEFAULT_IOU_THRESHOLD).f1
        }
        (QuestionKind::Markers { .. }, Value::Markers(x), Value::Markers(y)) => {
            LabelledTimes::new(x).f_measure(&LabelledTimes::new(y), MARKER_WINDOW_SECS)
        }
        _ => return None,
    };
    Some(score)
}

/// Whether a value is of the kind a (scored) question asks for.
pub(crate) fn fits(kind: &QuestionKind, value: &Value) -> bool {
    matches!(
        (kind, value),
        (QuestionKind::SingleChoice { .. }, Value::Choice(_))
            | (QuestionKind::MultiLabel { .. }, Value::Tags(_))
            | (
                QuestionKind::Number { .. } | QuestionKind::Rating { .. },
                Value::Number(_)
            )
            | (QuestionKind::Key, Value::Key(_))
            | (QuestionKind::Regions { .. }, Value::Regions(_))
            | (QuestionKind::Markers { .. }, Value::Markers(_))
    )
}

/// Number agreement: 1 within [`NUMBER_TOLERANCE`] of the range, linear down to 0 at
/// [`NUMBER_ZERO_AT`]. A degenerate range (max ≤ min) leaves only equality.
fn number_agreement(x: f64, y: f64, range: f64) -> f64 {
    if x == y {
        return 1.0;
    }
    if range <= 0.0 || !range.is_finite() || !x.is_finite() || !y.is_finite() {
        return 0.0;
    }
    let share = (x - y).abs() / range;
    if share <= NUMBER_TOLERANCE {
        1.0
    } else {
        (1.0 - (share - NUMBER_TOLERANCE) / (NUMBER_ZERO_AT - NUMBER_TOLERANCE)).clamp(0.0, 1.0)
    }
}

/// Mean of `f` over all unordered pairs; `None` for fewer than two items.
pub(crate) fn mean_pairwise<T>(items: &[T], f: impl Fn(&T, &T) -> f64) -> Option<f64> {
    let mut sum = 0.0;
    let mut pairs = 0usize;
    for (i, a) in items.iter().enumerate() {
        for b in items.iter().skip(i + 1) {
            sum += f(a, b);
            pairs += 1;
        }
    }
    (pairs > 0).then(|| sum / pairs as f64)
}
