//! Key names and the MIREX weighted key score.
//!
//! MIREX Audio Key Detection (<https://www.music-ir.org/mirex/wiki/2005:Audio_and_Symbolic_Key>)
//! weighs an estimate against the reference key: 1 for the same key, 0.5 for a perfect fifth
//! (up or down, same mode), 0.3 for the relative major/minor, 0.2 for the parallel major/minor,
//! 0 otherwise. `mir_eval.key.weighted_score` implements the same table but only credits the
//! fifth *above* the reference; the project's shared definition credits both directions.

use serde::Serialize;

use crate::key::{Key, Mode, PITCH_CLASSES};

/// A key as tonic pitch class (0 = C … 11 = B) and mode; enharmonic spellings are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KeyLabel {
    /// Tonic pitch class, 0 = C … 11 = B.
    pub tonic_pc: u8,
    /// Major or minor.
    pub mode: Mode,
}

impl KeyLabel {
    /// The key of an analysis result.
    pub fn from_key(key: &Key) -> Self {
        KeyLabel {
            tonic_pc: key.tonic_pc % 12,
            mode: key.mode,
        }
    }

    /// Canonical name such as `F# minor` (spelling from [`PITCH_CLASSES`]).
    pub fn name(&self) -> String {
        let tonic = PITCH_CLASSES
            .get(usize::from(self.tonic_pc))
            .unwrap_or(&"?");
        let mode = match self.mode {
            Mode::Major => "major",
            Mode::Minor => "minor",
        };
        format!("{tonic} {mode}")
    }
}

/// Parse names such as `F# minor`, `Eb major`, `Bbm`, `c#:min`, `A♭ maj`, `E#` (= F major).
///
/// Grammar: letter A–G (any case), any number of accidentals (`#`, `♯`, `b`, `♭`), an optional
/// separator (space, `:`, `-`, `_`), then a mode: `major`/`maj`/`M`/nothing, or
/// `minor`/`min`/`m`. Returns `None` for anything else.
pub fn parse_key(text: &str) -> Option<KeyLabel> {
    let text = text.trim();
    let mut chars = text.chars();
    let letter = chars.next()?;
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
    let rest = chars.as_str();
    let mut shift = 0i32;
    let mut mode_start = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '#' | '♯' => shift += 1,
            // A lone `b` after the letter is a flat, never the mode (`Bbm` = B-flat minor).
            'b' | '♭' => shift -= 1,
            _ => {
                mode_start = i;
                break;
            }
        }
        if shift.abs() > 2 {
            return None;
        }
    }
    let mode_text = rest
        .get(mode_start..)?
        .trim_start_matches([' ', ':', '-', '_']);
    let mode = match mode_text {
        "" | "M" | "maj" | "major" | "Maj" | "Major" | "MAJOR" | "MAJ" => Mode::Major,
        "m" | "min" | "minor" | "Min" | "Minor" | "MINOR" | "MIN" => Mode::Minor,
        _ => return None,
    };
    Some(KeyLabel {
        tonic_pc: (natural + shift).rem_euclid(12) as u8,
        mode,
    })
}

/// How an estimated key relates to the reference, in the MIREX categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyRelation {
    /// Same tonic and mode.
    Same,
    /// Same mode, tonic a perfect fifth above or below.
    Fifth,
    /// Relative major/minor (e.g. C major and A minor).
    Relative,
    /// Parallel major/minor (same tonic, other mode).
    Parallel,
    /// Anything else, including no estimate.
    Other,
}

impl KeyRelation {
    /// The MIREX weight of this relation.
    pub fn weight(self) -> f64 {
        match self {
            KeyRelation::Same => 1.0,
            KeyRelation::Fifth => 0.5,
            KeyRelation::Relative => 0.3,
            KeyRelation::Parallel => 0.2,
            KeyRelation::Other => 0.0,
        }
    }
}

