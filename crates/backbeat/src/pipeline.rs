//! Pipeline commands: `backbeat worker`, `backbeat jobs graph|status`, `backbeat backfill`.
//! They open the same data directory (or database) and take the same configuration as
//! `backbeat serve`. The job queue is the embedded one in the catalog database (`--queue sql`,
//! the default), which every process opening that database shares, or a NATS JetStream stream
//! (`--queue nats://host:port`, `--queue-stream NAME`) for workers on several machines.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use backbeat_pipeline::{Backfill, BackfillRequest, Engine, Which};
use backbeat_store::jobs::JobState;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{Id, JobStore};
use clap::{Args, Subcommand};

use crate::config::{ServeArgs, Settings};
use crate::serve::runtime;
use crate::wiring;

/// Options shared by the pipeline commands: those of `serve` (data directory, database,
/// jobs file, slots, ack wait — flags, `BACKBEAT_*` variables or the TOML file).
#[derive(Args, Debug, Clone)]
pub struct PipelineArgs {
    #[command(flatten)]
    pub config: ServeArgs,
}

/// Flags of `backbeat worker` (slots and ack wait come from the shared options).
#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// Only these jobs (comma-separated; default: every job of the graph).
    #[arg(long, value_delimiter = ',')]
    pub jobs: Vec<String>,
    /// Exit when the queue has been empty this many seconds (0: run until SIGINT/SIGTERM).
    #[arg(long, default_value_t = 0)]
    pub exit_when_idle_s: u64,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

/// `backbeat jobs ...`.
#[derive(Subcommand, Debug)]
pub enum JobsCmd {
    /// Print the job graph (text, or Graphviz DOT with --dot).
    Graph {
        #[arg(long)]
        dot: bool,
        #[command(flatten)]
        pipeline: PipelineArgs,
    },
    /// Job states: counts per job and state, or one track's jobs with --track.
    Status {
        #[arg(long)]
        track: Option<Id>,
        #[command(flatten)]
        pipeline: PipelineArgs,
    },
}

/// Flags of `backbeat backfill`.
#[derive(Args, Debug)]
pub struct BackfillArgs {
    /// The job to bring up to date (its missing ancestors run first).
    #[arg(long)]
    pub job: String,
    /// Which tracks: `all`, `artist:<id>`, `missing` (no complete record of the job) or
    /// `stale` (missing, or done under another version).
    #[arg(long = "where", default_value = "stale")]
    pub selection: String,
    /// Re-run the job even where its outputs exist.
    #[arg(long)]
    pub force: bool,
    /// With --force: re-run everything downstream of the job too.
    #[arg(long)]
    pub with_descendants: bool,
    /// Also run workers in this process until the backfill is done (otherwise `serve` or
    /// `worker` processes do the work and this command only enqueues and shows progress).
    #[arg(long)]
    pub run_workers: bool,
    /// Enqueue and exit without waiting.
    #[arg(long)]
    pub no_wait: bool,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

/// Opens catalog, blobs, graph and queue for `args`, as `serve` does.
pub async fn open_engine(
    args: &PipelineArgs,
) -> anyhow::Result<(Arc<Engine>, SqlCatalog, Settings)> {
    let settings = Settings::load(&args.config)?;
    let (engine, db) = wiring::open_pipeline(&settings).await?;
    Ok((engine, db, settings))
}

/// `backbeat worker`.
pub fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let (engine, _db, config) = open_engine(&args.pipeline).await?;
        let jobs: Option<BTreeSet<String>> = if args.jobs.is_empty() {
            None
        } else {
            for j in &args.jobs {
                if engine.graph.job(j).is_none() {
                    bail!("no job is called `{j}` (see `backbeat jobs graph`)");
                }
            }
            Some(args.jobs.iter().cloned().collect())
        };
        let names: Vec<String> = jobs
            .clone()
            .unwrap_or_else(|| engine.graph.names())
            .into_iter()
            .collect();
        let (stop, rx) = tokio::sync::watch::channel(false);
        let run = tokio::spawn(Arc::clone(&engine).run(jobs, rx));
        eprintln!(
            "worker {} running {} (queue: {})",
            engine.config.worker_id,
            names.join(", "),
            config.pipeline.queue
        );
        let idle_limit = Duration::from_secs(args.exit_when_idle_s);
        let mut idle_since: Option<Instant> = None;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = terminate() => break,
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            if args.exit_when_idle_s > 0 {
                let depth: u64 = engine.queue.depth(&names).await?.iter().map(|d| d.1).sum();
                match (depth, idle_since) {
                    (0, None) => idle_since = Some(Instant::now()),
                    (0, Some(t)) if t.elapsed() >= idle_limit => break,
                    (0, Some(_)) => {}
                    _ => idle_since = None,
                }
            }
        }
        let _ = stop.send(true);
        run.await??;
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(unix)]
async fn terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending().await
}

