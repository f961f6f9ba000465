//! `Schema::parse`: every refusal names its field; a good schema reads back as itself.

use backbeat_annotate::schema::{
    NoVocabularies, QuestionKind, Schema, SetDistance, MAX_LABELS, MAX_QUESTIONS,
};
use serde_json::{json, Value as Json};

use super::common::{music, music_json, one, schema_refused, schema_refuses_at, vocab, MOODS};

fn choice(labels: Json) -> Json {
    json!({"name": "genre", "type": "single_choice", "labels": labels})
}

#[test]
fn music_schema_reads_with_the_vocabulary_resolved() {
    let s = music();
    assert_eq!(s.questions.len(), 8);
    let moods = s.question("moods").unwrap();
    match &moods.kind {
        QuestionKind::MultiLabel {
            labels,
            vocabulary,
            distance,
        } => {
            assert_eq!(labels, MOODS);
            assert_eq!(vocabulary.as_deref(), Some("tagger:mood"));
            assert_eq!(*distance, SetDistance::Jaccard);
        }
        other => panic!("{other:?}"),
    }
    assert!(!s.question("notes").unwrap().required);
    assert!(s.question("genre").unwrap().required);
    assert_eq!(s.question("sections").unwrap().kind.attributes().len(), 2);
}

#[test]
fn to_json_reads_back_the_same_through_parse_and_through_serde() {
    let s = music();
    let j = s.to_json();
    // The resolved labels are written out with the vocabulary name kept.
    assert_eq!(j["questions"][1]["vocabulary"], "tagger:mood");
    assert_eq!(
        j["questions"][1]["labels"].as_array().unwrap().len(),
        MOODS.len()
    );
    assert_eq!(Schema::parse(&j, &vocab()).unwrap(), s);
    let stored: Schema = serde_json::from_value(j).unwrap();
    assert_eq!(stored, s);
}

#[test]
fn parse_agrees_with_serde_on_defaults() {
    let j = json!({"questions": [
        {"name": "notes", "type": "text"},
        {"name": "moods", "type": "multi_label", "labels": ["a"]},
        {"name": "bpm", "type": "number", "min": 1, "max": 2}
    ]});
    let parsed = Schema::parse(&j, &NoVocabularies).unwrap();
    let derived: Schema = serde_json::from_value(j).unwrap();
    assert_eq!(parsed, derived);
    assert_eq!(
        parsed.questions[0].kind,
        QuestionKind::Text { max_length: 2000 }
    );
}

#[test]
fn vocabulary_labels_come_first_then_extra_labels() {
    let j = one(
        json!({"name": "moods", "type": "multi_label", "vocabulary": "tagger:mood",
                       "labels": ["other", "sad"]}),
    );
    let s = Schema::parse(&j, &vocab()).unwrap();
    let labels = s.questions[0].kind.labels();
    assert_eq!(labels.len(), MOODS.len() + 1);
    assert_eq!(labels.last().unwrap(), "other");
}

#[test]
fn document_shape_is_checked() {
    schema_refuses_at(&json!([]), &[""]);
    schema_refuses_at(&json!({}), &["questions"]);
    schema_refuses_at(&json!({"questions": {}}), &["questions"]);
    schema_refuses_at(&json!({"questions": []}), &["questions"]);
    let mut j = music_json();
    j["version"] = json!(2);
    schema_refuses_at(&j, &["version"]);
    schema_refuses_at(&json!({"questions": [1]}), &["questions[0]"]);
}

#[test]
fn too_many_questions_is_one_error() {
    let qs: Vec<Json> = (0..=MAX_QUESTIONS)
        .map(|i| json!({"name": format!("q{i}"), "type": "key"}))
        .collect();
    schema_refuses_at(&json!({ "questions": qs }), &["questions"]);
    let qs: Vec<Json> = (0..MAX_QUESTIONS)
        .map(|i| json!({"name": format!("q{i}"), "type": "key"}))
        .collect();
    assert!(Schema::parse(&json!({ "questions": qs }), &NoVocabularies).is_ok());
}

