//! A client's schema, checked field by field.
//!
//! The walk is by hand rather than one `serde_json::from_value::<Schema>`: serde stops at the
//! first error and, through the flattened, internally tagged question kind, cannot say which
//! field it was. Here each field is read on its own (with serde's own message when its type is
//! wrong) and every error carries its path. Bounds are checked before elements are read, so a
//! 100,000-label list costs one error, not 100,000.
//!
//! A `multi_label` question's `vocabulary` is resolved through [`Vocabularies`] here, once: the
//! schema version then holds the labels it was checked with, so a tagger that later grows or
//! shrinks its vocabulary changes nothing until the schema is saved again (and then the orphan
//! check sees the difference). Labels given beside a vocabulary are kept after the
//! vocabulary's own ("the tagger's moods, plus `other`"); a schema read back with
//! [`Schema::to_json`] therefore parses to itself plus whatever the vocabulary gained.

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

use super::error::{expected, quote, Path, Sink};
use super::{
    FieldError, Question, QuestionKind, Schema, MAX_LABELS, MAX_LABEL_CHARS, MAX_NAME_CHARS,
    MAX_QUESTIONS, MAX_RATING_STEPS, MAX_TEXT_LENGTH, MAX_TITLE_CHARS,
};

/// Where `multi_label` questions find a named vocabulary (`"tagger:mood"` → the tagger's mood
/// tags). The engine implements it over the tagger; tests over a map.
pub trait Vocabularies {
    /// The labels of the vocabulary `name`, or `None` when there is no such vocabulary.
    fn vocabulary(&self, name: &str) -> Option<Vec<String>>;
}

/// No vocabularies at all: every `vocabulary` is unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoVocabularies;

impl Vocabularies for NoVocabularies {
    fn vocabulary(&self, _name: &str) -> Option<Vec<String>> {
        None
    }
}

impl Vocabularies for BTreeMap<String, Vec<String>> {
    fn vocabulary(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).cloned()
    }
}

impl Vocabularies for HashMap<String, Vec<String>> {
    fn vocabulary(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).cloned()
    }
}

impl Schema {
    /// Reads and checks a client's schema (`{"questions": [...]}`), resolving vocabularies.
    ///
    /// Every problem is returned, each naming its field (`questions[2].labels[4]`); the
    /// document itself is the empty path.
    pub fn parse(json: &Json, vocab: &dyn Vocabularies) -> Result<Schema, Vec<FieldError>> {
        let mut sink = Sink::default();
        let root = Path::Root("");
        let Some(obj) = json.as_object() else {
            sink.push(&root, expected("an object with \"questions\"", json));
            return sink.finish(Schema { questions: vec![] });
        };
        unknown_fields(obj, &["questions"], &root, &mut sink);
        let path = root.key("questions");
        let questions = match obj.get("questions") {
            None => {
                sink.push(&path, "missing field `questions`");
                vec![]
            }
            Some(list) => questions(list, &path, Level::Top, vocab, &mut sink),
        };
        sink.finish(Schema { questions })
    }
}

/// Where a question sits: region attributes may not be timed themselves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Attribute,
}

/// A list of questions (the schema's, or a region question's attributes): bounded, each
/// checked, names unique.
fn questions(
    list: &Json,
    path: &Path<'_>,
    level: Level,
    vocab: &dyn Vocabularies,
    sink: &mut Sink,
) -> Vec<Question> {
    let Some(items) = list.as_array() else {
        sink.push(path, expected("an array of questions", list));
        return vec![];
    };
    if level == Level::Top && items.is_empty() {
        sink.push(path, "a schema needs at least one question");
    }
    if items.len() > MAX_QUESTIONS {
        sink.push(
            path,
            format!("{} questions; at most {MAX_QUESTIONS}", items.len()),
        );
        return vec![];
    }
    let mut out = Vec::with_capacity(items.len());
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        if let Some(name) = item.get("name").and_then(Json::as_str) {
            if let Some(first) = seen.insert(name, i) {
                sink.push(
                    &at.key("name"),
                    format!("duplicate name {}: question {first} has it", quote(name)),
                );
            }
        }
        if let Some(q) = question(item, &at, level, vocab, sink) {
            out.push(q);
        }
    }
    out
}

