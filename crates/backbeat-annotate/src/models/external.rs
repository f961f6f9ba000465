//! External models: an HTTP endpoint or a command, asked in batches.
//!
//! Each batch is one request ([`super::Task`]s, the project, the schema as a Label Studio
//! label config); it is tried up to `attempts` times, waiting with exponential backoff and
//! jitter after a timeout, a connection error, a 5xx or a cut-off body. A 4xx, a command
//! that exits unsuccessfully, a response over the cap or one that does not parse is final:
//! asking again would get the same answer.

use super::config::{Limits, ModelConfig};
use super::label_config::label_config;
use super::request::request_body;
use super::response::{parse_response, snippet, tail, Origin};
use super::retry::backoff;
use super::transport::{Failure, Transport};
use super::{ConfigError, ModelError, Prediction, Task};
use crate::schema::Schema;

/// An external model annotator, configured for one project.
#[derive(Debug)]
pub struct ExternalModel {
    transport: Transport,
    /// The URL, or the command line, for messages and versions.
    target: String,
    kind: &'static str,
    limits: Limits,
    schema: Schema,
    label_config: String,
    project: String,
    params: serde_json::Value,
}

impl ExternalModel {
    /// Prepares the client for an `http` or `command` configuration.
    pub fn new(
        config: &ModelConfig,
        schema: &Schema,
        project: &str,
    ) -> Result<ExternalModel, ConfigError> {
        let invalid = |field: &str, problem: String| ConfigError::Invalid {
            field: field.into(),
            problem,
        };
        let (transport, target, kind, limits, params) = match config {
            ModelConfig::Http(c) => {
                let url = c.url.trim();
                if url.starts_with("https://") {
                    // The workspace's reqwest is built without TLS; refusing here beats three
                    // failed connection attempts per batch.
                    return Err(invalid(
                        "url",
                        format!(
                            "{url:?}: https is not supported by this build; use http:// on an \
                             internal network or a local TLS-terminating proxy"
                        ),
                    ));
                }
                if !url.starts_with("http://") {
                    return Err(invalid("url", format!("{url:?} is not an http:// URL")));
                }
                c.limits.check()?;
                let transport = Transport::http(c).map_err(|(field, e)| invalid(field, e))?;
                (transport, url.to_string(), "http", &c.limits, &c.params)
            }
            ModelConfig::Command(c) => {
                if c.program.trim().is_empty() {
                    return Err(invalid("program", "is empty".into()));
                }
                c.limits.check()?;
                let line = std::iter::once(c.program.as_str())
                    .chain(c.args.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" ");
                (Transport::command(c), line, "command", &c.limits, &c.params)
            }
            ModelConfig::Builtin(_) => {
                return Err(invalid(
                    "kind",
                    "a builtin model is not external (use BuiltinModel)".into(),
                ))
            }
        };
        Ok(ExternalModel {
            transport,
            target,
            kind,
            limits: limits.clone(),
            schema: schema.clone(),
            label_config: label_config(schema),
            project: project.to_string(),
            params: params.clone().unwrap_or_else(|| serde_json::json!({})),
        })
    }

    /// The longest [`Self::predict`] can take on `n` tasks: every batch timing out on every
    /// attempt, with the longest backoffs between (jitter adds at most half again).
    pub fn worst_case_seconds(&self, n: usize) -> f64 {
        let batches = n.div_ceil(self.limits.batch_size.max(1)) as f64;
        let attempts = self.limits.attempts.max(1);
        let waits: f64 = (1..attempts)
            .map(|retry| {
                let exp = self
                    .limits
                    .backoff_ms
                    .saturating_mul(1 << (retry - 1).min(16));
                1.5 * exp as f64 / 1000.0
            })
            .sum();
        batches * (f64::from(attempts) * self.limits.timeout().as_secs_f64() + waits)
    }

    /// Tasks per request.
    pub fn batch_size(&self) -> usize {
        self.limits.batch_size
    }

    /// The label config sent with every request.
    pub fn label_config(&self) -> &str {
        &self.label_config
    }

    /// Predictions for `tasks`, one per task in order, asked in batches of
    /// [`Self::batch_size`]; the first batch that fails fails the call.
    pub async fn predict(&self, tasks: &[Task]) -> Result<Vec<Prediction>, ModelError> {
        let mut out = Vec::with_capacity(tasks.len());
        for batch in tasks.chunks(self.limits.batch_size.max(1)) {
            out.extend(self.predict_batch(batch).await?);
        }
        Ok(out)
    }

    /// Predictions for one batch (one request, retried), one per task in order.
    pub async fn predict_batch(&self, tasks: &[Task]) -> Result<Vec<Prediction>, ModelError> {
        if tasks.is_empty() {
            return Ok(Vec::new());
        }
        let body = request_body(tasks, &self.project, &self.label_config, &self.params);
        let attempts = self.limits.attempts.max(1);
        let mut attempt = 1;
        let bytes = loop {
            match self
                .transport
                .attempt(&body, self.limits.timeout(), self.limits.max_response_bytes)
                .await
            {
                Ok(bytes) => break bytes,
                Err(f) if f.retryable() && attempt < attempts => {
                    tokio::time::sleep(backoff(self.limits.backoff_ms, attempt)).await;
                    attempt += 1;
                }
                Err(f) => return Err(self.error(f, attempt)),
            }
        };
        self.parse_response(&bytes, tasks)
    }

    /// Reads a response body as [`Self::predict_batch`] does after a successful request
    /// (for replaying a stored response, and for tests).
    pub fn parse_response(
        &self,
        body: &[u8],
        tasks: &[Task],
    ) -> Result<Vec<Prediction>, ModelError> {
        let origin = Origin {
            target: &self.target,
            kind: self.kind,
        };
        parse_response(body, tasks, &self.schema, &origin)
    }

    fn error(&self, failure: Failure, attempts: u32) -> ModelError {
        let target = self.target.clone();
        match failure {
            Failure::Timeout => ModelError::Timeout {
                target,
                seconds: self.limits.timeout_seconds,
                attempts,
            },
            Failure::Connect(detail) => ModelError::Connect {
                target,
                attempts,
                detail,
            },
            Failure::Status(status, body) => ModelError::Status {
                target,
                status,
                attempts,
                body: snippet(&body),
            },
            Failure::Spawn(detail) => ModelError::Spawn { target, detail },
            Failure::Exit(status, stderr) => ModelError::Exit {
                target,
                status,
                stderr: tail(&stderr),
            },
            Failure::TooLarge => ModelError::TooLarge {
                target,
                limit: self.limits.max_response_bytes,
            },
            Failure::Read(detail) => ModelError::Read { target, detail },
        }
    }
}
