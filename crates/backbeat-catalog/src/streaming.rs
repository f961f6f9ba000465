//! A track's streaming ladder, as the `transcode` job left it: its index (`stream.json`), and
//! the URLs that hand it to players.
//!
//! The ladder is served only when it was made from the track's current audio (the job's
//! manifest records the audio key), so replacing the audio stops handing out the old
//! renditions at once; they are collected with the job's replaced files. The HLS and DASH
//! URLs carry a prefix grant in their path (`/blobs/~{depth}.{exp}.{sig}/…/ladder/…`): one
//! token for the track's ladder folder, kept by every relative URL a manifest names (players
//! do not carry a query string from a master playlist to its variants).

use backbeat_media::package::StreamIndex;
use backbeat_pipeline::artifacts;
use backbeat_store::model::Track;
use backbeat_store::StoreError;

use crate::error::CatalogResult;
use crate::Inner;

/// The job whose outputs are the ladder.
pub const LADDER_JOB: &str = "transcode";
/// Its index output.
const INDEX: &str = "stream.json";
/// Its directory output.
const LADDER_DIR: &str = "ladder";
/// Largest index read (a few kilobytes in practice).
const MAX_INDEX_BYTES: u64 = 1 << 20;

/// The file name of a ladder file's key (`derived/T/transcode/vN/ladder/NAME`), if `key` is
/// one.
pub fn ladder_file_name(key: &str) -> Option<&str> {
    let mut parts = key.split('/');
    let (
        Some("derived"),
        Some(_track),
        Some(LADDER_JOB),
        Some(version),
        Some(LADDER_DIR),
        Some(name),
        None,
    ) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    )
    else {
        return None;
    };
    version.strip_prefix('v')?.parse::<u32>().ok()?;
    Some(name)
}

/// The ladder handed to one caller.
#[derive(Debug, Clone)]
pub struct LadderGrant {
    /// The HLS master playlist, every rendition.
    pub hls_url: String,
    /// The DASH MPD, every rendition.
    pub dash_url: String,
    /// Whether the URLs above play normalised audio by themselves (the Opus renditions with
    /// the gain in their headers), or leave the gain to the player.
    pub normalised_in_stream: bool,
    pub index: StreamIndex,
}

/// The ladder's index for `track`'s current audio, if the job has made one (and could: an
/// unavailable job's placeholder does not count).
pub(crate) async fn current_index(
    cat: &Inner,
    track: &Track,
) -> CatalogResult<Option<StreamIndex>> {
    let Some(spec) = cat.pipeline.graph.job(LADDER_JOB) else {
        return Ok(None);
    };
    let manifest = artifacts::read_manifest(&cat.blobs, track.id, spec).await?;
    let current = manifest.is_some_and(|m| m.is_from(&track.blob_key) && m.unavailable.is_none());
    if !current {
        return Ok(None);
    }
    let key = artifacts::output_key(track.id, &spec.name, spec.version, INDEX);
    let body = match cat.blobs.read_small(&key, MAX_INDEX_BYTES).await {
        Ok(b) => b,
        // Deleted between the two reads (the track is going away).
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    match serde_json::from_slice::<StreamIndex>(&body) {
        Ok(index) => Ok(Some(index)),
        Err(e) => {
            tracing::warn!(track = %track.id, error = %e, "stream.json does not parse");
            Ok(None)
        }
    }
}

/// Grants `index`'s ladder for `ttl_s` seconds; `normalise` picks the manifests with the gain
/// in the stream when the ladder has them.
pub(crate) fn grant(
    cat: &Inner,
    track: &Track,
    index: StreamIndex,
    ttl_s: u64,
    normalise: bool,
) -> CatalogResult<LadderGrant> {
    let Some(spec) = cat.pipeline.graph.job(LADDER_JOB) else {
        return Err(crate::CatalogError::Internal(
            "no ladder job in the graph".into(),
        ));
    };
    let prefix = artifacts::output_key(track.id, &spec.name, spec.version, LADDER_DIR);
    let root = format!(
        "{}/blobs/{}",
        cat.config.public_url,
        crate::blobs::BlobAccess(cat).grant_prefix(&prefix, ttl_s)?
    );
    let (manifests, normalised_in_stream) = match (&index.normalised, normalise) {
        (Some(n), true) => (n, true),
        _ => (&index.manifests, false),
    };
    Ok(LadderGrant {
        hls_url: format!("{root}/{}", manifests.hls),
        dash_url: format!("{root}/{}", manifests.dash),
        normalised_in_stream,
        index,
    })
}
