//! Backbeat's catalog domain: the rules between the stores and any API. It knows accounts,
//! who may do what (the access [`policy`]), the track lifecycle from upload slot to deletion,
//! and the effects every change has (search index, cache, garbage collection, pipeline
//! submission) — and nothing of HTTP. `backbeat-server` turns requests into calls here and
//! errors into statuses; a second API (Subsonic) would do the same with the same rules.
//!
//! One handle, [`Catalog`], cheap to clone, gives the managers: [`Catalog::accounts`],
//! [`Catalog::artists`], [`Catalog::albums`], [`Catalog::tracks`], [`Catalog::playlists`],
//! [`Catalog::processing`], [`Catalog::search`], [`Catalog::blobs`]. Every write goes through
//! [`effects`], which applies its consequences in one place and in one order.

pub mod accounts;
pub mod albums;
pub mod artists;
pub mod audio_limits;
pub mod blobs;
pub mod cache;
pub mod caller;
pub mod config;
pub mod effects;
pub mod error;
pub mod gc;
pub mod links;
pub mod metrics;
pub mod peaks;
pub mod playlists;
pub mod policy;
pub mod processing;
pub mod progressive;
pub mod quota;
pub mod search;
mod slot_lock;
pub mod streaming;
pub mod text;
pub mod tracks;
pub mod upload_check;

use std::sync::Arc;

use backbeat_pipeline::Engine;
use backbeat_store::blob::BlobStore;
use backbeat_store::search::SearchIndex;
use backbeat_store::signing::UrlSigner;
use backbeat_store::Stores;

pub use accounts::tokens::TokenKeys;
pub use cache::Cache;
pub use caller::Caller;
pub use config::{CatalogConfig, QuotaConfig};
pub use error::{CatalogError, CatalogResult, FieldError};
pub use metrics::CatalogMetrics;

/// The catalog: stores, caches and settings behind the use cases. Cheap to clone.
#[derive(Clone)]
pub struct Catalog(Arc<Inner>);

/// What a [`Catalog`] is made of; the binary's wiring opens each part.
pub struct CatalogParts {
    pub config: CatalogConfig,
    /// The catalog's stores; each use case reaches only for the one it needs.
    pub stores: Stores,
    pub blobs: BlobStore,
    /// Folder for short-lived local copies (an upload being checked); on local disk, emptied
    /// of what the catalog puts there before each use case returns.
    pub scratch: std::path::PathBuf,
    pub index: SearchIndex,
    /// Signs and verifies blob URLs.
    pub signer: UrlSigner,
    /// Signs and verifies access tokens; caches API keys.
    pub tokens: TokenKeys,
    /// Shared with the pipeline's job-state store ([`effects::CacheAwareStates`]), which
    /// invalidates tracks whose status a job changes.
    pub cache: Arc<Cache>,
    /// Uploads are submitted to it; job states and analyses are read through it.
    pub pipeline: Arc<Engine>,
    /// On-demand progressive transcodes; `None` where ffmpeg is missing or they are off.
    pub on_demand: Option<backbeat_media::ondemand::OnDemand>,
    pub metrics: CatalogMetrics,
}

/// The parts, shared by the managers.
pub(crate) type Inner = CatalogParts;

impl Catalog {
    /// The catalog over `parts`.
    pub fn new(parts: CatalogParts) -> Self {
        Catalog(Arc::new(parts))
    }

    /// Registration, sign-in, tokens, API keys and roles.
    pub fn accounts(&self) -> accounts::Accounts<'_> {
        accounts::Accounts(&self.0)
    }

    /// Artists and their owners.
    pub fn artists(&self) -> artists::Artists<'_> {
        artists::Artists(&self.0)
    }

    /// Albums.
    pub fn albums(&self) -> albums::Albums<'_> {
        albums::Albums(&self.0)
    }

    /// The track lifecycle: upload slots, create, replace, delete, stream.
    pub fn tracks(&self) -> tracks::Tracks<'_> {
        tracks::Tracks(&self.0)
    }

    /// Playlists.
    pub fn playlists(&self) -> playlists::Playlists<'_> {
        playlists::Playlists(&self.0)
    }

    /// A track's job states and stored analysis.
    pub fn processing(&self) -> processing::Processing<'_> {
        processing::Processing(&self.0)
    }

    /// The caller's quotas and usage.
    pub fn quotas(&self) -> quota::Quotas<'_> {
        quota::Quotas(&self.0)
    }

    /// Full-text search over the catalog.
    pub fn search(&self) -> search::Search<'_> {
        search::Search(&self.0)
    }

    /// The byte endpoints behind signed URLs.
    pub fn blobs(&self) -> blobs::BlobAccess<'_> {
        blobs::BlobAccess(&self.0)
    }

    /// Garbage collection of blobs nothing points at.
    pub fn gc(&self) -> gc::Gc<'_> {
        gc::Gc(&self.0)
    }

    /// The settings.
    pub fn config(&self) -> &CatalogConfig {
        &self.0.config
    }

    /// The catalog's counters.
    pub fn metrics(&self) -> &CatalogMetrics {
        &self.0.metrics
    }

    /// The processing pipeline the catalog submits to.
    pub fn pipeline(&self) -> &Arc<Engine> {
        &self.0.pipeline
    }

    /// Brings the gauges that mirror other parts' state (the on-demand transcoder's) up to
    /// date; the metrics endpoint calls it before rendering.
    pub fn refresh_gauges(&self) {
        let parts = self.parts();
        if let Some(o) = &parts.on_demand {
            let m = &parts.metrics;
            m.ondemand_started
                .set(i64::try_from(o.spawned()).unwrap_or(i64::MAX));
            m.ondemand_running
                .set(i64::try_from(o.running()).unwrap_or(i64::MAX));
            m.ondemand_cache_bytes
                .set(i64::try_from(o.cache_bytes()).unwrap_or(i64::MAX));
        }
    }

    /// The parts (for maintenance commands and tests that reach below the use cases).
    pub fn parts(&self) -> &CatalogParts {
        &self.0
    }

    /// `Ok` when the database answers and can write, and the blob store has room
    /// (readiness): a store on a full disk answers reads but fails every write.
    pub async fn ping(&self) -> CatalogResult<()> {
        self.0.stores.health.ping().await?;
        Ok(self.0.blobs.ensure_room(0)?)
    }
}
