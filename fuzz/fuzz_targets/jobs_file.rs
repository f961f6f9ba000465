//! The pipeline's jobs file (`--jobs-file`, TOML): parsing and then validating the graph with
//! the built-in jobs give declarations or an error, never a panic or a hang.
#![no_main]

use backbeat_pipeline::builtins::default_graph;
use backbeat_pipeline::jobs_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jobs) = jobs_file::parse(text) {
        let _ = default_graph(jobs);
    }
});
