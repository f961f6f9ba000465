//! Turning several answers into one: the medoid per question — the answer that agrees most
//! with the others, which for a single choice is the majority.

use crate::agreement::value_agreement;
use crate::answer::Value;
use crate::schema::QuestionKind;

/// The value among `answers` (one per annotator) that agrees most with the others; the
/// earliest wins a tie. `None` when nobody answered.
pub fn medoid<'a>(kind: &QuestionKind, answers: &[&'a Value]) -> Option<&'a Value> {
    let mut best: Option<(f64, &Value)> = None;
    for (i, a) in answers.iter().enumerate() {
        let score: f64 = answers
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, b)| value_agreement(kind, a, b).unwrap_or(0.0))
            .sum();
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, a));
        }
    }
    best.map(|(_, v)| v)
}
