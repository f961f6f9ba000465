//! What the scripting subcommands share: the annotation engine over the configured database,
//! the operator as an admin actor, and engine refusals in words a script's log can use.

use anyhow::Context as _;
use backbeat_annotate::engine::{Actor, AnnotateError, Annotation};
use backbeat_store::model::Id;

use crate::config::{ServeArgs, Settings};
use crate::wiring;

/// The engine over the database `args` configure (migrated if needed).
pub async fn open(args: &ServeArgs) -> anyhow::Result<Annotation> {
    let settings = Settings::load(args)?;
    wiring::ensure_data_dir(&settings)?;
    let db = wiring::open_database(&settings).await?;
    Ok(wiring::open_annotation(&db))
}

/// Whoever runs the command on the database is a project manager. `user_id` is only written
/// where a command names a user (`project create --as`); the nil id is never stored.
pub fn operator(user_id: Id) -> Actor {
    Actor {
        user_id,
        admin: true,
    }
}

/// An engine refusal as an error naming each bad field or orphaned label.
pub fn refusal(e: AnnotateError) -> anyhow::Error {
    match e {
        AnnotateError::Invalid(fields) => {
            let list: Vec<String> = fields.iter().map(|f| format!("{f}")).collect();
            anyhow::anyhow!("invalid input: {}", list.join("; "))
        }
        AnnotateError::Orphans(orphans) => anyhow::anyhow!(
            "the change would orphan stored labels: {}",
            serde_json::to_string(&orphans).unwrap_or_default()
        ),
        AnnotateError::NotFound => anyhow::anyhow!("no such project (or item, or track)"),
        other => anyhow::Error::new(other).context("the annotation engine refused"),
    }
}

/// Reads a JSON file.
pub fn read_json(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}
