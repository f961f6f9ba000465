//! Progressive on-demand transcodes for clients that cannot play HLS or DASH: a track is
//! transcoded into MP3, Opus or AAC while the client downloads it, and the output is kept in
//! a disk cache for the next request.
//!
//! How a request is served, in order ([`OnDemand::stream`]):
//! 1. The user's open streams are counted; past `max_per_user` the answer is `UserBusy`.
//! 2. A complete cache file for the key is a hit: its length is known, so it can be served
//!    with `Content-Length` and ranges.
//! 3. A transcode of the key in flight is joined: every request for one key reads the same
//!    growing part file, so N players of one track cost one ffmpeg.
//! 4. Otherwise a transcode starts, if fewer than `max_transcodes` run (else `Busy`): the
//!    `source` callback materialises the file, ffmpeg writes to a pipe, one task appends the
//!    output to `<name>.<n>.part` and publishes its length; readers read by offset up to it.
//!
//! `stream` returns once the first bytes exist (or the transcode failed): a corrupt source
//! is an error the server can answer with a status, not a truncated `200`.
//!
//! Invariants. The registry of flights, the cache index, the running count and the user
//! counts sit behind one lock, so a key is found either in flight or in the cache, never
//! neither while it moves between them, and a request never joins a transcode whose last
//! reader has just left. A flight whose readers all leave before it ends is unregistered and
//! its ffmpeg killed at once; the part file is deleted. On success the part file is renamed
//! (atomic) to its final name and indexed; the LRU then unlinks the least recently used
//! files until the cache is back under its limit (readers of an unlinked file keep reading
//! their open descriptor). After a crash, [`OnDemand::open`] deletes leftover part files and
//! indexes the complete ones, in the order of their modification times (a hit refreshes it).
//! The limit counts complete files only, not part files being written.
//!
//! Gain. With `gain_db` set, ffmpeg's `volume` filter applies the normalisation gain to the
//! audio, for players that do no ReplayGain at all. The output then says it needs no further
//! gain: MP3 gets `REPLAYGAIN_TRACK_GAIN=+0.00 dB` (ID3 `TXXX`), Opus `R128_TRACK_GAIN=0`,
//! and the source's other gain and peak tags are removed — a ReplayGain player reading the
//! source's tags on already normalised audio would apply the gain twice. Without a gain the
//! audio is the source's level and its tags pass through unchanged, so a ReplayGain player
//! normalises as it would the original. ADTS carries no tags.
//!
//! Measured (`cargo test -p backbeat-media --test tests ondemand -- --nocapture`, ffmpeg 5.1,
//! 2 cores shared with other builds, load average about 6): a 90 s FLAC to MP3 320k gives its
//! first chunk after 93–104 ms and its last after 2.0 s; ffmpeg is gone 16 ms after its only
//! reader drops; 200 players of 20 tracks spawn 20 ffmpegs. With those 20 started at once the
//! first chunk comes after 2.4 s (p50) — the same as 20 bare `ffmpeg … pipe:1` started at once
//! on that machine (2.4 s p50, timed with a Python script): the cost is ffmpeg's start-up and
//! CPU, not the engine.

mod body;
mod driver;
mod flight;
mod format;
mod key;
mod lru;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use body::{Body, Transcode};
pub use format::Format;
pub use key::{SourceFile, TranscodeKey};

use body::Source;
use flight::{Failure, Flight, Phase, ReaderGuard};
use lru::Lru;

mod open;

/// Settings of the on-demand engine.
#[derive(Debug, Clone, PartialEq)]
pub struct OnDemandConfig {
    /// Where complete and in-flight transcodes are kept.
    pub cache_dir: PathBuf,
    /// Total size of complete transcodes kept, bytes.
    pub cache_max_bytes: u64,
    /// ffmpeg processes (and source materialisations) running at once.
    pub max_transcodes: usize,
    /// Streams one user may hold open at once, cache hits included.
    pub max_per_user: usize,
    /// The ffmpeg binary.
    pub ffmpeg: PathBuf,
}

