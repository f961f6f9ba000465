//! The label schema: parsing a client's schema, checking answers (JSON and typed), hostile
//! input, generated answers, and versioning (usage, orphans, changes).

mod answers;
mod common;
mod hostile;
mod parse;
mod props;
mod versions;
