//! Model annotators: the non-human annotators, whose answers carry a confidence per question
//! that the engine's routing compares with the project's thresholds.
//!
//! - [`config`]: what a project manager writes ([`ModelConfig`], JSON tagged by `kind`).
//! - [`builtin`]: pre-annotations from stored pipeline outputs ([`StoredOutputs`]), no
//!   decoding; microseconds per item.
//! - [`external`]: an HTTP endpoint or a command speaking Label Studio's ML-backend
//!   `/predict` protocol (or Backbeat's native one), with timeout, retries and a response cap.
//! - [`label_config`]: the schema as a Label Studio XML label config, sent with every request
//!   so existing backends know the question names.
//!
//! Every output is a [`Prediction`]; the engine validates its answers against the schema
//! before storing them (a model is an annotator like any other, not a trusted source).
//! The contract for external models is in `docs/ANNOTATION-MODELS.md`.

pub mod builtin;
pub mod config;
mod error;
pub mod external;
mod key_text;
pub mod label_config;
mod ls_result;
mod native;
mod prediction;
mod request;
mod response;
mod retry;
mod stored;
mod transport;

pub use builtin::BuiltinModel;
pub use config::{Binding, BuiltinConfig, CommandConfig, HttpConfig, Limits, ModelConfig, Source};
pub use error::{ConfigError, ModelError};
pub use external::ExternalModel;
pub use key_text::{catalog_key, catalog_key_name, parse_key};
pub use prediction::Prediction;
pub use request::Task;
pub use stored::{StoredOutputs, StoredTag};

/// A configured model annotator, ready to predict.
#[derive(Debug)]
pub enum Model {
    /// Reads stored pipeline outputs ([`BuiltinModel::predict`]).
    Builtin(BuiltinModel),
    /// Asks an endpoint or a command ([`ExternalModel::predict`]).
    External(Box<ExternalModel>),
}

impl Model {
    /// Builds the model a configuration describes, checked against the project's schema.
    pub fn new(
        config: &ModelConfig,
        schema: &crate::schema::Schema,
        project: &str,
    ) -> Result<Model, ConfigError> {
        match config {
            ModelConfig::Builtin(c) => BuiltinModel::new(c, schema).map(Model::Builtin),
            ModelConfig::Http(_) | ModelConfig::Command(_) => {
                ExternalModel::new(config, schema, project).map(|m| Model::External(Box::new(m)))
            }
        }
    }
}
