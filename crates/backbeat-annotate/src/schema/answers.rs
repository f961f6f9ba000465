//! An answer against the schema: a person's JSON ([`Schema::parse_answers`]) or a model's
//! typed values ([`Schema::check_answers`]).
//!
//! Both walk the questions the same way (unknown keys, required questions, one value per
//! question) and hand plain numbers and strings to [`rules`](super::rules); only reading the
//! JSON's shape is specific to `parse_answers`. Every error is returned, named by its path
//! under `answers` (`answers.sections[2].end`, `answers.sections[0].attributes.instrumental`,
//! `answers.key.tonic`, `answers.moods[3]`).
//!
//! `null` for a question that is not required means "not answered", as if the key were absent;
//! for a required question it is refused like a missing key. Region attributes follow the same
//! rules one level down (an attribute is required unless it says `"required": false`), and are
//! stored in their canonical form (`{"tonic": "gb"}` becomes `{"tonic": "F#"}`).

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::answer::{Answers, Key, Marker, Region, Value};

use super::error::{expected, Path, Sink};
use super::rules::{self, LabelIndex};
use super::{FieldError, Question, QuestionKind, Schema, MAX_MARKERS, MAX_REGIONS};

/// The span of the item an answer is about, in seconds from the start of the track: a whole
/// track is `0..duration`, a window of one is its `start..end`.
///
/// Region and marker times are absolute track times (not relative to the window) and must lie
/// in `[start - 1 ms, end + 1 ms]`: the millisecond absorbs a player's rounding at the edges
/// without letting a time land in a neighbouring window. A window that is itself not finite or
/// reversed admits no time at all, so a caller's mistake refuses answers instead of letting
/// any through — except [`Window::unbounded`], which is explicit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Seconds from the start of the track.
    pub start: f64,
    /// Seconds from the start of the track.
    pub end: f64,
}

impl Window {
    /// How far outside the window a time may still fall, in seconds.
    pub const TOLERANCE: f64 = 0.001;

    /// A whole track of `duration` seconds.
    pub fn track(duration: f64) -> Self {
        Window {
            start: 0.0,
            end: duration,
        }
    }

    /// From 0 on, no end: only for an item whose duration is unknown.
    pub fn unbounded() -> Self {
        Window {
            start: 0.0,
            end: f64::INFINITY,
        }
    }

    /// `t` lies in the window, give or take [`Window::TOLERANCE`].
    pub fn contains(&self, t: f64) -> bool {
        t.is_finite()
            && self.start.is_finite()
            && self.start <= self.end
            && t >= self.start - Self::TOLERANCE
            && t <= self.end + Self::TOLERANCE
    }
}

impl Schema {
    /// Reads a person's answer (a JSON object, question name → value) into typed [`Answers`],
    /// or every reason it does not fit.
    pub fn parse_answers(&self, json: &Json, window: Window) -> Result<Answers, Vec<FieldError>> {
        let mut sink = Sink::default();
        let root = Path::Root("answers");
        let Some(obj) = json.as_object() else {
            sink.push(&root, expected("an object", json));
            return sink.finish(Answers::new());
        };
        let ctxs = contexts(&self.questions);
        let answers = decode_object(&ctxs, obj, window, &root, "question", &mut sink);
        sink.finish(answers)
    }

    /// Reads stored answers back (they were checked when written): whatever fits this
    /// schema, without complaint about the rest — a partial answer (the questions people were
    /// asked) or one written under an earlier version.
    pub fn read_stored(&self, json: &Json) -> Answers {
        let mut sink = Sink::default();
        let Some(obj) = json.as_object() else {
            return Answers::new();
        };
        let ctxs = contexts(&self.questions);
        decode_object(
            &ctxs,
            obj,
            Window::unbounded(),
            &Path::Root("answers"),
            "question",
            &mut sink,
        )
    }

    /// Checks typed answers (a model's) by the same rules as [`Schema::parse_answers`].
    pub fn check_answers(&self, answers: &Answers, window: Window) -> Result<(), Vec<FieldError>> {
        let mut sink = Sink::default();
        let root = Path::Root("answers");
        let ctxs = contexts(&self.questions);
        let mut present = vec![false; ctxs.len()];
        for (name, value) in answers {
            let at = root.key(name);
            match find(&ctxs, name, &at, "question", &mut sink) {
                Some(i) => {
                    present[i] = true;
                    check_value(&ctxs[i], value, window, &at, &mut sink);
                }
                None => continue,
            }
        }
        missing(&ctxs, &present, &root, "question", &mut sink);
        sink.finish(())
    }
}

/// A question with its label index and attribute contexts, built on first use: a schema of
/// 200 questions of 10,000 labels costs nothing for the questions an answer leaves out.
struct Ctx<'a> {
    q: &'a Question,
    labels: OnceCell<LabelIndex<'a>>,
    attributes: OnceCell<Vec<Ctx<'a>>>,
}

