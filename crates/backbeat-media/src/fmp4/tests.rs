use super::*;

/// A box of `kind` around `body`.
fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

fn tfhd(flags: u32, default_duration: Option<u32>) -> Vec<u8> {
    let mut b = flags.to_be_bytes().to_vec();
    b.extend_from_slice(&1u32.to_be_bytes());
    if let Some(d) = default_duration {
        b.extend_from_slice(&d.to_be_bytes());
    }
    bx(b"tfhd", &b)
}

fn tfdt_v0(t: u32) -> Vec<u8> {
    let mut b = vec![0, 0, 0, 0];
    b.extend_from_slice(&t.to_be_bytes());
    bx(b"tfdt", &b)
}

fn trun_durations(durations: &[u32]) -> Vec<u8> {
    let mut b = (TRUN_SAMPLE_DURATION | 0x200).to_be_bytes().to_vec();
    b.extend_from_slice(&(durations.len() as u32).to_be_bytes());
    for d in durations {
        b.extend_from_slice(&d.to_be_bytes());
        b.extend_from_slice(&100u32.to_be_bytes());
    }
    bx(b"trun", &b)
}

/// A fragment: `moof` and its `mdat`.
fn moof(traf_body: &[u8]) -> Vec<u8> {
    let mut v = bx(b"moof", &bx(b"traf", traf_body));
    v.extend(bx(b"mdat", &[0; 8]));
    v
}

#[test]
fn per_sample_durations_are_summed_over_fragments() {
    let mut seg = bx(b"styp", b"msdh");
    seg.extend(moof(
        &[tfhd(0, None), tfdt_v0(960), trun_durations(&[960, 960])].concat(),
    ));
    seg.extend(moof(
        &[tfhd(0, None), tfdt_v0(2880), trun_durations(&[480])].concat(),
    ));
    let info = parse_segment(&seg).unwrap();
    assert_eq!(
        info,
        SegmentInfo {
            start: 960,
            duration: 2400,
            samples: 3
        }
    );
}

#[test]
fn a_gap_between_fragments_is_refused() {
    let mut seg = moof(&[tfhd(0, None), tfdt_v0(0), trun_durations(&[960])].concat());
    seg.extend(moof(
        &[tfhd(0, None), tfdt_v0(1000), trun_durations(&[960])].concat(),
    ));
    assert!(matches!(parse_segment(&seg), Err(Fmp4Error::Invalid(_))));
}

#[test]
fn default_durations_come_from_tfhd_and_are_required() {
    let mut trun = 0u32.to_be_bytes().to_vec();
    trun.extend_from_slice(&4u32.to_be_bytes());
    let with_default = moof(
        &[
            tfhd(TFHD_DEFAULT_DURATION, Some(1024)),
            tfdt_v0(0),
            bx(b"trun", &trun),
        ]
        .concat(),
    );
    assert_eq!(parse_segment(&with_default).unwrap().duration, 4096);
    let without = moof(&[tfhd(0, None), tfdt_v0(0), bx(b"trun", &trun)].concat());
    assert!(matches!(
        parse_segment(&without),
        Err(Fmp4Error::Invalid(_))
    ));
}

#[test]
fn a_trun_claiming_more_samples_than_it_holds_is_truncated() {
    let mut b = TRUN_SAMPLE_DURATION.to_be_bytes().to_vec();
    b.extend_from_slice(&u32::MAX.to_be_bytes());
    b.extend_from_slice(&960u32.to_be_bytes());
    let seg = moof(&[tfhd(0, None), tfdt_v0(0), bx(b"trun", &b)].concat());
    assert_eq!(
        parse_segment(&seg),
        Err(Fmp4Error::Truncated(BoxType(*b"trun")))
    );
}

#[test]
fn largesize_boxes_are_read() {
    // size 1, then a 64-bit size covering the 16-byte header and the body.
    let inner = [tfhd(0, None), tfdt_v0(5), trun_durations(&[10])].concat();
    let traf = bx(b"traf", &inner);
    let mut seg = 1u32.to_be_bytes().to_vec();
    seg.extend_from_slice(b"moof");
    seg.extend_from_slice(&((traf.len() + 16) as u64).to_be_bytes());
    seg.extend(traf);
    seg.extend(bx(b"mdat", &[]));
    assert_eq!(parse_segment(&seg).unwrap().start, 5);
}

#[test]
fn box_sizes_smaller_than_a_header_are_refused() {
    let mut seg = 4u32.to_be_bytes().to_vec();
    seg.extend_from_slice(b"moof");
    assert!(matches!(
        parse_segment(&seg),
        Err(Fmp4Error::BadSize { size: 4, .. })
    ));
}

#[test]
fn a_moof_without_its_mdat_is_a_cut_file() {
    let traf = [tfhd(0, None), tfdt_v0(0), trun_durations(&[960])].concat();
    let seg = bx(b"moof", &bx(b"traf", &traf));
    assert_eq!(
        parse_segment(&seg),
        Err(Fmp4Error::Missing(BoxType(*b"mdat")))
    );
}

#[test]
fn what_is_missing_is_named() {
    assert_eq!(
        parse_segment(&bx(b"styp", b"msdh")),
        Err(Fmp4Error::Missing(BoxType(*b"moof")))
    );
    let mut seg = bx(b"moof", &bx(b"mfhd", &[0; 8]));
    seg.extend(bx(b"mdat", &[]));
    assert_eq!(
        parse_segment(&seg),
        Err(Fmp4Error::Missing(BoxType(*b"traf")))
    );
}

#[test]
fn box_types_print_escaped() {
    assert_eq!(BoxType(*b"mo\x00\xff").to_string(), "mo\\x00\\xff");
}
