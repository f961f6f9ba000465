//! The built-in jobs and the default graph:
//!
//! ```text
//! upload ─► probe (probe.json)
//! upload ─► downsample (audio.wav: mono 22,050 Hz 32-bit float; source.json: file facts,
//!           │            loudness at the source rate, decoding warnings)
//!           ├─► analyze (analysis.json: every descriptor) ─┬─► summary (catalog database)
//!           └─► tag (tags.json: musicnn tags, embedding) ──┘
//! ```
//!
//! `downsample` decodes the upload once; `analyze` and `tag` read its mono signal from the
//! chain's [`Memo`] when the same worker just computed it (decode once), else stream
//! `audio.wav`.
//! The signal is stored as 32-bit float WAV: exactly the samples the analysers saw, so
//! re-analysing it later (a new `analyze` version) gives what analysing the upload would.

use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use backbeat_audio::decode::{DecodeLimits, DecodedStream};
use backbeat_audio::{AnalyzeOptions, AudioError, Decoded, MonoAnalysers, ANALYSIS_RATE};
use backbeat_store::jobs::{TrackAnalysis, TrackTag};
use backbeat_store::model::now_millis;
use backbeat_tagger::{StreamTagging, Tagger, Thresholds, DEFAULT_SAMPLING};

use crate::error::{GraphError, JobError};
use crate::graph::{Graph, JobClass, JobSpec};
use crate::job::{Job, JobContext, Registry};

/// The mono signal of a chain, kept in memory only up to this many samples (15 minutes at
/// 22,050 Hz, 79 MB); longer tracks are streamed from `audio.wav` instead.
pub const MEMO_MAX_SAMPLES: usize = 22_050 * 60 * 15;

/// The built-in jobs' declarations.
pub fn builtin_specs() -> Vec<JobSpec> {
    vec![
        JobSpec::builtin("probe", 1, &["upload"], &["probe.json"]).timeout(Duration::from_secs(60)),
        JobSpec::builtin("downsample", 1, &["upload"], &["audio.wav", "source.json"]),
        JobSpec::builtin(
            "analyze",
            1,
            &["downsample.audio.wav", "downsample.source.json"],
            &["analysis.json"],
        ),
        JobSpec::builtin(
            "tag",
            1,
            &["downsample.audio.wav", "downsample.source.json"],
            &["tags.json"],
        ),
        // v2: also stores the tagger's results.
        JobSpec::builtin(
            "summary",
            2,
            &["analyze.analysis.json", "tag.tags.json"],
            &[],
        )
        .class(JobClass::Io)
        .timeout(Duration::from_secs(60)),
    ]
}

/// The default graph: the built-in jobs plus `extra` (external jobs from a file).
pub fn default_graph(extra: Vec<JobSpec>) -> Result<Graph, GraphError> {
    let mut jobs = builtin_specs();
    jobs.extend(extra);
    Graph::new(jobs)
}

/// The built-in jobs' code.
pub fn builtin_registry() -> Registry {
    let mut r = Registry::new();
    r.register("probe", Probe)
        .register("downsample", Downsample)
        .register("analyze", Analyze)
        .register("tag", Tag)
        .register("summary", Summary);
    r
}

fn audio_err(e: AudioError) -> JobError {
    match e {
        AudioError::Io(e) => JobError::Transient(format!("reading the input: {e}")),
        other => JobError::Permanent(other.to_string()),
    }
}

fn io_err(what: &str) -> impl Fn(std::io::Error) -> JobError + '_ {
    move |e| JobError::Transient(format!("{what}: {e}"))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, JobError> + Send + 'static,
) -> Result<T, JobError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => Err(JobError::Permanent("the analysis panicked".into())),
        Err(e) => Err(JobError::Transient(e.to_string())),
    }
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), JobError> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| JobError::Permanent(format!("encoding JSON: {e}")))?;
    std::fs::write(path, bytes).map_err(io_err("writing output"))
}

