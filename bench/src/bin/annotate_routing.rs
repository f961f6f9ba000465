//! Model routing on the labelled dev set (issue 15): how much human work the tagger saves, and
//! how right it is when it is trusted.
//!
//! Input: the JSON Lines of `backbeat analyze --tags --format json` over dev files, and the
//! dev labels (`labels.csv` as JSON: `[{"path", "genre": [...], "instruments": [...]}]`, made by
//! `bench/annotate_routing.sh`). Each record's grouped tags become the stored-output shape
//! (`StoredTag` rows exactly as the `summary` job writes them: groups genre, mood,
//! instrument, era, vocals), the built-in model (`BuiltinModel`) answers
//! - `genre` (single choice over the genre labels of `labels.csv`) from `tags:genre`, tagger
//!   tags mapped by the aliases table [`GENRE_ALIASES`];
//! - `instruments` (multi-label over [`INSTRUMENTS`]) from `tags:instrument`
//!   ([`INSTRUMENT_ALIASES`]; the default 0.5 tag threshold);
//!
//! and `workflow::route` with `Settings::default()` (accept threshold 0.9, 5 % spot checks)
//! decides per item and question. Printed: the share of items whose answer is accepted without
//! people (and how many of those the spot-check draw still shows to one person), the accuracy
//! of the accepted answers against the labels, then the same over accept thresholds 0.5–0.95.
//!   annotate_routing --tags TAGS.jsonl --labels LABELS.json [--json OUT.json]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use backbeat_annotate::answer::Value;
use backbeat_annotate::engine::workflow::{self, ModelAnswer};
use backbeat_annotate::models::{BuiltinConfig, BuiltinModel, StoredOutputs, StoredTag};
use backbeat_annotate::schema::{NoVocabularies, Schema};
use backbeat_annotate::settings::Settings;
use backbeat_store::annotation::{ItemRecord, ItemState};
use backbeat_store::model::Id;
use serde_json::{json, Value as Json};

/// Tagger genre tag → `labels.csv` genre. Chosen from the two vocabularies alone, not tuned
/// on the dev set; the disco proxies are the ones `bench/tagger_eval.py` uses (neither musicnn
/// vocabulary has "disco"). Tagger genres with no counterpart among the labels (electronic,
/// ambient, experimental, soul/r&b, indian, mellow) stay unmapped: their mass does not count.
/// Labels the tagger cannot name (reggae, game-soundtrack, orchestral, ballad, waltz, salsa)
/// are never predicted.
pub const GENRE_ALIASES: &[(&str, &str)] = &[
    ("rock", "rock"),
    ("alternative/indie", "rock"),
    ("punk", "rock"),
    ("metal", "metal"),
    ("pop", "pop"),
    ("hip-hop", "hiphop"),
    ("funk", "disco"),
    ("dance", "disco"),
    ("jazz", "jazz"),
    ("blues", "blues"),
    ("country", "country"),
    ("folk", "folk"),
    ("classical", "classical"),
    ("opera", "classical"),
];

/// The instrument question's labels: the tagger's instrument tags that the dev labels can
/// confirm or refute.
pub const INSTRUMENTS: [&str; 5] = ["drums", "piano", "strings", "flute", "guitar"];

/// Tagger instrument tag → label (besides the same-named ones).
pub const INSTRUMENT_ALIASES: &[(&str, &str)] = &[("violin", "strings"), ("cello", "strings")];

/// The labels an `instruments` cell names (lower-cased General MIDI names for the generated
/// pieces, an ensemble for others): bowed strings are the violin family and string ensembles.
fn instrument_truth(names: &[String]) -> BTreeSet<String> {
    let has = |subs: &[&str]| {
        names
            .iter()
            .any(|n| subs.iter().any(|s| n.to_lowercase().contains(s)))
    };
    let mut out = BTreeSet::new();
    for (label, subs) in [
        ("drums", &["drum"][..]),
        ("piano", &["piano"][..]),
        (
            "strings",
            &["violin", "viola", "cello", "contrabass", "string"][..],
        ),
        ("flute", &["flute"][..]),
        ("guitar", &["guitar"][..]),
    ] {
        if has(subs) {
            out.insert(label.to_string());
        }
    }
    out
}

fn item(id: i64) -> ItemRecord {
    ItemRecord {
        id,
        project_id: Id::nil(),
        track_id: Id::nil(),
        start_ms: 0,
        end_ms: 0,
        state: ItemState::Routing,
        needed: 0,
        taken: 0,
        round: 0,
        extra: 0,
        spot_check: false,
        flagged: false,
        open_questions: None,
        gold: None,
        agreement: None,
        resolution: None,
        result: None,
        created_at: 0,
        updated_at: 0,
        resolved_at: None,
    }
}

