//! Free space under a store's files, so a full disk is seen before a write fails on it:
//! `/readyz` reports a store that could not write, and an upload that cannot fit is refused
//! before its first byte instead of after filling the disk.

use std::io;
use std::path::Path;

/// Space a store keeps free for what it must still be able to write (database commits, the
/// manifests and states of jobs under way): readiness fails below it, and an upload is
/// accepted only if it leaves at least this much.
pub const RESERVE_BYTES: u64 = 4 * 1024 * 1024;

/// Bytes available to this process in the file system holding `dir`.
pub fn available(dir: &Path) -> io::Result<u64> {
    fs4::available_space(dir)
}

/// `Ok` when `dir` has room for `bytes` more beyond [`RESERVE_BYTES`]; otherwise the
/// storage-full error a write would have met, only earlier (callers wrap it in their
/// `StoreError`, which then reports [`crate::Outage::StorageFull`]).
pub fn ensure_room(dir: &Path, bytes: u64) -> io::Result<()> {
    let free = available(dir)?;
    if free >= bytes.saturating_add(RESERVE_BYTES) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::StorageFull,
            format!(
                "{free} bytes free in {}, {bytes} needed plus a reserve of {RESERVE_BYTES}",
                dir.display()
            ),
        ))
    }
}
