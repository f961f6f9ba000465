//! [`Stores`]: one handle per aggregate, bundled so wiring passes one value around while each
//! use case reaches only for the store it needs.

use std::sync::Arc;

use super::{
    AccountStore, DocSource, Health, LibraryStore, PlaylistStore, QuotaStore, UploadStore,
};

/// The catalog's stores, one per aggregate. Cheap to clone.
#[derive(Clone)]
pub struct Stores {
    pub accounts: Arc<dyn AccountStore>,
    pub library: Arc<dyn LibraryStore>,
    pub playlists: Arc<dyn PlaylistStore>,
    pub uploads: Arc<dyn UploadStore>,
    pub quota: Arc<dyn QuotaStore>,
    pub docs: Arc<dyn DocSource>,
    pub health: Arc<dyn Health>,
}

impl Stores {
    /// Every handle served by one value that implements all the stores (the SQL catalog, a
    /// test double).
    pub fn from_one<T>(store: Arc<T>) -> Self
    where
        T: AccountStore
            + LibraryStore
            + PlaylistStore
            + UploadStore
            + QuotaStore
            + DocSource
            + Health,
    {
        Stores {
            accounts: store.clone(),
            library: store.clone(),
            playlists: store.clone(),
            uploads: store.clone(),
            quota: store.clone(),
            docs: store.clone(),
            health: store,
        }
    }
}
