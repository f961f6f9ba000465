//! The catalog repository: every read and write of metadata goes through one store per
//! aggregate — [`AccountStore`], [`LibraryStore`], [`PlaylistStore`], [`UploadStore`],
//! [`QuotaStore`] — plus
//! [`DocSource`] (what the search index reads) and [`Health`] (readiness), bundled as
//! [`Stores`]. One implementation ([`crate::sql::SqlCatalog`]) serves them all on SQLite and
//! PostgreSQL; the conformance suite in `tests/catalog.rs` runs against both.
//!
//! Consistency rules every implementation keeps:
//! - each method is one transaction: it happens entirely or not at all;
//! - metadata never points at a missing blob: deleting or replacing audio moves the old key
//!   into the garbage list in the same transaction, and blobs are deleted only afterwards;
//! - an upload slot is claimed at most once, only by its owner, only before it expires.

mod accounts;
mod docs;
mod health;
mod library;
mod playlists;
pub mod prelude;
mod quota;
mod stores;
mod uploads;

use crate::model::Id;

pub use accounts::AccountStore;
pub use docs::{DocSource, FilteredTracks};
pub use health::Health;
pub use library::LibraryStore;
pub use playlists::PlaylistStore;
pub use quota::{Charge, ChargeOutcome, Quota, QuotaLimits, QuotaStore, Usage, DAY_MS};
pub use stores::Stores;
pub use uploads::UploadStore;

/// Object-store key prefix under which a track's derived artifacts live.
pub fn derived_prefix(track: Id) -> String {
    format!("derived/{track}/")
}
