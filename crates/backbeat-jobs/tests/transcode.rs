//! `transcode`: the ladder of an upload, a re-run that writes a new generation beside the old
//! one and puts the old one off for collection, a source ffmpeg refuses (failed for good when
//! Backbeat's decoder cannot read it either, encoded from Backbeat's decode when it can).
//! Real ffmpeg; without it the tests print `SKIP` unless `BACKBEAT_REQUIRE_TOOLS=1`.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use backbeat_jobs::{builtin_registry, default_graph, DEFAULT_KEEP_REPLACED};
use backbeat_media::package::StreamIndex;
use backbeat_pipeline::artifacts;
use backbeat_pipeline::{Job, JobContext, JobError, Plan};
use backbeat_store::jobs::JobState;
use backbeat_store::now_millis;
use backbeat_store::prelude::*;
use backbeat_store::testing::have_tools;

use crate::common::{fixture, state_of, Harness};

async fn index(h: &Harness, track: backbeat_store::Id) -> StreamIndex {
    let bytes = h
        .output(track, "transcode", "stream.json")
        .await
        .expect("stream.json");
    serde_json::from_slice(&bytes).expect("a stream index")
}

/// The ladder's files that the transcode manifest lists.
async fn ladder_keys(h: &Harness, track: backbeat_store::Id) -> Vec<String> {
    let spec = h.engine.graph.job("transcode").unwrap();
    let m = artifacts::read_manifest(&h.blobs, track, spec)
        .await
        .unwrap()
        .expect("a manifest");
    m.outputs
        .iter()
        .filter(|(n, _)| n.starts_with("ladder/"))
        .map(|(n, _)| artifacts::output_key(track, "transcode", spec.version, n))
        .collect()
}

#[tokio::test]
async fn a_rerun_switches_generation_and_keeps_the_old_one_until_its_time() {
    if !have_tools(&["ffmpeg"]) {
        return;
    }
    let h = Harness::new(default_graph(vec![]).unwrap(), builtin_registry()).await;
    let t = h.track_from(&fixture("chord.flac")).await;
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    assert_eq!(
        state_of(&h.records(t.id).await, "transcode"),
        Some(JobState::Done)
    );
    let first = index(&h, t.id).await;
    let old = ladder_keys(&h, t.id).await;
    assert!(old.len() > 6, "{old:?}");
    assert!(old
        .iter()
        .all(|k| k.contains(&format!("/g{}-", first.generation))));
    assert!(first.normalised.is_some());

    // Force the job again: a new generation; the old files stay readable, put off.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let graph = Arc::clone(&h.engine.graph);
    let plan = Plan::force(&graph, "transcode", false, |_| true).unwrap();
    let before = now_millis();
    h.run_to_completion(t.id, &plan).await;
    let second = index(&h, t.id).await;
    assert_ne!(first.generation, second.generation);
    let new = ladder_keys(&h, t.id).await;
    assert!(new.iter().all(|k| !old.contains(k)));
    for k in &old {
        h.blobs
            .head(k)
            .await
            .unwrap_or_else(|e| panic!("{k} gone: {e}"));
    }
    let listed = |g: Vec<backbeat_store::Garbage>| {
        old.iter()
            .filter(|k| g.iter().any(|x| &x.key == *k))
            .count()
    };
    let keep = i64::try_from(DEFAULT_KEEP_REPLACED.as_millis()).unwrap();
    assert_eq!(
        listed(h.db.garbage(10_000, before + keep - 1).await.unwrap()),
        0
    );
    let after = now_millis();
    assert_eq!(
        listed(h.db.garbage(10_000, after + keep).await.unwrap()),
        old.len()
    );
}

/// A `downsample` that vouches for any upload: the facts of a good file, so `transcode` gets
/// to run ffmpeg on bytes it cannot read.
struct VouchingDownsample(serde_json::Value);

#[async_trait]
impl Job for VouchingDownsample {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        std::fs::write(ctx.output("audio.wav")?, b"").map_err(JobError::io("writing"))?;
        std::fs::write(ctx.output("source.json")?, self.0.to_string())
            .map_err(JobError::io("writing"))
    }
}

