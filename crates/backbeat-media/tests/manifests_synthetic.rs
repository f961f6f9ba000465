//! Manifests of synthetic ladders, through the same validators: edge cases (one segment, a
//! track shorter than a segment, an hour, FLAC at 44.1 kHz, hostile names) and generated
//! ladders.

use backbeat_media::manifest::{check_ladder, ManifestError};
use backbeat_media::model::{Codec, Ladder, Rendition, Rung, Segment};
use backbeat_media::{dash, hls};
use proptest::prelude::*;

use crate::validate;

/// A rendition of `durations` (ticks) named `<id>-NNNNN.m4s`, about `kbps` large.
fn rendition(rung: Rung, timescale: u32, durations: &[u64], kbps: u64) -> Rendition {
    let id = rung.id();
    let mut start = 0;
    let segments = durations
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let s = Segment {
                name: format!("{id}-{i:05}.m4s"),
                start,
                duration: d,
                bytes: kbps * 125 * d / u64::from(timescale) + 600 + (i as u64 * 37) % 500,
            };
            start += d;
            s
        })
        .collect();
    let (codecs, rate) = match rung.codec {
        Codec::Aac => ("mp4a.40.2", 48_000),
        Codec::Opus => ("opus", 48_000),
        Codec::Flac => ("fLaC", timescale),
    };
    Rendition {
        id: id.clone(),
        rung,
        codecs: codecs.into(),
        sample_rate: rate,
        channels: 2,
        timescale,
        init: format!("{id}-init.mp4"),
        init_bytes: 700,
        playlist: format!("{id}.m3u8"),
        segments,
    }
}

fn ladder(renditions: Vec<Rendition>) -> Ladder {
    Ladder {
        renditions,
        segment_s: 6.08,
    }
}

fn validate_all(l: &Ladder) {
    check_ladder(l).unwrap();
    validate_manifests(l);
}

/// The validators alone, for ladders `check_ladder` refuses but the writers must still
/// render well-formed.
fn validate_manifests(l: &Ladder) {
    validate::hls::check_master(&hls::master_playlist(l), l);
    for r in &l.renditions {
        validate::hls::check_media(&hls::media_playlist(r), r);
    }
    validate::dash::check_mpd(&dash::mpd(l), l);
}

/// `total` ticks cut into `segment`-tick segments and the rest.
fn cut(total: u64, segment: u64) -> Vec<u64> {
    let mut v = vec![segment; (total / segment) as usize];
    if total % segment > 0 {
        v.push(total % segment);
    }
    v
}

#[test]
fn one_segment() {
    let l = ladder(vec![rendition(
        Rung::lossy(Codec::Aac, 96),
        48_000,
        &[291_840],
        96,
    )]);
    validate_all(&l);
    let m = hls::media_playlist(&l.renditions[0]);
    assert!(m.contains("#EXT-X-TARGETDURATION:6\n") && m.contains("#EXTINF:6.080000,\n"));
}

#[test]
fn a_track_shorter_than_one_segment() {
    // 0.4 s: the EXTINF rounds to 0, the target duration stays 1.
    let l = ladder(vec![
        rendition(Rung::lossy(Codec::Aac, 96), 48_000, &[19_456], 96),
        rendition(Rung::lossy(Codec::Opus, 64), 48_000, &[19_200], 64),
    ]);
    validate_all(&l);
    assert!(hls::media_playlist(&l.renditions[0]).contains("#EXT-X-TARGETDURATION:1\n"));
}

#[test]
fn an_hour_in_600_segments() {
    // 60 minutes of 6 s segments; the timeline is one run-length entry per rendition.
    let aac = rendition(Rung::lossy(Codec::Aac, 256), 48_000, &[288_000; 600], 256);
    let opus = rendition(Rung::lossy(Codec::Opus, 160), 48_000, &[288_000; 600], 160);
    let l = ladder(vec![opus, aac]);
    validate_all(&l);
    assert!((l.duration_s() - 3600.0).abs() < 1e-9);
    let mpd = dash::mpd(&l);
    assert_eq!(mpd.matches("<S ").count(), 2);
    assert!(mpd.contains("<S t=\"0\" d=\"288000\" r=\"599\"/>"));
    assert!(mpd.contains("mediaPresentationDuration=\"PT3600.000000S\""));
    assert_eq!(
        hls::media_playlist(&l.renditions[0])
            .matches("#EXTINF:")
            .count(),
        600
    );
}

