//! Wire timestamps: the store's RFC 3339 formatter (shared with the annotation engine's
//! webhook payloads), re-exported where the handlers have always found it.

pub use backbeat_store::time::rfc3339;