/// The fields each type allows besides `name`, `title`, `required` and `type`.
fn kind_fields(ty: &str) -> Option<&'static [&'static str]> {
    Some(match ty {
        "single_choice" => &["labels"],
        "multi_label" => &["labels", "vocabulary", "distance"],
        "number" => &["min", "max", "distance"],
        "key" => &[],
        "rating" => &["min", "max"],
        "text" => &["max_length"],
        "regions" => &["labels", "attributes"],
        "markers" => &["labels"],
        _ => return None,
    })
}

const TYPES: &str = "`single_choice`, `multi_label`, `number`, `key`, `rating`, `text`, \
                     `regions`, `markers`";
const ATTRIBUTE_TYPES: &str = "`single_choice`, `multi_label`, `number`, `rating`, `text`, `key`";

/// One question; `None` when it is too broken to build (its errors are in `sink`).
fn question(
    item: &Json,
    path: &Path<'_>,
    level: Level,
    vocab: &dyn Vocabularies,
    sink: &mut Sink,
) -> Option<Question> {
    let Some(obj) = item.as_object() else {
        sink.push(path, expected("a question object", item));
        return None;
    };
    let before = sink.len();
    let name = match obj.get("name") {
        None => {
            sink.push(&path.key("name"), "missing field `name`");
            None
        }
        Some(v) => name(v, &path.key("name"), sink),
    };
    let title: Option<String> = optional(obj, "title", path, sink).flatten();
    if let Some(t) = &title {
        if t.chars().count() > MAX_TITLE_CHARS {
            sink.push(
                &path.key("title"),
                format!("longer than {MAX_TITLE_CHARS} characters"),
            );
        }
    }
    let required: bool = optional(obj, "required", path, sink).unwrap_or(true);

    let ty_path = path.key("type");
    let ty = match obj.get("type") {
        None => {
            sink.push(&ty_path, "missing field `type`");
            return None;
        }
        Some(Json::String(s)) => s.as_str(),
        Some(other) => {
            sink.push(&ty_path, expected("a string", other));
            return None;
        }
    };
    let Some(fields) = kind_fields(ty) else {
        sink.push(
            &ty_path,
            format!("unknown variant {}, expected one of {TYPES}", quote(ty)),
        );
        return None;
    };
    if level == Level::Attribute && matches!(ty, "regions" | "markers") {
        sink.push(
            &ty_path,
            format!(
                "a region attribute cannot be {}; expected one of {ATTRIBUTE_TYPES}",
                quote(ty)
            ),
        );
        return None;
    }
    let mut known = vec!["name", "title", "required", "type"];
    known.extend_from_slice(fields);
    unknown_fields(obj, &known, path, sink);

    let kind = kind(ty, obj, path, vocab, sink);
    match (name, kind) {
        (Some(name), Some(kind)) if sink.len() == before => Some(Question {
            name,
            title,
            required,
            kind,
        }),
        _ => None,
    }
}

