//! `fmp4` against files ffmpeg wrote, checked against ffmpeg/ffprobe reading the same files.

use std::process::Command;

use backbeat_media::fmp4::{opus_output_gain, parse_init, parse_segment, set_opus_output_gain};
use backbeat_media::model::{Codec, Rendition};

use crate::fixture::{have, packaged, run, SOURCE_S};

/// The rendition as one fragmented MP4: init then every segment.
fn whole(dir: &std::path::Path, r: &Rendition) -> Vec<u8> {
    let mut v = std::fs::read(dir.join(&r.init)).unwrap();
    for s in &r.segments {
        v.extend(std::fs::read(dir.join(&s.name)).unwrap());
    }
    v
}

#[test]
fn init_segments_give_codec_format_and_timescale() {
    let Some(p) = packaged() else { return };
    for r in &p.ladder.renditions {
        let (codecs, frame) = match r.rung.codec {
            Codec::Aac => ("mp4a.40.2", 1024),
            Codec::Opus => ("opus", 960),
            Codec::Flac => ("fLaC", 1),
        };
        assert_eq!(r.codecs, codecs, "{}", r.id);
        assert_eq!(
            (r.sample_rate, r.channels, r.timescale),
            (48_000, 2, 48_000),
            "{}",
            r.id
        );
        assert_eq!(
            r.segments.len(),
            3,
            "{}: 6.08 + 6.08 + the rest of 14 s",
            r.id
        );
        let mut next = 0;
        for (i, s) in r.segments.iter().enumerate() {
            assert_eq!(s.start, next, "{}: {} does not follow on", r.id, s.name);
            // The last frame lasts only as long as the audio it holds.
            if i + 1 < r.segments.len() {
                assert_eq!(s.duration % frame, 0, "{}: whole codec frames", r.id);
            }
            next = s.start + s.duration;
        }
        // The source, plus the encoder's priming (AAC 1024 samples, Opus pre-skip 312).
        let extra = r.duration_s() - SOURCE_S;
        assert!(
            (0.0..=1024.0 / 48_000.0 + 1e-9).contains(&extra),
            "{}: {extra} s",
            r.id
        );
    }
}

#[test]
fn sample_counts_match_ffprobe() {
    let Some(p) = packaged() else { return };
    if !have("ffprobe") {
        return;
    }
    for r in &p.ladder.renditions {
        let path = p.dir.join(format!("whole-{}.mp4", r.id));
        std::fs::write(&path, whole(&p.dir, r)).unwrap();
        let ours: u32 = r
            .segments
            .iter()
            .map(|s| {
                parse_segment(&std::fs::read(p.dir.join(&s.name)).unwrap())
                    .unwrap()
                    .samples
            })
            .sum();
        let out = run(Command::new("ffprobe")
            .args(["-v", "error", "-count_packets"])
            .args(["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"])
            .arg(&path));
        let theirs: u32 = String::from_utf8(out).unwrap().trim().parse().unwrap();
        assert_eq!(ours, theirs, "{}", r.id);
    }
}

#[test]
fn several_fragments_in_one_segment_are_summed() {
    let Some(_) = packaged() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frag.mp4");
    run(Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=3:sample_rate=48000",
        ])
        .args([
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-f",
            "mp4",
            "-frag_duration",
            "500000",
        ])
        .args(["-movflags", "+frag_keyframe+empty_moov+default_base_moof"])
        .arg(&path));
    let bytes = std::fs::read(&path).unwrap();
    let first_moof = bytes.windows(4).position(|w| w == b"moof").unwrap() - 4;
    let moofs = bytes.windows(4).filter(|w| *w == b"moof").count();
    assert!(moofs >= 4, "expected several fragments, got {moofs}");
    let init = parse_init(&bytes[..first_moof]).unwrap();
    let seg = parse_segment(&bytes[first_moof..]).unwrap();
    assert_eq!(seg.start, 0);
    // Every frame but the last, which lasts as long as the audio it holds, is 1024 samples.
    let frames = u64::from(seg.samples);
    assert!(seg.duration > (frames - 1) * 1024 && seg.duration <= frames * 1024);
    // Three seconds and the encoder's 1024 samples of priming.
    assert_eq!(seg.duration, 3 * 48_000 + 1024);
    assert_eq!(init.timescale, 48_000);
}

/// RMS of the first channel of `path` decoded by ffmpeg.
fn decoded_rms(path: &std::path::Path) -> f64 {
    let raw = run(Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:a", "-ac", "1", "-f", "f32le", "-"]));
    let samples: Vec<f64> = raw
        .chunks_exact(4)
        .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        .collect();
    assert!(samples.len() > 48_000);
    (samples.iter().map(|x| x * x).sum::<f64>() / samples.len() as f64).sqrt()
}

#[test]
fn the_opus_header_gain_is_applied_by_ffmpeg() {
    let Some(p) = packaged() else { return };
    let r = p
        .ladder
        .renditions
        .iter()
        .find(|r| r.id == "opus-64")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bytes = whole(&p.dir, r);
    let init_len = usize::try_from(r.init_bytes).unwrap();
    assert_eq!(opus_output_gain(&bytes[..init_len]).unwrap(), 0);
    let plain = dir.path().join("plain.mp4");
    std::fs::write(&plain, &bytes).unwrap();
    let reference = decoded_rms(&plain);
    for gain_db in [-6.0f64, 4.5] {
        let mut patched = bytes.clone();
        let q78 = (gain_db * 256.0).round() as i16;
        set_opus_output_gain(&mut patched[..init_len], q78).unwrap();
        assert_eq!(opus_output_gain(&patched[..init_len]).unwrap(), q78);
        // Only the two gain bytes changed.
        let changed = bytes.iter().zip(&patched).filter(|(a, b)| a != b).count();
        assert!((1..=2).contains(&changed));
        let path = dir.path().join("patched.mp4");
        std::fs::write(&path, &patched).unwrap();
        let measured = 20.0 * (decoded_rms(&path) / reference).log10();
        assert!(
            (measured - gain_db).abs() < 0.05,
            "asked {gain_db} dB, decoded {measured} dB"
        );
    }
}

#[test]
fn the_gain_is_refused_on_other_codecs() {
    let Some(p) = packaged() else { return };
    for r in p
        .ladder
        .renditions
        .iter()
        .filter(|r| r.rung.codec != Codec::Opus)
    {
        let mut init = std::fs::read(p.dir.join(&r.init)).unwrap();
        let before = init.clone();
        assert!(set_opus_output_gain(&mut init, 256).is_err(), "{}", r.id);
        assert_eq!(init, before);
        assert!(opus_output_gain(&init).is_err());
    }
}
