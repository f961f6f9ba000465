//! The rules an answer's values must meet, written once.
//!
//! Both ways in — a person's JSON ([`Schema::parse_answers`](super::Schema::parse_answers)) and
//! a model's typed [`Answers`](crate::answer::Answers)
//! ([`Schema::check_answers`](super::Schema::check_answers)) — reduce a value to plain numbers
//! and strings and call these functions, so the two cannot drift apart. Each pushes its errors
//! into the sink at the field it names and returns whether the value fits.

use std::collections::HashSet;

use crate::answer::Mode;

use super::answers::Window;
use super::error::{quote, Path, Sink};

/// A question's labels, looked up in constant time when there are many: a 100,000-marker
/// answer against a 10,000-label question must not cost 10⁹ comparisons.
pub(crate) struct LabelIndex<'a> {
    labels: &'a [String],
    set: Option<HashSet<&'a str>>,
}

/// Below this many labels a scan beats hashing.
const SCAN_LABELS: usize = 16;

impl<'a> LabelIndex<'a> {
    pub(crate) fn new(labels: &'a [String]) -> Self {
        let set = (labels.len() > SCAN_LABELS).then(|| labels.iter().map(String::as_str).collect());
        LabelIndex { labels, set }
    }

    pub(crate) fn contains(&self, label: &str) -> bool {
        match &self.set {
            Some(set) => set.contains(label),
            None => self.labels.iter().any(|l| l == label),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.labels.len()
    }
}

/// `label` is one of the question's.
pub(crate) fn label(index: &LabelIndex<'_>, label: &str, path: &Path<'_>, sink: &mut Sink) -> bool {
    let ok = index.contains(label);
    if !ok {
        sink.push(path, format!("unknown label {}", quote(label)));
    }
    ok
}

/// A finite number: JSON cannot carry NaN or ∞, but a typed answer can, and a number parser
/// built with arbitrary precision turns `1e400` into ∞.
pub(crate) fn finite(x: f64, path: &Path<'_>, sink: &mut Sink) -> bool {
    let ok = x.is_finite();
    if !ok {
        sink.push(path, "must be a finite number");
    }
    ok
}

/// A `number` answer: finite, in `[min, max]`.
pub(crate) fn number(min: f64, max: f64, x: f64, path: &Path<'_>, sink: &mut Sink) -> bool {
    if !finite(x, path, sink) {
        return false;
    }
    let ok = (min..=max).contains(&x);
    if !ok {
        sink.push(path, format!("{x} is outside {min}..={max}"));
    }
    ok
}

/// A `rating` answer: a whole number in `[min, max]` (`3.0` is 3: a typed answer stores the
/// rating as a float and writes it so).
pub(crate) fn rating(min: i64, max: i64, x: f64, path: &Path<'_>, sink: &mut Sink) -> bool {
    if !finite(x, path, sink) {
        return false;
    }
    if x.fract() != 0.0 {
        sink.push(path, format!("a rating is a whole number, got {x}"));
        return false;
    }
    // Compared as integers: near ±2^63 neighbouring i64 bounds round to the same float.
    // 2^63 itself is a float but not an i64, so the half-open test keeps `as` exact.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let ok = (-LIMIT..LIMIT).contains(&x) && (min..=max).contains(&(x as i64));
    if !ok {
        sink.push(path, format!("{x} is outside {min}..={max}"));
    }
    ok
}

/// A `text` answer: at most `max_length` characters (not bytes: a limit people read), no NUL
/// (it ends strings in C libraries and some databases, and no one types it).
pub(crate) fn text(max_length: usize, s: &str, path: &Path<'_>, sink: &mut Sink) -> bool {
    // Bytes bound characters from above, so short texts are never counted; long ones are
    // counted only up to the limit.
    let too_long = s.len() > max_length && s.chars().nth(max_length).is_some();
    if too_long {
        sink.push(path, format!("longer than {max_length} characters"));
        return false;
    }
    if s.contains('\0') {
        sink.push(path, "a text cannot contain NUL characters");
        return false;
    }
    true
}

/// A key's tonic is a pitch class 0–11 (a typed answer could hold anything in a `u8`).
pub(crate) fn tonic(t: u8, path: &Path<'_>, sink: &mut Sink) -> bool {
    let ok = t < 12;
    if !ok {
        sink.push(path, format!("pitch class {t} is not 0-11"));
    }
    ok
}

/// A point in time inside the item's window.
pub(crate) fn time(t: f64, window: Window, path: &Path<'_>, sink: &mut Sink) -> bool {
    if !finite(t, path, sink) {
        return false;
    }
    let ok = window.contains(t);
    if !ok {
        sink.push(
            path,
            format!(
                "{t} s is outside the item ({} s to {} s)",
                window.start, window.end
            ),
        );
    }
    ok
}

/// A region's span: both ends in the window, and a positive length (a zero-length region
/// covers nothing, a reversed one is a mistake).
pub(crate) fn span(
    start: Option<f64>,
    end: Option<f64>,
    window: Window,
    path: &Path<'_>,
    sink: &mut Sink,
) -> bool {
    let s = start.is_some_and(|s| time(s, window, &path.key("start"), sink));
    let e = end.is_some_and(|e| time(e, window, &path.key("end"), sink));
    if let (true, true, Some(start), Some(end)) = (s, e, start, end) {
        if start >= end {
            sink.push(
                &path.key("end"),
                format!("must be after start ({end} s <= {start} s)"),
            );
            return false;
        }
    }
    s && e
}

/// A list of at most `max` elements. Checked before any element is read, so a hostile list
/// costs one error and no work per element.
pub(crate) fn count(n: usize, max: usize, what: &str, path: &Path<'_>, sink: &mut Sink) -> bool {
    let ok = n <= max;
    if !ok {
        sink.push(path, format!("{n} {what}; at most {max}"));
    }
    ok
}

/// The pitch class of a tonic name: a letter A–G (either case) with an optional sharp (`#`,
/// `♯`) or flat (`b`, `♭`, either case), so `"F#"`, `"gb"`, `"Bb"`, `"Cb"` (= B) and `"E#"`
/// (= F) all read; anything else is `None`.
pub fn tonic_from_name(name: &str) -> Option<u8> {
    let mut chars = name.chars();
    let natural: u8 = match chars.next()?.to_ascii_uppercase() {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    };
    match chars.as_str() {
        "" => Some(natural),
        "#" | "♯" => Some((natural + 1) % 12),
        "b" | "B" | "♭" => Some((natural + 11) % 12),
        _ => None,
    }
}

/// `"major"` or `"minor"`, in any case.
pub fn mode_from_name(name: &str) -> Option<Mode> {
    if name.eq_ignore_ascii_case("major") {
        Some(Mode::Major)
    } else if name.eq_ignore_ascii_case("minor") {
        Some(Mode::Minor)
    } else {
        None
    }
}
