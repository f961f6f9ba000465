//! Logging for the service commands.

/// Installs the global log subscriber: `text` or `json` lines on stderr, filtered by `RUST_LOG`
/// (default `info`; `backbeat::access=off` silences the per-request lines). Does nothing if a
/// subscriber is already installed (tests).
pub fn init(format: &str) {
    init_with_default(format, "info");
}

/// [`init`] with another filter when `RUST_LOG` is unset (the demo keeps its terminal for
/// progress bars and the logins: warnings only, no access log, no decoder chatter).
pub fn init_with_default(format: &str, default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
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
