//! Leave-one-source-out: a score that cannot flatter parameters chosen on the files it scores.
//!
//! Every file belongs to a source (a folder of the dev set: one collection, one recording
//! chain). For each source, the candidate parameters are ranked on the labelled files of the
//! *other* sources only, and the best is the one that source is scored with. A parameter that
//! only suits one collection then shows up as that collection's drop.

use std::collections::BTreeMap;

use serde::Serialize;

/// The candidate a source is scored with, chosen without it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fold {
    pub source: String,
    /// Labelled files of the source.
    pub files: usize,
    /// Index of the candidate chosen on the other sources; `None` when no other source has a
    /// labelled file (nothing to choose on: the source is scored with the default, index 0).
    pub chosen: Option<usize>,
}

/// Chooses, for every source with a labelled file, the candidate with the best mean score on
/// the labelled files of the other sources. `scores[file][candidate]` is `None` where the file
/// has no label; `sources[file]` names its source. Ties go to the lowest index, so a default
/// put first is kept unless another candidate does strictly better.
pub fn leave_one_source_out(sources: &[&str], scores: &[Vec<Option<f64>>]) -> Vec<Fold> {
    let candidates = scores.iter().map(Vec::len).max().unwrap_or(0);
    // Per source: labelled files and the sum of each candidate's scores over them.
    let mut sums: BTreeMap<&str, (usize, Vec<f64>)> = BTreeMap::new();
    for (source, row) in sources.iter().zip(scores) {
        if row.iter().all(Option::is_none) {
            continue;
        }
        let entry = sums
            .entry(source)
            .or_insert_with(|| (0, vec![0.0; candidates]));
        entry.0 += 1;
        for (sum, s) in entry.1.iter_mut().zip(row) {
            *sum += s.unwrap_or(0.0);
        }
    }
    sums.iter()
        .map(|(&held_out, &(files, _))| {
            let mut n = 0usize;
            let mut total = vec![0.0; candidates];
            for (_, (count, sum)) in sums.iter().filter(|(s, _)| **s != held_out) {
                n += count;
                for (t, s) in total.iter_mut().zip(sum) {
                    *t += s;
                }
            }
            let chosen = (n > 0).then(|| {
                let mut best = 0;
                for (i, t) in total.iter().enumerate() {
                    if *t > total[best] {
                        best = i;
                    }
                }
                best
            });
            Fold {
                source: held_out.to_string(),
                files,
                chosen,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(folds: &[Fold]) -> Vec<(&str, Option<usize>)> {
        folds
            .iter()
            .map(|f| (f.source.as_str(), f.chosen))
            .collect()
    }

    #[test]
    fn each_source_is_scored_with_what_suits_the_others() {
        // Candidate 1 suits source a (two files), candidate 2 suits b (two) and c (one).
        let s = |a: f64, b: f64, c: f64| vec![Some(a), Some(b), Some(c)];
        let sources = ["a", "a", "b", "b", "c"];
        let scores = vec![
            s(0.0, 1.0, 0.0),
            s(0.0, 1.0, 0.0),
            s(0.0, 0.0, 1.0),
            s(0.0, 0.0, 1.0),
            s(0.0, 0.0, 1.0),
        ];
        let folds = leave_one_source_out(&sources, &scores);
        // Without b, a's two files outvote c's one; without c, a and b tie and the lower
        // index wins.
        assert_eq!(
            chosen(&folds),
            [("a", Some(2)), ("b", Some(1)), ("c", Some(1))]
        );
        assert_eq!(folds[0].files, 2);
    }

    #[test]
    fn ties_keep_the_default_and_unlabelled_files_do_not_count() {
        let sources = ["a", "b", "b"];
        let scores = vec![
            vec![Some(1.0), Some(1.0)],
            vec![Some(0.5), Some(0.5)],
            vec![None, None],
        ];
        let folds = leave_one_source_out(&sources, &scores);
        assert_eq!(chosen(&folds), [("a", Some(0)), ("b", Some(0))]);
        assert_eq!(folds[1].files, 1);
    }

    #[test]
    fn a_lone_source_has_nothing_to_be_chosen_on() {
        let folds = leave_one_source_out(&["a", "a"], &[vec![Some(1.0)], vec![Some(0.0)]]);
        assert_eq!(chosen(&folds), [("a", None)]);
        assert!(leave_one_source_out(&[], &[]).is_empty());
    }
}
