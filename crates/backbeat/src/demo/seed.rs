//! Filling a fresh demo catalog through the public API: accounts for every role, the sample
//! recordings uploaded by an artist and processed by the real pipeline, and an annotation
//! project whose items the built-in model pre-annotates and two demo annotators answer, some
//! in agreement (resolved, some sent to QA) and some not (escalated to the expert).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{json, Value};

use super::client::Client;

/// Every demo account's password (the demo runs on 127.0.0.1 by default).
pub const PASSWORD: &str = "backbeat-demo";

/// The admin account, made directly in the database before serving (no route makes admins).
pub const ADMIN_EMAIL: &str = "admin@demo.backbeat";

/// One account of the demo, as printed and written to `demo.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Login {
    pub role: &'static str,
    pub email: String,
    pub password: &'static str,
    pub does: &'static str,
}

/// What seeding made (written to `<data_dir>/demo.json`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Seeded {
    pub logins: Vec<Login>,
    pub project_id: String,
    pub tracks: usize,
    pub failed: usize,
}

/// The people of the demo: `(role shown, e-mail local part, account role, what they do)`.
const PEOPLE: [(&str, &str, &str, &str); 6] = [
    (
        "artist",
        "artist",
        "artist",
        "uploads by drag and drop, edits and deletes tracks",
    ),
    (
        "listener",
        "listener",
        "listener",
        "searches, browses and plays the catalog",
    ),
    (
        "annotator",
        "annotator1",
        "listener",
        "annotates in the workspace",
    ),
    (
        "annotator",
        "annotator2",
        "listener",
        "annotates in the workspace",
    ),
    ("expert", "expert", "listener", "resolves escalated items"),
    ("qa", "qa", "listener", "reviews resolved items"),
];

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{prefix:>12} [{bar:32}] {pos}/{len} {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    pb.set_prefix(what.to_string());
    pb
}

/// Seeds the catalog served at `base` from `samples`.
pub async fn seed(base: &str, samples: &[PathBuf]) -> anyhow::Result<Seeded> {
    let anon = Client::new(base)?;
    let (admin, _) = anon.login(ADMIN_EMAIL, PASSWORD).await?;
    let mut logins = vec![Login {
        role: "admin",
        email: ADMIN_EMAIL.into(),
        password: PASSWORD,
        does: "manages the annotation project: dashboard, every page",
    }];
    let mut people = Vec::new();
    for (shown, local, role, does) in PEOPLE {
        let email = format!("{local}@demo.backbeat");
        let name = format!("{}{}", &local[..1].to_uppercase(), &local[1..]);
        let t = anon
            .post(
                "/auth/register",
                &json!({"email": email, "password": PASSWORD, "displayName": name, "role": role}),
            )
            .await?;
        let (client, id) = anon.signed_in(&t)?;
        logins.push(Login {
            role: shown,
            email,
            password: PASSWORD,
            does,
        });
        people.push((local, client, id));
    }
    let person = |local: &str| {
        people
            .iter()
            .find(|p| p.0 == local)
            .map(|p| (p.1.clone(), p.2.clone()))
            .expect("a demo person")
    };
    let (artist, _) = person("artist");

    let tracks = upload_samples(&artist, samples).await?;
    let (ready, failed) = wait_until_processed(&admin, &tracks).await?;
    if ready.is_empty() {
        bail!("no sample became ready ({failed} failed); see the log above");
    }
    // A public playlist, so the catalog's playlists have something to show.
    artist
        .post(
            "/playlists",
            &json!({"name": "Demo picks", "description": "A few of the samples, in upload order.",
                    "public": true, "trackIds": ready.iter().take(8).collect::<Vec<_>>()}),
        )
        .await?;
    let project_id = annotation_project(&admin, &people).await?;
    let (a1, _) = person("annotator1");
    let (a2, _) = person("annotator2");
    disagree_and_agree(&admin, &project_id, &a1, &a2).await?;
    Ok(Seeded {
        logins,
        project_id,
        tracks: ready.len(),
        failed,
    })
}

/// The artist and album a sample goes under: one artist per source folder.
fn folder_of(path: &Path) -> String {
    path.parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Samples".into())
}

