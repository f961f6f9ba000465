//! Prometheus metrics: per-request counters and latency by route template, plus counters the
//! handlers and background tasks increment. Rendered at `/metrics` in the OpenMetrics text
//! format (which Prometheus scrapes natively).
//!
//! Labels use the matched route template (`/api/v1/tracks/{id}`), never the raw path, and a
//! fixed set of method names, so the number of series stays bounded whatever clients send.

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The route label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Labels of `http_requests_total`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: &'static str,
    pub route: String,
    pub status: u16,
}

/// Labels of `http_request_duration_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: &'static str,
    pub route: String,
}

type DurationFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The registry and the server's metric families.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: DurationFamily,
    connections_refused: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Latency buckets from 0.5 ms to 10 s: the hot reads live in the first few.
fn duration_histogram() -> Histogram {
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

impl Metrics {
    /// A registry with every family registered.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let durations: DurationFamily = Family::new_with_constructor(duration_histogram);
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (until the response head)",
            durations.clone(),
        );
        let connections_refused = Counter::default();
        registry.register(
            "http_connections_refused",
            "Connections closed on accept: over the connection cap, in all or per client",
            connections_refused.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            connections_refused,
        }
    }

    /// [`Metrics::new`] plus the families `register` adds (the pipeline's, in `serve`).
    pub fn with(register: impl FnOnce(&mut Registry)) -> Self {
        let mut m = Self::new();
        register(&mut m.registry);
        m
    }

    /// Records one answered request.
    pub fn observe_request(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_string(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                method,
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// Records one connection closed by the connection caps.
    pub fn refuse_connection(&self) {
        self.connections_refused.inc();
    }

    /// The registry in OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8192);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// A bounded label for a method: the standard ones by name, anything else as `OTHER`.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_render() {
        let catalog = backbeat_catalog::CatalogMetrics::default();
        let m = Metrics::with(|r| catalog.register(r));
        m.observe_request(&Method::GET, "/api/v1/tracks/{id}", 200, 0.002);
        m.observe_request(
            &Method::from_bytes(b"BREW").unwrap(),
            UNMATCHED_ROUTE,
            405,
            0.0,
        );
        catalog.upload_bytes.inc_by(10);
        let text = m.render();
        assert!(text.contains(
            r#"http_requests_total{method="GET",route="/api/v1/tracks/{id}",status="200"} 1"#
        ));
        assert!(text.contains(r#"method="OTHER""#));
        assert!(text.contains("http_request_duration_seconds_bucket"));
        assert!(text.contains("upload_bytes_total 10"));
        assert!(text.contains("search_queries_total 0"));
        assert!(text.ends_with("# EOF\n"));
    }
}
