//! Integration tests: hostile and degenerate input gets a valid result or a clear per-file
//! error — never a panic, never an unbounded allocation.

use std::path::Path;

use backbeat_audio::decode::DecodeLimits;
use backbeat_audio::{analyze_file, AnalyzeOptions, AudioError};
use proptest::prelude::*;

use crate::common::{chord_signal, fixture, scratch_dir, write_wav, WavFormat};

fn analyze(path: &Path) -> Result<backbeat_audio::Analysis, AudioError> {
    analyze_file(path, &AnalyzeOptions::default())
}

#[test]
fn empty_file_is_a_clear_error() {
    let dir = scratch_dir("empty");
    let path = dir.join("empty.mp3");
    std::fs::write(&path, b"").unwrap();
    let err = analyze(&path).unwrap_err();
    assert!(matches!(err, AudioError::EmptyFile), "{err}");
    assert_eq!(err.kind(), "empty_file");
}

#[test]
fn missing_file_is_an_io_error() {
    let err = analyze(Path::new("/nonexistent/backbeat/track.flac")).unwrap_err();
    assert!(matches!(err, AudioError::Io(_)), "{err}");
}

#[test]
fn non_audio_bytes_with_audio_extension_are_unrecognised() {
    let dir = scratch_dir("nonaudio");
    let cases: [(&str, &[u8]); 4] = [
        (
            "text.mp3",
            b"This is a plain text file, not audio at all.\n",
        ),
        (
            "image.flac",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0",
        ),
        (
            "html.wav",
            b"<!doctype html><html><body>404 not found</body></html>",
        ),
        ("zip.m4a", b"PK\x03\x04\x14\0\0\0\x08\0"),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = analyze(&path).unwrap_err();
        assert!(
            matches!(err, AudioError::Unrecognised(_)),
            "{name}: expected unrecognised, got {err}"
        );
    }
}

#[test]
fn zero_length_audio_is_a_clear_error() {
    let dir = scratch_dir("zerolen");
    let path = dir.join("zero.wav");
    write_wav(&path, 44100, 2, WavFormat::S16, &[]);
    let err = analyze(&path).unwrap_err();
    assert!(matches!(err, AudioError::ZeroLength), "{err}");
}

#[test]
fn truncated_files_keep_what_decodes_or_fail_clearly() {
    let dir = scratch_dir("truncated");
    for name in [
        "chord.mp3",
        "chord.flac",
        "chord_s16.wav",
        "chord.ogg",
        "chord.opus",
        "chord_aac.m4a",
        "chord_alac.m4a",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        for fraction in [0.5, 0.9] {
            let path = dir.join(format!("{fraction}-{name}"));
            std::fs::write(&path, &bytes[..(bytes.len() as f64 * fraction) as usize]).unwrap();
            match analyze(&path) {
                Ok(a) => {
                    assert!(
                        a.file.duration_secs > 0.0 && a.file.duration_secs <= 2.05,
                        "{name}"
                    );
                }
                Err(e) => assert!(
                    matches!(e, AudioError::Corrupt(_) | AudioError::NoAudioTrack(_)),
                    "{name} cut at {fraction}: unexpected {e}"
                ),
            }
        }
    }
}

#[test]
fn a_truncated_mp3_reports_its_shorter_duration() {
    let dir = scratch_dir("trunc-mp3");
    let bytes = std::fs::read(fixture("chord.mp3")).unwrap();
    let path = dir.join("half.mp3");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let a = analyze(&path).expect("the first half of an MP3 decodes");
    assert!(
        (a.file.duration_secs - 1.0).abs() < 0.2,
        "{}",
        a.file.duration_secs
    );
}

