//! Integration tests: dynamics.
