//! External models run as commands (`sh -c` scripts).

use std::time::{Duration, Instant};

use backbeat_annotate::answer::Value;
use backbeat_annotate::models::{ExternalModel, ModelConfig, ModelError};
use serde_json::json;

use super::fixture::{schema, tasks};

fn command(script: &str, limits: serde_json::Value) -> ExternalModel {
    let config: ModelConfig = serde_json::from_value(json!({
        "kind": "command", "program": "sh", "args": ["-c", script],
        "env": {"MODEL_DIR": "/models"}, "limits": limits
    }))
    .unwrap();
    ExternalModel::new(&config, &schema(), "proj-1").unwrap()
}

#[tokio::test]
async fn a_command_reads_the_request_and_answers_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("request.json");
    let script = format!(
        "cat > '{}'; echo \"$MODEL_DIR\" >&2; \
         printf '%s' '{{\"results\": [{{\"result\": [{{\"from_name\": \"bpm\", \"type\": \
         \"number\", \"value\": {{\"number\": 101}}}}], \"score\": 0.75, \"model_version\": \"sh-1\"}}]}}'",
        saved.display()
    );
    let got = command(&script, json!({"timeout_seconds": 5}))
        .predict(&tasks(1))
        .await
        .unwrap();
    assert_eq!(got[0].answers["bpm"], Value::Number(101.0));
    assert_eq!(got[0].confidence["bpm"], 0.75);
    assert!(
        got[0].model_version.starts_with("command:sh -c "),
        "{}",
        got[0].model_version
    );
    assert!(got[0].model_version.ends_with("@sh-1"));
    let request: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(request["tasks"][0]["id"], "item-0");
    assert_eq!(request["project"], "proj-1");
    assert!(request["label_config"]
        .as_str()
        .unwrap()
        .starts_with("<View>"));
}

#[tokio::test]
async fn a_failing_command_shows_its_exit_status_and_stderr() {
    let started = Instant::now();
    let err = command(
        "cat >/dev/null; echo 'model file /models/beat.onnx missing' >&2; exit 3",
        json!({"timeout_seconds": 5}),
    )
    .predict(&tasks(1))
    .await
    .unwrap_err();
    assert!(matches!(err, ModelError::Exit { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("exit status: 3"), "{message}");
    assert!(
        message.contains("model file /models/beat.onnx missing"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "not retried, no backoff"
    );
}

#[tokio::test]
async fn a_hanging_command_and_its_children_are_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    // The shell starts a child and waits for it: killing only the shell would leave it.
    let script = format!("sleep 30 & echo $! > '{}'; wait", pid_file.display());
    let started = Instant::now();
    let err = command(&script, json!({"timeout_seconds": 0.5, "attempts": 1}))
        .predict(&tasks(1))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err, ModelError::Timeout { attempts: 1, .. }),
        "{err:?}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let pid = pid.trim();
    // Gone, or a zombie awaiting its reaper — not sleeping on.
    let mut state = String::new();
    for _ in 0..50 {
        state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let running = state
            .rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'));
        if state.is_empty() || !running {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the command's child {pid} still runs: {state}");
}

#[tokio::test]
async fn command_output_over_the_cap_is_refused_quickly() {
    let started = Instant::now();
    let err = command(
        "cat >/dev/null; yes '{\"results\": []}'",
        json!({"timeout_seconds": 10, "max_response_bytes": 1_000_000}),
    )
    .predict(&tasks(1))
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::TooLarge {
                limit: 1_000_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn bad_command_output_and_missing_programs_are_clear_errors() {
    let err = command(
        "cat >/dev/null; echo 'Traceback (most recent call last):'",
        json!({}),
    )
    .predict(&tasks(1))
    .await
    .unwrap_err();
    assert!(matches!(err, ModelError::Shape { .. }), "{err:?}");
    assert!(err.to_string().contains("Traceback"), "{err}");
    // A command that ignores its input entirely still gets judged by its output.
    let err = command("echo '[]'", json!({}))
        .predict(&tasks(3))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Count {
                sent: 3,
                got: 0,
                ..
            }
        ),
        "{err:?}"
    );
    let config: ModelConfig = serde_json::from_value(json!({
        "kind": "command", "program": "/nonexistent/predict"
    }))
    .unwrap();
    let err = ExternalModel::new(&config, &schema(), "p")
        .unwrap()
        .predict(&tasks(1))
        .await
        .unwrap_err();
    assert!(matches!(err, ModelError::Spawn { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/predict"), "{err}");
}

#[tokio::test]
async fn a_chatty_stderr_neither_blocks_the_command_nor_floods_the_error() {
    // 1 MB of log lines: far more than a pipe buffer, so an unread stderr would block it.
    let log = "cat >/dev/null; yes 'loading weights' | head -c 1000000 >&2;";
    let got = command(
        &format!("{log} echo '{{\"predictions\": [{{\"answers\": {{\"bpm\": 90}}}}]}}'"),
        json!({"timeout_seconds": 10}),
    )
    .predict(&tasks(1))
    .await
    .unwrap();
    assert_eq!(got[0].answers["bpm"], Value::Number(90.0));
    let err = command(&format!("{log} exit 1"), json!({"timeout_seconds": 10}))
        .predict(&tasks(1))
        .await
        .unwrap_err();
    assert!(matches!(err, ModelError::Exit { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("loading weights"), "{message}");
    assert!(message.len() < 1000, "{} bytes", message.len());
    // A long traceback: the error keeps its end, where the cause is.
    let err = command(
        "cat >/dev/null; echo 'Traceback (most recent call last):' >&2; \
         for i in $(seq 1 200); do echo \"  File \\\"predict.py\\\", line $i, in run\" >&2; done; \
         echo 'FileNotFoundError: /models/beat.onnx' >&2; exit 1",
        json!({"timeout_seconds": 10}),
    )
    .predict(&tasks(1))
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("FileNotFoundError: /models/beat.onnx"),
        "{message}"
    );
    assert!(message.contains("line 200, in run"), "{message}");
    assert!(!message.contains("line 1, in run"), "{message}");
}
