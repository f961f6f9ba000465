//! Versioning: what stored answers use, what a new version orphans (one test per kind of
//! change, and none for additive changes), and the change log.

use backbeat_annotate::schema::{
    Change, LabelUsage, NoVocabularies, Orphan, OrphanReason, QuestionType, Schema,
};
use serde_json::{json, Value as Json};

use super::common::{answer_json, music, music_json, vocab, TRACK};

/// The usage of the realistic answer plus a second one.
fn usage() -> LabelUsage {
    let s = music();
    let mut u = LabelUsage::default();
    u.add(&s, &s.parse_answers(&answer_json(), TRACK).unwrap());
    let mut second = answer_json();
    second["genre"] = json!("jazz");
    second["bpm"] = json!(92);
    second["notes"] = json!("x".repeat(150));
    u.add(&s, &s.parse_answers(&second, TRACK).unwrap());
    u
}

/// The music schema edited by `edit`, parsed.
fn edited(edit: impl FnOnce(&mut Json)) -> Schema {
    let mut j = music_json();
    edit(&mut j);
    Schema::parse(&j, &vocab()).unwrap()
}

/// The index of the question `name` in the music schema's JSON.
fn at(name: &str) -> usize {
    music_json()["questions"]
        .as_array()
        .unwrap()
        .iter()
        .position(|q| q["name"] == name)
        .unwrap()
}

fn reasons(orphans: &[Orphan]) -> Vec<(String, Option<String>, Option<String>, OrphanReason)> {
    orphans
        .iter()
        .map(|o| {
            (
                o.question.clone(),
                o.attribute.clone(),
                o.label.clone(),
                o.reason,
            )
        })
        .collect()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[test]
fn usage_records_labels_ranges_and_lengths() {
    let u = usage();
    let genre = &u.questions["genre"];
    assert_eq!(genre.count, 2);
    assert_eq!(
        genre.types.iter().copied().collect::<Vec<_>>(),
        [QuestionType::SingleChoice]
    );
    assert_eq!(genre.labels["rock"], 1);
    assert_eq!(genre.labels["jazz"], 1);
    let bpm = &u.questions["bpm"];
    assert_eq!((bpm.min, bpm.max), (Some(92.0), Some(128.5)));
    assert_eq!(
        u.questions["energy"].types.first(),
        Some(&QuestionType::Rating)
    );
    // Characters, not bytes: the café note is 27 characters, the second note 150.
    assert_eq!(u.questions["notes"].longest_text, 150);
    let sections = &u.questions["sections"];
    assert_eq!(sections.labels["verse"], 2);
    assert_eq!(sections.attributes["instrumental"].labels["yes"], 4);
    assert_eq!(sections.attributes["loudness"].min, Some(2.0));
    assert_eq!(u.questions["beats"].labels["beat"], 6);
    // Storage keeps it as JSON.
    let j = serde_json::to_value(&u).unwrap();
    assert_eq!(j["questions"]["notes"]["longestText"], 150);
    let back: LabelUsage = serde_json::from_value(j).unwrap();
    assert_eq!(back, u);
}

#[test]
fn the_same_schema_orphans_nothing() {
    assert!(music().orphans(&usage()).is_empty());
    assert!(music().orphans(&LabelUsage::default()).is_empty());
}

#[test]
fn additive_changes_orphan_nothing() {
    let s = edited(|j| {
        let q = j["questions"].as_array_mut().unwrap();
        q[at("genre")]["labels"]
            .as_array_mut()
            .unwrap()
            .push(json!("folk"));
        q[at("bpm")]["min"] = json!(20);
        q[at("bpm")]["max"] = json!(400);
        q[at("energy")]["max"] = json!(10);
        q[at("notes")]["max_length"] = json!(5000);
        q[at("sections")]["labels"]
            .as_array_mut()
            .unwrap()
            .push(json!("solo"));
        q[at("sections")]["attributes"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "vocals", "type": "key", "required": false}));
        q[at("beats")]["labels"]
            .as_array_mut()
            .unwrap()
            .push(json!("drop"));
        q.push(json!({"name": "voice", "type": "single_choice", "labels": ["male", "female"]}));
    });
    assert_eq!(s.orphans(&usage()), vec![]);
    let log: Vec<String> = s
        .changes(&music())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        log,
        [
            "labels added to genre: \"folk\"",
            "bpm range 30..=300 → 20..=400",
            "energy range 1..=5 → 1..=10",
            "notes max_length 200 → 5000",
            "labels added to sections: \"solo\"",
            "sections.vocals added (key)",
            "labels added to beats: \"drop\"",
            "voice added (single_choice)",
        ]
    );
}