/// `probe`: validates the container and codec and records the stream's facts (headers only;
/// `downsample` decodes everything).
struct Probe;

#[async_trait]
impl Job for Probe {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let input = ctx.input("upload")?.clone();
        let out = ctx.output("probe.json")?.clone();
        blocking(move || {
            let stream = DecodedStream::open(&input, DecodeLimits::default()).map_err(audio_err)?;
            write_json(&out, stream.info())
        })
        .await
    }
}

/// `downsample`: one decode of the upload into the mono analysis signal and the source facts.
struct Downsample;

#[async_trait]
impl Job for Downsample {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let input = ctx.input("upload")?.clone();
        let wav = ctx.output("audio.wav")?.clone();
        let source = ctx.output("source.json")?.clone();
        let cancel = ctx.cancel.clone();
        let (decoded, kept) = blocking(move || {
            let mut writer = WavWriter::create(&wav)?;
            let mut kept: Option<Vec<f32>> = Some(Vec::new());
            let mut failed: Option<JobError> = None;
            let decoded =
                backbeat_audio::decode_for_analysis(&input, &AnalyzeOptions::default(), |mono| {
                    if failed.is_some() || cancel.is_cancelled() {
                        return;
                    }
                    if let Err(e) = writer.push(mono) {
                        failed = Some(e);
                    }
                    if let Some(k) = &mut kept {
                        if k.len() + mono.len() > MEMO_MAX_SAMPLES {
                            kept = None;
                        } else {
                            k.extend_from_slice(mono);
                        }
                    }
                })
                .map_err(audio_err)?;
            if let Some(e) = failed {
                return Err(e);
            }
            if cancel.is_cancelled() {
                return Err(JobError::Transient("cancelled".into()));
            }
            writer.finish()?;
            write_json(&source, &decoded)?;
            Ok((decoded, kept))
        })
        .await?;
        if let Some(samples) = kept {
            ctx.memo.put("downsample.audio.wav", Arc::new(samples));
        }
        ctx.memo.put("downsample.source.json", Arc::new(decoded));
        Ok(())
    }
}

/// `analyze`: every descriptor, from the mono signal and the source facts.
struct Analyze;

#[async_trait]
impl Job for Analyze {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let wav = ctx.input("downsample.audio.wav")?.clone();
        let source_path = ctx.input("downsample.source.json")?.clone();
        let out = ctx.output("analysis.json")?.clone();
        let mono = ctx.memo.get::<Vec<f32>>("downsample.audio.wav");
        let source = ctx.memo.get::<Decoded>("downsample.source.json");
        blocking(move || {
            let source: Decoded = match source {
                Some(s) => (*s).clone(),
                None => {
                    let bytes = std::fs::read(&source_path).map_err(io_err("reading source"))?;
                    serde_json::from_slice(&bytes)
                        .map_err(|e| JobError::Permanent(format!("source.json: {e}")))?
                }
            };
            let descriptors = match mono {
                Some(samples) => backbeat_audio::analyze_mono(&samples).map_err(audio_err)?,
                None => analyze_wav(&wav)?,
            };
            write_json(&out, &source.with(descriptors))
        })
        .await
    }
}

/// Streams a stored mono signal through the analysers (bounded memory).
fn analyze_wav(path: &Path) -> Result<backbeat_audio::MonoDescriptors, JobError> {
    let mut a = MonoAnalysers::new();
    stream_stored_signal(open_stored_signal(path)?, |samples| {
        a.push(samples);
        Ok(())
    })?;
    Ok(a.finish())
}

/// Opens `downsample`'s stored signal (`audio.wav`).
fn open_stored_signal(path: &Path) -> Result<DecodedStream, JobError> {
    DecodedStream::open(path, DecodeLimits::default()).map_err(audio_err)
}

