//! A musicnn model compiled by tract for a fixed batch of patches.
//!
//! The batch size is fixed when the model is loaded: tract plans and packs the convolutions
//! for concrete shapes, which is what makes it fast. A partly filled last batch is padded with
//! zero patches whose outputs are ignored.

use std::path::Path;
use std::sync::Arc;

use tract_onnx::prelude::*;

use crate::mel::N_MELS;
use crate::model::{BatchOutput, PATCH_FRAMES};

pub(crate) struct TractEngine {
    plan: Arc<TypedRunnableModel>,
}

impl TractEngine {
    /// Plan the model of `path` for batches of `batch` patches. Errors say what is wrong with
    /// the file.
    pub(crate) fn load(path: &Path, batch: usize) -> Result<Self, String> {
        let model = tract_onnx::onnx()
            .model_for_path(path)
            .map_err(|e| format!("not a readable ONNX model: {e:#}"))?;
        let plan = model
            .with_input_fact(0, f32::fact([batch, PATCH_FRAMES, N_MELS]).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| format!("not a musicnn model: {e:#}"))?;
        Ok(TractEngine { plan })
    }

    /// Run one full batch of `batch × 187 × 96` values.
    pub(crate) fn run(&self, patches: &[f32], batch: usize) -> Result<BatchOutput, String> {
        let input =
            tract_ndarray::Array3::from_shape_vec((batch, PATCH_FRAMES, N_MELS), patches.to_vec())
                .map_err(|e| format!("input shape: {e}"))?;
        let outputs = self
            .plan
            .run(tvec!(Tensor::from(input).into()))
            .map_err(|e| format!("{e:#}"))?;
        let take = |i: usize| -> Result<Vec<f32>, String> {
            Ok(outputs
                .get(i)
                .ok_or_else(|| format!("missing output {i}"))?
                .to_plain_array_view::<f32>()
                .map_err(|e| e.to_string())?
                .iter()
                .copied()
                .collect())
        };
        Ok(BatchOutput {
            tags: take(0)?,
            embedding: take(1)?,
        })
    }
}
