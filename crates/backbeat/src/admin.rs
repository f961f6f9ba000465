//! Operator commands on a data directory: `backbeat reindex` and `backbeat user create`.

use std::io::BufRead as _;
use std::process::ExitCode;

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use backbeat_catalog::CatalogError;
use backbeat_store::{Role, User};
use clap::{Args, Subcommand, ValueEnum};

use crate::config::{ServeArgs, Settings};
use crate::serve::runtime;
use crate::wiring;

/// Flags of `backbeat reindex`.
#[derive(Args, Debug)]
pub struct ReindexArgs {
    #[command(flatten)]
    pub config: ServeArgs,
}

/// `backbeat user ...`.
#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create an account with any role (use it to make the first admin).
    Create(CreateUserArgs),
}

/// A role as a command-line value.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    Listener,
    Artist,
    Admin,
}

/// Flags of `backbeat user create`.
#[derive(Args, Debug)]
pub struct CreateUserArgs {
    /// The account's e-mail address.
    #[arg(long)]
    email: String,
    /// The password (visible to other local users in the process list: prefer
    /// `--password-stdin`).
    #[arg(
        long,
        conflicts_with = "password_stdin",
        required_unless_present = "password_stdin"
    )]
    password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// The role.
    #[arg(long, value_enum)]
    role: RoleArg,
    /// The display name (default: the part of the e-mail before `@`).
    #[arg(long)]
    display_name: Option<String>,
    #[command(flatten)]
    config: ServeArgs,
}

/// `backbeat reindex`: rebuilds the search index from the database.
pub fn reindex(args: ReindexArgs) -> anyhow::Result<ExitCode> {
    let config = Settings::load(&args.config)?;
    let (n, took) = runtime()?.block_on(reindex_now(&config))?;
    println!("indexed {n} documents in {:.2} s", took.as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

/// `backbeat user ...`.
pub fn user(cmd: UserCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCmd::Create(args) => create_user(args),
    }
}

fn create_user(args: CreateUserArgs) -> anyhow::Result<ExitCode> {
    let config = Settings::load(&args.config)?;
    let password = match (args.password, args.password_stdin) {
        (Some(p), false) => p,
        (None, true) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
        _ => bail!("give exactly one of --password and --password-stdin"),
    };
    let role = match args.role {
        RoleArg::Listener => Role::Listener,
        RoleArg::Artist => Role::Artist,
        RoleArg::Admin => Role::Admin,
    };
    let display_name = args
        .display_name
        .unwrap_or_else(|| args.email.split('@').next().unwrap_or_default().to_string());
    let user = runtime()?.block_on(create_account(
        &config,
        &args.email,
        password,
        &display_name,
        role,
    ))?;
    println!(
        "created {} {} ({})",
        user.role.as_str(),
        user.email,
        user.id
    );
    Ok(ExitCode::SUCCESS)
}

/// Rebuilds the search index from the database; returns the document count and the time taken.
async fn reindex_now(config: &Settings) -> anyhow::Result<(u64, Duration)> {
    wiring::ensure_data_dir(config)?;
    let store = wiring::open_database(config).await?;
    let index = wiring::open_index(config)?;
    let start = Instant::now();
    let n = index
        .rebuild(&store)
        .await
        .context("rebuilding the search index (is a server running on this data directory?)")?;
    Ok((n, start.elapsed()))
}

/// Creates an account with any role (the only way to make the first admin).
pub(crate) async fn create_account(
    config: &Settings,
    email: &str,
    password: String,
    display_name: &str,
    role: Role,
) -> anyhow::Result<User> {
    wiring::ensure_data_dir(config)?;
    let store = wiring::open_database(config).await?;
    backbeat_catalog::accounts::create_user(&store, email, password, display_name, role)
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
