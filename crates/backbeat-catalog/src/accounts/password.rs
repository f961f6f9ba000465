//! Password hashing with argon2id (m = 19 MiB, t = 2, p = 1: OWASP's recommended minimum).
//!
//! Hashing costs tens of milliseconds of CPU and 19 MiB of memory, so it runs on tokio's
//! blocking pool — never on the async workers — and at most a few hashes run at once (a
//! burst of logins must not reserve gigabytes). A login for an unknown e-mail verifies against
//! a dummy hash, so response time does not reveal which addresses are registered.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::CatalogError;

/// Shortest accepted password, characters.
pub const MIN_LEN: usize = 8;
/// Longest accepted password, characters (argon2 takes any length; this bounds the work).
pub const MAX_LEN: usize = 256;

/// The hasher with Backbeat's parameters.
fn argon2() -> Argon2<'static> {
    // The parameters are constants within argon2's documented ranges, so this cannot fail;
    // fall back to the crate's defaults (also argon2id, 19 MiB, t = 2) rather than panic.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Bounds concurrent hashes to the number of cores: more would only queue for CPU while
/// holding 19 MiB each.
fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Semaphore::new(cores)
    })
}

/// Runs `f` on the blocking pool under the hashing permit.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CatalogError> + Send + 'static,
) -> Result<T, CatalogError> {
    let _permit = permits()
        .acquire()
        .await
        .map_err(|_| CatalogError::Internal("password hashing semaphore closed".into()))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| CatalogError::Internal(format!("password hashing task failed: {e}")))?
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash(password: String) -> Result<String, CatalogError> {
    blocking(move || hash_now(&password)).await
}

fn hash_now(password: &str) -> Result<String, CatalogError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| CatalogError::Internal(format!("getrandom: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| CatalogError::Internal(format!("argon2 salt: {e}")))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CatalogError::Internal(format!("argon2 hash: {e}")))
}

/// Checks a password against a stored hash; with `None` (no such user) it checks against a
/// dummy hash and returns `false`, taking the same time as a real check.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, CatalogError> {
    blocking(move || {
        let Some(stored) = stored else {
            let dummy = dummy_hash()?;
            let _ = verify_now(&password, dummy);
            return Ok(false);
        };
        Ok(verify_now(&password, &stored))
    })
    .await
}

/// `false` for a wrong password and for a stored hash that does not parse (logged).
fn verify_now(password: &str, stored: &str) -> bool {
    let parsed = match PasswordHash::new(stored) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "stored password hash does not parse");
            return false;
        }
    };
    // The parameters come from the stored hash, so hashes made with older settings still
    // verify.
    argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash of a random password with the current parameters, made once per process.
fn dummy_hash() -> Result<&'static str, CatalogError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|e| CatalogError::Internal(format!("getrandom: {e}")))?;
    let h = hash_now(&format!("{random:?}"))?;
    Ok(DUMMY.get_or_init(|| h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!verify("correct horsf".into(), Some(h.clone()))
            .await
            .unwrap());
        // Same password, fresh salt.
        assert_ne!(h, hash("correct horse".into()).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_user_and_garbage_hash_are_refused() {
        assert!(!verify("anything".into(), None).await.unwrap());
        assert!(!verify("anything".into(), Some("not a phc string".into()))
            .await
            .unwrap());
    }
}
