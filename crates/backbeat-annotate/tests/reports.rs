//! Reports and exports over a real SQLite catalog: a project with every question kind,
//! annotated by a model and two people, exported in each format and read back (the Label
//! Studio export through our own Label Studio reader); the metrics and the agreement report
//! checked against hand counts and against the dense per-annotator computation; the gauges;
//! hostile cases (unknown project, failing writer); and a million annotations exported in
//! bounded memory.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use backbeat_annotate::agreement::{question_agreement, ReliabilityData};
use backbeat_annotate::models::{ExternalModel, ModelConfig, Task};
use backbeat_annotate::reports::{
    agreement_report, annotator_metrics, export, project_metrics, spot_check_accuracy,
    AnnotationGauges, ExportError, ExportFormat, ExportOptions,
};
use backbeat_annotate::schema::Schema;
use backbeat_store::annotation::*;
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{
    new_id, now_millis, AlbumKind, AnnotationStore, AudioFacts, Id, LockOutcome, NewTrack, NewUser,
    Role, StoreError, TrackStatus, Upload,
};
use serde_json::{json, Value as Json};

fn schema_json() -> Json {
    json!({"questions": [
        {"name": "genre", "type": "single_choice", "labels": ["rock", "jazz", "electronic"]},
        {"name": "moods", "type": "multi_label", "labels": ["happy", "sad", "aggressive"]},
        {"name": "bpm", "type": "number", "min": 30, "max": 300, "distance": "bpm"},
        {"name": "key", "type": "key"},
        {"name": "energy", "type": "rating", "min": 1, "max": 5},
        {"name": "notes", "type": "text", "required": false},
        {"name": "sections", "type": "regions", "labels": ["verse", "chorus"],
         "attributes": [{"name": "instrumental", "type": "single_choice", "labels": ["yes", "no"],
                         "required": false}]},
        {"name": "beats", "type": "markers", "labels": ["beat", "downbeat"]}
    ]})
}

fn schema() -> Schema {
    serde_json::from_value(schema_json()).unwrap()
}

/// An answer to every question; `genre` varies so agreement has something to measure, and
/// the text holds every character CSV must quote.
fn answer(genre: &str) -> Json {
    json!({
        "genre": genre, "moods": ["happy", "sad"], "bpm": 120.0,
        "key": {"tonic": "A", "mode": "minor"}, "energy": 4,
        "notes": "a, \"quoted\"\r\nline",
        "sections": [{"start": 0.5, "end": 10.0, "label": "verse",
                      "attributes": {"instrumental": "no"}},
                     {"start": 10.0, "end": 20.0, "label": "chorus"}],
        "beats": [{"time": 1.0, "label": "beat"}, {"time": 2.0, "label": "downbeat"}]
    })
}

async fn catalog() -> (SqlCatalog, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
    (SqlCatalog::connect(&url).await.unwrap(), dir)
}

/// A user, an album and one track.
pub(crate) async fn track(c: &SqlCatalog) -> (Id, Id) {
    let u = c
        .create_user(NewUser {
            email: format!("{}@example.com", new_id().simple()),
            display_name: "U".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            role: Role::Artist,
        })
        .await
        .unwrap();
    let artist = c.create_artist("A", u.id).await.unwrap();
    let album = c
        .create_album(artist.id, "B", AlbumKind::Album, None)
        .await
        .unwrap();
    let now = now_millis();
    let key = format!("audio/{}", new_id());
    c.create_upload(Upload {
        key: key.clone(),
        user_id: u.id,
        max_bytes: 50_000_000,
        expires_at: now + 3_600_000,
        created_at: now,
    })
    .await
    .unwrap();
    assert_eq!(
        c.lock_upload(&key, "l", now + 3_600_000, now)
            .await
            .unwrap(),
        LockOutcome::Acquired
    );
    let t = c
        .create_track(NewTrack {
            album_id: album.id,
            title: "T".into(),
            upload_key: key,
            lock_token: "l".into(),
            uploader: u.id,
            audio: AudioFacts {
                container: "mp3".into(),
                codec: "mp3".into(),
                duration_ms: 183_000,
                sample_rate: 44_100,
                channels: 2,
                bytes: 2_930_000,
            },
            status: TrackStatus::Processing,
        })
        .await
        .unwrap();
    (u.id, t.id)
}

