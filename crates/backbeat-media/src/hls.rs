//! HLS playlists (RFC 8216) written from a measured [`Ladder`]: a master playlist naming one
//! variant per rendition, and a VOD media playlist per rendition pointing at its CMAF init
//! and media segments.
//!
//! ffmpeg's own playlists are not used: they carry no `CODECS` for Opus, no
//! `EXT-X-INDEPENDENT-SEGMENTS`, and a `BANDWIDTH` for FLAC that is not the measured one.
//! Every figure here comes from the files ([`crate::fmp4`]). Names are written through
//! [`manifest::uri`] and codecs through [`manifest::token`], so no value can break a line or
//! a quoted string; run [`manifest::check_ladder`] first for a playlist that is also right.

use std::fmt::Write;

use crate::manifest::{self, declared_bandwidth};
use crate::model::{Ladder, Rendition};

/// `EXT-X-VERSION`: 7 covers `EXT-X-MAP` in a playlist without I-frames (6) and everything
/// else written here.
const VERSION: u32 = 7;

/// The master playlist: one `EXT-X-STREAM-INF` per rendition, in [`manifest::player_order`]
/// (AAC by ascending bandwidth first: a player starts with the first variant it can play).
pub fn master_playlist(ladder: &Ladder) -> String {
    let mut out = format!("#EXTM3U\n#EXT-X-VERSION:{VERSION}\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for r in manifest::player_order(ladder) {
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\"\n{}\n",
            declared_bandwidth(r),
            r.average_bandwidth(),
            manifest::token(&r.codecs),
            manifest::uri(&r.playlist),
        );
    }
    out
}

/// A rendition's VOD media playlist.
pub fn media_playlist(r: &Rendition) -> String {
    let durations: Vec<u64> = r
        .segments
        .iter()
        .map(|s| micros(s.duration, r.timescale))
        .collect();
    let mut out = format!(
        "#EXTM3U\n#EXT-X-VERSION:{VERSION}\n#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:0\n\
         #EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"{}\"\n",
        target_duration(&durations),
        manifest::uri(&r.init),
    );
    for (s, us) in r.segments.iter().zip(durations) {
        let _ = write!(
            out,
            "#EXTINF:{}.{:06},\n{}\n",
            us / 1_000_000,
            us % 1_000_000,
            manifest::uri(&s.name)
        );
    }
    out.push_str("#EXT-X-ENDLIST\n");
    out
}

/// `ticks` of `timescale` in whole microseconds, rounded to nearest: the `EXTINF` value
/// exactly as written, so that the target duration is computed from what a client reads.
fn micros(ticks: u64, timescale: u32) -> u64 {
    let ts = u128::from(timescale.max(1));
    let us = (u128::from(ticks) * 2_000_000 + ts) / (2 * ts);
    u64::try_from(us).unwrap_or(u64::MAX)
}

/// `EXT-X-TARGETDURATION` (RFC 8216 §4.3.3.1): every `EXTINF` rounded to the nearest integer
/// must be at most this; at least 1, as clients derive reload and buffer times from it.
fn target_duration(micros: &[u64]) -> u64 {
    micros
        .iter()
        .map(|us| us.saturating_add(500_000) / 1_000_000)
        .max()
        .unwrap_or(0)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extinf_values_round_to_microseconds() {
        assert_eq!(micros(291_840, 48_000), 6_080_000);
        assert_eq!(micros(1, 48_000), 21);
        assert_eq!(micros(u64::MAX, 1), u64::MAX);
    }

    #[test]
    fn the_target_duration_covers_every_rounded_extinf() {
        assert_eq!(target_duration(&[6_080_000, 1_861_333]), 6);
        assert_eq!(target_duration(&[6_499_999]), 6);
        assert_eq!(target_duration(&[6_500_000]), 7);
        assert_eq!(target_duration(&[200_000]), 1);
    }
}
