//! Shared test helpers (PostgreSQL test databases).
