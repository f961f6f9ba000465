//! Container sniffing over arbitrary leading bytes: never panics, and agrees with itself on
//! any longer prefix (the sniffer only ever looks at the first 16 bytes).
#![no_main]

use backbeat_audio::decode::sniff_container;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let head = &data[..data.len().min(16)];
    assert_eq!(sniff_container(data), sniff_container(head));
});
