//! A musicnn model run by ONNX Runtime, loaded from a shared library at run time.
//!
//! One ONNX Runtime environment per process (ONNX Runtime allows no second one, and the
//! library is opened once): the first library that loads is the one every later model uses.
//! `ort` runs a session through `&mut`, while a [`crate::Tagger`] is shared by every worker
//! thread, so each model keeps a small pool of sessions: a run takes one (building it on first
//! need), and gives it back. Each session runs on the calling thread only (one intra-op
//! thread, no spinning): tracks are the unit of parallelism, as with tract.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::memory::{AllocationDevice, AllocatorType, MemoryInfo, MemoryType};
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::TensorRef;
use ort::AsPointer;

use crate::mel::N_MELS;
use crate::model::{BatchOutput, PATCH_FRAMES};

/// The process's ONNX Runtime: its environment and the library it came from.
static RUNTIME: OnceLock<(Environment, PathBuf)> = OnceLock::new();
/// Serialises the first load: a failed attempt leaves `RUNTIME` empty, so a later load with
/// another library path can still succeed.
static LOADING: Mutex<()> = Mutex::new(());

/// The process's ONNX Runtime environment, loading `library` if none is loaded yet. Errors
/// are one-line reasons naming the file.
pub(crate) fn runtime(library: &Path) -> Result<&'static Environment, String> {
    if let Some(loaded) = loaded(library) {
        return loaded;
    }
    let _guard = LOADING.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(loaded) = loaded(library) {
        return loaded;
    }
    if !library.is_file() {
        return Err(format!("no ONNX Runtime library at {}", library.display()));
    }
    #[cfg(all(
        target_os = "linux",
        target_pointer_width = "64",
        target_endian = "little"
    ))]
    super::elf_check::check_complete(library)?;
    let env = ort::init_from(library)
        .map_err(|e| one_line(&e.to_string()))?
        .with_name("backbeat")
        .with_telemetry(false)
        .build()
        .map_err(|e| {
            format!(
                "ONNX Runtime from {} did not start: {}",
                library.display(),
                one_line(&e.to_string())
            )
        })?;
    // Kept before anything else can fail: `ort` allows one environment per process, even
    // after a dropped one, so a later load could never build another.
    let (env, _) = RUNTIME.get_or_init(|| (env, library.to_path_buf()));
    if let Err(e) = register_shared_arena(env) {
        // Sessions then fall back to an arena each: more memory, same results and speed.
        eprintln!(
            "backbeat: ONNX Runtime from {} refused a shared memory arena ({e}); each tagger \
             session keeps its own",
            library.display()
        );
    }
    Ok(env)
}

/// One CPU memory arena for every session of the process, growing by what is asked and no
/// more. Per-session arenas keep each session's peak (140 MB for the two models); without
/// an arena, the large scratch buffers of every run go through glibc, whose heap then keeps
/// about 35 MB of freed memory it cannot give back (106 MB on a 60-minute file). One shared
/// arena holds the scratch of one run per concurrent worker, reused run after run.
fn register_shared_arena(env: &Environment) -> Result<(), String> {
    let api = ort::api();
    // `arena_extend_strategy` 1 is kSameAsRequested (0, the default, doubles).
    let keys = [c"arena_extend_strategy".as_ptr()];
    let values = [1usize];
    let mut config = std::ptr::null_mut();
    // SAFETY: the key and value arrays are `keys.len()` long and outlive the call; `config` is
    // released below whatever happens.
    let created = unsafe {
        ort::Error::result_from_status((api.CreateArenaCfgV2)(
            keys.as_ptr(),
            values.as_ptr(),
            keys.len(),
            &mut config,
        ))
    };
    created.map_err(|e| one_line(&e.to_string()))?;
    let registered = MemoryInfo::new(
        AllocationDevice::CPU,
        0,
        AllocatorType::Arena,
        MemoryType::Default,
    )
    .and_then(|info| {
        // SAFETY: `env` and `info` are live ONNX Runtime objects, `config` was created above;
        // ONNX Runtime copies what it needs from both.
        unsafe {
            ort::Error::result_from_status((api.CreateAndRegisterAllocator)(
                env.ptr().cast_mut(),
                info.ptr(),
                config,
            ))
        }
    });
    // SAFETY: created above, not used after this.
    unsafe { (api.ReleaseArenaCfg)(config) };
    registered.map_err(|e| one_line(&e.to_string()))
}

/// The environment when ONNX Runtime is loaded already: from `library`, or from another file,
/// which is an error (a process cannot hold two, and using the other one silently would make
/// the choice of library a lie).
fn loaded(library: &Path) -> Option<Result<&'static Environment, String>> {
    let (env, path) = RUNTIME.get()?;
    Some(if path == library {
        Ok(env)
    } else {
        Err(format!(
            "this process already runs ONNX Runtime from {}, it cannot also load {}",
            path.display(),
            library.display()
        ))
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) struct OrtEngine {
    env: &'static Environment,
    bytes: Vec<u8>,
    idle: Mutex<Vec<Session>>,
}

impl OrtEngine {
    /// Build the first session of `bytes` (an ONNX model), which checks that ONNX Runtime
    /// accepts it.
    pub(crate) fn new(env: &'static Environment, bytes: Vec<u8>) -> Result<Self, String> {
        let engine = OrtEngine {
            env,
            bytes,
            idle: Mutex::new(Vec::new()),
        };
        let first = engine.session()?;
        engine.give_back(first);
        Ok(engine)
    }

    fn session(&self) -> Result<Session, String> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        if let Some(s) = idle {
            return Ok(s);
        }
        let err = |e: ort::Error<_>| one_line(&e.to_string());
        Session::builder(self.env)
            .map_err(|e| one_line(&e.to_string()))?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(err)?
            .with_intra_threads(1)
            .map_err(err)?
            .with_inter_threads(1)
            .map_err(err)?
            .with_intra_op_spinning(false)
            .map_err(err)?
            // The process's shared arena (see `register_shared_arena`), not one per session;
            // no memory-pattern planner, which would pre-size a block per session too.
            .with_env_allocators()
            .map_err(err)?
            .with_memory_pattern(false)
            .map_err(err)?
            .commit_from_memory(&self.bytes)
            .map_err(|e| one_line(&e.to_string()))
    }

    fn give_back(&self, session: Session) {
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(session);
    }

    /// Run `rows` patches (`rows × 187 × 96` values).
    pub(crate) fn run(&self, patches: &[f32], rows: usize) -> Result<BatchOutput, String> {
        let mut session = self.session()?;
        let result = Self::run_on(&mut session, patches, rows);
        // A session that failed on one input is still a good session.
        self.give_back(session);
        result
    }

    fn run_on(session: &mut Session, patches: &[f32], rows: usize) -> Result<BatchOutput, String> {
        let err = |e: ort::Error| one_line(&e.to_string());
        let input =
            TensorRef::from_array_view(([rows, PATCH_FRAMES, N_MELS], patches)).map_err(err)?;
        let outputs = session.run(ort::inputs!["mel" => input]).map_err(err)?;
        let take = |name: &str| -> Result<Vec<f32>, String> {
            let value = outputs
                .get(name)
                .ok_or_else(|| format!("no output named `{name}`"))?;
            let (_, data) = value.try_extract_tensor::<f32>().map_err(err)?;
            Ok(data.to_vec())
        };
        Ok(BatchOutput {
            tags: take("tags")?,
            embedding: take("embedding")?,
        })
    }
}
