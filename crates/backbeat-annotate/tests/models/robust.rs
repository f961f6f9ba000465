//! Hostile responses: whatever a backend sends, reading it returns predictions or an error,
//! never a panic.

use backbeat_annotate::models::{parse_key, ExternalModel, ModelConfig, ModelError};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

use super::fixture::{schema, tasks};

fn model() -> ExternalModel {
    let config: ModelConfig =
        serde_json::from_value(json!({"kind": "http", "url": "http://127.0.0.1:9/predict"}))
            .unwrap();
    ExternalModel::new(&config, &schema(), "p").unwrap()
}

/// Any JSON, biased towards the names and keys the reader looks for.
fn json_value() -> impl Strategy<Value = Json> {
    let word = prop_oneof![
        Just("genre".to_string()),
        Just("moods".to_string()),
        Just("bpm".to_string()),
        Just("key".to_string()),
        Just("sections".to_string()),
        Just("sections.instrumental".to_string()),
        Just("beats".to_string()),
        Just("notes".to_string()),
        Just("energy".to_string()),
        Just("choices".to_string()),
        Just("labels".to_string()),
        Just("number".to_string()),
        Just("A minor".to_string()),
        "[a-z#. ]{0,8}",
    ];
    let key = prop_oneof![
        Just("from_name".to_string()),
        Just("type".to_string()),
        Just("value".to_string()),
        Just("score".to_string()),
        Just("id".to_string()),
        Just("start".to_string()),
        Just("end".to_string()),
        Just("choices".to_string()),
        Just("labels".to_string()),
        Just("number".to_string()),
        Just("rating".to_string()),
        Just("text".to_string()),
        Just("result".to_string()),
        Just("answers".to_string()),
        Just("confidence".to_string()),
        Just("tonic".to_string()),
        Just("mode".to_string()),
        Just("time".to_string()),
        Just("label".to_string()),
        Just("genre".to_string()),
        Just("bpm".to_string()),
        Just("beats".to_string()),
    ];
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<f64>().prop_map(|x| json!(x)),
        (-5i64..400).prop_map(Json::from),
        word.prop_map(Json::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_are_read_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = model().parse_response(&bytes, &tasks(1));
    }

    #[test]
    fn any_label_studio_shaped_response_is_read_without_panicking(
        predictions in prop::collection::vec(json_value(), 0..3),
        shape in 0..3u8,
    ) {
        let doc = match shape {
            0 => json!({"results": predictions}),
            1 => Json::Array(predictions.clone()),
            _ => json!({"predictions": predictions}),
        };
        let n = predictions.len();
        match model().parse_response(doc.to_string().as_bytes(), &tasks(n)) {
            Ok(got) => {
                prop_assert_eq!(got.len(), n);
                for p in got {
                    for c in p.confidence.values() {
                        prop_assert!((0.0..=1.0).contains(c));
                    }
                }
            }
            Err(ModelError::Field { task, .. }) => prop_assert!(task.starts_with("item-")),
            Err(ModelError::Shape { .. } | ModelError::Count { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    #[test]
    fn any_text_is_read_as_a_key_or_refused(text in "\\PC{0,12}") {
        if let Some(key) = parse_key(&text) {
            prop_assert!(key.tonic < 12);
        }
    }
}

#[test]
fn deeply_nested_json_is_refused_not_overflowing_the_stack() {
    let depth = 100_000;
    let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let err = model()
        .parse_response(body.as_bytes(), &tasks(1))
        .unwrap_err();
    assert!(err.to_string().contains("recursion limit"), "{err}");
}
