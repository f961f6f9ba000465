//! `backbeat serve`: the catalog and streaming API, with pipeline workers alongside unless
//! configured otherwise.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
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
    runtime()?.block_on(serve(settings))?;
    Ok(ExitCode::SUCCESS)
}

/// Binds first, so the public URL can default to the address actually bound; opens the
/// catalog; serves, then stops the in-process workers once requests have drained.
async fn serve(mut settings: Settings) -> anyhow::Result<()> {
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
    let catalog = wiring::open_catalog(&settings).await?;
    let engine = Arc::clone(catalog.pipeline());
    let state = AppState::new(catalog, settings.http.clone());
    println!("backbeat listening on http://{addr}");
    let depth = tokio::spawn(poll_depth(Arc::clone(&engine)));
    let workers = settings.pipeline.workers.then(|| Workers::start(engine));
    let served = serve_on(listener, state, shutdown_signal()).await;
    depth.abort();
    if let Some(w) = workers {
        w.stop(DRAIN_TIMEOUT).await;
    }
    served.context("serving")
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
