//! Assembling the server: [`build_state`] opens the data directory's stores, [`router`] puts
//! the routes and the middleware stack together.

pub mod admin;
mod health;

pub use health::PanicResponse;
pub mod secret;

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use backbeat_store::blob::BlobStore;
use backbeat_store::search::SearchIndex;
use backbeat_store::signing::UrlSigner;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::CatalogStore;
use tower_http::catch_panic::CatchPanicLayer;

use crate::config::{Config, MAX_JSON_BODY};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::ratelimit::Limiters;
use crate::state::{AppState, Inner};
use backbeat_catalog::accounts::tokens::{derive_key, TokenKeys};
use backbeat_catalog::effects::CacheAwareStates;
use backbeat_catalog::{Cache, Catalog, CatalogConfig, CatalogMetrics, CatalogParts};

/// Opens the catalog database named by the configuration (migrating it).
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn CatalogStore>> {
    Ok(Arc::new(open_database(config).await?))
}

/// Opens the catalog database as its concrete type (catalog, job states and embedded queue).
pub async fn open_database(config: &Config) -> anyhow::Result<SqlCatalog> {
    let url = config.database_url();
    SqlCatalog::connect(&url)
        .await
        .with_context(|| format!("opening the catalog database {}", redact(&url)))
}

/// Opens the search index in the data directory.
pub fn open_index(config: &Config) -> anyhow::Result<SearchIndex> {
    let dir = config.data_dir.join("search");
    SearchIndex::open(&dir).with_context(|| format!("opening the search index {}", dir.display()))
}

/// Opens everything the server needs: data directory, secret, database, blobs, search index,
/// and the processing pipeline (its graph validated; workers are started by `serve`).
/// A new search index (or one recreated for a new schema) is rebuilt from the database before
/// serving.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let secret = secret::load_or_create(&config)?;
    let db = open_database(&config).await?;
    let store: Arc<dyn CatalogStore> = Arc::new(db.clone());
    let blob_dir = config.data_dir.join("blobs");
    let blobs = BlobStore::local(&blob_dir)
        .with_context(|| format!("opening the blob folder {}", blob_dir.display()))?;
    let index = open_index(&config)?;
    if index.needs_rebuild() {
        let start = Instant::now();
        let n = index
            .rebuild(&*store)
            .await
            .context("rebuilding the search index")?;
        tracing::info!(
            docs = n,
            ms = start.elapsed().as_millis() as u64,
            "search index rebuilt"
        );
    }
    let cache = Arc::new(Cache::new(config.cache_entries));
    let queue = crate::pipeline::open_queue(&config, &db).await?;
    let states = CacheAwareStates::new(Arc::new(db.clone()), Arc::clone(&cache));
    let pipeline = Arc::new(crate::pipeline::open_engine(
        &config,
        &db,
        Arc::new(states),
        blobs.clone(),
        queue,
    )?);
    let catalog = Catalog::new(CatalogParts {
        config: catalog_config(&config),
        signer: UrlSigner::new(&derive_key(&secret, "backbeat/url/v1")),
        tokens: TokenKeys::new(
            &secret,
            config.access_token_ttl_s,
            config.refresh_token_ttl_s,
        ),
        cache,
        pipeline,
        store,
        blobs,
        index,
        metrics: CatalogMetrics::default(),
    });
    let metrics = Metrics::with(|r| {
        catalog.metrics().register(r);
        catalog.pipeline().metrics.register(r);
    });
    Ok(AppState(Arc::new(Inner {
        limits: Limiters::new(&config.rate_limits),
        metrics,
        catalog,
        config,
    })))
}

/// The catalog's section of the server configuration.
pub fn catalog_config(config: &Config) -> CatalogConfig {
    CatalogConfig {
        public_url: config.public_url.clone(),
        max_upload_bytes: config.max_upload_bytes,
        max_duration_s: config.max_duration_s,
        upload_url_ttl_s: config.upload_url_ttl_s,
        stream_url_ttl_s: config.stream_url_ttl_s,
        access_token_ttl_s: config.access_token_ttl_s,
        refresh_token_ttl_s: config.refresh_token_ttl_s,
        cache_entries: config.cache_entries,
    }
}

/// The whole HTTP application: accounts, the catalog routes, health, metrics and the OpenAPI
/// document behind the middleware stack (outermost first): the request middleware (request
/// id, rate limits, authentication, metrics, access log, default `Cache-Control`), the 64 KiB
/// JSON body limit (routes that take uploads lift it themselves), and panic catching.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::routes::accounts::router())
        .merge(crate::routes::api_router())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/api/v1/openapi.json", get(health::openapi))
        .fallback(|| async { ApiError::NotFound })
        // Must follow every route: it is applied to the routes present when it is called.
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(CatchPanicLayer::custom(health::PanicResponse))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY as usize))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::layer,
        ))
        .with_state(state)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:pw@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
