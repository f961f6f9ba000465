//! Down-mix to mono and resample to the analysis rate, as a stream.
//!
//! The FFT resampler of `rubato` (realfft underneath) handles every rational ratio
//! (44.1 k, 48 k, 96 k, 8 k, 11.025 k → 22.05 k) with a steep anti-aliasing filter. Its
//! group delay is removed here, so sample `n` of the output is at time `n / out_rate` exactly —
//! beat times depend on that.

use rubato::{FftFixedIn, Resampler};

use crate::AudioError;

/// Input frames per resampler call; large enough to amortise the FFT, small enough to stay in cache.
const CHUNK: usize = 2048;

/// Streaming mono down-mix plus sample-rate conversion.
pub struct MonoResampler {
    channels: usize,
    inner: Option<Inner>,
    mono: Vec<f32>,
}

struct Inner {
    resampler: FftFixedIn<f32>,
    out_buf: Vec<Vec<f32>>,
    /// Output frames still to drop to cancel the filter delay.
    skip: usize,
    frames_in: u64,
    frames_out: u64,
    ratio: f64,
}

impl MonoResampler {
    /// A resampler from `in_rate` Hz with `channels` interleaved channels to mono `out_rate` Hz.
    pub fn new(in_rate: u32, channels: usize, out_rate: u32) -> Result<Self, AudioError> {
        if in_rate == 0 || channels == 0 {
            return Err(AudioError::Corrupt(format!(
                "invalid stream format: {in_rate} Hz, {channels} channels"
            )));
        }
        let inner = if in_rate == out_rate {
            None
        } else {
            let resampler =
                FftFixedIn::<f32>::new(in_rate as usize, out_rate as usize, CHUNK, 2, 1).map_err(
                    |e| AudioError::UnsupportedCodec(format!("cannot resample {in_rate} Hz: {e}")),
                )?;
            let out_buf = vec![vec![0.0; resampler.output_frames_max()]];
            let skip = resampler.output_delay();
            Some(Inner {
                resampler,
                out_buf,
                skip,
                frames_in: 0,
                frames_out: 0,
                ratio: f64::from(out_rate) / f64::from(in_rate),
            })
        };
        Ok(MonoResampler {
            channels,
            inner,
            mono: Vec::with_capacity(CHUNK * 2),
        })
    }

    /// Add interleaved samples; resampled mono samples are appended to `out`.
    pub fn push_interleaved(
        &mut self,
        samples: &[f32],
        out: &mut Vec<f32>,
    ) -> Result<(), AudioError> {
        let ch = self.channels;
        let target = match self.inner {
            None => &mut *out,
            Some(_) => &mut self.mono,
        };
        if ch == 1 {
            target.extend_from_slice(samples);
        } else {
            let scale = 1.0 / ch as f32;
            target.extend(
                samples
                    .chunks_exact(ch)
                    .map(|f| f.iter().sum::<f32>() * scale),
            );
        }
        if let Some(inner) = &mut self.inner {
            let mut start = 0;
            loop {
                let need = inner.resampler.input_frames_next();
                if self.mono.len() - start < need {
                    break;
                }
                inner.run(Some(&self.mono[start..start + need]), out)?;
                start += need;
            }
            self.mono.drain(..start);
        }
        Ok(())
    }

    /// Resample what is left and append the tail to `out`.
    pub fn flush(&mut self, out: &mut Vec<f32>) -> Result<(), AudioError> {
        let Some(inner) = &mut self.inner else {
            return Ok(());
        };
        let rest = std::mem::take(&mut self.mono);
        let expected = ((inner.frames_in + rest.len() as u64) as f64 * inner.ratio).round() as u64;
        if !rest.is_empty() {
            inner.run(Some(&rest), out)?;
        }
        // Zero input pushes the delayed samples out; stop at the expected length.
        let mut guard = 0;
        while inner.frames_out < expected && guard < 64 {
            inner.run(None, out)?;
            guard += 1;
        }
        let excess = inner.frames_out.saturating_sub(expected) as usize;
        out.truncate(out.len().saturating_sub(excess));
        inner.frames_out -= excess as u64;
        Ok(())
    }
}

impl Inner {
    fn run(&mut self, input: Option<&[f32]>, out: &mut Vec<f32>) -> Result<(), AudioError> {
        let result = match input {
            Some(x) if x.len() == self.resampler.input_frames_next() => self
                .resampler
                .process_into_buffer(&[x], &mut self.out_buf, None),
            Some(x) => {
                self.resampler
                    .process_partial_into_buffer(Some(&[x]), &mut self.out_buf, None)
            }
            None => self.resampler.process_partial_into_buffer(
                None::<&[&[f32]]>,
                &mut self.out_buf,
                None,
            ),
        };
        // Buffers are sized from the resampler's own maxima, so an error is a bug, not bad input;
        // it still ends only this file's analysis, with a reason.
        let (consumed, produced) =
            result.map_err(|e| AudioError::Internal(format!("resampler: {e}")))?;
        if input.is_some() {
            self.frames_in += input.map_or(0, |x| x.len().min(consumed)) as u64;
        }
        let produced_slice = &self.out_buf[0][..produced];
        let drop = self.skip.min(produced);
        self.skip -= drop;
        out.extend_from_slice(&produced_slice[drop..]);
        self.frames_out += (produced - drop) as u64;
        Ok(())
    }
}
