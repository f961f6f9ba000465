//! Running the server: logging, the listener, background maintenance and graceful shutdown.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::{build_state, router};
use crate::config::Config;
use crate::pipeline::Workers;
use crate::state::AppState;

/// How often the garbage collector and the rate-limiter sweep run.
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);
/// How long in-flight requests may take to finish after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Installs the global log subscriber: `text` or `json` lines on stderr, filtered by `RUST_LOG`
/// (default `info`; `backbeat::access=off` silences the per-request lines). Does nothing if a
/// subscriber is already installed (tests).
pub fn init_tracing(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// `backbeat serve`: opens the data directory, listens on the configured address and serves
/// until SIGINT or SIGTERM, then drains in-flight requests.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    init_tracing(&config.log_format);
    let bind = config.bind;
    let state = build_state(config).await?;
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    serve_on(listener, state, shutdown_signal()).await
}

/// Serves `state` on `listener` until `shutdown` completes, then stops accepting connections
/// and waits up to [`DRAIN_TIMEOUT`] for the requests in flight. Unless configured otherwise,
/// pipeline workers run alongside and get another [`DRAIN_TIMEOUT`] for the jobs in flight.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener
        .local_addr()
        .context("reading the listen address")?;
    println!("backbeat listening on http://{addr}");
    tracing::info!(%addr, "listening");
    let maintenance = tokio::spawn(maintenance(state.clone()));
    let depth = tokio::spawn(crate::pipeline::poll_depth(Arc::clone(
        state.catalog.pipeline(),
    )));
    let workers = state
        .config
        .workers
        .then(|| Workers::start(Arc::clone(state.catalog.pipeline())));
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stop_rx.wait_for(|stop| *stop).await;
    });
    let mut server = tokio::spawn(server.into_future());
    let result = tokio::select! {
        r = &mut server => r,
        () = shutdown => {
            tracing::info!("shutting down: draining in-flight requests");
            let _ = stop_tx.send(true);
            match tokio::time::timeout(DRAIN_TIMEOUT, &mut server).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::warn!("drain timed out; closing the remaining connections");
                    server.abort();
                    Ok(Ok(()))
                }
            }
        }
    };
    maintenance.abort();
    depth.abort();
    if let Some(w) = workers {
        w.stop(DRAIN_TIMEOUT).await;
    }
    result
        .context("the server task failed")?
        .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// Every [`MAINTENANCE_INTERVAL`]: collect garbage blobs and sweep idle rate-limit keys.
async fn maintenance(state: AppState) {
    let mut tick = tokio::time::interval(MAINTENANCE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        state.limits.sweep();
        match state.catalog.gc().run_once().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "garbage collected"),
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "garbage collection failed"),
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
