//! Manifests of a ladder measured from real ffmpeg output: checked by the validators, then
//! opened from disk by ffprobe as a client.

use std::process::Command;

use backbeat_media::fmp4::parse_segment;
use backbeat_media::manifest::{check_ladder, player_order};
use backbeat_media::model::Codec;
use backbeat_media::{dash, hls};

use crate::fixture::{have, package, packaged, run_clean, Packaged, RUNGS};
use crate::validate;

#[test]
fn manifests_of_real_files_validate() {
    let Some(p) = packaged() else { return };
    check_ladder(&p.ladder).unwrap();
    validate::hls::check_master(&hls::master_playlist(&p.ladder), &p.ladder);
    for r in &p.ladder.renditions {
        validate::hls::check_media(&hls::media_playlist(r), r);
    }
    let mpd = dash::mpd(&p.ladder);
    validate::dash::check_mpd(&mpd, &p.ladder);
    // One set per codec, renditions of a codec cut at the same times.
    assert_eq!(mpd.matches("<AdaptationSet ").count(), 3);
    assert_eq!(mpd.matches("segmentAlignment=\"true\"").count(), 3);
    assert!(mpd.contains("media=\"aac-96-$Number%05d$.m4s\" startNumber=\"0\""));
}

#[test]
fn a_track_shorter_than_one_segment() {
    let Some(_) = packaged() else { return };
    let dir = tempfile::tempdir().unwrap();
    let p = package(dir.path(), 0.5, &RUNGS);
    for r in &p.ladder.renditions {
        assert_eq!(r.segments.len(), 1, "{}", r.id);
        assert!(
            (r.duration_s() - 0.5).abs() <= 1024.0 / 48_000.0,
            "{}",
            r.id
        );
    }
    check_ladder(&p.ladder).unwrap();
    validate::hls::check_master(&hls::master_playlist(&p.ladder), &p.ladder);
    for r in &p.ladder.renditions {
        let m = hls::media_playlist(r);
        validate::hls::check_media(&m, r);
        assert!(m.contains("#EXT-X-TARGETDURATION:1\n"));
    }
    validate::dash::check_mpd(&dash::mpd(&p.ladder), &p.ladder);
    if have("ffprobe") {
        write_manifests(&p);
        let master = ffprobe_duration(&p, "master.m3u8");
        assert!(
            (master - p.ladder.duration_s()).abs() <= 1024.0 / 48_000.0,
            "{master}"
        );
    }
}

/// Writes the master and media playlists and the MPD next to the segments.
fn write_manifests(p: &Packaged) {
    std::fs::write(p.dir.join("master.m3u8"), hls::master_playlist(&p.ladder)).unwrap();
    for r in &p.ladder.renditions {
        std::fs::write(p.dir.join(&r.playlist), hls::media_playlist(r)).unwrap();
    }
    std::fs::write(p.dir.join("manifest.mpd"), dash::mpd(&p.ladder)).unwrap();
}

/// The duration ffprobe reads from `file` in the fixture directory.
fn ffprobe_duration(p: &Packaged, file: &str) -> f64 {
    let out = run_clean(Command::new("ffprobe").current_dir(&p.dir).args([
        "-v",
        "error",
        "-show_entries",
        "format=duration",
        "-of",
        "csv=p=0",
        file,
    ]));
    let text = String::from_utf8(out).unwrap();
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("ffprobe {file}: {text:?}"))
}

/// How many packets ffprobe reads from stream `index` of `file`, and its codec: every one
/// of them fetched through the manifest's addressing.
fn ffprobe_packets(p: &Packaged, file: &str, index: usize) -> (String, u32) {
    let out = run_clean(Command::new("ffprobe").current_dir(&p.dir).args([
        "-v",
        "error",
        "-select_streams",
        &index.to_string(),
        "-count_packets",
        "-show_entries",
        "stream=codec_name,nb_read_packets",
        "-of",
        "csv=p=0",
        file,
    ]));
    let text = String::from_utf8(out).unwrap();
    let line = text.lines().find(|l| !l.is_empty()).unwrap();
    let (codec, n) = line.split_once(',').unwrap();
    (codec.to_string(), n.parse().unwrap())
}

#[test]
fn ffprobe_opens_the_written_manifests() {
    let Some(p) = packaged() else { return };
    if !have("ffprobe") {
        return;
    }
    write_manifests(p);
    // One AAC frame (the FLAC rendition's frames are longer, but its duration is exact).
    let frame = 1024.0 / 48_000.0;
    for r in &p.ladder.renditions {
        let d = ffprobe_duration(p, &r.playlist);
        let ours = r.duration_s();
        assert!(
            (d - ours).abs() <= frame,
            "{}: ffprobe {d}, ours {ours}",
            r.id
        );
    }
    let total = p.ladder.duration_s();
    let master = ffprobe_duration(p, "master.m3u8");
    assert!(
        (master - total).abs() <= frame,
        "master: ffprobe {master}, ladder {total}"
    );
    // ffmpeg 5.1's dash demuxer reads mediaPresentationDuration in whole seconds
    // (dashdec.c `get_duration_insec` returns uint32_t; PT14.9S reads as 14.000000).
    let mpd = ffprobe_duration(p, "manifest.mpd");
    assert_eq!(mpd, total.floor(), "MPD: ffprobe {mpd}, ladder {total}");

    // Through either manifest a client reads every packet of every rendition: streams come
    // in the manifests' order (AAC, Opus, FLAC; ascending bandwidth).
    let codec_name = |c: Codec| match c {
        Codec::Aac => "aac",
        Codec::Opus => "opus",
        Codec::Flac => "flac",
    };
    for (i, r) in player_order(&p.ladder).into_iter().enumerate() {
        let samples: u32 = r
            .segments
            .iter()
            .map(|s| {
                parse_segment(&std::fs::read(p.dir.join(&s.name)).unwrap())
                    .unwrap()
                    .samples
            })
            .sum();
        let expected = (codec_name(r.rung.codec).to_string(), samples);
        assert_eq!(
            ffprobe_packets(p, "master.m3u8", i),
            expected,
            "HLS {}",
            r.id
        );
        assert_eq!(
            ffprobe_packets(p, "manifest.mpd", i),
            expected,
            "DASH {}",
            r.id
        );
    }
}
