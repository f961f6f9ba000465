//! `backbeat annotate project create --name N --schema FILE [--settings FILE] --as EMAIL`:
//! creates a project and prints it as one JSON object (`id`, `name`, `schemaVersion`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use backbeat_annotate::engine::ProjectInput;
use backbeat_store::Role;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::annotate::store::{operator, read_json, refusal};
use crate::config::{ServeArgs, Settings};
use crate::serve::runtime;
use crate::wiring;

/// `backbeat annotate project …`.
#[derive(Debug, Subcommand)]
pub enum ProjectCmd {
    /// Create a project from a schema file (and optional settings file).
    Create(CreateArgs),
}

/// Flags of `backbeat annotate project create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The project's name (1–200 characters).
    #[arg(long)]
    pub name: String,
    /// The label schema (JSON: `{"questions":[…]}`).
    #[arg(long, value_name = "FILE")]
    pub schema: PathBuf,
    /// Routing, overlap, gold and QA settings (JSON; absent keys take their defaults).
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// A description.
    #[arg(long, default_value = "")]
    pub description: String,
    /// The e-mail of the admin the project is recorded as created by.
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_admin: String,
    #[command(flatten)]
    pub config: ServeArgs,
}

/// Runs `backbeat annotate project …`.
pub fn run(cmd: ProjectCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ProjectCmd::Create(args) => {
            let schema = read_json(&args.schema)?;
            let settings = match &args.settings {
                Some(p) => read_json(p)?,
                None => json!({}),
            };
            let out = runtime()?.block_on(create(&args, schema, settings))?;
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn create(
    args: &CreateArgs,
    schema: serde_json::Value,
    settings: serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let config = Settings::load(&args.config)?;
    wiring::ensure_data_dir(&config)?;
    let db = wiring::open_database(&config).await?;
    let stores = db.stores();
    let (user, _) = stores
        .accounts
        .user_credentials(&args.as_admin)
        .await
        .with_context(|| format!("no account {}", args.as_admin))?;
    if user.role != Role::Admin {
        bail!("{} is not an admin", args.as_admin);
    }
    let engine = wiring::open_annotation(&db);
    let p = engine
        .create_project(
            &operator(user.id),
            ProjectInput {
                name: args.name.clone(),
                description: args.description.clone(),
                schema,
                settings,
            },
        )
        .await
        .map_err(refusal)?;
    Ok(json!({"id": p.id, "name": p.name, "schemaVersion": p.schema_version}))
}
