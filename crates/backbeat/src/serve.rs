//! `backbeat serve`: the catalog and streaming API, with pipeline workers alongside unless
//! configured otherwise.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use backbeat_annotate::webhooks::{Deliverer, Pass};
use backbeat_pipeline::workers::{poll_depth, Workers};
use backbeat_server::serve::{serve_on, shutdown_signal, DRAIN_TIMEOUT};
use backbeat_server::AppState;
use clap::Args;
use tokio::net::TcpListener;

use crate::config::{ServeArgs, Settings};
use crate::wiring;

/// Flags of `backbeat serve`.
#[derive(Args, Debug)]
pub struct ServeCmd {
    #[command(flatten)]
    pub args: ServeArgs,
}

/// A multi-threaded tokio runtime for the service commands.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Loads the configuration and serves until SIGINT or SIGTERM.
pub fn run(cmd: ServeCmd) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(&cmd.args)?;
    runtime()?.block_on(serve_with(settings, |_| {}))?;
    Ok(ExitCode::SUCCESS)
}

/// Binds first, so the public URL can default to the address actually bound; opens the
/// catalog; calls `on_ready` with the address once requests are about to be served (the demo
/// seeds itself through the API from there); serves, then stops the in-process workers once
/// requests have drained.
pub async fn serve_with(
    mut settings: Settings,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    crate::logging::init(&settings.log_format);
    let bind = settings.http.bind;
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let addr = listener
        .local_addr()
        .context("reading the listen address")?;
    if !settings.public_url_set {
        let (url, assumed) = public_url_for(addr);
        if assumed {
            eprintln!(
                "backbeat: listening on every interface; signed URLs will use {url} \
                 (set --public-url to the address clients reach this server at)"
            );
        }
        settings.http.public_url = url;
    }
    let (catalog, db) = wiring::open_catalog_with_db(&settings).await?;
    let engine = Arc::clone(catalog.pipeline());
    let annotation = wiring::open_annotation(&db).with_audio_urls(audio_urls(catalog.clone()));
    let state = AppState::new(catalog, annotation.clone(), settings.http.clone());
    println!("backbeat listening on http://{addr}");
    let depth = tokio::spawn(poll_depth(Arc::clone(&engine)));
    let router = tokio::spawn(route_annotations(annotation));
    let deliverer =
        Deliverer::new(Arc::new(db.clone()), WEBHOOK_TIMEOUT).context("the webhook client")?;
    let webhooks = tokio::spawn(deliver_webhooks(deliverer));
    let workers = settings.pipeline.workers.then(|| Workers::start(engine));
    on_ready(addr);
    let served = serve_on(listener, state, shutdown_signal()).await;
    depth.abort();
    router.abort();
    webhooks.abort();
    if let Some(w) = workers {
        w.stop(DRAIN_TIMEOUT).await;
    }
    served.context("serving")
}

/// Items routed per project per pass of [`route_annotations`].
const ROUTE_BATCH: u32 = 500;

/// The annotation router: every second, the new items of every project go through its model
/// annotators (at most [`ROUTE_BATCH`] per project per pass). Errors are logged and the loop
/// goes on; it ends when the server aborts it.
pub async fn route_annotations(annotation: backbeat_annotate::engine::Annotation) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // Each pass in its own task: a panic in one is logged, and the next pass runs.
        let pass = tokio::spawn(route_pass(annotation.clone()));
        if let Err(e) = pass.await {
            tracing::error!(error = %e, "annotation routing pass panicked");
        }
    }
}

/// External model annotators fetch an item's audio from the signed stream URL an admin would
/// get (valid for the catalog's stream URL lifetime, hours: longer than any model's timeout).
fn audio_urls(catalog: backbeat_catalog::Catalog) -> backbeat_annotate::engine::routing::AudioUrls {
    Arc::new(move |track| {
        let catalog = catalog.clone();
        Box::pin(async move {
            let system = backbeat_catalog::Caller {
                user_id: backbeat_store::Id::nil(),
                role: backbeat_store::Role::Admin,
            };
            catalog
                .tracks()
                .stream(&system, track, false)
                .await
                .ok()
                .map(|grant| grant.url)
        })
    })
}

/// How long a webhook endpoint has to answer one delivery.
const WEBHOOK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The webhook outbox: every second, the due deliveries are sent (see
/// `backbeat_annotate::webhooks`); rows are claimed, so every replica can run this loop.
pub async fn deliver_webhooks(deliverer: Deliverer) {
    let deliverer = Arc::new(deliverer);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let d = Arc::clone(&deliverer);
        match tokio::spawn(async move { d.pass().await }).await {
            Ok(Ok(p)) if p == Pass::default() => {}
            Ok(Ok(p)) => tracing::debug!(
                delivered = p.delivered,
                retried = p.retried,
                failed = p.failed,
                "webhooks sent"
            ),
            Ok(Err(e)) => tracing::warn!(error = %e, "webhook delivery failed"),
            Err(e) => tracing::error!(error = %e, "webhook delivery pass panicked"),
        }
    }
}

/// One pass of [`route_annotations`].
async fn route_pass(annotation: backbeat_annotate::engine::Annotation) {
    let projects = match annotation.projects_to_route().await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "annotation routing: listing projects failed");
            return;
        }
    };
    for project in projects {
        match annotation.route_pending(project, ROUTE_BATCH).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(%project, routed = n, "annotation items routed"),
            Err(e) => tracing::warn!(%project, error = %e, "annotation routing failed"),
        }
    }
}

/// The public URL for a server bound to `addr` when none is configured, and whether it is a
/// guess: a wildcard address (`0.0.0.0`, `[::]`) names no host a client could use, so the
/// loopback address on the same port is assumed.
pub fn public_url_for(addr: SocketAddr) -> (String, bool) {
    let ip = addr.ip();
    if ip.is_unspecified() {
        let loopback = if ip.is_ipv4() { "127.0.0.1" } else { "[::1]" };
        (format!("http://{loopback}:{}", addr.port()), true)
    } else {
        (format!("http://{addr}"), false)
    }
}

#[cfg(test)]
mod tests {
    use super::public_url_for;

    #[test]
    fn public_url_follows_the_bound_address() {
        let at = |s: &str| public_url_for(s.parse().unwrap());
        assert_eq!(
            at("127.0.0.1:18555"),
            ("http://127.0.0.1:18555".into(), false)
        );
        assert_eq!(at("[::1]:9000"), ("http://[::1]:9000".into(), false));
        assert_eq!(at("0.0.0.0:8081"), ("http://127.0.0.1:8081".into(), true));
        assert_eq!(at("[::]:8081"), ("http://[::1]:8081".into(), true));
    }
}
