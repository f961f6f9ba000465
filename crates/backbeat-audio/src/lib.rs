//! Audio in, descriptors out: decoding, resampling and every descriptor Backbeat computes.
//!
//! Pure functions over samples: no async, no storage, no HTTP. The only I/O is reading the
//! bytes of the file being analysed. Everything is streaming — a file is decoded packet by
//! packet and each analyser keeps only compact per-frame features — so memory stays bounded
//! whatever the duration. See `docs/ARCHITECTURE.md` for the data flow.

pub mod analysis;
pub mod content;
pub mod decode;
pub mod dynamics;
mod error;
pub mod eval;
pub mod key;
pub mod loudness;
pub mod peaks;
pub mod resample;
pub mod rhythm;
mod spectrum;

pub use analysis::{
    analyze_file, analyze_file_with_features, analyze_mono, decode_for_analysis,
    decode_for_analysis_with, Analysis, AnalyzeOptions, DecisionFeatures, Decoded, MonoAnalysers,
    MonoDescriptors,
};
pub use error::AudioError;

/// Sample rate (Hz) of the mono signal that the rhythm, key, dynamics and content analysers get.
///
/// 22.05 kHz keeps everything below 11 kHz, which is all that onset, pitch and timbre features
/// use, at half the cost of 44.1 kHz.
pub const ANALYSIS_RATE: u32 = 22_050;
