//! The store traits, for `use backbeat_store::prelude::*` where a concrete store's methods are
//! called (tests, seeding, maintenance commands).

pub use super::{
    AccountStore, DocSource, Health, LibraryStore, PlaylistStore, QuotaStore, Stores, UploadStore,
};
pub use crate::jobs::JobStore;
