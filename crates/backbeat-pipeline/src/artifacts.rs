//! Where job outputs live, and how they are committed.
//!
//! Outputs of job `J` version `V` for track `T` are objects under
//! `derived/T/J/vV/` — inside the track's derived prefix, so deleting a track removes them with
//! everything else. Each output object is written atomically by the blob store (temporary
//! object, then rename), and a job's outputs together are committed by a manifest,
//! `derived/T/J/vV/_done.json`, written last: a job is done for a version exactly when its
//! manifest exists. A worker killed between two outputs leaves no manifest, so the job is not
//! done and its next delivery overwrites the partial set; nothing reads outputs without the
//! manifest.

use std::path::Path;

use backbeat_store::blob::BlobStore;
use backbeat_store::catalog::derived_prefix;
use backbeat_store::model::{now_millis, Id, Millis};
use backbeat_store::StoreError;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::graph::JobSpec;

/// Largest output a job may write (a lossless mono signal of several hours fits).
pub const MAX_OUTPUT_BYTES: u64 = 4 << 30;

/// The object key of `output` of `job` at `version` for `track`.
pub fn output_key(track: Id, job: &str, version: u32, output: &str) -> String {
    format!("{}{job}/v{version}/{output}", derived_prefix(track))
}

/// The key of the manifest that commits a job's outputs.
pub fn manifest_key(track: Id, job: &str, version: u32) -> String {
    output_key(track, job, version, "_done.json")
}

/// What the manifest records.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub job: String,
    pub version: u32,
    /// Output names and sizes in bytes.
    pub outputs: Vec<(String, u64)>,
    pub worker: String,
    pub finished_at: Millis,
    /// The run that produced these outputs. A job that fans in (two parents) must not start
    /// from a forced parent's *previous* outputs; it asks whether the parent finished in this
    /// run ([`done_in_run`]). Absent in manifests written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Id>,
}

/// Whether `spec`'s outputs exist for its current version.
pub async fn is_done(blobs: &BlobStore, track: Id, spec: &JobSpec) -> Result<bool, StoreError> {
    match blobs
        .head(&manifest_key(track, &spec.name, spec.version))
        .await
    {
        Ok(_) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `spec`'s outputs for its current version were committed by run `run` (a forced job's
/// older outputs do not count for the run that re-makes them).
pub async fn done_in_run(
    blobs: &BlobStore,
    track: Id,
    spec: &JobSpec,
    run: Id,
) -> Result<bool, StoreError> {
    let key = manifest_key(track, &spec.name, spec.version);
    let size = match blobs.head(&key).await {
        Ok(meta) => meta.size,
        Err(StoreError::NotFound) => return Ok(false),
        Err(e) => return Err(e),
    };
    let mut body = Vec::new();
    let mut stream = blobs.get_range(&key, 0..size).await?;
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
    }
    Ok(serde_json::from_slice::<Manifest>(&body).is_ok_and(|m| m.run == Some(run)))
}

/// Uploads the local file `path` to `key` (atomically); returns its size.
pub async fn put_file(blobs: &BlobStore, key: &str, path: &Path) -> Result<u64, StoreError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| StoreError::blob(format!("reading output {}", path.display()), e))?;
    // Reads of at most 1 MiB, but no bigger buffer than the file needs (most outputs are a
    // few hundred bytes of JSON; zeroing 1 MiB for each showed in profiles).
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let chunk = usize::try_from(len.clamp(1, 1 << 20)).unwrap_or(1 << 20);
    let body = futures_util::stream::unfold(file, move |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; chunk];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    blobs
        .put_stream(key, Box::pin(body), MAX_OUTPUT_BYTES)
        .await
        .map_err(|e| StoreError::blob(format!("storing output {key}"), e))
}

/// Writes the manifest of `spec` for `track`: the commit point of its outputs.
pub async fn commit(
    blobs: &BlobStore,
    track: Id,
    spec: &JobSpec,
    outputs: Vec<(String, u64)>,
    worker: &str,
    run: Id,
) -> Result<(), StoreError> {
    let manifest = Manifest {
        job: spec.name.clone(),
        version: spec.version,
        outputs,
        worker: worker.to_string(),
        finished_at: now_millis(),
        run: Some(run),
    };
    let json =
        serde_json::to_vec(&manifest).map_err(|e| StoreError::blob("encoding the manifest", e))?;
    let body = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(Bytes::from(json))]);
    blobs
        .put_stream(
            &manifest_key(track, &spec.name, spec.version),
            body,
            MAX_OUTPUT_BYTES,
        )
        .await
        .map_err(|e| StoreError::blob("storing the manifest", e))?;
    Ok(())
}
