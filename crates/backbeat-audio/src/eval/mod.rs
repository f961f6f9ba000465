//! Evaluation against labelled recordings: label CSV parsing and the standard MIR metrics.
//! (stub: to be implemented)
