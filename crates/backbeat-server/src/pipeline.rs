//! The processing pipeline as the server and the pipeline commands open it: the job graph
//! (built-in jobs plus the external jobs file), the queue, and the engine over the catalog
//! database and blob store. `backbeat serve` submits a top-down run for every upload and, by
//! default, runs workers in-process ([`Workers`]); `backbeat worker` runs the same engine alone.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use backbeat_pipeline::builtins::{builtin_registry, default_graph};
use backbeat_pipeline::metrics::Metrics;
use backbeat_pipeline::queue::jetstream::JetStreamQueue;
use backbeat_pipeline::queue::sql::SqlQueue;
use backbeat_pipeline::{Engine, EngineConfig, Graph, Queue, QueueConfig};
use backbeat_store::blob::BlobStore;
use backbeat_store::jobs::JobStore;
use backbeat_store::sql::SqlCatalog;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;

/// How often `serve` refreshes the queue-depth gauge.
pub const DEPTH_INTERVAL: Duration = Duration::from_secs(5);

/// The built-in graph plus the jobs of the configured jobs file, validated.
pub fn load_graph(config: &Config) -> anyhow::Result<Graph> {
    let extra = match config.jobs_file() {
        Some(p) => {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            backbeat_pipeline::jobs_file::parse(&text)
                .with_context(|| format!("in {}", p.display()))?
        }
        None => Vec::new(),
    };
    Ok(default_graph(extra)?)
}

/// Worker settings from the configuration (slots, keep-alive interval, scratch folder).
pub fn engine_config(config: &Config) -> EngineConfig {
    let mut ec = EngineConfig::new(config.data_dir.join("scratch"));
    if let Some(n) = config.cpu_slots {
        ec.cpu_slots = n;
    }
    ec.io_slots = config.io_slots;
    ec.heartbeat = Duration::from_secs((config.ack_wait_s / 3).max(1));
    ec
}

/// Opens the configured queue: the embedded one (job rows in the catalog database) or a
/// JetStream stream (created if missing).
pub async fn open_queue(config: &Config, db: &SqlCatalog) -> anyhow::Result<Arc<dyn Queue>> {
    let qc = QueueConfig {
        ack_wait: Duration::from_secs(config.ack_wait_s.max(1)),
    };
    if config.queue == "sql" {
        return Ok(Arc::new(SqlQueue::new(db.clone(), qc)));
    }
    let queue = JetStreamQueue::connect(&config.queue, &config.queue_stream, qc)
        .await
        .with_context(|| {
            format!(
                "cannot open the JetStream queue at {} (stream `{}`; is a NATS server with \
                 JetStream enabled running there?)",
                config.queue, config.queue_stream
            )
        })?;
    Ok(Arc::new(queue))
}

/// The configured queue in words, for logs: its kind and where it is.
pub fn describe_queue(config: &Config) -> String {
    if config.queue == "sql" {
        "sql, in the catalog database".into()
    } else {
        format!(
            "jetstream at {}, stream {}",
            config.queue, config.queue_stream
        )
    }
}

/// The engine over `db`, `blobs` and `queue`, with the configured graph and worker settings;
/// job states go to `states` (the database itself, or the catalog's cache-aware states).
pub fn open_engine(
    config: &Config,
    db: &SqlCatalog,
    states: Arc<dyn JobStore>,
    blobs: BlobStore,
    queue: Arc<dyn Queue>,
) -> anyhow::Result<Engine> {
    Ok(Engine {
        graph: Arc::new(load_graph(config)?),
        registry: builtin_registry(),
        blobs,
        catalog: Arc::new(db.clone()),
        states,
        queue,
        config: engine_config(config),
        metrics: Arc::new(Metrics::default()),
    })
}

/// Workers running in this process.
pub struct Workers {
    stop: watch::Sender<bool>,
    run: JoinHandle<Result<(), backbeat_pipeline::PipelineError>>,
}

impl Workers {
    /// Starts workers for every job of `engine`'s graph.
    pub fn start(engine: Arc<Engine>) -> Self {
        let (stop, rx) = watch::channel(false);
        tracing::info!(
            worker = %engine.config.worker_id,
            cpu_slots = engine.config.cpu_slots,
            io_slots = engine.config.io_slots,
            queue = engine.queue.kind(),
            "pipeline workers started"
        );
        let run = tokio::spawn(engine.run(None, rx));
        Workers { stop, run }
    }

    /// Stops fetching and waits up to `grace` for the jobs in flight; jobs still running then
    /// are abandoned (the queue redelivers them: every job is idempotent).
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        let mut run = self.run;
        match tokio::time::timeout(grace, &mut run).await {
            Ok(Ok(Ok(()))) => tracing::info!("pipeline workers stopped"),
            Ok(Ok(Err(e))) => tracing::error!(error = %e, "pipeline workers failed"),
            Ok(Err(e)) => tracing::error!(error = %e, "pipeline worker task failed"),
            Err(_) => {
                tracing::warn!(
                    "jobs still running after the grace period; the queue will redeliver them"
                );
                run.abort();
            }
        }
    }
}

/// Keeps the `backbeat_queue_depth` gauge current (also when workers run elsewhere).
pub async fn poll_depth(engine: Arc<Engine>) {
    let names: Vec<String> = engine.graph.names().into_iter().collect();
    let mut tick = tokio::time::interval(DEPTH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match engine.queue.depth(&names).await {
            Ok(depths) => {
                for (job, n) in depths {
                    engine.metrics.set_depth(&job, n);
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the queue depth failed"),
        }
    }
}
