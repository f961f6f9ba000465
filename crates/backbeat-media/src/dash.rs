//! The static DASH MPD (ISO/IEC 23009-1) of a measured [`Ladder`]: one audio
//! `AdaptationSet` per codec, one `Representation` per rendition, segments addressed by a
//! `SegmentTemplate` with `$Number$` and an exact `SegmentTimeline` (the measured `tfdt`
//! starts and durations, run-length encoded), or by a `SegmentList` when the names follow no
//! numeric pattern.
//!
//! Every attribute value is XML-escaped, names go through [`manifest::uri`] (so a template
//! can hold no stray `$`), identifiers and codecs through [`manifest::token`]; run
//! [`manifest::check_ladder`] first for an MPD that is also right.

mod timeline;

use std::collections::HashSet;
use std::fmt::Write;

use crate::manifest::{self, declared_bandwidth};
use crate::model::{Codec, Ladder, Rendition};
use timeline::{number_pattern, timeline, NumberPattern};

/// The live profile (SegmentTemplate addressing, which on-demand players accept for static
/// MPDs) and the CMAF profile, which the segments follow.
const PROFILES: &str = "urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019";
const CHANNEL_SCHEME: &str = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011";

/// The MPD of `ladder`.
pub fn mpd(ladder: &Ladder) -> String {
    let ordered = manifest::player_order(ladder);
    let duration_us = ladder
        .renditions
        .iter()
        .map(|r| ceil_micros(r.segments.iter().map(|s| s.duration).sum(), r.timescale))
        .max()
        .unwrap_or(0);
    let longest_us = ladder
        .renditions
        .iter()
        .flat_map(|r| {
            r.segments
                .iter()
                .map(|s| ceil_micros(s.duration, r.timescale))
        })
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" \
         profiles=\"{PROFILES}\" type=\"static\" mediaPresentationDuration=\"{}\" \
         minBufferTime=\"{}\">\n  <Period id=\"0\" start=\"PT0S\">\n",
        iso_duration(duration_us, 6),
        iso_duration(longest_us.div_ceil(1000) * 1000, 3),
    );
    let mut ids = HashSet::new();
    let codecs = [Codec::Aac, Codec::Opus, Codec::Flac];
    let sets = codecs.iter().filter_map(|&c| {
        let set: Vec<&Rendition> = ordered
            .iter()
            .copied()
            .filter(|r| r.rung.codec == c)
            .collect();
        (!set.is_empty()).then_some(set)
    });
    for (n, set) in sets.enumerate() {
        let _ = writeln!(
            out,
            "    <AdaptationSet id=\"{n}\" contentType=\"audio\" mimeType=\"audio/mp4\" \
             segmentAlignment=\"{}\" startWithSAP=\"1\">",
            aligned(&set)
        );
        for r in set {
            representation(&mut out, r, &mut ids);
        }
        out.push_str("    </AdaptationSet>\n");
    }
    out.push_str("  </Period>\n</MPD>\n");
    out
}

fn representation(out: &mut String, r: &Rendition, ids: &mut HashSet<String>) {
    let mut id = manifest::token(&r.id);
    if ids.contains(&id) {
        id = format!("{id}-{}", ids.len());
    }
    ids.insert(id.clone());
    let _ = write!(
        out,
        "      <Representation id=\"{}\" bandwidth=\"{}\" codecs=\"{}\" \
         audioSamplingRate=\"{}\">\n        <AudioChannelConfiguration \
         schemeIdUri=\"{CHANNEL_SCHEME}\" value=\"{}\"/>\n",
        esc(&id),
        declared_bandwidth(r),
        esc(&manifest::token(&r.codecs)),
        r.sample_rate,
        r.channels,
    );
    let first = r.segments.first().map_or(0, |s| s.start);
    let pto = if first == 0 {
        String::new()
    } else {
        format!(" presentationTimeOffset=\"{first}\"")
    };
    let init = esc(&manifest::uri(&r.init));
    let names: Vec<&str> = r.segments.iter().map(|s| s.name.as_str()).collect();
    let ts = r.timescale.max(1);
    match number_pattern(&names) {
        Some(NumberPattern {
            prefix,
            width,
            start,
            suffix,
        }) => {
            let media = format!(
                "{}$Number%0{width}d${}",
                manifest::uri(&prefix),
                manifest::uri(&suffix)
            );
            let _ = writeln!(
                out,
                "        <SegmentTemplate timescale=\"{ts}\"{pto} initialization=\"{init}\" \
                 media=\"{}\" startNumber=\"{start}\">",
                esc(&media)
            );
            timeline(out, &r.segments, "          ");
            out.push_str("        </SegmentTemplate>\n");
        }
        None => {
            let _ = writeln!(
                out,
                "        <SegmentList timescale=\"{ts}\"{pto}>\n          \
                 <Initialization sourceURL=\"{init}\"/>"
            );
            timeline(out, &r.segments, "          ");
            for s in &r.segments {
                let _ = writeln!(
                    out,
                    "          <SegmentURL media=\"{}\"/>",
                    esc(&manifest::uri(&s.name))
                );
            }
            out.push_str("        </SegmentList>\n");
        }
    }
    out.push_str("      </Representation>\n");
}

/// Whether every representation of a set has its segments at the same presentation times
/// (relative to its first, as `presentationTimeOffset` makes them), compared exactly across
/// timescales: what `segmentAlignment="true"` promises a player switching between them.
fn aligned(set: &[&Rendition]) -> bool {
    let Some(a) = set.first() else { return true };
    let rel = |r: &Rendition| -> Vec<(u64, u64)> {
        let first = r.segments.first().map_or(0, |s| s.start);
        r.segments
            .iter()
            .map(|s| (s.start.wrapping_sub(first), s.duration))
            .collect()
    };
    let ra = rel(a);
    set.iter().all(|b| {
        let rb = rel(b);
        let (ta, tb) = (u128::from(a.timescale), u128::from(b.timescale));
        ra.len() == rb.len()
            && ra.iter().zip(&rb).all(|(x, y)| {
                u128::from(x.0) * tb == u128::from(y.0) * ta
                    && u128::from(x.1) * tb == u128::from(y.1) * ta
            })
    })
}

/// `ticks` of `timescale` in microseconds, rounded up.
fn ceil_micros(ticks: u64, timescale: u32) -> u64 {
    let us = (u128::from(ticks) * 1_000_000).div_ceil(u128::from(timescale.max(1)));
    u64::try_from(us).unwrap_or(u64::MAX)
}

/// An xs:duration `PT<seconds>S` with `decimals` (3 or 6) places.
fn iso_duration(us: u64, decimals: u32) -> String {
    let frac = (us % 1_000_000) / 10u64.pow(6 - decimals);
    format!("PT{}.{:0w$}S", us / 1_000_000, frac, w = decimals as usize)
}

/// `s` escaped for an XML attribute value.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_xs_durations() {
        assert_eq!(iso_duration(14_006_500, 6), "PT14.006500S");
        assert_eq!(iso_duration(6_080_000, 3), "PT6.080S");
        assert_eq!(ceil_micros(1, 48_000), 21);
    }

    #[test]
    fn attribute_values_are_escaped() {
        assert_eq!(esc("a&b<\"'>"), "a&amp;b&lt;&quot;&apos;&gt;");
    }
}
