//! Packaging a source into a ladder: run the one ffmpeg ([`crate::ffmpeg`]), measure every
//! init and media segment it wrote ([`crate::fmp4`]), give the files their final names, and
//! write the manifests ([`crate::hls`], [`crate::dash`]) from the measurements.
//!
//! Every file name starts with the ladder's *generation* (`g{generation}-`): a re-run writes
//! a new generation beside the one players are using, and the stream index that names the
//! generation is what switches, in one write. Players holding the old manifests keep reading
//! the old files until they are collected.
//!
//! Loudness normalisation rides along without re-encoding: each Opus rendition gets a second
//! init segment whose header carries the gain (RFC 7845 output gain, applied by every Opus
//! decoder), and a second set of manifests (`…-n.m3u8`, `…-n.mpd`) lists the Opus renditions
//! with those inits. The media segments are shared. AAC has no such field: clients playing
//! AAC apply [`Gain::gain_db`] themselves, which the stream API hands out.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::MediaError;
use crate::ffmpeg::{self, SourceShape};
use crate::gain::Gain;
use crate::model::{Codec, Ladder, Rendition, Rung, Segment};
use crate::{dash, fmp4, hls};

/// What to package.
#[derive(Debug, Clone)]
pub struct PackageSpec {
    pub ffmpeg: PathBuf,
    pub source: PathBuf,
    pub shape: SourceShape,
    pub rungs: Vec<Rung>,
    /// Segment length, seconds (already snapped, `LadderConfig::segment_s()`).
    pub segment_s: f64,
    pub gain: Gain,
    /// Prefix of every file name; letters and digits only.
    pub generation: String,
    /// ffmpeg is killed after this long.
    pub limit: Duration,
}

/// A pair of manifests over the same renditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifests {
    /// The HLS master playlist's file name.
    pub hls: String,
    /// The DASH MPD's file name.
    pub dash: String,
}

/// One rendition, as the stream index lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenditionSummary {
    pub id: String,
    pub codec: Codec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kbps: Option<u32>,
    /// RFC 6381 codecs string.
    pub codecs: String,
    /// Peak bit rate, bits/s.
    pub bandwidth: u64,
    /// Average bit rate, bits/s.
    pub average_bandwidth: u64,
    pub segments: usize,
}

/// What a packaged ladder is, for whoever hands it out: written as the `transcode` job's
/// `stream.json`, read by the stream endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamIndex {
    pub generation: String,
    /// Every rendition, gain left to the player.
    pub manifests: Manifests,
    /// The Opus renditions with the gain in their headers; `None` without Opus rungs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalised: Option<Manifests>,
    pub gain: Gain,
    pub duration_s: f64,
    pub segment_s: f64,
    pub renditions: Vec<RenditionSummary>,
}

/// What [`package`] made: the index to store and the measured ladder it was written from.
#[derive(Debug, Clone)]
pub struct PackageOutput {
    pub index: StreamIndex,
    pub ladder: Ladder,
}

/// Packages `spec.source` into `out` (which must exist), using `work` (an empty folder) for
/// the encoder's own files. Every file the index names is in `out`.
pub async fn package(
    spec: &PackageSpec,
    work: &Path,
    out: &Path,
) -> Result<PackageOutput, MediaError> {
    if spec.rungs.is_empty() {
        return Err(MediaError::Output("no rung to encode".into()));
    }
    if spec.generation.is_empty() || !spec.generation.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(MediaError::Output(format!(
            "generation `{}` is not letters and digits",
            spec.generation
        )));
    }
    let args = ffmpeg::ladder_args(&spec.source, work, &spec.rungs, spec.segment_s, spec.shape);
    ffmpeg::run(&spec.ffmpeg, &args, spec.limit).await?;
    let g = format!("g{}-", spec.generation);
    let mut renditions = Vec::with_capacity(spec.rungs.len());
    for rung in &spec.rungs {
        renditions.push(collect(rung, work, out, &g).await?);
    }
    check_alignment(&renditions)?;
    let ladder = Ladder {
        renditions,
        segment_s: spec.segment_s,
    };
    crate::manifest::check_ladder(&ladder)
        .map_err(|e| MediaError::Output(format!("the measured ladder: {e}")))?;
    let manifests = write_manifests(
        &ladder,
        out,
        &format!("{g}master.m3u8"),
        &format!("{g}manifest.mpd"),
    )
    .await?;
    let normalised = match normalised_ladder(&ladder, &spec.gain, out).await? {
        Some(n) => Some(
            write_manifests(
                &n,
                out,
                &format!("{g}master-n.m3u8"),
                &format!("{g}manifest-n.mpd"),
            )
            .await?,
        ),
        None => None,
    };
    let index = StreamIndex {
        generation: spec.generation.clone(),
        manifests,
        normalised,
        gain: spec.gain,
        duration_s: ladder.duration_s(),
        segment_s: spec.segment_s,
        renditions: ladder
            .renditions
            .iter()
            .map(|r| RenditionSummary {
                id: r.id.clone(),
                codec: r.rung.codec,
                kbps: r.rung.kbps,
                codecs: r.codecs.clone(),
                bandwidth: r.peak_bandwidth(),
                average_bandwidth: r.average_bandwidth(),
                segments: r.segments.len(),
            })
            .collect(),
    };
    Ok(PackageOutput { index, ladder })
}

/// Largest init or media segment read back for measuring (a 30 s FLAC segment of 96 kHz
/// 8-channel audio is far below).
const MAX_SEGMENT_BYTES: u64 = 64 << 20;

