//! The HTTP layer's configuration section, `[http]`: where to listen, the URL clients reach
//! the server at, rate limits and proxy trust. The binary fills it from flags, environment and
//! the configuration file; this crate only says what the settings are and which are valid.

use std::net::SocketAddr;

/// Largest JSON request body accepted, in bytes.
pub const MAX_JSON_BODY: u64 = 64 * 1024;

/// Requests per second and burst for one rate-limit class.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

/// Rate limits per class; each applies per user (when authenticated) and per client IP.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct RateLimits {
    /// Everything not listed below.
    pub read: Rate,
    /// Catalog writes.
    pub write: Rate,
    /// Login, register, refresh: per IP, and for login and register also per (e-mail, IP),
    /// under a per-e-mail ceiling `ratelimit::EMAIL_CEILING_FACTOR` times higher.
    pub auth: Rate,
    /// Upload and update URLs.
    pub upload: Rate,
    /// `false` turns limiting off (load benchmarks).
    pub enabled: bool,
}

/// The `[http]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    /// Where to listen.
    pub bind: SocketAddr,
    /// Base URL clients reach this server at; signed URLs are built from it.
    pub public_url: String,
    pub rate_limits: RateLimits,
    /// Take the client IP for rate limits from the last `X-Forwarded-For` entry (set by a
    /// trusted reverse proxy) instead of the socket peer. Off by default: a client could
    /// otherwise pick its own rate-limit key.
    pub trust_forwarded_for: bool,
    /// Timeouts and connection caps against slow and half-open clients.
    pub client_limits: ClientLimits,
}

/// The `[http.client_limits]` table: how long a client may take to send a request, and how
/// many connections it may hold. Why these defaults: docs/API.md, "Slow clients".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientLimits {
    /// Seconds a connection may take to deliver a request's headers, counted from the moment
    /// the server waits for them: also how long an idle keep-alive connection stays open.
    pub header_read_timeout_s: u64,
    /// Seconds a request body may go without a byte arriving before the request fails (408).
    pub body_idle_timeout_s: u64,
    /// Seconds a request body may take in all, from the request's arrival (408 past it).
    pub max_upload_duration_s: u64,
    /// Open connections the server holds at once; more are closed as soon as accepted.
    pub max_connections: usize,
    /// Open connections one client IP (the socket peer) may hold; 0 turns the cap off.
    pub max_connections_per_ip: usize,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self {
            header_read_timeout_s: 20,
            body_idle_timeout_s: 60,
            max_upload_duration_s: 3600,
            max_connections: 4096,
            max_connections_per_ip: 256,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            rate_limits: RateLimits::default(),
            trust_forwarded_for: false,
            client_limits: ClientLimits::default(),
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            read: Rate {
                per_second: 200.0,
                burst: 400,
            },
            write: Rate {
                per_second: 20.0,
                burst: 40,
            },
            auth: Rate {
                per_second: 0.5,
                burst: 10,
            },
            upload: Rate {
                per_second: 1.0,
                burst: 20,
            },
            enabled: true,
        }
    }
}

/// A setting of the section that is out of range: the field and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidSetting {
    pub field: &'static str,
    pub message: String,
}

impl HttpConfig {
    /// Checks every value that could make the server misbehave rather than fail clearly.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        validate_public_url(&self.public_url).map_err(|message| InvalidSetting {
            field: "public_url",
            message,
        })?;
        let r = &self.rate_limits;
        for (field, rate) in [
            ("rate_limits.read", r.read),
            ("rate_limits.write", r.write),
            ("rate_limits.auth", r.auth),
            ("rate_limits.upload", r.upload),
        ] {
            if !(rate.per_second.is_finite() && rate.per_second > 0.0) || rate.burst == 0 {
                return Err(InvalidSetting {
                    field,
                    message: "per_second and burst must be greater than 0".into(),
                });
            }
        }
        self.client_limits.validate()
    }
}

impl ClientLimits {
    /// A zero timeout or global cap would refuse every request; everything else is allowed.
    fn validate(&self) -> Result<(), InvalidSetting> {
        for (field, value) in [
            (
                "client_limits.header_read_timeout_s",
                self.header_read_timeout_s,
            ),
            (
                "client_limits.body_idle_timeout_s",
                self.body_idle_timeout_s,
            ),
            (
                "client_limits.max_upload_duration_s",
                self.max_upload_duration_s,
            ),
            (
                "client_limits.max_connections",
                u64::try_from(self.max_connections).unwrap_or(u64::MAX),
            ),
        ] {
            if value == 0 {
                return Err(InvalidSetting {
                    field,
                    message: "must be greater than 0".into(),
                });
            }
        }
        Ok(())
    }
}

/// `public_url` must be an absolute http(s) URL without query or fragment, since signed URLs
/// are built by appending paths to it.
pub fn validate_public_url(url: &str) -> Result<(), String> {
    let uri: axum::http::Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err("must start with http:// or https://".into()),
    }
    if uri.authority().is_none_or(|a| a.host().is_empty()) {
        return Err("must name a host".into());
    }
    if uri.query().is_some() || url.contains('#') {
        return Err("must not have a query or fragment".into());
    }
    Ok(())
}
