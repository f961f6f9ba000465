//! Streaming media: turns a source file into files and manifests. No HTTP, no storage — the
//! pipeline's `transcode` job and the server's on-demand path call it with local paths.
//!
//! - [`model`]: what a packaged ladder is (renditions, their segments, measured sizes and
//!   durations) and the bandwidth figures manifests need.
//! - [`ladder`]: which rungs a source gets (configured ladder, minus rungs above the source's
//!   quality).
//! - [`gain`]: the loudness-normalisation gain from integrated loudness and true peak.
//! - [`ondemand`]: progressive MP3/Opus/AAC transcodes for clients without HLS or DASH,
//!   shared between concurrent requests and kept in an LRU disk cache.

pub mod gain;
pub mod ladder;
pub mod model;
pub mod ondemand;
