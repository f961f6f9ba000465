//! The conformance suite against NATS JetStream, plus what only JetStream has to show.
//!
//! Every test gets a stream of its own (`BBTEST_<random hex>`) on the server named by
//! `BACKBEAT_TEST_NATS` (default `nats://127.0.0.1:4222`), deleted when the guard goes out of
//! scope — also when the test panics. If the server cannot be reached the test prints
//! `SKIP: <test>: NATS not reachable` and passes, unless `BACKBEAT_REQUIRE_SERVICES=1`, which
//! turns that into a failure (CI sets it).

use std::sync::Arc;
use std::time::Duration;

use backbeat_pipeline::queue::jetstream::JetStreamQueue;
use backbeat_pipeline::{Queue, QueueConfig};
use backbeat_store::model::new_id;

use super::conformance;

const DEFAULT_NATS: &str = "nats://127.0.0.1:4222";

/// Short, so redelivery checks are quick; long enough for a batch to be acked on a busy machine.
const CONFIG: QueueConfig = QueueConfig {
    ack_wait: Duration::from_secs(2),
};

fn services_required() -> bool {
    std::env::var("BACKBEAT_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

fn nats_url() -> String {
    std::env::var("BACKBEAT_TEST_NATS").unwrap_or_else(|_| DEFAULT_NATS.to_owned())
}

/// A queue on a fresh stream, and the guard deleting that stream.
struct TestStream {
    queue: Arc<JetStreamQueue>,
    url: String,
    name: String,
}

/// `None` (after printing why) when the server is not reachable and services are not required.
async fn stream(test: &str) -> Option<TestStream> {
    let url = nats_url();
    let reachable = tokio::time::timeout(Duration::from_secs(5), async_nats::connect(&url)).await;
    match reachable {
        Ok(Ok(_)) => {}
        Ok(Err(e)) if services_required() => panic!("{test}: NATS not reachable at {url}: {e}"),
        Err(_) if services_required() => panic!("{test}: NATS not reachable at {url}: timed out"),
        _ => {
            println!("SKIP: {test}: NATS not reachable");
            return None;
        }
    }
    let name = format!("BBTEST_{}", new_id().simple());
    // Reachable: from here on a failure is the queue's, never a skip.
    let queue = JetStreamQueue::connect(&url, &name, CONFIG)
        .await
        .expect("create the test stream");
    Some(TestStream {
        queue: Arc::new(queue),
        url,
        name,
    })
}

impl Drop for TestStream {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Drop may run inside the test's runtime (even while it unwinds), where blocking on
        // another future is not allowed: delete on a thread with a runtime and connection of
        // its own.
        let deleted = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let client = async_nats::connect(&url).await.map_err(|e| e.to_string())?;
                async_nats::jetstream::new(client)
                    .delete_stream(&name)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<(), String>(())
            })
        })
        .join();
        match deleted {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not delete test stream {}: {e}", self.name),
            Err(_) => eprintln!("warning: deleting the test stream panicked"),
        }
    }
}

/// One test per conformance check, each on its own stream.
macro_rules! conformance {
    ($($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let Some(s) = stream(concat!("jetstream::", stringify!($check))).await else {
                    return;
                };
                let queue: Arc<dyn Queue> = s.queue.clone();
                conformance::$check(queue, CONFIG).await;
            }
        )*
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

/// A message that is not a job (a foreign publisher, an old format) is terminated and logged,
/// and does not hold up the messages behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_message_is_dropped() {
    let Some(s) = stream("jetstream::undecodable_message_is_dropped").await else {
        return;
    };
    let client = async_nats::connect(&s.url).await.expect("connect");
    let js = async_nats::jetstream::new(client);
    js.publish(s.queue.subject("mixed"), "not json".into())
        .await
        .expect("publish")
        .await
        .expect("publish ack");
    let good = conformance::message("mixed");
    s.queue
        .publish(std::slice::from_ref(&good))
        .await
        .expect("publish");

    let jobs = vec!["mixed".to_string()];
    let got = s
        .queue
        .fetch(&jobs, 10, Duration::from_secs(5))
        .await
        .expect("fetch");
    assert_eq!(got.len(), 1, "only the job message is delivered");
    assert_eq!(got[0].message(), &good);
    for d in got {
        d.ack().await.expect("ack");
    }
    let depth = s.queue.depth(&jobs).await.expect("depth");
    assert_eq!(
        depth,
        vec![("mixed".to_string(), 0)],
        "the bad message is gone too"
    );
}

/// Invalid job names never reach a subject (`*` or `>` would widen it, `.` add a level).
#[tokio::test]
async fn invalid_job_name_is_refused() {
    let Some(s) = stream("jetstream::invalid_job_name_is_refused").await else {
        return;
    };
    let bad = conformance::message("a.>");
    assert!(s.queue.publish(&[bad]).await.is_err());
    let jobs = vec!["*".to_string()];
    assert!(s.queue.fetch(&jobs, 1, Duration::ZERO).await.is_err());
    assert_eq!(s.queue.kind(), "jetstream");
}

/// Counting messages (what `jobs status` and a backfill's progress do, with a default ack wait)
/// leaves the ack wait the workers' consumer was created with: resetting it would hand jobs
/// still running, kept alive at the workers' pace, to another worker.
#[tokio::test]
async fn depth_keeps_the_workers_ack_wait() {
    let Some(s) = stream("jetstream::depth_keeps_the_workers_ack_wait").await else {
        return;
    };
    let jobs = vec!["kept".to_string()];
    // A worker's first fetch creates the consumer with its ack wait.
    let got = s
        .queue
        .fetch(&jobs, 1, Duration::ZERO)
        .await
        .expect("fetch");
    assert!(got.is_empty());
    let other = JetStreamQueue::connect(&s.url, &s.name, QueueConfig::default())
        .await
        .expect("connect");
    assert_ne!(QueueConfig::default().ack_wait, CONFIG.ack_wait);
    let depth = other.depth(&jobs).await.expect("depth");
    assert_eq!(depth, vec![("kept".to_string(), 0)]);

    let client = async_nats::connect(&s.url).await.expect("connect");
    let mut consumer: async_nats::jetstream::consumer::PullConsumer =
        async_nats::jetstream::new(client)
            .get_consumer_from_stream("kept", &s.name)
            .await
            .expect("consumer");
    let info = consumer.info().await.expect("consumer info");
    assert_eq!(info.config.ack_wait, CONFIG.ack_wait);
}
