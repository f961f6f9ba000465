//! On-demand progressive transcodes, for clients that cannot play HLS or DASH: the track's
//! audio as MP3, Opus or AAC at a chosen bitrate, optionally with the loudness gain applied,
//! streamed while ffmpeg produces it (`backbeat_media::ondemand` shares one ffmpeg among every
//! request for the same output and keeps the result in a disk cache).
//!
//! Who may listen is the stream endpoint's rule. The cache key names the audio by its blob
//! key, which a replacement changes, so a replaced track never serves its old audio; its old
//! entries age out of the LRU.

use backbeat_media::gain::{normalisation_gain, Gain};
use backbeat_media::ondemand::{Format, OnDemandError, Transcode, TranscodeKey};
use backbeat_store::Id;

use crate::error::{CatalogError, CatalogResult};
use crate::{policy, streaming, Caller, Inner};

/// What a client asks for.
#[derive(Debug, Clone, Copy)]
pub struct ProgressiveRequest {
    pub format: Format,
    /// Bitrate, kbit/s; the format's default when `None`.
    pub kbps: Option<u32>,
    /// Apply the loudness-normalisation gain to the audio.
    pub normalise: bool,
}

/// How long a client should wait before asking again when every transcode slot is taken.
const RETRY_BUSY_S: u64 = 2;

/// The on-demand transcode of track `id` for `caller`.
pub(crate) async fn transcode(
    cat: &Inner,
    caller: &Caller,
    id: Id,
    req: ProgressiveRequest,
) -> CatalogResult<Transcode> {
    let Some(engine) = cat.on_demand.as_ref() else {
        return Err(CatalogError::Unavailable(
            "on-demand transcoding is not available on this server (ffmpeg missing or disabled)"
                .into(),
        ));
    };
    let t = policy::streamable_track(cat, caller, id).await?;
    let kbps = req.kbps.unwrap_or_else(|| req.format.default_kbps());
    req.format
        .check_kbps(kbps)
        .map_err(|e| CatalogError::field("bitrate", &e))?;
    let gain = if req.normalise {
        Some(track_gain(cat, &t.track).await?.gain_db)
    } else {
        None
    };
    let key = TranscodeKey {
        track: id.to_string(),
        source_version: t.track.blob_key.clone(),
        format: req.format,
        kbps,
        gain_db: gain,
    };
    let blobs = cat.blobs.clone();
    let scratch = cat.scratch.clone();
    let blob_key = t.track.blob_key.clone();
    // Only called when a transcode must start: a copy of the audio in the scratch folder,
    // deleted once ffmpeg is done with it.
    let source = move || async move {
        let temp = tempfile::Builder::new()
            .prefix("ondemand-")
            .tempfile_in(&scratch)
            .map_err(|e| format!("scratch file: {e}"))?
            .into_temp_path();
        blobs
            .fetch_to_file(&blob_key, &temp)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(temp)
    };
    let user = caller.user_id.to_string();
    engine
        .stream(key, &user, source)
        .await
        .map_err(|e| match e {
            OnDemandError::Busy => CatalogError::Busy {
                detail: "every on-demand transcode slot is taken".into(),
                retry_after_s: RETRY_BUSY_S,
            },
            OnDemandError::UserBusy => CatalogError::Busy {
                detail: "you have as many transcoded streams open as allowed".into(),
                retry_after_s: RETRY_BUSY_S,
            },
            OnDemandError::BadRequest(d) => CatalogError::field("bitrate", &d),
            OnDemandError::Ffmpeg(d) => CatalogError::UnprocessableAudio(format!(
                "the audio could not be transcoded: {}",
                last_line(&d)
            )),
            OnDemandError::Source(d) => CatalogError::Internal(format!("on-demand source: {d}")),
            OnDemandError::Io(e) => CatalogError::Internal(format!("on-demand cache: {e}")),
        })
}

/// ffmpeg's last line, which names the problem, without the paths before it.
fn last_line(d: &str) -> &str {
    d.lines().last().unwrap_or(d).trim()
}

/// The track's normalisation gain: the ladder's (what its Opus headers carry) when it has
/// one, else computed the same way from the stored analysis.
async fn track_gain(cat: &Inner, track: &backbeat_store::model::Track) -> CatalogResult<Gain> {
    if let Some(index) = streaming::current_index(cat, track).await? {
        return Ok(index.gain);
    }
    let analysis = cat.pipeline.states.track_analysis(track.id).await?;
    let (lufs, peak) = match &analysis {
        Some(a) if a.source.as_deref().is_none_or(|s| s == track.blob_key) => (
            a.loudness_lufs,
            a.analysis["loudness"]["true_peak_dbtp"].as_f64(),
        ),
        _ => (None, None),
    };
    Ok(normalisation_gain(lufs, peak, cat.config.loudness))
}
