//! Counters of the catalog's own work, registered into whatever registry the process exposes
//! (the server's `/metrics`). The names are part of the monitoring contract: keep them.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// The catalog's counters (cheap to clone: each is a shared atomic).
#[derive(Debug, Clone, Default)]
pub struct CatalogMetrics {
    /// Bytes accepted through upload URLs.
    pub upload_bytes: Counter,
    /// Bytes sent through signed blob URLs.
    pub blob_bytes_served: Counter,
    /// Blobs deleted by the garbage collector.
    pub gc_blobs_deleted: Counter,
    /// Metadata cache hits.
    pub cache_hits: Counter,
    /// Metadata cache misses.
    pub cache_misses: Counter,
    /// Search queries run.
    pub search_queries: Counter,
    /// ffmpeg processes the on-demand transcoder started (set when metrics are read).
    pub ondemand_started: Gauge,
    /// On-demand transcodes running now.
    pub ondemand_running: Gauge,
    /// Bytes of complete transcodes in the on-demand cache.
    pub ondemand_cache_bytes: Gauge,
}

impl CatalogMetrics {
    /// Registers every counter.
    pub fn register(&self, registry: &mut Registry) {
        let counters = [
            (&self.upload_bytes, "upload_bytes", "Bytes uploaded"),
            (
                &self.blob_bytes_served,
                "blob_bytes_served",
                "Bytes served from signed blob URLs",
            ),
            (
                &self.gc_blobs_deleted,
                "gc_blobs_deleted",
                "Blobs deleted by the garbage collector",
            ),
            (&self.cache_hits, "cache_hits", "Metadata cache hits"),
            (&self.cache_misses, "cache_misses", "Metadata cache misses"),
            (&self.search_queries, "search_queries", "Search queries run"),
        ];
        for (counter, name, help) in counters {
            registry.register(name, help, counter.clone());
        }
        let gauges = [
            (
                &self.ondemand_started,
                "ondemand_transcodes_started",
                "ffmpeg processes started by the on-demand transcoder",
            ),
            (
                &self.ondemand_running,
                "ondemand_transcodes_running",
                "On-demand transcodes running",
            ),
            (
                &self.ondemand_cache_bytes,
                "ondemand_cache_bytes",
                "Bytes of complete transcodes in the on-demand cache",
            ),
        ];
        for (gauge, name, help) in gauges {
            registry.register(name, help, gauge.clone());
        }
    }
}
