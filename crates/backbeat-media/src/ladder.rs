//! Which rungs a source gets: the configured ladder, minus the rungs that would claim more
//! quality than the source has (a 128 kb/s MP3 gets no 256 kb/s AAC), plus a FLAC rung for a
//! lossless source when configured.

use serde::{Deserialize, Serialize};

use crate::gain::NormalisationTarget;
use crate::model::{Codec, Rung};

/// The ladder's configuration (`[media]` in the binary's configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LadderConfig {
    /// Lossy rungs, lowest first within a codec.
    pub rungs: Vec<Rung>,
    /// Target segment length, seconds (snapped to a whole number of codec frames shared by
    /// AAC and Opus at 48 kHz, see [`LadderConfig::segment_s`]).
    pub segment_s: f64,
    /// Add a FLAC rung when the source is lossless.
    pub flac_for_lossless: bool,
    /// Loudness normalisation.
    pub normalisation: NormalisationTarget,
}

impl Default for LadderConfig {
    fn default() -> Self {
        Self {
            rungs: vec![
                Rung::lossy(Codec::Aac, 96),
                Rung::lossy(Codec::Aac, 160),
                Rung::lossy(Codec::Aac, 256),
                Rung::lossy(Codec::Opus, 64),
                Rung::lossy(Codec::Opus, 96),
                Rung::lossy(Codec::Opus, 160),
            ],
            segment_s: 6.0,
            flac_for_lossless: false,
            normalisation: NormalisationTarget::default(),
        }
    }
}

/// The rate every rendition is encoded at (Opus only runs at 48 kHz; AAC follows so that
/// segment boundaries can be identical).
pub const OUTPUT_RATE: u32 = 48_000;

/// 0.32 s: the shortest time that is a whole number of both AAC frames (1024 samples) and
/// Opus frames (960 samples) at 48 kHz — 15 and 16 of them.
const SHARED_FRAME_PERIOD_S: f64 = 0.32;

impl LadderConfig {
    /// Checks the configuration; the error names what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if !(1.0..=30.0).contains(&self.segment_s) {
            return Err(format!(
                "segment_s must be between 1 and 30 seconds, not {}",
                self.segment_s
            ));
        }
        if self.rungs.is_empty() {
            return Err("the ladder needs at least one rung".into());
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.rungs {
            match (r.codec, r.kbps) {
                (Codec::Flac, _) => {
                    return Err("FLAC is not a configured rung: set flac_for_lossless".into())
                }
                (_, None) => return Err(format!("the {} rung needs kbps", r.codec.name())),
                (Codec::Aac, Some(k)) if !(16..=512).contains(&k) => {
                    return Err(format!("AAC bitrate {k} kb/s is outside 16..=512"))
                }
                (Codec::Opus, Some(k)) if !(6..=510).contains(&k) => {
                    return Err(format!("Opus bitrate {k} kb/s is outside 6..=510"))
                }
                _ => {}
            }
            if !seen.insert(r.id()) {
                return Err(format!("the rung {} is listed twice", r.id()));
            }
        }
        let n = self.normalisation;
        if !(-70.0..=0.0).contains(&n.target_lufs) || !(-20.0..=0.0).contains(&n.peak_ceiling_dbtp)
        {
            return Err(
                "target_lufs must be within -70..=0 and peak_ceiling_dbtp within -20..=0".into(),
            );
        }
        Ok(())
    }

    /// The segment length actually used: the configured one snapped to a whole number of
    /// shared frame periods, so every AAC and Opus segment of a ladder ends on the same
    /// sample.
    pub fn segment_s(&self) -> f64 {
        let periods = (self.segment_s / SHARED_FRAME_PERIOD_S).round().max(1.0);
        periods * SHARED_FRAME_PERIOD_S
    }
}

/// What the ladder needs to know of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceQuality {
    /// Codec short name, as the decoder reports it (`mp3`, `aac`, `vorbis`, `opus`, `flac`,
    /// `alac`, `pcm_s16le`, …).
    pub codec: String,
    /// Average bitrate, kbit/s, when known.
    pub bitrate_kbps: Option<f64>,
    pub sample_rate: u32,
    pub channels: usize,
}

impl SourceQuality {
    /// Lossless codecs: PCM of any kind, FLAC, ALAC, WavPack.
    pub fn is_lossless(&self) -> bool {
        let c = self.codec.as_str();
        c.starts_with("pcm") || matches!(c, "flac" | "alac" | "wavpack" | "ape" | "tta")
    }
}

/// How many kbit/s of MP3 one kbit/s of a codec is worth, roughly (listening tests put AAC-LC
/// and Vorbis around 1.25×, Opus around 1.6×). Unknown lossy codecs count as MP3.
fn efficiency(codec: &str) -> f64 {
    match codec {
        "aac" | "vorbis" => 1.25,
        "opus" => 1.6,
        _ => 1.0,
    }
}

/// How far above the source's equivalent bitrate a rung may still be: encoders at the same
/// nominal quality differ, and dropping a rung the source could fill is worse than keeping one.
const TOLERANCE: f64 = 1.25;

