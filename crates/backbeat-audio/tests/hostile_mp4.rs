//! MP4 files whose declared sizes do not fit in them: refused before symphonia allocates from
//! the declarations (found by `fuzz/fuzz_targets/mp4.rs`).

use std::sync::Arc;

use backbeat_audio::decode::{DecodeLimits, DecodedStream};
use backbeat_audio::AudioError;

use crate::common::fixture;

/// The AAC-in-M4A fixture with the 4 bytes at `offset` after the body start of its first
/// `box_type` box replaced by `value`.
fn patched(box_type: &[u8; 4], offset: usize, value: u32) -> Vec<u8> {
    let mut bytes = std::fs::read(fixture("chord_aac.m4a")).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == box_type)
        .unwrap_or_else(|| panic!("no {box_type:?} box in the fixture"))
        + 4;
    bytes[at + offset..at + offset + 4].copy_from_slice(&value.to_be_bytes());
    bytes
}

fn open(bytes: Vec<u8>) -> Result<DecodedStream, AudioError> {
    DecodedStream::from_bytes(Arc::from(bytes), Some("m4a"), DecodeLimits::default())
}

#[test]
fn the_fixture_decodes_from_memory_as_from_its_file() {
    let bytes = std::fs::read(fixture("chord_aac.m4a")).unwrap();
    let mut memory = open(bytes).unwrap();
    let mut file = DecodedStream::open(&fixture("chord_aac.m4a"), DecodeLimits::default()).unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    while let Some(chunk) = memory.next_chunk().unwrap() {
        a.extend_from_slice(chunk.samples);
    }
    while let Some(chunk) = file.next_chunk().unwrap() {
        b.extend_from_slice(chunk.samples);
    }
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

/// A sample size of 2.8 GB in `stsz` (version/flags, constant size 0, count, then sizes):
/// symphonia allocated a zeroed buffer of that size for the packet.
#[test]
fn a_sample_larger_than_the_file_is_refused() {
    let err = open(patched(b"stsz", 12, 0xAB00_0000))
        .err()
        .expect("refused");
    assert!(
        matches!(&err, AudioError::Corrupt(m) if m.contains("sample of")),
        "{err}"
    );
}

/// An entry count of 4 billion in `stco` (version/flags, then the count): symphonia reserved
/// 32 GiB for the table, and the failed allocation aborted the process.
#[test]
fn a_table_count_beyond_its_box_is_refused() {
    for (table, offset) in [(b"stco", 4), (b"stts", 4), (b"stsc", 4), (b"stsz", 8)] {
        let err = open(patched(table, offset, u32::MAX))
            .err()
            .expect("refused");
        assert!(
            matches!(&err, AudioError::Corrupt(m) if m.contains("entries")),
            "{table:?}: {err}"
        );
    }
}
