//! Streaming decoding of every supported format into interleaved `f32` chunks.
//!
//! symphonia does the demuxing and decoding (MP3, AAC/M4A, ALAC, FLAC, WAV/AIFF PCM, Ogg Vorbis);
//! Opus goes through libopus via `symphonia-adapter-libopus`, registered in the same codec
//! registry. Decoding is packet by packet: a caller holds one packet's samples at a time, so a
//! 60-minute file costs no more memory than a 6-second one.

use std::fs::File;
use std::io::{Cursor, ErrorKind, Read, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use symphonia::core::audio::{SampleBuffer, SignalSpec};
use symphonia::core::codecs::{CodecRegistry, Decoder, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::{Descriptor, Hint, Instantiate, Probe, QueryDescriptor};
use symphonia::core::units::{Time, TimeBase};
use symphonia::default::formats::{AdtsReader, FlacReader, IsoMp4Reader, OggReader};

use crate::AudioError;

mod adts;
mod flac_guard;
mod mp4;
mod mp4_guard;
mod ogg_guard;

pub use mp4::edit_list_delay;

/// Limits that protect a worker from hostile or oversized input.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    /// Files larger than this many bytes are refused before decoding.
    pub max_file_bytes: u64,
    /// Decoding stops with an error once this much audio (seconds) has been produced.
    pub max_duration_secs: f64,
    /// Streams with more channels than this are refused.
    pub max_channels: usize,
    /// Streams above this sample rate (Hz) are refused.
    pub max_sample_rate: u32,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_file_bytes: 4 << 30,
            max_duration_secs: 6.0 * 3600.0,
            max_channels: 16,
            max_sample_rate: 768_000,
        }
    }
}

/// Facts about the file and its audio stream.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SourceInfo {
    /// Container format, from the file's magic bytes (`wav`, `flac`, `ogg`, `mp4`, `mp3`, ...).
    pub container: String,
    /// Codec short name (`mp3`, `aac`, `alac`, `flac`, `vorbis`, `opus`, `pcm_s16le`, ...).
    pub codec: String,
    /// Sample rate of the decoded stream (Hz).
    pub sample_rate: u32,
    /// Number of channels.
    pub channels: usize,
    /// Bits per coded sample where the codec has one (PCM, FLAC, ALAC); `None` for lossy codecs.
    pub bits_per_sample: Option<u32>,
    /// Duration in seconds, from the number of frames actually decoded.
    pub duration_secs: f64,
    /// Average bitrate over the whole file, in kbit/s (file size over duration).
    pub bitrate_kbps: Option<f64>,
    /// Size of the file in bytes.
    pub file_bytes: u64,
    /// Duration the container or stream header declares (e.g. an MP3's Xing frame count),
    /// when it declares one. Decoding far less than this means the file was cut short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_duration_secs: Option<f64>,
}

/// Recognise the container from the first bytes, so non-audio input gets a precise reason.
pub fn sniff_container(head: &[u8]) -> Option<&'static str> {
    let at = |i: usize, m: &[u8]| head.len() >= i + m.len() && &head[i..i + m.len()] == m;
    if at(0, b"RIFF") && at(8, b"WAVE") || at(0, b"RF64") || at(0, b"BW64") {
        Some("wav")
    } else if at(0, b"fLaC") {
        Some("flac")
    } else if at(0, b"OggS") {
        Some("ogg")
    } else if at(4, b"ftyp") {
        Some("mp4")
    } else if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        Some("aiff")
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("matroska")
    } else if at(0, b"caff") {
        Some("caf")
    } else if at(0, b"ID3") {
        Some("mp3")
    } else if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xF6 == 0xF0 {
        Some("adts")
    } else if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 {
        Some("mp3")
    } else {
        None
    }
}

