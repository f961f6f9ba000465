//! STUB — JWT access tokens, refresh tokens, API keys.

/// Keys for signing and verifying access tokens.
pub struct TokenKeys {}
