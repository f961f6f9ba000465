//! Which infrastructure failures are outages a caller can wait out (or an operator can fix)
//! rather than bugs: a full disk under the database or the blob store, and a database that
//! cannot be reached. The server answers them `507` and `503` instead of `500`, and the
//! pipeline retries jobs that failed from them instead of failing the track.

use std::error::Error;
use std::io;

use crate::error::StoreError;

/// An outage behind a [`StoreError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// The file system under the database or the blob store has no space (or quota) left.
    StorageFull,
    /// The database cannot be reached: connection refused or lost, no connection free in
    /// time, or the database is not accepting connections.
    Unreachable,
}

/// SQLite's primary result code for "database or disk is full" (the extended code carries it
/// in its low byte).
const SQLITE_FULL: i64 = 13;
/// PostgreSQL's SQLSTATE for `disk_full`.
const PG_DISK_FULL: &str = "53100";
/// PostgreSQL SQLSTATEs that mean the database is gone for now, not that a query is wrong:
/// too many connections, database not accepting connections (`ALLOW_CONNECTIONS false`),
/// unknown database (dropped), administrator/crash shutdown, cannot connect now.
const PG_UNREACHABLE: [&str; 6] = ["53300", "55000", "3D000", "57P01", "57P02", "57P03"];

impl StoreError {
    /// The outage behind this error, if it is one.
    pub fn outage(&self) -> Option<Outage> {
        match self {
            StoreError::Database { source, .. } | StoreError::Migration { source, .. } => {
                sql_outage(source)
            }
            StoreError::Blob { source, .. } => io_outage(source.as_ref()),
            StoreError::Search { source, .. } => source.as_deref().and_then(|s| io_outage(s)),
            StoreError::NotFound | StoreError::Conflict(_) | StoreError::InvalidReference(_) => {
                None
            }
        }
    }

    /// `true` when the disk under a store is full.
    pub fn is_storage_full(&self) -> bool {
        self.outage() == Some(Outage::StorageFull)
    }
}

/// Classifies a sqlx error.
pub fn sql_outage(e: &sqlx::Error) -> Option<Outage> {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code()?;
            if code == PG_DISK_FULL || code.parse::<i64>().is_ok_and(|c| c & 0xff == SQLITE_FULL) {
                Some(Outage::StorageFull)
            } else if code.starts_with("08") || PG_UNREACHABLE.contains(&code.as_ref()) {
                Some(Outage::Unreachable)
            } else {
                None
            }
        }
        sqlx::Error::Io(io) if is_storage_full(io) => Some(Outage::StorageFull),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Some(Outage::Unreachable),
        _ => None,
    }
}

/// Walks an error's source chain for an `io::Error` saying the disk is full (object_store
/// and tantivy wrap the io error a level or two down, sometimes inside another io error).
pub fn io_outage(e: &(dyn Error + 'static)) -> Option<Outage> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(outage) = tantivy_outage(err) {
            return Some(outage);
        }
        if let Some(io) = err.downcast_ref::<io::Error>() {
            if is_storage_full(io) {
                return Some(Outage::StorageFull);
            }
            // An io error wrapping another error reports the wrapped one's *source*, not the
            // wrapped error itself: look inside.
            if let Some(inner) = io.get_ref() {
                next = Some(inner);
                continue;
            }
        }
        next = err.source();
    }
    None
}

/// A full disk under the search index. tantivy keeps io errors in an `Arc` that it does not
/// expose as a source, or flattens an indexing thread's failure into its message, so the
/// source chain alone never finds them (a commit that ran out of space answered 500).
fn tantivy_outage(e: &(dyn Error + 'static)) -> Option<Outage> {
    use tantivy::directory::error::OpenWriteError;
    use tantivy::TantivyError;
    let full = match e.downcast_ref::<TantivyError>()? {
        TantivyError::IoError(io) => is_storage_full(io),
        TantivyError::OpenWriteError(OpenWriteError::IoError { io_error, .. }) => {
            is_storage_full(io_error)
        }
        // The io error's text (ENOSPC, EDQUOT) is all a thread's failure keeps.
        TantivyError::ErrorInThread(message) => [28, 122]
            .iter()
            .any(|code| message.contains(&io::Error::from_raw_os_error(*code).to_string())),
        _ => false,
    };
    full.then_some(Outage::StorageFull)
}

/// ENOSPC and EDQUOT, whichever way the io error carries them.
pub fn is_storage_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::Outage;
    use crate::error::StoreError;

    #[test]
    fn a_full_disk_under_the_blob_store_is_seen_through_wrappers() {
        let enospc = io::Error::from_raw_os_error(28);
        assert_eq!(enospc.kind(), io::ErrorKind::StorageFull);
        // object_store and tantivy wrap the io error a level or two down.
        let wrapped = io::Error::other(enospc);
        let e = StoreError::blob("writing a part", wrapped);
        assert_eq!(e.outage(), Some(Outage::StorageFull));
        assert!(e.is_storage_full());
    }

    #[test]
    fn a_full_disk_under_the_search_index_is_seen_inside_tantivy_errors() {
        use std::sync::Arc;
        use tantivy::directory::error::OpenWriteError;
        use tantivy::TantivyError;
        let enospc = || Arc::new(io::Error::from_raw_os_error(28));
        let full = [
            TantivyError::IoError(enospc()),
            TantivyError::OpenWriteError(OpenWriteError::IoError {
                io_error: enospc(),
                filepath: "meta.json".into(),
            }),
            TantivyError::ErrorInThread(format!(
                "segment serializer failed: {}",
                io::Error::from_raw_os_error(28)
            )),
        ];
        for t in full {
            let e = StoreError::search("writing documents", t.clone());
            assert_eq!(e.outage(), Some(Outage::StorageFull), "{t}");
        }
        let denied = Arc::new(io::Error::from(io::ErrorKind::PermissionDenied));
        let e = StoreError::search("writing documents", TantivyError::IoError(denied));
        assert_eq!(e.outage(), None);
        let e = StoreError::search("x", TantivyError::ErrorInThread("a panic".into()));
        assert_eq!(e.outage(), None);
    }

    #[test]
    fn a_database_out_of_reach_is_unreachable_and_bugs_are_no_outage() {
        let e = StoreError::database("query failed", sqlx::Error::PoolTimedOut);
        assert_eq!(e.outage(), Some(Outage::Unreachable));
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let e = StoreError::database("connecting", sqlx::Error::Io(refused));
        assert_eq!(e.outage(), Some(Outage::Unreachable));
        let e = StoreError::database("query failed", sqlx::Error::RowNotFound);
        assert_eq!(e.outage(), None);
        assert_eq!(StoreError::Conflict("duplicate".into()).outage(), None);
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert_eq!(StoreError::blob("opening", denied).outage(), None);
    }
}
