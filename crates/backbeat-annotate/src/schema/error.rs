//! Naming the field that does not fit: [`FieldError`] and the path it carries.
//!
//! A path is written the way a client sent the JSON — `questions[2].labels[4]`,
//! `answers.sections[2].end` — so a form can put the message beside the input. A check walks the
//! document with a [`Path`] on the stack and renders it only when something is wrong: a
//! 100,000-marker answer that fits allocates no path at all.

use serde::{Deserialize, Serialize};

/// One thing wrong with a schema or an answer, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The JSON path as the client sent it (`answers.sections[2].end`); empty for the schema
    /// document itself.
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// How much of a client's string an error message echoes: a hostile 1 MB key or label must
/// not come back as a 1 MB error.
const ECHO_CHARS: usize = 64;

/// A position in the JSON being checked, rendered only on error.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    /// The document (`""` for a schema, `"answers"` for an answer).
    Root(&'a str),
    /// A member of an object.
    Key(&'a Path<'a>, &'a str),
    /// An element of an array.
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    /// The member `key` of this object.
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    /// Element `i` of this array.
    pub(crate) fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }

    /// The path as text: `.name` for identifier-like keys, `["odd key"]` (JSON-quoted,
    /// truncated) for anything else, `[i]` for elements.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Path::Root(root) => out.push_str(root),
            Path::Key(parent, key) => {
                parent.render_into(out);
                let plain = !key.is_empty()
                    && key.len() <= ECHO_CHARS
                    && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    out.push('[');
                    out.push_str(&quote(key));
                    out.push(']');
                }
            }
            Path::Index(parent, i) => {
                parent.render_into(out);
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
}

/// `s` as a JSON string literal, cut to [`ECHO_CHARS`] characters (with `…` when cut), for
/// messages and paths that echo what the client sent.
pub(crate) fn quote(s: &str) -> String {
    let mut cut: String = s.chars().take(ECHO_CHARS).collect();
    if cut.len() < s.len() {
        cut.push('…');
    }
    serde_json::Value::String(cut).to_string()
}

/// The errors found so far; checks push into it and go on, so a client sees every problem at
/// once.
#[derive(Default)]
pub(crate) struct Sink {
    pub(crate) errors: Vec<FieldError>,
}

impl Sink {
    /// Records that the field at `path` is wrong.
    pub(crate) fn push(&mut self, path: &Path<'_>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: path.render(),
            message: message.into(),
        });
    }

    /// The number of errors so far, to tell whether a sub-check added any.
    pub(crate) fn len(&self) -> usize {
        self.errors.len()
    }

    /// `Ok(value)` when nothing was wrong, else every error.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }
}

/// What kind of JSON value `v` is, for "expected …, got …" messages.
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// "expected X, got Y".
pub(crate) fn expected(what: &str, got: &serde_json::Value) -> String {
    format!("expected {what}, got {}", json_kind(got))
}
