//! Backbeat storage: where catalog metadata, audio blobs and the search index live.
//!
//! Holds no business rules (who may do what is the server's job): it stores, fetches and keeps
//! the three stores consistent with each other.
//! - [`catalog`]: one store trait per aggregate ([`AccountStore`], [`LibraryStore`],
//!   [`PlaylistStore`], [`UploadStore`], and [`DocSource`] for the search index), bundled as
//!   [`Stores`]; implemented once for SQLite and PostgreSQL ([`sql::SqlCatalog`], sqlx's Any
//!   driver; migrations per backend). [`prelude`] brings the traits into scope.
//! - [`blob`]: audio and derived artifacts in an `object_store` (local folder now, S3 later).
//! - [`signing`]: HMAC-signed, expiring URLs bound to one object key, method and size, or
//!   read-only grants for every object under one key prefix (streaming manifests).
//! - [`search`]: the tantivy index over titles and names, rebuilt from the database on demand.

pub mod annotation;
pub mod blob;
pub mod catalog;
pub mod error;
pub mod free_space;
pub mod jobs;
pub mod model;
pub mod outage;
pub mod search;
pub mod signing;
pub mod sql;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;

pub use annotation::AnnotationStore;
pub use catalog::{
    prelude, AccountStore, Charge, ChargeOutcome, DocSource, Health, LibraryStore, PlaylistStore,
    Quota, QuotaLimits, QuotaStore, Stores, UploadStore, Usage, DAY_MS,
};
pub use error::{BoxError, StoreError, StoreResult};
pub use jobs::JobStore;
pub use model::*;
pub use outage::Outage;
