//! Operator commands that work on the data directory without serving: rebuilding the search
//! index and creating accounts (the first admin). The binary calls these; the logic is here so
//! it shares validation and hashing with the HTTP routes.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use backbeat_catalog::CatalogError;
use backbeat_store::{Role, User};

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
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let store = super::open_store(config).await?;
    backbeat_catalog::accounts::create_user(&*store, email, password, display_name, role)
        .await
        .map_err(|e| match e {
            CatalogError::Invalid(fields) => {
                let text: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{} {}", field_name(&f.field), f.message))
                    .collect();
                anyhow::anyhow!(text.join("; "))
            }
            CatalogError::Conflict(d) => anyhow::anyhow!(d),
            other => anyhow::Error::new(other).context("creating the user"),
        })
}

/// A field as the command's messages name it.
fn field_name(field: &str) -> &str {
    match field {
        "email" => "e-mail",
        other => other,
    }
}