/// `backbeat jobs ...`.
pub fn jobs(cmd: JobsCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        JobsCmd::Graph {
            dot,
            pipeline: args,
        } => {
            let config = Settings::load(&args.config)?;
            let graph = wiring::load_graph(&config)?;
            print!("{}", if dot { graph.to_dot() } else { graph.to_text() });
            Ok(ExitCode::SUCCESS)
        }
        JobsCmd::Status {
            track,
            pipeline: args,
        } => runtime()?.block_on(async {
            let (engine, db, _) = open_engine(&args).await?;
            match track {
                Some(id) => {
                    println!(
                        "{:<16} {:>3} {:<8} {:>8}  error",
                        "job", "ver", "state", "attempts"
                    );
                    for r in db.track_jobs(id).await? {
                        println!(
                            "{:<16} {:>3} {:<8} {:>8}  {}",
                            r.job,
                            r.version,
                            r.state.as_str(),
                            r.attempts,
                            r.error.unwrap_or_default()
                        );
                    }
                }
                None => {
                    let counts = db.job_counts().await?;
                    let names: Vec<String> = engine.graph.names().into_iter().collect();
                    let depth = engine.queue.depth(&names).await?;
                    print!("{:<16} {:>7}", "job", "queued");
                    for s in JobState::ALL {
                        print!(" {:>8}", s.as_str());
                    }
                    println!();
                    for spec in engine.graph.jobs() {
                        let q = depth.iter().find(|d| d.0 == spec.name).map_or(0, |d| d.1);
                        print!("{:<16} {:>7}", spec.name, q);
                        for s in JobState::ALL {
                            let n = counts
                                .iter()
                                .find(|(j, st, _)| *j == spec.name && *st == s)
                                .map_or(0, |c| c.2);
                            print!(" {n:>8}");
                        }
                        println!();
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }),
    }
}

/// The `--where` text as a backfill's selection.
fn parse_which(text: &str) -> anyhow::Result<Which> {
    Ok(match text {
        "all" => Which::All,
        "missing" => Which::Missing,
        "stale" => Which::Stale,
        other => match other.strip_prefix("artist:") {
            Some(id) => Which::Artist(id.parse().context("artist id")?),
            None => bail!("--where must be all, missing, stale or artist:<id>, not `{other}`"),
        },
    })
}

fn progress_bar(total: u64, message: &str) -> anyhow::Result<indicatif::ProgressBar> {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{msg:10} [{bar:40}] {pos}/{len} tracks  {per_sec}  ETA {eta}",
    )?);
    bar.set_message(message.to_string());
    Ok(bar)
}

/// `backbeat backfill`: the planning is `backbeat_pipeline::backfill`'s; this shows progress.
pub fn backfill(args: BackfillArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let (engine, _db, _) = open_engine(&args.pipeline).await?;
        if engine.graph.job(&args.job).is_none() {
            bail!(
                "no job is called `{}` (see `backbeat jobs graph`)",
                args.job
            );
        }
        let request = BackfillRequest {
            job: args.job.clone(),
            which: parse_which(&args.selection)?,
            force: args.force,
            with_descendants: args.with_descendants,
        };
        let backfill = Backfill::prepare(Arc::clone(&engine), request).await?;
        let job = backfill.job().name.clone();
        let total = backfill.total();
        eprintln!("backfill {job}: {total} track(s) selected");
        let (stop, handle) = if args.run_workers {
            let (tx, rx) = tokio::sync::watch::channel(false);
            (
                Some(tx),
                Some(tokio::spawn(Arc::clone(&engine).run(None, rx))),
            )
        } else {
            (None, None)
        };
        let bar = progress_bar(total, "enqueue")?;
        let submitted = backfill.submit(|n| bar.set_position(n)).await?;
        bar.finish();
        if args.no_wait {
            eprintln!("enqueued {} track(s)", submitted.tracks);
        } else {
            let bar = progress_bar(submitted.tracks, "process")?;
            let summary = backfill
                .wait(submitted, Duration::from_millis(500), |p| {
                    bar.set_position(p.finished.min(submitted.tracks));
                    if p.finished < submitted.tracks {
                        bar.set_message(format!("queued {}", p.queued));
                    }
                })
                .await?;
            bar.finish();
            eprintln!(
                "backfill {job}: {} complete, {} failed, {} dead-lettered, \
                 {} not reached (an earlier job failed)",
                summary.complete, summary.failed, summary.dead, summary.unreached
            );
        }
        if let (Some(stop), Some(handle)) = (stop, handle) {
            let _ = stop.send(true);
            handle.await??;
        }
        Ok(ExitCode::SUCCESS)
    })
}
