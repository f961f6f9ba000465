//! Annotation engine under load (issue 15, "Figures to reach"), on one backend per run:
//!
//! 1. a catalog of N tracks (default 1,000,000) written straight into `users`, `artists`,
//!    `albums` and `tracks` with server-side generated rows (one INSERT … SELECT per table:
//!    `generate_series` on PostgreSQL, a recursive CTE on SQLite; no uploads or blobs);
//! 2. a project (one single-choice question, `Settings::default()`: overlap 2) and
//!    `AnnotationStore::add_selected` of every track, timed (target < 60 s);
//! 3. A annotators (default 200) as tokio tasks over one `SqlCatalog` (its pools as the server
//!    has them), each with its own user and annotator row, looping for D seconds: `claim`,
//!    think, `submit` (ended leases returned by a sweeper once a second, as the service
//!    does; `--expire claim` runs `expire_leases` before every claim instead, as it once did)
//!    with the real `workflow::decide` — or, for a share of claims, walking away so the lease
//!    expires under load;
//! 4. after the run: the invariants checked with SQL (no item with more open-stage
//!    assignments than overlap + extra, `taken <= needed`, no annotator answering an item
//!    twice, no expired lease left behind after a final sweep).
//!
//! Prints one `key: value` line per figure. Usage:
//!   annotate_load --backend sqlite|postgres [--tracks N] [--annotators A] [--duration S]
//!                 [--think-ms T] [--abandon P] [--lease-ms L] [--expire claim|sweeper|none]
//!                 [--pg URL] [--dir DIR] [--keep]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backbeat_annotate::engine::workflow;
use backbeat_annotate::schema::{NoVocabularies, Schema};
use backbeat_annotate::settings::Settings;
use backbeat_store::annotation::{
    AnnotationRecord, AnnotationStore, AnnotatorKind, Claim, ItemRecord, ItemStart, ItemState,
    MemberRole, NewAnnotation, NewAnnotator, NewProject, Stage, Submission, TrackSelection,
};
use backbeat_store::model::{now_millis, Id};
use backbeat_store::sql::SqlCatalog;
use serde_json::json;
use sqlx::{Connection, Executor};

struct Args {
    backend: String,
    tracks: u64,
    annotators: usize,
    duration: u64,
    /// Think times of the phases, run one after the other on the same project.
    think_ms: Vec<u64>,
    abandon: f64,
    lease_ms: i64,
    expire: String,
    pg: String,
    dir: Option<String>,
    keep: bool,
}

fn args() -> Args {
    let mut a = Args {
        backend: "sqlite".into(),
        tracks: 1_000_000,
        annotators: 200,
        duration: 60,
        think_ms: vec![0],
        abandon: 0.02,
        lease_ms: 5_000,
        expire: "sweeper".into(),
        pg: "postgres://postgres@127.0.0.1:5432".into(),
        dir: None,
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--backend" => a.backend = v(),
            "--tracks" => a.tracks = v().parse().unwrap(),
            "--annotators" => a.annotators = v().parse().unwrap(),
            "--duration" => a.duration = v().parse().unwrap(),
            "--think-ms" => a.think_ms = v().split(',').map(|t| t.parse().unwrap()).collect(),
            "--abandon" => a.abandon = v().parse().unwrap(),
            "--lease-ms" => a.lease_ms = v().parse().unwrap(),
            "--expire" => a.expire = v(),
            "--pg" => a.pg = v(),
            "--dir" => a.dir = Some(v()),
            "--keep" => a.keep = true,
            _ => panic!("unknown argument {k}"),
        }
    }
    assert!(
        ["claim", "sweeper", "none"].contains(&a.expire.as_str()),
        "--expire claim|sweeper|none"
    );
    a
}

/// A fixed id from a number: `00000000-0000-4000-8000-<n as 12 hex digits>`, written the
/// same way by the SQL that generates the rows.
fn id_of(kind: u32, n: u64) -> Id {
    Id::parse_str(&format!("{kind:08x}-0000-4000-8000-{n:012x}")).unwrap()
}

