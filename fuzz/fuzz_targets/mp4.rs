//! MP4 input: our edit-list reader and symphonia's ISO-BMFF demuxer (sample tables, codec
//! configuration) behind `DecodedStream`. Seeded with the M4A fixtures.
#![no_main]

use std::io::Cursor;

use backbeat_audio::decode::edit_list_delay;
use backbeat_fuzz::decode_all;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = edit_list_delay(&mut Cursor::new(data));
    decode_all(data, Some("m4a"));
});
