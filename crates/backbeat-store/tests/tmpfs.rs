//! A small tmpfs mounted for one test, to run out of disk space for real. Mounting needs root
//! (the test user is root here and in CI); where it is refused the test prints
//! `SKIP: <test>: ...` and passes, unless `BACKBEAT_REQUIRE_TOOLS=1` turns that into a failure.
//! The guard unmounts on drop, also when the test panics.

#![allow(dead_code)] // each test module uses a different subset

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs; unmounted (lazily, so an open file cannot keep it) on drop.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

fn tools_required() -> bool {
    std::env::var("BACKBEAT_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

impl Tmpfs {
    /// Mounts a tmpfs of `bytes` on a fresh temporary folder; `None` (after printing why)
    /// where mounting is not permitted and tools are not required.
    pub fn mount(test: &str, bytes: u64) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("temporary folder");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            other => {
                let why = match other {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
                    Err(e) => e.to_string(),
                };
                if tools_required() {
                    panic!("{test}: cannot mount a tmpfs: {why}");
                }
                println!("SKIP: {test}: cannot mount a tmpfs: {why}");
                None
            }
        }
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills every free byte with a file of its own; delete it (or call [`Filler::free`]) to
    /// give the space back.
    pub fn fill(&self) -> Filler {
        let path = self.path().join("filler");
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
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
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
