//! Wiring: the one place that turns [`Settings`] into open stores, a queue, a pipeline engine
//! and a catalog. Every command that touches a data directory (`serve`, `worker`, `jobs`,
//! `backfill`, `reindex`, `user`, `seed`) opens its parts here, so a new backend (S3, another
//! queue) is added once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use backbeat_annotate::engine::Annotation;
use backbeat_catalog::accounts::tokens::{derive_key, TokenKeys};
use backbeat_catalog::effects::CacheAwareStates;
use backbeat_catalog::{Cache, Catalog, CatalogMetrics, CatalogParts};
use backbeat_jobs::{builtin_registry_with, builtin_specs_with, graph_with, BuiltinSettings};
use backbeat_media::ondemand::{OnDemand, OnDemandConfig};
use backbeat_pipeline::metrics::Metrics;
use backbeat_pipeline::queue::jetstream::JetStreamQueue;
use backbeat_pipeline::queue::sql::SqlQueue;
use backbeat_pipeline::{Engine, EngineConfig, Graph, Queue, QueueConfig};
use backbeat_store::blob::{BlobLocation, BlobStore};
use backbeat_store::jobs::JobStore;
use backbeat_store::search::SearchIndex;
use backbeat_store::signing::UrlSigner;
use backbeat_store::sql::SqlCatalog;

use crate::config::{QueueKind, Settings};
use crate::secret;

/// Creates the data directory if it is missing.
pub fn ensure_data_dir(settings: &Settings) -> anyhow::Result<()> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "creating the data directory {}",
            settings.data_dir.display()
        )
    })
}

/// Opens the catalog database (migrating it): catalog, job states and the embedded queue.
pub async fn open_database(settings: &Settings) -> anyhow::Result<SqlCatalog> {
    let url = settings.database_url();
    SqlCatalog::connect(&url)
        .await
        .with_context(|| format!("opening the catalog database {}", redact(&url)))
}

/// Opens the configured blob store.
pub fn open_blobs(settings: &Settings) -> anyhow::Result<BlobStore> {
    match settings.blobs() {
        BlobLocation::Local(dir) => BlobStore::local(&dir)
            .with_context(|| format!("opening the blob folder {}", dir.display())),
        s3 @ BlobLocation::S3 { .. } => {
            bail!("blob store {s3}: S3 is not supported by this build yet; use a file:// location")
        }
    }
}

/// Opens the search index in the data directory.
pub fn open_index(settings: &Settings) -> anyhow::Result<SearchIndex> {
    let dir = settings.data_dir.join("search");
    SearchIndex::open(&dir).with_context(|| format!("opening the search index {}", dir.display()))
}

/// The built-in graph plus the jobs of the configured jobs file, validated.
pub fn load_graph(settings: &Settings) -> anyhow::Result<Graph> {
    let extra = match settings.jobs_file() {
        Some(p) => {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            backbeat_pipeline::jobs_file::parse(&text)
                .with_context(|| format!("in {}", p.display()))?
        }
        None => Vec::new(),
    };
    // A replaced ladder stays readable as long as a stream URL handed out before may be used.
    let keep = Duration::from_secs(settings.catalog.stream_url_ttl_s);
    Ok(graph_with(builtin_specs_with(keep), extra)?)
}

/// Worker settings (slots, keep-alive interval, scratch folder).
pub fn engine_config(settings: &Settings) -> EngineConfig {
    let p = &settings.pipeline;
    let mut ec = EngineConfig::new(settings.data_dir.join("scratch"));
    if let Some(n) = p.cpu_slots {
        ec.cpu_slots = n;
    }
    ec.io_slots = p.io_slots;
    ec.heartbeat = Duration::from_secs((p.ack_wait_s / 3).max(1));
    ec
}

/// Opens the configured queue: the embedded one (job rows in the catalog database) or a
/// JetStream stream (created if missing).
pub async fn open_queue(settings: &Settings, db: &SqlCatalog) -> anyhow::Result<Arc<dyn Queue>> {
    let qc = QueueConfig {
        ack_wait: Duration::from_secs(settings.pipeline.ack_wait_s.max(1)),
    };
    match &settings.pipeline.queue {
        QueueKind::Sql => Ok(Arc::new(SqlQueue::new(db.clone(), qc))),
        QueueKind::JetStream { url, stream } => {
            let queue = JetStreamQueue::connect(url, stream, qc)
                .await
                .with_context(|| {
                    format!(
                        "cannot open the JetStream queue at {url} (stream `{stream}`; is a NATS \
                         server with JetStream enabled running there?)"
                    )
                })?;
            Ok(Arc::new(queue))
        }
    }
}