/// The grouped tags of one `--tags` output as the catalog stores them (the summary job's
/// `tag_rows`).
fn stored_tags(tags: &Json) -> Vec<StoredTag> {
    let mut rows = Vec::new();
    for (key, group) in [
        ("genre", "genre"),
        ("mood", "mood"),
        ("instruments", "instrument"),
        ("era", "era"),
    ] {
        for t in tags[key].as_array().into_iter().flatten() {
            if let (Some(tag), Some(c)) = (t["tag"].as_str(), t["confidence"].as_f64()) {
                rows.push(StoredTag {
                    group: group.into(),
                    tag: tag.into(),
                    confidence: c,
                });
            }
        }
    }
    let v = &tags["vocals"];
    if let (Some(tag), Some(c)) = (v["tag"].as_str(), v["confidence"].as_f64()) {
        rows.push(StoredTag {
            group: "vocals".into(),
            tag: tag.into(),
            confidence: c,
        });
    }
    rows
}

struct Case {
    path: String,
    id: i64,
    genre: Vec<String>,
    instruments: Option<BTreeSet<String>>,
    /// The best model answer per question.
    best: BTreeMap<String, ModelAnswer>,
}

#[derive(Default)]
struct Tally {
    items: u64,
    answered: u64,
    accepted: u64,
    spot_checked: u64,
    correct: u64,
    jaccard: f64,
    correct_all: u64,
}

