//! Loudness normalisation: the gain that brings a track to a target integrated loudness
//! (−14 LUFS by default, what the large streaming services play at), never pushing its true
//! peak over a ceiling. The gain is applied by the player (the stream API hands it out), by an
//! Opus decoder (the header's output gain, RFC 7845 §5.1), or by an on-demand transcode.

use serde::{Deserialize, Serialize};

/// Where a track is brought to, and how far its peaks may go.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct NormalisationTarget {
    /// Integrated loudness to reach, LUFS.
    pub target_lufs: f64,
    /// The true peak after the gain stays at or below this, dBTP.
    pub peak_ceiling_dbtp: f64,
}

impl Default for NormalisationTarget {
    fn default() -> Self {
        Self {
            target_lufs: -14.0,
            peak_ceiling_dbtp: -1.0,
        }
    }
}

/// A track's normalisation, as the stream API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gain {
    /// What to add to the track's level, dB (0 for silence or unknown loudness).
    pub gain_db: f64,
    /// The track's true peak, dBTP, when measured.
    pub peak_db: Option<f64>,
    /// The track's integrated loudness, LUFS, when measured (silence has none).
    pub loudness_lufs: Option<f64>,
    /// The loudness the gain aims at, LUFS.
    pub target_lufs: f64,
    /// Whether the peak ceiling made the gain smaller than the loudness alone asks for.
    pub peak_limited: bool,
}

impl Gain {
    /// The gain as the Opus header's output gain: Q7.8 fixed point dB (RFC 7845 §5.1),
    /// rounded to the nearest step of 1/256 dB.
    pub fn opus_output_gain(&self) -> i16 {
        let q = (self.gain_db * 256.0).round();
        q.clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
    }

    /// The gain as a linear factor.
    pub fn linear(&self) -> f64 {
        10f64.powf(self.gain_db / 20.0)
    }
}

/// The gain for a track of integrated loudness `loudness_lufs` and true peak `peak_dbtp`
/// towards `target`. Rounded to 0.01 dB so that every consumer (API, Opus header, on-demand
/// cache key) carries the same number.
pub fn normalisation_gain(
    loudness_lufs: Option<f64>,
    peak_dbtp: Option<f64>,
    target: NormalisationTarget,
) -> Gain {
    let loudness = loudness_lufs.filter(|l| l.is_finite());
    let peak = peak_dbtp.filter(|p| p.is_finite());
    let wanted = loudness.map_or(0.0, |l| target.target_lufs - l);
    let room = peak.map_or(f64::INFINITY, |p| target.peak_ceiling_dbtp - p);
    // Only a boost can push the peak over the ceiling; a cut is always allowed, and a track
    // already over the ceiling is not cut further than its loudness asks.
    let (gain, limited) = if wanted > room && wanted > 0.0 {
        (room.max(0.0), true)
    } else {
        (wanted, false)
    };
    Gain {
        gain_db: (gain * 100.0).round() / 100.0,
        peak_db: peak,
        loudness_lufs: loudness,
        target_lufs: target.target_lufs,
        peak_limited: limited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: NormalisationTarget = NormalisationTarget {
        target_lufs: -14.0,
        peak_ceiling_dbtp: -1.0,
    };

    #[test]
    fn a_loud_master_is_turned_down() {
        let g = normalisation_gain(Some(-8.3), Some(0.4), T);
        assert_eq!(g.gain_db, -5.7);
        assert!(!g.peak_limited);
        assert_eq!(g.opus_output_gain(), (-5.7f64 * 256.0).round() as i16);
    }

    #[test]
    fn a_quiet_track_is_boosted_only_up_to_the_peak_ceiling() {
        let g = normalisation_gain(Some(-23.0), Some(-6.0), T);
        assert_eq!(g.gain_db, 5.0);
        assert!(g.peak_limited);
        let g = normalisation_gain(Some(-23.0), Some(-12.0), T);
        assert_eq!(g.gain_db, 9.0);
        assert!(!g.peak_limited);
    }

    #[test]
    fn a_quiet_track_already_peaking_over_the_ceiling_is_left_alone() {
        let g = normalisation_gain(Some(-20.0), Some(0.5), T);
        assert_eq!(g.gain_db, 0.0);
        assert!(g.peak_limited);
    }

    #[test]
    fn silence_and_unmeasured_loudness_get_no_gain() {
        for (l, p) in [
            (None, None),
            (Some(f64::NEG_INFINITY), None),
            (Some(f64::NAN), Some(-3.0)),
        ] {
            let g = normalisation_gain(l, p, T);
            assert_eq!(g.gain_db, 0.0);
            assert_eq!(g.opus_output_gain(), 0);
        }
    }

    #[test]
    fn the_opus_gain_saturates_instead_of_wrapping() {
        let g = normalisation_gain(Some(-200.0), None, T);
        assert_eq!(g.opus_output_gain(), i16::MAX);
    }
}