#[test]
fn unused_labels_and_questions_may_go() {
    // "electronic" and "bridge" were never used; a question with no answers neither.
    let s = edited(|j| {
        let q = j["questions"].as_array_mut().unwrap();
        q[at("genre")]["labels"] = json!(["rock", "jazz"]);
        q[at("sections")]["labels"] = json!(["intro", "verse", "chorus", "outro"]);
    });
    assert_eq!(s.orphans(&usage()), vec![]);
    let mut u = usage();
    u.questions.remove("notes");
    let s = edited(|j| {
        j["questions"].as_array_mut().unwrap().remove(at("notes"));
    });
    assert_eq!(s.orphans(&u), vec![]);
}

#[test]
fn a_removed_question_with_answers_is_orphaned() {
    let s = edited(|j| {
        j["questions"].as_array_mut().unwrap().remove(at("bpm"));
    });
    let o = s.orphans(&usage());
    assert_eq!(
        reasons(&o),
        [("bpm".into(), None, None, OrphanReason::QuestionRemoved)]
    );
    assert!(o[0].detail.contains("2 answers"), "{}", o[0].detail);
    assert_eq!(
        s.changes(&music()),
        [Change::QuestionRemoved {
            question: "bpm".into(),
            attribute: None
        }]
    );
}

#[test]
fn a_changed_type_is_orphaned() {
    let s = edited(|j| {
        j["questions"][at("genre")] =
            json!({"name": "genre", "type": "multi_label", "labels": ["rock", "jazz"]});
        // Number to rating: same stored values, another type.
        j["questions"][at("bpm")] = json!({"name": "bpm", "type": "rating", "min": 0, "max": 100});
    });
    assert_eq!(
        reasons(&s.orphans(&usage())),
        [
            ("bpm".into(), None, None, OrphanReason::TypeChanged),
            ("genre".into(), None, None, OrphanReason::TypeChanged),
        ]
    );
    assert!(s.changes(&music()).contains(&Change::TypeChanged {
        question: "genre".into(),
        attribute: None,
        from: QuestionType::SingleChoice,
        to: QuestionType::MultiLabel,
    }));
}

#[test]
fn a_removed_label_in_use_is_orphaned() {
    let s = edited(|j| {
        let q = j["questions"].as_array_mut().unwrap();
        q[at("genre")]["labels"] = json!(["rock", "electronic"]);
        q[at("sections")]["labels"] = json!(["intro", "verse", "outro"]);
        q[at("beats")]["labels"] = json!(["beat"]);
    });
    assert_eq!(
        reasons(&s.orphans(&usage())),
        [
            (
                "beats".into(),
                None,
                some("downbeat"),
                OrphanReason::LabelRemoved
            ),
            (
                "genre".into(),
                None,
                some("jazz"),
                OrphanReason::LabelRemoved
            ),
            (
                "sections".into(),
                None,
                some("chorus"),
                OrphanReason::LabelRemoved
            ),
        ]
    );
}

#[test]
fn a_shrunk_vocabulary_orphans_the_moods_it_dropped() {
    let mut v = vocab();
    v.insert(
        "tagger:mood".into(),
        vec!["happy".into(), "sad".into(), "energetic".into()],
    );
    let s = Schema::parse(&music_json(), &v).unwrap();
    assert_eq!(
        reasons(&s.orphans(&usage())),
        [(
            "moods".into(),
            None,
            some("dark"),
            OrphanReason::LabelRemoved
        )]
    );
}

#[test]
fn a_narrowed_range_past_a_stored_value_is_orphaned() {
    // Stored BPMs are 92 and 128.5; ratings 4.
    let ok = edited(|j| {
        j["questions"][at("bpm")]["min"] = json!(92);
        j["questions"][at("bpm")]["max"] = json!(128.5);
        j["questions"][at("energy")]["min"] = json!(4);
    });
    assert_eq!(ok.orphans(&usage()), vec![]);
    for (q, field, v) in [
        ("bpm", "max", json!(128)),
        ("bpm", "min", json!(93)),
        ("energy", "max", json!(3)),
    ] {
        let s = edited(|j| j["questions"][at(q)][field] = v.clone());
        let o = s.orphans(&usage());
        assert_eq!(
            reasons(&o),
            [(q.into(), None, None, OrphanReason::OutOfRange)],
            "{q}.{field}"
        );
    }
}

