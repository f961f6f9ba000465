//! A source ffmpeg refuses but Backbeat's own decoder reads (an Ogg file whose header pages
//! ffmpeg's demuxer rejects, say), rewritten as a 24-bit PCM WAV ffmpeg takes: the ladder is
//! then encoded from Backbeat's decode instead of failing the track.
//!
//! 24 bits keep a lossless source's FLAC rung exact for 16- and 24-bit sources. A RIFF WAV
//! holds at most 4 GiB of samples (about 3 h 50 min of stereo at 48 kHz); a longer source is
//! refused with that reason rather than written wrong.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use backbeat_audio::decode::{DecodeLimits, DecodedStream};
use backbeat_pipeline::JobError;

use crate::support::audio_err;

const BYTES_PER_SAMPLE: u64 = 3;
const HEADER_BYTES: u64 = 44;

/// Decodes `source` into a 24-bit WAV at `wav`, at the source's own rate and channels.
pub(crate) fn redecode_to_wav(source: &Path, wav: &Path) -> Result<(), JobError> {
    let mut stream = DecodedStream::open(source, DecodeLimits::default()).map_err(audio_err)?;
    let file = File::create(wav).map_err(JobError::io("creating the re-decoded source"))?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut format: Option<(u32, usize)> = None;
    let mut samples: u64 = 0;
    let mut bytes = Vec::new();
    write_header(&mut out, 1, 1, 0)?;
    while let Some(chunk) = stream.next_chunk().map_err(audio_err)? {
        let this = (chunk.sample_rate, chunk.channels);
        match format {
            None => format = Some(this),
            // A chained stream that changes its format cannot be one WAV.
            Some(f) if f != this => {
                return Err(JobError::Permanent(format!(
                    "the source changes from {} ch at {} Hz to {} ch at {} Hz mid-stream",
                    f.1, f.0, this.1, this.0
                )))
            }
            Some(_) => {}
        }
        samples += chunk.samples.len() as u64;
        if samples * BYTES_PER_SAMPLE > u64::from(u32::MAX) - HEADER_BYTES {
            return Err(JobError::Permanent(
                "the source is too long to re-decode into one WAV (4 GiB)".into(),
            ));
        }
        bytes.clear();
        bytes.extend(chunk.samples.iter().flat_map(|&s| pcm24(s)));
        out.write_all(&bytes)
            .map_err(JobError::io("writing the re-decoded source"))?;
    }
    let Some((rate, channels)) = format else {
        return Err(JobError::Permanent(
            "the source decodes to no audio at all".into(),
        ));
    };
    out.seek(SeekFrom::Start(0))
        .map_err(JobError::io("writing the re-decoded source"))?;
    write_header(&mut out, rate, channels, samples * BYTES_PER_SAMPLE)?;
    out.flush()
        .map_err(JobError::io("writing the re-decoded source"))
}

/// A sample in [-1, 1] as little-endian 24-bit PCM (clipped: decoders overshoot slightly).
fn pcm24(s: f32) -> [u8; 3] {
    let v = (f64::from(s).clamp(-1.0, 1.0) * 8_388_607.0).round() as i32;
    let b = v.to_le_bytes();
    [b[0], b[1], b[2]]
}

fn write_header(
    out: &mut impl Write,
    rate: u32,
    channels: usize,
    data: u64,
) -> Result<(), JobError> {
    let channels = u16::try_from(channels)
        .map_err(|_| JobError::Permanent(format!("{channels} channels do not fit a WAV")))?;
    let block = channels * BYTES_PER_SAMPLE as u16;
    let data = data as u32; // checked against u32::MAX while writing
    let mut h = Vec::with_capacity(HEADER_BYTES as usize);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(data + HEADER_BYTES as u32 - 8).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // PCM
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    let byte_rate = u32::try_from(u64::from(rate) * u64::from(block))
        .map_err(|_| JobError::Permanent(format!("{rate} Hz × {channels} ch do not fit a WAV")))?;
    h.extend_from_slice(&byte_rate.to_le_bytes());
    h.extend_from_slice(&block.to_le_bytes());
    h.extend_from_slice(&24u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data.to_le_bytes());
    out.write_all(&h)
        .map_err(JobError::io("writing the re-decoded source"))
}
