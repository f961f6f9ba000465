//! TEMP(lead) stand-in — Prometheus metrics (H3).
use prometheus_client::metrics::counter::Counter;

/// The registry and the server's metric families.
#[derive(Default)]
pub struct Metrics {
    pub upload_bytes_total: Counter,
    pub blob_bytes_served_total: Counter,
    pub gc_blobs_deleted_total: Counter,
    pub cache_hits_total: Counter,
    pub cache_misses_total: Counter,
    pub search_queries_total: Counter,
}
