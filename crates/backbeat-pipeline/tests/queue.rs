//! Job queues: the backend-independent conformance suite and the backends it runs against.

mod conformance;
mod jetstream;
mod sql;