/// Rows made in the database itself: `users` (one owner + one per annotator), `artists`
/// (1 per 1000 tracks), `albums` (1 per 100 tracks), `tracks`.
async fn make_catalog(url: &str, sqlite: bool, tracks: u64, annotators: usize) -> f64 {
    let t = Instant::now();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let albums = tracks.div_ceil(100).max(1);
    let artists = tracks.div_ceil(1000).max(1);
    let users = annotators as u64 + 1;
    // series(n) from 1 to N, and an id expression over n with a kind prefix.
    let series = |n: u64| {
        if sqlite {
            format!("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) SELECT n FROM s")
        } else {
            format!("SELECT n FROM generate_series(1, {n}) AS n")
        }
    };
    let id = |kind: u32, expr: &str| {
        if sqlite {
            format!("printf('{kind:08x}-0000-4000-8000-%012x', {expr})")
        } else {
            format!("'{kind:08x}-0000-4000-8000-' || lpad(to_hex(CAST({expr} AS BIGINT)), 12, '0')")
        }
    };
    if sqlite {
        for p in [
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = OFF",
            "PRAGMA cache_size = -200000",
        ] {
            conn.execute(p).await.unwrap();
        }
    }
    let stmts = [
        format!(
            "INSERT INTO users (id, email, display_name, password_hash, role, created_at, updated_at)
             SELECT {}, 'bench' || n || '@backbeat.invalid', 'bench ' || n, 'x', 'admin', 0, 0
             FROM ({}) AS s",
            id(1, "n"),
            series(users)
        ),
        format!(
            "INSERT INTO artists (id, name, name_key, created_at, updated_at)
             SELECT {}, 'Artist ' || n, 'artist ' || n, n, n FROM ({}) AS s",
            id(2, "n"),
            series(artists)
        ),
        format!(
            "INSERT INTO albums (id, artist_id, title, name_key, kind, release_year, created_at, updated_at)
             SELECT {}, {}, 'Album ' || n, 'album ' || n, 'album', 2000, n, n FROM ({}) AS s",
            id(3, "n"),
            id(2, &format!("((n - 1) % {artists}) + 1")),
            series(albums)
        ),
        format!(
            "INSERT INTO tracks (id, album_id, title, name_key, status, blob_key, container, codec,
                 duration_ms, sample_rate, channels, bytes, created_at, updated_at, uploader_id)
             SELECT {}, {}, 'Track ' || n, 'track ' || n, 'ready', 'bench/' || n, 'flac', 'flac',
                 180000, 44100, 2, 1000000, n, n, {} FROM ({}) AS s",
            id(4, "n"),
            id(3, &format!("((n - 1) % {albums}) + 1")),
            id(1, "1"),
            series(tracks)
        ),
    ];
    for s in &stmts {
        conn.execute(s.as_str()).await.unwrap();
    }
    if !sqlite {
        conn.execute("ANALYZE").await.unwrap();
    }
    conn.close().await.unwrap();
    t.elapsed().as_secs_f64()
}

/// Latencies in microseconds.
#[derive(Default)]
struct Lat(Vec<u32>);

impl Lat {
    fn push(&mut self, d: Duration) {
        self.0
            .push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX));
    }
    fn report(&mut self, name: &str) {
        let v = &mut self.0;
        if v.is_empty() {
            println!("{name}: none");
            return;
        }
        v.sort_unstable();
        let q = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)] as f64 / 1000.0;
        let mean = v.iter().map(|x| *x as f64).sum::<f64>() / v.len() as f64 / 1000.0;
        println!(
            "{name}_ms: n={} mean={mean:.2} p50={:.2} p90={:.2} p99={:.2} max={:.2}",
            v.len(),
            q(0.5),
            q(0.9),
            q(0.99),
            *v.last().unwrap() as f64 / 1000.0
        );
    }
}

#[derive(Default)]
struct Worker {
    claim: Lat,
    claim_empty: Lat,
    expire: Lat,
    submit: Lat,
    errors: BTreeMap<String, u64>,
    abandoned: u64,
}

/// xorshift64*: enough randomness for who answers what.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

async fn count(url: &str, sql: &str) -> i64 {
    let mut c = sqlx::AnyConnection::connect(url).await.unwrap();
    let r: (i64,) = sqlx::query_as(sql).fetch_one(&mut c).await.unwrap();
    c.close().await.unwrap();
    r.0
}

