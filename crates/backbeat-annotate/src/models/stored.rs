//! The pipeline outputs the built-in model reads, as the engine gets them from the store
//! (`backbeat_store::jobs::TrackAnalysis`, written by the `summary` job).

use serde::{Deserialize, Serialize};

use super::key_text::parse_key;
use crate::answer::Key;
use crate::schema::Window;

/// A track's stored descriptors, reduced to what pre-annotation uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredOutputs {
    pub bpm: Option<f64>,
    /// The tempo estimate's confidence in [0, 1] (`rhythm.confidence`).
    pub bpm_confidence: Option<f64>,
    pub key: Option<Key>,
    /// The key estimate's strength in [0, 1] (`key.strength`).
    pub key_confidence: Option<f64>,
    /// The beat grid in seconds from the start of the track (`rhythm.beats`), ascending;
    /// only the beats inside the item once [`StoredOutputs::within`] has been applied.
    pub beats: Vec<f64>,
    /// The tagger's grouped tags (only those it reported: above its own thresholds).
    pub tags: Vec<StoredTag>,
    /// The tagger's model names (`"MSD_musicnn+MTT_musicnn"`) when the analysis records
    /// them; part of the built-in model's version.
    pub tagger: Option<String>,
    /// When the analysis was stored (milliseconds since the epoch).
    pub updated_at: i64,
}

/// One grouped tag (`backbeat_store::jobs::TrackTag`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredTag {
    /// `genre`, `mood`, `instrument`, `vocals` or `era`.
    pub group: String,
    pub tag: String,
    pub confidence: f64,
}

impl StoredOutputs {
    /// Extracts the outputs from a stored analysis: the catalog's `bpm` and key text columns,
    /// the analysis JSON (`rhythm.confidence`, `key.{tonic,mode,strength}`,
    /// `tags.labels`) and the tag rows. Whatever is missing, mistyped or out of range becomes
    /// `None` (or is skipped); nothing here fails.
    pub fn from_analysis_json(
        bpm: Option<f64>,
        key_text: Option<&str>,
        analysis: &serde_json::Value,
        tags: Vec<StoredTag>,
        updated_at: i64,
    ) -> StoredOutputs {
        let bpm = bpm
            .or_else(|| analysis.pointer("/rhythm/bpm").and_then(|v| v.as_f64()))
            .filter(|b| b.is_finite() && *b > 0.0);
        let bpm_confidence = bpm.and(unit(analysis.pointer("/rhythm/confidence")));
        let key = key_text.and_then(parse_key).or_else(|| {
            let tonic = analysis.pointer("/key/tonic")?.as_str()?;
            let mode = analysis.pointer("/key/mode")?.as_str()?;
            parse_key(&format!("{tonic} {mode}"))
        });
        let key_confidence = key.and(unit(analysis.pointer("/key/strength")));
        let mut beats: Vec<f64> = analysis
            .pointer("/rhythm/beats")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|b| b.as_f64())
            .filter(|b| b.is_finite() && *b >= 0.0)
            .collect();
        beats.sort_by(f64::total_cmp);
        beats.dedup();
        let tags = tags
            .into_iter()
            .filter(|t| t.confidence.is_finite() && !t.tag.trim().is_empty())
            .map(|t| StoredTag {
                confidence: t.confidence.clamp(0.0, 1.0),
                group: t.group.trim().to_ascii_lowercase(),
                tag: t.tag,
            })
            .collect();
        let tagger = analysis
            .pointer("/tags/labels")
            .and_then(|v| v.as_object())
            .map(|models| {
                let names: Vec<&str> = models
                    .keys()
                    .map(String::as_str)
                    .filter(|n| n.len() <= 64)
                    .collect();
                names.join("+")
            })
            .filter(|n| !n.is_empty());
        StoredOutputs {
            bpm,
            bpm_confidence,
            key,
            key_confidence,
            beats,
            tags,
            tagger,
            updated_at,
        }
    }

    /// The outputs as an item of the track sees them: only the beats inside `window`.
    /// Whole-track descriptors (tempo, key, tags) stay: they describe the item's audio too.
    pub fn within(mut self, window: Window) -> StoredOutputs {
        self.beats
            .retain(|b| (window.start..=window.end).contains(b));
        self
    }
}

/// A JSON number in [0, 1], clamped; `None` when absent or not a finite number.
fn unit(v: Option<&serde_json::Value>) -> Option<f64> {
    v?.as_f64()
        .filter(|x| x.is_finite())
        .map(|x| x.clamp(0.0, 1.0))
}
