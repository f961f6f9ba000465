//! `backbeat seed`: fills a data directory with a generated catalog (artists, albums, tracks
//! with made-up multi-word titles) for load and search benchmarks. Every track gets its own
//! small blob, so the catalog keeps the rule that metadata never points at a missing blob; the
//! blobs are placeholders, not audio (seeding skips the probe). The search index is left for
//! `backbeat reindex`, so indexing time can be measured on its own.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crate::config::Settings;
use anyhow::Context;
use backbeat_store::{
    AlbumKind, AudioFacts, LockOutcome, NewTrack, NewUser, Role, TrackStatus, Upload,
};
use clap::Args;
use futures_util::{stream, StreamExt};

/// Arguments of `backbeat seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Data directory to fill (created if missing).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Number of tracks.
    #[arg(long, default_value_t = 100_000)]
    pub tracks: usize,
    /// Tracks per album.
    #[arg(long, default_value_t = 10)]
    pub per_album: usize,
    /// Albums per artist.
    #[arg(long, default_value_t = 4)]
    pub albums_per_artist: usize,
}

const SYLLABLES: [&str; 32] = [
    "la", "mo", "ri", "ta", "ven", "dor", "ka", "lin", "sa", "mer", "tro", "bel", "nia", "quin",
    "zor", "pha", "del", "gri", "sto", "vel", "an", "cor", "ly", "mi", "ra", "son", "tel", "bri",
    "go", "ne", "fal", "ush",
];

/// A small deterministic generator (xorshift64*), so two runs seed the same catalog.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn word(&mut self) -> String {
        let n = 2 + (self.next() % 2) as usize;
        let w: String = (0..n)
            .map(|_| SYLLABLES[(self.next() % 32) as usize])
            .collect();
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }
    fn title(&mut self) -> String {
        let n = 1 + (self.next() % 3) as usize;
        (0..n).map(|_| self.word()).collect::<Vec<_>>().join(" ")
    }
}

/// Runs the command.
pub fn run(args: SeedArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(seed(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    let settings = Settings {
        data_dir: args.data_dir.clone(),
        ..Settings::default()
    };
    let catalog = crate::wiring::open_catalog(&settings)
        .await
        .context("opening the data directory")?;
    let stores = catalog.parts().stores.clone();
    let started = Instant::now();
    let email = format!(
        "seed-{}@backbeat.invalid",
        backbeat_store::new_id().simple()
    );
    // "!" is no PHC string, so nobody can log in as the seed user.
    let user = stores
        .accounts
        .create_user(NewUser {
            email,
            display_name: "Seed".into(),
            password_hash: "!".into(),
            role: Role::Artist,
        })
        .await?;
    let mut words = Words(0x9E37_79B9_7F4A_7C15);
    let per_artist = args.per_album * args.albums_per_artist;
    let mut plan = Vec::with_capacity(args.tracks);
    let (mut album, mut made) = (None, 0usize);
    while made < args.tracks {
        if made % per_artist == 0 {
            let artist = stores
                .library
                .create_artist(&words.title(), user.id)
                .await?;
            album = Some((artist.id, 0usize));
        }
        if made % args.per_album == 0 {
            let (artist_id, _) = album.context("artist")?;
            let al = stores
                .library
                .create_album(artist_id, &words.title(), AlbumKind::Album, Some(2000))
                .await?;
            album = Some((artist_id, 0));
            plan.push((al.id, Vec::new()));
        }
        if let Some((_, titles)) = plan.last_mut() {
            titles.push(words.title());
        }
        made += 1;
    }
    let placeholder = bytes::Bytes::from_static(b"backbeat seed placeholder blob\n");
    let total: usize = stream::iter(
        plan.into_iter()
            .flat_map(|(album_id, titles)| titles.into_iter().map(move |t| (album_id, t))),
    )
    .map(|(album_id, title)| {
        let (catalog, placeholder) = (catalog.clone(), placeholder.clone());
        async move {
            let key = format!("audio/{}", backbeat_store::new_id().simple());
            let now = backbeat_store::now_millis();
            let upload = Upload {
                key: key.clone(),
                user_id: user.id,
                max_bytes: 1 << 20,
                expires_at: now + 3_600_000,
                created_at: now,
            };
            let parts = catalog.parts();
            parts.stores.uploads.create_upload(upload).await?;
            let body = stream::iter([Ok::<_, std::io::Error>(placeholder)]);
            parts.blobs.put_stream(&key, body, 1 << 20).await?;
            let audio = AudioFacts {
                container: "mp3".into(),
                codec: "mp3".into(),
                duration_ms: 180_000,
                sample_rate: 44_100,
                channels: 2,
                bytes: 31,
            };
            // A claim needs the slot's lock, even here where nothing else can write to it.
            let token = backbeat_store::new_id().to_string();
            let locked = parts
                .stores
                .uploads
                .lock_upload(&key, &token, now + 60_000, now)
                .await?;
            anyhow::ensure!(
                locked == LockOutcome::Acquired,
                "locking the new upload slot {key}: {locked:?}"
            );
            let nt = NewTrack {
                album_id,
                title,
                upload_key: key,
                lock_token: token,
                uploader: user.id,
                audio,
                status: TrackStatus::Ready,
            };
            parts.stores.library.create_track(nt).await?;
            anyhow::Ok(())
        }
    })
    .buffer_unordered(8)
    .fold(Ok(0usize), |acc, r| async move {
        acc.and_then(|n| r.map(|()| n + 1))
    })
    .await?;
    eprintln!(
        "seed: {total} tracks in {:.1} s into {}",
        started.elapsed().as_secs_f64(),
        args.data_dir.display()
    );
    Ok(())
}
