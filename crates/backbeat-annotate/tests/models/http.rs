//! External models over a real local HTTP server.

use std::time::{Duration, Instant};

use backbeat_annotate::answer::{Key, Marker, Mode, Region, Value};
use backbeat_annotate::models::{ExternalModel, ModelConfig, ModelError};
use serde_json::json;

use super::fixture::{schema, tasks};
use super::server::{Reply, Server};

fn model(url: &str, limits: serde_json::Value) -> ExternalModel {
    let config: ModelConfig = serde_json::from_value(json!({
        "kind": "http", "url": url, "headers": {"Authorization": "Token t0k"},
        "params": {"context": null}, "limits": limits
    }))
    .unwrap();
    ExternalModel::new(&config, &schema(), "proj-1").unwrap()
}

fn fast() -> serde_json::Value {
    json!({"timeout_seconds": 2, "backoff_ms": 10})
}

/// A Label Studio prediction answering every question kind of the fixture schema.
fn ls_prediction(genre: &str) -> serde_json::Value {
    json!({
        "model_version": "v3",
        "score": 0.6,
        "result": [
            {"from_name": "genre", "to_name": "audio", "type": "choices",
             "value": {"choices": [genre]}, "score": 0.91},
            {"from_name": "moods", "to_name": "audio", "type": "choices",
             "value": {"choices": ["happy", "sad"]}},
            {"from_name": "key", "to_name": "audio", "type": "choices",
             "value": {"choices": ["A minor"]}, "score": 0.4},
            {"from_name": "bpm", "to_name": "audio", "type": "number",
             "value": {"number": 128}},
            {"from_name": "energy", "to_name": "audio", "type": "rating",
             "value": {"rating": 4}},
            {"from_name": "notes", "to_name": "audio", "type": "textarea",
             "value": {"text": ["live", "recording"]}},
            {"id": "r1", "from_name": "sections", "to_name": "audio", "type": "labels",
             "value": {"start": 0.0, "end": 12.5, "labels": ["verse"]}, "score": 0.8},
            {"id": "r2", "from_name": "sections", "to_name": "audio", "type": "labels",
             "value": {"start": 12.5, "end": 30.0, "labels": ["chorus"]}, "score": 0.7},
            {"id": "r2", "from_name": "sections.instrumental", "to_name": "audio",
             "type": "choices", "value": {"choices": ["yes"]}},
            {"id": "b1", "from_name": "beats", "to_name": "audio", "type": "labels",
             "value": {"start": 0.5, "end": 0.5, "labels": ["downbeat"]}},
            {"id": "b2", "from_name": "beats", "to_name": "audio", "type": "labels",
             "value": {"start": 1.0, "labels": ["beat"]}}
        ]
    })
}

fn check_full_prediction(p: &backbeat_annotate::models::Prediction, genre: &str) {
    assert_eq!(p.answers["genre"], Value::Choice(genre.into()));
    assert_eq!(
        p.answers["moods"],
        Value::Tags(["happy".to_string(), "sad".to_string()].into())
    );
    assert_eq!(
        p.answers["key"],
        Value::Key(Key {
            tonic: 9,
            mode: Mode::Minor
        })
    );
    assert_eq!(p.answers["bpm"], Value::Number(128.0));
    assert_eq!(p.answers["energy"], Value::Number(4.0));
    assert_eq!(p.answers["notes"], Value::Text("live\nrecording".into()));
    assert_eq!(
        p.answers["sections"],
        Value::Regions(vec![
            Region {
                start: 0.0,
                end: 12.5,
                label: "verse".into(),
                attributes: Default::default()
            },
            Region {
                start: 12.5,
                end: 30.0,
                label: "chorus".into(),
                attributes: [("instrumental".to_string(), json!("yes"))].into()
            },
        ])
    );
    assert_eq!(
        p.answers["beats"],
        Value::Markers(vec![
            Marker {
                time: 0.5,
                label: "downbeat".into()
            },
            Marker {
                time: 1.0,
                label: "beat".into()
            },
        ])
    );
    // Per-result score, else the prediction's; regions take their least certain region.
    assert_eq!(p.confidence["genre"], 0.91);
    assert_eq!(p.confidence["key"], 0.4);
    assert_eq!(p.confidence["bpm"], 0.6);
    assert_eq!(p.confidence["sections"], 0.7);
    assert_eq!(p.confidence.len(), 8);
}

