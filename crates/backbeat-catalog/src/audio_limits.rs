//! The ceilings an upload's audio must stay under, by what it costs to process rather than by
//! its bytes: a 1.1 MB FLAC of 2.9 h of silence in 8 channels at 192 kHz decodes to 16 G
//! samples (~130 CPU-s of processing and ~800x its size in derived files), so bytes alone do
//! not bound the cost. Every refusal names the configuration key of the limit it broke.

use backbeat_audio::decode::DecodeLimits;

use crate::config::CatalogConfig;
use crate::error::CatalogError;

/// The upload limits, from [`CatalogConfig`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioLimits {
    /// `max_upload_bytes`.
    pub max_bytes: u64,
    /// `max_duration_s`.
    pub max_duration_s: f64,
    /// `max_channels`.
    pub max_channels: usize,
    /// `max_sample_rate`, Hz.
    pub max_sample_rate: u32,
    /// `max_decoded_samples`: duration × channels × sample rate.
    pub max_decoded_samples: u64,
}

impl AudioLimits {
    /// The limits the catalog is configured with.
    pub fn of(cfg: &CatalogConfig) -> Self {
        Self {
            max_bytes: cfg.max_upload_bytes,
            max_duration_s: cfg.max_duration_s,
            max_channels: cfg.max_channels,
            max_sample_rate: cfg.max_sample_rate,
            max_decoded_samples: cfg.max_decoded_samples,
        }
    }

    /// What the decoder itself enforces: the byte limit, and generous shape limits (ours are
    /// checked here, with their names, before and while decoding).
    pub(crate) fn decode_limits(&self) -> DecodeLimits {
        DecodeLimits {
            max_file_bytes: self.max_bytes,
            ..DecodeLimits::default()
        }
    }

    /// Checks a stream's shape (`0` means not known yet) and, when known, its duration.
    pub fn check(
        &self,
        channels: usize,
        sample_rate: u32,
        duration_s: Option<f64>,
    ) -> Result<(), CatalogError> {
        if channels > self.max_channels {
            return Err(CatalogError::AudioLimit(format!(
                "{channels} channels, over the limit max_channels = {}",
                self.max_channels
            )));
        }
        if sample_rate > self.max_sample_rate {
            return Err(CatalogError::AudioLimit(format!(
                "sample rate {sample_rate} Hz, over the limit max_sample_rate = {} Hz",
                self.max_sample_rate
            )));
        }
        let Some(duration_s) = duration_s else {
            return Ok(());
        };
        if duration_s > self.max_duration_s {
            return Err(CatalogError::AudioLimit(format!(
                "{duration_s:.0} s of audio, over the limit max_duration_s = {} s",
                self.max_duration_s
            )));
        }
        let samples = duration_s * channels as f64 * f64::from(sample_rate);
        if samples > self.max_decoded_samples as f64 {
            return Err(CatalogError::AudioLimit(format!(
                "{samples:.0} decoded samples ({duration_s:.0} s × {channels} channels × \
                 {sample_rate} Hz), over the limit max_decoded_samples = {}",
                self.max_decoded_samples
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn limits() -> AudioLimits {
        AudioLimits::of(&CatalogConfig::default())
    }

    fn refusal(r: Result<(), CatalogError>) -> String {
        match r {
            Err(CatalogError::AudioLimit(m)) => m,
            other => panic!("expected an audio limit, got {other:?}"),
        }
    }

    #[test]
    fn the_hostile_flac_is_refused_by_its_decoded_size_alone() {
        // 2.9 h, 8 channels, 192 kHz: within the duration, channel and rate limits.
        let m = refusal(limits().check(8, 192_000, Some(2.9 * 3600.0)));
        assert!(m.contains("max_decoded_samples"), "{m}");
    }

    #[test]
    fn ordinary_audio_passes_and_each_limit_names_itself() {
        let l = limits();
        l.check(2, 44_100, Some(3.0 * 3600.0)).unwrap();
        l.check(2, 96_000, Some(3600.0)).unwrap();
        l.check(0, 0, None).unwrap();
        assert!(refusal(l.check(9, 48_000, None)).contains("max_channels"));
        assert!(refusal(l.check(2, 384_000, None)).contains("max_sample_rate"));
        assert!(refusal(l.check(1, 8_000, Some(4.0 * 3600.0))).contains("max_duration_s"));
    }
}
