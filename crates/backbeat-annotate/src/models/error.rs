//! What goes wrong with a model, in words a project manager can act on.

use thiserror::Error;

/// A model configuration that cannot work with the project's schema.
#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    /// A binding names a question the schema does not have.
    #[error(
        "binding #{index} ({question} ← {from}): the schema has no question named {question:?}"
    )]
    UnknownQuestion {
        index: usize,
        question: String,
        from: String,
    },
    /// A binding's source cannot answer its question's kind.
    #[error(
        "binding #{index} ({question} ← {from}): a {kind} question cannot be answered from \
         {from} ({hint})"
    )]
    SourceMismatch {
        index: usize,
        question: String,
        from: String,
        kind: &'static str,
        hint: &'static str,
    },
    /// Two bindings answer the same question.
    #[error("binding #{index}: question {question:?} is already bound by binding #{first}")]
    DuplicateBinding {
        index: usize,
        first: usize,
        question: String,
    },
    /// A source string that is not one of the known forms.
    #[error(
        "binding #{index}: unknown source {from:?} (use tags:genre, tags:mood, \
         tags:instrument, tags:vocals, tags:era, analysis:bpm, analysis:key or analysis:beats)"
    )]
    UnknownSource { index: usize, from: String },
    /// A setting outside what makes sense.
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
}

/// A prediction that could not be had from an external model. Each message names the
/// endpoint or command, and the task and field when the response is at fault.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The endpoint did not answer within the timeout, on every attempt.
    #[error("{target}: no response within {seconds} s after {attempts} attempt(s)")]
    Timeout {
        target: String,
        seconds: f64,
        attempts: u32,
    },
    /// The endpoint could not be reached (refused, reset, DNS), on every attempt.
    #[error("{target}: cannot connect after {attempts} attempt(s): {detail}")]
    Connect {
        target: String,
        attempts: u32,
        detail: String,
    },
    /// The endpoint answered with an error status. 4xx are not retried: the request is wrong
    /// for that backend (check its URL, its label config or its token).
    #[error("{target}: HTTP {status} after {attempts} attempt(s): {body}")]
    Status {
        target: String,
        status: u16,
        attempts: u32,
        /// The start of the response body, which usually says what is wrong.
        body: String,
    },
    /// The command could not be started.
    #[error("{target}: cannot start the command: {detail}")]
    Spawn { target: String, detail: String },
    /// The command exited unsuccessfully; `stderr` is the end of what it wrote there.
    #[error("{target}: the command exited with {status}; stderr: {stderr}")]
    Exit {
        target: String,
        status: String,
        stderr: String,
    },
    /// The response exceeded the configured cap.
    #[error("{target}: the response is larger than the {limit}-byte cap (max_response_bytes)")]
    TooLarge { target: String, limit: u64 },
    /// Reading the response failed part-way.
    #[error("{target}: reading the response failed: {detail}")]
    Read { target: String, detail: String },
    /// The response is not JSON, or not one of the three accepted shapes.
    #[error("{target}: the response is not a prediction response: {detail}")]
    Shape { target: String, detail: String },
    /// The response holds a different number of predictions than tasks sent.
    #[error("{target}: {got} prediction(s) for {sent} task(s); a backend must return one per task, in order")]
    Count {
        target: String,
        sent: usize,
        got: usize,
    },
    /// One prediction's content does not fit the schema's questions.
    #[error("{target}: task {task}: {field}: {problem}")]
    Field {
        target: String,
        task: String,
        field: String,
        problem: String,
    },
}
