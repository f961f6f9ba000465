//! Generated schemas and answers: anything generated from a schema passes `check_answers`,
//! and its JSON (as a value and as text) reads back through `parse_answers` to the same
//! answers; a schema's JSON reads back to the same schema; answers never orphan their own
//! schema.

use std::collections::BTreeMap;

use backbeat_annotate::answer::{Answers, Key, Marker, Mode, Region, Value};
use backbeat_annotate::schema::{
    LabelUsage, NoVocabularies, NumberDistance, Question, QuestionKind, Schema, SetDistance, Window,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

fn labels() -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set("[a-zA-Z0-9 _é-]{1,12}", 1..8)
        .prop_map(|s| s.into_iter().collect::<Vec<_>>())
        .prop_shuffle()
}

/// A question kind; `attribute` keeps timed kinds out of region attributes.
fn kind(attribute: bool) -> BoxedStrategy<QuestionKind> {
    let flat = prop_oneof![
        labels().prop_map(|labels| QuestionKind::SingleChoice { labels }),
        (labels(), prop::bool::ANY).prop_map(|(labels, masi)| QuestionKind::MultiLabel {
            labels,
            vocabulary: None,
            distance: if masi {
                SetDistance::Masi
            } else {
                SetDistance::Jaccard
            },
        }),
        (-1000.0f64..1000.0, 0.001f64..1000.0).prop_map(|(min, width)| QuestionKind::Number {
            min,
            max: min + width,
            distance: if min > 0.0 {
                NumberDistance::Bpm
            } else {
                NumberDistance::Interval
            },
        }),
        Just(QuestionKind::Key),
        (-5i64..5, 1i64..=100).prop_map(|(min, steps)| QuestionKind::Rating {
            min,
            max: min + steps
        }),
        (1usize..300).prop_map(|max_length| QuestionKind::Text { max_length }),
    ];
    if attribute {
        return flat.boxed();
    }
    prop_oneof![
        3 => flat,
        1 => labels().prop_map(|labels| QuestionKind::Markers { labels }),
        1 => (labels(), prop::collection::vec((kind(true), prop::bool::ANY), 0..4)).prop_map(
            |(labels, attrs)| QuestionKind::Regions {
                labels,
                attributes: questions(attrs),
            }
        ),
    ]
    .boxed()
}

fn questions(kinds: Vec<(QuestionKind, bool)>) -> Vec<Question> {
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, (kind, required))| Question {
            name: format!("q{i}"),
            title: None,
            required,
            kind,
        })
        .collect()
}

fn schema() -> impl Strategy<Value = Schema> {
    prop::collection::vec((kind(false), prop::bool::ANY), 1..8).prop_map(|kinds| Schema {
        questions: questions(kinds),
    })
}

fn window() -> impl Strategy<Value = Window> {
    (0.0f64..100.0, 1.0f64..600.0).prop_map(|(start, len)| Window {
        start,
        end: start + len,
    })
}

/// A value that fits `q` in `w`.
fn value(q: &Question, w: Window) -> BoxedStrategy<Value> {
    let span = w.end - w.start;
    match q.kind.clone() {
        QuestionKind::SingleChoice { labels } => select(labels).prop_map(Value::Choice).boxed(),
        QuestionKind::MultiLabel { labels, .. } => {
            let n = labels.len();
            subsequence(labels, 0..=n)
                .prop_map(|l| Value::Tags(l.into_iter().collect()))
                .boxed()
        }
        QuestionKind::Number { min, max, .. } => (min..=max).prop_map(Value::Number).boxed(),
        QuestionKind::Rating { min, max } => {
            (min..=max).prop_map(|x| Value::Number(x as f64)).boxed()
        }
        QuestionKind::Key => (0u8..12, prop::bool::ANY)
            .prop_map(|(tonic, major)| {
                Value::Key(Key {
                    tonic,
                    mode: if major { Mode::Major } else { Mode::Minor },
                })
            })
            .boxed(),
        QuestionKind::Text { max_length } => prop::collection::vec(
            any::<char>().prop_filter("no NUL", |c| *c != '\0'),
            0..=max_length.min(40),
        )
        .prop_map(|c| Value::Text(c.into_iter().collect()))
        .boxed(),
        QuestionKind::Markers { labels } => prop::collection::vec(
            (0.0f64..=1.0, select(labels)).prop_map(move |(u, label)| Marker {
                time: w.start + u * span,
                label,
            }),
            0..20,
        )
        .prop_map(Value::Markers)
        .boxed(),
        QuestionKind::Regions { labels, attributes } => {
            let region = (
                0.0f64..=1.0,
                0.0f64..=1.0,
                select(labels),
                answers(attributes, w),
            )
                .prop_filter("a region has a length", move |(u, v, _, _)| {
                    w.start + u.min(*v) * span < w.start + u.max(*v) * span
                })
                .prop_map(move |(u, v, label, attrs)| Region {
                    start: w.start + u.min(v) * span,
                    end: w.start + u.max(v) * span,
                    label,
                    attributes: attrs
                        .into_iter()
                        .map(|(k, v)| (k, serde_json::to_value(v).unwrap()))
                        .collect(),
                });
            prop::collection::vec(region, 0..10)
                .prop_map(Value::Regions)
                .boxed()
        }
    }
}

