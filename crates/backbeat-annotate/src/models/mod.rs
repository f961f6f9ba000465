//! Model annotators (filled in by the model-annotator work).
