//! `backbeat serve`: the catalog and streaming API.

use std::process::ExitCode;

use backbeat_server::{Config, ServeArgs};
use clap::Args;

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
    let config = Config::load(&cmd.args)?;
    runtime()?.block_on(backbeat_server::serve(config))?;
    Ok(ExitCode::SUCCESS)
}