/// The type-specific data of a question of type `ty`.
fn kind(
    ty: &str,
    obj: &Map<String, Json>,
    path: &Path<'_>,
    vocab: &dyn Vocabularies,
    sink: &mut Sink,
) -> Option<QuestionKind> {
    Some(match ty {
        "single_choice" => QuestionKind::SingleChoice {
            labels: required_labels(obj, path, sink)?,
        },
        "multi_label" => {
            let given = match obj.get("labels") {
                Some(v) => labels(v, &path.key("labels"), sink)?,
                None => vec![],
            };
            let before = sink.len();
            let vocabulary: Option<String> = optional(obj, "vocabulary", path, sink).flatten();
            if sink.len() > before {
                // A malformed vocabulary is its own error, not also "no labels".
                return None;
            }
            let distance = optional(obj, "distance", path, sink).unwrap_or_default();
            let labels = match &vocabulary {
                None => given,
                Some(name) => resolve(name, given, &path.key("vocabulary"), vocab, sink)?,
            };
            if labels.is_empty() {
                sink.push(
                    &path.key("labels"),
                    "a multi_label question needs labels or a vocabulary",
                );
                return None;
            }
            QuestionKind::MultiLabel {
                labels,
                vocabulary,
                distance,
            }
        }
        "number" => {
            let min: Option<f64> = required_field(obj, "min", path, sink);
            let max: Option<f64> = required_field(obj, "max", path, sink);
            let distance = optional(obj, "distance", path, sink).unwrap_or_default();
            let (min, max) = (min?, max?);
            number_range(min, max, distance, path, sink)?;
            QuestionKind::Number { min, max, distance }
        }
        "key" => QuestionKind::Key,
        "rating" => {
            let min: Option<i64> = required_field(obj, "min", path, sink);
            let max: Option<i64> = required_field(obj, "max", path, sink);
            let (min, max) = (min?, max?);
            let steps = i128::from(max) - i128::from(min);
            if steps <= 0 {
                sink.push(&path.key("max"), "must be greater than min");
                return None;
            }
            if steps > i128::from(MAX_RATING_STEPS) {
                sink.push(
                    &path.key("max"),
                    format!("{steps} steps from min; at most {MAX_RATING_STEPS}"),
                );
                return None;
            }
            QuestionKind::Rating { min, max }
        }
        "text" => {
            let max_length = optional(obj, "max_length", path, sink).unwrap_or(2000);
            if !(1..=MAX_TEXT_LENGTH).contains(&max_length) {
                sink.push(
                    &path.key("max_length"),
                    format!("must be from 1 to {MAX_TEXT_LENGTH}"),
                );
                return None;
            }
            QuestionKind::Text { max_length }
        }
        "regions" => {
            let labels = required_labels(obj, path, sink);
            let attributes = match obj.get("attributes") {
                Some(list) => {
                    let at = path.key("attributes");
                    questions(list, &at, Level::Attribute, vocab, sink)
                }
                None => vec![],
            };
            QuestionKind::Regions {
                labels: labels?,
                attributes,
            }
        }
        "markers" => QuestionKind::Markers {
            labels: required_labels(obj, path, sink)?,
        },
        _ => return None,
    })
}

/// A number question's range: finite, `min < max`; tempo-like distances need positive values.
fn number_range(
    min: f64,
    max: f64,
    distance: super::NumberDistance,
    path: &Path<'_>,
    sink: &mut Sink,
) -> Option<()> {
    if !min.is_finite() {
        sink.push(&path.key("min"), "must be a finite number");
        return None;
    }
    if !max.is_finite() {
        sink.push(&path.key("max"), "must be a finite number");
        return None;
    }
    if min >= max {
        sink.push(&path.key("max"), "must be greater than min");
        return None;
    }
    // The BPM distance compares ratios (octave errors) and the ratio metric divides by the
    // sum: both mean nothing for values at or below zero, so the range must exclude them.
    match distance {
        super::NumberDistance::Bpm if min <= 0.0 => {
            sink.push(&path.key("min"), "the bpm distance needs min > 0");
            None
        }
        super::NumberDistance::Ratio if min < 0.0 => {
            sink.push(&path.key("min"), "the ratio distance needs min >= 0");
            None
        }
        _ => Some(()),
    }
}

/// The labels of a vocabulary, then the extra `given` labels it lacks.
fn resolve(
    name: &str,
    given: Vec<String>,
    path: &Path<'_>,
    vocab: &dyn Vocabularies,
    sink: &mut Sink,
) -> Option<Vec<String>> {
    let Some(mut labels) = vocab.vocabulary(name) else {
        sink.push(path, format!("unknown vocabulary {}", quote(name)));
        return None;
    };
    // A vocabulary is the engine's data, not the client's, but it is held to the same rules:
    // a label that could not be typed into a schema cannot come in through one either.
    for label in &labels {
        if let Err(why) = label_rule(label) {
            sink.push(
                path,
                format!("vocabulary {} has a bad label: {why}", quote(name)),
            );
            return None;
        }
    }
    let mut seen: std::collections::HashSet<String> = labels.iter().cloned().collect();
    for label in given {
        if seen.insert(label.clone()) {
            labels.push(label);
        }
    }
    if labels.len() > MAX_LABELS {
        sink.push(
            path,
            format!(
                "vocabulary {} gives {} labels; at most {MAX_LABELS}",
                quote(name),
                labels.len()
            ),
        );
        return None;
    }
    Some(labels)
}

