//! ISO/IEC 23009-1 checks of a static MPD: structure and required attributes, segment
//! addressing expanded the way a client expands it, and a timeline that covers the
//! presentation without gaps or overlaps, naming only files of the ladder.

use std::collections::HashSet;

use backbeat_media::model::{Codec, Ladder};
use roxmltree::{Document, Node};

use crate::fixture::percent_decode;

const NS: &str = "urn:mpeg:dash:schema:mpd:2011";

fn attr<'a>(n: Node<'a, '_>, name: &str) -> &'a str {
    n.attribute(name)
        .unwrap_or_else(|| panic!("<{}> without @{name}", n.tag_name().name()))
}

fn children<'a, 'i>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn only<'a, 'i>(n: Node<'a, 'i>, name: &'a str) -> Node<'a, 'i> {
    let v: Vec<_> = children(n, name).collect();
    assert_eq!(
        v.len(),
        1,
        "<{}> needs exactly one <{name}>",
        n.tag_name().name()
    );
    v[0]
}

fn int(v: &str) -> u64 {
    assert!(
        !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()),
        "not an integer: {v:?}"
    );
    v.parse().unwrap()
}

/// An xs:duration of the `PT[nH][nM][n[.n]S]` form, in seconds.
pub fn duration(v: &str) -> f64 {
    let mut rest = v
        .strip_prefix("PT")
        .unwrap_or_else(|| panic!("not PT…: {v}"));
    let mut total = 0.0;
    for (unit, scale) in [('H', 3600.0), ('M', 60.0), ('S', 1.0)] {
        if let Some(i) = rest.find(unit) {
            let n: f64 = rest[..i]
                .parse()
                .unwrap_or_else(|_| panic!("bad duration {v}"));
            total += n * scale;
            rest = &rest[i + 1..];
        }
    }
    assert!(rest.is_empty() && v.len() > 2, "bad duration {v}");
    total
}

/// `$Number…$` expanded per §5.3.9.4.4 (`$$` is a `$`; no other identifier is expected).
fn expand(template: &str, number: u64) -> String {
    let mut out = String::new();
    let mut parts = template.split('$');
    out.push_str(parts.next().unwrap());
    while let Some(id) = parts.next() {
        let literal = parts.next().expect("unbalanced $ in template");
        match id {
            "" => out.push('$'),
            "Number" => out.push_str(&number.to_string()),
            f if f.starts_with("Number%0") && f.ends_with('d') => {
                let w: usize = f["Number%0".len()..f.len() - 1].parse().unwrap();
                out.push_str(&format!("{number:0w$}"));
            }
            other => panic!("unexpected template identifier ${other}$"),
        }
        out.push_str(literal);
    }
    out
}

/// `(t, d)` of every segment of a `SegmentTimeline` (§5.3.9.6).
fn timeline(tl: Node) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut next = 0;
    for s in children(tl, "S") {
        let t = s.attribute("t").map_or(next, int);
        let d = int(attr(s, "d"));
        assert!(d > 0, "S@d 0");
        let r = s.attribute("r").map_or(0, int);
        let mut t = t;
        for _ in 0..=r {
            out.push((t, d));
            t += d;
        }
        next = t;
    }
    assert_eq!(
        tl.children().filter(|c| c.is_element()).count(),
        children(tl, "S").count(),
        "SegmentTimeline holds only S"
    );
    out
}

