//! Operator commands that work on the data directory without serving: rebuilding the search
//! index and creating accounts (the first admin). The binary calls these; the logic is here so
//! it shares validation and hashing with the HTTP routes.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use backbeat_store::{NewUser, Role, StoreError, User};

use crate::auth::{input, password};
use crate::config::Config;

/// Rebuilds the search index from the database; returns the document count and the time taken.
pub async fn reindex(config: &Config) -> anyhow::Result<(u64, Duration)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let store = super::open_store(config).await?;
    let index = super::open_index(config)?;
    let start = Instant::now();
    let n = index
        .rebuild(&*store)
        .await
        .context("rebuilding the search index (is a server running on this data directory?)")?;
    Ok((n, start.elapsed()))
}

/// Creates an account with any role (the only way to make the first admin).
pub async fn create_user(
    config: &Config,
    email: &str,
    password: String,
    display_name: &str,
    role: Role,
) -> anyhow::Result<User> {
    let email = input::email(email).map_err(|e| anyhow::anyhow!("e-mail {}", e.message))?;
    input::new_password(&password).map_err(|e| anyhow::anyhow!("password {}", e.message))?;
    let display_name = input::name("display name", display_name, input::MAX_DISPLAY_NAME)
        .map_err(|e| anyhow::anyhow!("display name {}", e.message))?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let store = super::open_store(config).await?;
    let password_hash = password::hash(password)
        .await
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
    match store
        .create_user(NewUser {
            email: email.clone(),
            display_name,
            password_hash,
            role,
        })
        .await
    {
        Ok(user) => Ok(user),
        Err(StoreError::Conflict(_)) => bail!("{email} is already registered"),
        Err(e) => Err(e).context("creating the user"),
    }
}
