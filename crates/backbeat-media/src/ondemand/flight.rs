//! One transcode in flight: the part file ffmpeg's output is appended to, how much of it is
//! written (published on a `watch` channel every reader follows), and how many readers hold
//! it. The count and the registry entry change only under [`super::Inner`]'s lock, so a
//! request can never join a transcode that its last reader has just cancelled.

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{watch, Notify};

use super::Inner;

/// How far a transcode is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Phase {
    /// The source is being materialised; ffmpeg has not started.
    Starting,
    /// ffmpeg is running.
    Running,
    /// ffmpeg finished and the file is in the cache.
    Done,
    /// The transcode failed; the part file is gone.
    Failed(Failure),
}

/// Why a transcode failed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// The source could not be materialised.
    Source(String),
    /// ffmpeg could not start, failed, or wrote nothing.
    Ffmpeg(String),
    /// The part file could not be written or renamed.
    Io(String),
    /// Every reader went away.
    Cancelled,
}

impl Failure {
    /// The failure as a reader's body sees it.
    pub(crate) fn to_io(&self) -> std::io::Error {
        let msg = match self {
            Failure::Source(m) => format!("source unavailable: {m}"),
            Failure::Ffmpeg(m) => format!("ffmpeg failed: {m}"),
            Failure::Io(m) => format!("cache write failed: {m}"),
            Failure::Cancelled => "transcode cancelled".to_owned(),
        };
        std::io::Error::other(msg)
    }
}

/// Bytes written so far and the phase, as published to readers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Progress {
    pub(crate) written: u64,
    pub(crate) phase: Phase,
}

/// A transcode in flight.
#[derive(Debug)]
pub(crate) struct Flight {
    /// The cache file's final name.
    pub(crate) name: String,
    /// Where the output grows until it is complete.
    pub(crate) part_path: PathBuf,
    /// The part file, open for reading and writing; readers read it by offset, so a
    /// rename or unlink never disturbs them.
    pub(crate) file: Arc<File>,
    pub(crate) progress: watch::Sender<Progress>,
    /// Readers holding the transcode; changed only under the registry lock.
    pub(crate) readers: AtomicUsize,
    /// Signalled when the last reader leaves before the end: the driver kills ffmpeg.
    pub(crate) cancel: Notify,
}

impl Flight {
    pub(crate) fn new(name: String, part_path: PathBuf, file: File) -> Flight {
        let (progress, _) = watch::channel(Progress {
            written: 0,
            phase: Phase::Starting,
        });
        Flight {
            name,
            part_path,
            file: Arc::new(file),
            progress,
            readers: AtomicUsize::new(0),
            cancel: Notify::new(),
        }
    }
}

/// A reader's hold on a flight; dropping the last one before the transcode ends cancels it.
#[derive(Debug)]
pub(crate) struct ReaderGuard {
    inner: Arc<Inner>,
    flight: Arc<Flight>,
}

impl ReaderGuard {
    /// Counts one more reader. Call with the registry lock held (`_state` proves it).
    pub(crate) fn join(
        _state: &super::State,
        inner: &Arc<Inner>,
        flight: &Arc<Flight>,
    ) -> ReaderGuard {
        flight.readers.fetch_add(1, Ordering::SeqCst);
        ReaderGuard {
            inner: Arc::clone(inner),
            flight: Arc::clone(flight),
        }
    }

    pub(crate) fn flight(&self) -> &Arc<Flight> {
        &self.flight
    }
}

impl Drop for ReaderGuard {
    fn drop(&mut self) {
        let mut state = self.inner.lock();
        if self.flight.readers.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        // The registry holds the flight until it ends; if it is still there, no one else
        // reads it and no one can join it once it is out: stop ffmpeg.
        let registered = state
            .flights
            .get(&self.flight.name)
            .is_some_and(|f| Arc::ptr_eq(f, &self.flight));
        if registered {
            state.flights.remove(&self.flight.name);
            drop(state);
            self.flight.cancel.notify_one();
        }
    }
}
