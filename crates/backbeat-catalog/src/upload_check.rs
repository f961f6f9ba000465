//! Validating an uploaded blob as audio before a track may point at it: the upload check.
//!
//! The check answers while the client waits, so it samples instead of decoding everything:
//! the header (container, codec, channels, rate, declared duration) is checked against the
//! [`AudioLimits`] before a single packet is decoded, then the first second is decoded (is
//! it audio at all?), then the reader seeks to two seconds before the declared end and decodes
//! to the end (is it all there? a truncated file has a perfect header). The pipeline's `probe`
//! job decodes the whole file later and fails the track if the middle is damaged.
//!
//! Measured on a 2.9 h, 8-channel, 192 kHz silent FLAC (1.1 MB): the full decode this replaced
//! held `POST /tracks` for ~18 s; sampled, the same file (with limits raised to admit it)
//! checks in well under a second, and with the default limits it is refused from its header
//! (`bench/upload_check.sh` reproduces both).
//!
//! A stream that declares no duration (an MP3 without a Xing frame) cannot be sampled at its
//! end, so it is decoded whole, with the limits checked as it goes: the cost stays bounded by
//! `max_decoded_samples`.

use std::path::{Path, PathBuf};

use backbeat_audio::decode::DecodedStream;
use backbeat_audio::AudioError;
use backbeat_store::AudioFacts;

use crate::audio_limits::AudioLimits;
use crate::error::CatalogError;

/// Share of the declared duration that must decode; less means the file was truncated.
const MIN_DECODED_SHARE: f64 = 0.98;
/// Absolute slack on top of the share, for encoders whose headers round (seconds).
const DURATION_SLACK_S: f64 = 0.25;
/// More corrupt packets than this share of the packets sampled and the file is refused.
const MAX_BAD_SHARE: f64 = 0.01;
/// Audio decoded from the start (seconds).
const HEAD_S: f64 = 1.0;
/// Audio decoded before the declared end (seconds).
const TAIL_S: f64 = 2.0;
/// Audio decoded past the seek before a stream that has not ended is refused as running past
/// its declared duration (seconds): a header that understates the length would otherwise
/// have the check decode the undeclared rest, and let it past the limits checked on the header.
const TAIL_BUDGET_S: f64 = TAIL_S + 30.0;

/// Checks the file at `path` (see the module doc) and returns its facts, or why it is not
/// usable audio or is over a limit.
pub async fn check(path: PathBuf, limits: AudioLimits) -> Result<AudioFacts, CatalogError> {
    tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(|| check_blocking(&path, &limits)).unwrap_or_else(|_| {
            Err(CatalogError::UnprocessableAudio(
                "the audio decoder failed on this file".into(),
            ))
        })
    })
    .await
    .map_err(|e| CatalogError::Internal(format!("upload check task: {e}")))?
}

/// Packets decoded over every stretch sampled (the stream counts the ones that failed).
#[derive(Default)]
struct Tally {
    packets: u64,
}

/// How a stretch of decoding ended.
#[derive(PartialEq)]
enum Stretch {
    /// The stream ended.
    Ended,
    /// The stretch's budget was reached first.
    Budget,
}

fn check_blocking(path: &Path, limits: &AudioLimits) -> Result<AudioFacts, CatalogError> {
    let open = || DecodedStream::open(path, limits.decode_limits()).map_err(audio_error);
    let mut stream = open()?;
    let header = stream.info().clone();
    limits.check(
        header.channels,
        header.sample_rate,
        header.declared_duration_secs,
    )?;
    let mut tally = Tally::default();
    if decode(&mut stream, limits, &mut tally, Some(HEAD_S))? == Stretch::Budget {
        let tail_from = header
            .declared_duration_secs
            .map(|d| d - TAIL_S)
            .filter(|&at| at > HEAD_S);
        match tail_from.and_then(|at| stream.seek(at)) {
            Some(landed) => {
                let budget = (header.declared_duration_secs.unwrap_or(0.0) - landed).max(0.0)
                    + TAIL_BUDGET_S;
                if decode(&mut stream, limits, &mut tally, Some(budget))? == Stretch::Budget {
                    return Err(CatalogError::UnprocessableAudio(
                        "the audio runs past the duration its header declares".into(),
                    ));
                }
            }
            None => {
                // No declared end, or the container cannot seek to it: decode it all, from
                // the start (a failed seek may have moved the reader).
                stream = open()?;
                tally = Tally::default();
                decode(&mut stream, limits, &mut tally, None)?;
            }
        }
    }
    let info = stream.info().clone();
    limits.check(info.channels, info.sample_rate, Some(info.duration_secs))?;
    let bad = u64::from(stream.bad_packets());
    if bad > 0 && bad as f64 > MAX_BAD_SHARE * (tally.packets + bad) as f64 {
        return Err(CatalogError::UnprocessableAudio(format!(
            "corrupt audio: {bad} of {} packets could not be decoded",
            tally.packets + bad
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

/// Decodes until the stream ends or `budget_s` more seconds have decoded, checking the limits
/// on every packet (a stream may declare no shape or duration up front).
fn decode(
    stream: &mut DecodedStream,
    limits: &AudioLimits,
    tally: &mut Tally,
    budget_s: Option<f64>,
) -> Result<Stretch, CatalogError> {
    let start = stream.frames();
    loop {
        let (channels, rate) = match stream.next_chunk().map_err(audio_error)? {
            Some(chunk) => (chunk.channels, chunk.sample_rate),
            None => return Ok(Stretch::Ended),
        };
        tally.packets += 1;
        let rate_hz = f64::from(rate.max(1));
        limits.check(channels, rate, Some(stream.frames() as f64 / rate_hz))?;
        let decoded_s = (stream.frames() - start) as f64 / rate_hz;
        if budget_s.is_some_and(|b| decoded_s >= b) {
            return Ok(Stretch::Budget);
        }
    }
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
/// The check samples a copy rather than the store's own object: the store never hands out a
/// path (an S3 store has none), and the bytes checked are a snapshot that a write to the key
/// during the check cannot change half-way. Copying runs at disk speed (a local store copies in
/// the kernel), and bytes are bounded by `max_upload_bytes`.
pub async fn check_blob(
    blobs: &backbeat_store::blob::BlobStore,
    key: &str,
    scratch: &Path,
    limits: AudioLimits,
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
    check(copy.0.clone(), limits).await
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