/// Hands the stored signal to `push` chunk by chunk, refusing anything but mono at
/// [`ANALYSIS_RATE`] (a signal stored by another version would be analysed wrongly).
fn stream_stored_signal(
    mut stream: DecodedStream,
    mut push: impl FnMut(&[f32]) -> Result<(), JobError>,
) -> Result<(), JobError> {
    while let Some(chunk) = stream.next_chunk().map_err(audio_err)? {
        if chunk.channels != 1 || chunk.sample_rate != ANALYSIS_RATE {
            return Err(JobError::Permanent(format!(
                "stored signal is {} ch at {} Hz, expected mono at {ANALYSIS_RATE} Hz",
                chunk.channels, chunk.sample_rate
            )));
        }
        push(chunk.samples)?;
    }
    Ok(())
}

/// `summary`: the descriptors into the catalog database (the track becomes `ready`).
struct Summary;

#[async_trait]
impl Job for Summary {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let path = ctx.input("analyze.analysis.json")?;
        let bytes = tokio::fs::read(path)
            .await
            .map_err(io_err("reading analysis"))?;
        let analysis: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| JobError::Permanent(format!("analysis.json: {e}")))?;
        let bpm = analysis["rhythm"]["bpm"].as_f64();
        let key = match (
            analysis["key"]["tonic"].as_str(),
            analysis["key"]["mode"].as_str(),
        ) {
            (Some(t), Some(m)) => Some(format!("{t} {m}")),
            _ => None,
        };
        let loudness_lufs = analysis["loudness"]["integrated_lufs"].as_f64();
        let tags_path = ctx.input("tag.tags.json")?;
        let tags_bytes = tokio::fs::read(tags_path)
            .await
            .map_err(io_err("reading tags"))?;
        let tags: serde_json::Value = serde_json::from_slice(&tags_bytes)
            .map_err(|e| JobError::Permanent(format!("tags.json: {e}")))?;
        let rows = tag_rows(&tags);
        let mut analysis = analysis;
        analysis["tags"] = tags;
        ctx.states
            .set_track_analysis(&TrackAnalysis {
                track_id: ctx.track.id,
                bpm,
                key,
                loudness_lufs,
                analysis,
                tags: rows,
                updated_at: now_millis(),
            })
            .await?;
        Ok(())
    }
}

/// The grouped tags of a `tags.json` as catalog rows (one per group and tag).
fn tag_rows(tags: &serde_json::Value) -> Vec<TrackTag> {
    let mut rows = Vec::new();
    for (key, group) in [
        ("genre", "genre"),
        ("mood", "mood"),
        ("instruments", "instrument"),
        ("era", "era"),
    ] {
        for t in tags[key].as_array().into_iter().flatten() {
            if let (Some(tag), Some(confidence)) = (t["tag"].as_str(), t["confidence"].as_f64()) {
                rows.push(TrackTag {
                    group: group.into(),
                    tag: tag.into(),
                    confidence,
                });
            }
        }
    }
    let vocals = &tags["vocals"];
    if let (Some(tag), Some(confidence)) = (vocals["tag"].as_str(), vocals["confidence"].as_f64()) {
        rows.push(TrackTag {
            group: "vocals".into(),
            tag: tag.into(),
            confidence,
        });
    }
    rows
}

/// The tagger, loaded once per process on first use. A missing or broken model is a
/// permanent failure of the job whose message names the file and the install command.
fn tagger() -> Result<&'static Tagger, JobError> {
    static TAGGER: OnceLock<Result<Tagger, String>> = OnceLock::new();
    TAGGER
        .get_or_init(|| {
            Tagger::load(&backbeat_tagger::default_models_dir()).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| JobError::Permanent(e.clone()))
}

/// `tag`: musicnn tags (grouped, raw, embedding) from the mono signal, with the default
/// patch sampling.
struct Tag;