#[tokio::main]
async fn main() {
    let a = args();
    let sqlite = match a.backend.as_str() {
        "sqlite" => true,
        "postgres" => false,
        other => panic!("--backend sqlite|postgres, not {other}"),
    };
    sqlx::any::install_default_drivers();
    let tmp = tempfile::Builder::new()
        .prefix("annotate-load-")
        .tempdir_in(
            a.dir
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().display().to_string()),
        )
        .unwrap();
    let db_name = format!("backbeat_annbench_{}", std::process::id());
    let url = if sqlite {
        format!("sqlite://{}/bench.db?mode=rwc", tmp.path().display())
    } else {
        let mut admin = sqlx::AnyConnection::connect(&format!("{}/postgres", a.pg))
            .await
            .unwrap();
        admin
            .execute(format!("CREATE DATABASE {db_name}").as_str())
            .await
            .unwrap();
        admin.close().await.unwrap();
        format!("{}/{db_name}", a.pg)
    };
    println!("backend: {}", a.backend);
    println!(
        "config: tracks={} annotators={} duration_s={} think_ms={:?} abandon={} lease_ms={} expire={}",
        a.tracks, a.annotators, a.duration, a.think_ms, a.abandon, a.lease_ms, a.expire
    );

    let store = SqlCatalog::connect(&url).await.unwrap();
    let made = make_catalog(&url, sqlite, a.tracks, a.annotators).await;
    println!("catalog_rows_s: {made:.1} ({} tracks)", a.tracks);

    // The project: one question, default settings (overlap 2, 10 % QA sample).
    let schema_json = json!({"questions": [
        {"name": "genre", "type": "single_choice", "labels": ["rock", "jazz", "pop"]}
    ]});
    let schema = Arc::new(Schema::parse(&schema_json, &NoVocabularies).unwrap());
    let settings = Arc::new(Settings::default());
    let project = id_of(9, 1);
    let now = now_millis();
    store
        .create_project(NewProject {
            id: project,
            name: "bench".into(),
            description: String::new(),
            settings: serde_json::to_value(&*settings).unwrap(),
            schema: schema.to_json(),
            created_by: Some(id_of(1, 1)),
            now,
        })
        .await
        .unwrap();
    let t = Instant::now();
    let added = store
        .add_selected(
            project,
            &TrackSelection::default(),
            ItemStart {
                state: ItemState::Open,
                needed: settings.overlap,
            },
            now,
        )
        .await
        .unwrap();
    let add_s = t.elapsed().as_secs_f64();
    println!(
        "add_selected_s: {add_s:.1} (added {} duplicates {}; target < 60 s)",
        added.added, added.duplicates
    );
    if !sqlite {
        // Fresh table statistics, as autovacuum would give the planner after a bulk add.
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        let t = Instant::now();
        c.execute("ANALYZE ann_items").await.unwrap();
        println!("analyze_s: {:.1}", t.elapsed().as_secs_f64());
        c.close().await.unwrap();
    }

    let mut annotators = Vec::new();
    for i in 0..a.annotators {
        let rec = store
            .add_annotator(NewAnnotator {
                id: id_of(5, i as u64 + 1),
                project_id: project,
                kind: AnnotatorKind::Human,
                user_id: Some(id_of(1, i as u64 + 2)),
                role: MemberRole::Annotator,
                name: format!("annotator {i}"),
                config: json!({}),
                now,
            })
            .await
            .unwrap();
        annotators.push(rec.id);
    }

    for think in a.think_ms.clone() {
        println!("### phase: think {think} ms");
        phase(&a, &store, project, &annotators, &schema, &settings, think).await;
    }

    // Every lease ends: sweep once after the longest lease, then nothing may be left leased
    // and past its end.
    tokio::time::sleep(Duration::from_millis(
        u64::try_from(a.lease_ms).unwrap() + 50,
    ))
    .await;
    let t = Instant::now();
    let mut swept = 0;
    loop {
        let k = store.expire_leases(project, now_millis()).await.unwrap();
        swept += k;
        if k == 0 {
            break;
        }
    }
    println!(
        "final_sweep: {swept} leases in {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    store.close().await;

    // The invariants, with SQL.
    let overlap = settings.overlap;
    let over = count(
        &url,
        &format!(
            "SELECT count(*) FROM (SELECT a.item_id FROM ann_assignments a
                JOIN ann_items i ON i.id = a.item_id
             WHERE a.stage = 'open' AND a.state IN ('leased', 'submitted')
             GROUP BY a.item_id, i.extra HAVING count(*) > {overlap} + i.extra) x"
        ),
    )
    .await;
    let over_taken = count(&url, "SELECT count(*) FROM ann_items WHERE taken > needed").await;
    let twice = count(
        &url,
        "SELECT count(*) FROM (SELECT item_id, annotator_id FROM ann_annotations
         GROUP BY item_id, annotator_id HAVING count(*) > 1) x",
    )
    .await;
    let over_answers = count(
        &url,
        &format!(
            "SELECT count(*) FROM (SELECT n.item_id FROM ann_annotations n
                JOIN ann_items i ON i.id = n.item_id WHERE n.stage = 'open'
             GROUP BY n.item_id, i.extra HAVING count(*) > {overlap} + i.extra) x"
        ),
    )
    .await;
    let stale = count(
        &url,
        &format!(
            "SELECT count(*) FROM ann_assignments WHERE state = 'leased' AND lease_until < {}",
            now_millis()
        ),
    )
    .await;
    let resolved = count(
        &url,
        "SELECT count(*) FROM ann_items WHERE state IN ('resolved', 'review')",
    )
    .await;
    let escalated = count(&url, "SELECT count(*) FROM ann_items WHERE extra > 0").await;
    println!("items_done: {resolved} (resolved or in QA review); escalated: {escalated}");
    println!(
        "check_double_assignments: {over} items with more open-stage assignments than overlap + extra"
    );
    println!("check_taken_over_needed: {over_taken}");
    println!("check_annotator_twice_on_item: {twice}");
    println!("check_answers_over_quota: {over_answers}");
    println!("check_stale_leases_after_sweep: {stale}");
    let ok = over == 0 && over_taken == 0 && twice == 0 && over_answers == 0 && stale == 0;
    println!("invariants: {}", if ok { "OK" } else { "VIOLATED" });

    if !sqlite {
        let mut admin = sqlx::AnyConnection::connect(&format!("{}/postgres", a.pg))
            .await
            .unwrap();
        if a.keep {
            println!("kept database: {url}");
        } else {
            admin
                .execute(format!("DROP DATABASE {db_name} WITH (FORCE)").as_str())
                .await
                .unwrap();
        }
        admin.close().await.unwrap();
    } else if a.keep {
        println!("kept database: {}", tmp.keep().display());
    }
    if !ok {
        std::process::exit(1);
    }
}

