//! A pipeline on real parts for tests (feature `testing`): a SQLite catalog file, a local blob
//! folder, the embedded SQL queue, and tracks whose uploads are real files. The pipeline's own
//! tests and the built-in jobs' tests (`backbeat-jobs`) share it; test crates cannot share
//! modules otherwise.

// A harness fails the test it serves by panicking, with the error in the message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use backbeat_store::blob::BlobStore;
use backbeat_store::jobs::{JobRecord, JobState};
use backbeat_store::model::*;
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use bytes::Bytes;
use tokio::sync::watch;

use crate::artifacts;
use crate::queue::sql::SqlQueue;
use crate::{Engine, EngineConfig, Graph, Plan, QueueConfig, Registry};

/// The audio fixtures shared by the crates (the repository's `testdata/formats`).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/formats")
        .join(name)
}

/// Catalog, blobs, queue and engine in a temporary folder.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub db: SqlCatalog,
    pub blobs: BlobStore,
    pub engine: Arc<Engine>,
    pub album: Id,
    pub user: Id,
}

impl Harness {
    /// A harness running `graph` with `registry`, with short retries for tests.
    pub async fn new(graph: Graph, registry: Registry) -> Self {
        Self::with_config(graph, registry, |_| {}).await
    }

    /// Like [`Harness::new`], with `tweak` applied to the engine's configuration.
    pub async fn with_config(
        graph: Graph,
        registry: Registry,
        tweak: impl FnOnce(&mut EngineConfig),
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("catalog.db").display()
        );
        let db = SqlCatalog::connect(&url).await.unwrap();
        let blobs = BlobStore::local(&dir.path().join("blobs")).unwrap();
        let user = db
            .create_user(NewUser {
                email: "a@example.invalid".into(),
                display_name: "A".into(),
                password_hash: "x".into(),
                role: Role::Artist,
            })
            .await
            .unwrap();
        let artist = db.create_artist("Artist", user.id).await.unwrap();
        let album = db
            .create_album(artist.id, "Album", AlbumKind::Album, None)
            .await
            .unwrap();
        let queue = SqlQueue::new(
            db.clone(),
            QueueConfig {
                ack_wait: Duration::from_secs(2),
            },
        );
        let mut config = EngineConfig::new(dir.path().join("scratch"));
        config.backoff = vec![Duration::from_millis(50)];
        config.heartbeat = Duration::from_millis(500);
        config.max_deliver = 3;
        tweak(&mut config);
        let engine = Arc::new(Engine {
            graph: Arc::new(graph),
            registry,
            blobs: blobs.clone(),
            library: Arc::new(db.clone()),
            states: Arc::new(db.clone()),
            queue: Arc::new(queue),
            config,
            metrics: Arc::new(Default::default()),
        });
        Harness {
            dir,
            db,
            blobs,
            engine,
            album: album.id,
            user: user.id,
        }
    }

    /// A track whose upload is `file`'s bytes.
    pub async fn track_from(&self, file: &Path) -> Track {
        let bytes = std::fs::read(file).unwrap();
        self.track_with(bytes).await
    }

    /// A track whose upload is `bytes`.
    pub async fn track_with(&self, bytes: Vec<u8>) -> Track {
        let (key, audio) = self.locked_upload(bytes).await;
        self.db
            .create_track(NewTrack {
                album_id: self.album,
                title: "Track".into(),
                upload_key: key,
                lock_token: "fixture".into(),
                uploader: self.user,
                audio,
                status: TrackStatus::Processing,
            })
            .await
            .unwrap()
    }

    /// Replaces `track`'s audio with `bytes` (a new upload claimed as the catalog's
    /// replacement does); returns the track as stored now. Submitting the rerun is the
    /// caller's.
    pub async fn replace_audio(&self, track: Id, bytes: Vec<u8>) -> Track {
        let (key, audio) = self.locked_upload(bytes).await;
        self.db
            .replace_track_audio(track, &key, "fixture", self.user, audio)
            .await
            .unwrap()
    }

    /// An upload slot holding `bytes`, locked with the token `fixture`; its key and facts.
    async fn locked_upload(&self, bytes: Vec<u8>) -> (String, AudioFacts) {
        let key = format!("uploads/{}", new_id());
        let len = bytes.len() as i64;
        let body = futures_util::stream::iter([Ok::<Bytes, std::io::Error>(Bytes::from(bytes))]);
        self.blobs.put_stream(&key, body, 1 << 30).await.unwrap();
        self.db
            .create_upload(Upload {
                key: key.clone(),
                user_id: self.user,
                max_bytes: 1 << 30,
                expires_at: now_millis() + 3_600_000,
                created_at: now_millis(),
            })
            .await
            .unwrap();
        let now = now_millis();
        let locked = self.db.lock_upload(&key, "fixture", now + 60_000, now);
        assert_eq!(locked.await.unwrap(), LockOutcome::Acquired);
        let audio = AudioFacts {
            container: "wav".into(),
            codec: "pcm".into(),
            duration_ms: 1000,
            sample_rate: 44100,
            channels: 2,
            bytes: len,
        };
        (key, audio)
    }

    /// An engine over the same catalog, blobs and queue running `registry` (a worker set up
    /// differently, e.g. once models are installed); drive it with [`Harness::drain_with`].
    pub fn engine_with(&self, registry: Registry) -> Arc<Engine> {
        let e = &self.engine;
        Arc::new(Engine {
            graph: Arc::clone(&e.graph),
            registry,
            blobs: e.blobs.clone(),
            library: Arc::clone(&e.library),
            states: Arc::clone(&e.states),
            queue: Arc::clone(&e.queue),
            config: e.config.clone(),
            metrics: Arc::new(Default::default()),
        })
    }

    /// Starts workers for every job; stop them with the returned sender.
    pub fn start_workers(&self) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
        Self::start(&self.engine)
    }

    fn start(engine: &Arc<Engine>) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = watch::channel(false);
        let engine = Arc::clone(engine);
        let handle = tokio::spawn(async move {
            engine.run(None, rx).await.unwrap();
        });
        (tx, handle)
    }

    /// Submits `plan` for `track`, runs workers until the queue is empty, stops them.
    pub async fn run_to_completion(&self, track: Id, plan: &Plan) {
        self.engine.submit(track, plan).await.unwrap();
        self.drain().await;
    }

    /// Runs workers until every queued message is settled.
    pub async fn drain(&self) {
        Self::drain_with(&self.engine).await
    }

    /// Runs `engine`'s workers until every queued message is settled.
    pub async fn drain_with(engine: &Arc<Engine>) {
        let (stop, handle) = Self::start(engine);
        let names: Vec<String> = engine.graph.names().into_iter().collect();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let depth: u64 = engine
                .queue
                .depth(&names)
                .await
                .unwrap()
                .iter()
                .map(|(_, n)| n)
                .sum();
            if depth == 0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "queue did not drain"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(true).unwrap();
        handle.await.unwrap();
    }

    /// Every job record of `track`.
    pub async fn records(&self, track: Id) -> Vec<JobRecord> {
        self.db.track_jobs(track).await.unwrap()
    }

    /// The record of `job` for `track`.
    pub async fn state(&self, track: Id, job: &str) -> Option<JobRecord> {
        self.records(track).await.into_iter().find(|r| r.job == job)
    }

    /// The jobs done for `track`.
    pub async fn done_jobs(&self, track: Id) -> BTreeSet<String> {
        self.engine.done_set(track).await.unwrap()
    }

    /// The bytes of output `output` of `job` for `track`, at the job's current version.
    pub async fn output(&self, track: Id, job: &str, output: &str) -> Option<Vec<u8>> {
        let spec = self.engine.graph.job(job)?;
        let key = artifacts::output_key(track, job, spec.version, output);
        self.blobs
            .read_small(&key, 1 << 30)
            .await
            .ok()
            .map(|b| b.to_vec())
    }
}

/// Whether every record of `track` is complete.
pub fn all_complete(records: &[JobRecord]) -> bool {
    records.iter().all(|r| r.state.is_complete())
}

/// The state of `job` among `records`, if it has one.
pub fn state_of(records: &[JobRecord], job: &str) -> Option<JobState> {
    records.iter().find(|r| r.job == job).map(|r| r.state)
}
