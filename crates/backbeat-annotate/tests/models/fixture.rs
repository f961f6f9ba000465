//! A schema with every question kind, and tasks.

use backbeat_annotate::models::Task;
use backbeat_annotate::schema::Schema;

pub fn schema() -> Schema {
    serde_json::from_value(serde_json::json!({"questions": [
        {"name": "genre", "type": "single_choice", "labels": ["rock", "jazz", "electronic"]},
        {"name": "moods", "type": "multi_label", "labels": ["happy", "sad", "aggressive"]},
        {"name": "bpm", "type": "number", "min": 30, "max": 300, "distance": "bpm"},
        {"name": "key", "type": "key"},
        {"name": "energy", "type": "rating", "min": 1, "max": 5},
        {"name": "notes", "type": "text", "required": false, "title": "Notes & \"remarks\" <free>"},
        {"name": "sections", "type": "regions", "labels": ["verse", "chorus"],
         "attributes": [{"name": "instrumental", "type": "single_choice", "labels": ["yes", "no"]}]},
        {"name": "beats", "type": "markers", "labels": ["beat", "downbeat"]}
    ]}))
    .unwrap()
}

pub fn tasks(n: usize) -> Vec<Task> {
    (0..n)
        .map(|i| Task {
            id: format!("item-{i}"),
            audio: format!("http://127.0.0.1:1/audio/{i}?sig=abc"),
            track_id: format!("track-{i}"),
            start: 30.0 * i as f64,
            end: 30.0 * i as f64 + 30.0,
            title: Some(format!("Song {i}")),
            artist: Some("Band".into()),
        })
        .collect()
}