async fn member(c: &SqlCatalog, project: Id, kind: AnnotatorKind, role: MemberRole) -> Id {
    c.add_annotator(NewAnnotator {
        id: new_id(),
        project_id: project,
        kind,
        user_id: None,
        role,
        name: format!("{role:?}"),
        config: json!({}),
        now: now_millis(),
    })
    .await
    .unwrap()
    .id
}

struct Annotated {
    project: Id,
    track: Id,
    people: [Id; 2],
    items: Vec<i64>,
}

/// `n` windows of one track, routed by a model (all questions open) and answered by two
/// people; the second answer resolves by consensus with the first person's answer. Person 1
/// says "jazz" on every third item, which the others call "rock".
async fn annotated(c: &SqlCatalog, n: i64) -> Annotated {
    let (user, track) = track(c).await;
    let project = c
        .create_project(NewProject {
            id: new_id(),
            name: "every kind".into(),
            description: String::new(),
            settings: json!({}),
            schema: schema_json(),
            created_by: Some(user),
            now: now_millis(),
        })
        .await
        .unwrap()
        .id;
    let model = member(c, project, AnnotatorKind::Builtin, MemberRole::Model).await;
    let people = [
        member(c, project, AnnotatorKind::Human, MemberRole::Annotator).await,
        member(c, project, AnnotatorKind::Human, MemberRole::Annotator).await,
    ];
    let new: Vec<NewItem> = (0..n)
        .map(|i| NewItem {
            track_id: track,
            start_ms: i * 30_000,
            end_ms: i * 30_000 + 30_000,
            gold: None,
        })
        .collect();
    let start = ItemStart {
        state: ItemState::New,
        needed: 2,
    };
    c.add_items(project, &new, start, now_millis())
        .await
        .unwrap();
    let now = now_millis();
    let taken = c
        .take_for_routing(project, 1000, now, now + 60_000)
        .await
        .unwrap();
    let routes: Vec<Routed> = taken
        .iter()
        .map(|t| {
            let mut change = ItemChange::from_item(&t.item);
            change.state = ItemState::Open;
            change.needed = 2;
            Routed {
                item_id: t.item.id,
                annotations: vec![NewAnnotation {
                    annotator_id: model,
                    stage: Stage::Model,
                    answers: answer("rock"),
                    confidence: Some(json!({"genre": 0.4, "bpm": 0.9})),
                    model_version: Some("tagger-1".into()),
                    derived_from: Some(json!({"analysis": "v3"})),
                    lead_ms: None,
                    schema_version: 1,
                    verdict: None,
                    comment: None,
                    now,
                }],
                change,
            }
        })
        .collect();
    assert_eq!(c.route(&routes, now).await.unwrap(), n as u64);
    let decide = |item: &ItemRecord, round: &[AnnotationRecord]| {
        let people: Vec<&AnnotationRecord> =
            round.iter().filter(|a| a.stage == Stage::Open).collect();
        ((people.len() as i64) >= item.needed).then(|| {
            let mut ch = ItemChange::from_item(item);
            ch.state = ItemState::Resolved;
            ch.resolution = Some(Resolution::Consensus);
            ch.result = Some(people[0].answers.clone());
            ch.agreement = Some(if people[0].answers == people[1].answers {
                1.0
            } else {
                0.5
            });
            ch.resolved_at = Some(now_millis());
            ch.taken = 0;
            ch
        })
    };
    let mut items = Vec::new();
    loop {
        let now = now_millis();
        let claim = |who| Claim {
            project_id: project,
            annotator_id: who,
            stages: vec![ItemState::Open],
            gold_first: false,
            now,
            lease_until: now + 600_000,
        };
        let Some(a) = c.claim(&claim(people[0])).await.unwrap() else {
            break;
        };
        let b = c.claim(&claim(people[1])).await.unwrap().unwrap();
        assert_eq!(a.item.id, b.item.id);
        let i = items.len();
        items.push(a.item.id);
        for (k, who) in people.iter().enumerate() {
            let genre = if k == 1 && i % 3 == 0 { "jazz" } else { "rock" };
            c.submit(
                &Submission {
                    item_id: a.item.id,
                    annotation: NewAnnotation {
                        annotator_id: *who,
                        stage: Stage::Open,
                        answers: answer(genre),
                        confidence: None,
                        model_version: None,
                        derived_from: None,
                        lead_ms: Some(1000 * (k as i64 + 1)),
                        schema_version: 1,
                        verdict: None,
                        comment: None,
                        now,
                    },
                },
                &decide,
            )
            .await
            .unwrap();
        }
    }
    assert_eq!(items.len() as i64, n);
    Annotated {
        project,
        track,
        people,
        items,
    }
}