async fn upload_samples(artist: &Client, samples: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    let pb = bar(samples.len() as u64, "uploading");
    let mut albums: Vec<(String, String)> = Vec::new();
    let mut ids = Vec::new();
    for path in samples {
        let folder = folder_of(path);
        let album = match albums.iter().find(|(f, _)| *f == folder) {
            Some((_, id)) => id.clone(),
            None => {
                let a = artist.post("/artists", &json!({"name": folder})).await?;
                let al = artist
                    .post(
                        "/albums",
                        &json!({"artistId": a["id"], "title": format!("{folder} (samples)")}),
                    )
                    .await?;
                let id = al["id"].as_str().context("album id")?.to_string();
                albums.push((folder.clone(), id.clone()));
                id
            }
        };
        let title = path
            .file_stem()
            .map(|s| s.to_string_lossy().replace('_', " "))
            .unwrap_or_else(|| "untitled".into());
        pb.set_message(title.clone());
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let slot = artist.get("/tracks/upload-url").await?;
        artist
            .put_bytes(slot["uploadUrl"].as_str().context("uploadUrl")?, bytes)
            .await?;
        match artist
            .post(
                "/tracks",
                &json!({"albumId": album, "title": title, "trackUrl": slot["trackUrl"]}),
            )
            .await
        {
            Ok(t) => ids.push(t["id"].as_str().context("track id")?.to_string()),
            // A sample the upload check refuses (not audio, over a limit) is left out.
            Err(e) => pb.println(format!("  left out {}: {e:#}", path.display())),
        }
        pb.inc(1);
    }
    pb.finish_with_message("done");
    Ok(ids)
}

/// Waits until every track is `ready` or `failed`; returns the ready ones and the failures.
async fn wait_until_processed(
    admin: &Client,
    tracks: &[String],
) -> anyhow::Result<(Vec<String>, usize)> {
    let pb = bar(tracks.len() as u64, "processing");
    pb.set_message("probe, analyse, tag, peaks, transcode…");
    let mut pending: Vec<String> = tracks.to_vec();
    let mut ready = Vec::new();
    let mut failed = 0;
    while !pending.is_empty() {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut still = Vec::new();
        for id in pending {
            let t = admin.get(&format!("/tracks/{id}")).await?;
            match t["status"].as_str() {
                Some("ready") if transcoded(admin, &id).await? => {
                    ready.push(id);
                    pb.inc(1);
                }
                Some("failed") => {
                    failed += 1;
                    pb.println(format!("  {} failed to process", t["title"]));
                    pb.inc(1);
                }
                _ => still.push(id),
            }
        }
        pending = still;
    }
    pb.finish_with_message(format!("{} ready, {failed} failed", ready.len()));
    Ok((ready, failed))
}

/// Whether the streaming ladder and the waveform are made too (the track is `ready` after
/// `summary`; the player and the workspace want the rest).
async fn transcoded(admin: &Client, id: &str) -> anyhow::Result<bool> {
    let jobs = admin.get(&format!("/tracks/{id}/jobs")).await?;
    let settled = |name: &str| {
        jobs["jobs"].as_array().is_some_and(|js| {
            js.iter().any(|j| {
                j["job"] == name
                    && matches!(
                        j["state"].as_str(),
                        Some("done" | "skipped" | "failed" | "dead" | "unavailable")
                    )
            })
        })
    };
    Ok(settled("transcode") && settled("peaks"))
}

/// The project's questions: clip questions the model pre-answers, regions and markers people
/// draw and tap.
pub fn schema() -> Value {
    json!({"questions": [
        {"name": "genre", "title": "Genre", "type": "single_choice", "labels": [
            "rock", "metal", "punk", "pop", "alternative/indie", "electronic", "dance", "hip-hop",
            "soul/r&b", "funk", "jazz", "blues", "country", "folk", "classical", "ambient",
            "experimental", "indian", "opera", "other"]},
        {"name": "moods", "title": "Moods", "type": "multi_label", "vocabulary": "tagger:mood",
         "required": false},
        {"name": "bpm", "title": "Tempo (BPM)", "type": "number", "min": 30, "max": 300,
         "distance": "bpm"},
        {"name": "key", "title": "Key", "type": "key", "required": false},
        {"name": "sections", "title": "Sections", "type": "regions",
         "labels": ["intro", "verse", "chorus", "bridge", "solo", "outro"], "required": false,
         "attributes": [{"name": "instrumental", "title": "Instrumental", "type": "single_choice",
                         "labels": ["yes", "no"], "required": false}]},
        {"name": "beats", "title": "Beats", "type": "markers", "labels": ["beat", "downbeat"],
         "required": false}
    ]})
}

