//! The three progressive formats a client can ask for, the bitrates each accepts, and how
//! ffmpeg makes them. Containers are the streamable ones — raw MP3 frames, Ogg, ADTS — so
//! a client can start decoding from the first bytes of a file that is still being written.

use std::fmt;

/// MP3 bitrates an MPEG-1 Layer III frame can carry (kbit/s); LAME refuses the rest in CBR.
const MP3_KBPS: [u32; 14] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];

/// An on-demand output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// MP3 (LAME), CBR.
    Mp3,
    /// Opus (libopus) in Ogg, 48 kHz.
    Opus,
    /// AAC-LC (ffmpeg's native encoder) in ADTS.
    Aac,
}

impl Format {
    /// Every format, for listings and tests.
    pub const ALL: [Format; 3] = [Format::Mp3, Format::Opus, Format::Aac];

    /// The format named `s` (`mp3`, `opus`, `aac`; case-insensitive).
    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
    }

    /// The lower-case name used in the query string and as the cache file's extension.
    pub fn name(self) -> &'static str {
        match self {
            Format::Mp3 => "mp3",
            Format::Opus => "opus",
            Format::Aac => "aac",
        }
    }

    /// The HTTP content type of the output.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Mp3 => "audio/mpeg",
            Format::Opus => "audio/ogg",
            Format::Aac => "audio/aac",
        }
    }

    /// The bitrate used when the client names none, kbit/s.
    pub fn default_kbps(self) -> u32 {
        match self {
            Format::Mp3 => 192,
            Format::Opus => 128,
            Format::Aac => 192,
        }
    }

    /// Whether `kbps` is a bitrate this format's encoder accepts.
    pub fn allows_kbps(self, kbps: u32) -> bool {
        match self {
            Format::Mp3 => MP3_KBPS.contains(&kbps),
            Format::Opus => (6..=510).contains(&kbps),
            Format::Aac => (32..=320).contains(&kbps),
        }
    }

    /// `kbps` if the format accepts it; otherwise a message naming what it accepts.
    pub fn check_kbps(self, kbps: u32) -> Result<u32, String> {
        if self.allows_kbps(kbps) {
            return Ok(kbps);
        }
        let allowed = match self {
            Format::Mp3 => {
                let list: Vec<String> = MP3_KBPS.iter().map(u32::to_string).collect();
                format!("one of {}", list.join(", "))
            }
            Format::Opus => "6 to 510".to_owned(),
            Format::Aac => "32 to 320".to_owned(),
        };
        Err(format!(
            "bitrate {kbps} kbit/s is not allowed for {self}: use {allowed} kbit/s"
        ))
    }

    /// ffmpeg's encoder for the format.
    pub(crate) fn encoder(self) -> &'static str {
        match self {
            Format::Mp3 => "libmp3lame",
            Format::Opus => "libopus",
            Format::Aac => "aac",
        }
    }

    /// ffmpeg's muxer for the format.
    pub(crate) fn muxer(self) -> &'static str {
        match self {
            Format::Mp3 => "mp3",
            Format::Opus => "ogg",
            Format::Aac => "adts",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.name()), Some(f));
            assert!(f.allows_kbps(f.default_kbps()));
        }
        assert_eq!(Format::parse("MP3"), Some(Format::Mp3));
        assert_eq!(Format::parse("flac"), None);
        assert_eq!(Format::parse("../mp3"), None);
    }

    #[test]
    fn bitrates_outside_the_encoder_range_name_the_range() {
        assert_eq!(Format::Mp3.check_kbps(320), Ok(320));
        let e = Format::Mp3.check_kbps(100).unwrap_err();
        assert!(e.contains("96, 112"), "{e}");
        assert!(Format::Opus.check_kbps(6).is_ok());
        assert!(Format::Opus.check_kbps(5).unwrap_err().contains("6 to 510"));
        assert!(Format::Aac
            .check_kbps(321)
            .unwrap_err()
            .contains("32 to 320"));
        assert!(Format::Aac.check_kbps(0).is_err());
    }
}
