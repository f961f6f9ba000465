//! Helpers shared by the fuzz targets.

#[cfg(feature = "audio")]
mod audio {
    use std::sync::{Arc, Once};

    use backbeat_audio::decode::{DecodeLimits, DecodedStream};

    /// Decodes `data` to the end, as a worker would, and checks what comes out.
    ///
    /// `DecodedStream` contains panics of symphonia as `AudioError::Panic`; libfuzzer-sys's
    /// panic hook would abort on those anyway, so the hook is replaced by a silent one. A panic
    /// that escapes `DecodedStream` still aborts (libfuzzer-sys catches it at the boundary).
    pub fn decode_all(data: &[u8], extension: Option<&str>) {
        static QUIET: Once = Once::new();
        QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
        let limits = DecodeLimits {
            // Keeps one input's work bounded; a few seconds of audio cover every code path.
            max_duration_secs: 120.0,
            ..DecodeLimits::default()
        };
        let Ok(mut stream) = DecodedStream::from_bytes(Arc::from(data), extension, limits) else {
            return;
        };
        while let Ok(Some(chunk)) = stream.next_chunk() {
            assert!(chunk.channels > 0, "a chunk without channels");
            assert_eq!(chunk.samples.len() % chunk.channels, 0, "a partial frame");
            assert!(chunk.channels <= limits.max_channels);
        }
    }
}

#[cfg(feature = "audio")]
pub use audio::decode_all;