async fn annotation_project(
    admin: &Client,
    people: &[(&str, Client, String)],
) -> anyhow::Result<String> {
    let pb = bar(4, "annotation");
    pb.set_message("project");
    let p = admin
        .post(
            "/annotation/projects",
            &json!({
                "name": "Genre, tempo, key and beats",
                "description": "The demo's catalog, pre-annotated by the built-in model (tags, tempo, key and the beat grid); people take what it is unsure of and check every beat grid.",
                "schema": schema(),
                "settings": {
                    "overlap": 2, "maxExtra": 0, "hideModelAnswers": false, "qaShare": 0.5,
                    "goldShare": 0, "acceptThreshold": 0.9,
                    // People check the beat grids (only a perfectly periodic pulse reaches
                    // confidence 1): they start from the model's beats and add the downbeats
                    // the analysis does not find.
                    "questions": {"bpm": {"writeBack": "bpm"}, "key": {"writeBack": "key"},
                                  "genre": {"writeBack": "tags:genre"},
                                  "beats": {"acceptThreshold": 1.0}}
                }
            }),
        )
        .await?;
    let id = p["id"].as_str().context("project id")?.to_string();
    pb.inc(1);
    pb.set_message("members and the model");
    for (local, _, user) in people {
        let name = format!("{}{}", &local[..1].to_uppercase(), &local[1..]);
        let role = match *local {
            "annotator1" | "annotator2" => "annotator",
            "expert" => "expert",
            "qa" => "qa",
            _ => continue,
        };
        admin
            .post(
                &format!("/annotation/projects/{id}/members"),
                &json!({"userId": user, "role": role, "name": name}),
            )
            .await?;
    }
    admin
        .post(
            &format!("/annotation/projects/{id}/models"),
            &json!({"name": "analysis + tagger", "config": {"kind": "builtin", "bindings": [
                {"question": "genre", "source": "tags:genre"},
                {"question": "moods", "source": "tags:mood"},
                {"question": "bpm", "source": "analysis:bpm"},
                {"question": "key", "source": "analysis:key"},
                {"question": "beats", "source": "analysis:beats"}
            ]}}),
        )
        .await?;
    pb.inc(1);
    pb.set_message("items");
    admin
        .post(
            &format!("/annotation/projects/{id}/items"),
            &json!({"selection": {"readyOnly": true}}),
        )
        .await?;
    pb.inc(1);
    pb.set_message("model pre-annotations");
    loop {
        let r = admin
            .post(
                &format!("/annotation/projects/{id}/route?limit=500"),
                &json!({}),
            )
            .await?;
        if r["routed"].as_u64().unwrap_or(0) == 0 {
            break;
        }
    }
    pb.inc(1);
    pb.finish_with_message("ready");
    Ok(id)
}

/// The two demo annotators answer some items: the first annotator the analysis's way, the
/// second alike (consensus) or differently (escalated to the expert, `maxExtra` is 0).
async fn disagree_and_agree(
    admin: &Client,
    project: &str,
    a1: &Client,
    a2: &Client,
) -> anyhow::Result<()> {
    // Up to four pairs, always leaving an item open for whoever opens the workspace next.
    let status = admin
        .get(&format!("/annotation/projects/{project}/status"))
        .await?;
    let open = status["items"]["open"].as_u64().unwrap_or(0) as usize;
    let pairs = 4.min(open.saturating_sub(1));
    let pb = bar(pairs as u64 * 2, "answers");
    let claim = format!("/annotation/projects/{project}/claim");
    let mut first = Vec::new();
    for _ in 0..pairs {
        let w = a1.post(&claim, &json!({})).await?;
        if w.is_null() {
            break;
        }
        let answers = answer_for(admin, &w, 0).await?;
        let item = w["item"]["id"].as_i64().context("item id")?;
        a1.post(
            &format!("/annotation/items/{item}/answer"),
            &json!({"answers": answers, "leadMs": 45_000 + 7_000 * first.len() as i64}),
        )
        .await?;
        if first.is_empty() {
            // Flagged: once resolved it goes to QA whatever the sample share.
            a1.post(
                &format!("/annotation/items/{item}/flag"),
                &json!({"comment": "Is the tempo right? It drags in the middle."}),
            )
            .await?;
        }
        first.push(item);
        pb.inc(1);
    }
    let mut n = 0;
    let mut tries = 0;
    while n < first.len() && tries < 4 * pairs {
        tries += 1;
        let w = a2.post(&claim, &json!({})).await?;
        if w.is_null() {
            break;
        }
        let item = w["item"]["id"].as_i64().context("item id")?;
        if !first.contains(&item) {
            // Another item: give it back for later, the pairs are what the demo needs.
            a2.post(&format!("/annotation/items/{item}/postpone"), &json!({}))
                .await?;
            continue;
        }
        // Every other item differently: those go to the expert.
        let answers = answer_for(admin, &w, n % 2).await?;
        a2.post(
            &format!("/annotation/items/{item}/answer"),
            &json!({"answers": answers, "leadMs": 52_000 + 5_000 * n as i64}),
        )
        .await?;
        n += 1;
        pb.inc(1);
    }
    pb.finish_with_message("some resolved, some escalated");
    Ok(())
}

