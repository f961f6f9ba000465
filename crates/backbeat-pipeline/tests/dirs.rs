//! Directory outputs: a job writes any number of files into `seg/`, the manifest lists each,
//! a re-run that writes fewer leaves exactly the new ones, and children read them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use backbeat_pipeline::artifacts::{manifest_key, output_key, Manifest};
use backbeat_pipeline::{Graph, Job, JobContext, JobError, JobSpec, Plan, Registry};
use backbeat_store::jobs::JobState;
use backbeat_store::model::Id;

use crate::common::Harness;

/// Writes `count` segments `NNN.ts` (content: the run number and the index) into `seg/`.
struct Ladder {
    count: Arc<AtomicUsize>,
    runs: Arc<AtomicUsize>,
}

#[async_trait]
impl Job for Ladder {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst);
        let dir = ctx.output("seg/")?;
        assert!(dir.is_dir(), "the engine creates the directory");
        for i in 0..self.count.load(Ordering::SeqCst) {
            std::fs::write(dir.join(format!("{i:03}.ts")), format!("run {run} seg {i}")).unwrap();
        }
        Ok(())
    }
}

/// Lists the segments it was given, with their contents, into `list.txt`.
struct Playlist;

#[async_trait]
impl Job for Playlist {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let dir = ctx.input("ladder.seg/")?;
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let text: String = names
            .iter()
            .map(|n| format!("{n}={}\n", std::fs::read_to_string(dir.join(n)).unwrap()))
            .collect();
        std::fs::write(ctx.output("list.txt")?, text).unwrap();
        Ok(())
    }
}

/// Writes a folder into its directory output: not allowed.
struct Nested;

#[async_trait]
impl Job for Nested {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        std::fs::create_dir(ctx.output("seg/")?.join("sub")).unwrap();
        Ok(())
    }
}

async fn harness(count: &Arc<AtomicUsize>) -> Harness {
    let specs = vec![
        JobSpec::builtin("ladder", 1, &["upload"], &["seg/"]),
        JobSpec::builtin("playlist", 1, &["ladder.seg/"], &["list.txt"]),
        JobSpec::builtin("nested", 1, &["upload"], &["seg/"]),
    ];
    let mut registry = Registry::new();
    registry
        .register(
            "ladder",
            Ladder {
                count: Arc::clone(count),
                runs: Arc::default(),
            },
        )
        .register("playlist", Playlist)
        .register("nested", Nested);
    Harness::new(Graph::new(specs).unwrap(), registry).await
}

async fn manifest(h: &Harness, track: Id) -> Vec<(String, u64)> {
    let body = h
        .blobs
        .read_small(&manifest_key(track, "ladder", 1), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice::<Manifest>(&body).unwrap().outputs
}

async fn stored_segments(h: &Harness, track: Id) -> Vec<String> {
    let base = output_key(track, "ladder", 1, "");
    h.blobs
        .list(&output_key(track, "ladder", 1, "seg/"))
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.strip_prefix(&base).unwrap().to_string())
        .collect()
}

async fn playlist(h: &Harness, track: Id) -> String {
    String::from_utf8(h.output(track, "playlist", "list.txt").await.unwrap()).unwrap()
}

#[tokio::test]
async fn a_directory_output_is_committed_file_by_file_and_a_smaller_rerun_leaves_no_stale_files() {
    let count = Arc::new(AtomicUsize::new(3));
    let h = harness(&count).await;
    let t = h.track_with(b"upload".to_vec()).await;
    h.run_to_completion(
        t.id,
        &Plan::bottom_up(&h.engine.graph, "playlist", |_| false).unwrap(),
    )
    .await;
    let listed = manifest(&h, t.id).await;
    assert_eq!(
        listed,
        [
            ("seg/000.ts".to_string(), 11),
            ("seg/001.ts".to_string(), 11),
            ("seg/002.ts".to_string(), 11)
        ]
    );
    assert_eq!(
        stored_segments(&h, t.id).await,
        ["seg/000.ts", "seg/001.ts", "seg/002.ts"]
    );
    assert_eq!(
        playlist(&h, t.id).await,
        "000.ts=run 0 seg 0\n001.ts=run 0 seg 1\n002.ts=run 0 seg 2\n"
    );

    // Re-run with fewer segments, children too: exactly the new ones remain and are read.
    count.store(1, Ordering::SeqCst);
    let plan = Plan::force(&h.engine.graph, "ladder", true, |_| true).unwrap();
    h.run_to_completion(t.id, &plan).await;
    assert_eq!(manifest(&h, t.id).await, [("seg/000.ts".to_string(), 11)]);
    assert_eq!(stored_segments(&h, t.id).await, ["seg/000.ts"]);
    assert_eq!(playlist(&h, t.id).await, "000.ts=run 1 seg 0\n");

    // None at all is a valid ladder too (an empty directory for the child).
    count.store(0, Ordering::SeqCst);
    h.run_to_completion(t.id, &plan).await;
    assert!(manifest(&h, t.id).await.is_empty());
    assert!(stored_segments(&h, t.id).await.is_empty());
    assert_eq!(playlist(&h, t.id).await, "");
}

#[tokio::test]
async fn a_folder_inside_a_directory_output_fails_the_job() {
    let h = harness(&Arc::new(AtomicUsize::new(0))).await;
    let t = h.track_with(b"upload".to_vec()).await;
    h.run_to_completion(
        t.id,
        &Plan::bottom_up(&h.engine.graph, "nested", |_| false).unwrap(),
    )
    .await;
    let r = h.state(t.id, "nested").await.unwrap();
    assert_eq!(r.state, JobState::Failed, "{r:?}");
    assert!(r.error.unwrap().contains("`sub`"));
    assert!(h.output(t.id, "nested", "seg/sub").await.is_none());
}