#[test]
fn names_are_unique_and_plain() {
    let j = json!({"questions": [
        {"name": "genre", "type": "key"},
        {"name": "genre", "type": "key"}
    ]});
    let e = schema_refused(&j);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].field, "questions[1].name");
    assert!(e[0].message.contains("question 0"), "{}", e[0].message);

    let long = "a".repeat(65);
    for bad in [
        json!("Genre"),
        json!(""),
        json!(long),
        json!("a-b"),
        json!("é"),
        json!(5),
    ] {
        schema_refuses_at(
            &one(json!({"name": bad, "type": "key"})),
            &["questions[0].name"],
        );
    }
    let ok = "a".repeat(64);
    assert!(Schema::parse(&one(json!({"name": ok, "type": "key"})), &NoVocabularies).is_ok());
    schema_refuses_at(&one(json!({"type": "key"})), &["questions[0].name"]);
}

#[test]
fn types_and_fields_are_checked() {
    schema_refuses_at(&one(json!({"name": "a"})), &["questions[0].type"]);
    schema_refuses_at(
        &one(json!({"name": "a", "type": "slider"})),
        &["questions[0].type"],
    );
    schema_refuses_at(
        &one(json!({"name": "a", "type": 3})),
        &["questions[0].type"],
    );
    schema_refuses_at(
        &one(json!({"name": "a", "type": "key", "colour": "red"})),
        &["questions[0].colour"],
    );
    // A field of another type is unknown here.
    schema_refuses_at(
        &one(json!({"name": "a", "type": "single_choice", "labels": ["x"], "min": 1})),
        &["questions[0].min"],
    );
    schema_refuses_at(
        &one(json!({"name": "a", "type": "key", "required": "yes"})),
        &["questions[0].required"],
    );
    schema_refuses_at(
        &one(json!({"name": "a", "type": "key", "title": "t".repeat(1001)})),
        &["questions[0].title"],
    );
    let e = schema_refused(&one(json!({"name": "a", "type": "slider"})));
    assert!(e[0].message.contains("single_choice"), "{}", e[0].message);
}

#[test]
fn labels_are_checked_one_by_one() {
    schema_refuses_at(
        &one(json!({"name": "genre", "type": "single_choice"})),
        &["questions[0].labels"],
    );
    schema_refuses_at(&one(choice(json!("rock"))), &["questions[0].labels"]);
    schema_refuses_at(&one(choice(json!([]))), &["questions[0].labels"]);
    schema_refuses_at(
        &one(choice(json!(["rock", 1]))),
        &["questions[0].labels[1]"],
    );
    schema_refuses_at(
        &one(choice(json!(["rock", "jazz", ""]))),
        &["questions[0].labels[2]"],
    );
    schema_refuses_at(
        &one(choice(json!(["x".repeat(201)]))),
        &["questions[0].labels[0]"],
    );
    schema_refuses_at(
        &one(choice(json!(["a\u{0}b"]))),
        &["questions[0].labels[0]"],
    );
    schema_refuses_at(
        &one(choice(json!(["a", "b", "c", "a"]))),
        &["questions[0].labels[3]"],
    );
    // Several faults, all named.
    schema_refuses_at(
        &one(choice(json!(["a", "", "a", 2]))),
        &[
            "questions[0].labels[1]",
            "questions[0].labels[2]",
            "questions[0].labels[3]",
        ],
    );
    assert!(Schema::parse(&one(choice(json!(["é".repeat(200)]))), &NoVocabularies).is_ok());
    let many: Vec<String> = (0..=MAX_LABELS).map(|i| format!("l{i}")).collect();
    schema_refuses_at(&one(choice(json!(many))), &["questions[0].labels"]);
    let most: Vec<String> = (0..MAX_LABELS).map(|i| format!("l{i}")).collect();
    assert!(Schema::parse(&one(choice(json!(most))), &NoVocabularies).is_ok());
}