/// The MIREX relation of `estimate` to `reference`; `None` (no estimate) is [`KeyRelation::Other`].
pub fn mirex_relation(reference: KeyLabel, estimate: Option<KeyLabel>) -> KeyRelation {
    let Some(est) = estimate else {
        return KeyRelation::Other;
    };
    let up = (i32::from(est.tonic_pc) - i32::from(reference.tonic_pc)).rem_euclid(12);
    match (reference.mode, est.mode, up) {
        (r, e, 0) if r == e => KeyRelation::Same,
        (r, e, 7 | 5) if r == e => KeyRelation::Fifth,
        // Relative minor is three semitones below the major tonic (C major -> A minor).
        (Mode::Major, Mode::Minor, 9) | (Mode::Minor, Mode::Major, 3) => KeyRelation::Relative,
        (_, _, 0) => KeyRelation::Parallel,
        _ => KeyRelation::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> KeyLabel {
        parse_key(s).unwrap_or(KeyLabel {
            tonic_pc: 99,
            mode: Mode::Major,
        })
    }

    #[test]
    fn parses_spellings_and_enharmonics() {
        let minor = |pc| KeyLabel {
            tonic_pc: pc,
            mode: Mode::Minor,
        };
        let major = |pc| KeyLabel {
            tonic_pc: pc,
            mode: Mode::Major,
        };
        assert_eq!(parse_key("F# minor"), Some(minor(6)));
        assert_eq!(parse_key("Gb minor"), Some(minor(6)));
        assert_eq!(parse_key("Eb major"), Some(major(3)));
        assert_eq!(parse_key("D# major"), Some(major(3)));
        assert_eq!(parse_key("Bbm"), Some(minor(10)));
        assert_eq!(parse_key("A#m"), Some(minor(10)));
        assert_eq!(parse_key("Bm"), Some(minor(11)));
        assert_eq!(parse_key("b minor"), Some(minor(11)));
        assert_eq!(parse_key("Cb major"), Some(major(11)));
        assert_eq!(parse_key("E#"), Some(major(5)));
        assert_eq!(parse_key("c#:min"), Some(minor(1)));
        assert_eq!(parse_key(" A♭ maj "), Some(major(8)));
        assert_eq!(parse_key("Fbb"), Some(major(3)));
    }

    #[test]
    fn rejects_non_keys() {
        for s in [
            "", "H minor", "C dorian", "#", "Cbbb", "minor", "C minor7", "1A",
        ] {
            assert_eq!(parse_key(s), None, "{s:?}");
        }
    }

    #[test]
    fn mirex_table() {
        use KeyRelation::*;
        let cases = [
            ("C major", "C major", Same),
            ("C major", "G major", Fifth),
            ("C major", "F major", Fifth),
            ("A minor", "E minor", Fifth),
            ("A minor", "D minor", Fifth),
            ("C major", "A minor", Relative),
            ("A minor", "C major", Relative),
            ("F# minor", "A major", Relative),
            ("C major", "C minor", Parallel),
            ("Eb minor", "D# major", Parallel),
            ("C major", "G minor", Other),
            ("C major", "E minor", Other),
            ("C major", "D major", Other),
            ("A minor", "C minor", Other),
        ];
        for (r, e, want) in cases {
            assert_eq!(mirex_relation(k(r), Some(k(e))), want, "{r} vs {e}");
        }
        assert_eq!(mirex_relation(k("C major"), None), Other);
        let weights: Vec<f64> = [Same, Fifth, Relative, Parallel, Other]
            .iter()
            .map(|r| r.weight())
            .collect();
        assert_eq!(weights, vec![1.0, 0.5, 0.3, 0.2, 0.0]);
    }

    #[test]
    fn canonical_names_round_trip() {
        for pc in 0..12u8 {
            for mode in [Mode::Major, Mode::Minor] {
                let key = KeyLabel { tonic_pc: pc, mode };
                assert_eq!(parse_key(&key.name()), Some(key));
            }
        }
    }
}
