//! Running the server: logging, the listener, background maintenance and graceful shutdown.
//!
//! The accept loop is ours rather than `axum::serve`'s so that connections have limits (see
//! [`ClientLimits`](crate::config::ClientLimits)): each connection must first pass the
//! [`ConnectionGate`] (a cap in all and per client), and hyper closes one whose request head
//! takes longer than `header_read_timeout_s` — which also bounds how long an idle keep-alive
//! or a silent half-open connection stays. Bodies are timed by `body_timeout.rs`. HTTP/1.1
//! only: HTTP/2 is for the TLS-terminating proxy in front, which has its own limits.

mod gate;

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

pub use gate::{Admitted, ConnectionGate};

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
    let limits = state.http.client_limits;
    if state.http.trust_forwarded_for && limits.max_connections_per_ip > 0 {
        tracing::warn!(
            cap = limits.max_connections_per_ip,
            "behind a proxy every connection comes from the proxy's address: \
             max_connections_per_ip caps the proxy itself (0 turns it off)"
        );
    }
    let maintenance = tokio::spawn(maintenance(state.clone()));
    let app = router(state.clone());
    let gate = ConnectionGate::new(limits.max_connections, limits.max_connections_per_ip);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_s));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            // Reaps finished connection tasks so the set stays as large as what is open.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        let Some(place) = gate.admit(peer.ip()) else {
            tracing::debug!(%peer, "connection refused: over the connection cap");
            state.metrics.refuse_connection();
            drop(stream);
            continue;
        };
        // Without it, a small body written after its headers waits for the client's delayed
        // ACK (40 ms on Linux): a player's playlists and init segments each lost that much.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "TCP_NODELAY could not be set");
        }
        let service = app.clone().map_request(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        connections.spawn(async move {
            if let Err(e) = conn.await {
                // Timeouts and clients that go away: worth a trace, not a warning.
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(place);
        });
    }
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("drain timed out; closing the remaining connections");
    }
    connections.abort_all();
    maintenance.abort();
    tracing::info!("stopped");
    Ok(())
}

/// An `accept` error: a connection that failed before we got it is nothing; anything else
/// (out of file descriptors) is logged and followed by a pause, since retrying at once would
/// spin.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
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
