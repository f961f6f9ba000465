//! Throw-away PostgreSQL databases (`backbeat_store::testing`): a fresh database per test,
//! dropped afterwards; unreachable: `SKIP: <test>: PostgreSQL not reachable`, or a failure with
//! `BACKBEAT_REQUIRE_SERVICES=1`.

pub use backbeat_store::testing::postgres as database;
