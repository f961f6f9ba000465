//! A guard around symphonia's ADTS (raw AAC) reader.
//!
//! symphonia-codec-aac 0.5.5 estimates an ADTS stream's length by sampling four points between
//! the first frame and the end of the file. The arithmetic (`step = (len - pos - pos) / 4`)
//! underflows — a panic in debug builds, a wild range in release — when the first frame starts
//! past the middle of the file, and `step_by(0)` panics when fewer than four bytes follow it.
//! Both happen on real input: the probe finds an ADTS sync word anywhere in the first 1 MiB,
//! so arbitrary bytes, or a short AAC stream behind a large ID3 tag (cover art), reach it.
//!
//! The probe (`super::probe`) registers the same reader with a checked instantiation: when the estimate
//! would go wrong, the reader gets a view of the stream with no known length, so it skips the
//! estimate (the duration then comes from the frames decoded, as for every other format).

use std::io::{self, Read, Seek, SeekFrom};

use symphonia::core::errors::Result as SymResult;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream, ReadBytes};
use symphonia::default::formats::AdtsReader;

/// Whether symphonia's length estimate is sound for a first frame at `pos` in `len` bytes.
fn estimate_is_safe(pos: u64, len: Option<u64>) -> bool {
    match len {
        // `len - pos` is the remaining length; the reader then subtracts `pos` again and
        // divides by four, and steps by the quotient, which must be at least one.
        Some(len) => len
            .checked_sub(pos)
            .and_then(|rest| rest.checked_sub(pos))
            .is_some_and(|span| span >= 4),
        None => true,
    }
}

pub(super) fn open_adts(
    mss: MediaSourceStream,
    opts: &FormatOptions,
) -> SymResult<Box<dyn FormatReader>> {
    let reader = if estimate_is_safe(mss.pos(), mss.byte_len()) {
        AdtsReader::try_new(mss, opts)?
    } else {
        let unsized_view = MediaSourceStream::new(Box::new(Unsized(mss)), Default::default());
        AdtsReader::try_new(unsized_view, opts)?
    };
    Ok(Box::new(reader))
}

/// A stream that reads on from where it is but reports neither a length nor seeking.
struct Unsized(MediaSourceStream);

impl Read for Unsized {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Seek for Unsized {
    fn seek(&mut self, _pos: SeekFrom) -> io::Result<u64> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this ADTS stream is read front to back",
        ))
    }
}

impl MediaSource for Unsized {
    fn is_seekable(&self) -> bool {
        false
    }

    fn byte_len(&self) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::estimate_is_safe;

    #[test]
    fn the_estimate_is_refused_where_symphonia_would_underflow() {
        assert!(estimate_is_safe(0, Some(100)));
        assert!(estimate_is_safe(10, Some(24)));
        assert!(!estimate_is_safe(10, Some(23)), "step would be zero");
        assert!(!estimate_is_safe(60, Some(100)), "frame past the middle");
        assert!(!estimate_is_safe(200, Some(100)));
        assert!(estimate_is_safe(5, None));
    }
}