/// Answers to `questions`: every required one, each optional one or not.
fn answers(questions: Vec<Question>, w: Window) -> BoxedStrategy<Answers> {
    let parts: Vec<BoxedStrategy<Option<(String, Value)>>> = questions
        .into_iter()
        .map(|q| {
            let name = q.name.clone();
            let v = value(&q, w).prop_map(move |v| Some((name.clone(), v)));
            if q.required {
                v.boxed()
            } else {
                prop_oneof![Just(None), v].boxed()
            }
        })
        .collect();
    parts
        .prop_map(|kv| kv.into_iter().flatten().collect::<BTreeMap<_, _>>())
        .boxed()
}

fn case() -> impl Strategy<Value = (Schema, Window, Answers)> {
    (schema(), window()).prop_flat_map(|(s, w)| {
        let a = answers(s.questions.clone(), w);
        (Just(s), Just(w), a)
    })
}

/// A float as serde_json reads back its own text.
fn reparse(x: f64) -> f64 {
    serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap()
}

/// `answers` with every number as serde_json reads back its own text.
fn via_text(answers: &Answers) -> Answers {
    let json = |v: &serde_json::Value| serde_json::from_str(&v.to_string()).unwrap();
    answers
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Number(x) => Value::Number(reparse(*x)),
                Value::Regions(rs) => Value::Regions(
                    rs.iter()
                        .map(|r| Region {
                            start: reparse(r.start),
                            end: reparse(r.end),
                            label: r.label.clone(),
                            attributes: r
                                .attributes
                                .iter()
                                .map(|(k, v)| (k.clone(), json(v)))
                                .collect(),
                        })
                        .collect(),
                ),
                Value::Markers(ms) => Value::Markers(
                    ms.iter()
                        .map(|m| Marker {
                            time: reparse(m.time),
                            label: m.label.clone(),
                        })
                        .collect(),
                ),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_answers_fit_and_round_trip((schema, w, answers) in case()) {
        prop_assert_eq!(schema.check_answers(&answers, w), Ok(()));
        let json = serde_json::to_value(&answers).unwrap();
        prop_assert_eq!(schema.parse_answers(&json, w), Ok(answers.clone()));
        // Through text too, as a client sends it. serde_json's default float parser may land
        // one ulp off the shortest decimal it printed (96.00369216841996 reads back as
        // …995): the answer read is exactly the JSON received, and is checked as such.
        let text = serde_json::to_string(&answers).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let received = via_text(&answers);
        let fits = schema.check_answers(&received, w).is_ok();
        prop_assert_eq!(schema.parse_answers(&json, w).ok(), fits.then_some(received));
        // Stored answers never orphan the schema they were checked against.
        let mut usage = LabelUsage::default();
        usage.add(&schema, &answers);
        prop_assert_eq!(schema.orphans(&usage), vec![]);
    }

    #[test]
    fn a_schema_reads_back_as_itself(schema in schema()) {
        let json = schema.to_json();
        prop_assert_eq!(Schema::parse(&json, &NoVocabularies), Ok(schema.clone()));
        prop_assert_eq!(serde_json::from_value::<Schema>(json).unwrap(), schema.clone());
        prop_assert!(schema.changes(&schema).is_empty());
    }
}

/// Arbitrary JSON built from the words schemas and answers use, so that it often comes close
/// to fitting: keys are question and field names, strings are labels and note names.
fn near_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    const WORDS: &[&str] = &[
        "genre",
        "moods",
        "bpm",
        "key",
        "energy",
        "notes",
        "sections",
        "beats",
        "start",
        "end",
        "label",
        "time",
        "tonic",
        "mode",
        "attributes",
        "instrumental",
        "loudness",
        "rock",
        "sad",
        "verse",
        "beat",
        "yes",
        "no",
        "F#",
        "Gb",
        "minor",
        "major",
        "name",
        "type",
        "labels",
        "min",
        "max",
        "single_choice",
        "multi_label",
        "number",
        "rating",
        "text",
        "regions",
        "markers",
        "questions",
        "vocabulary",
        "tagger:mood",
        "max_length",
    ];
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        (-10i64..400).prop_map(J::from),
        (-1e3f64..1e3).prop_map(J::from),
        any::<f64>().prop_map(J::from),
        select(WORDS).prop_map(|w| J::String(w.to_owned())),
        ".{0,8}".prop_map(J::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            prop::collection::btree_map(select(WORDS), inner, 0..8).prop_map(|m| {
                J::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever arrives, the answer check does not panic, and what it accepts the typed check
    /// accepts too.
    #[test]
    fn arbitrary_answers_never_panic_and_both_checks_agree(json in near_json()) {
        let s = super::common::music();
        let w = super::common::TRACK;
        let mut answer = super::common::answer_json();
        if let serde_json::Value::Object(o) = &json {
            for (k, v) in o {
                answer[k.as_str()] = v.clone();
            }
        }
        for doc in [&json, &answer] {
            match s.parse_answers(doc, w) {
                Ok(a) => prop_assert_eq!(s.check_answers(&a, w), Ok(())),
                Err(e) => prop_assert!(!e.is_empty()),
            }
        }
    }

    /// Whatever arrives as a schema, parsing does not panic, and what it accepts reads back
    /// as itself.
    #[test]
    fn arbitrary_schemas_never_panic(json in near_json()) {
        let vocab = super::common::vocab();
        let wrapped = serde_json::json!({"questions": [json.clone()]});
        for doc in [&json, &wrapped] {
            if let Ok(s) = Schema::parse(doc, &vocab) {
                prop_assert_eq!(Schema::parse(&s.to_json(), &vocab), Ok(s.clone()));
            }
        }
    }
}
