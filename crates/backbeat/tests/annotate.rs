//! `backbeat annotate agreement`: Krippendorff's published table gives the published α at
//! every level, Fleiss' table gives Fleiss' κ, and hostile tables fail clearly.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{backbeat, scratch};

/// Krippendorff (2011) §C: 4 coders × 12 units, missing values as empty cells; a header row
/// naming the units, and a quoted coder name with a comma.
const KRIPPENDORFF: &str = "coder,u1,u2,u3,u4,u5,u6,u7,u8,u9,u10,u11,u12\n\
A,1,2,3,3,2,1,4,1,2,,,\n\
\"B, second\",1,2,3,3,2,2,4,1,2,5,,3\n\
C,,3,3,3,2,3,4,2,2,5,1,\r\n\
D,1,2,3,3,2,4,4,1,2,\"5\",1,\n";

fn write(name: &str, contents: &[u8]) -> PathBuf {
    let dir = scratch(&format!("annotate-{name}"));
    let path = dir.join("table.csv");
    std::fs::write(&path, contents).unwrap();
    path
}

fn agreement(path: &Path, level: &str) -> Output {
    backbeat(&[
        "annotate",
        "agreement",
        path.to_str().unwrap(),
        "--level",
        level,
    ])
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn round4(x: &serde_json::Value) -> f64 {
    (x.as_f64().unwrap() * 10_000.0).round() / 10_000.0
}

/// The failure's message, after checking the exit code is non-zero.
fn refused(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn krippendorff_table_at_every_level() {
    let path = write("kripp", KRIPPENDORFF.as_bytes());
    for (level, expected) in [
        ("nominal", 0.7434),
        ("ordinal", 0.8154),
        ("interval", 0.8491),
        ("ratio", 0.7974),
    ] {
        let v = json(&agreement(&path, level));
        assert_eq!(v["level"], level);
        assert_eq!(round4(&v["alpha"]), expected, "{level}: {v}");
        assert_eq!(v["coders"], 4);
        assert_eq!(v["units"], 12);
        assert_eq!(v["pairableValues"], 40);
        // Units have 1 to 4 ratings: Fleiss' κ does not apply.
        assert!(v["fleissKappa"].is_null(), "{v}");
    }
}

/// The header may also be marked by an empty first cell, or be absent; a BOM is ignored.
#[test]
fn header_is_optional() {
    let body: String = KRIPPENDORFF
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    let empty_first = format!("\u{feff},1,2,3,4,5,6,7,8,9,10,11,12\n{body}");
    for (name, text) in [("noheader", body.clone()), ("emptyfirst", empty_first)] {
        let path = write(name, text.as_bytes());
        let v = json(&agreement(&path, "interval"));
        assert_eq!(round4(&v["alpha"]), 0.8491, "{name}");
        assert_eq!(v["coders"], 4, "{name}");
    }
}

/// Fleiss (1971) / Wikipedia: 10 subjects, 5 categories, 14 ratings each, written as 14 rater
/// slots × 10 units of labels; κ = 0.2099.
#[test]
fn fleiss_kappa_when_every_unit_has_the_same_ratings() {
    let counts: [[usize; 5]; 10] = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ];
    let labels = ["one", "two", "three", "four", "five"];
    let columns: Vec<Vec<&str>> = counts
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .flat_map(|(c, &n)| std::iter::repeat_n(labels[c], n))
                .collect()
        })
        .collect();
    let mut csv = String::new();
    for rater in 0..14 {
        csv.push_str(&format!("rater{rater}"));
        for unit in &columns {
            csv.push(',');
            csv.push_str(unit[rater]);
        }
        csv.push('\n');
    }
    let path = write("fleiss", csv.as_bytes());
    let v = json(&agreement(&path, "nominal"));
    assert_eq!(round4(&v["fleissKappa"]), 0.2099, "{v}");
    assert_eq!(v["pairableValues"], 140);
    // α and Fleiss' κ differ only by α's small-sample correction here.
    let alpha = v["alpha"].as_f64().unwrap();
    assert!((alpha - 0.2099).abs() < 0.01, "{v}");
    // Not at a numeric level (the labels are not numbers there anyway).
    let numeric = agreement(&path, "ordinal");
    assert!(refused(&numeric).contains("not a number"));
}

