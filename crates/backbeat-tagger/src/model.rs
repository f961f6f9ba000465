//! One musicnn model (ONNX) compiled by tract for a fixed batch of patches.
//!
//! The batch size is fixed when the model is loaded: tract plans and packs the convolutions
//! for concrete shapes, which is what makes it fast. A partly filled last batch is padded with
//! zero patches whose outputs are ignored.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;

use crate::labels::{MSD_LABELS, MTT_LABELS};
use crate::mel::N_MELS;
use crate::TaggerError;

/// Frames in one model input patch: 3 s at 16 kHz with a 256-sample hop (musicnn's contract).
pub const PATCH_FRAMES: usize = 187;
/// Values in one patch.
pub const PATCH_LEN: usize = PATCH_FRAMES * N_MELS;
/// Units of the penultimate layer (musicnn's `penultimate`), the embedding of one model.
pub const EMBEDDING_DIM: usize = 200;

/// The command that creates the model files; named in every "missing model" error.
pub const INSTALL_COMMAND: &str = "./scripts/install-models.sh (run by ./scripts/setup.sh)";

/// The two published musicnn taggers Backbeat runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// Trained on MagnaTagATune: instruments, moods, genres, vocals.
    Mtt,
    /// Trained on the Million Song Dataset: genres, moods, eras, vocals.
    Msd,
}

impl ModelKind {
    pub const ALL: [ModelKind; 2] = [ModelKind::Mtt, ModelKind::Msd];

    /// The model's name as musicnn spells it; also the ONNX file's stem.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mtt => "MTT_musicnn",
            ModelKind::Msd => "MSD_musicnn",
        }
    }

    /// Output labels in the model's order.
    pub fn labels(self) -> &'static [&'static str; 50] {
        match self {
            ModelKind::Mtt => &MTT_LABELS,
            ModelKind::Msd => &MSD_LABELS,
        }
    }

    /// The model file inside a models folder.
    pub fn path_in(self, models_dir: &Path) -> PathBuf {
        models_dir
            .join("musicnn")
            .join(format!("{}.onnx", self.name()))
    }
}

/// Per-patch outputs of one batch: `tags` (`rows × 50` sigmoid probabilities) and
/// `embedding` (`rows × 200`), rows in input order.
pub struct BatchOutput {
    pub tags: Vec<f32>,
    pub embedding: Vec<f32>,
}

/// A loaded, optimised model.
pub struct Model {
    kind: ModelKind,
    batch: usize,
    plan: Arc<TypedRunnableModel>,
}

impl Model {
    /// Load `kind` from `models_dir` for batches of `batch` patches.
    pub fn load(kind: ModelKind, models_dir: &Path, batch: usize) -> Result<Self, TaggerError> {
        let path = kind.path_in(models_dir);
        if !path.is_file() {
            return Err(TaggerError::ModelMissing {
                path,
                install: INSTALL_COMMAND,
            });
        }
        let invalid = |reason: String| TaggerError::ModelInvalid {
            path: path.clone(),
            reason,
            install: INSTALL_COMMAND,
        };
        let batch = batch.max(1);
        let plan = tract_onnx::onnx()
            .model_for_path(&path)
            .map_err(|e| invalid(format!("not a readable ONNX model: {e:#}")))?
            .with_input_fact(0, f32::fact([batch, PATCH_FRAMES, N_MELS]).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| invalid(format!("not a musicnn model: {e:#}")))?;
        let model = Model { kind, batch, plan };
        // Check the contract once with a silent batch rather than trusting the file's name.
        let out = model
            .run(&vec![0.0; batch * PATCH_LEN])
            .map_err(|e| invalid(e.to_string()))?;
        if out.tags.len() != batch * kind.labels().len()
            || out.embedding.len() != batch * EMBEDDING_DIM
        {
            return Err(invalid(format!(
                "outputs have {} tags and {} embedding values for {batch} patches, expected {} and {}",
                out.tags.len(),
                out.embedding.len(),
                batch * kind.labels().len(),
                batch * EMBEDDING_DIM
            )));
        }
        Ok(model)
    }

    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// Patches per run.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Run one full batch: `patches` holds `batch × 187 × 96` log-mel values, frame-major.
    pub fn run(&self, patches: &[f32]) -> Result<BatchOutput, TaggerError> {
        let input = tract_ndarray::Array3::from_shape_vec(
            (self.batch, PATCH_FRAMES, N_MELS),
            patches.to_vec(),
        )
        .map_err(|e| TaggerError::Inference(format!("input shape: {e}")))?;
        let outputs = self
            .plan
            .run(tvec!(Tensor::from(input).into()))
            .map_err(|e| TaggerError::Inference(format!("{}: {e:#}", self.kind.name())))?;
        let take = |i: usize| -> Result<Vec<f32>, TaggerError> {
            let values = outputs
                .get(i)
                .ok_or_else(|| TaggerError::Inference(format!("missing output {i}")))?
                .to_plain_array_view::<f32>()
                .map_err(|e| TaggerError::Inference(e.to_string()))?
                .iter()
                .copied()
                .collect::<Vec<f32>>();
            if values.iter().any(|v| !v.is_finite()) {
                return Err(TaggerError::Inference(format!(
                    "{} produced a non-finite output",
                    self.kind.name()
                )));
            }
            Ok(values)
        };
        Ok(BatchOutput {
            tags: take(0)?,
            embedding: take(1)?,
        })
    }
}