/// An answer to every asked question: variant 0 follows the track's analysis (as a careful
/// annotator would), variant 1 is another reading (another genre, a tempo off by a third, no
/// key, other sections and beats half a beat late).
async fn answer_for(admin: &Client, work: &Value, variant: usize) -> anyhow::Result<Value> {
    let track = work["item"]["trackId"].as_str().context("trackId")?;
    let analysis = admin
        .get(&format!("/tracks/{track}/analysis"))
        .await
        .unwrap_or(Value::Null);
    let duration = admin.get(&format!("/tracks/{track}")).await?["audio"]["durationMs"]
        .as_f64()
        .unwrap_or(10_000.0)
        / 1000.0;
    let bpm = analysis["bpm"].as_f64().unwrap_or(120.0).clamp(40.0, 220.0);
    let beats: Vec<f64> = analysis["analysis"]["rhythm"]["beats"]
        .as_array()
        .map(|b| b.iter().filter_map(Value::as_f64).take(16).collect())
        .unwrap_or_default();
    let genre = analysis["tags"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["group"] == "genre"))
        .and_then(|t| t["tag"].as_str())
        .unwrap_or("other")
        .to_string();
    let labels = schema()["questions"][0]["labels"].clone();
    let genre = if labels
        .as_array()
        .is_some_and(|l| l.iter().any(|x| x == genre.as_str()))
    {
        genre
    } else {
        "other".into()
    };
    let half = duration / 2.0;
    let period = 60.0 / bpm;
    let mut answers = serde_json::Map::new();
    for q in work["questions"].as_array().into_iter().flatten() {
        let name = q.as_str().unwrap_or_default();
        let value = match (name, variant) {
            ("genre", 0) => json!(genre),
            ("genre", _) => json!(if genre == "jazz" { "rock" } else { "jazz" }),
            ("moods", _) => json!([]),
            ("bpm", 0) => json!((bpm * 10.0).round() / 10.0),
            ("bpm", _) => json!(((bpm * 4.0 / 3.0).min(299.0) * 10.0).round() / 10.0),
            ("key", 0) => match analysis["key"].as_str().and_then(|k| k.split_once(' ')) {
                Some((tonic, mode)) => json!({"tonic": tonic, "mode": mode}),
                None => Value::Null,
            },
            ("key", _) => Value::Null,
            ("sections", 0) => json!([
                {"start": 0.0, "end": half, "label": "verse"},
                {"start": half, "end": duration, "label": "chorus"}
            ]),
            ("sections", _) => json!([{"start": 0.0, "end": duration, "label": "intro"}]),
            ("beats", v) => {
                let shift = if v == 0 { 0.0 } else { period / 2.0 };
                json!(beats
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| *t + shift < duration)
                    .map(
                        |(i, t)| json!({"time": (((t + shift) * 1000.0).round() / 1000.0),
                                          "label": if i % 4 == 0 { "downbeat" } else { "beat" }})
                    )
                    .collect::<Vec<_>>())
            }
            _ => continue,
        };
        if !value.is_null() {
            answers.insert(name.to_string(), value);
        }
    }
    Ok(Value::Object(answers))
}
