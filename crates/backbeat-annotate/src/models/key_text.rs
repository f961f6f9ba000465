//! Keys as text: `"F# minor"`, `"Bb major"`, `"a minor"`, `"C#m"` — what the analysis stores
//! and what external models send.

use crate::answer::{Key, Mode, TONICS};

/// Reads a key written as tonic then mode: a letter A–G, any number of `#`/`♯`/`b`/`♭`, then
/// `major`/`maj`/`minor`/`min`/`m` (case-insensitive, optional space). `None` when it is not
/// one.
pub fn parse_key(text: &str) -> Option<Key> {
    let text = text.trim();
    let mut chars = text.char_indices();
    let (_, letter) = chars.next()?;
    let natural: i32 = match letter.to_ascii_uppercase() {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    };
    let mut shift = 0i32;
    let mut rest = "";
    for (i, c) in chars {
        match c {
            '#' | '♯' => shift += 1,
            'b' | '♭' => shift -= 1,
            _ => {
                rest = &text[i..];
                break;
            }
        }
        if shift.abs() > 2 {
            return None;
        }
    }
    let mode = match rest.trim().to_ascii_lowercase().as_str() {
        "major" | "maj" => Mode::Major,
        "minor" | "min" | "m" => Mode::Minor,
        _ => return None,
    };
    let tonic = u8::try_from((natural + shift).rem_euclid(12)).ok()?;
    Some(Key { tonic, mode })
}

/// Tonic names as the catalog's analysis writes them (flats for E♭, A♭, B♭; sharps for C♯,
/// F♯), so that a reviewed key and an analysed one compare as text in filters.
const CATALOG_TONICS: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

/// A key as the catalog spells it: `"Eb minor"`.
pub fn catalog_key_name(key: Key) -> String {
    let mode = match key.mode {
        Mode::Major => "major",
        Mode::Minor => "minor",
    };
    format!("{} {mode}", CATALOG_TONICS[usize::from(key.tonic % 12)])
}

/// A key written any way [`parse_key`] reads, spelled as the catalog spells keys; `None` when
/// it is not one. What filters on keys compare.
pub fn catalog_key(text: &str) -> Option<String> {
    parse_key(text).map(catalog_key_name)
}

/// The 24 keys as `"C major"` … `"B minor"`, sharps for black keys, majors first.
pub fn all_key_names() -> Vec<String> {
    [("major"), ("minor")]
        .iter()
        .flat_map(|mode| TONICS.iter().map(move |t| format!("{t} {mode}")))
        .collect()
}
