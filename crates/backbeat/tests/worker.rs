//! `backbeat worker` and `backbeat backfill` as real processes, on the embedded queue and on NATS
//! JetStream (`--queue`): a worker killed with SIGKILL in the middle of a job loses nothing (the
//! job is redelivered to the next worker and completes once, no partial output is ever
//! visible); two workers sharing a JetStream stream run every job exactly once.
//!
//! JetStream tests get a stream of their own (`BBTEST_<random hex>`) on the server named by
//! `BACKBEAT_TEST_NATS` (default `nats://127.0.0.1:4222`), deleted when the guard goes out of
//! scope — also when the test panics. If the server cannot be reached the test prints
//! `SKIP: <test>: NATS not reachable` and passes, unless `BACKBEAT_REQUIRE_SERVICES=1`, which
//! turns that into a failure (as in `backbeat-pipeline`'s queue tests).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backbeat_pipeline::artifacts::{manifest_key, output_key, Manifest};
use backbeat_pipeline::queue::jetstream::JetStreamQueue;
use backbeat_pipeline::queue::sql::SqlQueue;
use backbeat_pipeline::{Queue, QueueConfig};
use backbeat_store::blob::BlobStore;
use backbeat_store::catalog::derived_prefix;
use backbeat_store::jobs::JobState;
use backbeat_store::model::*;
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use tokio::runtime::Runtime;

const DEFAULT_NATS: &str = "nats://127.0.0.1:4222";

/// One slow job, long enough to be killed in the middle of.
const SLOW_JOBS: &str = r#"
[[job]]
name = "slow"
version = 1
inputs = ["upload"]
outputs = ["copy.bin"]
command = ["sh", "-c", "echo started >> \"$MARKER\"; sleep 3; cp {input:upload} {output:copy.bin}"]
timeout_secs = 60
"#;

/// Two cheap levels. Different classes, so `copy` publishes `size` to the queue instead of
/// running it in the same chain: both levels go through JetStream and either worker may take
/// either. Each appends `<job> <track>` to `$MARKER` once its command has run to the end.
const CHAIN_JOBS: &str = r#"
[[job]]
name = "copy"
version = 1
class = "io"
inputs = ["upload"]
outputs = ["copy.bin"]
command = ["sh", "-c", "cp {input:upload} {output:copy.bin} && echo \"copy {track}\" >> \"$MARKER\""]

[[job]]
name = "size"
version = 1
class = "cpu"
inputs = ["copy.copy.bin"]
outputs = ["size.txt"]
command = ["sh", "-c", "wc -c < {input:copy.copy.bin} > {output:size.txt} && echo \"size {track}\" >> \"$MARKER\""]
"#;

// ---------------------------------------------------------------------------------------------
// Queues

/// The queue a test runs on.
enum TestQueue {
    Sql,
    JetStream(TestStream),
}

impl TestQueue {
    /// The `--queue` flags naming it (always given, so a `BACKBEAT_QUEUE` set around the tests
    /// does not change what they test).
    fn flags(&self) -> Vec<String> {
        match self {
            TestQueue::Sql => vec!["--queue".into(), "sql".into()],
            TestQueue::JetStream(s) => vec![
                "--queue".into(),
                s.url.clone(),
                "--queue-stream".into(),
                s.name.clone(),
            ],
        }
    }

    /// The same queue, opened in the test process (`config` as the workers have it).
    async fn open(&self, db: &SqlCatalog, config: QueueConfig) -> Arc<dyn Queue> {
        match self {
            TestQueue::Sql => Arc::new(SqlQueue::new(db.clone(), config)),
            TestQueue::JetStream(s) => Arc::new(
                JetStreamQueue::connect(&s.url, &s.name, config)
                    .await
                    .expect("open the test stream"),
            ),
        }
    }

    /// Messages waiting or in flight for `jobs`, summed.
    fn depth(&self, rt: &Runtime, db: &SqlCatalog, config: QueueConfig, jobs: &[&str]) -> u64 {
        let jobs: Vec<String> = jobs.iter().map(|j| j.to_string()).collect();
        rt.block_on(async { self.open(db, config).await.depth(&jobs).await })
            .expect("queue depth")
            .iter()
            .map(|d| d.1)
            .sum()
    }
}

/// A JetStream stream of one test's own, deleted on drop.
struct TestStream {
    url: String,
    name: String,
}

