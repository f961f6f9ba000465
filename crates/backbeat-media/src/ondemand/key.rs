//! What identifies one transcode in the cache, and the file name it gets. The name is a hash
//! of every field: track ids and source versions come from the catalog and a client, and are
//! never used as path parts.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::TempPath;

use super::Format;

/// One on-demand transcode: which source, into what.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscodeKey {
    /// The track's id.
    pub track: String,
    /// The version of the source file (a content hash or revision): a re-import gets new
    /// cache entries instead of serving the old audio.
    pub source_version: String,
    /// The output format.
    pub format: Format,
    /// The output bitrate, kbit/s.
    pub kbps: u32,
    /// Loudness-normalisation gain applied to the audio, dB; `None` leaves the level alone.
    pub gain_db: Option<f64>,
}

impl TranscodeKey {
    /// The key's bitrate and gain checked, and the gain rounded to 0.01 dB (the step
    /// [`crate::gain::normalisation_gain`] rounds to) so equal gains share one cache entry.
    pub(crate) fn checked(mut self) -> Result<TranscodeKey, String> {
        self.format.check_kbps(self.kbps)?;
        if let Some(g) = self.gain_db {
            if !g.is_finite() || g.abs() > 60.0 {
                return Err(format!("gain {g} dB is outside -60 to 60 dB"));
            }
            self.gain_db = Some(hundredths(g) as f64 / 100.0);
        }
        Ok(self)
    }

    /// The cache file's name: 64 hex digits of SHA-256 over the fields, then the format's
    /// extension.
    pub fn file_name(&self) -> String {
        let mut h = Sha256::new();
        // Every field length-prefixed, so no two keys serialise alike.
        for part in [
            "backbeat-ondemand-v1",
            &self.track,
            &self.source_version,
            self.format.name(),
            &self.kbps.to_string(),
            &self
                .gain_db
                .map_or("none".to_owned(), |g| hundredths(g).to_string()),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        let mut name = String::with_capacity(64 + 5);
        for b in h.finalize() {
            name.push_str(&format!("{b:02x}"));
        }
        name.push('.');
        name.push_str(self.format.name());
        name
    }
}

/// Whether `name` is a complete cache file's name as [`TranscodeKey::file_name`] makes them.
pub(crate) fn is_cache_name(name: &str) -> bool {
    let Some((hash, ext)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && Format::parse(ext).is_some_and(|f| f.name() == ext)
}

fn hundredths(g: f64) -> i64 {
    (g * 100.0).round() as i64
}

/// The source file a transcode reads, as the `source` callback of
/// [`super::OnDemand::stream`] hands it over. A plain path (the library's own file) is only
/// read; a [`TempPath`] (a copy fetched from object storage) is deleted once ffmpeg has
/// exited, whether the transcode succeeded, failed or was cancelled.
#[derive(Debug)]
pub struct SourceFile {
    path: PathBuf,
    _temp: Option<TempPath>,
}

impl SourceFile {
    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl From<PathBuf> for SourceFile {
    fn from(path: PathBuf) -> Self {
        SourceFile { path, _temp: None }
    }
}

impl From<TempPath> for SourceFile {
    fn from(temp: TempPath) -> Self {
        SourceFile {
            path: temp.to_path_buf(),
            _temp: Some(temp),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(track: &str, gain: Option<f64>) -> TranscodeKey {
        TranscodeKey {
            track: track.into(),
            source_version: "v1".into(),
            format: Format::Mp3,
            kbps: 128,
            gain_db: gain,
        }
    }

    #[test]
    fn names_are_hashes_whatever_the_ids_contain() {
        let n = key("../../etc/passwd", None).file_name();
        assert!(is_cache_name(&n), "{n}");
        assert!(n.ends_with(".mp3"));
        assert!(!n.contains('/'));
    }

    #[test]
    fn every_field_changes_the_name() {
        let base = key("t", None);
        let mut names = vec![base.file_name()];
        names.push(key("u", None).file_name());
        names.push(key("t", Some(0.0)).file_name());
        names.push(key("t", Some(-3.0)).file_name());
        names.push(
            TranscodeKey {
                source_version: "v2".into(),
                ..base.clone()
            }
            .file_name(),
        );
        names.push(
            TranscodeKey {
                kbps: 192,
                ..base.clone()
            }
            .file_name(),
        );
        names.push(
            TranscodeKey {
                format: Format::Aac,
                ..base.clone()
            }
            .file_name(),
        );
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        // Fields are delimited: moving text from one field to the next is another key.
        let a = TranscodeKey {
            track: "ab".into(),
            source_version: "c".into(),
            ..base.clone()
        };
        let b = TranscodeKey {
            track: "a".into(),
            source_version: "bc".into(),
            ..base
        };
        assert_ne!(a.file_name(), b.file_name());
    }

    #[test]
    fn gains_equal_to_the_hundredth_share_a_name_and_wild_ones_are_refused() {
        let a = key("t", Some(-5.701)).checked().unwrap();
        let b = key("t", Some(-5.699)).checked().unwrap();
        assert_eq!(a.file_name(), b.file_name());
        assert!(key("t", Some(f64::NAN)).checked().is_err());
        assert!(key("t", Some(100.0)).checked().is_err());
        assert!(TranscodeKey {
            kbps: 100,
            ..key("t", None)
        }
        .checked()
        .is_err());
    }

    #[test]
    fn only_our_names_are_cache_names() {
        assert!(!is_cache_name("notes.txt"));
        assert!(!is_cache_name(&format!("{}.flac", "a".repeat(64))));
        assert!(!is_cache_name(&format!("{}.mp3.1-2.part", "a".repeat(64))));
        assert!(!is_cache_name(&format!("{}.MP3", "a".repeat(64))));
    }
}
