//! Integration tests of the whole analysis: the same music in every format gives the same
//! descriptors (decoders, resampler and analysers agree end to end).

use backbeat_audio::{analyze_file, AnalyzeOptions};

use crate::common::fixture;

const FORMATS: &[&str] = &[
    "chord_s16.wav",
    "chord_s24.wav",
    "chord_f32.wav",
    "chord.flac",
    "chord_alac.m4a",
    "chord.mp3",
    "chord_aac.m4a",
    "chord.ogg",
    "chord.opus",
    "chord_8k_mono.wav",
];

#[test]
fn every_format_gives_the_same_descriptors() {
    let reference = analyze_file(&fixture("chord_s16.wav"), &AnalyzeOptions::default()).unwrap();
    let ref_lufs = reference
        .loudness
        .integrated_lufs
        .expect("the chord is loud enough");
    let ref_bpm = reference.rhythm.bpm.expect("the chord has a tempo");
    // The fixture is a C-major chord struck every 0.5 s.
    assert!((ref_bpm - 120.0).abs() / 120.0 < 0.04, "{ref_bpm}");
    for name in FORMATS {
        let a = analyze_file(&fixture(name), &AnalyzeOptions::default()).unwrap();
        let key = a.key.as_ref().unwrap_or_else(|| panic!("{name}: no key"));
        assert_eq!(
            (key.tonic, key.mode),
            ("C", backbeat_audio::key::Mode::Major),
            "{name}"
        );
        let bpm = a.rhythm.bpm.unwrap_or_else(|| panic!("{name}: no tempo"));
        assert!(
            (bpm - ref_bpm).abs() / ref_bpm < 0.02,
            "{name}: {bpm} vs {ref_bpm}"
        );
        let lufs = a
            .loudness
            .integrated_lufs
            .unwrap_or_else(|| panic!("{name}: no loudness"));
        // Lossless formats carry the same samples; lossy ones and the band-limited mono
        // down-mix (8 kHz, one channel) legitimately differ.
        let tolerance = match *name {
            "chord_s24.wav" | "chord_f32.wav" | "chord.flac" | "chord_alac.m4a" => 0.01,
            "chord_8k_mono.wav" => 3.5,
            _ => 0.6,
        };
        assert!(
            (lufs - ref_lufs).abs() < tolerance,
            "{name}: {lufs} vs {ref_lufs}"
        );
        assert!(a.warnings.is_empty(), "{name}: {:?}", a.warnings);
    }
}
