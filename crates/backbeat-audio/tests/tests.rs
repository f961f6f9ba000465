//! Integration tests of backbeat-audio, gathered in one binary (one link on a 2-core machine).

mod analysis;
mod bad_input;
mod common;
mod content;
mod decode;
mod dynamics;
mod eval;
mod hostile_flac;
mod hostile_mp4;
mod key;
mod loudness;
mod rhythm;
