//! Streaming media: turns a source file into files and manifests. No HTTP, no storage — the
//! pipeline's `transcode` job and the server's on-demand path call it with local paths.
//!
//! - [`model`]: what a packaged ladder is (renditions, their segments, measured sizes and
//!   durations) and the bandwidth figures manifests need.
//! - [`ladder`]: which rungs a source gets (configured ladder, minus rungs above the source's
//!   quality).
//! - [`ffmpeg`]: the one ffmpeg command that encodes every rung, and running it.
//! - [`package`]: measuring what ffmpeg wrote, naming it, writing the manifests; the
//!   [`package::StreamIndex`] the stream endpoint reads.
//! - [`gain`]: the loudness-normalisation gain from integrated loudness and true peak.
//! - [`ondemand`]: progressive MP3/Opus/AAC transcodes for clients without HLS or DASH,
//!   shared between concurrent requests and kept in an LRU disk cache.
//! - [`fmp4`]: the facts read from the encoder's CMAF files (timescale, codec, segment
//!   spans) and the Opus header gain patched in place.
//! - [`hls`]: HLS master and media playlists (RFC 8216) written from a [`model::Ladder`].
//! - [`dash`]: the static DASH MPD (ISO/IEC 23009-1) written from a [`model::Ladder`].
//! - [`manifest`]: what HLS and DASH share — names as URIs, the player order of
//!   renditions, the checks a ladder passes before manifests are written from it.

pub mod dash;
mod error;
pub mod ffmpeg;
pub mod fmp4;
pub mod gain;
pub mod hls;
pub mod ladder;
pub mod manifest;
pub mod model;
pub mod ondemand;
pub mod package;

pub use error::MediaError;
