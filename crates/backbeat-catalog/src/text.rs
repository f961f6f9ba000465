//! Checks on display text shared by every use case that takes a name or a title (tracks,
//! albums, artists, playlists, display names, API-key names).
//!
//! A name must show something: one made only of whitespace and invisible characters
//! (zero-width spaces and joiners, bidi marks, the BOM, variation selectors, Hangul fillers,
//! the braille blank…) would list as an empty row, or pass for another entry. Inside a name,
//! bidi *embeddings, overrides and isolates* (U+202A–U+202E, U+2066–U+2069) are refused rather
//! than stripped: they reorder how the surrounding text is displayed (an override can make
//! `evil` + U+202E + `3pm.exe` read as `evilexe.mp3`), and an unclosed one leaks into whatever a client shows
//! next to the name. Stripping would silently store something other than what was sent. The
//! bidi *marks* (LRM U+200E, RLM U+200F, ALM U+061C) and the joiners (ZWJ, ZWNJ) stay allowed
//! inside a name: mixed-direction titles, emoji sequences and several scripts need them.
//! Line and paragraph separators (U+2028, U+2029) are refused like line feeds: a name is one
//! line.

use crate::error::FieldError;

/// Characters that render as nothing (or as blank space that is not whitespace): Unicode's
/// Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 16), which covers the
/// format (Cf) characters that display nothing, plus the Cf characters outside it that still
/// display nothing (U+180E, the tag characters are in it) and the braille blank U+2800.
/// Inclusive ranges, sorted.
pub const INVISIBLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{2800}', '\u{2800}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFF8}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E0FFF}'),
];

/// Whether `c` displays nothing visible.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || INVISIBLE
            .binary_search_by(|&(lo, hi)| {
                if hi < c {
                    std::cmp::Ordering::Less
                } else if lo > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
}

/// Bidi embeddings, overrides and isolates (see the module documentation).
fn is_bidi_control(c: char) -> bool {
    BIDI_CONTROLS.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// Bidi embeddings and overrides, and isolates: refused anywhere in a name.
pub const BIDI_CONTROLS: [(char, char); 2] = [('\u{202A}', '\u{202E}'), ('\u{2066}', '\u{2069}')];

/// Characters refused anywhere in a name besides the bidi controls: line and paragraph
/// separators (control characters are refused too, by `char::is_control`).
pub const LINE_SEPARATORS: (char, char) = ('\u{2028}', '\u{2029}');

/// Trims and checks a required display string (title, name): 1..=max characters, at least one
/// visible, no control characters, bidi overrides or line separators.
pub fn clean_text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let t = value.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    check_characters(field, t)?;
    Ok(t.to_string())
}

/// The character rules of [`clean_text`] on an already trimmed, non-empty string.
pub fn check_characters(field: &str, t: &str) -> Result<(), FieldError> {
    if t.chars()
        .any(|c| c.is_control() || (LINE_SEPARATORS.0..=LINE_SEPARATORS.1).contains(&c))
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters or line breaks",
        ));
    }
    if t.chars().any(is_bidi_control) {
        return Err(FieldError::new(
            field,
            "must not contain bidirectional embedding, override or isolate characters \
             (U+202A–U+202E, U+2066–U+2069)",
        ));
    }
    if t.chars().all(is_invisible) {
        return Err(FieldError::new(
            field,
            "must contain a visible character (not only spaces or zero-width characters)",
        ));
    }
    Ok(())
}

/// `Some(clean_text(..))` for an optional field, recording its error in `fields`.
pub fn optional_text(
    fields: &mut crate::error::Fields,
    field: &str,
    value: Option<&String>,
    max: usize,
) -> Option<String> {
    value.and_then(|v| fields.check(clean_text(field, v, max)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(value: &str) -> Option<String> {
        clean_text("title", value, 200).err().map(|e| e.message)
    }

    #[test]
    fn the_table_is_sorted_and_disjoint() {
        for pair in INVISIBLE.windows(2) {
            assert!(pair[0].1 < pair[1].0, "{pair:?}");
        }
        assert!(INVISIBLE.iter().all(|(lo, hi)| lo <= hi));
    }

    #[test]
    fn names_of_only_invisible_characters_are_refused() {
        for value in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}",
            " \u{200E}\u{200F} ",
            "\u{2060}\u{2061}\u{2062}\u{2063}\u{2064}",
            "\u{FEFF}",
            "\u{00AD}\u{034F}",
            "\u{3164}",
            "\u{115F}\u{1160}",
            "\u{2800}\u{2800}",
            "\u{FE0F}",
            "\u{E0041}\u{E007F}",
            "\u{3000}\u{200B}\u{00A0}",
        ] {
            let m = message(value).unwrap_or_else(|| panic!("{value:?} accepted"));
            assert!(
                m.contains("visible") || m.contains("empty"),
                "{value:?}: {m}"
            );
        }
    }

    #[test]
    fn bidi_overrides_and_isolates_are_refused_anywhere() {
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            for value in [
                format!("{c}"),
                format!("evil{c}3pm.exe"),
                format!("{c}Song"),
            ] {
                let m = message(&value).unwrap_or_else(|| panic!("{value:?} accepted"));
                assert!(m.contains("bidirectional"), "{value:?}: {m}");
            }
        }
    }

    #[test]
    fn line_separators_are_refused() {
        assert!(message("a\u{2028}b").is_some());
        assert!(message("a\u{2029}b").is_some());
        assert!(message("a\nb").is_some());
    }

    #[test]
    fn real_names_with_marks_joiners_and_selectors_are_kept() {
        for value in [
            "Nocturne in C\u{266F} minor",
            "\u{05E9}\u{05D9}\u{05E8} (Live)\u{200F}",
            "\u{0645}\u{0631}\u{062D}\u{0628}\u{0627} \u{061C}2024",
            "\u{2764}\u{FE0F} Love",
            "\u{1F469}\u{200D}\u{1F3A4}",
            "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}",
            "Sigur R\u{00F3}s \u{2013} \u{00C1}g\u{00E6}tis byrjun",
            "x\u{200B}y",
        ] {
            assert_eq!(clean_text("title", value, 200).unwrap(), value.trim());
        }
        assert_eq!(clean_text("title", "  Ada  ", 200).unwrap(), "Ada");
        assert!(message("").is_some());
        assert!(message(&"x".repeat(201)).is_some());
    }
}
