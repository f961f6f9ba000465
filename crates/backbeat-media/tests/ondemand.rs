//! The on-demand engine with the real ffmpeg: progressive first bytes, one transcode per key
//! however many readers, the cache and its limits, cancellation, failures, gain, restart.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backbeat_media::ondemand::{Format, OnDemandError, SourceFile};
use futures_util::StreamExt;
use support::*;

const GIB: u64 = 1 << 30;

struct Dirs {
    cache: tempfile::TempDir,
    src: tempfile::TempDir,
}

fn dirs() -> Dirs {
    Dirs {
        cache: tempfile::tempdir().unwrap(),
        src: tempfile::tempdir().unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_bytes_arrive_while_ffmpeg_still_runs() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "long.flac", 90, 0.3);
    let od = engine(d.cache.path(), GIB, 4, 4);
    let calls = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let t = od
        .stream(
            key("long", Format::Mp3, 320, None),
            "u",
            counted(&src, &calls),
        )
        .await
        .unwrap();
    assert_eq!(t.total_len, None);
    assert_eq!(t.content_type, "audio/mpeg");
    let mut body = t.into_body();
    let first = body.next().await.unwrap().unwrap();
    let t_first = t0.elapsed();
    // The transcode is still running when the client has its first bytes.
    assert_eq!(od.running(), 1, "ffmpeg had already finished");
    let mut all = first.to_vec();
    while let Some(c) = body.next().await {
        all.extend_from_slice(&c.unwrap());
    }
    let t_all = t0.elapsed();
    eprintln!(
        "90 s FLAC -> MP3 320k: first chunk after {:?}, whole file ({} bytes) after {:?}",
        t_first,
        all.len(),
        t_all
    );
    // Well before the end, not merely before it. Half, not a quarter: with the other tests
    // loading both cores, ffmpeg's start-up alone once took 1.0 s of a 2.6 s transcode (CI,
    // 2026-12-08); that ffmpeg is still running at the first bytes is asserted above.
    assert!(t_first < t_all / 2, "{t_first:?} vs {t_all:?}");
    let (codec, dur) = probe(d.src.path(), &all, "mp3");
    assert_eq!(codec, "mp3");
    assert!((dur - 90.0).abs() < 0.1, "{dur}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_decodes_to_its_codec_and_the_source_duration() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "s.flac", 20, 0.3);
    let od = engine(d.cache.path(), GIB, 4, 4);
    let calls = Arc::new(AtomicUsize::new(0));
    for (format, kbps, codec) in [
        (Format::Mp3, 128, "mp3"),
        (Format::Opus, 96, "opus"),
        (Format::Aac, 160, "aac"),
    ] {
        let t = od
            .stream(key("s", format, kbps, None), "u", counted(&src, &calls))
            .await
            .unwrap();
        assert_eq!(t.content_type, format.content_type());
        let bytes = collect(t.into_body()).await.unwrap();
        let (got, dur) = probe(d.src.path(), &bytes, format.name());
        assert_eq!(got, codec);
        // Within the encoders' priming and padding (a few frames).
        assert!((dur - 20.0).abs() < 0.1, "{format}: {dur} s");
        // The bitrate asked for is the one produced (within the container's overhead).
        let kbps_out = bytes.len() as f64 * 8.0 / dur / 1000.0;
        assert!(
            (kbps_out / f64::from(kbps) - 1.0).abs() < 0.15,
            "{format}: {kbps_out}"
        );
    }
    assert_eq!(od.spawned(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_readers_of_five_keys_share_five_ffmpegs_and_get_the_same_bytes() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "s.flac", 20, 0.3);
    let od = engine(d.cache.path(), GIB, 8, 4);
    let calls = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (od, src, calls) = (od.clone(), src.clone(), Arc::clone(&calls));
        tasks.push(tokio::spawn(async move {
            let k = key(&format!("track-{}", i % 5), Format::Mp3, 192, None);
            let t = od
                .stream(k, &format!("user-{i}"), counted(&src, &calls))
                .await
                .unwrap();
            (i % 5, collect(t.into_body()).await.unwrap())
        }));
    }
    let mut by_key: Vec<Vec<Vec<u8>>> = vec![Vec::new(); 5];
    for t in tasks {
        let (k, bytes) = t.await.unwrap();
        by_key[k].push(bytes);
    }
    assert_eq!(od.spawned(), 5);
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    for outputs in &by_key {
        assert_eq!(outputs.len(), 10);
        assert!(outputs[0].len() > 100_000);
        assert!(
            outputs.iter().all(|o| o == &outputs[0]),
            "readers of one key differ"
        );
    }
    // Each key's cache file is the bytes its readers got.
    for (k, outputs) in by_key.iter().enumerate() {
        let name = key(&format!("track-{k}"), Format::Mp3, 192, None).file_name();
        assert_eq!(
            &std::fs::read(d.cache.path().join(name)).unwrap(),
            &outputs[0]
        );
    }
    assert_eq!(od.running(), 0);
    assert_eq!(od.open_streams(), 0);
    assert_eq!(files(d.cache.path()).len(), 5);
}

/// The figure: 200 players on 20 tracks through the on-demand path cost at most 20
/// ffmpeg processes. Prints the time to first chunk across the players.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_players_of_twenty_tracks_spawn_twenty_ffmpegs() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "s.flac", 10, 0.3);
    let od = engine(d.cache.path(), GIB, 20, 4);
    let calls = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(tokio::sync::Barrier::new(200));
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (od, src, calls, start) = (
            od.clone(),
            src.clone(),
            Arc::clone(&calls),
            Arc::clone(&start),
        );
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let t0 = Instant::now();
            let k = key(&format!("track-{}", i % 20), Format::Mp3, 128, None);
            let t = od
                .stream(k, &format!("user-{}", i / 4), counted(&src, &calls))
                .await
                .unwrap();
            let mut body = t.into_body();
            let mut n = body.next().await.unwrap().unwrap().len();
            let first = t0.elapsed();
            while let Some(c) = body.next().await {
                n += c.unwrap().len();
            }
            (first, n)
        }));
    }
    let mut firsts = Vec::new();
    for t in tasks {
        let (first, n) = t.await.unwrap();
        assert!(n > 100_000);
        firsts.push(first);
    }
    firsts.sort();
    eprintln!(
        "200 players, 20 tracks: {} ffmpegs; first chunk p50 {:?}, p95 {:?}, max {:?}",
        od.spawned(),
        firsts[100],
        firsts[190],
        firsts[199]
    );
    assert_eq!(od.spawned(), 20);
    assert_eq!(calls.load(Ordering::SeqCst), 20);
    assert_eq!(od.cache_files(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_request_is_a_hit_with_a_length_and_ranges() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "s.flac", 10, 0.3);
    let od = engine(d.cache.path(), GIB, 4, 4);
    let calls = Arc::new(AtomicUsize::new(0));
    let k = key("s", Format::Opus, 64, None);
    let t = od
        .stream(k.clone(), "u", counted(&src, &calls))
        .await
        .unwrap();
    let whole = collect(t.into_body()).await.unwrap();
    let t = od.stream(k.clone(), "u", never()).await.unwrap();
    assert_eq!(t.total_len, Some(whole.len() as u64));
    assert_eq!(t.content_type, "audio/ogg");
    assert_eq!(collect(t.into_body()).await.unwrap(), whole);
    let t = od.stream(k.clone(), "u", never()).await.unwrap();
    let part = collect(t.range(1000..70_000).unwrap()).await.unwrap();
    assert_eq!(part, whole[1000..70_000]);
    let t = od.stream(k.clone(), "u", never()).await.unwrap();
    let end = whole.len() as u64;
    assert_eq!(
        collect(t.range(end - 1..end).unwrap()).await.unwrap(),
        whole[whole.len() - 1..]
    );
    let t = od.stream(k.clone(), "u", never()).await.unwrap();
    assert!(matches!(
        t.range(0..end + 1),
        Err(OnDemandError::BadRequest(_))
    ));
    assert_eq!(od.spawned(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Hits count as open streams too: four held, the fifth is refused until one goes.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(od.stream(k.clone(), "u", never()).await.unwrap());
    }
    let fifth = od.stream(k.clone(), "u", never()).await;
    assert!(matches!(fifth, Err(OnDemandError::UserBusy)), "{fifth:?}");
    held.pop();
    assert!(od.stream(k, "u", never()).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_only_reader_kills_ffmpeg_and_removes_the_part_file() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "long.flac", 120, 0.3);
    let od = engine(d.cache.path(), GIB, 4, 4);
    let calls = Arc::new(AtomicUsize::new(0));
    let t = od
        .stream(
            key("long", Format::Mp3, 320, None),
            "u",
            counted(&src, &calls),
        )
        .await
        .unwrap();
    let mut body = t.into_body();
    body.next().await.unwrap().unwrap();
    let needle = src.to_string_lossy().into_owned();
    let pids = pids_with(&needle);
    assert_eq!(pids.len(), 1, "one ffmpeg reads the source: {pids:?}");
    assert_eq!(files(d.cache.path()).len(), 1);
    assert!(files(d.cache.path())[0].ends_with(".part"));
    let t0 = Instant::now();
    drop(body);
    while (!pids_with(&needle).is_empty() || od.running() > 0)
        && t0.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("ffmpeg gone {:?} after the reader dropped", t0.elapsed());
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "ffmpeg outlived its reader"
    );
    assert!(pids_with(&needle).is_empty());
    assert_eq!(od.running(), 0);
    assert_eq!(od.open_streams(), 0);
    assert!(
        files(d.cache.path()).is_empty(),
        "{:?}",
        files(d.cache.path())
    );
    // The next request starts afresh.
    let t = od
        .stream(
            key("long", Format::Mp3, 320, None),
            "u",
            counted(&src, &calls),
        )
        .await
        .unwrap();
    drop(t);
    assert_eq!(od.spawned(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_limits_requests_are_refused_busy() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "long.flac", 120, 0.3);
    let od = engine(d.cache.path(), GIB, 1, 2);
    let calls = Arc::new(AtomicUsize::new(0));
    let a = key("a", Format::Mp3, 320, None);
    let held = od
        .stream(a.clone(), "u1", counted(&src, &calls))
        .await
        .unwrap();
    // Another key needs a second ffmpeg: refused; the same key joins the running one.
    let other = od
        .stream(
            key("b", Format::Mp3, 320, None),
            "u2",
            counted(&src, &calls),
        )
        .await;
    assert!(matches!(other, Err(OnDemandError::Busy)), "{other:?}");
    let joined = od
        .stream(a.clone(), "u1", counted(&src, &calls))
        .await
        .unwrap();
    // u1 holds two streams, its limit: a third is refused, even of the same key.
    let third = od.stream(a.clone(), "u1", counted(&src, &calls)).await;
    assert!(matches!(third, Err(OnDemandError::UserBusy)), "{third:?}");
    assert!(od.stream(a.clone(), "u3", never()).await.is_ok());
    drop(joined);
    let again = od.stream(a.clone(), "u1", never()).await.unwrap();
    assert_eq!(od.spawned(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    drop((held, again));
    // A bad bitrate is a bad request naming the range.
    let bad = od
        .stream(key("a", Format::Opus, 600, None), "u1", never())
        .await;
    match bad {
        Err(OnDemandError::BadRequest(m)) => assert!(m.contains("6 to 510"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_stays_under_its_limit_by_evicting_the_least_recently_used() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "s.flac", 5, 0.3);
    let calls = Arc::new(AtomicUsize::new(0));
    // One 5 s MP3 at 128 kbit/s is about 80 kB: room for two.
    let size = {
        let probe_dir = tempfile::tempdir().unwrap();
        let od = engine(probe_dir.path(), GIB, 2, 4);
        let t = od
            .stream(key("x", Format::Mp3, 128, None), "u", counted(&src, &calls))
            .await;
        collect(t.unwrap().into_body()).await.unwrap().len() as u64
    };
    let od = engine(d.cache.path(), size * 5 / 2, 2, 4);
    let get = |name: &str| {
        let (od, src, calls) = (od.clone(), src.clone(), Arc::clone(&calls));
        let k = key(name, Format::Mp3, 128, None);
        async move {
            let t = od.stream(k, "u", counted(&src, &calls)).await.unwrap();
            collect(t.into_body()).await.unwrap();
        }
    };
    get("1").await;
    get("2").await;
    get("1").await; // a hit: "1" is now more recent than "2"
    assert_eq!(od.spawned(), 2);
    get("3").await;
    assert_eq!(od.spawned(), 3);
    assert_eq!(od.cache_files(), 2);
    assert!(od.cache_bytes() <= size * 5 / 2);
    let on_disk = files(d.cache.path());
    assert_eq!(on_disk.len(), 2);
    assert!(!on_disk.contains(&key("2", Format::Mp3, 128, None).file_name()));
    get("1").await;
    assert_eq!(od.spawned(), 3, "\"1\" was evicted instead of \"2\"");
    get("2").await;
    assert_eq!(od.spawned(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_source_fails_every_reader_and_leaves_nothing() {
    if !tools() {
        return;
    }
    let d = dirs();
    let bad = d.src.path().join("bad.flac");
    let mut junk = b"fLaC".to_vec();
    junk.extend((0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(&bad, junk).unwrap();
    let od = engine(d.cache.path(), GIB, 4, 10);
    let calls = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let (od, bad, calls) = (od.clone(), bad.clone(), Arc::clone(&calls));
        tasks.push(tokio::spawn(async move {
            let k = key("bad", Format::Mp3, 128, None);
            match od.stream(k, "u", counted(&bad, &calls)).await {
                Ok(t) => collect(t.into_body())
                    .await
                    .map_err(|e| e.to_string())
                    .map(|_| ()),
                Err(e) => Err(e.to_string()),
            }
        }));
    }
    for t in tasks {
        let err = t.await.unwrap().unwrap_err();
        assert!(err.contains("ffmpeg"), "{err}");
        eprintln!("reader got: {err}");
    }
    assert_eq!(od.spawned(), 1);
    assert!(files(d.cache.path()).is_empty());
    assert_eq!(od.cache_files(), 0);
    // A source that cannot be materialised is a Source error.
    let k = key("gone", Format::Mp3, 128, None);
    let e = od
        .stream(k, "u", || async {
            Err::<std::path::PathBuf, _>("object store down".to_owned())
        })
        .await;
    assert!(
        matches!(e, Err(OnDemandError::Source(ref m)) if m.contains("down")),
        "{e:?}"
    );
    assert_eq!(od.running(), 0);
    assert!(files(d.cache.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gain_is_applied_to_the_audio_and_keyed_apart() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "quiet.flac", 10, 0.1);
    let od = engine(d.cache.path(), GIB, 4, 4);
    let calls = Arc::new(AtomicUsize::new(0));
    let mut levels = Vec::new();
    for (format, gain) in [
        (Format::Mp3, None),
        (Format::Mp3, Some(6.0)),
        (Format::Mp3, Some(-4.5)),
        (Format::Opus, None),
        (Format::Opus, Some(6.0)),
    ] {
        let t = od
            .stream(key("q", format, 192, gain), "u", counted(&src, &calls))
            .await
            .unwrap();
        let bytes = collect(t.into_body()).await.unwrap();
        levels.push(rms_db(d.src.path(), &bytes, format.name()));
        let tag_key = if format == Format::Mp3 {
            "REPLAYGAIN_TRACK_GAIN"
        } else {
            "R128_TRACK_GAIN"
        };
        let tagged = tag(d.src.path(), &bytes, format.name(), tag_key);
        let want = gain.map(|_| {
            if format == Format::Mp3 {
                "+0.00 dB"
            } else {
                "0"
            }
        });
        assert_eq!(tagged.as_deref(), want, "{format} {gain:?}");
    }
    eprintln!(
        "RMS dBFS: mp3 none/+6/-4.5 {:.2?}, opus none/+6 {:.2?}",
        &levels[..3],
        &levels[3..]
    );
    assert!((levels[1] - levels[0] - 6.0).abs() < 0.2);
    assert!((levels[2] - levels[0] + 4.5).abs() < 0.2);
    assert!((levels[4] - levels[3] - 6.0).abs() < 0.2);
    assert_eq!(od.spawned(), 5, "each gain is its own cache entry");
    assert_eq!(od.cache_files(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reopened_cache_serves_complete_files_and_drops_part_files() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "s.flac", 5, 0.3);
    let calls = Arc::new(AtomicUsize::new(0));
    let k = key("s", Format::Aac, 128, None);
    let whole = {
        let od = engine(d.cache.path(), GIB, 2, 4);
        let t = od
            .stream(k.clone(), "u", counted(&src, &calls))
            .await
            .unwrap();
        collect(t.into_body()).await.unwrap()
    };
    let leftover = format!("{}.999-1.part", k.file_name());
    std::fs::write(d.cache.path().join(&leftover), b"half a transcode").unwrap();
    std::fs::write(d.cache.path().join("README"), b"not ours").unwrap();
    let od = engine(d.cache.path(), GIB, 2, 4);
    assert_eq!(od.cache_files(), 1);
    assert_eq!(od.cache_bytes(), whole.len() as u64);
    assert!(!d.cache.path().join(&leftover).exists());
    assert!(d.cache.path().join("README").exists());
    let t = od.stream(k, "u", never()).await.unwrap();
    assert_eq!(t.total_len, Some(whole.len() as u64));
    assert_eq!(collect(t.into_body()).await.unwrap(), whole);
    assert_eq!(od.spawned(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_source_is_deleted_once_ffmpeg_is_done() {
    if !tools() {
        return;
    }
    let d = dirs();
    let src = source(d.src.path(), "s.flac", 3, 0.3);
    let od = engine(d.cache.path(), GIB, 2, 4);
    let copy = tempfile::NamedTempFile::new_in(d.src.path())
        .unwrap()
        .into_temp_path();
    std::fs::copy(&src, &copy).unwrap();
    let copy_path = copy.to_path_buf();
    let t = od
        .stream(key("s", Format::Mp3, 128, None), "u", move || async move {
            Ok::<SourceFile, String>(copy.into())
        })
        .await
        .unwrap();
    assert!(!collect(t.into_body()).await.unwrap().is_empty());
    let t0 = Instant::now();
    while copy_path.exists() && t0.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !copy_path.exists(),
        "the temporary source outlived the transcode"
    );
    assert!(src.exists(), "a plain path is never deleted");
}