async fn export_to_vec(
    c: &SqlCatalog,
    project: Id,
    format: ExportFormat,
    page: u32,
) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::new();
    let mut opts = ExportOptions::new(format);
    opts.page = page;
    export(c, project, &opts, &mut out, &mut |_| {}).await?;
    Ok(out)
}

/// An RFC 4180 reader, enough to check the writer: quoted fields, doubled quotes, CRLF.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF outside quotes");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "truncated CSV"
    );
    rows
}

#[tokio::test]
async fn every_format_reads_back() {
    let (c, _dir) = catalog().await;
    let a = annotated(&c, 7).await;
    let s = schema();
    // A page smaller than the project: the paging must not lose or repeat items.
    let lines = export_to_vec(&c, a.project, ExportFormat::Jsonl, 3)
        .await
        .unwrap();
    let lines: Vec<Json> = String::from_utf8(lines)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|l| l["itemId"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        a.items
    );
    for l in &lines {
        assert_eq!(l["trackId"], json!(a.track));
        assert_eq!(l["resolution"], "consensus");
        assert_eq!(l["result"], answer("rock"));
        let anns = l["annotations"].as_array().unwrap();
        assert_eq!(anns.len(), 3);
        assert_eq!(anns[0]["annotatorKind"], "builtin");
        assert_eq!(anns[0]["modelVersion"], "tagger-1");
        assert_eq!(anns[0]["derivedFrom"], json!({"analysis": "v3"}));
        assert_eq!(anns[1]["annotatorKind"], "human");
        assert_eq!(anns[2]["leadMs"], 2000);
        assert_eq!(
            l["endMs"].as_i64().unwrap() - l["startMs"].as_i64().unwrap(),
            30_000
        );
    }

    let csv = export_to_vec(&c, a.project, ExportFormat::Csv, 2)
        .await
        .unwrap();
    let rows = parse_csv(std::str::from_utf8(&csv).unwrap());
    assert_eq!(rows[0][0], "item_id");
    assert_eq!(rows.len(), 1 + 7 * 8, "one row per item × question");
    let expected = answer("rock");
    for r in &rows[1..] {
        assert_eq!(r.len(), 8);
        let v: Json = serde_json::from_str(&r[7]).unwrap();
        assert_eq!(v, expected[&r[6]], "question {}", r[6]);
    }

    let ls = export_to_vec(&c, a.project, ExportFormat::LabelStudio, 4)
        .await
        .unwrap();
    let tasks: Vec<Json> = serde_json::from_slice(&ls).unwrap();
    assert_eq!(tasks.len(), 7);
    let t = &tasks[0];
    assert!(t["data"]["audio"]
        .as_str()
        .unwrap()
        .contains(&a.track.to_string()));
    assert_eq!(t["predictions"][0]["model_version"], "tagger-1");
    assert_eq!(t["predictions"][0]["score"], 0.4, "the lowest confidence");
    let anns = t["annotations"].as_array().unwrap();
    assert_eq!(anns.len(), 3, "two people and the resolved result");
    assert_eq!(anns[1]["lead_time"], 2.0);
    let truth = anns.iter().find(|x| x["ground_truth"] == true).unwrap();
    let result = truth["result"].as_array().unwrap();
    let of =
        |name: &str| -> Vec<&Json> { result.iter().filter(|r| r["from_name"] == name).collect() };
    assert_eq!(of("genre")[0]["type"], "choices");
    assert_eq!(of("genre")[0]["value"], json!({"choices": ["rock"]}));
    assert_eq!(
        of("moods")[0]["value"],
        json!({"choices": ["happy", "sad"]})
    );
    assert_eq!(of("key")[0]["value"], json!({"choices": ["A minor"]}));
    assert_eq!(of("bpm")[0]["value"], json!({"number": 120.0}));
    assert_eq!(of("energy")[0]["type"], "rating");
    assert_eq!(
        of("notes")[0]["value"],
        json!({"text": ["a, \"quoted\"\r\nline"]})
    );
    let sections = of("sections");
    assert_eq!(sections.len(), 2);
    assert_eq!(
        sections[0]["value"],
        json!({"start": 0.5, "end": 10.0, "labels": ["verse"]})
    );
    let attr = of("sections.instrumental");
    assert_eq!(attr.len(), 1);
    assert_eq!(
        attr[0]["id"], sections[0]["id"],
        "the attribute names its region"
    );
    assert_eq!(attr[0]["value"], json!({"choices": ["no"]}));
    let beats = of("beats");
    assert_eq!(beats.len(), 2);
    assert_eq!(beats[0]["value"]["start"], beats[0]["value"]["end"]);

    // Our own Label Studio reader (the ML-backend one) reads every result back to the answer.
    let config: ModelConfig =
        serde_json::from_value(json!({"kind": "http", "url": "http://127.0.0.1:1/"})).unwrap();
    let model = ExternalModel::new(&config, &s, "p").unwrap();
    let body = json!({"results": [{"result": truth["result"], "score": 1.0}]});
    let task = Task {
        id: "item".into(),
        audio: "a".into(),
        track_id: "t".into(),
        start: 0.0,
        end: 30.0,
        title: None,
        artist: None,
    };
    let back = model
        .parse_response(body.to_string().as_bytes(), &[task])
        .unwrap();
    assert_eq!(back[0].answers, s.read_stored(&answer("rock")));
}

