//! The conformance suite against the embedded queue, in a SQLite file (the default) and in
//! PostgreSQL (where leasing uses `FOR UPDATE SKIP LOCKED`; mandatory in CI, skipped with a
//! notice where no server is reachable).

use std::sync::Arc;
use std::time::Duration;

use backbeat_pipeline::queue::sql::SqlQueue;
use backbeat_pipeline::{Queue, QueueConfig};
use backbeat_store::sql::SqlCatalog;

use super::conformance;

const CONFIG: QueueConfig = QueueConfig {
    ack_wait: Duration::from_secs(2),
};

async fn sqlite() -> (tempfile::TempDir, Arc<dyn Queue>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("q.db").display());
    let db = SqlCatalog::connect(&url).await.unwrap();
    (dir, Arc::new(SqlQueue::new(db, CONFIG)))
}

macro_rules! conformance {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let (_dir, queue) = sqlite().await;
                    conformance::$check(queue, CONFIG).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(db) = crate::pg::database(concat!("sql::postgres::", stringify!($check))).await
                    else {
                        return;
                    };
                    let cat = SqlCatalog::connect(&db.url).await.unwrap();
                    conformance::$check(Arc::new(SqlQueue::new(cat, CONFIG)), CONFIG).await;
                }
            )*
        }
    };
}

conformance!(
    publish_fetch_ack,
    fetch_filters_by_job,
    dedupe_while_waiting,
    redelivery_after_ack_wait,
    keep_alive_prevents_redelivery,
    retry_after_delay,
    many_messages_two_consumers,
    depth_per_job,
);