/// symphonia's default probe with the ADTS, MP4, FLAC and Ogg readers behind our guards
/// ([`adts::open_adts`], [`mp4_guard::open_mp4`], [`flac_guard::open_flac`],
/// [`ogg_guard::open_ogg`]): each refuses a file whose declared sizes would have symphonia
/// allocate more than the file holds.
fn probe() -> &'static Probe {
    static PROBE: OnceLock<Probe> = OnceLock::new();
    PROBE.get_or_init(|| {
        let mut probe = Probe::default();
        let guarded: [(&[Descriptor], Instantiate); 4] = [
            (AdtsReader::query(), Instantiate::Format(adts::open_adts)),
            (
                IsoMp4Reader::query(),
                Instantiate::Format(mp4_guard::open_mp4),
            ),
            (
                FlacReader::query(),
                Instantiate::Format(flac_guard::open_flac),
            ),
            (OggReader::query(), Instantiate::Format(ogg_guard::open_ogg)),
        ];
        for (descriptors, inst) in guarded {
            for descriptor in descriptors {
                probe.register(&Descriptor {
                    inst,
                    ..*descriptor
                });
            }
        }
        // The defaults after them: the probe takes the first descriptor whose marker matches,
        // so the guarded readers shadow the default registrations.
        symphonia::default::register_enabled_formats(&mut probe);
        probe
    })
}

fn codec_registry() -> &'static CodecRegistry {
    static REGISTRY: OnceLock<CodecRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_all::<symphonia_adapter_libopus::OpusDecoder>();
        registry
    })
}

/// How many undecodable packets in a row make a stream "corrupt" rather than "damaged".
const MAX_CONSECUTIVE_BAD_PACKETS: u32 = 64;

/// One decoded packet: interleaved samples and the format they are in.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// Interleaved samples, `channels` per frame.
    pub samples: &'a [f32],
    /// Sample rate (Hz).
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: usize,
}

/// Where a decoded packet's samples start in the stream's buffer, and their format.
struct ChunkAt {
    start: usize,
    sample_rate: u32,
    channels: usize,
}

/// A file being decoded, one packet at a time.
pub struct DecodedStream {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    /// The unit of the track's packet timestamps, to turn a seek's landing point into frames.
    time_base: Option<TimeBase>,
    buf: Option<SampleBuffer<f32>>,
    spec: Option<SignalSpec>,
    info: SourceInfo,
    limits: DecodeLimits,
    frames: u64,
    /// Encoder-delay frames still to drop from the start (MP4 edit list).
    skip_frames: u64,
    bad_packets: u32,
    consecutive_bad: u32,
    finished: bool,
}

impl DecodedStream {
    /// Open a file and get ready to decode its first audio track.
    pub fn open(path: &Path, limits: DecodeLimits) -> Result<Self, AudioError> {
        let file = File::open(path)?;
        let file_bytes = file.metadata()?.len();
        check_size(file_bytes, &limits)?;
        let extension = path.extension().and_then(|e| e.to_str());
        // The edit list is read through a second handle: symphonia owns the first.
        let edit_list = || {
            File::open(path)
                .ok()
                .and_then(|mut f| edit_list_delay(&mut f))
        };
        Self::open_source(file, file_bytes, extension, edit_list, limits)
    }

    /// Get ready to decode audio held in memory (an upload not yet stored, a fuzz input).
    /// `extension` is a hint like a file name's (`"m4a"`, `"aac"`); the bytes decide.
    pub fn from_bytes(
        bytes: Arc<[u8]>,
        extension: Option<&str>,
        limits: DecodeLimits,
    ) -> Result<Self, AudioError> {
        let file_bytes = bytes.len() as u64;
        check_size(file_bytes, &limits)?;
        let edit_list = || edit_list_delay(&mut Cursor::new(Arc::clone(&bytes)));
        Self::open_source(
            Cursor::new(Arc::clone(&bytes)),
            file_bytes,
            extension,
            edit_list,
            limits,
        )
    }

