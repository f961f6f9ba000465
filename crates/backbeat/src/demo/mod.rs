//! `backbeat demo`: the whole product on the embedded default. It serves a demo data
//! directory and, the first time, fills it through the public API: the sample recordings
//! (`../shared/eval/dev` beside the project, else the repository's fixtures) uploaded and
//! processed by the real pipeline with progress bars, an account for each role, and an
//! annotation project with the model's pre-annotations and items already escalated. Then it
//! prints the URL and the logins. Nothing is faked: every number on screen comes from the
//! pipeline and the annotation engine.

mod client;
mod seed;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use backbeat_store::Role;
use clap::Args;

use crate::config::{ServeArgs, Settings};

/// Flags of `backbeat demo` (and every flag of `serve`).
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Recordings to ingest: audio files or folders (default: ../shared/eval/dev when present,
    /// else the repository's testdata/formats).
    #[arg(long, value_name = "DIR")]
    pub samples: Vec<PathBuf>,
    /// At most this many recordings, taken in turn from each folder (0: all).
    #[arg(long, default_value_t = 30)]
    pub limit: usize,
    /// Start again from an empty demo data directory.
    #[arg(long)]
    pub reset: bool,
    #[command(flatten)]
    pub config: ServeArgs,
}

/// The demo's data directory when none is given: outside any clone.
fn default_data_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache/backbeat/demo")
}

/// Marks a data directory the demo made (so `--reset` never deletes anything else).
const MARKER: &str = ".backbeat-demo";
/// Written once seeding finished: the logins and the project.
const SEEDED: &str = "demo.json";
/// The demo's log filter unless `RUST_LOG` says otherwise.
const QUIET_LOG: &str =
    "warn,backbeat::access=off,symphonia_core=error,symphonia_bundle_mp3=error,\
                         symphonia_format_ogg=error,symphonia_format_isomp4=error";

pub fn run(mut args: DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = args
        .config
        .data_dir
        .get_or_insert_with(default_data_dir)
        .clone();
    args.config
        .bind
        .get_or_insert(SocketAddr::from(([127, 0, 0, 1], 8080)));
    if args.reset || (dir.exists() && !dir.join(SEEDED).exists()) {
        // An interrupted seeding starts over; only a directory the demo made is removed.
        if dir.join(MARKER).exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        } else if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
            anyhow::bail!(
                "{} is not empty and was not made by `backbeat demo`; give another --data-dir",
                dir.display()
            );
        }
    }
    let fresh = !dir.join(SEEDED).exists();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join(MARKER), b"made by backbeat demo\n")?;
    let settings = Settings::load(&args.config)?;
    // Before `serve` installs its own (which then does nothing).
    crate::logging::init_with_default(&settings.log_format, QUIET_LOG);
    let samples = if fresh { samples(&args)? } else { Vec::new() };
    let rt = crate::serve::runtime()?;
    if fresh {
        rt.block_on(crate::admin::create_account(
            &settings,
            seed::ADMIN_EMAIL,
            seed::PASSWORD.to_string(),
            "Admin",
            Role::Admin,
        ))?;
    }
    rt.block_on(crate::serve::serve_with(settings, move |addr| {
        tokio::spawn(async move {
            let base = format!("http://{addr}");
            let seeded = if fresh {
                eprintln!(
                    "demo: seeding {} recordings into {}",
                    samples.len(),
                    dir.display()
                );
                match seed::seed(&base, &samples).await {
                    Ok(s) => {
                        let text = serde_json::to_string_pretty(&s).expect("serialisable");
                        if let Err(e) = std::fs::write(dir.join(SEEDED), text) {
                            eprintln!("demo: writing {SEEDED}: {e}");
                        }
                        s
                    }
                    Err(e) => {
                        eprintln!("demo: seeding failed: {e:#}");
                        std::process::exit(1);
                    }
                }
            } else {
                match std::fs::read_to_string(dir.join(SEEDED))
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                {
                    Some(v) => {
                        print_ready(&base, &v);
                        return;
                    }
                    None => {
                        eprintln!("demo: {SEEDED} is unreadable; run with --reset");
                        std::process::exit(1);
                    }
                }
            };
            print_ready(&base, &serde_json::to_value(&seeded).expect("serialisable"));
        });
    }))?;
    Ok(ExitCode::SUCCESS)
}

fn print_ready(base: &str, seeded: &serde_json::Value) {
    println!();
    println!("Backbeat demo ready at {base}/");
    println!();
    for l in seeded["logins"].as_array().into_iter().flatten() {
        println!(
            "  {:<10} {:<26} {}   {}",
            l["role"].as_str().unwrap_or_default(),
            l["email"].as_str().unwrap_or_default(),
            l["password"].as_str().unwrap_or_default(),
            l["does"].as_str().unwrap_or_default()
        );
    }
    println!();
    println!(
        "  {} tracks ready ({} failed); annotation project {}",
        seeded["tracks"],
        seeded["failed"],
        seeded["projectId"].as_str().unwrap_or_default()
    );
    println!(
        "  Ctrl+C stops the server; run again to serve the same catalog, --reset to start over."
    );
}

/// The recordings to ingest, `limit` of them taken in turn from each folder, so every kind of
/// sample (songs, speech, generated pieces) is in the demo.
fn samples(args: &DemoArgs) -> anyhow::Result<Vec<PathBuf>> {
    let roots = if args.samples.is_empty() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dev = here.join("../shared/eval/dev");
        vec![if dev.is_dir() {
            dev
        } else {
            here.join("testdata/formats")
        }]
    } else {
        args.samples.clone()
    };
    let files = crate::files::expand(&roots)?;
    let mut by_folder: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for f in files {
        let parent = f.parent().map(Path::to_path_buf).unwrap_or_default();
        match by_folder.iter_mut().find(|(p, _)| *p == parent) {
            Some((_, v)) => v.push(f),
            None => by_folder.push((parent, vec![f])),
        }
    }
    let total: usize = by_folder.iter().map(|(_, v)| v.len()).sum();
    let want = if args.limit == 0 {
        total
    } else {
        args.limit.min(total)
    };
    let mut out = Vec::with_capacity(want);
    let mut round = 0;
    while out.len() < want {
        for (_, v) in &by_folder {
            if let Some(f) = v.get(round) {
                if out.len() < want {
                    out.push(f.clone());
                }
            }
        }
        round += 1;
    }
    anyhow::ensure!(!out.is_empty(), "no audio files under {roots:?}");
    Ok(out)
}