/// Below this sample rate a source has no high frequencies to spend bits on: each codec keeps
/// only its lowest rung.
const NARROWBAND_RATE: u32 = 32_000;

/// The rungs for `source`: every configured rung whose bitrate the source can fill, the
/// lowest of each codec always, and FLAC for a lossless source when configured.
pub fn rungs_for(config: &LadderConfig, source: &SourceQuality) -> Vec<Rung> {
    let mut lowest = std::collections::HashMap::new();
    for r in &config.rungs {
        let k = r.kbps.unwrap_or(u32::MAX);
        let e = lowest.entry(r.codec).or_insert(k);
        *e = (*e).min(k);
    }
    let narrowband = source.sample_rate < NARROWBAND_RATE;
    let ceiling = |codec: Codec| -> f64 {
        if narrowband {
            return 0.0;
        }
        match source.bitrate_kbps {
            _ if source.is_lossless() => f64::INFINITY,
            Some(b) if b > 0.0 => {
                b * efficiency(&source.codec) / efficiency(codec.name()) * TOLERANCE
            }
            _ => f64::INFINITY,
        }
    };
    let mut rungs: Vec<Rung> = config
        .rungs
        .iter()
        .filter(|r| {
            let k = r.kbps.unwrap_or(0);
            lowest.get(&r.codec) == Some(&k) || f64::from(k) <= ceiling(r.codec)
        })
        .copied()
        .collect();
    if config.flac_for_lossless && source.is_lossless() {
        rungs.push(Rung::flac());
    }
    rungs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(codec: &str, kbps: Option<f64>, rate: u32) -> SourceQuality {
        SourceQuality {
            codec: codec.into(),
            bitrate_kbps: kbps,
            sample_rate: rate,
            channels: 2,
        }
    }

    fn ids(r: &[Rung]) -> Vec<String> {
        r.iter().map(Rung::id).collect()
    }

    #[test]
    fn a_lossless_source_gets_the_whole_ladder_and_flac_when_asked() {
        let mut c = LadderConfig::default();
        let s = source("flac", Some(900.0), 44_100);
        assert_eq!(rungs_for(&c, &s).len(), 6);
        c.flac_for_lossless = true;
        assert_eq!(ids(&rungs_for(&c, &s)).last().unwrap(), "flac");
        let pcm = source("pcm_s24le", Some(4608.0), 96_000);
        assert_eq!(rungs_for(&c, &pcm).len(), 7);
    }

    #[test]
    fn a_128k_mp3_gets_no_rung_above_its_quality() {
        let r = ids(&rungs_for(
            &LadderConfig::default(),
            &source("mp3", Some(128.0), 44_100),
        ));
        assert_eq!(r, ["aac-96", "opus-64", "opus-96"]);
        assert!(!r.contains(&"aac-256".to_string()));
    }

    #[test]
    fn a_320k_mp3_and_a_256k_aac_keep_everything() {
        let c = LadderConfig::default();
        assert_eq!(rungs_for(&c, &source("mp3", Some(320.0), 44_100)).len(), 6);
        assert_eq!(rungs_for(&c, &source("aac", Some(256.0), 44_100)).len(), 6);
    }

    #[test]
    fn a_very_low_bitrate_source_keeps_the_lowest_rung_of_each_codec() {
        let r = ids(&rungs_for(
            &LadderConfig::default(),
            &source("opus", Some(24.0), 48_000),
        ));
        assert_eq!(r, ["aac-96", "opus-64"]);
    }

    #[test]
    fn a_narrowband_source_keeps_only_the_lowest_rungs() {
        let r = ids(&rungs_for(
            &LadderConfig::default(),
            &source("pcm_s16le", Some(128.0), 8_000),
        ));
        assert_eq!(r, ["aac-96", "opus-64"]);
    }

    #[test]
    fn unknown_bitrate_keeps_the_ladder() {
        assert_eq!(
            rungs_for(&LadderConfig::default(), &source("vorbis", None, 44_100)).len(),
            6
        );
    }

    #[test]
    fn segments_snap_to_shared_frame_boundaries() {
        let c = LadderConfig::default();
        assert!((c.segment_s() - 6.08).abs() < 1e-9);
        // 6.08 s at 48 kHz is a whole number of AAC and of Opus frames.
        let samples = (c.segment_s() * 48_000.0).round() as u64;
        assert_eq!(samples % 1024, 0);
        assert_eq!(samples % 960, 0);
    }

    #[test]
    fn bad_configurations_are_refused_with_the_reason() {
        let mut c = LadderConfig::default();
        c.rungs.push(Rung::lossy(Codec::Aac, 96));
        assert!(c.validate().unwrap_err().contains("twice"));
        let c = LadderConfig {
            segment_s: 0.2,
            ..LadderConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("segment_s"));
        let c = LadderConfig {
            rungs: vec![Rung::lossy(Codec::Opus, 1000)],
            ..LadderConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("Opus"));
        assert!(LadderConfig::default().validate().is_ok());
    }
}
