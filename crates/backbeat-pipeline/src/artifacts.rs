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
//!
//! An output named `dir/` is a directory: the job writes any number of files into it (an HLS
//! ladder's segments), each is uploaded as `dir/NAME` and listed in the manifest like a fixed
//! output. Consumers take the directory's files from the manifest, never from a listing, so a
//! re-run that writes fewer files is read correctly at once; the previous run's extra files
//! are removed after the new manifest is written ([`stale_files`]; at once, or once
//! `JobSpec::keep_replaced` has passed), and a crash before that
//! only leaves files nobody reads, which the next run removes.
//!
//! A manifest records the source its outputs were computed from: the track's audio key
//! (`Track::blob_key`; a replacement gets a new key, and a claimed upload's bytes never
//! change, so the key names the bytes). A job is done only for the audio the track has now
//! ([`is_done`] with the current key); a manifest written before sources were recorded counts
//! for any audio. The engine checks the source again before and after the commit, so a job
//! whose audio was replaced while it ran discards its outputs (see `engine`).

use backbeat_store::blob::{BlobStore, PutError};
use backbeat_store::catalog::derived_prefix;
use backbeat_store::model::{now_millis, Id, Millis};
use backbeat_store::StoreError;
use bytes::Bytes;
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
    /// Output names and sizes in bytes; a directory output's files as `dir/NAME`.
    pub outputs: Vec<(String, u64)>,
    pub worker: String,
    pub finished_at: Millis,
    /// The run that produced these outputs. A job that fans in (two parents) must not start
    /// from a forced parent's *previous* outputs; it asks whether the parent finished in this
    /// run ([`done_in_run`]). Absent in manifests written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Id>,
    /// The audio key the outputs were computed from. Absent in manifests written before it
    /// existed (they count as computed from the current audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Set when the job could not do its work (`JobError::Unavailable`): its outputs are
    /// placeholders children can use, and the job is not done ([`is_done`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

impl Manifest {
    /// Whether the outputs were computed from the audio at `source`.
    pub fn is_from(&self, source: &str) -> bool {
        self.source.as_deref().is_none_or(|s| s == source)
    }
}

/// Whether `spec` is done for its current version: its outputs exist, computed from the
/// audio at `source` (the track's current `blob_key`), and are not placeholders of a job that
/// was unavailable.
pub async fn is_done(
    blobs: &BlobStore,
    track: Id,
    source: &str,
    spec: &JobSpec,
) -> Result<bool, StoreError> {
    Ok(read_manifest(blobs, track, spec)
        .await?
        .is_some_and(|m| m.is_from(source) && m.unavailable.is_none()))
}

/// Whether `spec`'s outputs exist for the audio at `source`, placeholders included: what a
/// child needs to start.
pub async fn has_outputs(
    blobs: &BlobStore,
    track: Id,
    source: &str,
    spec: &JobSpec,
) -> Result<bool, StoreError> {
    Ok(read_manifest(blobs, track, spec)
        .await?
        .is_some_and(|m| m.is_from(source)))
}

/// Whether `spec`'s outputs for its current version were committed by run `run` from the audio
/// at `source` (a forced job's older outputs do not count for the run that re-makes them).
pub async fn done_in_run(
    blobs: &BlobStore,
    track: Id,
    source: &str,
    spec: &JobSpec,
    run: Id,
) -> Result<bool, StoreError> {
    match read_manifest(blobs, track, spec).await? {
        Some(m) => Ok(m.run == Some(run) && m.is_from(source)),
        None => Ok(false),
    }
}

/// Largest manifest read back (thousands of directory entries fit).
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// `spec`'s manifest at its current version, if the job is done. A manifest that does not
/// parse counts as absent (the job runs again and rewrites it).
pub async fn read_manifest(
    blobs: &BlobStore,
    track: Id,
    spec: &JobSpec,
) -> Result<Option<Manifest>, StoreError> {
    let key = manifest_key(track, &spec.name, spec.version);
    match blobs.read_small(&key, MAX_MANIFEST_BYTES).await {
        Ok(body) => Ok(serde_json::from_slice::<Manifest>(&body).ok()),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `output` names a directory of files (`seg/`) rather than one file.
pub fn is_dir_output(output: &str) -> bool {
    output.ends_with('/')
}

/// After a commit: the files of `spec`'s directory outputs that `manifest` does not list (left
/// by an earlier run that wrote others). The engine deletes them, or hands them to the
/// garbage list for later when the spec keeps replaced files readable a while.
pub async fn stale_files(
    blobs: &BlobStore,
    track: Id,
    spec: &JobSpec,
    manifest: &Manifest,
) -> Result<Vec<String>, StoreError> {
    let mut stale = Vec::new();
    for dir in spec.outputs.iter().filter(|o| is_dir_output(o)) {
        let prefix = output_key(track, &spec.name, spec.version, dir);
        let base = output_key(track, &spec.name, spec.version, "");
        for key in blobs.list(&prefix).await? {
            let name = key.strip_prefix(&base).unwrap_or(&key);
            if !manifest.outputs.iter().any(|(n, _)| n == name) {
                stale.push(key);
            }
        }
    }
    Ok(stale)
}

/// Who wrote a manifest, from what: the parts of it that are not the outputs.
#[derive(Debug, Clone, Copy)]
pub struct Provenance<'a> {
    pub worker: &'a str,
    pub run: Id,
    /// The audio key the outputs were computed from.
    pub source: &'a str,
    /// Why the job could not do its work, when its outputs are placeholders.
    pub unavailable: Option<&'a str>,
}

/// Writes the manifest of `spec` for `track`: the commit point of its outputs.
pub async fn commit(
    blobs: &BlobStore,
    track: Id,
    spec: &JobSpec,
    outputs: Vec<(String, u64)>,
    from: Provenance<'_>,
) -> Result<Manifest, StoreError> {
    let manifest = Manifest {
        job: spec.name.clone(),
        version: spec.version,
        outputs,
        worker: from.worker.to_string(),
        finished_at: now_millis(),
        run: Some(from.run),
        source: Some(from.source.to_string()),
        unavailable: from.unavailable.map(str::to_string),
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
        .map_err(|e| match e {
            PutError::Store(e) => e,
            other => StoreError::blob("storing the manifest", other),
        })?;
    Ok(manifest)
}

/// Deletes `spec`'s manifest for `track` if it is still the one computed from `source` (a
/// manifest of the newer audio is left alone). Undoes a commit found stale after the fact.
pub async fn retract(
    blobs: &BlobStore,
    track: Id,
    spec: &JobSpec,
    source: &str,
) -> Result<(), StoreError> {
    match read_manifest(blobs, track, spec).await? {
        Some(m) if m.source.as_deref() == Some(source) => {
            blobs
                .delete(&manifest_key(track, &spec.name, spec.version))
                .await
        }
        _ => Ok(()),
    }
}
