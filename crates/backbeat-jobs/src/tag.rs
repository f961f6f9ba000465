//! `tag`: musicnn tags (grouped, raw, embedding) from the mono signal, with the default patch
//! sampling.

use std::sync::OnceLock;

use async_trait::async_trait;
use backbeat_audio::{Decoded, ANALYSIS_RATE};
use backbeat_pipeline::{Job, JobContext, JobError};
use backbeat_tagger::{StreamTagging, Tagger, TaggerError, Thresholds, DEFAULT_SAMPLING};

use crate::signal::{open_stored_signal, stream_stored_signal};
use crate::support::{blocking, write_json};

/// The tagger, loaded once per process on first use. A missing or broken model is a
/// permanent failure of the job whose message names the file and the install command.
fn tagger() -> Result<&'static Tagger, JobError> {
    // The load error is kept as text: every later job shares it, and the error is not `Clone`.
    static TAGGER: OnceLock<Result<Tagger, String>> = OnceLock::new();
    TAGGER
        .get_or_init(|| {
            Tagger::load(&backbeat_tagger::default_models_dir()).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| JobError::Permanent(e.clone()))
}

fn tag_err(e: TaggerError) -> JobError {
    JobError::BadInput(Box::new(e))
}

/// The `tag` job.
pub(crate) struct Tag;

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
