//! The whole decoder over arbitrary bytes, any format: opening and decoding to the end gives
//! samples or an error, never an escaped panic, an abort or an unbounded allocation.
#![no_main]

use backbeat_fuzz::decode_all;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| decode_all(data, None));