/// Checks `text`, an MPD written for `ladder`.
pub fn check_mpd(text: &str, ladder: &Ladder) {
    let doc = Document::parse(text).expect("MPD is not well-formed XML");
    let mpd = doc.root_element();
    assert_eq!(mpd.tag_name().name(), "MPD");
    assert_eq!(mpd.tag_name().namespace(), Some(NS));
    assert_eq!(attr(mpd, "type"), "static");
    assert!(attr(mpd, "profiles")
        .split(',')
        .any(|p| p == "urn:mpeg:dash:profile:isoff-live:2011"));
    let total = duration(attr(mpd, "mediaPresentationDuration"));
    assert!(
        (total - ladder.duration_s()).abs() <= 1e-6,
        "{total} vs {}",
        ladder.duration_s()
    );
    assert!(duration(attr(mpd, "minBufferTime")) > 0.0);
    let period = only(mpd, "Period");

    let mut ids = HashSet::new();
    let mut seen = 0;
    let mut codecs_seen = HashSet::new();
    for set in children(period, "AdaptationSet") {
        assert_eq!(attr(set, "contentType"), "audio");
        assert_eq!(attr(set, "mimeType"), "audio/mp4");
        assert_eq!(attr(set, "startWithSAP"), "1");
        let aligned = match attr(set, "segmentAlignment") {
            "true" => true,
            "false" => false,
            v => panic!("segmentAlignment {v}"),
        };
        let mut set_codec: Option<Codec> = None;
        let mut times: Option<Vec<(f64, f64)>> = None;
        let mut last_bandwidth = 0;
        for rep in children(set, "Representation") {
            let id = attr(rep, "id");
            assert!(
                !id.is_empty() && !id.contains(char::is_whitespace),
                "Representation@id {id:?}"
            );
            assert!(ids.insert(id.to_string()), "Representation@id {id} twice");
            let bandwidth = int(attr(rep, "bandwidth"));
            assert!(
                bandwidth >= last_bandwidth,
                "Representations not by ascending bandwidth"
            );
            last_bandwidth = bandwidth;
            let acc = only(rep, "AudioChannelConfiguration");
            assert_eq!(
                attr(acc, "schemeIdUri"),
                "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
            );
            let segs = segments(rep);
            let (init, names) = (&segs.init, &segs.names);
            let (r, _) = super::owner(ladder, init).unwrap_or_else(|| panic!("no init {init}"));
            assert_eq!(id, r.id);
            assert_eq!(attr(rep, "codecs"), r.codecs);
            assert_eq!(
                int(attr(rep, "audioSamplingRate")),
                u64::from(r.sample_rate)
            );
            assert_eq!(int(attr(acc, "value")), u64::from(r.channels));
            assert!(bandwidth >= r.peak_bandwidth());
            assert_eq!(
                *set_codec.get_or_insert(r.rung.codec),
                r.rung.codec,
                "mixed codecs"
            );
            assert_eq!(segs.timescale, r.timescale);
            // Every named file is this rendition's, in order, at its measured time.
            assert_eq!(names.len(), r.segments.len(), "{id}: segment count");
            for (i, (name, &(t, d))) in names.iter().zip(&segs.times).enumerate() {
                let s = &r.segments[i];
                assert_eq!(*name, s.name, "{id}: segment {i}");
                assert_eq!((t, d), (s.start, s.duration), "{id}: time of {name}");
            }
            // No gap, no overlap, starting at the period's start.
            let mut expect = segs.pto;
            for &(t, d) in &segs.times {
                assert_eq!(t, expect, "{id}: gap or overlap at {t}");
                expect = t + d;
            }
            let span = (expect - segs.pto) as f64 / f64::from(r.timescale);
            assert!(span <= total + 1e-6, "{id} runs past the presentation");
            let rel: Vec<(f64, f64)> = segs
                .times
                .iter()
                .map(|&(t, d)| {
                    let ts = f64::from(r.timescale);
                    ((t - segs.pto) as f64 / ts, d as f64 / ts)
                })
                .collect();
            if aligned {
                if let Some(first) = &times {
                    assert_eq!(first.len(), rel.len(), "segmentAlignment with other counts");
                    for (a, b) in first.iter().zip(&rel) {
                        assert!((a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9);
                    }
                }
            }
            times.get_or_insert(rel);
            seen += 1;
        }
        assert!(
            codecs_seen.insert(set_codec.expect("empty AdaptationSet")),
            "two sets of a codec"
        );
    }
    assert_eq!(
        seen,
        ladder.renditions.len(),
        "not every rendition is a Representation"
    );
}

/// A Representation's addressing, expanded.
struct Addressing {
    timescale: u32,
    pto: u64,
    init: String,
    names: Vec<String>,
    times: Vec<(u64, u64)>,
}

/// Segment names for a timeline of `n` entries.
type Names = Box<dyn Fn(usize) -> Vec<String>>;

fn segments(rep: Node) -> Addressing {
    let template = children(rep, "SegmentTemplate").next();
    let list = children(rep, "SegmentList").next();
    let (node, init, names_of): (Node, String, Names) = match (template, list) {
        (Some(t), None) => {
            let media = attr(t, "media").to_string();
            let start = t.attribute("startNumber").map_or(1, int);
            let names = move |n: usize| {
                (0..n as u64)
                    .map(|i| percent_decode(&expand(&media, start + i)))
                    .collect()
            };
            (
                t,
                percent_decode(attr(t, "initialization")),
                Box::new(names),
            )
        }
        (None, Some(l)) => {
            let init = percent_decode(attr(only(l, "Initialization"), "sourceURL"));
            let urls: Vec<String> = children(l, "SegmentURL")
                .map(|u| percent_decode(attr(u, "media")))
                .collect();
            let names = move |n: usize| {
                assert_eq!(urls.len(), n, "SegmentURL count differs from the timeline");
                urls.clone()
            };
            (l, init, Box::new(names))
        }
        _ => panic!("a Representation needs one SegmentTemplate or SegmentList"),
    };
    let timescale = u32::try_from(int(attr(node, "timescale"))).unwrap();
    assert!(timescale > 0);
    let pto = node.attribute("presentationTimeOffset").map_or(0, int);
    let times = timeline(only(node, "SegmentTimeline"));
    Addressing {
        timescale,
        pto,
        init,
        names: names_of(times.len()),
        times,
    }
}
