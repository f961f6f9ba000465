//! Model annotators: the built-in model, external models over a real local HTTP server and
//! as commands.

mod builtin;
mod command;
mod config;
mod fixture;
mod http;
mod robust;
pub(crate) mod server;
