//! Engine overhead: a no-op job graph over many tracks, on the embedded queue or JetStream.
//!
//! ```text
//! cargo run --release -p backbeat-bench --bin overhead -- \
//!     --tracks 10000 --queue sql|nats://127.0.0.1:4222 [--chain on|off] [--slots N] \
//!     [--dir PARENT]
//! ```
//!
//! Builds a throw-away catalog (SQLite file and local blobs in a temporary folder) with
//! `--tracks` tracks whose uploads are 32-byte placeholders, and a diamond of four no-op jobs
//! (`root` → `left`, `root` → `right`, {`left`, `right`} → `join`), each of which only writes its
//! one declared 8-byte output. Then, on the same tracks:
//!
//! 1. **loop** (the baseline): the same job code called directly, job after job in graph order,
//!    by `--slots` tasks taking tracks in turn, outputs as files of one folder: no queue, no
//!    state records, no scratch folder, no copies of inputs, no commit to the blob store;
//! 2. **engine**: workers started, a top-down plan submitted for every track (pages of 500, as
//!    `backbeat backfill` does), timed until the queue is empty (every job recorded `done` and
//!    its delivery acknowledged).
//!
//! Engine overhead per job = (engine wall − loop wall) × slots / jobs: the slot time the engine
//! adds to each job (queue round trips, state records, scratch folder, copying the inputs out of
//! and the output into
//! the blob store, the commit manifest, done checks, publishing children). With JetStream a
//! fresh stream is created and deleted afterwards. The last line is `RESULT key=value ...` for
//! `bench/pipeline_overhead.sh`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use backbeat_pipeline::queue::jetstream::JetStreamQueue;
use backbeat_pipeline::queue::sql::SqlQueue;
use backbeat_pipeline::{
    Engine, EngineConfig, Graph, Input, Job, JobContext, JobError, JobSpec, Memo, Plan, Queue,
    QueueConfig, Registry,
};
use backbeat_store::blob::BlobStore;
use backbeat_store::jobs::JobState;
use backbeat_store::model::*;
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use bytes::Bytes;
use futures_util::StreamExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The diamond, parents first.
const JOBS: [&str; 4] = ["root", "left", "right", "join"];
/// Tracks per `submit_many` call.
const PAGE: usize = 500;