#[tokio::test]
async fn label_studio_current_shape_is_converted() {
    let server = Server::start(vec![Reply::Json(json!({
        "results": [ls_prediction("rock"), ls_prediction("jazz")],
        "model_version": "v3"
    }))])
    .await;
    let m = model(&server.url, fast());
    let got = m.predict(&tasks(2)).await.unwrap();
    assert_eq!(got.len(), 2);
    check_full_prediction(&got[0], "rock");
    check_full_prediction(&got[1], "jazz");
    assert_eq!(got[0].model_version, format!("http:{}@v3", server.url));
    assert_eq!(got[0].derived_from, json!({"endpoint": server.url}));
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn label_studio_older_bare_list_is_converted() {
    let mut old = ls_prediction("electronic");
    old.as_object_mut().unwrap().remove("model_version");
    let server = Server::start(vec![Reply::Json(json!([old]))]).await;
    let got = model(&server.url, fast()).predict(&tasks(1)).await.unwrap();
    check_full_prediction(&got[0], "electronic");
    assert_eq!(
        got[0].model_version,
        format!("http:{}@unversioned", server.url)
    );
}

#[tokio::test]
async fn native_shape_is_converted() {
    let server = Server::start(vec![Reply::Json(json!({"predictions": [
        {"answers": {"genre": "jazz", "moods": ["sad"], "bpm": 92.5,
                     "key": {"tonic": "F#", "mode": "minor"},
                     "sections": [{"start": 1, "end": 2, "label": "verse"}],
                     "beats": [{"time": 0.25, "label": "beat"}]},
         "confidence": {"genre": 0.8, "bpm": 1.7},
         "modelVersion": "beatnet-2"},
        {"answers": {"key": "Eb major"}, "modelVersion": "beatnet-2"}
    ]}))])
    .await;
    let got = model(&server.url, fast()).predict(&tasks(2)).await.unwrap();
    assert_eq!(got[0].answers["genre"], Value::Choice("jazz".into()));
    assert_eq!(got[0].answers["bpm"], Value::Number(92.5));
    assert_eq!(
        got[0].answers["key"],
        Value::Key(Key {
            tonic: 6,
            mode: Mode::Minor
        })
    );
    assert_eq!(
        got[0].answers["beats"],
        Value::Markers(vec![Marker {
            time: 0.25,
            label: "beat".into()
        }])
    );
    assert_eq!(got[0].confidence["genre"], 0.8);
    assert_eq!(got[0].confidence["bpm"], 1.0, "clamped");
    assert_eq!(
        got[0].model_version,
        format!("http:{}@beatnet-2", server.url)
    );
    assert_eq!(
        got[1].answers["key"],
        Value::Key(Key {
            tonic: 3,
            mode: Mode::Major
        })
    );
    assert!(got[1].confidence.is_empty());
}

#[tokio::test]
async fn request_body_is_label_studio_predict_compatible() {
    let server = Server::start(vec![Reply::Json(json!({"results": [
        {"result": []}, {"result": []}
    ]}))])
    .await;
    let m = model(&server.url, fast());
    m.predict(&tasks(2)).await.unwrap();
    let body = server.body(0);
    assert_eq!(body["project"], "proj-1");
    assert_eq!(body["params"], json!({"context": null}));
    let sent = body["tasks"].as_array().unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1]["id"], "item-1");
    assert_eq!(
        sent[1]["data"]["audio"],
        "http://127.0.0.1:1/audio/1?sig=abc"
    );
    assert_eq!(sent[1]["data"]["trackId"], "track-1");
    assert_eq!(sent[1]["data"]["start"], 30.0);
    assert_eq!(sent[1]["data"]["end"], 60.0);
    assert_eq!(sent[1]["data"]["title"], "Song 1");
    assert_eq!(sent[1]["data"]["artist"], "Band");
    let keys: Vec<_> = sent[1]["data"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        keys,
        ["artist", "audio", "end", "start", "title", "trackId"]
    );
    let head = server.heads.lock().unwrap()[0].to_ascii_lowercase();
    assert!(head.starts_with("post /predict http/1.1"), "{head}");
    assert!(head.contains("authorization: token t0k"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");

    let xml = body["label_config"].as_str().unwrap();
    assert_eq!(xml, m.label_config());
    let doc = roxmltree::Document::parse(xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "View");
    let audio = root.children().find(|n| n.has_tag_name("Audio")).unwrap();
    assert_eq!(audio.attribute("name"), Some("audio"));
    assert_eq!(audio.attribute("value"), Some("$audio"));
    let control = |name: &str| {
        root.children()
            .find(|n| n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no control {name} in {xml}"))
    };
    let values = |n: roxmltree::Node| -> Vec<String> {
        n.children()
            .filter(|c| c.is_element())
            .map(|c| c.attribute("value").unwrap().to_string())
            .collect()
    };
    let genre = control("genre");
    assert_eq!(genre.tag_name().name(), "Choices");
    assert_eq!(genre.attribute("choice"), Some("single"));
    assert_eq!(genre.attribute("toName"), Some("audio"));
    assert_eq!(values(genre), ["rock", "jazz", "electronic"]);
    assert_eq!(control("moods").attribute("choice"), Some("multiple"));
    let key = values(control("key"));
    assert_eq!(key.len(), 24);
    assert_eq!((key[0].as_str(), key[23].as_str()), ("C major", "B minor"));
    let bpm = control("bpm");
    assert_eq!(bpm.tag_name().name(), "Number");
    assert_eq!(
        (bpm.attribute("min"), bpm.attribute("max")),
        (Some("30"), Some("300"))
    );
    assert_eq!(control("energy").tag_name().name(), "Rating");
    assert_eq!(control("energy").attribute("maxRating"), Some("5"));
    assert_eq!(control("notes").tag_name().name(), "TextArea");
    assert_eq!(control("notes").attribute("required"), None);
    assert_eq!(control("sections").tag_name().name(), "Labels");
    assert_eq!(values(control("sections")), ["verse", "chorus"]);
    assert_eq!(
        control("sections.instrumental").attribute("perRegion"),
        Some("true")
    );
    assert_eq!(values(control("beats")), ["beat", "downbeat"]);
    // A title with markup characters survives as text.
    let header = root.children().find(|n| n.has_tag_name("Header")).unwrap();
    assert_eq!(
        header.attribute("value"),
        Some("Notes & \"remarks\" <free>")
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let server = Server::start(vec![
        Reply::Status(500, "busy".into()),
        Reply::Status(503, "loading model".into()),
        Reply::Json(json!({"results": [{"result": [], "score": 0.5}]})),
    ])
    .await;
    let got = model(&server.url, fast()).predict(&tasks(1)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn server_errors_on_every_attempt_name_the_status_and_body() {
    let server = Server::start(vec![Reply::Status(502, "upstream gone".into())]).await;
    let err = model(&server.url, fast())
        .predict(&tasks(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Status {
                status: 502,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("upstream gone"), "{err}");
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn a_timeout_is_retried_then_succeeds() {
    let ok = Reply::Json(json!({"results": [{"result": []}]}));
    let server = Server::start(vec![
        Reply::Delay(Duration::from_secs(3), Box::new(ok.clone())),
        ok,
    ])
    .await;
    let started = Instant::now();
    let got = model(
        &server.url,
        json!({"timeout_seconds": 0.5, "backoff_ms": 10}),
    )
    .predict(&tasks(1))
    .await
    .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(server.requests(), 2);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test]
async fn timeouts_on_every_attempt_give_a_timeout_error() {
    let server = Server::start(vec![Reply::Delay(
        Duration::from_secs(5),
        Box::new(Reply::Json(json!([]))),
    )])
    .await;
    let err = model(
        &server.url,
        json!({"timeout_seconds": 0.3, "attempts": 2, "backoff_ms": 10}),
    )
    .predict(&tasks(1))
    .await
    .unwrap_err();
    assert!(
        matches!(err, ModelError::Timeout { attempts: 2, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("no response within 0.3 s after 2 attempt(s)"),
        "{err}"
    );
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = Server::start(vec![
        Reply::Status(404, "no such route: /predict".into()),
        Reply::Json(json!({"results": [{"result": []}]})),
    ])
    .await;
    let err = model(&server.url, fast())
        .predict(&tasks(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Status {
                status: 404,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("no such route"), "{err}");
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    // Bind then drop: the port is very likely free and refuses connections.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = model(&format!("http://127.0.0.1:{port}/predict"), fast())
        .predict(&tasks(1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ModelError::Connect { attempts: 3, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_truncated_body_is_a_read_error() {
    let body = br#"{"results": [{"res"#;
    let mut raw =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
            .to_vec();
    raw.extend_from_slice(body);
    let server = Server::start(vec![Reply::Raw(raw)]).await;
    let err = model(
        &server.url,
        json!({"timeout_seconds": 2, "attempts": 2, "backoff_ms": 10}),
    )
    .predict(&tasks(1))
    .await
    .unwrap_err();
    assert!(matches!(err, ModelError::Read { .. }), "{err:?}");
    assert_eq!(server.requests(), 2, "a cut-off body is retried");
}

#[tokio::test]
async fn non_json_and_cut_json_are_shape_errors_not_retried() {
    for body in [
        "<html>Bad Gateway</html>",
        r#"{"results": [{"result": ["#,
        "",
        "42",
    ] {
        let server = Server::start(vec![Reply::Status(200, body.into())]).await;
        let err = model(&server.url, fast())
            .predict(&tasks(1))
            .await
            .unwrap_err();
        assert!(matches!(err, ModelError::Shape { .. }), "{body}: {err:?}");
        assert!(err.to_string().contains(&server.url), "{err}");
        assert_eq!(server.requests(), 1);
    }
}

#[tokio::test]
async fn a_response_over_the_cap_is_refused() {
    let big = format!(
        "{{\"results\": [{{\"result\": [], \"pad\": \"{}\"}}]}}",
        "x".repeat(300_000)
    );
    // Announced by Content-Length.
    let server = Server::start(vec![Reply::Status(200, big.clone())]).await;
    let limits = json!({"timeout_seconds": 5, "max_response_bytes": 100_000});
    let err = model(&server.url, limits.clone())
        .predict(&tasks(1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ModelError::TooLarge { limit: 100_000, .. }),
        "{err:?}"
    );
    // Chunked, without a length: stopped while reading.
    let mut raw =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for piece in big.as_bytes().chunks(10_000) {
        raw.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        raw.extend_from_slice(piece);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let server = Server::start(vec![Reply::Raw(raw)]).await;
    let err = model(&server.url, limits)
        .predict(&tasks(1))
        .await
        .unwrap_err();
    assert!(matches!(err, ModelError::TooLarge { .. }), "{err:?}");
    // The same body under the default 16 MiB cap is accepted.
    let server = Server::start(vec![Reply::Status(200, big)]).await;
    assert!(model(&server.url, fast()).predict(&tasks(1)).await.is_ok());
}

#[tokio::test]
async fn a_wrong_prediction_count_is_an_error() {
    let server = Server::start(vec![Reply::Json(json!({"results": [{"result": []}]}))]).await;
    let err = model(&server.url, fast())
        .predict(&tasks(2))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Count {
                sent: 2,
                got: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("1 prediction(s) for 2 task(s)"),
        "{err}"
    );
}

async fn field_error(prediction: serde_json::Value) -> String {
    let server = Server::start(vec![Reply::Json(json!({"results": [
        {"result": []}, prediction
    ]}))])
    .await;
    let err = model(&server.url, fast())
        .predict(&tasks(2))
        .await
        .unwrap_err();
    match &err {
        ModelError::Field { task, .. } => assert_eq!(task, "item-1"),
        other => panic!("{other:?}"),
    }
    err.to_string()
}

#[tokio::test]
async fn bad_result_items_name_the_task_and_the_field() {
    let cases = [
        (
            json!({"result": [{"from_name": "tempo", "type": "number", "value": {"number": 1}}]}),
            "task item-1: result[0].from_name: \"tempo\" is not a question of the schema",
        ),
        (
            json!({"result": [{"from_name": "bpm", "type": "number", "value": {"number": "fast"}}]}),
            "task item-1: result[0].value.number (bpm): missing or not a number",
        ),
        (
            json!({"result": [{"from_name": "bpm", "type": "choices", "value": {"choices": ["x"]}}]}),
            "result[0].type: \"choices\" does not answer this question (expected number)",
        ),
        (
            json!({"result": [{"from_name": "genre", "type": "choices",
                               "value": {"choices": ["rock", "jazz"]}}]}),
            "result[0].value.choices (genre): expected one choice, got 2",
        ),
        (
            json!({"result": [{"from_name": "key", "type": "choices",
                               "value": {"choices": ["H dorian"]}}]}),
            "\"H dorian\" is not a key",
        ),
        (
            json!({"result": [{"from_name": "sections", "type": "labels",
                               "value": {"start": 5, "end": 2, "labels": ["verse"]}}]}),
            "result[0].value.end (sections): ends (2) before it starts (5)",
        ),
        (
            json!({"result": [{"from_name": "beats", "type": "labels",
                               "value": {"start": 1, "end": 2, "labels": ["beat"]}}]}),
            "a marker is a zero-length region",
        ),
        (
            json!({"result": [{"from_name": "genre", "type": "choices", "value": "rock"}]}),
            "result[0].value: missing or not an object",
        ),
        (
            json!({"result": [{"id": "zz", "from_name": "sections.instrumental",
                               "type": "choices", "value": {"choices": ["yes"]}}]}),
            "result[0].id: no sections region has id \"zz\"",
        ),
        (
            json!({"result": [
                {"from_name": "bpm", "type": "number", "value": {"number": 1}},
                {"from_name": "bpm", "type": "number", "value": {"number": 2}}]}),
            "\"bpm\" is answered twice",
        ),
        (
            json!({"result": "none"}),
            "task item-1: result: expected an array",
        ),
        (json!({"score": 1}), "task item-1: result: missing"),
        (json!(17), "task item-1: prediction: expected an object"),
    ];
    for (prediction, expected) in cases {
        let message = field_error(prediction.clone()).await;
        assert!(
            message.contains(expected),
            "{prediction}\n  got:      {message}\n  expected: {expected}"
        );
    }
}

#[tokio::test]
async fn bad_native_predictions_name_the_task_and_the_field() {
    let cases = [
        (
            json!({"answers": {"tempo": 1}}),
            "answers.tempo: no such question",
        ),
        (
            json!({"answers": {"moods": "happy"}}),
            "answers.moods: expected an array of labels",
        ),
        (
            json!({"answers": {"key": "X minor"}}),
            "answers.key: expected a key",
        ),
        (
            json!({"answers": {"beats": [{"t": 1}]}}),
            "answers.beats: expected [{\"time\"",
        ),
        (
            json!({"answers": {"bpm": 90}, "confidence": {"genre": 0.5}}),
            "confidence.genre: a confidence for a question not answered",
        ),
        (
            json!({"answers": {"bpm": 90}, "confidence": {"bpm": "high"}}),
            "confidence.bpm: expected a number in [0, 1]",
        ),
        (json!({"confidence": {}}), "answers: missing"),
    ];
    for (prediction, expected) in cases {
        let server = Server::start(vec![Reply::Json(json!({"predictions": [prediction]}))]).await;
        let err = model(&server.url, fast())
            .predict(&tasks(1))
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, ModelError::Field { .. }) && message.contains(expected),
            "got:      {message}\nexpected: {expected}"
        );
    }
}

#[tokio::test]
async fn tasks_are_sent_in_batches_and_answered_in_order() {
    // Each batch's reply depends on what was asked: the server echoes nothing, so the test
    // checks the requests' task ids and the predictions' count and order of batches.
    let server = Server::start(vec![
        Reply::Json(json!({"predictions": [
            {"answers": {"bpm": 0}}, {"answers": {"bpm": 1}}]})),
        Reply::Json(json!({"predictions": [
            {"answers": {"bpm": 2}}, {"answers": {"bpm": 3}}]})),
        Reply::Json(json!({"predictions": [{"answers": {"bpm": 4}}]})),
    ])
    .await;
    let m = model(&server.url, json!({"timeout_seconds": 2, "batch_size": 2}));
    assert_eq!(m.batch_size(), 2);
    let got = m.predict(&tasks(5)).await.unwrap();
    let bpms: Vec<_> = got.iter().map(|p| p.answers["bpm"].clone()).collect();
    assert_eq!(
        bpms,
        (0..5).map(|i| Value::Number(i as f64)).collect::<Vec<_>>()
    );
    assert_eq!(server.requests(), 3);
    let ids: Vec<Vec<String>> = (0..3)
        .map(|i| {
            server.body(i)["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(
        ids,
        [
            vec!["item-0", "item-1"],
            vec!["item-2", "item-3"],
            vec!["item-4"]
        ]
    );
}
