//! Model configurations as a project manager writes them.

use backbeat_annotate::models::{ConfigError, Limits, Model, ModelConfig};
use serde_json::json;

use super::fixture::schema;

#[test]
fn configs_parse_by_kind_with_default_limits() {
    let http: ModelConfig = serde_json::from_value(json!({
        "kind": "http", "url": "http://ml:9090/predict",
        "headers": {"Authorization": "Token abc"}, "limits": {"timeout_seconds": 5}
    }))
    .unwrap();
    let ModelConfig::Http(h) = &http else {
        panic!("{http:?}")
    };
    assert_eq!(h.limits.timeout_seconds, 5.0);
    assert_eq!(h.limits.attempts, 3);
    assert_eq!(h.limits.batch_size, 8);
    assert_eq!(h.limits.max_response_bytes, 16 << 20);
    assert_eq!(Limits::default().timeout_seconds, 30.0);
    let command: ModelConfig = serde_json::from_value(json!({
        "kind": "command", "program": "python3", "args": ["predict.py"]
    }))
    .unwrap();
    assert!(matches!(command, ModelConfig::Command(_)));
    let builtin: ModelConfig = serde_json::from_value(json!({
        "kind": "builtin", "bindings": [{"question": "bpm", "source": "analysis:bpm"}]
    }))
    .unwrap();
    assert!(matches!(
        Model::new(&builtin, &schema(), "p1").unwrap(),
        Model::Builtin(_)
    ));
    assert!(matches!(
        Model::new(&http, &schema(), "p1").unwrap(),
        Model::External(_)
    ));
    // Round trip: what is stored reads back the same.
    let text = serde_json::to_string(&http).unwrap();
    assert_eq!(serde_json::from_str::<ModelConfig>(&text).unwrap(), http);
}

#[test]
fn misspelt_or_impossible_settings_are_refused() {
    for bad in [
        json!({"kind": "http", "url": "http://x", "timeout": 5}),
        json!({"kind": "http", "url": "http://x", "limits": {"timeout": 5}}),
        json!({"kind": "builtin", "bindings": [{"question": "bpm", "src": "analysis:bpm"}]}),
        json!({"kind": "grpc", "url": "http://x"}),
        json!({"url": "http://x"}),
    ] {
        assert!(
            serde_json::from_value::<ModelConfig>(bad.clone()).is_err(),
            "{bad}"
        );
    }
    let cases = [
        (json!({"kind": "http", "url": "ftp://x"}), "url"),
        (json!({"kind": "http", "url": "http://"}), "url"),
        (
            json!({"kind": "http", "url": "http://ml/p", "headers": {"Bad Name": "x"}}),
            "headers",
        ),
        (
            json!({"kind": "http", "url": "http://ml/p", "headers": {"X-T": "a\nb"}}),
            "headers",
        ),
        (
            json!({"kind": "http", "url": "https://ml.example/predict"}),
            "url",
        ),
        (
            json!({"kind": "http", "url": "http://x", "limits": {"timeout_seconds": 0}}),
            "timeout_seconds",
        ),
        (
            json!({"kind": "http", "url": "http://x", "limits": {"attempts": 0}}),
            "attempts",
        ),
        (
            json!({"kind": "command", "program": "x", "limits": {"batch_size": 0}}),
            "batch_size",
        ),
        (
            json!({"kind": "command", "program": "x", "limits": {"max_response_bytes": 10}}),
            "max_response_bytes",
        ),
        (json!({"kind": "command", "program": " "}), "program"),
    ];
    for (config, field) in cases {
        let config: ModelConfig = serde_json::from_value(config).unwrap();
        match Model::new(&config, &schema(), "p1") {
            Err(ConfigError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{config:?}: {other:?}"),
        }
    }
}

#[test]
fn models_and_their_futures_can_move_across_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let config: ModelConfig =
        serde_json::from_value(json!({"kind": "http", "url": "http://127.0.0.1:9/p"})).unwrap();
    let Model::External(model) = Model::new(&config, &schema(), "p").unwrap() else {
        panic!("not external")
    };
    send_sync(&model);
    let tasks = super::fixture::tasks(1);
    // Not polled: only the future's type is checked (the engine spawns it on tokio).
    send(model.predict(&tasks));
    send(model.predict_batch(&tasks));
}