/// The engine over `db`, `blobs` and `queue`, with the configured graph and worker settings;
/// job states go to `states` (the database itself, or the catalog's cache-aware states).
pub fn open_engine(
    settings: &Settings,
    db: &SqlCatalog,
    states: Arc<dyn JobStore>,
    blobs: BlobStore,
    queue: Arc<dyn Queue>,
) -> anyhow::Result<Engine> {
    let registry = builtin_registry_with(&BuiltinSettings {
        media: settings.media.clone(),
        ..BuiltinSettings::default()
    });
    // Said once at start-up, not only in each track's failed job: tracks are processed
    // without these jobs (`ready` untagged), and the fix is an install and a backfill.
    for (job, why) in registry.unavailable() {
        tracing::warn!(
            job = %job,
            reason = %why,
            "job `{job}` is unavailable: {why}. Tracks are processed without it; once fixed, \
             restart and run `backbeat backfill --job {job} --where missing --force \
             --with-descendants`"
        );
    }
    Ok(Engine {
        graph: Arc::new(load_graph(settings)?),
        registry,
        blobs,
        library: Arc::new(db.clone()),
        states,
        queue,
        config: engine_config(settings),
        metrics: Arc::new(Metrics::default()),
    })
}

/// The pipeline alone, as `backbeat worker`, `jobs` and `backfill` open it (job states go
/// straight to the database: there is no catalog cache in those processes).
pub async fn open_pipeline(settings: &Settings) -> anyhow::Result<(Arc<Engine>, SqlCatalog)> {
    ensure_data_dir(settings)?;
    let db = open_database(settings).await?;
    let blobs = open_blobs(settings)?;
    let queue = open_queue(settings, &db).await?;
    let engine = open_engine(settings, &db, Arc::new(db.clone()), blobs, queue)?;
    Ok((Arc::new(engine), db))
}

/// Opens everything the catalog needs: data directory, secret, database, blobs, search index,
/// and the processing pipeline (its graph validated; workers are started by the caller).
/// A new search index (or one recreated for a new schema) is rebuilt from the database first.
pub async fn open_catalog(settings: &Settings) -> anyhow::Result<Catalog> {
    Ok(open_catalog_with_db(settings).await?.0)
}

/// [`open_catalog`], and the database it runs on (for the stores outside the catalog: the
/// annotation engine's).
pub async fn open_catalog_with_db(settings: &Settings) -> anyhow::Result<(Catalog, SqlCatalog)> {
    ensure_data_dir(settings)?;
    let secret = secret::load_or_create(settings)?;
    let db = open_database(settings).await?;
    let blobs = open_blobs(settings)?;
    let index = open_index(settings)?;
    if index.needs_rebuild() {
        let start = Instant::now();
        let n = index
            .rebuild(&db)
            .await
            .context("rebuilding the search index")?;
        tracing::info!(
            docs = n,
            ms = start.elapsed().as_millis() as u64,
            "search index rebuilt"
        );
    }
    let cache = Arc::new(Cache::new(settings.catalog.cache_entries));
    let queue = open_queue(settings, &db).await?;
    let states = CacheAwareStates::new(Arc::new(db.clone()), Arc::clone(&cache));
    let pipeline = Arc::new(open_engine(
        settings,
        &db,
        Arc::new(states),
        blobs.clone(),
        queue,
    )?);
    let c = &settings.catalog;
    let catalog = Catalog::new(CatalogParts {
        config: settings.catalog_config(),
        signer: UrlSigner::new(&derive_key(&secret, "backbeat/url/v1")),
        tokens: TokenKeys::new(&secret, c.access_token_ttl_s, c.refresh_token_ttl_s),
        cache,
        pipeline,
        stores: db.stores(),
        blobs,
        scratch: settings.data_dir.join("scratch"),
        index,
        on_demand: open_on_demand(settings),
        metrics: CatalogMetrics::default(),
    });
    Ok((catalog, db))
}

/// The annotation engine over the catalog database, with the tagger's tag groups as the
/// vocabularies a schema can name (`"tagger:genre"`, `"tagger:mood"`, …).
pub fn open_annotation(db: &SqlCatalog) -> Annotation {
    Annotation::new(Arc::new(db.clone()), Arc::new(tagger_vocabularies()))
}

/// The tagger's grouped tags by group, as `tagger:<group>` vocabularies.
pub fn tagger_vocabularies() -> BTreeMap<String, Vec<String>> {
    use backbeat_tagger::groups::{Group, GROUPED_TAGS};
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in GROUPED_TAGS {
        let group = match t.group {
            Group::Genre => "genre",
            Group::Mood => "mood",
            Group::Instrument => "instrument",
            Group::Era => "era",
        };
        out.entry(format!("tagger:{group}"))
            .or_default()
            .push(t.tag.to_string());
    }
    out
}

/// The on-demand transcoder, its cache in `<data_dir>/transcodes`; `None` (with a warning)
/// when ffmpeg cannot make MP3, Opus and AAC here or the cache folder cannot be made.
pub fn open_on_demand(settings: &Settings) -> Option<OnDemand> {
    let media = &settings.media;
    let ffmpeg = &media.ffmpeg;
    if let Err(why) = backbeat_media::ondemand::check_ffmpeg(ffmpeg) {
        tracing::warn!(reason = %why, "on-demand transcoding is off: {why}");
        return None;
    }
    let config = OnDemandConfig {
        cache_dir: settings.data_dir.join("transcodes"),
        ffmpeg: ffmpeg.clone(),
        ..media.on_demand.clone()
    };
    match OnDemand::open(config) {
        Ok(o) => Some(o),
        Err(e) => {
            tracing::warn!(error = %e, "on-demand transcoding is off: {e}");
            None
        }
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
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
