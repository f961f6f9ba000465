//! `parse_answers` and `check_answers`: a realistic answer reads; every refusal names its
//! field; the typed check applies the same rules.

use std::collections::BTreeSet;

use backbeat_annotate::answer::{Answers, Key, Marker, Mode, Region, Value};
use backbeat_annotate::schema::{tonic_from_name, Window};
use serde_json::{json, Value as Json};

use super::common::{
    answer_json, every_position, fields, music, one_of_each_type, refused, refuses_at, replace,
    same_type, with, PathStep, TRACK,
};

#[test]
fn a_realistic_answer_reads_into_typed_values() {
    let a = music().parse_answers(&answer_json(), TRACK).unwrap();
    assert_eq!(a["genre"], Value::Choice("rock".into()));
    assert_eq!(
        a["moods"],
        Value::Tags(BTreeSet::from(["dark".to_owned(), "energetic".to_owned()]))
    );
    assert_eq!(a["bpm"], Value::Number(128.5));
    assert_eq!(
        a["key"],
        Value::Key(Key {
            tonic: 6,
            mode: Mode::Minor
        })
    );
    assert_eq!(a["energy"], Value::Number(4.0));
    assert_eq!(
        a["notes"],
        Value::Text("Drop at 1:02 — café au lait".into())
    );
    let Value::Regions(sections) = &a["sections"] else {
        panic!("{:?}", a["sections"])
    };
    assert_eq!(sections.len(), 4);
    assert_eq!(sections[1].attributes["loudness"], json!(2.0));
    // A null optional attribute is dropped, not stored.
    assert!(!sections[3].attributes.contains_key("loudness"));
    let Value::Markers(beats) = &a["beats"] else {
        panic!()
    };
    assert_eq!(beats[0].label, "downbeat");
    // What was read passes the typed check.
    music().check_answers(&a, TRACK).unwrap();
}

#[test]
fn optional_questions_may_be_absent_or_null() {
    let s = music();
    let a = s.parse_answers(&with("notes", None), TRACK).unwrap();
    assert!(!a.contains_key("notes"));
    let a = s
        .parse_answers(&with("notes", Some(Json::Null)), TRACK)
        .unwrap();
    assert!(!a.contains_key("notes"));
}

#[test]
fn the_answer_must_be_an_object_of_known_questions() {
    let s = music();
    for bad in [json!([]), json!("rock"), json!(null), json!(1)] {
        refuses_at(&s, &bad, TRACK, &["answers"]);
    }
    refuses_at(
        &s,
        &with("tempo", Some(json!(120))),
        TRACK,
        &["answers.tempo"],
    );
    refuses_at(
        &s,
        &with("Genre Name", Some(json!(1))),
        TRACK,
        &["answers[\"Genre Name\"]"],
    );
    refuses_at(&s, &with("genre", None), TRACK, &["answers.genre"]);
    refuses_at(
        &s,
        &with("genre", Some(Json::Null)),
        TRACK,
        &["answers.genre"],
    );
    // Every required question missing from an empty answer, each named.
    refuses_at(
        &s,
        &json!({}),
        TRACK,
        &[
            "answers.genre",
            "answers.moods",
            "answers.bpm",
            "answers.key",
            "answers.energy",
            "answers.sections",
            "answers.beats",
        ],
    );
}

/// The JSON shape each question takes.
fn shape_fits(question: &str, v: &Json) -> bool {
    match question {
        "genre" | "notes" => v.is_string(),
        "moods" | "sections" | "beats" => v.is_array(),
        "bpm" | "energy" => v.is_number(),
        "key" => v.is_object(),
        _ => unreachable!(),
    }
}