fn main() {
    let (mut tags_path, mut labels_path, mut json_out) = (None, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        match k.as_str() {
            "--tags" => tags_path = it.next(),
            "--labels" => labels_path = it.next(),
            "--json" => json_out = it.next(),
            _ => panic!("usage: annotate_routing --tags TAGS.jsonl --labels LABELS.json"),
        }
    }
    let labels: Vec<Json> =
        serde_json::from_str(&std::fs::read_to_string(labels_path.unwrap()).unwrap()).unwrap();
    let by_path: BTreeMap<String, &Json> = labels
        .iter()
        .map(|l| (l["path"].as_str().unwrap().to_string(), l))
        .collect();
    let list = |v: &Json| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let genre_labels: BTreeSet<String> = labels.iter().flat_map(|l| list(&l["genre"])).collect();
    let genre_labels: Vec<String> = genre_labels.into_iter().collect();

    let genre_q = json!({"name": "genre", "type": "single_choice", "labels": genre_labels});
    let inst_q = json!({"name": "instruments", "type": "multi_label", "labels": INSTRUMENTS});
    let schema = Schema::parse(
        &json!({"questions": [genre_q.clone(), inst_q.clone()]}),
        &NoVocabularies,
    )
    .unwrap();
    // Each question is routed as its own one-question project (so a confident genre is not
    // held back by unsure instruments, and the spot-check draw applies per question).
    let single: BTreeMap<&str, Schema> = [("genre", genre_q), ("instruments", inst_q)]
        .into_iter()
        .map(|(n, q)| {
            (
                n,
                Schema::parse(&json!({"questions": [q]}), &NoVocabularies).unwrap(),
            )
        })
        .collect();
    let genre_aliases: BTreeMap<&str, &str> = GENRE_ALIASES
        .iter()
        .copied()
        .filter(|(_, l)| genre_labels.iter().any(|g| g == l))
        .collect();
    let config: BuiltinConfig = serde_json::from_value(json!({"bindings": [
        {"question": "genre", "source": "tags:genre", "aliases": genre_aliases},
        {"question": "instruments", "source": "tags:instrument",
         "aliases": INSTRUMENT_ALIASES.iter().copied().collect::<BTreeMap<_, _>>()}
    ]}))
    .unwrap();
    let model = BuiltinModel::new(&config, &schema).unwrap();

    let mut cases = Vec::new();
    let (mut unmatched, mut failed) = (0, 0);
    for line in std::fs::read_to_string(tags_path.unwrap()).unwrap().lines() {
        if line.trim().is_empty() {
            continue;
        }
        let r: Json = serde_json::from_str(line).unwrap();
        let path = r["path"].as_str().unwrap_or_default();
        // Records name the file as given; match on the dev-relative suffix.
        let Some((rel, l)) = by_path
            .iter()
            .find(|(p, _)| path.ends_with(&format!("/{p}")) || path == p.as_str())
        else {
            unmatched += 1;
            continue;
        };
        let tags = &r["tags"];
        if tags.get("genre").is_none() {
            failed += 1;
            continue;
        }
        let stored = StoredOutputs::from_analysis_json(
            None,
            None,
            &json!({"tags": {"labels": tags["labels"].clone()}}),
            stored_tags(tags),
            0,
        );
        let pred = model.predict(&stored);
        let best = pred
            .answers
            .iter()
            .map(|(q, v)| {
                (
                    q.clone(),
                    ModelAnswer {
                        value: v.clone(),
                        confidence: pred.confidence.get(q).copied().unwrap_or(0.0),
                    },
                )
            })
            .collect();
        let inst = list(&l["instruments"]);
        cases.push(Case {
            path: rel.clone(),
            id: cases.len() as i64 + 1,
            genre: list(&l["genre"]),
            instruments: (!inst.is_empty()).then(|| instrument_truth(&inst)),
            best,
        });
    }
    println!(
        "files: {} with tags ({} not in labels, {} without tags)",
        cases.len(),
        unmatched,
        failed
    );
    println!(
        "genre labels: {}; aliases: {}",
        genre_labels.join(", "),
        GENRE_ALIASES
            .iter()
            .map(|(t, l)| format!("{t}→{l}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let run = |threshold: f64, question: &str| -> Tally {
        let settings = Settings {
            accept_threshold: threshold,
            ..Settings::default()
        };
        let mut t = Tally::default();
        for c in &cases {
            let truth_ok = |v: &Value| -> Option<(bool, f64)> {
                match (question, v) {
                    ("genre", Value::Choice(g)) => {
                        let ok = c.genre.contains(g);
                        Some((ok, if ok { 1.0 } else { 0.0 }))
                    }
                    ("instruments", Value::Tags(set)) => {
                        let truth = c.instruments.as_ref()?;
                        let inter = set.intersection(truth).count() as f64;
                        let union = set.union(truth).count() as f64;
                        Some((set == truth, if union == 0.0 { 1.0 } else { inter / union }))
                    }
                    _ => None,
                }
            };
            let labelled = match question {
                "genre" => !c.genre.is_empty(),
                _ => c.instruments.is_some(),
            };
            if !labelled {
                continue;
            }
            t.items += 1;
            // Route the item on this question alone (one question per project).
            let best: BTreeMap<String, ModelAnswer> = c
                .best
                .iter()
                .filter(|(q, _)| q.as_str() == question)
                .map(|(q, m)| (q.clone(), m.clone()))
                .collect();
            let Some(m) = best.get(question) else {
                continue;
            };
            t.answered += 1;
            let Some((ok_any, _)) = truth_ok(&m.value) else {
                continue;
            };
            if ok_any {
                t.correct_all += 1;
            }
            let change = workflow::route(&single[question], &settings, &item(c.id), &best, 0);
            let open: Vec<String> = change
                .open_questions
                .as_ref()
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            let accepted = change
                .result
                .as_ref()
                .and_then(|r| r.get(question))
                .is_some()
                && !open.iter().any(|q| q == question);
            if accepted {
                t.accepted += 1;
                if change.spot_check {
                    t.spot_checked += 1;
                }
                let (ok, j) = truth_ok(&m.value).unwrap();
                if ok {
                    t.correct += 1;
                }
                t.jaccard += j;
            }
        }
        t
    };

    let mut out = json!({"files": cases.len(), "genreAliases": GENRE_ALIASES, "curves": {}});
    for question in ["genre", "instruments"] {
        let d = run(Settings::default().accept_threshold, question);
        let pct = |a: u64, b: u64| {
            if b == 0 {
                0.0
            } else {
                100.0 * a as f64 / b as f64
            }
        };
        println!(
            "\n{question}: {} labelled items, model answered {} ({:.0} % correct over all answered)",
            d.items,
            d.answered,
            pct(d.correct_all, d.answered)
        );
        println!(
            "{question} @ default threshold {:.2}: auto-accepted {}/{} = {:.1} % of items \
             ({} of them still spot-checked by one person: {:.1} % need no person); \
             accuracy of accepted {:.1} %{}",
            Settings::default().accept_threshold,
            d.accepted,
            d.items,
            pct(d.accepted, d.items),
            d.spot_checked,
            pct(d.accepted - d.spot_checked, d.items),
            pct(d.correct, d.accepted),
            if question == "instruments" {
                format!(
                    " (exact set; mean Jaccard {:.2})",
                    d.jaccard / d.accepted.max(1) as f64
                )
            } else {
                String::new()
            }
        );
        println!("| threshold | accepted | share | accuracy of accepted |");
        println!("|---|---|---|---|");
        let mut curve = Vec::new();
        for step in 0..=9 {
            let th = 0.5 + 0.05 * step as f64;
            let t = run(th, question);
            println!(
                "| {th:.2} | {}/{} | {:.1} % | {} |",
                t.accepted,
                t.items,
                pct(t.accepted, t.items),
                if t.accepted == 0 {
                    "–".to_string()
                } else {
                    format!(
                        "{:.1} % ({}/{})",
                        pct(t.correct, t.accepted),
                        t.correct,
                        t.accepted
                    )
                }
            );
            curve.push(
                json!({"threshold": th, "items": t.items, "accepted": t.accepted,
                              "correct": t.correct}),
            );
        }
        out["curves"][question] = json!(curve);
    }
    if std::env::var_os("ANNOTATE_ROUTING_VERBOSE").is_some() {
        for c in &cases {
            let g = c
                .best
                .get("genre")
                .map(|m| (workflow::to_json(&m.value), m.confidence));
            eprintln!("{} truth={:?} model={:?}", c.path, c.genre, g);
        }
    }
    if let Some(p) = json_out {
        std::fs::write(p, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    }
}