#[tokio::test]
async fn a_source_ffmpeg_refuses_fails_the_transcode_for_good_with_its_reason() {
    if !have_tools(&["ffmpeg"]) {
        return;
    }
    // The facts of a real file, measured by a real run.
    let h = Harness::new(default_graph(vec![]).unwrap(), builtin_registry()).await;
    let good = h.track_from(&fixture("chord.mp3")).await;
    h.run_to_completion(good.id, &Plan::top_down(&h.engine.graph))
        .await;
    let facts: serde_json::Value = serde_json::from_slice(
        &h.output(good.id, "downsample", "source.json")
            .await
            .unwrap(),
    )
    .unwrap();
    let mut registry = builtin_registry();
    registry.register("downsample", VouchingDownsample(facts));
    let graph = Arc::clone(&h.engine.graph);
    let engine = h.engine_with(registry);
    let bad = h
        .track_with(b"ID3\x04\0\0\0\0\0\0 and then nothing that is audio".repeat(40))
        .await;
    engine
        .submit(bad.id, &Plan::top_down(&graph))
        .await
        .unwrap();
    Harness::drain_with(&engine).await;
    let records = h.records(bad.id).await;
    let t = records
        .iter()
        .find(|r| r.job == "transcode")
        .expect("transcode ran");
    assert_eq!(t.state, JobState::Failed, "{t:?}");
    let why = t.error.clone().unwrap_or_default();
    assert!(why.contains("ffmpeg"), "{why}");
    assert_eq!(t.attempts, 1, "a bad source is not retried: {t:?}");
    assert!(h.output(bad.id, "transcode", "stream.json").await.is_none());
}

/// The Ogg CRC-32 (polynomial 0x04c11db7, no reflection, no final xor).
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// An Ogg page: its 27-byte header, segment table and body.
struct OggPage {
    header: Vec<u8>,
    segments: Vec<u8>,
    body: Vec<u8>,
}

fn ogg_pages(mut d: &[u8]) -> Vec<OggPage> {
    let mut pages = Vec::new();
    while d.len() >= 27 {
        assert_eq!(&d[..4], b"OggS");
        let n = usize::from(d[26]);
        let segments = d[27..27 + n].to_vec();
        let size: usize = segments.iter().map(|&s| usize::from(s)).sum();
        pages.push(OggPage {
            header: d[..27].to_vec(),
            segments,
            body: d[27 + n..27 + n + size].to_vec(),
        });
        d = &d[27 + n + size..];
    }
    pages
}

fn ogg_bytes(pages: &[OggPage]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pages {
        let mut page = p.header.clone();
        page[26] = u8::try_from(p.segments.len()).unwrap();
        page[22..26].fill(0);
        page.extend_from_slice(&p.segments);
        page.extend_from_slice(&p.body);
        let crc = ogg_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&page);
    }
    out
}

#[tokio::test]
async fn an_ogg_ffmpeg_refuses_but_backbeat_reads_gets_its_ladder_from_backbeats_decode() {
    if !have_tools(&["ffmpeg"]) {
        return;
    }
    // A Vorbis file whose first audio page repeats the three header packets, as a real
    // game-music file in the dev set does: ffmpeg's demuxer stops at "Header processing
    // failed", Backbeat's decoder reads on.
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("tone.ogg");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=6",
            "-ac",
            "2",
        ])
        .args(["-c:a", "libvorbis"])
        .arg(&good)
        .status()
        .unwrap();
    assert!(made.success());
    let mut pages = ogg_pages(&std::fs::read(&good).unwrap());
    let (ident, headers) = (pages[0].body.clone(), pages[1].segments.clone());
    let header_body = pages[1].body.clone();
    let first_audio = &mut pages[2];
    let mut segments = vec![u8::try_from(ident.len()).unwrap()];
    segments.extend_from_slice(&headers);
    segments.extend_from_slice(&first_audio.segments);
    first_audio.segments = segments;
    first_audio.body = [ident, header_body, first_audio.body.clone()].concat();
    let bad = ogg_bytes(&pages);
    let mut probe = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-f", "ogg", "-i", "-", "-f", "null", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // ffmpeg may stop reading early (a broken pipe here is fine): its exit status decides.
    let _ = probe.stdin.take().unwrap().write_all(&bad);
    let refused = probe.wait_with_output().unwrap();
    assert!(
        !refused.status.success(),
        "ffmpeg must refuse the patched file for this test to mean anything"
    );

    let h = Harness::new(default_graph(vec![]).unwrap(), builtin_registry()).await;
    let t = h.track_with(bad).await;
    h.run_to_completion(t.id, &Plan::top_down(&h.engine.graph))
        .await;
    let records = h.records(t.id).await;
    assert_eq!(
        state_of(&records, "transcode"),
        Some(JobState::Done),
        "{records:?}"
    );
    let ladder = index(&h, t.id).await;
    assert!(!ladder.renditions.is_empty());
    assert!(
        (ladder.duration_s - 6.0).abs() < 0.2,
        "the whole decode is encoded: {} s",
        ladder.duration_s
    );
    assert!(ladder.renditions.iter().all(|r| r.segments >= 1));
}
