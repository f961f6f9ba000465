//! Pipeline workers running inside another process (`backbeat serve`, test harnesses), and
//! the queue-depth gauge that stays current whether workers run here or elsewhere.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::engine::Engine;

/// How often [`poll_depth`] refreshes the queue-depth gauge.
pub const DEPTH_INTERVAL: Duration = Duration::from_secs(5);

/// Workers running in this process.
pub struct Workers {
    stop: watch::Sender<bool>,
    run: JoinHandle<Result<(), crate::PipelineError>>,
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
