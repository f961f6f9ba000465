//! Running the server: logging, the listener, background maintenance and graceful shutdown.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::router;
use crate::state::AppState;

/// How often the garbage collector and the rate-limiter sweep run.
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);
/// How long in-flight requests may take to finish after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `state` on `listener` until `shutdown` completes, then stops accepting connections
/// and waits up to [`DRAIN_TIMEOUT`] for the requests in flight. Pipeline workers are not
/// this crate's: whoever runs them (the binary's `serve`) stops them after this returns.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    let maintenance = tokio::spawn(maintenance(state.clone()));
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
    result.map_err(std::io::Error::other)??;
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