#[test]
fn no_variation_gives_null_alpha() {
    let path = write("same", b"a,1,1,1\nb,1,1,1\n");
    let v = json(&agreement(&path, "interval"));
    assert!(v["alpha"].is_null(), "{v}");
    assert_eq!(v["pairableValues"], 6);
}

#[test]
fn a_non_number_is_named_by_line_and_column() {
    let path = write("nan-cell", b"coder,u1,u2,u3\nA,1,2,3\nB,1,two,3\n");
    let err = refused(&agreement(&path, "interval"));
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("column 3"), "{err}");
    assert!(err.contains("\"two\""), "{err}");
    assert!(err.contains("table.csv"), "{err}");
    // Labels are fine at the nominal level.
    assert!(agreement(&path, "nominal").status.success());
    let nan = write("nan-literal", b"A,1,NaN\nB,1,2\n");
    assert!(refused(&agreement(&nan, "ratio")).contains("not a number"));
    let negative = write("negative", b"A,1,-2\nB,1,2\n");
    assert!(refused(&agreement(&negative, "ratio")).contains("negative"));
    assert!(agreement(&negative, "interval").status.success());
}

#[test]
fn hostile_tables_are_refused() {
    let cases: [(&str, &[u8], &str); 10] = [
        ("empty", b"", "empty"),
        ("blank", b" \n\r\n", "empty"),
        ("bom-only", "\u{feff}".as_bytes(), "empty"),
        ("header-only", b"coder,u1,u2\n", "no coder rows"),
        ("one-coder", b"A,1,2,3\n", "only one coder"),
        ("ragged", b"A,1,2,3\nB,1,2\n", "line 2: 3 cells, expected 4"),
        ("no-units", b"A\nB\n", "no units"),
        ("unterminated", b"A,1,2\nB,\"1,2\n", "never closed"),
        ("duplicate", b"A,1,2\nA,1,2\n", "already has a row"),
        ("not-utf8", b"A,1,\xff\nB,1,2\n", "UTF-8"),
    ];
    for (name, bytes, message) in cases {
        let path = write(name, bytes);
        let err = refused(&agreement(&path, "nominal"));
        assert!(err.contains(message), "{name}: {err}");
    }
    let missing = scratch("annotate-missing").join("nope.csv");
    assert!(refused(&agreement(&missing, "nominal")).contains("nope.csv"));
    let bad_level = write("bad-level", b"A,1\nB,1\n");
    assert!(!agreement(&bad_level, "cardinal").status.success());
}

/// A long table (2 coders × 50 000 units, 100 000 distinct values) finishes and is bounded
/// at the ratio level.
#[test]
fn large_tables() {
    let mut csv = String::from("A");
    for u in 0..50_000 {
        csv.push_str(&format!(",{}", u * 2));
    }
    csv.push_str("\nB");
    for u in 0..50_000 {
        csv.push_str(&format!(",{}", u * 2 + 1));
    }
    csv.push('\n');
    let path = write("large", csv.as_bytes());
    let v = json(&agreement(&path, "interval"));
    assert!(v["alpha"].as_f64().unwrap() > 0.99, "{v}");
    assert!(
        json(&agreement(&path, "ordinal"))["alpha"]
            .as_f64()
            .unwrap()
            > 0.99
    );
    // Every value distinct: D_o = D_e = 1 at the nominal level.
    let nominal = json(&agreement(&path, "nominal"))["alpha"]
        .as_f64()
        .unwrap();
    assert!(nominal.abs() < 1e-9, "{nominal}");
    assert!(refused(&agreement(&path, "ratio")).contains("distinct values"));
}

