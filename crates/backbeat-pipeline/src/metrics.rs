//! Pipeline metrics (Prometheus): jobs finished per job and outcome, failed attempts, run
//! durations, and queue depth per job. Registered into the registry of whoever serves
//! `/metrics` (`backbeat serve`, or `backbeat worker --metrics-bind`).

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct JobLabels {
    job: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    job: String,
    outcome: &'static str,
}

type DurationFamily = Family<JobLabels, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    // 1 ms .. ~9 min.
    Histogram::new(exponential_buckets(0.001, 3.0, 13))
}

/// The pipeline's metric families.
pub struct Metrics {
    finished: Family<OutcomeLabels, Counter>,
    failed_attempts: Family<JobLabels, Counter>,
    durations: DurationFamily,
    depth: Family<JobLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            finished: Family::default(),
            failed_attempts: Family::default(),
            durations: Family::new_with_constructor(duration_histogram),
            depth: Family::default(),
        }
    }
}

impl Metrics {
    /// Adds the families to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "backbeat_jobs_finished",
            "Jobs finished, by job and outcome (done, skipped, failed, dead)",
            self.finished.clone(),
        );
        registry.register(
            "backbeat_job_failed_attempts",
            "Job runs that failed (retried or not), by job",
            self.failed_attempts.clone(),
        );
        registry.register(
            "backbeat_job_duration_seconds",
            "Wall time of job runs that wrote outputs, by job",
            self.durations.clone(),
        );
        registry.register(
            "backbeat_queue_depth",
            "Messages waiting or in flight, by job",
            self.depth.clone(),
        );
    }

    /// A job ended with `outcome`; `took` for runs that wrote outputs.
    pub fn finished(&self, job: &str, outcome: &'static str, took: Option<Duration>) {
        self.finished
            .get_or_create(&OutcomeLabels {
                job: job.to_string(),
                outcome,
            })
            .inc();
        if let Some(t) = took {
            self.durations
                .get_or_create(&JobLabels {
                    job: job.to_string(),
                })
                .observe(t.as_secs_f64());
        }
    }

    /// A run of `job` failed.
    pub fn failed_attempt(&self, job: &str) {
        self.failed_attempts
            .get_or_create(&JobLabels {
                job: job.to_string(),
            })
            .inc();
    }

    /// Sets the queue depth of `job`.
    pub fn set_depth(&self, job: &str, depth: u64) {
        self.depth
            .get_or_create(&JobLabels {
                job: job.to_string(),
            })
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }
}
