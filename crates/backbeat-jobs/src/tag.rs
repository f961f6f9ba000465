//! `tag`: musicnn tags (grouped, raw, embedding) from the mono signal, with the default patch
//! sampling.
//!
//! Without its model files the job cannot tag, but that is no reason to fail the track: it
//! writes a `tags.json` that says why (`{"unavailable": REASON}`, which `summary` stores as no
//! tags) and reports itself unavailable, so the track becomes `ready` untagged and a later
//! backfill, once the models are installed, tags it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use backbeat_audio::{Decoded, ANALYSIS_RATE};
use backbeat_pipeline::{Job, JobContext, JobError};
use backbeat_tagger::{StreamTagging, Tagger, TaggerError, Thresholds, DEFAULT_SAMPLING};

use crate::signal::{open_stored_signal, stream_stored_signal};
use crate::support::{blocking, write_json};

/// A loaded tagger, or why it could not be loaded (text: every later job shares it, and the
/// error is not `Clone`).
type Loaded = Arc<Result<Tagger, String>>;

/// The tagger of `models_dir`, loaded once per process on first use (per folder: tests point
/// jobs at folders of their own). A missing or broken model makes the job unavailable, with
/// a message naming the file and the install command.
fn tagger(models_dir: &Path) -> Loaded {
    static TAGGERS: Mutex<BTreeMap<PathBuf, Loaded>> = Mutex::new(BTreeMap::new());
    // Held while loading: a second job would only wait for the same load.
    let mut loaded = TAGGERS.lock().unwrap_or_else(|p| p.into_inner());
    Arc::clone(
        loaded
            .entry(models_dir.to_path_buf())
            .or_insert_with(|| Arc::new(Tagger::load(models_dir).map_err(|e| e.to_string()))),
    )
}

/// Why the tagger cannot run with the models in `models_dir`, if it cannot: a model file
/// missing, named with the install command. Only looks for the files (start-up must not wait
/// for the models to load).
pub(crate) fn models_missing(models_dir: &Path) -> Option<String> {
    backbeat_tagger::ModelKind::ALL
        .iter()
        .map(|kind| kind.path_in(models_dir))
        .find(|path| !path.is_file())
        .map(|path| {
            backbeat_tagger::TaggerError::ModelMissing {
                path,
                install: backbeat_tagger::INSTALL_COMMAND,
            }
            .to_string()
        })
}

fn tag_err(e: TaggerError) -> JobError {
    JobError::BadInput(Box::new(e))
}

/// The `tag` job, with the folder its models are in.
pub(crate) struct Tag {
    pub(crate) models_dir: PathBuf,
}

#[async_trait]
impl Job for Tag {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let wav = ctx.input("downsample.audio.wav")?.clone();
        let source_path = ctx.input("downsample.source.json")?.clone();
        let out = ctx.output("tags.json")?.clone();
        let mono = ctx.memo.get::<Vec<f32>>("downsample.audio.wav");
        let source = ctx.memo.get::<Decoded>("downsample.source.json");
        let cancel = ctx.cancel.clone();
        let models_dir = self.models_dir.clone();
        blocking(move || {
            let loaded = tagger(&models_dir);
            let tagger = match loaded.as_ref() {
                Ok(t) => t,
                Err(why) => {
                    write_json(&out, &serde_json::json!({ "unavailable": why }))?;
                    return Err(JobError::Unavailable(why.clone()));
                }
            };
            let source_rate = match source {
                Some(s) => Some(s.file.sample_rate),
                None => std::fs::read(&source_path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Decoded>(&b).ok())
                    .map(|d| d.file.sample_rate),
            };
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
