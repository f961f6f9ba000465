//! A track's waveform peaks, as the `peaks` job left them: a signed URL to the `.dat` file
//! (BBC audiowaveform format) and its header, so a player fetches the pixels of the window it
//! shows by HTTP range (`bytes=20+4i-…`) instead of the whole file; and the whole waveform
//! reduced to an overview a few thousand pixels wide.

use backbeat_audio::peaks::{Peaks, DAT_HEADER_BYTES, DAT_PIXEL_BYTES};
use backbeat_pipeline::artifacts;
use backbeat_store::model::now_millis;
use backbeat_store::{Id, StoreError};
use futures_util::TryStreamExt;

use crate::blobs::BlobAccess;
use crate::error::{CatalogError, CatalogResult};
use crate::tracks::Tracks;
use crate::{policy, Caller};

/// The job whose output is the waveform.
pub const PEAKS_JOB: &str = "peaks";
/// Its output.
const FILE: &str = "peaks.dat";

/// The waveform handed to one caller.
#[derive(Debug, Clone, PartialEq)]
pub struct PeaksGrant {
    /// The `.dat` file; answers range requests.
    pub url: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub sample_rate: u32,
    pub samples_per_pixel: u32,
    pub pixels: u64,
    pub bytes: u64,
}

/// Widest overview a caller may ask for (a 4K screen at 1 CSS pixel each).
pub const MAX_OVERVIEW_PIXELS: usize = 4096;

impl Tracks<'_> {
    /// The track's waveform, once the `peaks` job has drawn it from the current audio; who may
    /// read it is who may stream the track. `NotFound` until then.
    pub async fn peaks(&self, caller: &Caller, id: Id) -> CatalogResult<PeaksGrant> {
        let cat = self.0;
        let key = self.peaks_file(caller, id).await?;
        let header = match read_header(cat, &key).await {
            Ok(h) => h,
            // Deleted between the two reads (the track is going away).
            Err(StoreError::NotFound) => return Err(CatalogError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let word =
            |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let pixels = u64::from(word(16));
        let ttl_s = cat.config.stream_url_ttl_s;
        let prefix = key.strip_suffix(FILE).unwrap_or(&key).trim_end_matches('/');
        let grant = BlobAccess(cat).grant_prefix(prefix, ttl_s)?;
        Ok(PeaksGrant {
            url: format!("{}/blobs/{grant}/{FILE}", cat.config.public_url),
            expires_at: (now_millis() / 1000 + i64::try_from(ttl_s).unwrap_or(i64::MAX / 4_000))
                * 1000,
            sample_rate: word(8),
            samples_per_pixel: word(12),
            pixels,
            bytes: DAT_HEADER_BYTES as u64 + pixels * DAT_PIXEL_BYTES as u64,
        })
    }

    /// The whole waveform at most `pixels` wide (1 to [`MAX_OVERVIEW_PIXELS`]): what an
    /// overview strip draws, for a track of any length, in one small answer. The server reads
    /// the stored file once (4 bytes per 11.6 ms: 2.5 MB for two hours) and reduces it.
    pub async fn peaks_overview(
        &self,
        caller: &Caller,
        id: Id,
        pixels: usize,
    ) -> CatalogResult<Peaks> {
        if !(1..=MAX_OVERVIEW_PIXELS).contains(&pixels) {
            return Err(CatalogError::field(
                "pixels",
                &format!("must be from 1 to {MAX_OVERVIEW_PIXELS}"),
            ));
        }
        let key = self.peaks_file(caller, id).await?;
        let bytes = match read_all(self.0, &key).await {
            Ok(b) => b,
            Err(StoreError::NotFound) => return Err(CatalogError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let stored = Peaks::from_dat(&bytes).map_err(|e| {
            CatalogError::Store(StoreError::blob(format!("reading `{key}`"), e.to_string()))
        })?;
        Ok(stored.reduced(pixels))
    }

    /// The key of the track's current waveform file (for who may stream the track).
    async fn peaks_file(&self, caller: &Caller, id: Id) -> CatalogResult<String> {
        let cat = self.0;
        let t = policy::streamable_track(cat, caller, id).await?;
        let Some(spec) = cat.pipeline.graph.job(PEAKS_JOB) else {
            return Err(CatalogError::NotFound);
        };
        let manifest = artifacts::read_manifest(&cat.blobs, t.track.id, spec).await?;
        if !manifest.is_some_and(|m| m.is_from(&t.track.blob_key) && m.unavailable.is_none()) {
            return Err(CatalogError::NotFound);
        }
        let key = artifacts::output_key(t.track.id, &spec.name, spec.version, FILE);
        Ok(key)
    }
}

/// The file's 20-byte header.
async fn read_header(cat: &crate::Inner, key: &str) -> Result<Vec<u8>, StoreError> {
    let mut head = Vec::with_capacity(DAT_HEADER_BYTES);
    let mut s = cat.blobs.get_range(key, 0..DAT_HEADER_BYTES as u64).await?;
    while let Some(chunk) = s.try_next().await? {
        head.extend_from_slice(&chunk);
    }
    if head.len() < DAT_HEADER_BYTES {
        return Err(StoreError::blob(
            format!("reading `{key}`"),
            "a waveform file shorter than its header",
        ));
    }
    Ok(head)
}

/// The whole file (a waveform: 4 bytes per stored pixel).
async fn read_all(cat: &crate::Inner, key: &str) -> Result<Vec<u8>, StoreError> {
    let size = cat.blobs.head(key).await?.size;
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut s = cat.blobs.get_range(key, 0..size).await?;
    while let Some(chunk) = s.try_next().await? {
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
