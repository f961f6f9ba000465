//! `fmp4` on hostile input: every cut of real files, impossible sizes, deep nesting and
//! garbage give errors, never a panic or a huge allocation.

use backbeat_media::fmp4::Fmp4Error;
use backbeat_media::fmp4::{opus_output_gain, parse_init, parse_segment, set_opus_output_gain};

use crate::fixture::packaged;

/// Every reader on `bytes`; a panic fails the test.
fn all_readers(bytes: &[u8]) -> [bool; 4] {
    let mut copy = bytes.to_vec();
    [
        parse_init(bytes).is_ok(),
        parse_segment(bytes).is_ok(),
        opus_output_gain(bytes).is_ok(),
        set_opus_output_gain(&mut copy, -256).is_ok(),
    ]
}

#[test]
fn empty_input_is_an_error() {
    assert_eq!(all_readers(&[]), [false; 4]);
}

#[test]
fn every_cut_of_a_real_file_is_an_error() {
    let Some(p) = packaged() else { return };
    for r in &p.ladder.renditions {
        let init = std::fs::read(p.dir.join(&r.init)).unwrap();
        assert!(parse_init(&init).is_ok());
        for n in 0..init.len() {
            assert!(
                parse_init(&init[..n]).is_err(),
                "{} cut at {n} parsed",
                r.init
            );
            let mut cut = init[..n].to_vec();
            assert!(set_opus_output_gain(&mut cut, 1).is_err());
        }
        let seg = std::fs::read(p.dir.join(&r.segments[0].name)).unwrap();
        assert!(parse_segment(&seg).is_ok());
        for n in 0..seg.len() {
            assert!(
                parse_segment(&seg[..n]).is_err(),
                "{} cut at {n} parsed",
                r.id
            );
        }
    }
}

#[test]
fn every_single_byte_corruption_of_an_init_is_survived() {
    let Some(p) = packaged() else { return };
    for r in &p.ladder.renditions {
        let init = std::fs::read(p.dir.join(&r.init)).unwrap();
        for i in 0..init.len() {
            for v in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                let mut bad = init.clone();
                bad[i] = v;
                all_readers(&bad);
            }
        }
    }
}

#[test]
fn a_box_claiming_four_gigabytes_is_truncated() {
    let mut b = u32::MAX.to_be_bytes().to_vec();
    b.extend_from_slice(b"moov");
    b.extend_from_slice(&[0; 64]);
    assert!(matches!(parse_init(&b), Err(Fmp4Error::Truncated(_))));
    b[4..8].copy_from_slice(b"moof");
    assert!(matches!(parse_segment(&b), Err(Fmp4Error::Truncated(_))));
}

#[test]
fn a_64_bit_size_beyond_the_file_is_truncated() {
    for size in [u64::MAX, 1 << 40, 17] {
        let mut b = 1u32.to_be_bytes().to_vec();
        b.extend_from_slice(b"moov");
        b.extend_from_slice(&size.to_be_bytes());
        assert!(
            matches!(parse_init(&b), Err(Fmp4Error::Truncated(_))),
            "{size}"
        );
    }
    // A largesize smaller than its own 16-byte header.
    let mut b = 1u32.to_be_bytes().to_vec();
    b.extend_from_slice(b"moof");
    b.extend_from_slice(&8u64.to_be_bytes());
    assert!(matches!(parse_segment(&b), Err(Fmp4Error::BadSize { .. })));
}

#[test]
fn a_zero_size_box_runs_to_the_end_and_no_further() {
    // size 0 = "to the end of the file": a moov with nothing in it.
    let mut b = 0u32.to_be_bytes().to_vec();
    b.extend_from_slice(b"moov");
    assert!(matches!(parse_init(&b), Err(Fmp4Error::Missing(_))));
}

/// `depth` boxes, each the only child of the one before, cycling through `kinds`
/// (written outside-in: wrapping would copy the whole buffer at every level).
fn nested(kinds: &[&[u8; 4]], depth: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(depth * 8);
    for i in 0..depth {
        b.extend_from_slice(&u32::try_from((depth - i) * 8).unwrap().to_be_bytes());
        b.extend_from_slice(kinds[i % kinds.len()]);
    }
    b
}

#[test]
fn boxes_nested_deep_are_an_error_not_a_stack_overflow() {
    for depth in [1000, 100_000] {
        assert_eq!(all_readers(&nested(&[b"moov"], depth)), [false; 4]);
        assert_eq!(all_readers(&nested(&[b"traf", b"moof"], depth)), [false; 4]);
        assert_eq!(
            all_readers(&nested(&[b"stbl", b"minf", b"mdia", b"trak"], depth)),
            [false; 4]
        );
    }
}

#[test]
fn garbage_is_an_error() {
    // xorshift: reproducible noise, some of it shaped like box headers.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for round in 0..2000 {
        let len = round % 300;
        let mut b: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        if len >= 8 && round % 2 == 0 {
            b[..4].copy_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
            b[4..8].copy_from_slice([b"moov", b"moof", b"trak", b"ftyp"][round % 4]);
        }
        all_readers(&b);
    }
}