#[async_trait]
impl Job for Tag {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let wav = ctx.input("downsample.audio.wav")?.clone();
        let source_path = ctx.input("downsample.source.json")?.clone();
        let out = ctx.output("tags.json")?.clone();
        let mono = ctx.memo.get::<Vec<f32>>("downsample.audio.wav");
        let source = ctx.memo.get::<Decoded>("downsample.source.json");
        let cancel = ctx.cancel.clone();
        blocking(move || {
            let tagger = tagger()?;
            let source_rate = match source {
                Some(s) => Some(s.file.sample_rate),
                None => std::fs::read(&source_path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Decoded>(&b).ok())
                    .map(|d| d.file.sample_rate),
            };
            let tag_err = |e: backbeat_tagger::TaggerError| JobError::Permanent(e.to_string());
            // The chain's memo when this worker just downsampled, else the stored signal.
            let (secs, stream) = match &mono {
                Some(samples) => (Some(samples.len() as f64 / f64::from(ANALYSIS_RATE)), None),
                None => {
                    let stream = open_stored_signal(&wav)?;
                    (stream.info().declared_duration_secs, Some(stream))
                }
            };
            let input = (ANALYSIS_RATE, 1);
            let mut t = StreamTagging::new(tagger, DEFAULT_SAMPLING, secs, input, source_rate)
                .map_err(tag_err)?;
            match stream {
                None => {
                    for piece in mono.iter().flat_map(|s| s.chunks(8192)) {
                        t.push(piece).map_err(tag_err)?;
                    }
                }
                Some(stream) => stream_stored_signal(stream, |samples| {
                    if cancel.is_cancelled() {
                        return Err(JobError::Transient("cancelled".into()));
                    }
                    t.push(samples).map_err(tag_err)
                })?,
            }
            let tags = t.finish(&Thresholds::default()).map_err(tag_err)?;
            write_json(&out, &tags)
        })
        .await
    }
}

/// A 32-bit float mono WAV written as samples arrive; sizes are patched in at the end.
struct WavWriter {
    file: BufWriter<std::fs::File>,
    samples: u64,
}

impl WavWriter {
    fn create(path: &Path) -> Result<Self, JobError> {
        let file = std::fs::File::create(path).map_err(io_err("creating audio.wav"))?;
        let mut w = WavWriter {
            file: BufWriter::with_capacity(1 << 16, file),
            samples: 0,
        };
        w.header(0)?;
        Ok(w)
    }

    fn header(&mut self, samples: u64) -> Result<(), JobError> {
        let data = u32::try_from(samples * 4)
            .map_err(|_| JobError::Permanent("signal too long for a WAV file".into()))?;
        let rate = ANALYSIS_RATE;
        let mut h = Vec::with_capacity(44);
        h.extend_from_slice(b"RIFF");
        h.extend_from_slice(&(36 + data).to_le_bytes());
        h.extend_from_slice(b"WAVEfmt ");
        h.extend_from_slice(&16u32.to_le_bytes());
        h.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
        h.extend_from_slice(&1u16.to_le_bytes()); // mono
        h.extend_from_slice(&rate.to_le_bytes());
        h.extend_from_slice(&(rate * 4).to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&32u16.to_le_bytes());
        h.extend_from_slice(b"data");
        h.extend_from_slice(&data.to_le_bytes());
        self.file.write_all(&h).map_err(io_err("writing audio.wav"))
    }

    fn push(&mut self, mono: &[f32]) -> Result<(), JobError> {
        for s in mono {
            self.file
                .write_all(&s.to_le_bytes())
                .map_err(io_err("writing audio.wav"))?;
        }
        self.samples += mono.len() as u64;
        Ok(())
    }

    fn finish(mut self) -> Result<(), JobError> {
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(io_err("writing audio.wav"))?;
        self.header(self.samples)?;
        let file = self
            .file
            .into_inner()
            .map_err(|e| JobError::Transient(format!("writing audio.wav: {e}")))?;
        file.sync_all().map_err(io_err("syncing audio.wav"))
    }
}
