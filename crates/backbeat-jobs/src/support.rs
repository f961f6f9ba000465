//! What every built-in job shares: error mapping, blocking work off the runtime, JSON outputs.

use std::path::Path;

use backbeat_audio::AudioError;
use backbeat_pipeline::JobError;

/// A decoder error as a job error: reading the file may succeed on retry, bad audio never will.
pub(crate) fn audio_err(e: AudioError) -> JobError {
    match e {
        AudioError::Io(source) => JobError::Io {
            what: "reading the input".into(),
            source,
        },
        other => JobError::BadInput(Box::new(other)),
    }
}

/// Runs CPU-heavy `f` on the blocking pool; a panic in it is a permanent failure.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, JobError> + Send + 'static,
) -> Result<T, JobError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => Err(JobError::Permanent("the analysis panicked".into())),
        Err(e) => Err(JobError::Transient(e.to_string())),
    }
}

/// Writes `value` as pretty JSON to `path`.
pub(crate) fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), JobError> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| JobError::Permanent(format!("encoding JSON: {e}")))?;
    std::fs::write(path, bytes).map_err(JobError::io("writing output"))
}
