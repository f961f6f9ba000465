//! The REST v1 routes, one module per resource.
pub mod accounts;