impl<'a> Ctx<'a> {
    fn labels(&self) -> &LabelIndex<'a> {
        self.labels
            .get_or_init(|| LabelIndex::new(self.q.kind.labels()))
    }

    fn attributes(&self) -> &[Ctx<'a>] {
        self.attributes
            .get_or_init(|| contexts(self.q.kind.attributes()))
    }
}

fn contexts(questions: &[Question]) -> Vec<Ctx<'_>> {
    questions
        .iter()
        .map(|q| Ctx {
            q,
            labels: OnceCell::new(),
            attributes: OnceCell::new(),
        })
        .collect()
}

/// The index of the question `name`, or an error naming the unknown key.
fn find(ctxs: &[Ctx<'_>], name: &str, at: &Path<'_>, what: &str, sink: &mut Sink) -> Option<usize> {
    let found = ctxs.iter().position(|c| c.q.name == name);
    if found.is_none() {
        sink.push(at, format!("unknown {what}"));
    }
    found
}

/// An error for every required question with no answer.
fn missing(ctxs: &[Ctx<'_>], present: &[bool], path: &Path<'_>, what: &str, sink: &mut Sink) {
    for (c, seen) in ctxs.iter().zip(present) {
        if c.q.required && !seen {
            sink.push(
                &path.key(&c.q.name),
                format!("required {what} has no answer"),
            );
        }
    }
}

/// A JSON object of answers (the top level, or a region's attributes).
fn decode_object<'j>(
    ctxs: &[Ctx<'_>],
    obj: impl IntoIterator<Item = (&'j String, &'j Json)>,
    window: Window,
    path: &Path<'_>,
    what: &str,
    sink: &mut Sink,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let mut present = vec![false; ctxs.len()];
    for (name, v) in obj {
        let at = path.key(name);
        let Some(i) = find(ctxs, name, &at, what, sink) else {
            continue;
        };
        if v.is_null() {
            // Unanswered; `missing` below refuses it when the question is required.
            continue;
        }
        present[i] = true;
        if let Some(value) = decode_value(&ctxs[i], v, window, &at, sink) {
            out.insert(name.clone(), value);
        }
    }
    missing(ctxs, &present, path, what, sink);
    out
}

/// A region's attributes, checked against the region question's attribute questions and
/// returned canonical. Attributes are never timed, so the window does not apply.
fn attributes<'a>(
    ctx: &Ctx<'_>,
    attrs: impl IntoIterator<Item = (&'a String, &'a Json)>,
    path: &Path<'_>,
    sink: &mut Sink,
) -> BTreeMap<String, Json> {
    decode_object(
        ctx.attributes(),
        attrs,
        Window::unbounded(),
        path,
        "attribute",
        sink,
    )
    .into_iter()
    .map(|(k, v)| (k, serde_json::to_value(v).unwrap_or(Json::Null)))
    .collect()
}

/// One question's JSON value.
fn decode_value(
    ctx: &Ctx<'_>,
    v: &Json,
    window: Window,
    path: &Path<'_>,
    sink: &mut Sink,
) -> Option<Value> {
    match &ctx.q.kind {
        QuestionKind::SingleChoice { .. } => {
            let s = string(v, path, sink)?;
            rules::label(ctx.labels(), s, path, sink).then(|| Value::Choice(s.to_owned()))
        }
        QuestionKind::MultiLabel { .. } => tags(ctx, v, path, sink).map(Value::Tags),
        QuestionKind::Number { min, max, .. } => {
            let x = number(v, path, sink)?;
            rules::number(*min, *max, x, path, sink).then_some(Value::Number(x))
        }
        QuestionKind::Rating { min, max } => {
            let x = number(v, path, sink)?;
            rules::rating(*min, *max, x, path, sink).then_some(Value::Number(x))
        }
        QuestionKind::Key => key(v, path, sink).map(Value::Key),
        QuestionKind::Text { max_length } => {
            let s = string(v, path, sink)?;
            rules::text(*max_length, s, path, sink).then(|| Value::Text(s.to_owned()))
        }
        QuestionKind::Regions { .. } => regions(ctx, v, window, path, sink).map(Value::Regions),
        QuestionKind::Markers { .. } => markers(ctx, v, window, path, sink).map(Value::Markers),
    }
}

/// One question's typed value: the variant must match the question, then the same rules.
fn check_value(ctx: &Ctx<'_>, v: &Value, window: Window, path: &Path<'_>, sink: &mut Sink) {
    match (&ctx.q.kind, v) {
        (QuestionKind::SingleChoice { .. }, Value::Choice(s)) => {
            rules::label(ctx.labels(), s, path, sink);
        }
        (QuestionKind::MultiLabel { .. }, Value::Tags(set)) => {
            // A model's set of a million unknown tags is one error, as in JSON.
            if !rules::count(set.len(), ctx.labels().len(), "tags", path, sink) {
                return;
            }
            for (i, tag) in set.iter().enumerate() {
                rules::label(ctx.labels(), tag, &path.index(i), sink);
            }
        }
        (QuestionKind::Number { min, max, .. }, Value::Number(x)) => {
            rules::number(*min, *max, *x, path, sink);
        }
        (QuestionKind::Rating { min, max }, Value::Number(x)) => {
            rules::rating(*min, *max, *x, path, sink);
        }
        (QuestionKind::Key, Value::Key(k)) => {
            rules::tonic(k.tonic, &path.key("tonic"), sink);
        }
        (QuestionKind::Text { max_length }, Value::Text(s)) => {
            rules::text(*max_length, s, path, sink);
        }
        (QuestionKind::Regions { .. }, Value::Regions(list)) => {
            if rules::count(list.len(), MAX_REGIONS, "regions", path, sink) {
                for (i, r) in list.iter().enumerate() {
                    let at = path.index(i);
                    rules::span(Some(r.start), Some(r.end), window, &at, sink);
                    rules::label(ctx.labels(), &r.label, &at.key("label"), sink);
                    attributes(ctx, &r.attributes, &at.key("attributes"), sink);
                }
            }
        }
        (QuestionKind::Markers { .. }, Value::Markers(list)) => {
            if rules::count(list.len(), MAX_MARKERS, "markers", path, sink) {
                for (i, m) in list.iter().enumerate() {
                    let at = path.index(i);
                    rules::time(m.time, window, &at.key("time"), sink);
                    rules::label(ctx.labels(), &m.label, &at.key("label"), sink);
                }
            }
        }
        (kind, other) => sink.push(
            path,
            format!(
                "a {} question cannot take {}",
                kind.question_type(),
                value_kind(other)
            ),
        ),
    }
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Choice(_) => "a choice",
        Value::Tags(_) => "a tag set",
        Value::Number(_) => "a number",
        Value::Key(_) => "a key",
        Value::Text(_) => "a text",
        Value::Regions(_) => "regions",
        Value::Markers(_) => "markers",
    }
}

