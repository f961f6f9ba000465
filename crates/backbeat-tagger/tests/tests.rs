//! backbeat-tagger's integration tests, in one binary so the dependency graph links once.

mod mel;
mod tagging;