/// Tracks made through the store in the SQLite catalog of `data_dir` (migrating it), owned
/// by the account `email`; returns their ids.
fn seed_tracks(data_dir: &Path, email: &str, n: usize) -> Vec<String> {
    use backbeat_store::sql::SqlCatalog;
    use backbeat_store::{
        AccountStore, AlbumKind, AudioFacts, LibraryStore, NewTrack, TrackStatus, Upload,
        UploadStore,
    };
    let url = format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("catalog.db").display()
    );
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let c = SqlCatalog::connect(&url).await.unwrap();
        let (user, _) = c.user_credentials(email).await.unwrap();
        let artist = c.create_artist("CLI", user.id).await.unwrap();
        let album = c
            .create_album(artist.id, "Items", AlbumKind::Album, None)
            .await
            .unwrap();
        let mut out = Vec::new();
        for i in 0..n {
            let now = backbeat_store::now_millis();
            let key = format!("audio/cli-{i}-{}", std::process::id());
            c.create_upload(Upload {
                key: key.clone(),
                user_id: user.id,
                max_bytes: 1_000_000,
                expires_at: now + 3_600_000,
                created_at: now,
            })
            .await
            .unwrap();
            c.lock_upload(&key, "lock", now + 3_600_000, now)
                .await
                .unwrap();
            let t = c
                .create_track(NewTrack {
                    album_id: album.id,
                    title: format!("t{i}"),
                    upload_key: key,
                    lock_token: "lock".into(),
                    uploader: user.id,
                    audio: AudioFacts {
                        container: "mp3".into(),
                        codec: "mp3".into(),
                        duration_ms: 60_000,
                        sample_rate: 44_100,
                        channels: 2,
                        bytes: 900_000,
                    },
                    status: TrackStatus::Ready,
                })
                .await
                .unwrap();
            out.push(t.id.to_string());
        }
        out
    })
}

