//! Integration tests: every supported format decodes, reports its facts, and matches ffmpeg.

use backbeat_audio::decode::{DecodeLimits, DecodedStream, SourceInfo};

use crate::common::{ffmpeg_decode, fixture, have_tool};

/// Decode a fixture completely to interleaved samples at its native rate.
fn decode_all(name: &str) -> (Vec<f32>, SourceInfo) {
    let mut stream = DecodedStream::open(&fixture(name), DecodeLimits::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut out = Vec::new();
    while let Some(chunk) = stream
        .next_chunk()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
    {
        out.extend_from_slice(chunk.samples);
    }
    assert_eq!(stream.bad_packets(), 0, "{name}: packets were skipped");
    (out, stream.info().clone())
}

struct Expect {
    file: &'static str,
    container: &'static str,
    codec: &'static str,
    rate: u32,
    channels: usize,
    bits: Option<u32>,
    lossless: bool,
}

const FIXTURES: &[Expect] = &[
    Expect {
        file: "chord_s16.wav",
        container: "wav",
        codec: "pcm_s16le",
        rate: 44100,
        channels: 2,
        bits: Some(16),
        lossless: true,
    },
    Expect {
        file: "chord_s24.wav",
        container: "wav",
        codec: "pcm_s24le",
        rate: 44100,
        channels: 2,
        bits: Some(24),
        lossless: true,
    },
    Expect {
        file: "chord_f32.wav",
        container: "wav",
        codec: "pcm_f32le",
        rate: 44100,
        channels: 2,
        bits: Some(32),
        lossless: true,
    },
    Expect {
        file: "chord_8k_mono.wav",
        container: "wav",
        codec: "pcm_s16le",
        rate: 8000,
        channels: 1,
        bits: Some(16),
        lossless: true,
    },
    Expect {
        file: "chord.flac",
        container: "flac",
        codec: "flac",
        rate: 44100,
        channels: 2,
        bits: Some(16),
        lossless: true,
    },
    Expect {
        file: "chord_alac.m4a",
        container: "mp4",
        codec: "alac",
        rate: 44100,
        channels: 2,
        bits: Some(24),
        lossless: true,
    },
    Expect {
        file: "chord.mp3",
        container: "mp3",
        codec: "mp3",
        rate: 44100,
        channels: 2,
        bits: None,
        lossless: false,
    },
    Expect {
        file: "chord_aac.m4a",
        container: "mp4",
        codec: "aac",
        rate: 44100,
        channels: 2,
        bits: None,
        lossless: false,
    },
    Expect {
        file: "chord.ogg",
        container: "ogg",
        codec: "vorbis",
        rate: 44100,
        channels: 2,
        bits: None,
        lossless: false,
    },
    Expect {
        file: "chord.opus",
        container: "ogg",
        codec: "opus",
        rate: 48000,
        channels: 2,
        bits: None,
        lossless: false,
    },
];

#[test]
fn every_format_reports_its_facts() {
    for e in FIXTURES {
        let (samples, info) = decode_all(e.file);
        assert_eq!(info.container, e.container, "{}", e.file);
        assert_eq!(info.codec, e.codec, "{}", e.file);
        assert_eq!(info.sample_rate, e.rate, "{}", e.file);
        assert_eq!(info.channels, e.channels, "{}", e.file);
        if e.lossless {
            assert_eq!(info.bits_per_sample, e.bits, "{}", e.file);
        }
        // The fixtures are 2.000 s; lossy codecs may keep a few ms of padding.
        assert!(
            (info.duration_secs - 2.0).abs() < 0.03,
            "{}: {} s",
            e.file,
            info.duration_secs
        );
        assert_eq!(
            samples.len(),
            (info.duration_secs * f64::from(e.rate)).round() as usize * e.channels
        );
        let bitrate = info.bitrate_kbps.expect("bitrate known after decoding");
        assert!(
            bitrate > 10.0 && bitrate < 3000.0,
            "{}: {bitrate} kbps",
            e.file
        );
        let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak > 0.3 && peak <= 1.0, "{}: peak {peak}", e.file);
    }
}

/// Like symphonia-check: the decoded samples must match ffmpeg's decoder — bit-exact for
/// lossless formats, within a small error for lossy ones (decoders differ in rounding only).
#[test]
fn decoded_samples_match_ffmpeg() {
    if !have_tool("ffmpeg") {
        return;
    }
    for e in FIXTURES {
        let (ours, _) = decode_all(e.file);
        let theirs = ffmpeg_decode(&fixture(e.file));
        let n = ours.len().min(theirs.len());
        let len_diff = ours.len().abs_diff(theirs.len()) / e.channels;
        if e.lossless {
            assert_eq!(ours.len(), theirs.len(), "{}: sample count", e.file);
            let max = ours
                .iter()
                .zip(&theirs)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(max < 1e-6, "{}: max difference {max}", e.file);
        } else {
            // Gapless trimming can differ by a frame of padding; compare the common part.
            assert!(
                len_diff <= 2048,
                "{}: {} vs {} samples",
                e.file,
                ours.len(),
                theirs.len()
            );
            let (mut err, mut sig) = (0.0f64, 0.0f64);
            for (a, b) in ours[..n].iter().zip(&theirs[..n]) {
                err += f64::from(a - b).powi(2);
                sig += f64::from(*b).powi(2);
            }
            let snr = 10.0 * (sig / err.max(1e-20)).log10();
            assert!(snr > 40.0, "{}: SNR against ffmpeg {snr:.1} dB", e.file);
        }
    }
}

#[test]
fn chunks_never_exceed_declared_channels() {
    let mut stream = DecodedStream::open(&fixture("chord.mp3"), DecodeLimits::default()).unwrap();
    while let Some(chunk) = stream.next_chunk().unwrap() {
        assert_eq!(chunk.channels, 2);
        assert_eq!(chunk.samples.len() % 2, 0);
        assert_eq!(chunk.sample_rate, 44100);
    }
    // After the end, the stream stays ended.
    assert!(stream.next_chunk().unwrap().is_none());
}

#[test]
fn decode_mono_resamples_to_the_requested_rate() {
    for (file, rate) in [
        ("chord_s16.wav", 22050),
        ("chord_8k_mono.wav", 22050),
        ("chord.opus", 22050),
        ("chord_s16.wav", 44100),
    ] {
        let (mono, info) = backbeat_audio::decode::decode_mono(&fixture(file), rate).unwrap();
        let expected = (info.duration_secs * f64::from(rate)).round() as usize;
        assert!(
            mono.len().abs_diff(expected) <= 1,
            "{file}: {} vs {expected}",
            mono.len()
        );
    }
}