#[test]
fn every_type_confused_value_is_refused() {
    let s = music();
    let shapes = [
        json!(true),
        json!(false),
        json!(0),
        json!(128.5),
        json!(-1),
        json!("NaN"),
        json!("Infinity"),
        json!("120"),
        json!("rock"),
        json!([]),
        json!(["rock"]),
        json!([1]),
        json!([[]]),
        json!({}),
        json!({"tonic": "C", "mode": "major"}),
        json!([{"time": 1, "label": "beat"}]),
        json!([{"start": 1, "end": 2, "label": "verse", "attributes": {"instrumental": "yes"}}]),
        json!({"start": 1, "end": 2, "label": "verse"}),
    ];
    let mut tried = 0;
    for q in [
        "genre", "moods", "bpm", "key", "energy", "notes", "sections", "beats",
    ] {
        for v in &shapes {
            if shape_fits(q, v) {
                continue;
            }
            tried += 1;
            let e = refused(&s, &with(q, Some(v.clone())), TRACK);
            assert_eq!(fields(&e), [format!("answers.{q}")], "{q} = {v}");
            assert!(e[0].message.starts_with("expected"), "{e:?}");
        }
    }
    assert!(tried > 80, "{tried}");

    // One level down: the parts of a key, a region, a marker, an attribute.
    let cases: Vec<(&str, Json, &str)> = vec![
        (
            "key",
            json!({"tonic": 6, "mode": "minor"}),
            "answers.key.tonic",
        ),
        (
            "key",
            json!({"tonic": "F#", "mode": true}),
            "answers.key.mode",
        ),
        (
            "key",
            json!({"tonic": ["F#"], "mode": "minor"}),
            "answers.key.tonic",
        ),
        ("moods", json!(["sad", 3]), "answers.moods[1]"),
        ("moods", json!(["sad", null]), "answers.moods[1]"),
        ("sections", json!([1]), "answers.sections[0]"),
        (
            "sections",
            json!([{"start": "0", "end": 2, "label": "verse", "attributes": {"instrumental": "no"}}]),
            "answers.sections[0].start",
        ),
        (
            "sections",
            json!([{"start": 0, "end": [2], "label": "verse", "attributes": {"instrumental": "no"}}]),
            "answers.sections[0].end",
        ),
        (
            "sections",
            json!([{"start": 0, "end": 2, "label": 7, "attributes": {"instrumental": "no"}}]),
            "answers.sections[0].label",
        ),
        (
            "sections",
            json!([{"start": 0, "end": 2, "label": "verse", "attributes": ["no"]}]),
            "answers.sections[0].attributes",
        ),
        (
            "sections",
            json!([{"start": 0, "end": 2, "label": "verse", "attributes": {"instrumental": true}}]),
            "answers.sections[0].attributes.instrumental",
        ),
        (
            "sections",
            json!([{"start": 0, "end": 2, "label": "verse", "attributes": {"instrumental": "no", "loudness": "2"}}]),
            "answers.sections[0].attributes.loudness",
        ),
        ("beats", json!([1.5]), "answers.beats[0]"),
        (
            "beats",
            json!([{"time": "1.5", "label": "beat"}]),
            "answers.beats[0].time",
        ),
        (
            "beats",
            json!([{"time": 1.5, "label": ["beat"]}]),
            "answers.beats[0].label",
        ),
        (
            "beats",
            json!([{"time": null, "label": "beat"}]),
            "answers.beats[0].time",
        ),
    ];
    for (q, v, field) in cases {
        refuses_at(&s, &with(q, Some(v.clone())), TRACK, &[field]);
    }
}

#[test]
fn labels_must_be_known_and_tags_distinct() {
    let s = music();
    refuses_at(
        &s,
        &with("genre", Some(json!("polka"))),
        TRACK,
        &["answers.genre"],
    );
    refuses_at(
        &s,
        &with("genre", Some(json!("Rock"))),
        TRACK,
        &["answers.genre"],
    );
    refuses_at(
        &s,
        &with("moods", Some(json!(["sad", "angry"]))),
        TRACK,
        &["answers.moods[1]"],
    );
    refuses_at(
        &s,
        &with("moods", Some(json!(["sad", "calm", "sad"]))),
        TRACK,
        &["answers.moods[2]"],
    );
    let e = refused(&s, &with("genre", Some(json!("polka"))), TRACK);
    assert!(e[0].message.contains("polka"), "{}", e[0].message);
    // More tags than labels is one error, not one per tag.
    let seven = json!([
        "happy",
        "sad",
        "energetic",
        "calm",
        "dark",
        "romantic",
        "happy"
    ]);
    refuses_at(&s, &with("moods", Some(seven)), TRACK, &["answers.moods"]);
    // No mood at all is an answer.
    let a = s
        .parse_answers(&with("moods", Some(json!([]))), TRACK)
        .unwrap();
    assert_eq!(a["moods"], Value::Tags(BTreeSet::new()));
}

