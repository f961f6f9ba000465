//! One musicnn model (ONNX), run by the engine the [`crate::backend`] choice settled on:
//! `tract_engine` (pure Rust, always available) or `ort_engine` (ONNX Runtime loaded at
//! run time). Both read the same ONNX file and answer the same [`BatchOutput`].

mod elf_check;
mod ort_engine;
mod tract_engine;

use std::path::{Path, PathBuf};

use crate::backend::Backend;
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
    engine: Engine,
}

enum Engine {
    Tract(tract_engine::TractEngine),
    Ort(ort_engine::OrtEngine),
}

/// Start ONNX Runtime from `library` (once per process; later calls reuse the first library
/// that loaded). The error is a one-line reason naming the file.
pub fn start_ort(library: &Path) -> Result<(), String> {
    ort_engine::runtime(library).map(|_| ())
}

impl Model {
    /// Load `kind` from `models_dir` for batches of `batch` patches, with tract.
    pub fn load(kind: ModelKind, models_dir: &Path, batch: usize) -> Result<Self, TaggerError> {
        Self::load_on(kind, models_dir, batch, Backend::Tract, None)
    }

    /// Load `kind` on `backend`; for [`Backend::Ort`], `ort_library` is the shared library
    /// (see [`start_ort`]).
    pub fn load_on(
        kind: ModelKind,
        models_dir: &Path,
        batch: usize,
        backend: Backend,
        ort_library: Option<&Path>,
    ) -> Result<Self, TaggerError> {
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
        let engine = match backend {
            Backend::Tract => {
                Engine::Tract(tract_engine::TractEngine::load(&path, batch).map_err(invalid)?)
            }
            Backend::Ort => {
                let library = ort_library
                    .map(Path::to_path_buf)
                    .unwrap_or_else(crate::backend::default_ort_library);
                let env = ort_engine::runtime(&library).map_err(TaggerError::Backend)?;
                let bytes = read_musicnn_onnx(&path).map_err(invalid)?;
                Engine::Ort(
                    ort_engine::OrtEngine::new(env, bytes)
                        .map_err(|e| invalid(format!("ONNX Runtime refused it: {e}")))?,
                )
            }
        };
        let model = Model {
            kind,
            batch,
            engine,
        };
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
        if backend == Backend::Ort {
            release_freed_heap();
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

    /// The engine running this model.
    pub fn backend(&self) -> Backend {
        match self.engine {
            Engine::Tract(_) => Backend::Tract,
            Engine::Ort(_) => Backend::Ort,
        }
    }

    /// Run one full batch: `patches` holds `batch × 187 × 96` log-mel values, frame-major.
    pub fn run(&self, patches: &[f32]) -> Result<BatchOutput, TaggerError> {
        if patches.len() != self.batch * PATCH_LEN {
            return Err(TaggerError::Inference(format!(
                "a batch holds {} values, not {}",
                self.batch * PATCH_LEN,
                patches.len()
            )));
        }
        let out = match &self.engine {
            Engine::Tract(e) => e.run(patches, self.batch),
            Engine::Ort(e) => e.run(patches, self.batch),
        }
        .map_err(|e| TaggerError::Inference(format!("{}: {e}", self.kind.name())))?;
        if out
            .tags
            .iter()
            .chain(&out.embedding)
            .any(|v| !v.is_finite())
        {
            return Err(TaggerError::Inference(format!(
                "{} produced a non-finite output",
                self.kind.name()
            )));
        }
        Ok(out)
    }
}

/// Give the heap's free memory back to the system. ONNX Runtime (without its arena, see
/// `ort_engine`) mallocs ~40 MB of buffers per run and frees them; glibc keeps what a thread
/// freed in that thread's own arena, so the check run above, made on the loading thread, would
/// stay resident beside what the tagging threads allocate: 126 MB peak instead of 89 MB for a
/// short file tagged on one worker.
fn release_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The bytes of a musicnn ONNX file, after tract's protobuf reader has checked that it is one
/// (an input `mel`, outputs `tags` and `embedding`): ONNX Runtime is C++, and a hostile file
/// should be refused by safe code before it gets there.
fn read_musicnn_onnx(path: &Path) -> Result<Vec<u8>, String> {
    use tract_onnx::prelude::Framework;
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let proto = tract_onnx::onnx()
        .proto_model_for_read(&mut bytes.as_slice())
        .map_err(|e| format!("not a readable ONNX model: {e:#}"))?;
    let graph = proto.graph.as_ref().ok_or("an ONNX file without a graph")?;
    let inputs: Vec<&str> = graph.input.iter().map(|i| i.name.as_str()).collect();
    let outputs: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    if inputs.first() != Some(&"mel") || !["tags", "embedding"].iter().all(|n| outputs.contains(n))
    {
        return Err(format!(
            "not a musicnn model: inputs {inputs:?}, outputs {outputs:?} (expected `mel`; `tags` and `embedding`)"
        ));
    }
    Ok(bytes)
}