#[test]
fn corrupt_frames_are_skipped_with_a_warning() {
    let dir = scratch_dir("corrupt");
    let mut bytes = std::fs::read(fixture("chord.mp3")).unwrap();
    // Overwrite a stretch in the middle (several frames) with garbage.
    let mid = bytes.len() / 2;
    for (i, b) in bytes[mid..mid + 2000].iter_mut().enumerate() {
        *b = (i * 7 + 13) as u8;
    }
    let path = dir.join("corrupt.mp3");
    std::fs::write(&path, &bytes).unwrap();
    let a = analyze(&path).expect("a damaged MP3 still decodes around the damage");
    assert!(a.file.duration_secs > 1.5, "{}", a.file.duration_secs);
    assert!(
        a.warnings.iter().any(|w| w.contains("corrupt")),
        "{:?}",
        a.warnings
    );
}

#[test]
fn pure_silence_gives_a_valid_result() {
    let dir = scratch_dir("silence");
    let path = dir.join("silence.wav");
    write_wav(&path, 44100, 2, WavFormat::S16, &vec![0.0; 44100 * 2 * 5]);
    let a = analyze(&path).expect("silence is valid audio");
    assert_eq!(a.file.duration_secs, 5.0);
    assert_eq!(a.loudness.integrated_lufs, None);
    assert_eq!(a.rhythm.bpm, None);
    assert!(a.rhythm.beats.is_empty());
    assert!(a.key.is_none());
    assert!(a.content.speech_probability.is_finite());
}

#[test]
fn telephone_band_mono_is_analysed() {
    let a = analyze(&fixture("chord_8k_mono.wav")).expect("8 kHz mono analyses");
    assert_eq!(a.file.sample_rate, 8000);
    assert_eq!(a.file.channels, 1);
    assert!((a.file.duration_secs - 2.0).abs() < 1e-9);
}

#[test]
fn long_high_resolution_file_streams() {
    // 96 kHz 24-bit stereo; the 60-minute version's peak memory is measured in
    // bench/long_file.sh (docs/BENCHMARKS.md) — here a minute keeps the test quick.
    let dir = scratch_dir("hires");
    let path = dir.join("hires.wav");
    let one_sec = chord_signal(96_000, 1.0);
    let mut samples = Vec::with_capacity(one_sec.len() * 60);
    for _ in 0..60 {
        samples.extend_from_slice(&one_sec);
    }
    write_wav(&path, 96_000, 2, WavFormat::S24, &samples);
    drop(samples);
    let a = analyze(&path).expect("96 kHz 24-bit analyses");
    assert_eq!(a.file.sample_rate, 96_000);
    assert_eq!(a.file.bits_per_sample, Some(24));
    assert!((a.file.duration_secs - 60.0).abs() < 1e-9);
}

#[test]
fn limits_refuse_oversized_input_with_a_reason() {
    let path = fixture("chord_s16.wav");
    type Tighten = fn(&mut DecodeLimits);
    let tight = |set: Tighten| {
        let mut limits = DecodeLimits::default();
        set(&mut limits);
        AnalyzeOptions { limits }
    };
    let cases: [(Tighten, &str); 4] = [
        (|l| l.max_file_bytes = 1000, "bytes"),
        (|l| l.max_duration_secs = 1.0, "longer"),
        (|l| l.max_channels = 1, "channels"),
        (|l| l.max_sample_rate = 22_050, "sample rate"),
    ];
    for (set, reason) in cases {
        let err = analyze_file(&path, &tight(set)).unwrap_err();
        assert!(
            matches!(err, AudioError::LimitExceeded(ref m) if m.contains(reason)),
            "{reason}: {err}"
        );
    }
}

#[test]
fn a_wav_header_claiming_absurd_sizes_is_refused_cleanly() {
    let dir = scratch_dir("hostile-wav");
    // A valid-looking header that claims 4 GB of data and 65535 channels.
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF\xff\xff\xff\xffWAVEfmt \x10\0\0\0\x01\0\xff\xff\x44\xac\0\0");
    bytes.extend_from_slice(b"\0\0\0\0\x04\0\x10\0data\xff\xff\xff\xff");
    bytes.extend_from_slice(&[0u8; 256]);
    let path = dir.join("hostile.wav");
    std::fs::write(&path, &bytes).unwrap();
    assert!(analyze(&path).is_err());
}