#[tokio::test]
async fn metrics_and_agreement_match_hand_counts() {
    let (c, _dir) = catalog().await;
    let a = annotated(&c, 9).await;
    let m = project_metrics(&c, a.project, Span::ALL).await.unwrap();
    assert_eq!(
        m.answers, 18,
        "two people × 9 items; the model is not counted"
    );
    assert_eq!(m.items_answered, 9);
    assert_eq!(m.items_by_state["resolved"], 9);
    assert_eq!(m.median_lead_ms, Some(1500.0));
    assert_eq!(m.resolutions.consensus, 9);
    assert_eq!(m.resolutions.consensus_share, Some(1.0));
    assert_eq!(m.spot_checks.accuracy, None);
    assert_eq!(m.answers_by_hour.iter().map(|b| b.answers).sum::<u64>(), 18);
    let days: u64 = m.agreement_by_day.iter().map(|d| d.items).sum();
    assert_eq!(days, 9);
    let json = serde_json::to_value(&m).unwrap();
    assert!(json.get("itemsByState").is_some(), "camelCase: {json}");

    let per = annotator_metrics(&c, a.project, Span::ALL).await.unwrap();
    let lead: BTreeMap<Id, Option<f64>> = per
        .iter()
        .map(|p| (p.annotator_id, p.median_lead_ms))
        .collect();
    assert_eq!(lead[&a.people[0]], Some(1000.0));
    assert_eq!(lead[&a.people[1]], Some(2000.0));
    assert_eq!(
        per.iter().map(|p| p.answers).sum::<u64>(),
        27,
        "models have their row"
    );

    let report = agreement_report(&c, a.project).await.unwrap();
    let names: Vec<&str> = report
        .questions
        .iter()
        .map(|q| q.question.as_str())
        .collect();
    assert!(!names.contains(&"notes"), "text is not scored: {names:?}");
    let genre = report
        .questions
        .iter()
        .find(|q| q.question == "genre")
        .unwrap();
    assert_eq!(genre.agreement.items, 9);
    assert_eq!(genre.pairs.len(), 1);
    assert_eq!(genre.pairs[0].common_items, 9);
    // The compact table (answer slots) gives the α of the dense annotators × items one.
    let s = schema();
    let q = s.question("genre").unwrap();
    let mut dense = ReliabilityData::new(2, 9);
    for (u, item) in a.items.iter().enumerate() {
        for ann in c.annotations(*item).await.unwrap() {
            if let Some(k) = a.people.iter().position(|p| *p == ann.annotator_id) {
                dense.set(k, u, s.read_stored(&ann.answers).remove("genre"));
            }
        }
    }
    let direct = question_agreement(&q.kind, &dense).unwrap();
    assert_eq!(genre.agreement, direct);
    assert!(direct.value.is_some());
    // Items 0, 3, 6 disagree on genre; every other answer is identical: per annotator,
    // 7 questions scored per item (text is not), 9 items, 3 of them one miss.
    let peer = report
        .annotators
        .iter()
        .find(|x| x.annotator_id == a.people[0])
        .unwrap();
    assert_eq!(peer.peer_comparisons, 9 * 7);
    let expected = (9.0 * 7.0 - 3.0) / (9.0 * 7.0);
    assert!(
        (peer.peer_agreement.unwrap() - expected).abs() < 1e-9,
        "{peer:?}"
    );
    assert_eq!(peer.gold_items, 0);

    assert!(spot_check_accuracy(&c, a.project).await.unwrap().is_empty());
    c.log_event(&NewEvent {
        project_id: a.project,
        item_id: Some(a.items[0]),
        kind: "spot_check".into(),
        detail: json!({"agreed": false, "agreement": {"genre": 0.0, "bpm": 1.0}}),
        now: now_millis(),
    })
    .await
    .unwrap();
    let acc = spot_check_accuracy(&c, a.project).await.unwrap();
    assert_eq!(acc.len(), 2);
    assert_eq!(
        (acc[1].question.as_str(), acc[1].accuracy),
        ("genre", Some(0.0))
    );

    let gauges = AnnotationGauges::default();
    let mut registry = prometheus_client::registry::Registry::default();
    gauges.register(&mut registry);
    gauges.refresh(&c).await.unwrap();
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    let p = a.project;
    assert!(
        text.contains(&format!(
            "annotation_items{{project=\"{p}\",state=\"resolved\"}} 9"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("annotation_answers{{project=\"{p}\"}} 18")),
        "{text}"
    );
    assert!(text.contains(&format!(
        "annotation_model_spot_check_accuracy{{project=\"{p}\"}} 0.0"
    )));
}

/// A writer that fails after `left` bytes (a full disk, a closed socket).
struct Failing {
    left: usize,
}

impl tokio::io::AsyncWrite for Failing {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.left == 0 {
            return Poll::Ready(Err(std::io::Error::other("disk full")));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Poll::Ready(Ok(n))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn hostile_cases_are_errors_or_empty() {
    let (c, _dir) = catalog().await;
    let unknown = export_to_vec(&c, new_id(), ExportFormat::Jsonl, 10).await;
    assert!(
        matches!(unknown, Err(ExportError::Store(StoreError::NotFound))),
        "{unknown:?}"
    );
    assert!(project_metrics(&c, new_id(), Span::ALL).await.is_err());

    let a = annotated(&c, 2).await;
    let err = export(
        &c,
        a.project,
        &ExportOptions::new(ExportFormat::LabelStudio),
        Failing { left: 100 },
        &mut |_| {},
    )
    .await;
    assert!(matches!(err, Err(ExportError::Io(_))), "{err:?}");

    // A project with nothing resolved: valid, empty documents.
    let (user, _) = track(&c).await;
    let empty = c
        .create_project(NewProject {
            id: new_id(),
            name: "e".into(),
            description: String::new(),
            settings: json!({}),
            schema: schema_json(),
            created_by: Some(user),
            now: now_millis(),
        })
        .await
        .unwrap()
        .id;
    let ls = export_to_vec(&c, empty, ExportFormat::LabelStudio, 10)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Vec<Json>>(&ls).unwrap(),
        Vec::<Json>::new()
    );
    assert!(export_to_vec(&c, empty, ExportFormat::Jsonl, 10)
        .await
        .unwrap()
        .is_empty());
    let csv = export_to_vec(&c, empty, ExportFormat::Csv, 10)
        .await
        .unwrap();
    assert_eq!(
        parse_csv(std::str::from_utf8(&csv).unwrap()).len(),
        1,
        "header only"
    );
    let report = agreement_report(&c, empty).await.unwrap();
    assert!(report.questions.iter().all(|q| q.agreement.value.is_none()));
    // A page size of 0 is taken as 1, not an endless loop.
    let one = export_to_vec(&c, a.project, ExportFormat::Jsonl, 0)
        .await
        .unwrap();
    assert_eq!(one.iter().filter(|b| **b == b'\n').count(), 2);
}

/// Peak resident memory so far (VmHWM), in kB.
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_annotations_export_in_bounded_memory() {
    const ITEMS: i64 = 250_000;
    const PER_ITEM: i64 = 4;
    let (c, dir) = catalog().await;
    let a = annotated(&c, 1).await;
    // Bulk rows straight into the tables, one statement each (the API would take minutes).
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let result = answer("rock").to_string();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO ann_items (project_id, track_id, start_ms, end_ms, state, needed, taken,
             round, extra, spot_check, flagged, agreement, resolution, result, created_at,
             updated_at, resolved_at)
         SELECT ?2, ?3, 1000000 + i * 1000, 1000000 + i * 1000 + 1000, 'resolved', 0, 0, 0, 0,
             0, 0, 1.0, 'consensus', ?4, 0, 0, 0 FROM n",
    )
    .bind(ITEMS)
    .bind(a.project.to_string())
    .bind(a.track.to_string())
    .bind(&result)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < ?1)
         INSERT INTO ann_annotations (item_id, project_id, annotator_id, stage, round, answers,
             lead_ms, schema_version, created_at)
         SELECT i.id, i.project_id, ?2, 'open', 0, ?3, 1000 * k.j, 1, 0
         FROM ann_items i, k WHERE i.project_id = ?4 AND i.start_ms >= 1000000",
    )
    .bind(PER_ITEM)
    .bind(a.people[0].to_string())
    .bind(&result)
    .bind(a.project.to_string())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let path = dir.path().join("export.jsonl");
    let before = peak_rss_kb();
    let started = std::time::Instant::now();
    let file = tokio::fs::File::create(&path).await.unwrap();
    let summary = export(
        &c,
        a.project,
        &ExportOptions::new(ExportFormat::Jsonl),
        tokio::io::BufWriter::new(file),
        &mut |_| {},
    )
    .await
    .unwrap();
    let secs = started.elapsed().as_secs_f64();
    let growth_mb = (peak_rss_kb() - before) as f64 / 1024.0;
    assert_eq!(summary.items, ITEMS as u64 + 1);
    assert_eq!(summary.annotations, (ITEMS * PER_ITEM) as u64 + 3);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), summary.bytes);
    eprintln!(
        "FIGURE export jsonl: {} annotations, {} items, {:.1} MB written in {secs:.1} s \
         ({:.0} annotations/s); peak RSS growth {growth_mb:.1} MB",
        summary.annotations,
        summary.items,
        summary.bytes as f64 / 1e6,
        summary.annotations as f64 / secs,
    );
    assert!(growth_mb < 100.0, "peak RSS grew by {growth_mb:.1} MB");
}
