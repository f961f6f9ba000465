//! Agreement between annotators: how far to trust a label, per item (for routing) and per
//! question over a project (for the report).
//!
//! - [`reliability`]: the coders × units table with missing cells that every coefficient reads.
//! - [`alpha`](mod@alpha): Krippendorff's α through the coincidence matrix (nominal, ordinal, interval,
//!   ratio) and in the pairable-values form for any distance δ.
//! - [`distance`]: the distances music needs: tempo with octave errors, MIREX key weights,
//!   MASI and Jaccard for tag sets.
//! - [`kappa`]: Cohen's κ (two coders) and Fleiss' κ (a fixed number of raters per unit).
//! - [`hungarian`]: the O(n³) assignment algorithm the region matching uses.
//! - [`regions`]: one-to-one region matching on IoU, precision/recall/F1.
//! - [`markers`]: marker F-measure with a ±70 ms window, per label.
//! - [`item`]: mean pairwise agreement of the answers to one item (cheap; routing calls it).
//! - [`report`]: per-question α and per-annotator-pair agreement over a project.
//!
//! Conventions, the same everywhere: a coefficient that is undefined (no pairable values, no
//! variation to disagree about) is `None` or [`AgreementError::Undefined`], never NaN; two
//! empty region or marker lists agree fully (1.0), one empty against a non-empty one not at
//! all (0.0).

pub mod alpha;
pub mod distance;
pub mod hungarian;
pub mod item;
pub mod kappa;
pub mod markers;
pub mod regions;
pub mod reliability;
pub mod report;

pub use alpha::{alpha, alpha_with, Alpha, Level};
pub use distance::{
    bpm_agree, bpm_distance, jaccard_distance, key_distance, masi_distance, mirex_key_score,
    BPM_TOLERANCE,
};
pub use item::{item_agreement, value_agreement};
pub use kappa::{cohen_kappa, cohen_kappa_labels, fleiss_kappa, fleiss_kappa_labels};
pub use markers::{marker_f_measure, MARKER_WINDOW_SECS};
pub use regions::{match_regions, region_scores, RegionScores, DEFAULT_IOU_THRESHOLD};
pub use reliability::ReliabilityData;
pub use report::{
    pair_agreements, question_agreement, question_alpha, Metric, PairAgreement, PairMeasure,
    QuestionAgreement,
};

/// Why a coefficient could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AgreementError {
    /// No data at all (no units, no rows).
    #[error("no data")]
    Empty,
    /// Rows of different lengths where a rectangle is needed.
    #[error("row {row} has {found} cells, expected {expected}")]
    Ragged {
        /// 0-based row index.
        row: usize,
        /// Its length.
        found: usize,
        /// The first row's length.
        expected: usize,
    },
    /// A confusion matrix that is not square.
    #[error("confusion matrix is {rows}×{cols}, not square")]
    NotSquare {
        /// Number of rows.
        rows: usize,
        /// Length of the offending row.
        cols: usize,
    },
    /// Fleiss' κ needs the same number of ratings (at least 2) for every unit.
    #[error("unit {unit} has {found} ratings, expected {expected} (at least 2, same for all)")]
    UnequalRaters {
        /// 0-based unit index.
        unit: usize,
        /// Its number of ratings.
        found: u64,
        /// The first unit's number of ratings.
        expected: u64,
    },
    /// The two label lists of Cohen's κ differ in length.
    #[error("coder label lists differ in length ({0} and {1})")]
    LengthMismatch(usize, usize),
    /// Chance agreement is total (every rating in one category), so κ is 0/0.
    #[error("undefined: no variation to disagree about")]
    Undefined,
}
