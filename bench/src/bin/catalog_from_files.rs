//! Fills a data directory with one track per line of a file list, the way `POST /tracks` would
//! leave it: the file's bytes as an upload blob (`audio/<id>`), an upload row claimed by the
//! track, and the track row with the facts of a whole-file probe. Used by
//! `bench/pipeline_throughput.sh` to make a catalog of real recordings for `backbeat backfill`.
//!
//! ```text
//! cargo run --release -p backbeat-bench --bin catalog_from_files -- \
//!     --data-dir DIR --list FILES.txt
//! ```
//!
//! Each distinct file is probed once (decoded end to end, as the server's upload probe does)
//! and its facts reused for its repeats; a file the probe refuses is left out, as the server
//! would refuse it. Nothing is timed: the HTTP round trips and the probes are not what the
//! throughput benchmark measures.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use backbeat_audio::decode::{DecodeLimits, DecodedStream};
use backbeat_store::blob::BlobStore;
use backbeat_store::model::*;
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use bytes::Bytes;
use futures_util::StreamExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The upload size limit of the default server configuration is far above any dev file.
const MAX_BYTES: i64 = 1 << 30;

fn parse_args() -> Result<(PathBuf, PathBuf), BoxError> {
    let (mut dir, mut list) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--data-dir" => dir = Some(PathBuf::from(value)),
            "--list" => list = Some(PathBuf::from(value)),
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    match (dir, list) {
        (Some(d), Some(l)) => Ok((d, l)),
        _ => Err("usage: catalog_from_files --data-dir DIR --list FILES.txt".into()),
    }
}

/// Decodes `path` end to end and returns its facts (the server's upload probe, minus its
/// truncation and corruption thresholds).
fn probe(path: &std::path::Path) -> Result<AudioFacts, BoxError> {
    let mut stream = DecodedStream::open(path, DecodeLimits::default())?;
    while stream.next_chunk()?.is_some() {}
    let info = stream.info();
    Ok(AudioFacts {
        container: info.container.clone(),
        codec: info.codec.clone(),
        duration_ms: (info.duration_secs * 1000.0).round() as i64,
        sample_rate: i64::from(info.sample_rate),
        channels: info.channels as i64,
        bytes: i64::try_from(info.file_bytes)?,
    })
}

async fn run(dir: PathBuf, list: PathBuf) -> Result<(), BoxError> {
    let files: Vec<PathBuf> = std::fs::read_to_string(&list)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(PathBuf::from)
        .collect();
    let started = Instant::now();
    let mut facts: HashMap<PathBuf, AudioFacts> = HashMap::new();
    let mut refused = Vec::new();
    for f in &files {
        if facts.contains_key(f) || refused.contains(f) {
            continue;
        }
        let path = f.clone();
        match tokio::task::spawn_blocking(move || probe(&path)).await? {
            Ok(a) => {
                facts.insert(f.clone(), a);
            }
            Err(e) => {
                eprintln!("refused by the probe, left out: {}: {e}", f.display());
                refused.push(f.clone());
            }
        }
    }
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("catalog.db").display());
    let db = SqlCatalog::connect(&url).await?;
    let blobs = BlobStore::local(&dir.join("blobs"))?;
    let user = db
        .create_user(NewUser {
            email: format!("bench-{}@backbeat.invalid", new_id().simple()),
            display_name: "Bench".into(),
            password_hash: "!".into(),
            role: Role::Artist,
        })
        .await?;
    let artist = db.create_artist("Bench", user.id).await?;
    let album = db
        .create_album(artist.id, "Throughput", AlbumKind::Album, None)
        .await?;
    let (user_id, album_id) = (user.id, album.id);
    let facts = Arc::new(facts);
    let jobs = files
        .iter()
        .enumerate()
        .filter(|(_, f)| facts.contains_key(*f))
        .map(|(i, f)| (i, f.clone()));
    let made: Vec<Result<(), BoxError>> = futures_util::stream::iter(jobs)
        .map(|(i, file)| {
            let (db, blobs, facts) = (db.clone(), blobs.clone(), Arc::clone(&facts));
            async move {
                let audio = facts.get(&file).cloned().ok_or("no facts")?;
                let key = format!("audio/{}", new_id().simple());
                let now = now_millis();
                db.create_upload(Upload {
                    key: key.clone(),
                    user_id,
                    max_bytes: MAX_BYTES,
                    expires_at: now + 3_600_000,
                    created_at: now,
                })
                .await?;
                let bytes = Bytes::from(tokio::fs::read(&file).await?);
                let body = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes)]);
                blobs.put_stream(&key, body, MAX_BYTES as u64).await?;
                let title = file.file_stem().map_or_else(
                    || format!("Track {i}"),
                    |s| s.to_string_lossy().into_owned(),
                );
                // A claim needs the slot's lock (nothing else writes to it here).
                let locked = db.lock_upload(&key, "bench", now + 60_000, now).await?;
                if locked != LockOutcome::Acquired {
                    return Err(format!("locking {key}: {locked:?}").into());
                }
                db.create_track(NewTrack {
                    album_id,
                    title,
                    upload_key: key,
                    lock_token: "bench".into(),
                    uploader: user_id,
                    audio,
                    status: TrackStatus::Ready,
                })
                .await?;
                Ok(())
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let n = made.len();
    made.into_iter().collect::<Result<Vec<()>, _>>()?;
    eprintln!(
        "catalog_from_files: {n} tracks from {} distinct files ({} refused) in {:.1} s into {}",
        facts.len(),
        refused.len(),
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let (dir, list) = parse_args()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(dir, list))
}