#[test]
fn multi_label_needs_labels_or_a_known_vocabulary() {
    schema_refuses_at(
        &one(json!({"name": "moods", "type": "multi_label"})),
        &["questions[0].labels"],
    );
    let e = schema_refused(&one(
        json!({"name": "moods", "type": "multi_label", "vocabulary": "tagger:colour"}),
    ));
    assert_eq!(e[0].field, "questions[0].vocabulary");
    assert!(e[0].message.contains("tagger:colour"), "{}", e[0].message);
    schema_refuses_at(
        &one(
            json!({"name": "moods", "type": "multi_label", "labels": ["a"], "distance": "cosine"}),
        ),
        &["questions[0].distance"],
    );
    // A vocabulary with a label no schema could hold is refused too.
    let mut bad = vocab();
    bad.insert("tagger:bad".into(), vec!["ok".into(), String::new()]);
    let e = Schema::parse(
        &one(json!({"name": "m", "type": "multi_label", "vocabulary": "tagger:bad"})),
        &bad,
    )
    .unwrap_err();
    assert_eq!(e[0].field, "questions[0].vocabulary");
}

#[test]
fn number_ranges_are_finite_and_ordered() {
    let num = |min: Json, max: Json| {
        one(json!({"name": "bpm", "type": "number", "min": min, "max": max}))
    };
    schema_refuses_at(&num(json!(10), json!(10)), &["questions[0].max"]);
    schema_refuses_at(&num(json!(10), json!(5)), &["questions[0].max"]);
    schema_refuses_at(&num(json!("NaN"), json!(5)), &["questions[0].min"]);
    schema_refuses_at(&num(json!(1), json!("inf")), &["questions[0].max"]);
    schema_refuses_at(
        &one(json!({"name": "bpm", "type": "number"})),
        &["questions[0].min", "questions[0].max"],
    );
    schema_refuses_at(
        &one(json!({"name": "bpm", "type": "number", "min": 0, "max": 300, "distance": "bpm"})),
        &["questions[0].min"],
    );
    schema_refuses_at(
        &one(json!({"name": "x", "type": "number", "min": -1, "max": 3, "distance": "ratio"})),
        &["questions[0].min"],
    );
    schema_refuses_at(
        &one(json!({"name": "bpm", "type": "number", "min": 1, "max": 3, "distance": "cubic"})),
        &["questions[0].distance"],
    );
    assert!(Schema::parse(&num(json!(-1e308), json!(1e308)), &NoVocabularies).is_ok());
}

#[test]
fn ratings_are_small_integer_ranges() {
    let rating =
        |min: Json, max: Json| one(json!({"name": "e", "type": "rating", "min": min, "max": max}));
    schema_refuses_at(&rating(json!(1.5), json!(5)), &["questions[0].min"]);
    schema_refuses_at(&rating(json!(5), json!(5)), &["questions[0].max"]);
    schema_refuses_at(&rating(json!(0), json!(101)), &["questions[0].max"]);
    schema_refuses_at(
        &rating(json!(i64::MIN), json!(i64::MAX)),
        &["questions[0].max"],
    );
    schema_refuses_at(&rating(json!(0), json!(u64::MAX)), &["questions[0].max"]);
    assert!(Schema::parse(&rating(json!(0), json!(100)), &NoVocabularies).is_ok());
    assert!(Schema::parse(&rating(json!(-3), json!(3)), &NoVocabularies).is_ok());
}

#[test]
fn text_length_is_bounded() {
    let text = |n: Json| one(json!({"name": "notes", "type": "text", "max_length": n}));
    schema_refuses_at(&text(json!(0)), &["questions[0].max_length"]);
    schema_refuses_at(&text(json!(100_001)), &["questions[0].max_length"]);
    schema_refuses_at(&text(json!(-1)), &["questions[0].max_length"]);
    schema_refuses_at(&text(json!(2.5)), &["questions[0].max_length"]);
    assert!(Schema::parse(&text(json!(100_000)), &NoVocabularies).is_ok());
    assert!(Schema::parse(&text(json!(1)), &NoVocabularies).is_ok());
}

