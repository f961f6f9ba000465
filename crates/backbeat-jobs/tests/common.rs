//! The shared pipeline harness (`backbeat_pipeline::testing`): a SQLite catalog, local blobs,
//! the embedded queue, and tracks whose uploads are real files.

pub use backbeat_pipeline::testing::*;