/// `project create`, `items add` (a list file, a JSON file, a selection) and `status` on a
/// SQLite database, and their refusals: a bad schema naming the field, a missing admin, an
/// unknown project, a track id that is not one.
#[test]
fn project_items_and_status_on_sqlite() {
    let dir = scratch("annotate-cli");
    let data = dir.join("data");
    let data_s = data.to_str().unwrap().to_string();
    let with_data = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data-dir", &data_s]);
        backbeat(&all)
    };
    let email = "cli-admin@example.org";
    let out = with_data(&[
        "user",
        "create",
        "--email",
        email,
        "--password",
        "correct horse battery",
        "--role",
        "admin",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tracks = seed_tracks(&data, email, 3);

    let schema = dir.join("schema.json");
    std::fs::write(
        &schema,
        r#"{"questions":[{"name":"genre","type":"single_choice","labels":["rock","jazz"]}]}"#,
    )
    .unwrap();
    let settings = dir.join("settings.json");
    std::fs::write(&settings, r#"{"overlap": 3}"#).unwrap();
    let created = json(&with_data(&[
        "annotate",
        "project",
        "create",
        "--name",
        "Genres",
        "--schema",
        schema.to_str().unwrap(),
        "--settings",
        settings.to_str().unwrap(),
        "--as",
        email,
    ]));
    assert_eq!(created["name"], "Genres");
    assert_eq!(created["schemaVersion"], 1);
    let project = created["id"].as_str().unwrap().to_string();

    // One id per line (with a comment and a blank line), then the same tracks again as JSON
    // windows, then a selection of all three (whole tracks: already there).
    let list = dir.join("tracks.txt");
    std::fs::write(
        &list,
        format!("# two tracks\n{}\n\n{}\n", tracks[0], tracks[1]),
    )
    .unwrap();
    let added = json(&with_data(&[
        "annotate",
        "items",
        "add",
        &project,
        "--tracks",
        list.to_str().unwrap(),
    ]));
    assert_eq!(added, serde_json::json!({"added": 2, "duplicates": 0}));
    let windows = dir.join("windows.json");
    std::fs::write(
        &windows,
        format!(
            r#"[{{"trackId":"{}","start":0,"end":10}},{{"trackId":"{}","start":10,"end":20}}]"#,
            tracks[0], tracks[0]
        ),
    )
    .unwrap();
    let added = json(&with_data(&[
        "annotate",
        "items",
        "add",
        &project,
        "--tracks",
        windows.to_str().unwrap(),
    ]));
    assert_eq!(added["added"], 2);
    let selection = format!(
        r#"{{"trackIds":["{}","{}","{}"]}}"#,
        tracks[0], tracks[1], tracks[2]
    );
    let added = json(&with_data(&[
        "annotate",
        "items",
        "add",
        &project,
        "--selection",
        &selection,
    ]));
    assert_eq!(added, serde_json::json!({"added": 1, "duplicates": 2}));

    let status = json(&with_data(&["annotate", "status", &project]));
    assert_eq!(status["total"], 5, "{status}");
    assert_eq!(status["items"]["open"], 5, "{status}");
    assert_eq!(status["items"]["resolved"], 0, "{status}");
    assert_eq!(status["schemaVersion"], 1);

    // Refusals.
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"questions":[{"name":"genre","type":"single_choice","labels":[]}]}"#,
    )
    .unwrap();
    let err = refused(&with_data(&[
        "annotate",
        "project",
        "create",
        "--name",
        "x",
        "--schema",
        bad.to_str().unwrap(),
        "--as",
        email,
    ]));
    assert!(err.contains("schema.questions[0]"), "{err}");
    let err = refused(&with_data(&[
        "annotate",
        "project",
        "create",
        "--name",
        "x",
        "--schema",
        schema.to_str().unwrap(),
        "--as",
        "nobody@example.org",
    ]));
    assert!(err.contains("nobody@example.org"), "{err}");
    let err = refused(&with_data(&[
        "annotate",
        "status",
        "00000000-0000-0000-0000-000000000001",
    ]));
    assert!(err.contains("no such project"), "{err}");
    std::fs::write(&list, "not-a-track-id\n").unwrap();
    let err = refused(&with_data(&[
        "annotate",
        "items",
        "add",
        &project,
        "--tracks",
        list.to_str().unwrap(),
    ]));
    assert!(err.contains("line 1"), "{err}");
    std::fs::write(&list, "[{\"trackId\": \"").unwrap();
    let err = refused(&with_data(&[
        "annotate",
        "items",
        "add",
        &project,
        "--tracks",
        list.to_str().unwrap(),
    ]));
    assert!(err.contains("not a list of items"), "{err}");
}

/// Opens the data directory's database for a test's direct writes.
async fn open_db(data_dir: &Path) -> backbeat_store::sql::SqlCatalog {
    let url = format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("catalog.db").display()
    );
    backbeat_store::sql::SqlCatalog::connect(&url)
        .await
        .unwrap()
}

/// What the pipeline would have stored (each track's genre tag) and a built-in model reading
/// it; added before the items, so they wait for routing.
fn tag_and_add_model(data_dir: &Path, project: &str, tracks: &[String], tagged: &[&str]) {
    use backbeat_store::annotation::*;
    use backbeat_store::jobs::{JobStore, TrackAnalysis, TrackTag};
    use backbeat_store::AnnotationStore;
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let c = open_db(data_dir).await;
        for (t, tag) in tracks.iter().zip(tagged) {
            c.set_track_analysis(&TrackAnalysis {
                track_id: t.parse().unwrap(),
                bpm: Some(120.0),
                key: Some("C major".into()),
                loudness_lufs: None,
                analysis: serde_json::json!({}),
                tags: vec![TrackTag {
                    group: "genre".into(),
                    tag: tag.to_string(),
                    confidence: 0.6,
                }],
                updated_at: backbeat_store::now_millis(),
                source: None,
            })
            .await
            .unwrap();
        }
        c.add_annotator(NewAnnotator {
            id: backbeat_store::new_id(),
            project_id: project.parse().unwrap(),
            kind: AnnotatorKind::Builtin,
            user_id: None,
            role: MemberRole::Model,
            name: "tagger".into(),
            config: serde_json::json!({"kind": "builtin",
                "bindings": [{"question": "genre", "source": "tags:genre"}]}),
            now: backbeat_store::now_millis(),
        })
        .await
        .unwrap();
    })
}

