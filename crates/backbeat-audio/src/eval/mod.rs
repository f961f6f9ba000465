//! Evaluation against labelled recordings: label CSV parsing and the standard MIR metrics.
//!
//! Everything here is a pure function over text and numbers, so the metrics can be tested on
//! hand-computed cases and reused by any front end (the `backbeat eval` command reads the files,
//! runs the analysis and hands the results to [`report::evaluate_file`] and [`report::Report`]).
//!
//! Definitions (shared by the whole project, see `docs/BENCHMARKS.md`):
//! - tempo ACC1 / ACC2 ([`tempo`]): Gouyon et al., "An experimental comparison of audio tempo
//!   induction algorithms", IEEE TASLP 14(5), 2006, as used by MIREX Audio Tempo Extraction;
//! - beat F-measure ([`beats`]): `mir_eval.beat.f_measure` (Raffel et al., ISMIR 2014);
//! - key weighted score ([`keys`]): MIREX Audio Key Detection (2005 onwards).

mod aggregate;
pub mod beats;
pub mod csv;
pub mod keys;
pub mod labels;
pub mod loso;
pub mod report;
pub mod tempo;

pub use beats::{beat_f_measure, max_matching, BEAT_WINDOW_SECS};
pub use keys::{mirex_relation, parse_key, KeyLabel, KeyRelation};
pub use labels::{parse_beats, parse_labels, Label, SpeechLabel};
pub use loso::{leave_one_source_out, Fold};
pub use report::{evaluate_file, FileEval, Prediction, Report};
pub use tempo::{tempo_acc1, tempo_acc2, TEMPO_TOLERANCE};

/// Why a labels file (or a beat annotation file) could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The file has no bytes (or only a byte-order mark and whitespace).
    #[error("labels file is empty")]
    Empty,
    /// The bytes are not valid UTF-8.
    #[error("file is not valid UTF-8 (first invalid byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// A quoted field is never closed.
    #[error("line {line}: quoted field opened here is never closed")]
    UnterminatedQuote {
        /// Line on which the quoted field starts.
        line: usize,
    },
    /// A quote inside an unquoted field, or text right after a closing quote.
    #[error("line {line}: misplaced quote (quote a whole field and double quotes inside it)")]
    MisplacedQuote {
        /// Line of the offending character.
        line: usize,
    },
    /// A column the evaluation needs is absent from the header.
    #[error("header has no `{0}` column")]
    MissingColumn(&'static str),
    /// The same column name appears twice in the header.
    #[error("header names column `{0}` twice")]
    DuplicateColumn(String),
    /// There is a header but no data row.
    #[error("no data rows after the header")]
    NoRows,
    /// A row has a different number of fields than the header.
    #[error("line {line}: {found} fields but the header has {expected}")]
    FieldCount {
        /// Line on which the row starts.
        line: usize,
        /// Number of fields in the row.
        found: usize,
        /// Number of columns in the header.
        expected: usize,
    },
    /// A cell could not be interpreted.
    #[error("line {line}, column `{column}`: {message}")]
    BadValue {
        /// Line on which the row starts.
        line: usize,
        /// Column name.
        column: &'static str,
        /// What is wrong with the value.
        message: String,
    },
}