#[test]
fn flac_at_44_1_khz_beside_aac() {
    // FLAC's 4608-sample frames do not fall on the AAC boundaries: its own set.
    let flac = rendition(Rung::flac(), 44_100, &cut(44_100 * 200, 4608 * 58), 900);
    let aac = rendition(
        Rung::lossy(Codec::Aac, 160),
        48_000,
        &cut(48_000 * 200, 291_840),
        160,
    );
    let l = ladder(vec![flac, aac]);
    validate_all(&l);
    let master = hls::master_playlist(&l);
    assert!(master.find("mp4a").unwrap() < master.find("fLaC").unwrap());
}

#[test]
fn segments_not_cut_alike_are_not_declared_aligned() {
    let a = rendition(Rung::lossy(Codec::Aac, 96), 48_000, &[291_840, 1000], 96);
    let b = rendition(Rung::lossy(Codec::Aac, 160), 48_000, &[290_816, 2024], 160);
    let l = ladder(vec![a, b]);
    validate_all(&l);
    assert!(dash::mpd(&l).contains("segmentAlignment=\"false\""));
}

#[test]
fn hostile_names_still_give_valid_manifests() {
    let mut r = rendition(
        Rung::lossy(Codec::Aac, 96),
        48_000,
        &[291_840, 291_840, 5000],
        96,
    );
    r.init = "in\"it\n.mp4".into();
    r.playlist = "#play list&$.m3u8".into();
    r.segments[0].name = "a$Number$<b>".into();
    r.segments[1].name = "é \r\n#EXT-X-ENDLIST".into();
    r.segments[2].name = "100%.m4s".into();
    let l = ladder(vec![r]);
    // Line breaks are refused by check_ladder, yet the manifests stay well-formed.
    assert!(check_ladder(&l).is_err());
    validate_manifests(&l);
    // Names that follow no pattern are listed one by one.
    assert!(dash::mpd(&l).contains("<SegmentList"));
}

#[test]
fn ladders_the_writers_cannot_make_right_are_refused() {
    let good = ladder(vec![rendition(
        Rung::lossy(Codec::Aac, 96),
        48_000,
        &[100, 100],
        96,
    )]);
    let refused = |f: &dyn Fn(&mut Ladder)| {
        let mut l = good.clone();
        f(&mut l);
        check_ladder(&l).unwrap_err()
    };
    assert_eq!(refused(&|l| l.renditions.clear()), ManifestError::Empty);
    let e = refused(&|l| l.renditions[0].segments[1].name = String::new());
    assert!(matches!(e, ManifestError::BadName(_)));
    let e = refused(&|l| l.renditions[0].segments[1].name = "..".into());
    assert!(matches!(e, ManifestError::BadName(_)));
    let e = refused(&|l| l.renditions[0].segments[1].name = "sub/x.m4s".into());
    assert!(matches!(e, ManifestError::BadName(_)));
    let e = refused(&|l| l.renditions[0].segments[1].name = l.renditions[0].init.clone());
    assert!(matches!(e, ManifestError::Duplicate(_)));
    let e = refused(&|l| l.renditions[0].segments[1].start = 150);
    assert!(matches!(e, ManifestError::NotContiguous(_)));
    let e = refused(&|l| l.renditions[0].codecs = "mp4a\"".into());
    assert!(matches!(e, ManifestError::BadCodecs(_)));
    let e = refused(&|l| {
        let r = l.renditions[0].clone();
        l.renditions.push(r);
    });
    assert!(matches!(e, ManifestError::Duplicate(_)));
}

fn rung() -> impl Strategy<Value = Rung> {
    prop_oneof![
        (16u32..512).prop_map(|k| Rung::lossy(Codec::Aac, k)),
        (6u32..510).prop_map(|k| Rung::lossy(Codec::Opus, k)),
        Just(Rung::flac()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any ladder `check_ladder` accepts gives manifests the validators accept.
    #[test]
    fn generated_ladders_validate(
        rungs in prop::collection::vec(rung(), 1..6),
        timescale in prop_oneof![Just(48_000u32), Just(44_100), Just(1000), Just(90_000)],
        segment_s in 1.0f64..12.0,
        total_s in 0.05f64..2000.0,
        start_number in 0usize..3,
    ) {
        let mut seen = std::collections::HashSet::new();
        let renditions: Vec<Rendition> = rungs
            .into_iter()
            .filter(|r| seen.insert(r.id()))
            .map(|r| {
                let seg = (segment_s * f64::from(timescale)) as u64;
                let total = ((total_s * f64::from(timescale)) as u64).max(1);
                let mut r = rendition(r, timescale, &cut(total, seg.max(1)), r.kbps.unwrap_or(900).into());
                for (i, s) in r.segments.iter_mut().enumerate() {
                    s.name = format!("{}-{:05}.m4s", r.id, i + start_number);
                }
                r
            })
            .collect();
        validate_all(&ladder(renditions));
    }
}