/// Whether `ffmpeg` can make every on-demand format here; the error says what is missing.
pub fn check_ffmpeg(ffmpeg: &std::path::Path) -> Result<(), String> {
    let needed: Vec<&str> = Format::ALL.iter().map(|f| f.encoder()).collect();
    crate::ffmpeg::check_encoders(ffmpeg, &needed)
}

impl Default for OnDemandConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        OnDemandConfig {
            cache_dir: std::env::temp_dir().join("backbeat-ondemand"),
            cache_max_bytes: 2 << 30,
            // Enough for every track a burst of listeners starts at once: ffmpeg processes
            // share the cores, and a refused listener is worse than a slower start.
            max_transcodes: (8 * cores).max(32),
            max_per_user: 4,
            ffmpeg: PathBuf::from("ffmpeg"),
        }
    }
}

/// Why a stream could not be served.
#[derive(Debug, thiserror::Error)]
pub enum OnDemandError {
    /// As many transcodes as allowed are running.
    #[error("too many transcodes running")]
    Busy,
    /// The user holds as many streams as allowed.
    #[error("too many open streams for this user")]
    UserBusy,
    /// The request names a bitrate, gain or range that cannot be served.
    #[error("{0}")]
    BadRequest(String),
    /// The source file could not be materialised.
    #[error("source unavailable: {0}")]
    Source(String),
    /// The cache directory could not be read or written.
    #[error("on-demand cache: {0}")]
    Io(#[from] std::io::Error),
    /// ffmpeg could not start or failed; its last words.
    #[error("ffmpeg: {0}")]
    Ffmpeg(String),
}

impl From<Failure> for OnDemandError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Source(m) => OnDemandError::Source(m),
            Failure::Ffmpeg(m) => OnDemandError::Ffmpeg(m),
            Failure::Io(m) => OnDemandError::Io(std::io::Error::other(m)),
            Failure::Cancelled => OnDemandError::Io(std::io::Error::other("transcode cancelled")),
        }
    }
}

/// The on-demand engine; clones share one cache and one set of limits.
#[derive(Debug, Clone)]
pub struct OnDemand {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    cfg: OnDemandConfig,
    state: Mutex<State>,
    spawned: AtomicU64,
}

/// Everything that must change together, behind one short-held lock.
#[derive(Debug, Default)]
pub(crate) struct State {
    index: Lru,
    flights: HashMap<String, Arc<Flight>>,
    users: HashMap<String, usize>,
    /// Transcodes started and not yet ended (materialising the source or running ffmpeg).
    running: usize,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent at every unlock; a panic elsewhere does not spoil it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What [`OnDemand::admit`] let in.
enum Admitted {
    Hit(UserGuard, std::fs::File, u64),
    Flight(UserGuard, ReaderGuard),
}

/// One open stream of a user; released on drop.
#[derive(Debug)]
pub(crate) struct UserGuard {
    inner: Arc<Inner>,
    user: String,
}

impl Drop for UserGuard {
    fn drop(&mut self) {
        let mut state = self.inner.lock();
        if let Some(n) = state.users.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                state.users.remove(&self.user);
            }
        }
    }
}