struct Args {
    tracks: usize,
    queue: String,
    chain: bool,
    slots: usize,
    /// Where the temporary catalog goes (default: the system's temporary folder).
    dir: Option<PathBuf>,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        tracks: 10_000,
        queue: "sql".into(),
        chain: true,
        slots: std::thread::available_parallelism().map_or(1, |n| n.get()),
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--tracks" => args.tracks = value()?.parse()?,
            "--queue" => args.queue = value()?,
            "--slots" => args.slots = value()?.parse()?,
            "--dir" => args.dir = Some(PathBuf::from(value()?)),
            "--chain" => {
                args.chain = match value()?.as_str() {
                    "on" => true,
                    "off" => false,
                    other => return Err(format!("--chain on|off, not `{other}`").into()),
                }
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}` (--tracks N --queue sql|nats://HOST:PORT \
                     --chain on|off --slots N --dir PARENT)"
                )
                .into())
            }
        }
    }
    if args.queue != "sql" && !args.queue.starts_with("nats://") {
        return Err("--queue is `sql` or a nats:// URL".into());
    }
    Ok(args)
}

/// A job that does nothing but write its declared outputs, timing itself.
#[derive(Clone, Default)]
struct NoOp {
    own_ns: Arc<AtomicU64>,
    runs: Arc<AtomicU64>,
}

#[async_trait]
impl Job for NoOp {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let t = Instant::now();
        for path in ctx.outputs.values() {
            std::fs::write(path, b"no-op\n\n\n")
                .map_err(|e| JobError::Transient(format!("writing output: {e}")))?;
        }
        let ns = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.own_ns.fetch_add(ns, Ordering::Relaxed);
        self.runs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl NoOp {
    fn take(&self) -> (u64, Duration) {
        let runs = self.runs.swap(0, Ordering::Relaxed);
        let own = Duration::from_nanos(self.own_ns.swap(0, Ordering::Relaxed));
        (runs, own)
    }
}

fn graph() -> Result<Graph, BoxError> {
    Ok(Graph::new(vec![
        JobSpec::builtin("root", 1, &["upload"], &["out.txt"]),
        JobSpec::builtin("left", 1, &["root.out.txt"], &["out.txt"]),
        JobSpec::builtin("right", 1, &["root.out.txt"], &["out.txt"]),
        JobSpec::builtin("join", 1, &["left.out.txt", "right.out.txt"], &["out.txt"]),
    ])?)
}

/// User + system CPU seconds of this process so far (from `/proc/self/stat`).
fn process_cpu_s(ticks_per_s: f64) -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the command name (which may contain spaces) start at field 3; utime and
    // stime are fields 14 and 15.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return f64::NAN;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / ticks_per_s
}

/// Busy CPU seconds of the whole machine so far (all cores; `/proc/stat`), to see whether
/// anything else ran during a measurement.
fn machine_busy_s(ticks_per_s: f64) -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return f64::NAN;
    };
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return f64::NAN;
    };
    // user nice system idle iowait irq softirq steal: busy = all but idle, iowait and steal.
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|x| x.parse().unwrap_or(f64::NAN))
        .collect();
    if v.len() < 8 {
        return f64::NAN;
    }
    (v[0] + v[1] + v[2] + v[5] + v[6]) / ticks_per_s
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The throw-away catalog.
struct Catalog {
    db: SqlCatalog,
    blobs: BlobStore,
    tracks: Vec<Track>,
}

async fn make_catalog(dir: &Path, n: usize) -> Result<Catalog, BoxError> {
    let url = format!("sqlite://{}?mode=rwc", dir.join("catalog.db").display());
    let db = SqlCatalog::connect(&url).await?;
    let blobs = BlobStore::local(&dir.join("blobs"))?;
    let user = db
        .create_user(NewUser {
            email: "bench@backbeat.invalid".into(),
            display_name: "Bench".into(),
            password_hash: "!".into(),
            role: Role::Artist,
        })
        .await?;
    let artist = db.create_artist("Bench", user.id).await?;
    let album = db
        .create_album(artist.id, "Overhead", AlbumKind::Album, None)
        .await?;
    let (user_id, album_id) = (user.id, album.id);
    let placeholder = Bytes::from_static(b"backbeat overhead placeholder.\n\n");
    let tracks: Vec<Result<Track, BoxError>> = futures_util::stream::iter(0..n)
        .map(|i| {
            let (db, blobs, placeholder) = (db.clone(), blobs.clone(), placeholder.clone());
            async move {
                let key = format!("audio/{}", new_id().simple());
                let now = now_millis();
                db.create_upload(Upload {
                    key: key.clone(),
                    user_id,
                    max_bytes: 1 << 20,
                    expires_at: now + 3_600_000,
                    created_at: now,
                })
                .await?;
                let len = placeholder.len() as i64;
                let body = futures_util::stream::iter([Ok::<_, std::io::Error>(placeholder)]);
                blobs.put_stream(&key, body, 1 << 20).await?;
                // A claim needs the slot's lock (nothing else writes to it here).
                let locked = db.lock_upload(&key, "bench", now + 60_000, now).await?;
                if locked != LockOutcome::Acquired {
                    return Err(format!("locking {key}: {locked:?}").into());
                }
                let track = db
                    .create_track(NewTrack {
                        album_id,
                        title: format!("Track {i}"),
                        upload_key: key,
                        lock_token: "bench".into(),
                        uploader: user_id,
                        audio: AudioFacts {
                            container: "wav".into(),
                            codec: "pcm".into(),
                            duration_ms: 1000,
                            sample_rate: 44_100,
                            channels: 2,
                            bytes: len,
                        },
                        status: TrackStatus::Processing,
                    })
                    .await?;
                Ok(track)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let tracks = tracks.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Catalog { db, blobs, tracks })
}

/// The baseline: the same job code called directly, in graph order, by `slots` tasks taking
/// tracks in turn; outputs are files in one folder (no folder per job or track).
async fn plain_loop(
    cat: &Catalog,
    graph: &Graph,
    registry: &Registry,
    slots: usize,
    dir: &Path,
) -> Result<Duration, BoxError> {
    std::fs::create_dir_all(dir)?;
    let library: Arc<dyn LibraryStore> = Arc::new(cat.db.clone());
    let states: Arc<dyn JobStore> = Arc::new(cat.db.clone());
    let specs: Arc<Vec<JobSpec>> = Arc::new(
        JOBS.iter()
            .map(|n| graph.job(n).cloned().ok_or("job missing"))
            .collect::<Result<_, _>>()?,
    );
    let code: Arc<Vec<Arc<dyn Job>>> = Arc::new(
        JOBS.iter()
            .map(|n| registry.get(n).ok_or("no code"))
            .collect::<Result<_, _>>()?,
    );
    // The uploads as local files, copied before the clock starts (the engine copies each job's
    // inputs into its scratch folder, which is part of what it is timed for).
    let mut local = Vec::with_capacity(cat.tracks.len());
    for t in &cat.tracks {
        let upload = dir.join(format!("{}.upload", t.id));
        cat.blobs.fetch_to_file(&t.blob_key, &upload).await?;
        local.push((t.clone(), upload));
    }
    let tracks: Arc<Vec<(Track, PathBuf)>> = Arc::new(local);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..slots {
        let (tracks, specs, code, next) = (
            Arc::clone(&tracks),
            Arc::clone(&specs),
            Arc::clone(&code),
            Arc::clone(&next),
        );
        let (library, states, dir) = (Arc::clone(&library), Arc::clone(&states), dir.to_owned());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some((track, upload)) = tracks.get(i) else {
                    return Ok::<(), JobError>(());
                };
                let file =
                    |job: &str, output: &str| dir.join(format!("{}-{job}.{output}", track.id));
                for (spec, code) in specs.iter().zip(code.iter()) {
                    let inputs: BTreeMap<Input, PathBuf> = spec
                        .inputs
                        .iter()
                        .map(|i| {
                            let path = match i {
                                Input::Upload => upload.clone(),
                                Input::Output { job, output } => file(job, output),
                            };
                            (i.clone(), path)
                        })
                        .collect();
                    let outputs = spec
                        .outputs
                        .iter()
                        .map(|o| (o.clone(), file(&spec.name, o)))
                        .collect();
                    let ctx = JobContext {
                        track: track.clone(),
                        spec: spec.clone(),
                        inputs,
                        outputs,
                        memo: Memo::default(),
                        library: Arc::clone(&library),
                        states: Arc::clone(&states),
                        cancel: Default::default(),
                    };
                    code.run(ctx).await?;
                }
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let took = started.elapsed();
    std::fs::remove_dir_all(dir)?;
    Ok(took)
}

/// What the engine phase measured.
struct EngineRun {
    submit: Duration,
    wall: Duration,
    cpu_s: f64,
    machine_s: f64,
}

async fn engine_run(
    engine: Arc<Engine>,
    cat: &Catalog,
    noop: &NoOp,
    ticks: f64,
) -> Result<EngineRun, BoxError> {
    let names: Vec<String> = JOBS.iter().map(|s| s.to_string()).collect();
    let ids: Vec<Id> = cat.tracks.iter().map(|t| t.id).collect();
    let expected = (ids.len() * JOBS.len()) as u64;
    let plan = Plan::top_down(&engine.graph);
    // Workers first, idle, as `backbeat backfill --run-workers` does; JetStream consumers are
    // created now so that their creation is not timed.
    engine.queue.depth(&names).await?;
    let (stop, rx) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(Arc::clone(&engine).run(None, rx));
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (cpu0, machine0) = (process_cpu_s(ticks), machine_busy_s(ticks));
    let started = Instant::now();
    for page in ids.chunks(PAGE) {
        engine.submit_many(page, &plan).await?;
    }
    let submit = started.elapsed();
    // Every job has run once the job code has run `expected` times (a skip does not call it);
    // the queue is empty once the last of them is committed, recorded and acknowledged (a
    // message is acknowledged after its children are published, so the queue cannot be
    // empty while work remains).
    let deadline = Instant::now() + Duration::from_secs(3600);
    while noop.runs.load(Ordering::Relaxed) < expected {
        if Instant::now() > deadline {
            return Err("the engine did not finish within an hour".into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    loop {
        let depth: u64 = engine.queue.depth(&names).await?.iter().map(|d| d.1).sum();
        if depth == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let wall = started.elapsed();
    let cpu_s = process_cpu_s(ticks) - cpu0;
    let machine_s = machine_busy_s(ticks) - machine0;
    let _ = stop.send(true);
    workers.await??;
    Ok(EngineRun {
        submit,
        wall,
        cpu_s,
        machine_s,
    })
}

async fn run(args: &Args, ticks: f64) -> Result<(), BoxError> {
    let dir = match &args.dir {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    let graph = graph()?;
    let noop = NoOp::default();
    let mut registry = Registry::new();
    for name in JOBS {
        registry.register(name, noop.clone());
    }
    let jobs = (args.tracks * JOBS.len()) as u64;

    let t = Instant::now();
    let cat = make_catalog(dir.path(), args.tracks).await?;
    eprintln!(
        "catalog: {} tracks in {:.1} s ({})",
        cat.tracks.len(),
        t.elapsed().as_secs_f64(),
        dir.path().display()
    );

    let cpu0 = process_cpu_s(ticks);
    let loop_wall = plain_loop(
        &cat,
        &graph,
        &registry,
        args.slots,
        &dir.path().join("loop"),
    )
    .await?;
    let loop_cpu = process_cpu_s(ticks) - cpu0;
    let (loop_runs, loop_own) = noop.take();
    if loop_runs != jobs {
        return Err(format!("loop ran {loop_runs} jobs, expected {jobs}").into());
    }

    let (queue, stream): (Arc<dyn Queue>, Option<Arc<JetStreamQueue>>) = if args.queue == "sql" {
        let q = SqlQueue::new(cat.db.clone(), QueueConfig::default());
        (Arc::new(q), None)
    } else {
        let name = format!("bench-overhead-{}", new_id().simple());
        let q =
            Arc::new(JetStreamQueue::connect(&args.queue, &name, QueueConfig::default()).await?);
        (q.clone(), Some(q))
    };
    let mut config = EngineConfig::new(dir.path().join("scratch"));
    config.cpu_slots = args.slots;
    config.chain = args.chain;
    config.worker_id = "bench".into();
    let engine = Arc::new(Engine {
        graph: Arc::new(graph),
        registry,
        blobs: cat.blobs.clone(),
        library: Arc::new(cat.db.clone()),
        states: Arc::new(cat.db.clone()),
        queue,
        config,
        metrics: Arc::default(),
    });
    let result = engine_run(Arc::clone(&engine), &cat, &noop, ticks).await;
    if let Some(q) = &stream {
        if let Err(e) = q.delete_stream().await {
            eprintln!("deleting stream {}: {e}", q.stream());
        }
    }
    let er = result?;
    let (runs, own) = noop.take();

    // Every job recorded done (or skipped: with chaining off, two parents finishing together
    // can both publish `join`; the second delivery finds it done).
    let mut complete = 0u64;
    for (job, state, n) in cat.db.job_counts().await? {
        match state {
            JobState::Done | JobState::Skipped => complete += n,
            other => return Err(format!("{n} `{job}` job(s) ended {}", other.as_str()).into()),
        }
    }
    if complete != jobs {
        return Err(format!("{complete} jobs complete, expected {jobs}").into());
    }

    let slots = args.slots as f64;
    let per_job_ms = |d: Duration| d.as_secs_f64() * 1e3 * slots / jobs as f64;
    let overhead_ms = per_job_ms(er.wall) - per_job_ms(loop_wall);
    let own_ms = |d: Duration, n: u64| d.as_secs_f64() * 1e3 / n.max(1) as f64;
    let kind = engine.queue.kind();
    let chain = if args.chain { "on" } else { "off" };
    println!(
        "loop:   {jobs} jobs in {:.2} s = {:.0} jobs/s; job code {:.3} ms/job; CPU {:.3} ms/job",
        loop_wall.as_secs_f64(),
        jobs as f64 / loop_wall.as_secs_f64(),
        own_ms(loop_own, loop_runs),
        loop_cpu * 1e3 / jobs as f64
    );
    println!(
        "engine: {jobs} jobs in {:.2} s = {:.0} jobs/s (submit {:.2} s); job code {:.3} ms/job; \
         CPU {:.3} ms/job ({kind}, chain {chain}, {} slots); machine busy {:.1} CPU s",
        er.wall.as_secs_f64(),
        jobs as f64 / er.wall.as_secs_f64(),
        er.submit.as_secs_f64(),
        own_ms(own, runs),
        er.cpu_s * 1e3 / jobs as f64,
        args.slots,
        er.machine_s
    );
    println!(
        "engine overhead: {overhead_ms:.3} ms per job = ({:.2} s - {:.2} s) x {} slots / {jobs} jobs",
        er.wall.as_secs_f64(),
        loop_wall.as_secs_f64(),
        args.slots
    );
    println!(
        "RESULT queue={kind} chain={chain} slots={} tracks={} jobs={jobs} wall_s={:.3} \
         submit_s={:.3} jobs_per_s={:.1} overhead_ms={overhead_ms:.4} slot_ms={:.4} \
         cpu_ms={:.4} cpu_s={:.3} machine_busy_s={:.3} own_ms={:.4} loop_wall_s={:.3} loop_jobs_per_s={:.1} loop_cpu_ms={:.4}",
        args.slots,
        args.tracks,
        er.wall.as_secs_f64(),
        er.submit.as_secs_f64(),
        jobs as f64 / er.wall.as_secs_f64(),
        per_job_ms(er.wall),
        er.cpu_s * 1e3 / jobs as f64,
        er.cpu_s,
        er.machine_s,
        own_ms(own, runs),
        loop_wall.as_secs_f64(),
        jobs as f64 / loop_wall.as_secs_f64(),
        loop_cpu * 1e3 / jobs as f64,
    );
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let args = parse_args()?;
    let ticks = clock_ticks();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(&args, ticks))
}
