//! The catalog a test application runs on, put together the way the binary's `wiring` module
//! does it for `backbeat serve` (SQLite, local blobs and a search index in the test's data
//! directory; the built-in job graph; the embedded queue unless a test asks for JetStream).
//! The server crate does not depend on the binary, so the few lines are repeated here.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use backbeat_catalog::accounts::tokens::{derive_key, TokenKeys};
use backbeat_catalog::effects::CacheAwareStates;
use backbeat_catalog::{Cache, Catalog, CatalogConfig, CatalogMetrics, CatalogParts};
use backbeat_jobs::{builtin_registry, builtin_registry_with_models, default_graph};
use backbeat_pipeline::queue::jetstream::JetStreamQueue;
use backbeat_pipeline::queue::sql::SqlQueue;
use backbeat_pipeline::{Engine, EngineConfig, Queue, QueueConfig};
use backbeat_store::blob::BlobStore;
use backbeat_store::search::SearchIndex;
use backbeat_store::signing::UrlSigner;
use backbeat_store::sql::SqlCatalog;

use crate::common::TestConfig;

/// Opens a catalog in `dir` as `config` says, and the database under it (the annotation
/// engine's store).
pub async fn open_catalog(config: TestConfig, dir: &Path) -> anyhow::Result<(Catalog, SqlCatalog)> {
    let url = config
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("catalog.db").display()));
    let db = SqlCatalog::connect(&url).await?;
    let blobs = BlobStore::local(&dir.join("blobs"))?;
    let index = SearchIndex::open(&dir.join("search"))?;
    if index.needs_rebuild() {
        index.rebuild(&db).await?;
    }
    let extra = match &config.jobs_file {
        Some(p) => backbeat_pipeline::jobs_file::parse(&std::fs::read_to_string(p)?)?,
        None => Vec::new(),
    };
    let qc = QueueConfig {
        ack_wait: Duration::from_secs(30),
    };
    let queue: Arc<dyn Queue> = match &config.jetstream {
        None => Arc::new(SqlQueue::new(db.clone(), qc)),
        Some((url, stream)) => Arc::new(JetStreamQueue::connect(url, stream, qc).await?),
    };
    let cache = Arc::new(Cache::new(config.catalog.cache_entries));
    let mut engine_config = EngineConfig::new(dir.join("scratch"));
    engine_config.heartbeat = Duration::from_secs(10);
    if let Some(n) = config.max_deliver {
        engine_config.max_deliver = n;
    }
    let pipeline = Arc::new(Engine {
        graph: Arc::new(default_graph(extra)?),
        registry: match &config.models_dir {
            Some(dir) => builtin_registry_with_models(dir),
            None => builtin_registry(),
        },
        blobs: blobs.clone(),
        library: Arc::new(db.clone()),
        states: Arc::new(CacheAwareStates::new(
            Arc::new(db.clone()),
            Arc::clone(&cache),
        )),
        queue,
        config: engine_config,
        metrics: Arc::new(backbeat_pipeline::metrics::Metrics::default()),
    });
    // A secret of its own, like a fresh data directory's: two test servers never accept each
    // other's tokens.
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let secret = secret.as_bytes();
    let c: &CatalogConfig = &config.catalog;
    let catalog = Catalog::new(CatalogParts {
        config: CatalogConfig {
            public_url: config.http.public_url.clone(),
            ..c.clone()
        },
        signer: UrlSigner::new(&derive_key(secret, "backbeat/url/v1")),
        tokens: TokenKeys::new(secret, c.access_token_ttl_s, c.refresh_token_ttl_s),
        cache,
        pipeline,
        stores: db.stores(),
        blobs,
        scratch: dir.join("scratch"),
        index,
        // As the binary's wiring does: on where ffmpeg can make every format.
        on_demand: backbeat_media::ondemand::check_ffmpeg(Path::new("ffmpeg"))
            .ok()
            .and_then(|()| {
                backbeat_media::ondemand::OnDemand::open(backbeat_media::ondemand::OnDemandConfig {
                    cache_dir: dir.join("transcodes"),
                    ..Default::default()
                })
                .ok()
            }),
        metrics: CatalogMetrics::default(),
    });
    Ok((catalog, db))
}