    /// Probes `source` and sets up the decoder, containing any panic of the demuxer or codec
    /// (symphonia panics on some corrupt input) as [`AudioError::Panic`].
    fn open_source<S: MediaSource + 'static>(
        source: S,
        file_bytes: u64,
        extension: Option<&str>,
        edit_list: impl FnOnce() -> Option<u64>,
        limits: DecodeLimits,
    ) -> Result<Self, AudioError> {
        catch_unwind(AssertUnwindSafe(|| {
            Self::open_uncaught(source, file_bytes, extension, edit_list, limits)
        }))
        .unwrap_or_else(|payload| Err(AudioError::from_panic(payload.as_ref())))
    }

    fn open_uncaught<S: MediaSource + 'static>(
        mut source: S,
        file_bytes: u64,
        extension: Option<&str>,
        edit_list: impl FnOnce() -> Option<u64>,
        limits: DecodeLimits,
    ) -> Result<Self, AudioError> {
        let mut head = [0u8; 16];
        let n = read_up_to(&mut source, &mut head)?;
        let container = sniff_container(&head[..n]);
        source.seek(SeekFrom::Start(0))?;

        let mut hint = Hint::new();
        if let Some(ext) = extension {
            hint.with_extension(ext);
        }
        let mss = MediaSourceStream::new(Box::new(source), Default::default());
        let format_opts = FormatOptions {
            enable_gapless: true,
            ..Default::default()
        };
        let probed = probe()
            .format(&hint, mss, &format_opts, &MetadataOptions::default())
            .map_err(|e| match container {
                None => AudioError::Unrecognised(format!(
                    "the first bytes match no audio container ({})",
                    describe_sym_error(&e)
                )),
                Some(c) => AudioError::Corrupt(format!(
                    "looks like {c} but cannot be parsed: {}",
                    describe_sym_error(&e)
                )),
            })?;
        let format = probed.format;
        let track = format
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            .ok_or_else(|| AudioError::NoAudioTrack("the container holds no audio track".into()))?;
        let params = track.codec_params.clone();
        let track_id = track.id;
        let time_base = params.time_base;
        let codec = codec_registry()
            .get_codec(params.codec)
            .map(|d| d.short_name.to_string())
            .unwrap_or_else(|| format!("unknown codec ({:?})", params.codec));
        let decoder = codec_registry()
            .make(&params, &DecoderOptions::default())
            .map_err(|e| {
                AudioError::UnsupportedCodec(format!("{codec}: {}", describe_sym_error(&e)))
            })?;
        let bits_per_sample = params.bits_per_sample.or_else(|| alac_bit_depth(&params));
        // With gapless enabled, symphonia trims the delay itself whenever it knows it; only
        // AAC in MP4 needs the edit list read here.
        let skip_frames = match (params.delay, container) {
            (None, Some("mp4")) if codec == "aac" => edit_list().unwrap_or(0),
            _ => 0,
        };
        let sample_rate = params.sample_rate.unwrap_or(0);
        let channels = params.channels.map(|c| c.count()).unwrap_or(0);
        check_spec(sample_rate, channels, &limits)?;
        let info = SourceInfo {
            container: container.unwrap_or("unknown").to_string(),
            codec,
            sample_rate,
            channels,
            bits_per_sample,
            duration_secs: 0.0,
            bitrate_kbps: None,
            file_bytes,
            declared_duration_secs: match (params.n_frames, sample_rate) {
                (Some(n), rate) if rate > 0 && n > 0 => Some(n as f64 / f64::from(rate)),
                _ => None,
            },
        };
        Ok(DecodedStream {
            format,
            decoder,
            track_id,
            time_base,
            buf: None,
            spec: None,
            info,
            limits,
            frames: 0,
            skip_frames,
            bad_packets: 0,
            consecutive_bad: 0,
            finished: false,
        })
    }

    /// Facts about the stream; `duration_secs` and `bitrate_kbps` are final once decoding ends.
    pub fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Packets that failed to decode and were skipped.
    pub fn bad_packets(&self) -> u32 {
        self.bad_packets
    }

    /// Frames produced so far, counted from the start of the stream (after
    /// [`seek`](Self::seek), from where the seek landed).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Jumps to the packet at or before `secs` into the stream, so a caller can sample the end
    /// of a long file without decoding its middle (a FLAC seeks by binary search over frame
    /// headers, an MP3 scans frame headers, neither decodes). Afterwards [`frames`](Self::frames)
    /// counts from the stream's start, as if the skipped audio had been decoded, and decoding
    /// resumes at the landing point. Returns the time landed at (seconds).
    ///
    /// `None` when the container cannot seek there, or the stream's time base or rate is
    /// unknown; a failed seek may have moved the reader, so the stream then ends (the caller
    /// opens the file again and decodes instead).
    pub fn seek(&mut self, secs: f64) -> Option<f64> {
        let rate = self.info.sample_rate;
        let (Some(tb), true) = (self.time_base, rate > 0 && secs.is_finite() && secs >= 0.0) else {
            self.finished = true;
            return None;
        };
        let to = SeekTo::Time {
            time: Time::new(secs.trunc() as u64, secs.fract()),
            track_id: Some(self.track_id),
        };
        let seeked = match catch_unwind(AssertUnwindSafe(|| {
            self.format.seek(SeekMode::Accurate, to)
        })) {
            Ok(Ok(seeked)) => seeked,
            Ok(Err(_)) | Err(_) => {
                self.finished = true;
                return None;
            }
        };
        self.decoder.reset();
        let landed = tb.calc_time(seeked.actual_ts);
        let landed_secs = landed.seconds as f64 + landed.frac;
        self.frames = (landed_secs * f64::from(rate)).round() as u64;
        self.skip_frames = 0;
        Some(landed_secs)
    }

    /// Decode the next packet: interleaved samples at the stream's rate, `None` at the end.
    ///
    /// A panic of the demuxer or codec (symphonia panics on some corrupt input) is contained:
    /// it ends the stream with [`AudioError::Panic`].
    pub fn next_chunk(&mut self) -> Result<Option<Chunk<'_>>, AudioError> {
        let decoded = match catch_unwind(AssertUnwindSafe(|| self.decode_next())) {
            Ok(decoded) => decoded,
            Err(payload) => {
                self.finished = true;
                Err(AudioError::from_panic(payload.as_ref()))
            }
        };
        let Some(at) = decoded? else {
            return Ok(None);
        };
        let samples = self
            .buf
            .as_ref()
            .and_then(|b| b.samples().get(at.start..))
            .unwrap_or(&[]);
        Ok(Some(Chunk {
            samples,
            sample_rate: at.sample_rate,
            channels: at.channels,
        }))
    }

    /// Decodes the next packet into `self.buf`; where in it the new samples start.
    fn decode_next(&mut self) -> Result<Option<ChunkAt>, AudioError> {
        loop {
            if self.finished {
                return Ok(None);
            }
            let packet = match self.format.next_packet() {
                Ok(p) => p,
                Err(SymError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => {
                    return self.finish().map(|()| None);
                }
                Err(SymError::ResetRequired) => {
                    self.decoder.reset();
                    continue;
                }
                Err(SymError::DecodeError(msg)) => {
                    self.note_bad_packet(msg)?;
                    continue;
                }
                Err(e) if self.frames > 0 => {
                    // A damaged tail (truncated file): keep what decoded, record the damage.
                    self.bad_packets += 1;
                    let _ = e;
                    return self.finish().map(|()| None);
                }
                Err(e) => return Err(AudioError::Corrupt(describe_sym_error(&e))),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let decoded = match self.decoder.decode(&packet) {
                Ok(d) => d,
                Err(SymError::DecodeError(msg)) => {
                    self.note_bad_packet(msg)?;
                    continue;
                }
                Err(SymError::IoError(_)) => {
                    self.note_bad_packet("packet truncated")?;
                    continue;
                }
                Err(SymError::ResetRequired) => {
                    self.decoder.reset();
                    continue;
                }
                Err(e) => return Err(AudioError::Corrupt(describe_sym_error(&e))),
            };
            self.consecutive_bad = 0;
            if decoded.frames() == 0 {
                continue;
            }
            let spec = *decoded.spec();
            match self.spec {
                None => {
                    check_spec(spec.rate, spec.channels.count(), &self.limits)?;
                    self.info.sample_rate = spec.rate;
                    self.info.channels = spec.channels.count();
                    self.spec = Some(spec);
                }
                Some(prev) if prev != spec => {
                    return Err(AudioError::Corrupt(format!(
                        "stream changes format mid-way ({} Hz/{} ch to {} Hz/{} ch)",
                        prev.rate,
                        prev.channels.count(),
                        spec.rate,
                        spec.channels.count()
                    )));
                }
                Some(_) => {}
            }
            let needed = decoded.capacity();
            if self.buf.as_ref().is_none_or(|b| b.capacity() < needed) {
                self.buf = Some(SampleBuffer::new(needed as u64, spec));
            }
            let ch = spec.channels.count().max(1);
            let total = match self.buf.as_mut() {
                Some(buf) => {
                    buf.copy_interleaved_ref(decoded);
                    buf.len() / ch
                }
                None => 0,
            };
            let skip = (self.skip_frames as usize).min(total);
            self.skip_frames -= skip as u64;
            if skip == total {
                continue;
            }
            self.frames += (total - skip) as u64;
            let secs = self.frames as f64 / f64::from(spec.rate.max(1));
            if secs > self.limits.max_duration_secs {
                return Err(AudioError::LimitExceeded(format!(
                    "audio is longer than the limit of {} s",
                    self.limits.max_duration_secs
                )));
            }
            return Ok(Some(ChunkAt {
                start: skip * ch,
                sample_rate: spec.rate,
                channels: ch,
            }));
        }
    }

    fn note_bad_packet(&mut self, _msg: &str) -> Result<(), AudioError> {
        self.bad_packets += 1;
        self.consecutive_bad += 1;
        if self.consecutive_bad > MAX_CONSECUTIVE_BAD_PACKETS {
            return Err(AudioError::Corrupt(format!(
                "{} consecutive packets failed to decode",
                self.consecutive_bad
            )));
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        self.finished = true;
        if self.frames == 0 {
            return Err(if self.bad_packets > 0 {
                AudioError::Corrupt(format!(
                    "none of the {} audio packets could be decoded",
                    self.bad_packets
                ))
            } else {
                AudioError::ZeroLength
            });
        }
        let rate = f64::from(self.info.sample_rate.max(1));
        self.info.duration_secs = self.frames as f64 / rate;
        self.info.bitrate_kbps =
            Some(self.info.file_bytes as f64 * 8.0 / self.info.duration_secs / 1000.0);
        Ok(())
    }
}

/// ALAC keeps its bit depth in the "magic cookie" (ALACSpecificConfig), which symphonia's MP4
/// reader does not surface: frameLength u32, compatibleVersion u8, bitDepth u8, ...
fn alac_bit_depth(params: &symphonia::core::codecs::CodecParameters) -> Option<u32> {
    if params.codec != symphonia::core::codecs::CODEC_TYPE_ALAC {
        return None;
    }
    let cookie = params.extra_data.as_deref()?;
    // The cookie may still carry its own atom header: size, 'alac', version/flags.
    let config = if cookie.get(4..8) == Some(b"alac") {
        cookie.get(12..)?
    } else {
        cookie
    };
    let depth = u32::from(*config.get(5)?);
    matches!(depth, 16 | 20 | 24 | 32).then_some(depth)
}

fn check_size(file_bytes: u64, limits: &DecodeLimits) -> Result<(), AudioError> {
    if file_bytes == 0 {
        return Err(AudioError::EmptyFile);
    }
    if file_bytes > limits.max_file_bytes {
        return Err(AudioError::LimitExceeded(format!(
            "file is {file_bytes} bytes, over the limit of {} bytes",
            limits.max_file_bytes
        )));
    }
    Ok(())
}

fn check_spec(rate: u32, channels: usize, limits: &DecodeLimits) -> Result<(), AudioError> {
    if channels > limits.max_channels {
        return Err(AudioError::LimitExceeded(format!(
            "{channels} channels, over the limit of {}",
            limits.max_channels
        )));
    }
    if rate > limits.max_sample_rate {
        return Err(AudioError::LimitExceeded(format!(
            "sample rate {rate} Hz, over the limit of {} Hz",
            limits.max_sample_rate
        )));
    }
    Ok(())
}

fn describe_sym_error(e: &SymError) -> String {
    match e {
        SymError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
            "unexpected end of file".to_string()
        }
        // The refusals of the MP4, FLAC and Ogg guards (see `mp4_guard`, `flac_guard`,
        // `ogg_guard`), which carry their reason.
        SymError::IoError(io) if io.kind() == ErrorKind::InvalidData => format!("{io}"),
        SymError::IoError(io) => format!("read error: {io}"),
        SymError::DecodeError(m) => format!("malformed data: {m}"),
        SymError::SeekError(_) => "seek error".to_string(),
        SymError::Unsupported(m) => format!("unsupported feature: {m}"),
        SymError::LimitError(m) => format!("decoder limit: {m}"),
        SymError::ResetRequired => "decoder reset required".to_string(),
    }
}

fn read_up_to(file: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Decode a whole file to mono at `rate` Hz — a convenience for tools and tests, not for long files.
pub fn decode_mono(path: &Path, rate: u32) -> Result<(Vec<f32>, SourceInfo), AudioError> {
    let mut stream = DecodedStream::open(path, DecodeLimits::default())?;
    let mut out = Vec::new();
    let mut resampler: Option<crate::resample::MonoResampler> = None;
    while let Some(chunk) = stream.next_chunk()? {
        let r = match &mut resampler {
            Some(r) => r,
            slot => slot.insert(crate::resample::MonoResampler::new(
                chunk.sample_rate,
                chunk.channels,
                rate,
            )?),
        };
        r.push_interleaved(chunk.samples, &mut out)?;
    }
    if let Some(r) = &mut resampler {
        r.flush(&mut out)?;
    }
    Ok((out, stream.info.clone()))
}
