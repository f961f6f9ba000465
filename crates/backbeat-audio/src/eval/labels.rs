//! The labels file (`labels.csv` of the dev set) and beat annotation files.
//!
//! Columns are found by header name, so their order does not matter and unknown columns are
//! ignored. Only `path` is required; an absent column means "unknown" for every row, and an
//! empty cell means "unknown" for that row.

use serde::Serialize;

use super::keys::{parse_key, KeyLabel};
use super::{csv, EvalError};

/// The speech label of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpeechLabel {
    /// Speech only.
    Yes,
    /// Speech and music (reported apart: neither answer is simply right).
    Mixed,
    /// No speech.
    No,
}

/// The labels of one file; `None` = unknown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    /// Line of the labels file where the row starts.
    pub line: usize,
    /// Audio file, relative to the labels file's folder.
    pub path: String,
    /// Where the recording comes from (the `source` column; else the path's first folder): the
    /// groups a leave-one-source-out evaluation holds out in turn.
    pub source: String,
    /// Annotated tempo (BPM).
    pub bpm: Option<f64>,
    /// Beat annotation file, relative to the labels file's folder.
    pub beats: Option<String>,
    /// Annotated key.
    pub key: Option<KeyLabel>,
    /// Sung vocals present (`yes`/`vocal`) or not (`no`/`instrumental`).
    pub vocal: Option<bool>,
    /// Speech label.
    pub speech: Option<SpeechLabel>,
    /// Reference integrated loudness (LUFS, ffmpeg ebur128, rounded to 0.1).
    pub lufs: Option<f64>,
    /// Reference true peak (dBTP, ffmpeg ebur128, rounded to 0.1).
    pub true_peak_db: Option<f64>,
}

/// Parse a labels file from its bytes: UTF-8 (a leading BOM is allowed), header row first.
pub fn parse_labels(bytes: &[u8]) -> Result<Vec<Label>, EvalError> {
    let text = std::str::from_utf8(bytes).map_err(|e| EvalError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(EvalError::Empty);
    }
    let records = csv::parse(text)?;
    let (header, rows) = records.split_first().ok_or(EvalError::Empty)?;
    let columns = Columns::find(&header.fields)?;
    if rows.is_empty() {
        return Err(EvalError::NoRows);
    }
    rows.iter()
        .map(|r| {
            if r.fields.len() != header.fields.len() {
                return Err(EvalError::FieldCount {
                    line: r.line,
                    found: r.fields.len(),
                    expected: header.fields.len(),
                });
            }
            columns.label(r.line, &r.fields)
        })
        .collect()
}

/// Column indices of the known columns.
struct Columns {
    path: usize,
    source: Option<usize>,
    bpm: Option<usize>,
    beats: Option<usize>,
    key: Option<usize>,
    vocal: Option<usize>,
    speech: Option<usize>,
    lufs: Option<usize>,
    true_peak_db: Option<usize>,
}

impl Columns {
    fn find(header: &[String]) -> Result<Self, EvalError> {
        for (i, name) in header.iter().enumerate() {
            if header
                .iter()
                .take(i)
                .any(|other| other.trim() == name.trim())
            {
                return Err(EvalError::DuplicateColumn(name.trim().to_string()));
            }
        }
        let col = |name: &str| header.iter().position(|h| h.trim() == name);
        Ok(Columns {
            path: col("path").ok_or(EvalError::MissingColumn("path"))?,
            source: col("source"),
            bpm: col("bpm"),
            beats: col("beats"),
            key: col("key"),
            vocal: col("vocal"),
            speech: col("speech"),
            lufs: col("lufs"),
            true_peak_db: col("true_peak_db"),
        })
    }

    fn label(&self, line: usize, fields: &[String]) -> Result<Label, EvalError> {
        let cell = |i: Option<usize>| {
            i.and_then(|i| fields.get(i))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let bad = |column: &'static str, message: String| EvalError::BadValue {
            line,
            column,
            message,
        };
        let number = |i: Option<usize>, column: &'static str| -> Result<Option<f64>, EvalError> {
            cell(i)
                .map(|s| match s.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(x),
                    _ => Err(bad(column, format!("`{s}` is not a finite number"))),
                })
                .transpose()
        };
        let path = cell(Some(self.path)).ok_or_else(|| bad("path", "empty path".into()))?;
        let key = cell(self.key)
            .map(|s| parse_key(s).ok_or_else(|| bad("key", format!("unrecognised key `{s}`"))))
            .transpose()?;
        let vocal = cell(self.vocal)
            .map(|s| match s.to_ascii_lowercase().as_str() {
                "yes" | "vocal" | "true" | "1" => Ok(true),
                "no" | "instrumental" | "false" | "0" => Ok(false),
                _ => Err(bad(
                    "vocal",
                    format!("expected yes/vocal or no/instrumental, got `{s}`"),
                )),
            })
            .transpose()?;
        let speech = cell(self.speech)
            .map(|s| match s.to_ascii_lowercase().as_str() {
                "yes" => Ok(SpeechLabel::Yes),
                "mixed" => Ok(SpeechLabel::Mixed),
                "no" => Ok(SpeechLabel::No),
                _ => Err(bad(
                    "speech",
                    format!("expected yes, mixed or no, got `{s}`"),
                )),
            })
            .transpose()?;
        let bpm = number(self.bpm, "bpm")?;
        if bpm.is_some_and(|b| b <= 0.0) {
            return Err(bad("bpm", "tempo must be positive".into()));
        }
        let source =
            cell(self.source)
                .map(str::to_string)
                .unwrap_or_else(|| match path.split_once('/') {
                    Some((folder, _)) => folder.to_string(),
                    None => String::new(),
                });
        Ok(Label {
            line,
            path: path.to_string(),
            source,
            bpm,
            beats: cell(self.beats).map(str::to_string),
            key,
            vocal,
            speech,
            lufs: number(self.lufs, "lufs")?,
            true_peak_db: number(self.true_peak_db, "true_peak_db")?,
        })
    }
}

/// Parse a beat annotation file: one beat per line, time in seconds in the first column
/// (whitespace- or comma-separated; later columns such as the beat-in-bar index are ignored).
/// Blank lines and `#` comments are skipped; the result is sorted.
pub fn parse_beats(text: &str) -> Result<Vec<f64>, String> {
    let mut beats = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .next()
            .unwrap_or("");
        match first.parse::<f64>() {
            Ok(t) if t.is_finite() && t >= 0.0 => beats.push(t),
            _ => {
                return Err(format!(
                    "line {}: `{first}` is not a time in seconds",
                    i + 1
                ))
            }
        }
    }
    beats.sort_by(f64::total_cmp);
    Ok(beats)
}
