//! CMAF init and media segments: `backbeat_media::fmp4` over any bytes, and the Opus gain
//! patch, which must change nothing but the two gain bytes. Seeded with init and media
//! segments ffmpeg writes (see README.md).
#![no_main]

use backbeat_media::fmp4::{opus_output_gain, parse_init, parse_segment, set_opus_output_gain};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_init(data);
    if let Ok(s) = parse_segment(data) {
        assert!(s.samples > 0 || s.duration == 0);
    }
    let mut patched = data.to_vec();
    if set_opus_output_gain(&mut patched, -1234).is_ok() {
        assert_eq!(opus_output_gain(&patched), Ok(-1234));
        let changed = data.iter().zip(&patched).filter(|(a, b)| a != b).count();
        assert!(changed <= 2);
    } else {
        assert_eq!(patched, data);
    }
});
