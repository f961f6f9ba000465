//! A small tmpfs mounted for one test (feature `testing`), to run out of disk space for real. Mounting needs root
//! (the test user is root here and in CI); where it is refused the test prints
//! `SKIP: <test>: ...` and passes, unless `BACKBEAT_REQUIRE_TOOLS=1` turns that into a failure.
//! The guard unmounts on drop, also when the test panics.

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a folder; unmounted (lazily, so a file still open cannot keep it) on
/// drop.
pub struct Tmpfs {
    at: PathBuf,
}

fn tools_required() -> bool {
    std::env::var("BACKBEAT_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

impl Tmpfs {
    /// Mounts a tmpfs of `bytes` on `at` (an existing folder); `None` (after printing why)
    /// where mounting is not permitted and tools are not required.
    pub fn mount(test: &str, at: &Path, bytes: u64) -> Option<Tmpfs> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(at)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { at: at.to_owned() }),
            other => {
                let why = match other {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
                    Err(e) => e.to_string(),
                };
                assert!(!tools_required(), "{test}: cannot mount a tmpfs: {why}");
                println!("SKIP: {test}: cannot mount a tmpfs: {why}");
                None
            }
        }
    }

    /// Fills every free byte with a file of its own; [`Filler::free`] gives the space back.
    pub fn fill(&self) -> Filler {
        let path = self.at.join("filler");
        let mut f = File::create(&path).expect("create filler");
        let chunk = vec![0xa5u8; 64 * 1024];
        let mut n = chunk.len();
        loop {
            match f.write(&chunk[..n]) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::StorageFull && n > 1 => n /= 2,
                Err(e) if e.kind() == ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the tmpfs: {e}"),
            }
        }
        Filler { path }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
        // The folder's owner (a `TempDir`) could not remove the mount point while mounted.
        let _ = std::fs::remove_dir(&self.at);
    }
}

/// The file that takes up a full tmpfs's space.
pub struct Filler {
    path: PathBuf,
}

impl Filler {
    /// Deletes the filler: the space is free again.
    pub fn free(self) {
        std::fs::remove_file(&self.path).expect("remove filler");
    }
}
