//! `summary`: the descriptors into the catalog database (the track becomes `ready`).
//!
//! Its inputs are of the audio the track had when the run loaded it (the engine refuses
//! outputs computed from other audio), and the store writes them only if the track still
//! has that audio, checked in the writing transaction: analysis of replaced audio never
//! lands, even from a job that was already running when the audio changed.

use async_trait::async_trait;
use backbeat_pipeline::{Job, JobContext, JobError};
use backbeat_store::jobs::{TrackAnalysis, TrackTag};
use backbeat_store::model::now_millis;
use backbeat_store::StoreError;

/// The `summary` job.
pub(crate) struct Summary;

#[async_trait]
impl Job for Summary {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let path = ctx.input("analyze.analysis.json")?;
        let bytes = tokio::fs::read(path)
            .await
            .map_err(JobError::io("reading analysis"))?;
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
            .map_err(JobError::io("reading tags"))?;
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
                source: Some(ctx.track.blob_key.clone()),
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(why) => JobError::Stale(why),
                other => JobError::Store(other),
            })
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