/// A fresh stream on the test server; `None` (after printing why) when the server is not
/// reachable and services are not required. The first process opening it creates it.
fn nats_stream(test: &str) -> Option<TestStream> {
    let url = std::env::var("BACKBEAT_TEST_NATS").unwrap_or_else(|_| DEFAULT_NATS.to_owned());
    let required = std::env::var("BACKBEAT_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
    let rt = Runtime::new().unwrap();
    let reachable = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(5), async_nats::connect(&url)).await
    });
    match reachable {
        Ok(Ok(_)) => {}
        Ok(Err(e)) if required => panic!("{test}: NATS not reachable at {url}: {e}"),
        Err(_) if required => panic!("{test}: NATS not reachable at {url}: timed out"),
        _ => {
            println!("SKIP: {test}: NATS not reachable");
            return None;
        }
    }
    Some(TestStream {
        url,
        name: format!("BBTEST_{}", new_id().simple()),
    })
}

impl Drop for TestStream {
    fn drop(&mut self) {
        // On a thread with a runtime of its own: drop may run while another runtime is active.
        let (url, name) = (self.url.clone(), self.name.clone());
        let deleted = std::thread::spawn(move || {
            let rt = Runtime::new().map_err(|e| e.to_string())?;
            rt.block_on(async {
                let client = async_nats::connect(&url).await.map_err(|e| e.to_string())?;
                async_nats::jetstream::new(client)
                    .delete_stream(&name)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<(), String>(())
            })
        })
        .join();
        match deleted {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not delete test stream {}: {e}", self.name),
            Err(_) => eprintln!("warning: deleting the test stream panicked"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Catalog and processes

/// A data directory with `jobs_toml` as its `jobs.toml` and a catalog with one track per
/// upload (the bytes stored as the track's original), in upload order.
pub(crate) fn catalog(
    rt: &Runtime,
    data: &Path,
    jobs_toml: &str,
    uploads: &[Vec<u8>],
) -> (SqlCatalog, BlobStore, Vec<Id>) {
    std::fs::create_dir_all(data).unwrap();
    std::fs::write(data.join("jobs.toml"), jobs_toml).unwrap();
    rt.block_on(async {
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
            .create_album(artist.id, "B", AlbumKind::Album, None)
            .await
            .unwrap();
        let mut tracks = Vec::with_capacity(uploads.len());
        for (i, upload) in uploads.iter().enumerate() {
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
            let now = now_millis();
            let locked = db.lock_upload(&key, "fixture", now + 60_000, now);
            assert_eq!(locked.await.unwrap(), LockOutcome::Acquired);
            let track = db
                .create_track(NewTrack {
                    album_id: album.id,
                    title: format!("T{i}"),
                    upload_key: key,
                    lock_token: "fixture".into(),
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
            tracks.push(track.id);
        }
        (db, blobs, tracks)
    })
}

/// `backbeat <args> --data-dir <data> <queue flags>`, stderr to `log`, `$MARKER` set.
fn backbeat(args: &[&str], data: &Path, queue: &TestQueue, marker: &Path, log: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backbeat"));
    cmd.args(args)
        .arg("--data-dir")
        .arg(data)
        .args(queue.flags())
        .env("MARKER", marker)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(File::create(log).expect("create the log file"));
    cmd
}

fn spawn(mut cmd: Command) -> Child {
    cmd.spawn().expect("start backbeat")
}

/// Enqueues `job` (and its missing ancestors) for every track, as an operator would.
fn enqueue(data: &Path, queue: &TestQueue, job: &str, log: &Path) {
    let args = ["backfill", "--job", job, "--where", "all", "--no-wait"];
    let mut backfill = spawn(backbeat(&args, data, queue, Path::new(""), log));
    let status = wait(&mut backfill, 30, log);
    assert!(status.success(), "backfill: {status:?}\n{}", read(log));
}

/// Waits up to `secs` for `child` to exit (killing it and failing otherwise).
fn wait(child: &mut Child, secs: u64, log: &Path) -> ExitStatus {
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if t0.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process did not exit within {secs} s\n{}", read(log));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asks `child` to stop as a service manager would (SIGTERM: in-flight jobs finish first).
fn terminate(child: &Child) {
    let status = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn lines(marker: &Path) -> Vec<String> {
    read(marker).lines().map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------------------------
// A worker killed mid-job

#[test]
fn a_worker_killed_mid_job_loses_nothing_and_the_job_completes_once() {
    killed_worker_loses_nothing(&TestQueue::Sql);
}

#[test]
fn a_worker_killed_mid_job_on_jetstream_loses_nothing_and_the_job_completes_once() {
    let test =
        "worker::a_worker_killed_mid_job_on_jetstream_loses_nothing_and_the_job_completes_once";
    let Some(stream) = nats_stream(test) else {
        return;
    };
    killed_worker_loses_nothing(&TestQueue::JetStream(stream));
}

fn killed_worker_loses_nothing(queue: &TestQueue) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let marker = dir.path().join("marker");
    let rt = Runtime::new().unwrap();
    let upload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (db, blobs, tracks) = catalog(&rt, &data, SLOW_JOBS, std::slice::from_ref(&upload));
    let track = tracks[0];
    enqueue(&data, queue, "slow", &dir.path().join("backfill.log"));
    let out_key = output_key(track, "slow", 1, "copy.bin");
    let done_key = manifest_key(track, "slow", 1);
    let exists = |key: &str| rt.block_on(blobs.head(key)).is_ok();
    // The workers' ack wait, short so the redelivery comes soon.
    let worker = |name: &str, idle_exit: bool| {
        let mut args = vec!["worker", "--jobs", "slow", "--ack-wait-s", "2"];
        if idle_exit {
            args.extend(["--exit-when-idle-s", "2"]);
        }
        let log = dir.path().join(format!("{name}.log"));
        (spawn(backbeat(&args, &data, queue, &marker, &log)), log)
    };
    let config = QueueConfig {
        ack_wait: Duration::from_secs(2),
    };

    // First worker: killed (SIGKILL) while the job runs.
    let (mut first, first_log) = worker("first", false);
    let t0 = Instant::now();
    while lines(&marker).is_empty() {
        if t0.elapsed() > Duration::from_secs(30) {
            let _ = first.kill();
            panic!("job never started\n{}", read(&first_log));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let state = rt.block_on(db.track_jobs(track)).unwrap();
    assert_eq!(state[0].state, JobState::Running, "{state:?}");
    assert!(
        !exists(&out_key) && !exists(&done_key),
        "partial output visible"
    );

    // Second worker: the ack wait runs out, the job is redelivered and completes.
    let (mut second, second_log) = worker("second", true);
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = second.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = second.kill();
            panic!("second worker never finished\n{}", read(&second_log));
        }
        // Never a partial output: the output only ever appears with its manifest.
        if exists(&out_key) {
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}\n{}", read(&second_log));
    let rec = rt.block_on(db.track_jobs(track)).unwrap();
    let slow = rec.iter().find(|r| r.job == "slow").unwrap();
    assert_eq!(slow.state, JobState::Done, "{slow:?}");
    assert_eq!(slow.completions, 1, "{slow:?}");
    assert_eq!(slow.attempts, 2, "{slow:?}");
    assert!(lines(&marker).len() >= 2);
    assert!(exists(&done_key));
    let output = rt.block_on(blobs.read_small(&out_key, 1 << 20)).unwrap();
    assert_eq!(output, upload, "output complete");
    assert_eq!(
        queue.depth(&rt, &db, config, &["slow"]),
        0,
        "nothing left queued"
    );
}

// ---------------------------------------------------------------------------------------------
// Two workers on one JetStream stream

#[test]
fn two_workers_on_jetstream_run_every_job_of_200_tracks_exactly_once() {
    let test = "worker::two_workers_on_jetstream_run_every_job_of_200_tracks_exactly_once";
    let Some(stream) = nats_stream(test) else {
        return;
    };
    let queue = TestQueue::JetStream(stream);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let marker = dir.path().join("marker");
    let rt = Runtime::new().unwrap();
    // Distinct contents and sizes, so a mixed-up output would show.
    let uploads: Vec<Vec<u8>> = (0..200)
        .map(|i| format!("track {i}\n").repeat(i + 1).into_bytes())
        .collect();
    let (db, blobs, tracks) = catalog(&rt, &data, CHAIN_JOBS, &uploads);

    // Two workers, told apart by the host name in their worker ids, both running before any
    // job is queued so that neither has a head start.
    let t0 = Instant::now();
    let mut workers: Vec<(String, Child, PathBuf)> = ["bbw1", "bbw2"]
        .into_iter()
        .map(|host| {
            let log = dir.path().join(format!("{host}.log"));
            let args = ["worker", "--jobs", "copy,size"];
            let mut cmd = backbeat(&args, &data, &queue, &marker, &log);
            cmd.env("HOSTNAME", host);
            let child = spawn(cmd);
            (format!("{host}-{}", child.id()), child, log)
        })
        .collect();
    for (_, child, log) in &mut workers {
        while !read(log).contains("running copy, size (queue: jetstream at") {
            assert!(
                child.try_wait().unwrap().is_none(),
                "worker exited\n{}",
                read(log)
            );
            assert!(t0.elapsed() < Duration::from_secs(30), "worker not running");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    // `backfill` queues the 200 tracks and waits until every `size` is done.
    let log = dir.path().join("backfill.log");
    let args = ["backfill", "--job", "size", "--where", "all"];
    let mut backfill = spawn(backbeat(&args, &data, &queue, &marker, &log));
    let status = wait(&mut backfill, 60, &log);
    let logs = || {
        let mut text = read(&log);
        for (_, _, l) in &workers {
            text += &read(l);
        }
        text
    };
    assert!(status.success(), "backfill: {status:?}\n{}", logs());
    for (_, child, _) in &workers {
        terminate(child);
    }
    for (_, child, l) in &mut workers {
        let status = wait(child, 30, l);
        assert!(status.success(), "worker: {status:?}\n{}", read(l));
    }
    let elapsed = t0.elapsed();

    // Each job's command ran to its end exactly once per track.
    let mut runs: BTreeMap<String, usize> = BTreeMap::new();
    for line in lines(&marker) {
        *runs.entry(line).or_default() += 1;
    }
    let expected: BTreeSet<String> = tracks
        .iter()
        .flat_map(|t| [format!("copy {t}"), format!("size {t}")])
        .collect();
    let twice: Vec<_> = runs.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "jobs run twice: {twice:?}");
    assert_eq!(
        runs.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "every job ran"
    );

    // Each job committed once, and its outputs are complete and right; nothing else was
    // written.
    let mut by_worker: BTreeMap<String, usize> = BTreeMap::new();
    for (track, upload) in tracks.iter().zip(&uploads) {
        let records = rt.block_on(db.track_jobs(*track)).unwrap();
        assert_eq!(records.len(), 2, "{records:?}");
        for r in &records {
            assert_eq!(r.state, JobState::Done, "{r:?}");
            assert_eq!(r.completions, 1, "{r:?}");
            assert_eq!(r.attempts, 1, "{r:?}");
            let manifest = rt
                .block_on(blobs.read_small(&manifest_key(*track, &r.job, 1), 1 << 20))
                .unwrap();
            let manifest: Manifest =
                serde_json::from_slice(&manifest).expect("manifest of a done job");
            assert_eq!(r.worker.as_deref(), Some(manifest.worker.as_str()));
            *by_worker.entry(manifest.worker).or_default() += 1;
        }
        let prefix = derived_prefix(*track);
        let outputs: BTreeSet<String> = rt
            .block_on(blobs.list(&prefix))
            .unwrap()
            .iter()
            .map(|key| key.strip_prefix(&prefix).unwrap().to_string())
            .collect();
        assert_eq!(
            outputs,
            BTreeSet::from(
                [
                    "copy/v1/_done.json",
                    "copy/v1/copy.bin",
                    "size/v1/_done.json",
                    "size/v1/size.txt"
                ]
                .map(String::from)
            ),
            "outputs of {track}"
        );
        let read = |key: String| rt.block_on(blobs.read_small(&key, 1 << 20)).unwrap();
        let copy = read(output_key(*track, "copy", 1, "copy.bin"));
        assert_eq!(&copy[..], &upload[..], "copy of {track}");
        let size = read(output_key(*track, "size", 1, "size.txt"));
        assert_eq!(
            std::str::from_utf8(&size).unwrap().trim(),
            upload.len().to_string(),
            "size of {track}"
        );
    }

    // Both workers committed jobs, and only they did.
    let ids: BTreeSet<String> = workers.iter().map(|w| w.0.clone()).collect();
    assert_eq!(
        by_worker.keys().cloned().collect::<BTreeSet<_>>(),
        ids,
        "jobs per worker: {by_worker:?}"
    );
    assert_eq!(by_worker.values().sum::<usize>(), 400);
    assert_eq!(
        queue.depth(&rt, &db, QueueConfig::default(), &["copy", "size"]),
        0,
        "nothing left queued"
    );
    println!("two workers, 200 tracks: {elapsed:?} ({by_worker:?})");
}

// ---------------------------------------------------------------------------------------------
// `--queue` errors

#[test]
fn an_unreachable_nats_server_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1: nothing listens there.
    let out = Command::new(env!("CARGO_BIN_EXE_backbeat"))
        .args(["worker", "--queue", "nats://127.0.0.1:1", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("cannot open the JetStream queue at nats://127.0.0.1:1 (stream `backbeat`"),
        "{stderr}"
    );
}

#[test]
fn a_queue_that_is_neither_sql_nor_nats_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_backbeat"))
        .args([
            "backfill",
            "--job",
            "probe",
            "--queue",
            "redis://x",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("expected `sql` or a NATS URL `nats://host:port`, not `redis://x`"),
        "{stderr}"
    );
}