/// Resolves every waiting item by consensus on `accepted[i]` (the routing write, as people
/// agreeing would leave it).
fn resolve_all(data_dir: &Path, project: &str, tracks: &[String], accepted: &[&str]) {
    use backbeat_store::annotation::*;
    use backbeat_store::AnnotationStore;
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let c = open_db(data_dir).await;
        let now = backbeat_store::now_millis();
        let taken = c
            .take_for_routing(project.parse().unwrap(), 100, now, now + 60_000)
            .await
            .unwrap();
        let routes: Vec<Routed> = taken
            .iter()
            .map(|t| {
                let i = tracks
                    .iter()
                    .position(|x| *x == t.item.track_id.to_string())
                    .unwrap();
                let mut change = ItemChange::from_item(&t.item);
                change.state = ItemState::Resolved;
                change.resolution = Some(Resolution::Consensus);
                change.result = Some(serde_json::json!({"genre": accepted[i]}));
                change.resolved_at = Some(now);
                Routed {
                    item_id: t.item.id,
                    annotations: vec![],
                    change,
                }
            })
            .collect();
        assert_eq!(c.route(&routes, now).await.unwrap(), tracks.len() as u64);
    })
}

/// `eval --project` scores the stored tags against the accepted labels, and `annotate
/// export` writes the resolved items; both on the data directory's database.
#[test]
fn eval_and_export_a_resolved_project() {
    let dir = scratch("annotate-eval");
    let data = dir.join("data");
    let data_s = data.to_str().unwrap().to_string();
    let with_data = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data-dir", &data_s]);
        backbeat(&all)
    };
    let email = "eval-admin@example.org";
    let out = with_data(&[
        "user",
        "create",
        "--email",
        email,
        "--password",
        "correct horse battery",
        "--role",
        "admin",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tracks = seed_tracks(&data, email, 4);
    let schema = dir.join("schema.json");
    std::fs::write(
        &schema,
        r#"{"questions":[{"name":"genre","type":"single_choice","labels":["rock","jazz","pop"]}]}"#,
    )
    .unwrap();
    let created = json(&with_data(&[
        "annotate",
        "project",
        "create",
        "--name",
        "Scored",
        "--schema",
        schema.to_str().unwrap(),
        "--as",
        email,
    ]));
    let project = created["id"].as_str().unwrap().to_string();
    // The tagger says rock, rock, jazz, pop; people accepted rock, jazz, jazz, rock.
    tag_and_add_model(&data, &project, &tracks, &["rock", "rock", "jazz", "pop"]);
    let list = dir.join("tracks.txt");
    std::fs::write(&list, tracks.join("\n")).unwrap();
    let added = json(&with_data(&[
        "annotate",
        "items",
        "add",
        &project,
        "--tracks",
        list.to_str().unwrap(),
    ]));
    assert_eq!(added["added"], 4);
    resolve_all(&data, &project, &tracks, &["rock", "jazz", "jazz", "rock"]);

    let report = json(&with_data(&["eval", "--project", &project, "--json"]));
    assert_eq!(report["items"], 4, "{report}");
    let genre = &report["models"][0]["questions"][0];
    assert_eq!(genre["question"], "genre");
    assert_eq!(genre["answered"], 4);
    assert_eq!(genre["accuracy"], 0.5, "{report}");
    let text = with_data(&["eval", "--project", &project]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("accuracy 50.0 %"), "{text}");
    let err = refused(&with_data(&[
        "eval",
        "--project",
        "00000000-0000-0000-0000-000000000001",
    ]));
    assert!(
        err.contains("no such project") || err.contains("not found"),
        "{err}"
    );

    let csv = dir.join("out.csv");
    let out = with_data(&[
        "annotate",
        "export",
        &project,
        "--format",
        "csv",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(written.lines().count(), 1 + 4, "{written}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("exported 4 items"));
}
