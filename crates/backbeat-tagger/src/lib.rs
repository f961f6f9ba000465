//! Music auto-tagging with the musicnn models (Pons & Serra, 2019).
//!
//! The models were trained on librosa log-mel spectrograms, so the front end in [`mel`]
//! reproduces librosa's computation to within float32 rounding rather than approximating it:
//! a tagger fed slightly different features degrades silently, with no error to notice.

pub mod mel;
