//! `backbeat worker` as a real process on the embedded queue: killed with SIGKILL in the middle
//! of a job, the job is redelivered to the next worker and completes once; no partial output is
//! ever visible; nothing is lost.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backbeat_pipeline::artifacts::{manifest_key, output_key};
use backbeat_pipeline::builtins::{builtin_registry, default_graph};
use backbeat_pipeline::queue::sql::SqlQueue;
use backbeat_pipeline::{Engine, EngineConfig, Plan, QueueConfig};
use backbeat_store::blob::BlobStore;
use backbeat_store::jobs::JobState;
use backbeat_store::model::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{CatalogStore, JobStore};

const JOBS_TOML: &str = r#"
[[job]]
name = "slow"
version = 1
inputs = ["upload"]
outputs = ["copy.bin"]
command = ["sh", "-c", "echo started >> \"$MARKER\"; sleep 3; cp {input:upload} {output:copy.bin}"]
timeout_secs = 60
"#;

fn worker(data: &Path, marker: &Path, idle_exit: bool) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backbeat"));
    cmd.args([
        "worker",
        "--jobs",
        "slow",
        "--ack-wait-s",
        "2",
        "--data-dir",
    ])
    .arg(data)
    .env("MARKER", marker)
    .env("RUST_LOG", "warn")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if idle_exit {
        cmd.args(["--exit-when-idle-s", "2"]);
    }
    cmd.spawn().expect("start backbeat worker")
}

fn starts(marker: &Path) -> usize {
    std::fs::read_to_string(marker)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn a_worker_killed_mid_job_loses_nothing_and_the_job_completes_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("jobs.toml"), JOBS_TOML).unwrap();
    let marker = dir.path().join("marker");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let upload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();

    // A catalog with one track, and the job queued (as `backbeat backfill` would).
    let (db, blobs, track) = rt.block_on(async {
        let url = format!("sqlite://{}?mode=rwc", data.join("catalog.db").display());
        let db = SqlCatalog::connect(&url).await.unwrap();
        let blobs = BlobStore::local(&data.join("blobs")).unwrap();
        let user = db
            .create_user(NewUser {
                email: "w@example.invalid".into(),
                display_name: "W".into(),
                password_hash: "x".into(),
                role: Role::Artist,
            })
            .await
            .unwrap();
        let artist = db.create_artist("A", user.id).await.unwrap();
        let album = db
            .create_album(artist.id, "B", AlbumKind::Single, None)
            .await
            .unwrap();
        let key = format!("uploads/{}", new_id());
        let body = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(
            upload.clone(),
        ))]);
        blobs.put_stream(&key, body, 1 << 30).await.unwrap();
        db.create_upload(Upload {
            key: key.clone(),
            user_id: user.id,
            max_bytes: 1 << 30,
            expires_at: now_millis() + 3_600_000,
            created_at: now_millis(),
        })
        .await
        .unwrap();
        let track = db
            .create_track(NewTrack {
                album_id: album.id,
                title: "T".into(),
                upload_key: key,
                uploader: user.id,
                audio: AudioFacts {
                    container: "raw".into(),
                    codec: "raw".into(),
                    duration_ms: 1,
                    sample_rate: 1,
                    channels: 1,
                    bytes: upload.len() as i64,
                },
                status: TrackStatus::Processing,
            })
            .await
            .unwrap();
        let jobs = backbeat_pipeline::jobs_file::parse(JOBS_TOML).unwrap();
        let engine = Engine {
            graph: Arc::new(default_graph(jobs).unwrap()),
            registry: builtin_registry(),
            blobs: blobs.clone(),
            catalog: Arc::new(db.clone()),
            states: Arc::new(db.clone()),
            queue: Arc::new(SqlQueue::new(db.clone(), QueueConfig::default())),
            config: EngineConfig::new(data.join("scratch")),
            metrics: Arc::default(),
        };
        let plan = Plan::bottom_up(&engine.graph, "slow", |_| false).unwrap();
        engine.submit(track.id, &plan).await.unwrap();
        (db, blobs, track)
    });
    let out_key = output_key(track.id, "slow", 1, "copy.bin");
    let done_key = manifest_key(track.id, "slow", 1);
    let exists = |key: &str| rt.block_on(blobs.head(key)).is_ok();

    // First worker: killed (SIGKILL) while the job runs.
    let mut first = worker(&data, &marker, false);
    let t0 = Instant::now();
    while starts(&marker) == 0 {
        assert!(t0.elapsed() < Duration::from_secs(30), "job never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let state = rt.block_on(db.track_jobs(track.id)).unwrap();
    assert_eq!(state[0].state, JobState::Running, "{state:?}");
    assert!(
        !exists(&out_key) && !exists(&done_key),
        "partial output visible"
    );

    // Second worker: the lease runs out, the job is redelivered and completes.
    let mut second = worker(&data, &marker, true);
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = second.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "second worker never finished"
        );
        // Never a partial output: the output only ever appears with its manifest.
        if exists(&out_key) {
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let rec = rt.block_on(db.track_jobs(track.id)).unwrap();
    let slow = rec.iter().find(|r| r.job == "slow").unwrap();
    assert_eq!(slow.state, JobState::Done, "{slow:?}");
    assert_eq!(slow.completions, 1, "{slow:?}");
    assert_eq!(slow.attempts, 2, "{slow:?}");
    assert!(starts(&marker) >= 2);
    assert!(exists(&done_key));
    let path = blobs.local_path(&out_key).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), upload, "output complete");
    // Nothing left queued.
    let depth = rt
        .block_on(async {
            use backbeat_pipeline::Queue;
            SqlQueue::new(db.clone(), QueueConfig::default())
                .depth(&["slow".to_string()])
                .await
        })
        .unwrap();
    assert_eq!(depth[0].1, 0);
}
