//! The engine: the workflow's rules ([`workflow`], pure) and the service that applies them to
//! a store ([`service`]).

pub mod access;
mod error;
pub mod flowback;
mod reporting;
pub mod result;
pub mod routing;
pub mod service;
pub mod threshold;

pub use access::{ItemView, Status};
pub use error::{AnnotateError, AnnotateResult};
pub use reporting::Metrics;
pub use service::{
    is_tag_name, normalise_selection, Actor, Annotation, ItemsInput, ProjectInput, Work,
};
pub mod workflow;
