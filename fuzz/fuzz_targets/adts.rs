//! Raw AAC (ADTS) input through the guarded ADTS reader and the AAC decoder. Seeded with the
//! ADTS fixture; the probe finds the sync word anywhere in the first MiB, so a junk or tag
//! prefix still reaches the reader.
#![no_main]

use backbeat_fuzz::decode_all;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| decode_all(data, Some("aac")));