impl OnDemand {
    /// Streams `key` to `user`. `source` is called only when a transcode must start (not
    /// for a hit, not to join a transcode in flight); it runs on the engine's task, so the
    /// transcode survives the request that started it as long as other readers remain. It
    /// returns a [`PathBuf`] (read, left in place) or a [`tempfile::TempPath`] (deleted as
    /// soon as ffmpeg has exited).
    pub async fn stream<S, Fut, Src>(
        &self,
        key: TranscodeKey,
        user: &str,
        source: S,
    ) -> Result<Transcode, OnDemandError>
    where
        S: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Src, String>> + Send + 'static,
        Src: Into<SourceFile> + Send + 'static,
    {
        let key = key.checked().map_err(OnDemandError::BadRequest)?;
        let name = key.file_name();
        let content_type = key.format.content_type();
        let (user, guard) = match self.admit(&key, &name, user, source)? {
            Admitted::Hit(user, file, len) => {
                return Ok(Transcode {
                    content_type,
                    total_len: Some(len),
                    source: Source::Complete(Arc::new(file)),
                    user,
                });
            }
            Admitted::Flight(user, guard) => (user, guard),
        };
        // Wait for the first bytes, so a failure to start is an error, not an empty body.
        let mut progress = guard.flight().progress.subscribe();
        let first = progress
            .wait_for(|p| p.written > 0 || matches!(p.phase, Phase::Done | Phase::Failed(_)))
            .await
            .map(|p| p.phase.clone());
        match first {
            Ok(Phase::Failed(f)) => Err(f.into()),
            Ok(_) => Ok(Transcode {
                content_type,
                total_len: None,
                source: Source::Growing(guard),
                user,
            }),
            Err(_) => Err(OnDemandError::Io(std::io::Error::other(
                "transcode vanished",
            ))),
        }
    }

    /// Steps 1 to 4 of the module doc, under the lock: a hit, or a hold on a flight (joined
    /// or started).
    fn admit<S, Fut, Src>(
        &self,
        key: &TranscodeKey,
        name: &str,
        user: &str,
        source: S,
    ) -> Result<Admitted, OnDemandError>
    where
        S: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Src, String>> + Send + 'static,
        Src: Into<SourceFile> + Send + 'static,
    {
        let inner = &self.inner;
        let mut state = inner.lock();
        if state.users.get(user).copied().unwrap_or(0) >= inner.cfg.max_per_user {
            return Err(OnDemandError::UserBusy);
        }
        // Guards take the lock when dropped: each is made only once nothing can fail, and
        // goes straight into the answer.
        let admitted = if let Some((file, len)) = self.hit(&mut state, name) {
            Admitted::Hit(self.user_guard(&mut state, user), file, len)
        } else if let Some(flight) = state.flights.get(name).cloned() {
            let guard = ReaderGuard::join(&state, inner, &flight);
            Admitted::Flight(self.user_guard(&mut state, user), guard)
        } else {
            if state.running >= inner.cfg.max_transcodes {
                return Err(OnDemandError::Busy);
            }
            let (part_path, file) = open::create_part(&inner.cfg.cache_dir, name)?;
            let flight = Arc::new(Flight::new(name.to_owned(), part_path, file));
            state.flights.insert(name.to_owned(), Arc::clone(&flight));
            state.running += 1;
            let guard = ReaderGuard::join(&state, inner, &flight);
            tokio::spawn(driver::drive(
                Arc::clone(inner),
                flight,
                key.clone(),
                source,
            ));
            Admitted::Flight(self.user_guard(&mut state, user), guard)
        };
        Ok(admitted)
    }

    /// Counts one more open stream of `user`.
    fn user_guard(&self, state: &mut State, user: &str) -> UserGuard {
        *state.users.entry(user.to_owned()).or_default() += 1;
        UserGuard {
            inner: Arc::clone(&self.inner),
            user: user.to_owned(),
        }
    }

    /// ffmpeg processes started since [`OnDemand::open`].
    pub fn spawned(&self) -> u64 {
        self.inner.spawned.load(Ordering::SeqCst)
    }

    /// Transcodes running now (materialising their source or in ffmpeg).
    pub fn running(&self) -> usize {
        self.inner.lock().running
    }

    /// Bytes held by complete cache files.
    pub fn cache_bytes(&self) -> u64 {
        self.inner.lock().index.total()
    }

    /// Number of complete cache files.
    pub fn cache_files(&self) -> usize {
        self.inner.lock().index.len()
    }

    /// Streams open now, all users together.
    pub fn open_streams(&self) -> usize {
        self.inner.lock().users.values().sum()
    }

    /// The configuration in use.
    pub fn config(&self) -> &OnDemandConfig {
        &self.inner.cfg
    }
}