/// One load phase: every annotator claims and submits for `a.duration` seconds, with `think`
/// ms (±50 %) between claim and submit; prints the phase's figures.
async fn phase(
    a: &Args,
    store: &SqlCatalog,
    project: Id,
    annotators: &[Id],
    schema: &Arc<Schema>,
    settings: &Arc<Settings>,
    think: u64,
) {
    // The run.
    let stop = Arc::new(AtomicBool::new(false));
    let claims = Arc::new(AtomicU64::new(0));
    let submits = Arc::new(AtomicU64::new(0));
    let expired = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, me) in annotators.iter().copied().enumerate() {
        let (store, schema, settings) = (store.clone(), schema.clone(), settings.clone());
        let (stop, claims, submits, expired) = (
            stop.clone(),
            claims.clone(),
            submits.clone(),
            expired.clone(),
        );
        let (think, abandon, lease_ms, expire) = (think, a.abandon, a.lease_ms, a.expire.clone());
        tasks.push(tokio::spawn(async move {
            let mut w = Worker::default();
            let mut rng =
                Rng(0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
            // Spread the start over the first think time.
            if think > 0 {
                tokio::time::sleep(Duration::from_millis((rng.next() * think as f64) as u64)).await;
            }
            while !stop.load(Ordering::Relaxed) {
                if expire == "claim" {
                    let t = Instant::now();
                    match store.expire_leases(project, now_millis()).await {
                        Ok(k) => {
                            expired.fetch_add(k, Ordering::Relaxed);
                        }
                        Err(e) => *w.errors.entry(format!("expire: {e}")).or_default() += 1,
                    }
                    w.expire.push(t.elapsed());
                }
                let now = now_millis();
                let t = Instant::now();
                let got = store
                    .claim(&Claim {
                        project_id: project,
                        annotator_id: me,
                        stages: vec![ItemState::Open],
                        gold_first: false,
                        now,
                        lease_until: now + lease_ms,
                    })
                    .await;
                let took = t.elapsed();
                let item = match got {
                    Ok(Some(c)) => {
                        w.claim.push(took);
                        claims.fetch_add(1, Ordering::Relaxed);
                        c.item
                    }
                    Ok(None) => {
                        w.claim_empty.push(took);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    Err(e) => {
                        *w.errors.entry(format!("claim: {e}")).or_default() += 1;
                        continue;
                    }
                };
                if think > 0 {
                    tokio::time::sleep(Duration::from_millis(
                        (think as f64 * (0.5 + rng.next())) as u64,
                    ))
                    .await;
                }
                if rng.next() < abandon {
                    // Walks away: the lease must expire and the item go back.
                    w.abandoned += 1;
                    continue;
                }
                // Mostly agreeing people: 90 % "rock".
                let label = if rng.next() < 0.9 { "rock" } else { "jazz" };
                let (schema, settings) = (schema.clone(), settings.clone());
                let decide = move |item: &ItemRecord, round: &[AnnotationRecord]| {
                    workflow::decide(&schema, &settings, item, round, now_millis())
                };
                let t = Instant::now();
                let r = store
                    .submit(
                        &Submission {
                            item_id: item.id,
                            annotation: NewAnnotation {
                                annotator_id: me,
                                stage: Stage::Open,
                                answers: json!({ "genre": label }),
                                confidence: None,
                                model_version: None,
                                derived_from: None,
                                lead_ms: Some(think as i64),
                                schema_version: 1,
                                verdict: None,
                                comment: None,
                                now: now_millis(),
                            },
                        },
                        &decide,
                    )
                    .await;
                w.submit.push(t.elapsed());
                match r {
                    Ok(_) => {
                        submits.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => *w.errors.entry(format!("submit: {e}")).or_default() += 1,
                }
            }
            w
        }));
    }
    let sweeper = (a.expire == "sweeper").then(|| {
        let (store, stop, expired) = (store.clone(), stop.clone(), expired.clone());
        tokio::spawn(async move {
            let mut lat = Lat::default();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                if let Ok(k) = store.expire_leases(project, now_millis()).await {
                    expired.fetch_add(k, Ordering::Relaxed);
                }
                lat.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(1000)).await;
            }
            lat
        })
    });
    let mut last = (0, 0);
    for s in 1..=a.duration {
        tokio::time::sleep_until(tokio::time::Instant::from_std(
            started + Duration::from_secs(s),
        ))
        .await;
        if s % 10 == 0 {
            let (c, u) = (
                claims.load(Ordering::Relaxed),
                submits.load(Ordering::Relaxed),
            );
            eprintln!(
                "[{s:>4} s] claims/s {:.0} submits/s {:.0}",
                (c - last.0) as f64 / 10.0,
                (u - last.1) as f64 / 10.0
            );
            last = (c, u);
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut all = Worker::default();
    for t in tasks {
        let w = t.await.unwrap();
        all.claim.0.extend(w.claim.0);
        all.claim_empty.0.extend(w.claim_empty.0);
        all.expire.0.extend(w.expire.0);
        all.submit.0.extend(w.submit.0);
        all.abandoned += w.abandoned;
        for (k, v) in w.errors {
            *all.errors.entry(k).or_default() += v;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n_claims = claims.load(Ordering::Relaxed);
    let n_submits = submits.load(Ordering::Relaxed);
    println!("claims: {n_claims} ({:.0}/s)", n_claims as f64 / elapsed);
    println!("submits: {n_submits} ({:.0}/s)", n_submits as f64 / elapsed);
    all.claim.report("claim");
    all.claim_empty.report("claim_empty");
    all.submit.report("submit");
    if a.expire == "claim" {
        all.expire.report("expire_leases_per_claim");
    }
    if let Some(s) = sweeper {
        s.await.unwrap().report("expire_leases_sweeper");
    }
    println!(
        "abandoned: {} expired_during_run: {}",
        all.abandoned,
        expired.load(Ordering::Relaxed)
    );
    let errors: u64 = all.errors.values().sum();
    println!("errors: {errors}");
    for (k, v) in &all.errors {
        println!("  error x{v}: {k}");
    }

    // Let this phase's leases end and sweep them, so the next phase starts clean.
    tokio::time::sleep(Duration::from_millis(
        u64::try_from(a.lease_ms).unwrap() + 50,
    ))
    .await;
    while store.expire_leases(project, now_millis()).await.unwrap() > 0 {}
}
