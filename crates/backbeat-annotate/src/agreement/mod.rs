//! Agreement between annotators (filled in by the agreement work).
