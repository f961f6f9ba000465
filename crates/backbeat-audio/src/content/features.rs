//! Frame features and their per-segment (≈1 s) summaries for speech and vocal detection.

use std::f64::consts::TAU;

/// Features of one 46 ms frame.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FrameFeat {
    /// Mean square of the frame samples.
    pub ms: f64,
    /// Zero-crossing rate (crossings per sample).
    pub zcr: f64,
    /// Power-weighted spectral centroid (Hz).
    pub centroid: f64,
    /// Positive magnitude flux over magnitude sum (gain-invariant).
    pub flux: f64,
    /// Amplitude (√power) in the 150–4000 Hz speech band, for the 4 Hz modulation.
    pub speech_amp: f64,
    /// Autocorrelation F0 (Hz); meaningful only when `harmonicity` is high.
    pub f0: f64,
    /// Periodicity strength in [0, 1].
    pub harmonicity: f64,
}

/// Frames with harmonicity above this count as voiced/pitched.
const VOICED: f64 = 0.6;

/// Summary of one segment (≈1 s = 43 frames); the inputs of the speech and vocal models.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct SegmentFeatures {
    /// Segment level: mean square in dBFS.
    pub level_db: f64,
    /// ln of the 3–6 Hz modulation power of the speech-band envelope over its mean power.
    pub mod4: f64,
    /// Share of frames below half the segment's mean square (pauses between syllables/words).
    pub low_energy: f64,
    /// Standard deviation of the normalised spectral flux.
    pub flux_sd: f64,
    /// Standard deviation of the zero-crossing rate, ×100.
    pub zcr_sd: f64,
    /// Standard deviation of ln(centroid).
    pub centroid_sd: f64,
    /// Share of frames that are voiced (harmonicity > 0.6).
    pub voiced: f64,
    /// Mean harmonicity.
    pub harmonicity: f64,
    /// Among consecutive voiced frames, share whose pitch moves less than 1/3 semitone.
    pub pitch_steady: f64,
    /// Mean |Δ pitch| (semitones per frame) between consecutive voiced frames closer than a
    /// minor third: glides and vibrato, excluding note jumps.
    pub pitch_wiggle: f64,
}

/// Summarise the frames of one segment; `frame_rate` is frames per second.
pub(crate) fn summarise(frames: &[FrameFeat], frame_rate: f64) -> SegmentFeatures {
    let n = frames.len().max(1) as f64;
    let mean_ms = frames.iter().map(|f| f.ms).sum::<f64>() / n;
    let low = frames.iter().filter(|f| f.ms < 0.5 * mean_ms).count() as f64 / n;
    let (mut steady, mut pairs, mut wiggle, mut wiggle_n) = (0usize, 0usize, 0.0, 0usize);
    for w in frames.windows(2) {
        if w[0].harmonicity > VOICED && w[1].harmonicity > VOICED && w[0].f0 > 0.0 {
            let semis = 12.0 * (w[1].f0 / w[0].f0).log2().abs();
            if !semis.is_finite() {
                continue;
            }
            pairs += 1;
            steady += usize::from(semis < 1.0 / 3.0);
            if semis < 3.0 {
                wiggle += semis;
                wiggle_n += 1;
            }
        }
    }
    SegmentFeatures {
        level_db: 10.0 * mean_ms.max(1e-12).log10(),
        mod4: modulation_4hz(frames, frame_rate),
        low_energy: low,
        flux_sd: sd(frames.iter().map(|f| f.flux)),
        zcr_sd: 100.0 * sd(frames.iter().map(|f| f.zcr)),
        centroid_sd: sd(frames.iter().map(|f| f.centroid.max(1.0).ln())),
        voiced: frames.iter().filter(|f| f.harmonicity > VOICED).count() as f64 / n,
        harmonicity: frames.iter().map(|f| f.harmonicity).sum::<f64>() / n,
        pitch_steady: if pairs > 0 {
            steady as f64 / pairs as f64
        } else {
            0.0
        },
        pitch_wiggle: if wiggle_n > 0 {
            wiggle / wiggle_n as f64
        } else {
            0.0
        },
    }
}

/// ln of (power of the Hann-windowed speech-band envelope at 3, 4, 5, 6 Hz) / (power at 0 Hz):
/// syllables come at ~4 per second, so speech is deeply modulated there.
fn modulation_4hz(frames: &[FrameFeat], frame_rate: f64) -> f64 {
    let n = frames.len();
    if n < 4 {
        return (1e-4f64).ln();
    }
    let dft_power = |hz: f64| {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, f) in frames.iter().enumerate() {
            let w = 0.5 - 0.5 * (TAU * i as f64 / n as f64).cos();
            let phase = TAU * hz * i as f64 / frame_rate;
            re += w * f.speech_amp * phase.cos();
            im -= w * f.speech_amp * phase.sin();
        }
        re * re + im * im
    };
    let dc = dft_power(0.0);
    let m: f64 = [3.0, 4.0, 5.0, 6.0].iter().map(|&hz| dft_power(hz)).sum();
    if dc > 0.0 && m.is_finite() {
        (m / dc + 1e-4).ln()
    } else {
        (1e-4f64).ln()
    }
}

fn sd(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let (n, sum) = values
        .clone()
        .fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    if n < 2 {
        return 0.0;
    }
    let mean = sum / n as f64;
    (values.map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(ms: f64, amp: f64, f0: f64, h: f64) -> FrameFeat {
        FrameFeat {
            ms,
            speech_amp: amp,
            f0,
            harmonicity: h,
            ..Default::default()
        }
    }

    #[test]
    fn four_hz_envelope_scores_far_above_a_steady_one() {
        let rate = 43.0;
        let modulated: Vec<FrameFeat> = (0..43)
            .map(|i| {
                let a = 1.0 + (TAU * 4.0 * i as f64 / rate).sin();
                frame(a * a, a, 0.0, 0.0)
            })
            .collect();
        let steady: Vec<FrameFeat> = (0..43).map(|_| frame(1.0, 1.0, 0.0, 0.0)).collect();
        let m = summarise(&modulated, rate);
        let s = summarise(&steady, rate);
        assert!(m.mod4 > s.mod4 + 3.0, "{} {}", m.mod4, s.mod4);
        assert!(m.low_energy > 0.2 && s.low_energy == 0.0);
    }

    #[test]
    fn steady_and_gliding_pitch_are_told_apart() {
        let steady: Vec<FrameFeat> = (0..43).map(|_| frame(1.0, 1.0, 220.0, 0.9)).collect();
        let glide: Vec<FrameFeat> = (0..43)
            .map(|i| frame(1.0, 1.0, 220.0 * 2f64.powf(i as f64 / 40.0), 0.9))
            .collect();
        let s = summarise(&steady, 43.0);
        let g = summarise(&glide, 43.0);
        assert_eq!(s.pitch_steady, 1.0);
        assert!(g.pitch_wiggle > 0.25 && s.pitch_wiggle == 0.0);
        assert_eq!(s.voiced, 1.0);
    }

    #[test]
    fn empty_and_tiny_segments_are_finite() {
        for frames in [vec![], vec![FrameFeat::default()]] {
            let s = summarise(&frames, 43.0);
            let v = [
                s.level_db,
                s.mod4,
                s.low_energy,
                s.flux_sd,
                s.zcr_sd,
                s.pitch_wiggle,
            ];
            assert!(v.iter().all(|x| x.is_finite()));
        }
    }
}