#[test]
fn region_attributes_are_flat_and_unique() {
    let regions = |attrs: Json| {
        one(
            json!({"name": "sections", "type": "regions", "labels": ["verse"], "attributes": attrs}),
        )
    };
    for nested in ["regions", "markers"] {
        schema_refuses_at(
            &regions(json!([{"name": "inner", "type": nested, "labels": ["x"]}])),
            &["questions[0].attributes[0].type"],
        );
    }
    schema_refuses_at(
        &regions(json!([
            {"name": "a", "type": "key"},
            {"name": "a", "type": "text"}
        ])),
        &["questions[0].attributes[1].name"],
    );
    schema_refuses_at(
        &regions(json!([{"name": "a", "type": "single_choice", "labels": ["x", "x"]}])),
        &["questions[0].attributes[0].labels[1]"],
    );
    schema_refuses_at(
        &regions(json!([{"name": "a", "type": "multi_label", "vocabulary": "nope"}])),
        &["questions[0].attributes[0].vocabulary"],
    );
    schema_refuses_at(&regions(json!({})), &["questions[0].attributes"]);
    // Every allowed attribute type reads, vocabularies included.
    let ok = regions(json!([
        {"name": "a", "type": "single_choice", "labels": ["x"]},
        {"name": "b", "type": "multi_label", "vocabulary": "tagger:instrument"},
        {"name": "c", "type": "number", "min": 0, "max": 1},
        {"name": "d", "type": "rating", "min": 1, "max": 3},
        {"name": "e", "type": "text"},
        {"name": "f", "type": "key"}
    ]));
    let s = Schema::parse(&ok, &vocab()).unwrap();
    assert_eq!(
        s.questions[0].kind.attributes()[1].kind.labels(),
        ["guitar", "piano"]
    );
}

#[test]
fn every_fault_of_a_schema_comes_back_at_once() {
    let j = json!({"questions": [
        {"name": "Genre", "type": "single_choice", "labels": ["a", "a"]},
        {"name": "bpm", "type": "number", "min": 5, "max": 1},
        {"name": "x", "type": "tempo"},
        {"name": "notes", "type": "text", "max_length": 0, "extra": true}
    ]});
    let e = schema_refused(&j);
    let f: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        f,
        [
            "questions[0].name",
            "questions[0].labels[1]",
            "questions[1].max",
            "questions[2].type",
            "questions[3].extra",
            "questions[3].max_length"
        ]
    );
}

#[test]
fn every_field_of_a_real_schema_refuses_every_other_json_type() {
    use super::common::{every_position, one_of_each_type, replace, same_type, PathStep};
    let doc = music_json();
    let mut tried = 0;
    for (path, steps) in every_position(&doc, "") {
        let mut original = &doc;
        for st in &steps {
            original = match st {
                PathStep::Key(k) => &original[k.as_str()],
                PathStep::Index(i) => &original[*i],
            };
        }
        for v in one_of_each_type() {
            if same_type(&v, original) {
                continue;
            }
            let json = replace(&doc, &steps, v.clone());
            // A null title is no title; a null vocabulary leaves the moods without labels.
            if v.is_null() && path.ends_with(".title") {
                assert!(Schema::parse(&json, &vocab()).is_ok());
                continue;
            }
            let expected = if v.is_null() && path.ends_with(".vocabulary") {
                path.replace(".vocabulary", ".labels")
            } else {
                path.clone()
            };
            tried += 1;
            let e = schema_refused(&json);
            let f: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(f, [expected.as_str()], "{path} = {v}: {e:?}");
        }
    }
    assert!(tried > 200, "{tried}");
}
