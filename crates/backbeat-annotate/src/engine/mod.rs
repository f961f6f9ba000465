//! The engine: the workflow's rules ([`workflow`], pure) and the service that applies them to
//! a store ([`service`]).

mod error;
pub mod result;
pub mod service;
pub mod threshold;

pub use error::{AnnotateError, AnnotateResult};
pub use service::{Actor, Annotation, ItemsInput, ProjectInput, Work};
pub mod workflow;
