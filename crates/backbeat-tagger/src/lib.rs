//! Music auto-tagging with the musicnn models (Pons & Serra, 2019): genre, mood,
//! instrumentation, vocals and era, with confidences and an embedding for similarity.
//!
//! - [`mel`]: the log-mel front end. The models were trained on librosa log-mel spectrograms,
//!   so it reproduces librosa's computation to within float32 rounding rather than
//!   approximating it: a tagger fed slightly different features degrades silently. Unlike
//!   musicnn's own code it stays in float32 (musicnn's float16 cast overflows on loud audio).
//! - [`model`]: one ONNX model run on batches of patches by tract (pure Rust, builds offline)
//!   or by ONNX Runtime loaded at run time, as [`backend`] chooses.
//! - [`tagger`]: a track streamed through both models (MTT and MSD) with bounded memory and
//!   configurable patch sampling.
//! - [`groups`]: the 100 raw probabilities grouped and thresholded into tags people use.
//!
//! The model files are made from the `musicnn` PyPI package by `scripts/install-models.sh`
//! (no TensorFlow needed) and found in [`default_models_dir`].

use std::path::PathBuf;

pub mod backend;
pub mod groups;
pub mod labels;
pub mod mel;
pub mod model;
pub mod tagger;
pub mod track;
pub mod vocal;

pub use backend::{Backend, BackendChoice, TaggerOptions};
pub use groups::{group, Grouped, TagScore, Thresholds, Vocals};
pub use model::{ModelKind, INSTALL_COMMAND};
pub use tagger::{RawTags, Sampling, TagSession, Tagger, DEFAULT_SAMPLING};
pub use track::{StreamTagging, TrackTags};

/// Why tagging failed.
#[derive(Debug, thiserror::Error)]
pub enum TaggerError {
    #[error("tagger model file {} not found; create it with {install}", path.display())]
    ModelMissing {
        path: PathBuf,
        install: &'static str,
    },
    #[error("tagger model file {} is unusable: {reason}; re-create it with {install}", path.display())]
    ModelInvalid {
        path: PathBuf,
        reason: String,
        install: &'static str,
    },
    #[error("the ONNX Runtime tagger backend is unavailable: {0} (./scripts/setup.sh installs it; BACKBEAT_TAGGER_BACKEND=tract does without)")]
    Backend(String),
    #[error("bad tagger setting: {0}")]
    Setting(String),
    #[error("cannot tag this audio: {0}")]
    Features(#[from] mel::MelError),
    #[error("tagger inference failed: {0}")]
    Inference(String),
}

/// Where the model files live: `$BACKBEAT_MODELS_DIR`, else `~/.cache/backbeat/models`
/// (where `scripts/install-models.sh` puts them), else `./models`.
pub fn default_models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BACKBEAT_MODELS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache/backbeat/models"),
        None => PathBuf::from("models"),
    }
}