/// A name: `[a-z0-9_]{1,64}`, so it can be a JSON key, a column and a path segment as is.
fn name(v: &Json, path: &Path<'_>, sink: &mut Sink) -> Option<String> {
    let Some(s) = v.as_str() else {
        sink.push(path, expected("a string", v));
        return None;
    };
    let ok = !s.is_empty()
        && s.len() <= MAX_NAME_CHARS
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        sink.push(
            path,
            format!("must be 1 to {MAX_NAME_CHARS} characters of a-z, 0-9 and _"),
        );
        return None;
    }
    Some(s.to_owned())
}

/// The `labels` a question cannot do without.
fn required_labels(
    obj: &Map<String, Json>,
    path: &Path<'_>,
    sink: &mut Sink,
) -> Option<Vec<String>> {
    let at = path.key("labels");
    let Some(v) = obj.get("labels") else {
        sink.push(&at, "missing field `labels`");
        return None;
    };
    let labels = labels(v, &at, sink)?;
    if labels.is_empty() {
        sink.push(&at, "needs at least one label");
        return None;
    }
    Some(labels)
}

/// A list of labels: bounded, each a fitting label, no duplicates.
fn labels(v: &Json, path: &Path<'_>, sink: &mut Sink) -> Option<Vec<String>> {
    let Some(items) = v.as_array() else {
        sink.push(path, expected("an array of strings", v));
        return None;
    };
    if items.len() > MAX_LABELS {
        sink.push(
            path,
            format!("{} labels; at most {MAX_LABELS}", items.len()),
        );
        return None;
    }
    let before = sink.len();
    let mut out = Vec::with_capacity(items.len());
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Some(s) = item.as_str() else {
            sink.push(&at, expected("a string", item));
            continue;
        };
        if let Err(why) = label_rule(s) {
            sink.push(&at, why);
            continue;
        }
        if let Some(first) = seen.insert(s, i) {
            sink.push(
                &at,
                format!("duplicate label {}: labels[{first}] has it", quote(s)),
            );
            continue;
        }
        out.push(s.to_owned());
    }
    (sink.len() == before).then_some(out)
}

/// What a label must be: non-empty, at most [`MAX_LABEL_CHARS`] characters, no control
/// characters (labels are shown, exported to CSV and used as keys in reports).
fn label_rule(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("a label cannot be empty".into());
    }
    if s.chars().count() > MAX_LABEL_CHARS {
        return Err(format!("longer than {MAX_LABEL_CHARS} characters"));
    }
    if s.chars().any(char::is_control) {
        return Err("a label cannot contain control characters".into());
    }
    Ok(())
}

/// Refuses members of `obj` other than `known`, serde's way.
fn unknown_fields(obj: &Map<String, Json>, known: &[&str], path: &Path<'_>, sink: &mut Sink) {
    for key in obj.keys() {
        if !known.contains(&key.as_str()) {
            let list = known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            sink.push(
                &path.key(key),
                format!("unknown field {}, expected one of {list}", quote(key)),
            );
        }
    }
}

/// Reads the member `key` as a `T` with serde; `None` (and an error) when it does not fit.
fn field<T: DeserializeOwned>(v: &Json, path: &Path<'_>, sink: &mut Sink) -> Option<T> {
    match T::deserialize(v) {
        Ok(t) => Some(t),
        Err(e) => {
            // serde's message quotes the value it could not use: cut it, a hostile value can
            // be a megabyte long.
            let msg = e.to_string();
            let cut: String = msg.chars().take(200).collect();
            sink.push(path, cut);
            None
        }
    }
}

/// An optional member: `None` when absent or wrong (the error is in `sink`).
fn optional<T: DeserializeOwned>(
    obj: &Map<String, Json>,
    key: &str,
    path: &Path<'_>,
    sink: &mut Sink,
) -> Option<T> {
    obj.get(key).and_then(|v| field(v, &path.key(key), sink))
}

/// A member that must be there.
fn required_field<T: DeserializeOwned>(
    obj: &Map<String, Json>,
    key: &str,
    path: &Path<'_>,
    sink: &mut Sink,
) -> Option<T> {
    match obj.get(key) {
        None => {
            sink.push(&path.key(key), format!("missing field `{key}`"));
            None
        }
        Some(v) => field(v, &path.key(key), sink),
    }
}
