//! Validating an uploaded blob as audio before a track may point at it: the upload check.
//!
//! The whole file is decoded (on the blocking pool, ~1000x real time), because a header alone
//! does not prove the audio is usable: a truncated MP3 has a perfect header. A file is refused
//! when it is not audio, decodes to nothing, is mostly corrupt packets, or decodes to clearly
//! less than the duration its header declares (cut short in transit).

use std::path::{Path, PathBuf};

use backbeat_audio::decode::{DecodeLimits, DecodedStream};
use backbeat_audio::AudioError;
use backbeat_store::AudioFacts;

use crate::error::CatalogError;

/// Share of the declared duration that must decode; less means the file was truncated.
const MIN_DECODED_SHARE: f64 = 0.98;
/// Absolute slack on top of the share, for encoders whose headers round (seconds).
const DURATION_SLACK_S: f64 = 0.25;
/// More corrupt packets than this share of all packets and the file is refused.
const MAX_BAD_SHARE: f64 = 0.01;

/// Decodes the file at `path` end to end and returns its facts, or why it is not usable audio.
pub async fn check(
    path: PathBuf,
    max_bytes: u64,
    max_duration_s: f64,
) -> Result<AudioFacts, CatalogError> {
    let limits = DecodeLimits {
        max_file_bytes: max_bytes,
        max_duration_secs: max_duration_s,
        ..DecodeLimits::default()
    };
    tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(|| check_blocking(&path, limits)).unwrap_or_else(|_| {
            Err(CatalogError::UnprocessableAudio(
                "the audio decoder failed on this file".into(),
            ))
        })
    })
    .await
    .map_err(|e| CatalogError::Internal(format!("upload check task: {e}")))?
}

fn check_blocking(
    path: &std::path::Path,
    limits: DecodeLimits,
) -> Result<AudioFacts, CatalogError> {
    let mut stream = DecodedStream::open(path, limits).map_err(audio_error)?;
    let mut packets: u64 = 0;
    while stream.next_chunk().map_err(audio_error)?.is_some() {
        packets += 1;
    }
    let info = stream.info().clone();
    let bad = u64::from(stream.bad_packets());
    if bad > 0 && bad as f64 > MAX_BAD_SHARE * (packets + bad) as f64 {
        return Err(CatalogError::UnprocessableAudio(format!(
            "corrupt audio: {bad} of {} packets could not be decoded",
            packets + bad
        )));
    }
    if let Some(declared) = info.declared_duration_secs {
        if info.duration_secs < declared * MIN_DECODED_SHARE - DURATION_SLACK_S {
            return Err(CatalogError::UnprocessableAudio(format!(
                "truncated audio: the header declares {declared:.2} s but only {:.2} s decode",
                info.duration_secs
            )));
        }
    }
    Ok(AudioFacts {
        container: info.container,
        codec: info.codec,
        duration_ms: (info.duration_secs * 1000.0).round() as i64,
        sample_rate: i64::from(info.sample_rate),
        channels: info.channels as i64,
        bytes: i64::try_from(info.file_bytes).unwrap_or(i64::MAX),
    })
}

/// Every decoding failure is the file's fault except the internal ones.
fn audio_error(e: AudioError) -> CatalogError {
    match e {
        AudioError::Io(_) | AudioError::Internal(_) => CatalogError::Internal(e.to_string()),
        AudioError::EmptyFile
        | AudioError::Unrecognised(_)
        | AudioError::NoAudioTrack(_)
        | AudioError::UnsupportedCodec(_)
        | AudioError::Corrupt(_)
        | AudioError::ZeroLength
        | AudioError::LimitExceeded(_)
        | AudioError::Panic(_) => CatalogError::UnprocessableAudio(e.to_string()),
    }
}

/// Checks the blob at `key` (see [`check`]) on a copy in `scratch`, removed afterwards.
///
/// The check decodes a copy rather than the store's own object: the store never hands out a
/// path (an S3 store has none), and the bytes checked are a snapshot that a write to the key
/// during the check cannot change half-way. Copying costs far less than the decode (a local
/// store copies in the kernel at disk speed; decoding runs at ~1000x real time).
pub async fn check_blob(
    blobs: &backbeat_store::blob::BlobStore,
    key: &str,
    scratch: &Path,
    max_bytes: u64,
    max_duration_s: f64,
) -> Result<AudioFacts, CatalogError> {
    let copy = ScratchFile::create(scratch)?;
    match blobs.fetch_to_file(key, &copy.0).await {
        Ok(_) => {}
        // Deleted since the caller looked: as if nothing had been uploaded.
        Err(backbeat_store::StoreError::NotFound) => {
            return Err(CatalogError::field(
                "trackUrl",
                "nothing has been uploaded to this URL",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    check(copy.0.clone(), max_bytes, max_duration_s).await
}

/// A file name in the scratch folder, removed when dropped (also when the check is cancelled
/// because the client went away).
struct ScratchFile(PathBuf);

impl ScratchFile {
    fn create(scratch: &Path) -> Result<Self, CatalogError> {
        std::fs::create_dir_all(scratch).map_err(|e| {
            CatalogError::Internal(format!(
                "creating the scratch folder {}: {e}",
                scratch.display()
            ))
        })?;
        let name = format!("upload-check-{}", backbeat_store::model::new_id());
        Ok(ScratchFile(scratch.join(name)))
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        // Unlinking one file is quick enough to do in place, even on a runtime thread.
        let _ = std::fs::remove_file(&self.0);
    }
}