fn string<'v>(v: &'v Json, path: &Path<'_>, sink: &mut Sink) -> Option<&'v str> {
    let s = v.as_str();
    if s.is_none() {
        sink.push(path, expected("a string", v));
    }
    s
}

/// A JSON number as f64. Strings such as `"NaN"` or `"120"` are refused: a number is a number.
fn number(v: &Json, path: &Path<'_>, sink: &mut Sink) -> Option<f64> {
    match v {
        Json::Number(n) => {
            // `as_f64` is `None` only for numbers serde_json could not hold as f64; with
            // arbitrary precision an overflow comes back ∞, which `rules` refuses.
            let x = n.as_f64();
            if x.is_none() {
                sink.push(path, "must be a finite number");
            }
            x
        }
        other => {
            sink.push(path, expected("a number", other));
            None
        }
    }
}

fn object<'v>(v: &'v Json, path: &Path<'_>, sink: &mut Sink) -> Option<&'v Map<String, Json>> {
    let o = v.as_object();
    if o.is_none() {
        sink.push(path, expected("an object", v));
    }
    o
}

fn array<'v>(v: &'v Json, path: &Path<'_>, sink: &mut Sink) -> Option<&'v [Json]> {
    let a = v.as_array().map(Vec::as_slice);
    if a.is_none() {
        sink.push(path, expected("an array", v));
    }
    a
}

/// Refuses members of `obj` other than `known`.
fn only(obj: &Map<String, Json>, known: &[&str], path: &Path<'_>, sink: &mut Sink) {
    for k in obj.keys() {
        if !known.contains(&k.as_str()) {
            sink.push(&path.key(k), "unknown field");
        }
    }
}

/// The member `key`, or an error that it is missing.
fn member<'v>(
    obj: &'v Map<String, Json>,
    key: &str,
    path: &Path<'_>,
    sink: &mut Sink,
) -> Option<&'v Json> {
    let v = obj.get(key);
    if v.is_none() {
        sink.push(&path.key(key), "missing");
    }
    v
}

/// A tag set: an array of distinct known labels (possibly empty).
fn tags(ctx: &Ctx<'_>, v: &Json, path: &Path<'_>, sink: &mut Sink) -> Option<BTreeSet<String>> {
    let items = array(v, path, sink)?;
    // More tags than labels means duplicates or unknowns: one error instead of one per tag.
    if !rules::count(items.len(), ctx.labels().len(), "tags", path, sink) {
        return None;
    }
    let before = sink.len();
    let mut seen: HashSet<&str> = HashSet::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Some(tag) = string(item, &at, sink) else {
            continue;
        };
        if !rules::label(ctx.labels(), tag, &at, sink) {
            continue;
        }
        if !seen.insert(tag) {
            sink.push(&at, "duplicate tag");
        }
    }
    (sink.len() == before).then(|| seen.into_iter().map(str::to_owned).collect())
}