/// Every fixture with random bytes flipped: analysis returns (Ok or a clear error) and never
/// takes the process down. Contained decoder panics are counted as errors of that file.
#[test]
fn mutated_files_never_escape_as_panics() {
    let dir = scratch_dir("mutate");
    let names = [
        "chord.mp3",
        "chord.flac",
        "chord_s16.wav",
        "chord.ogg",
        "chord.opus",
        "chord_aac.m4a",
        "chord_alac.m4a",
    ];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in names {
        let original = std::fs::read(fixture(name)).unwrap();
        for round in 0..6 {
            let mut bytes = original.clone();
            let flips = 1 + (next() % 64) as usize;
            for _ in 0..flips {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            let path = dir.join(format!("{round}-{name}"));
            std::fs::write(&path, &bytes).unwrap();
            let _ = analyze(&path);
        }
    }
}

/// symphonia's ADTS length estimate underflows when the first frame starts past the middle
/// of the file (found by `arbitrary_bytes_never_panic`): garbage with one ADTS header late in
/// it is an error, not a panic.
#[test]
fn an_adts_sync_word_late_in_garbage_is_an_error_not_a_panic() {
    let dir = scratch_dir("late-adts");
    for (len, at) in [(4000usize, 3000usize), (4000, 3990), (64, 40)] {
        let mut bytes = vec![0x21u8; len];
        // A valid AAC-LC, 44.1 kHz, stereo ADTS header claiming a 20-byte frame.
        bytes[at..at + 7].copy_from_slice(&[0xFF, 0xF1, 0x50, 0x80, 0x02, 0x9F, 0xFC]);
        for name in ["late.m4a", "late.aac", "late.mp3"] {
            let path = dir.join(format!("{len}-{at}-{name}"));
            std::fs::write(&path, &bytes).unwrap();
            let result = analyze(&path);
            assert!(
                !matches!(result, Err(AudioError::Panic(_))),
                "{len}/{at}/{name}: {:?}",
                result.err()
            );
        }
    }
}

/// A short raw AAC stream behind an ID3 tag larger than itself (cover art): the same
/// underflow, on a real file; it decodes in full.
#[test]
fn adts_behind_a_large_id3_tag_decodes() {
    let dir = scratch_dir("id3-adts");
    let stream = std::fs::read(fixture("chord.aac")).unwrap();
    let tag_body = vec![0u8; 3 * stream.len()];
    let size = tag_body.len() as u32;
    let syncsafe = [
        (size >> 21 & 0x7F) as u8,
        (size >> 14 & 0x7F) as u8,
        (size >> 7 & 0x7F) as u8,
        (size & 0x7F) as u8,
    ];
    let mut bytes = b"ID3\x04\x00\x00".to_vec();
    bytes.extend_from_slice(&syncsafe);
    bytes.extend_from_slice(&tag_body);
    bytes.extend_from_slice(&stream);
    let path = dir.join("tagged.aac");
    std::fs::write(&path, &bytes).unwrap();
    let a = analyze(&path).expect("the stream after the tag decodes");
    assert_eq!(a.file.codec, "aac");
    assert!(
        (a.file.duration_secs - 2.0).abs() < 0.1,
        "{}",
        a.file.duration_secs
    );
    let plain = analyze(&fixture("chord.aac")).unwrap();
    assert!((plain.file.duration_secs - a.file.duration_secs).abs() < 1e-9);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Arbitrary bytes under any audio extension: a result or an error, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), ext in 0usize..6) {
        let dir = scratch_dir("arbitrary");
        let name = ["a.mp3", "a.wav", "a.flac", "a.ogg", "a.m4a", "a.opus"][ext];
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let result = analyze(&path);
        prop_assert!(!matches!(result, Err(AudioError::Panic(_))), "{:?}", result.err());
    }
}
