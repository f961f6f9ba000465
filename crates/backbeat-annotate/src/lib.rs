//! Backbeat's annotation engine: the rules of a review workflow in which models and people
//! label music together.
//!
//! - [`schema`]: a project's questions (single choice, tags, numbers such as BPM, key, rating,
//!   free text, time regions, point markers), versioned, and the check of an answer against
//!   them.
//! - [`answer`]: the typed values an annotator gives, one per question.
//! - [`agreement`]: Krippendorff's α with every distance music needs, Cohen's and Fleiss' κ,
//!   region matching on IoU, marker F-measure.
//! - [`models`]: model annotators — built-in ones reading stored pipeline outputs, external
//!   ones behind an HTTP endpoint (Label Studio ML-backend compatible) or a command.
//!
//! - [`reports`]: throughput and quality metrics, report-level agreement, Prometheus gauges,
//!   and streamed exports (JSON Lines, CSV, Label Studio JSON).
//!
//! - [`webhooks`]: `item.resolved` deliveries from the outbox, signed the Standard Webhooks
//!   way, retried with backoff.
//!
//! Storage goes through `backbeat-store`; HTTP lives in `backbeat-server`.

pub mod agreement;
pub mod answer;
pub mod engine;
pub mod models;
pub mod reports;
pub mod schema;
pub mod settings;
pub mod webhooks;