/// `{"tonic": "F#", "mode": "minor"}`.
fn key(v: &Json, path: &Path<'_>, sink: &mut Sink) -> Option<Key> {
    let obj = object(v, path, sink)?;
    only(obj, &["tonic", "mode"], path, sink);
    let tonic_at = path.key("tonic");
    let tonic = member(obj, "tonic", path, sink)
        .and_then(|t| string(t, &tonic_at, sink))
        .and_then(|t| {
            let pc = rules::tonic_from_name(t);
            if pc.is_none() {
                sink.push(
                    &tonic_at,
                    "expected a note name such as \"C\", \"F#\" or \"Bb\"",
                );
            }
            pc
        });
    let mode_at = path.key("mode");
    let mode = member(obj, "mode", path, sink)
        .and_then(|m| string(m, &mode_at, sink))
        .and_then(|m| {
            let mode = rules::mode_from_name(m);
            if mode.is_none() {
                sink.push(&mode_at, "expected \"major\" or \"minor\"");
            }
            mode
        });
    Some(Key {
        tonic: tonic?,
        mode: mode?,
    })
}

/// An array of `{"start", "end", "label", "attributes"?}` in the window.
fn regions(
    ctx: &Ctx<'_>,
    v: &Json,
    window: Window,
    path: &Path<'_>,
    sink: &mut Sink,
) -> Option<Vec<Region>> {
    let items = array(v, path, sink)?;
    if !rules::count(items.len(), MAX_REGIONS, "regions", path, sink) {
        return None;
    }
    let before = sink.len();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Some(obj) = object(item, &at, sink) else {
            continue;
        };
        only(obj, &["start", "end", "label", "attributes"], &at, sink);
        let start = member(obj, "start", &at, sink).and_then(|s| number(s, &at.key("start"), sink));
        let end = member(obj, "end", &at, sink).and_then(|e| number(e, &at.key("end"), sink));
        rules::span(start, end, window, &at, sink);
        let label_at = at.key("label");
        let label = member(obj, "label", &at, sink)
            .and_then(|l| string(l, &label_at, sink))
            .filter(|l| rules::label(ctx.labels(), l, &label_at, sink));
        let attrs_at = at.key("attributes");
        let empty = Map::new();
        // Attributes that are not an object are one error, not also every required one.
        let attributes = match obj.get("attributes") {
            None | Some(Json::Null) => attributes(ctx, &empty, &attrs_at, sink),
            Some(a) => match object(a, &attrs_at, sink) {
                Some(attrs) => attributes(ctx, attrs, &attrs_at, sink),
                None => BTreeMap::new(),
            },
        };
        if let (Some(start), Some(end), Some(label)) = (start, end, label) {
            out.push(Region {
                start,
                end,
                label: label.to_owned(),
                attributes,
            });
        }
    }
    (sink.len() == before).then_some(out)
}

/// An array of `{"time", "label"}` in the window.
fn markers(
    ctx: &Ctx<'_>,
    v: &Json,
    window: Window,
    path: &Path<'_>,
    sink: &mut Sink,
) -> Option<Vec<Marker>> {
    let items = array(v, path, sink)?;
    if !rules::count(items.len(), MAX_MARKERS, "markers", path, sink) {
        return None;
    }
    let before = sink.len();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Some(obj) = object(item, &at, sink) else {
            continue;
        };
        only(obj, &["time", "label"], &at, sink);
        let time_at = at.key("time");
        let time = member(obj, "time", &at, sink)
            .and_then(|t| number(t, &time_at, sink))
            .filter(|t| rules::time(*t, window, &time_at, sink));
        let label_at = at.key("label");
        let label = member(obj, "label", &at, sink)
            .and_then(|l| string(l, &label_at, sink))
            .filter(|l| rules::label(ctx.labels(), l, &label_at, sink));
        if let (Some(time), Some(label)) = (time, label) {
            out.push(Marker {
                time,
                label: label.to_owned(),
            });
        }
    }
    (sink.len() == before).then_some(out)
}

/// One attribute value read back from storage as its question's typed value (for
/// [`LabelUsage`](super::LabelUsage)); `None` when it does not fit.
pub(crate) fn decode_one(q: &Question, v: &Json) -> Option<Value> {
    let ctxs = contexts(std::slice::from_ref(q));
    let mut sink = Sink::default();
    let ctx = ctxs.first()?;
    decode_value(ctx, v, Window::unbounded(), &Path::Root(""), &mut sink)
}