#[test]
fn a_max_length_below_the_longest_text_is_orphaned() {
    let s = edited(|j| j["questions"][at("notes")]["max_length"] = json!(149));
    assert_eq!(
        reasons(&s.orphans(&usage())),
        [("notes".into(), None, None, OrphanReason::TextTooLong)]
    );
    let s = edited(|j| j["questions"][at("notes")]["max_length"] = json!(150));
    assert_eq!(s.orphans(&usage()), vec![]);
}

#[test]
fn region_attributes_in_use_cannot_go_or_shrink() {
    let s = edited(|j| {
        j["questions"][at("sections")]["attributes"] =
            json!([{"name": "instrumental", "type": "single_choice", "labels": ["no"]}]);
    });
    let o = s.orphans(&usage());
    assert_eq!(
        reasons(&o),
        [
            (
                "sections".into(),
                some("instrumental"),
                some("yes"),
                OrphanReason::LabelRemoved
            ),
            (
                "sections".into(),
                some("loudness"),
                None,
                OrphanReason::AttributeRemoved
            ),
        ]
    );
    // The client sees camelCase, the attribute and the label.
    let j = serde_json::to_value(&o).unwrap();
    assert_eq!(j[0]["reason"], "labelRemoved");
    assert_eq!(j[0]["attribute"], "instrumental");
    assert_eq!(j[1]["reason"], "attributeRemoved");
    assert!(j[1].get("label").is_none());
    // A narrowed attribute rating and a changed attribute type.
    let s = edited(|j| {
        j["questions"][at("sections")]["attributes"] = json!([
            {"name": "instrumental", "type": "text"},
            {"name": "loudness", "type": "rating", "min": 3, "max": 5}
        ]);
    });
    assert_eq!(
        reasons(&s.orphans(&usage())),
        [
            (
                "sections".into(),
                some("instrumental"),
                None,
                OrphanReason::TypeChanged
            ),
            (
                "sections".into(),
                some("loudness"),
                None,
                OrphanReason::OutOfRange
            ),
        ]
    );
    // An attribute never used may go.
    let mut u = usage();
    u.questions
        .get_mut("sections")
        .unwrap()
        .attributes
        .remove("loudness");
    let s = edited(|j| {
        j["questions"][at("sections")]["attributes"]
            .as_array_mut()
            .unwrap()
            .remove(1);
    });
    assert_eq!(s.orphans(&u), vec![]);
}

#[test]
fn answers_outside_the_schema_still_count() {
    // An answer stored without the schema's check (a question the schema lacks) keeps the
    // question from being dropped silently.
    let s = Schema::parse(
        &json!({"questions": [{"name": "a", "type": "key"}]}),
        &NoVocabularies,
    )
    .unwrap();
    let mut u = LabelUsage::default();
    let answers = music().parse_answers(&answer_json(), TRACK).unwrap();
    u.add(&s, &answers);
    assert_eq!(u.questions["genre"].count, 1);
    assert_eq!(s.orphans(&u).len(), answers.len());
}

#[test]
fn changes_list_removals_edits_and_requirement() {
    let s = edited(|j| {
        let q = j["questions"].as_array_mut().unwrap();
        q[at("genre")]["labels"] = json!(["jazz", "rock", "hip_hop"]);
        q[at("genre")]["title"] = json!("Main genre");
        q[at("notes")]["required"] = json!(true);
        q[at("moods")]["distance"] = json!("masi");
        q[at("sections")]["attributes"] = json!([
            {"name": "instrumental", "type": "single_choice", "labels": ["yes", "no", "partly"]}
        ]);
    });
    let log: Vec<String> = s
        .changes(&music())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        log,
        [
            "genre title changed",
            "labels removed from genre: \"electronic\"",
            "moods distance changed",
            "notes is now required",
            "labels added to sections.instrumental: \"partly\"",
            "sections.loudness removed",
        ]
    );
    let j = serde_json::to_value(s.changes(&music())).unwrap();
    assert_eq!(j[1]["change"], "labelsRemoved");
    assert_eq!(j[1]["labels"], json!(["electronic"]));
}
