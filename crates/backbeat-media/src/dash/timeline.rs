//! The two ways an MPD addresses segments: a `$Number$` pattern found in their names, and
//! the run-length `SegmentTimeline` of their measured starts and durations.

use std::fmt::Write;

use crate::model::Segment;

/// Names of the form `<prefix><number, zero-padded to width><suffix>`, numbered on from
/// `start`.
#[derive(Debug, PartialEq)]
pub(super) struct NumberPattern {
    pub prefix: String,
    pub width: usize,
    pub start: u64,
    pub suffix: String,
}

/// The numeric pattern every name follows, if there is one: a run of digits in the first
/// name that counts up by one through the names, `printf`'s `%0<width>d` giving back each
/// name exactly. Of several runs that fit (one segment: every run fits) the widest wins, the
/// later on a tie: `aac-96-00000.m4s` is numbered by `00000`, not by `96` or the `4` of `m4s`.
pub(super) fn number_pattern(names: &[&str]) -> Option<NumberPattern> {
    let first = names.first()?;
    digit_runs(first)
        .filter_map(|(begin, end)| {
            let digits = &first[begin..end];
            // Beyond 18 digits a number could overflow as it counts up.
            if digits.len() > 18 {
                return None;
            }
            let p = NumberPattern {
                prefix: first[..begin].to_string(),
                width: digits.len(),
                start: digits.parse().ok()?,
                suffix: first[end..].to_string(),
            };
            let follows = names.iter().enumerate().all(|(i, name)| {
                let n = p.start + i as u64;
                *name == format!("{}{n:0w$}{}", p.prefix, p.suffix, w = p.width)
            });
            follows.then_some(p)
        })
        .fold(None, |best: Option<NumberPattern>, p| match best {
            Some(b) if b.width > p.width => Some(b),
            _ => Some(p),
        })
}

/// Byte ranges of the runs of ASCII digits in `s`, in order.
fn digit_runs(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = s.as_bytes();
    (0..b.len()).filter_map(move |i| {
        let starts = b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit());
        starts.then(|| {
            let len = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            (i, i + len)
        })
    })
}

/// Writes `<SegmentTimeline>`: one `<S>` per run of equal, back-to-back durations; `t` on
/// the first and wherever a segment does not start where the previous one ended.
pub(super) fn timeline(out: &mut String, segments: &[Segment], indent: &str) {
    let _ = writeln!(out, "{indent}<SegmentTimeline>");
    let mut i = 0;
    let mut end: Option<u64> = None;
    while let Some(s) = segments.get(i) {
        let mut repeat = 0;
        let mut next = s.start.saturating_add(s.duration);
        while let Some(n) = segments.get(i + 1 + repeat) {
            if n.start != next || n.duration != s.duration {
                break;
            }
            next = n.start.saturating_add(n.duration);
            repeat += 1;
        }
        let _ = write!(out, "{indent}  <S");
        if end != Some(s.start) {
            let _ = write!(out, " t=\"{}\"", s.start);
        }
        let _ = write!(out, " d=\"{}\"", s.duration);
        if repeat > 0 {
            let _ = write!(out, " r=\"{repeat}\"");
        }
        out.push_str("/>\n");
        end = Some(next);
        i += 1 + repeat;
    }
    let _ = writeln!(out, "{indent}</SegmentTimeline>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(name: &str, start: u64, duration: u64) -> Segment {
        Segment {
            name: name.into(),
            start,
            duration,
            bytes: 1,
        }
    }

    #[test]
    fn numbered_names_become_a_pattern() {
        let p = number_pattern(&["aac-96-00009.m4s", "aac-96-00010.m4s"]).unwrap();
        assert_eq!((p.prefix.as_str(), p.width, p.start), ("aac-96-", 5, 9));
        assert_eq!(p.suffix, ".m4s");
        assert!(number_pattern(&["a-1.m4s", "a-3.m4s"]).is_none());
        assert!(number_pattern(&["a-01.m4s", "b-02.m4s"]).is_none());
        assert!(number_pattern(&["seg.mps"]).is_none());
        let one = number_pattern(&["aac-96-00000.m4s"]).unwrap();
        assert_eq!((one.prefix.as_str(), one.width), ("aac-96-", 5));
        assert!(number_pattern(&["é1", "é2"]).is_some());
        // printf pads to at least the width: 99 → 100 still follows %02d.
        assert!(number_pattern(&["x99", "x100"]).is_some());
    }

    #[test]
    fn equal_back_to_back_segments_share_one_entry() {
        let mut out = String::new();
        let segs = [
            seg("a", 0, 10),
            seg("b", 10, 10),
            seg("c", 20, 4),
            seg("d", 30, 4),
        ];
        timeline(&mut out, &segs, "");
        assert_eq!(
            out,
            "<SegmentTimeline>\n  <S t=\"0\" d=\"10\" r=\"1\"/>\n  <S d=\"4\"/>\n  \
             <S t=\"30\" d=\"4\"/>\n</SegmentTimeline>\n"
        );
    }
}