#[test]
fn numbers_are_finite_and_in_range() {
    let s = music();
    for bad in [
        json!(29.99),
        json!(300.01),
        json!(-0.0),
        json!(1.7976931348623157e308),
        json!(u64::MAX),
    ] {
        refuses_at(&s, &with("bpm", Some(bad)), TRACK, &["answers.bpm"]);
    }
    for ok in [json!(30), json!(300), json!(120.000001)] {
        s.parse_answers(&with("bpm", Some(ok)), TRACK).unwrap();
    }
    // JSON has no NaN or infinity: serde_json refuses them before the schema sees anything,
    // and an overflowing literal does not become infinity.
    assert!(serde_json::from_str::<Json>("NaN").is_err());
    assert!(serde_json::from_str::<Json>("{\"bpm\": 1e400}").is_err());
    // A big integer literal arrives as a float and is refused by the range.
    let big: Json = serde_json::from_str("{\"bpm\": 100000000000000000000000000000}").unwrap();
    assert!(big["bpm"].is_number());
    refuses_at(
        &s,
        &with("bpm", Some(big["bpm"].clone())),
        TRACK,
        &["answers.bpm"],
    );
}

#[test]
fn ratings_are_whole_numbers_in_range() {
    let s = music();
    for bad in [
        json!(3.5),
        json!(0),
        json!(6),
        json!(-1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(4.000001),
    ] {
        refuses_at(&s, &with("energy", Some(bad)), TRACK, &["answers.energy"]);
    }
    for ok in [json!(1), json!(5), json!(3.0)] {
        s.parse_answers(&with("energy", Some(ok)), TRACK).unwrap();
    }
}

#[test]
fn keys_accept_sharps_flats_and_any_case() {
    let spellings = [
        ("C", 0),
        ("c", 0),
        ("B#", 0),
        ("C#", 1),
        ("Db", 1),
        ("db", 1),
        ("DB", 1),
        ("D", 2),
        ("D#", 3),
        ("Eb", 3),
        ("E", 4),
        ("Fb", 4),
        ("E#", 5),
        ("F", 5),
        ("F#", 6),
        ("Gb", 6),
        ("f♯", 6),
        ("G♭", 6),
        ("G", 7),
        ("G#", 8),
        ("Ab", 8),
        ("A", 9),
        ("A#", 10),
        ("Bb", 10),
        ("B", 11),
        ("Cb", 11),
    ];
    let s = music();
    for (name, pc) in spellings {
        assert_eq!(tonic_from_name(name), Some(pc), "{name}");
        for mode in ["major", "MAJOR", "Minor"] {
            let a = s
                .parse_answers(
                    &with("key", Some(json!({"tonic": name, "mode": mode}))),
                    TRACK,
                )
                .unwrap();
            let Value::Key(k) = a["key"] else { panic!() };
            assert_eq!(k.tonic, pc);
        }
    }
    for bad in [
        "H", "F##", "Fx", "", " F#", "F# ", "F#m", "F sharp", "Bbb", "10", "♯",
    ] {
        refuses_at(
            &s,
            &with("key", Some(json!({"tonic": bad, "mode": "minor"}))),
            TRACK,
            &["answers.key.tonic"],
        );
    }
    for bad in ["dorian", "", "maj", "min", "major "] {
        refuses_at(
            &s,
            &with("key", Some(json!({"tonic": "A", "mode": bad}))),
            TRACK,
            &["answers.key.mode"],
        );
    }
    refuses_at(
        &s,
        &with("key", Some(json!({"tonic": "A"}))),
        TRACK,
        &["answers.key.mode"],
    );
    refuses_at(
        &s,
        &with(
            "key",
            Some(json!({"tonic": "A", "mode": "minor", "scale": "x"})),
        ),
        TRACK,
        &["answers.key.scale"],
    );
}

#[test]
fn text_is_counted_in_characters_and_has_no_nul() {
    let s = music();
    // 200 characters of two bytes each fit a 200-character limit.
    s.parse_answers(&with("notes", Some(json!("é".repeat(200)))), TRACK)
        .unwrap();
    refuses_at(
        &s,
        &with("notes", Some(json!("é".repeat(201)))),
        TRACK,
        &["answers.notes"],
    );
    refuses_at(
        &s,
        &with("notes", Some(json!("a\u{0}b"))),
        TRACK,
        &["answers.notes"],
    );
    s.parse_answers(&with("notes", Some(json!(""))), TRACK)
        .unwrap();
}

fn section(start: Json, end: Json, label: &str) -> Json {
    json!({"start": start, "end": end, "label": label, "attributes": {"instrumental": "no"}})
}

#[test]
fn regions_are_ordered_spans_inside_the_window() {
    let s = music();
    let good = section(json!(10), json!(20), "verse");
    let three = |third: Json| with("sections", Some(json!([good, good, third])));
    refuses_at(
        &s,
        &three(section(json!(30), json!(20), "verse")),
        TRACK,
        &["answers.sections[2].end"],
    );
    refuses_at(
        &s,
        &three(section(json!(30), json!(30), "verse")),
        TRACK,
        &["answers.sections[2].end"],
    );
    refuses_at(
        &s,
        &three(section(json!(-0.002), json!(3), "verse")),
        TRACK,
        &["answers.sections[2].start"],
    );
    refuses_at(
        &s,
        &three(section(json!(170), json!(180.002), "verse")),
        TRACK,
        &["answers.sections[2].end"],
    );
    refuses_at(
        &s,
        &three(section(json!(190), json!(200), "verse")),
        TRACK,
        &["answers.sections[2].start", "answers.sections[2].end"],
    );
    refuses_at(
        &s,
        &three(section(json!(1), json!(2), "solo")),
        TRACK,
        &["answers.sections[2].label"],
    );
    // Within a millisecond of the edges is inside.
    s.parse_answers(
        &three(section(json!(-0.0009), json!(180.0009), "verse")),
        TRACK,
    )
    .unwrap();
    // Missing and unknown fields.
    refuses_at(
        &s,
        &three(json!({"end": 3, "label": "verse", "attributes": {"instrumental": "no"}})),
        TRACK,
        &["answers.sections[2].start"],
    );
    refuses_at(
        &s,
        &three(
            json!({"start": 1, "end": 3, "label": "verse", "colour": "red", "attributes": {"instrumental": "no"}}),
        ),
        TRACK,
        &["answers.sections[2].colour"],
    );
    // No regions is an answer.
    s.parse_answers(&with("sections", Some(json!([]))), TRACK)
        .unwrap();
}

#[test]
fn region_attributes_are_checked_against_their_questions() {
    let s = music();
    let one = |attrs: Json| {
        with(
            "sections",
            Some(json!([{"start": 1, "end": 2, "label": "verse", "attributes": attrs}])),
        )
    };
    refuses_at(
        &s,
        &one(json!({"instrumental": "no", "tempo": 3})),
        TRACK,
        &["answers.sections[0].attributes.tempo"],
    );
    refuses_at(
        &s,
        &one(json!({})),
        TRACK,
        &["answers.sections[0].attributes.instrumental"],
    );
    refuses_at(
        &s,
        &one(json!({"instrumental": null})),
        TRACK,
        &["answers.sections[0].attributes.instrumental"],
    );
    refuses_at(
        &s,
        &one(json!({"instrumental": "maybe"})),
        TRACK,
        &["answers.sections[0].attributes.instrumental"],
    );
    refuses_at(
        &s,
        &one(json!({"instrumental": "no", "loudness": 4})),
        TRACK,
        &["answers.sections[0].attributes.loudness"],
    );
    refuses_at(
        &s,
        &one(json!({"instrumental": "no", "loudness": 2.5})),
        TRACK,
        &["answers.sections[0].attributes.loudness"],
    );
    // No attributes at all misses the required one.
    refuses_at(
        &s,
        &with(
            "sections",
            Some(json!([{"start": 1, "end": 2, "label": "verse"}])),
        ),
        TRACK,
        &["answers.sections[0].attributes.instrumental"],
    );
}

#[test]
fn a_window_of_a_track_bounds_regions_and_markers() {
    let s = music();
    let window = Window {
        start: 60.0,
        end: 90.0,
    };
    let mut a = answer_json();
    a["sections"] = json!([
        section(json!(60), json!(75), "verse"),
        section(json!(59.5), json!(61), "verse")
    ]);
    a["beats"] = json!([{"time": 60.0, "label": "beat"}, {"time": 91, "label": "beat"}, {"time": 30, "label": "beat"}]);
    refuses_at(
        &s,
        &a,
        window,
        // Questions in key order (serde_json's objects are sorted), elements in order.
        &[
            "answers.beats[1].time",
            "answers.beats[2].time",
            "answers.sections[1].start",
        ],
    );
    // A broken window admits nothing rather than everything.
    let nan = Window {
        start: f64::NAN,
        end: 90.0,
    };
    assert!(!nan.contains(70.0));
    let reversed = Window {
        start: 90.0,
        end: 60.0,
    };
    assert!(!reversed.contains(70.0));
    assert!(Window::unbounded().contains(1e9));
    assert!(!Window::unbounded().contains(-0.5));
}

#[test]
fn markers_are_labelled_times_inside_the_window() {
    let s = music();
    let beats = |v: Json| with("beats", Some(v));
    refuses_at(
        &s,
        &beats(json!([{"time": 1, "label": "snare"}])),
        TRACK,
        &["answers.beats[0].label"],
    );
    refuses_at(
        &s,
        &beats(json!([{"time": 1, "label": "beat"}, {"time": 180.5, "label": "beat"}])),
        TRACK,
        &["answers.beats[1].time"],
    );
    refuses_at(
        &s,
        &beats(json!([{"label": "beat"}])),
        TRACK,
        &["answers.beats[0].time"],
    );
    refuses_at(
        &s,
        &beats(json!([{"time": 1}])),
        TRACK,
        &["answers.beats[0].label"],
    );
    refuses_at(
        &s,
        &beats(json!([{"time": 1, "label": "beat", "x": 1}])),
        TRACK,
        &["answers.beats[0].x"],
    );
    s.parse_answers(&beats(json!([])), TRACK).unwrap();
}

#[test]
fn every_fault_of_an_answer_comes_back_at_once() {
    let s = music();
    let mut a = answer_json();
    a["genre"] = json!("polka");
    a["bpm"] = json!("fast");
    a["key"] = json!({"tonic": "H", "mode": "lydian"});
    a["sections"][2]["end"] = json!(10);
    a["beats"][1]["label"] = json!("clap");
    a["extra"] = json!(1);
    refuses_at(
        &s,
        &a,
        TRACK,
        &[
            "answers.beats[1].label",
            "answers.bpm",
            "answers.extra",
            "answers.genre",
            "answers.key.tonic",
            "answers.key.mode",
            "answers.sections[2].end",
        ],
    );
}

fn typed() -> Answers {
    music().parse_answers(&answer_json(), TRACK).unwrap()
}

#[test]
fn typed_answers_are_held_to_the_same_rules() {
    let s = music();
    let refuse = |a: &Answers| s.check_answers(a, TRACK).unwrap_err();
    let mut a = typed();
    a.insert("bpm".into(), Value::Number(f64::NAN));
    assert_eq!(fields(&refuse(&a)), ["answers.bpm"]);
    a.insert("bpm".into(), Value::Number(f64::INFINITY));
    assert_eq!(fields(&refuse(&a)), ["answers.bpm"]);
    let mut a = typed();
    a.insert("energy".into(), Value::Number(2.5));
    assert_eq!(fields(&refuse(&a)), ["answers.energy"]);
    let mut a = typed();
    a.insert(
        "key".into(),
        Value::Key(Key {
            tonic: 12,
            mode: Mode::Major,
        }),
    );
    assert_eq!(fields(&refuse(&a)), ["answers.key.tonic"]);
    let mut a = typed();
    a.insert("genre".into(), Value::Text("rock".into()));
    a.insert("notes".into(), Value::Choice("x".into()));
    a.insert(
        "moods".into(),
        Value::Tags(BTreeSet::from(["sad".into(), "zzz".into()])),
    );
    assert_eq!(
        fields(&refuse(&a)),
        ["answers.genre", "answers.moods[1]", "answers.notes"]
    );
    let mut a = typed();
    a.remove("genre");
    a.insert("tempo".into(), Value::Number(1.0));
    assert_eq!(fields(&refuse(&a)), ["answers.tempo", "answers.genre"]);
    let mut a = typed();
    a.insert(
        "beats".into(),
        Value::Markers(vec![
            Marker {
                time: f64::NAN,
                label: "beat".into(),
            },
            Marker {
                time: 3.0,
                label: "hat".into(),
            },
        ]),
    );
    assert_eq!(
        fields(&refuse(&a)),
        ["answers.beats[0].time", "answers.beats[1].label"]
    );
}

#[test]
fn json_and_typed_refusals_are_identical() {
    // The same faulty regions, once as JSON and once typed, give the same errors: one set of
    // rules behind both.
    let s = music();
    let region = |start: f64, end: f64, label: &str, attrs: Json| Region {
        start,
        end,
        label: label.into(),
        attributes: serde_json::from_value(attrs).unwrap(),
    };
    let regions = vec![
        region(5.0, 4.0, "verse", json!({"instrumental": "no"})),
        region(5.0, 5.0, "solo", json!({"instrumental": "no"})),
        region(
            -1.0,
            190.0,
            "verse",
            json!({"instrumental": "maybe", "tempo": 1}),
        ),
        region(1.0, 2.0, "verse", json!({"loudness": 9})),
    ];
    let mut typed = typed();
    typed.insert("sections".into(), Value::Regions(regions.clone()));
    let from_typed = s.check_answers(&typed, TRACK).unwrap_err();
    let mut a = answer_json();
    a["sections"] = serde_json::to_value(&regions).unwrap();
    let from_json = refused(&s, &a, TRACK);
    assert_eq!(from_typed, from_json);
    assert_eq!(
        fields(&from_json),
        [
            "answers.sections[0].end",
            "answers.sections[1].end",
            "answers.sections[1].label",
            "answers.sections[2].start",
            "answers.sections[2].end",
            "answers.sections[2].attributes.instrumental",
            "answers.sections[2].attributes.tempo",
            "answers.sections[3].attributes.loudness",
            "answers.sections[3].attributes.instrumental",
        ]
    );
}

#[test]
fn every_field_of_a_real_answer_refuses_every_other_json_type() {
    // Walk the realistic answer: each field (leaf or container) replaced by a value of each
    // other JSON type is refused, naming that field and nothing else.
    let s = music();
    let doc = answer_json();
    let mut tried = 0;
    for (path, steps) in every_position(&doc, "answers") {
        let original = {
            let mut at = &doc;
            for st in &steps {
                at = match st {
                    PathStep::Key(k) => &at[k.as_str()],
                    PathStep::Index(i) => &at[*i],
                };
            }
            at.clone()
        };
        for v in one_of_each_type() {
            if same_type(&v, &original) {
                continue;
            }
            let answer = replace(&doc, &steps, v.clone());
            // null means "no answer": fine for an optional question or attribute; refused as
            // missing for a required one (a region's attributes as a whole: its required
            // attribute is missing).
            let optional = path == "answers.notes" || path.ends_with(".loudness");
            if v.is_null() && optional {
                s.parse_answers(&answer, TRACK).unwrap();
                continue;
            }
            let expected = if v.is_null() && path.ends_with(".attributes") {
                format!("{path}.instrumental")
            } else {
                path.clone()
            };
            tried += 1;
            let e = refused(&s, &answer, TRACK);
            assert_eq!(fields(&e), [expected.as_str()], "{path} = {v}: {e:?}");
        }
    }
    assert!(tried > 200, "{tried}");
}
