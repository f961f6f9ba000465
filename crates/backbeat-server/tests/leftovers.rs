//! Nothing is left behind (issue 13, item 5): the staging file of an upload whose process was
//! killed mid-PUT is invisible to every listing and named by no key, so only garbage
//! collection can remove it — once it has gone unwritten for the grace period, and never
//! while an upload is still writing it.

use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use backbeat_store::Role;
use bytes::Bytes;

use crate::common::TestApp;
use crate::support::{blob_files, path_of, SlowPut};

/// Leaves a staging file at `key#n` as a killed upload would, last written `idle` ago.
fn leave_staging(app: &TestApp, key: &str, n: u32, idle: Duration) -> String {
    let rel = format!("{key}#{n}");
    let path = app.dir.path().join("blobs").join(&rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, vec![7u8; 3 << 20]).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - idle).unwrap();
    rel
}

fn staging_files(app: &TestApp) -> Vec<String> {
    blob_files(app)
        .into_iter()
        .filter(|f| f.contains('#'))
        .collect()
}

#[tokio::test]
async fn staging_files_of_killed_uploads_are_swept_after_the_grace_period_only() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let grace = app.state.catalog.config().staging_grace_s;
    assert_eq!(grace, backbeat_catalog::gc::STAGING_GRACE_S);
    let grace = Duration::from_secs(grace);

    // A live upload over one part, under way: its staging file is being written.
    let r = app.get("/api/v1/tracks/upload-url").auth(&a).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let slot = r.json();
    let url = path_of(slot["uploadUrl"].as_str().unwrap());
    let part = |b: u8| Bytes::from(vec![b; 1 << 20]);
    let live = SlowPut::begin(&app, &url, part(1), part(2)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while staging_files(&app).is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no staging file");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let live_file = staging_files(&app);

    // Killed uploads: one dead for longer than the grace period, one for less.
    let dead = leave_staging(
        &app,
        "audio/killed-long-ago",
        11,
        grace + Duration::from_secs(60),
    );
    let recent = leave_staging(&app, "audio/killed-just-now", 12, Duration::from_secs(600));

    app.state.catalog.gc().run_once().await.unwrap();
    let left = staging_files(&app);
    assert!(
        !left.contains(&dead),
        "swept after the grace period: {left:?}"
    );
    assert!(
        left.contains(&recent),
        "kept within the grace period: {left:?}"
    );
    for f in &live_file {
        assert!(
            left.contains(f),
            "the upload in flight keeps its file: {left:?}"
        );
    }
    assert!(
        !blob_files(&app)
            .iter()
            .any(|f| f.starts_with("audio/killed-long-ago")),
        "its folder goes too: {:?}",
        blob_files(&app)
    );

    // The live upload completes intact.
    let r = live.finish(part(3)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Once the grace period has passed for the other one too, it goes.
    let later = backbeat_store::now_millis() + (grace.as_millis() as i64) + 1_000;
    app.state.catalog.gc().run_once_at(later).await.unwrap();
    assert_eq!(staging_files(&app), Vec::<String>::new());
    // The finished upload is a blob like any other, untouched by the sweep.
    let uploaded: Vec<String> = blob_files(&app)
        .into_iter()
        .filter(|f| f.starts_with("audio/"))
        .collect();
    assert_eq!(uploaded.len(), 1, "{uploaded:?}");
}