async fn read_file(path: &Path) -> Result<Vec<u8>, MediaError> {
    let len = tokio::fs::metadata(path)
        .await
        .map_err(MediaError::io(format!("reading {}", path.display())))?
        .len();
    if len > MAX_SEGMENT_BYTES {
        return Err(MediaError::Output(format!(
            "{} is {len} bytes, more than a segment can be",
            path.display()
        )));
    }
    tokio::fs::read(path)
        .await
        .map_err(MediaError::io(format!("reading {}", path.display())))
}

async fn rename(from: &Path, to: &Path) -> Result<(), MediaError> {
    tokio::fs::rename(from, to)
        .await
        .map_err(MediaError::io(format!(
            "moving {} into the ladder",
            from.display()
        )))
}

/// Measures `rung`'s init and segments in `work` and moves them into `out` under their final
/// names (`{g}{id}-init.mp4`, `{g}{id}-NNNNN.m4s` numbered from 1).
async fn collect(rung: &Rung, work: &Path, out: &Path, g: &str) -> Result<Rendition, MediaError> {
    let id = rung.id();
    let init_path = work.join(ffmpeg::init_name(rung));
    let init_bytes = read_file(&init_path).await?;
    let info = fmp4::parse_init(&init_bytes)
        .map_err(|e| MediaError::Output(format!("{id} init segment: {e}")))?;
    let init = format!("{g}{id}-init.mp4");
    rename(&init_path, &out.join(&init)).await?;
    let mut segments = Vec::new();
    loop {
        let path = work.join(ffmpeg::segment_name(rung, segments.len()));
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            break;
        }
        let bytes = read_file(&path).await?;
        let s = fmp4::parse_segment(&bytes)
            .map_err(|e| MediaError::Output(format!("{id} segment {}: {e}", segments.len())))?;
        let name = format!("{g}{id}-{:05}.m4s", segments.len() + 1);
        rename(&path, &out.join(&name)).await?;
        segments.push(Segment {
            name,
            start: s.start,
            duration: s.duration,
            bytes: bytes.len() as u64,
        });
    }
    if segments.is_empty() {
        return Err(MediaError::Output(format!(
            "{id}: the encoder wrote no segment"
        )));
    }
    Ok(Rendition {
        id: id.clone(),
        rung: *rung,
        codecs: info.codecs,
        sample_rate: info.sample_rate,
        channels: info.channels,
        timescale: info.timescale,
        init,
        init_bytes: init_bytes.len() as u64,
        playlist: format!("{g}{id}.m3u8"),
        segments,
    })
}

/// Every rendition must have the same number of segments, each boundary within one codec
/// frame (at most 1024 samples at 48 kHz, 21.3 ms) of the others: a player switching
/// renditions between two segments must neither skip nor repeat audio.
fn check_alignment(renditions: &[Rendition]) -> Result<(), MediaError> {
    let Some(first) = renditions.first() else {
        return Ok(());
    };
    const FRAME_S: f64 = 1024.0 / 48_000.0;
    let ends = |r: &Rendition| -> Vec<f64> {
        let mut t = 0.0;
        r.segments
            .iter()
            .map(|s| {
                t += r.segment_s(s);
                t
            })
            .collect()
    };
    let reference = ends(first);
    for r in &renditions[1..] {
        let e = ends(r);
        if e.len() != reference.len() {
            return Err(MediaError::Output(format!(
                "{} has {} segments, {} has {}",
                first.id,
                reference.len(),
                r.id,
                e.len()
            )));
        }
        // The last boundary is the end of the track: encoders pad differently there.
        for (i, (a, b)) in reference.iter().zip(&e).enumerate().take(e.len() - 1) {
            if (a - b).abs() > FRAME_S + 1e-6 {
                return Err(MediaError::Output(format!(
                    "segment {} ends at {a:.4} s in {} but {b:.4} s in {}",
                    i + 1,
                    first.id,
                    r.id
                )));
            }
        }
    }
    Ok(())
}

async fn write_file(out: &Path, name: &str, body: impl AsRef<[u8]>) -> Result<(), MediaError> {
    tokio::fs::write(out.join(name), body)
        .await
        .map_err(MediaError::io(format!("writing {name}")))
}

/// Writes the master and media playlists and the MPD of `ladder` into `out`.
async fn write_manifests(
    ladder: &Ladder,
    out: &Path,
    master: &str,
    mpd: &str,
) -> Result<Manifests, MediaError> {
    for r in &ladder.renditions {
        write_file(out, &r.playlist, hls::media_playlist(r)).await?;
    }
    write_file(out, master, hls::master_playlist(ladder)).await?;
    write_file(out, mpd, dash::mpd(ladder)).await?;
    Ok(Manifests {
        hls: master.into(),
        dash: mpd.into(),
    })
}

/// The Opus renditions with a second init segment carrying `gain` (written into `out`), or
/// `None` when the ladder has no Opus rendition.
async fn normalised_ladder(
    ladder: &Ladder,
    gain: &Gain,
    out: &Path,
) -> Result<Option<Ladder>, MediaError> {
    let mut renditions = Vec::new();
    for r in ladder
        .renditions
        .iter()
        .filter(|r| r.rung.codec == Codec::Opus)
    {
        let mut init = read_file(&out.join(&r.init)).await?;
        fmp4::set_opus_output_gain(&mut init, gain.opus_output_gain())
            .map_err(|e| MediaError::Output(format!("{} init segment: {e}", r.id)))?;
        let stem = r.init.trim_end_matches("-init.mp4");
        let mut n = r.clone();
        n.init = format!("{stem}-init-n.mp4");
        n.playlist = format!("{stem}-n.m3u8");
        write_file(out, &n.init, init).await?;
        renditions.push(n);
    }
    if renditions.is_empty() {
        return Ok(None);
    }
    Ok(Some(Ladder {
        renditions,
        segment_s: ladder.segment_s,
    }))
}
