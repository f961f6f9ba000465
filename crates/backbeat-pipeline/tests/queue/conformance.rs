//! The queue conformance suite: the semantics of `backbeat_pipeline::queue` that every
//! implementation keeps, written against `dyn Queue` only.
//!
//! Each check takes a fresh, empty queue and the [`QueueConfig`] it was built with (the checks
//! read its ack wait; give a short one, 1–2 s, so redelivery checks are quick). A backend's
//! test module calls every check on its own queue; see `jetstream.rs` for the pattern.

#![allow(dead_code)] // each backend's module calls the checks it runs

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backbeat_pipeline::{Delivery, JobMessage, Queue, QueueConfig, Run};
use backbeat_store::model::new_id;

/// A wait for "is anything there?" checks: long enough for a message that is there to arrive,
/// short compared with the ack waits the checks are given.
const SHORT: Duration = Duration::from_millis(300);

/// A wait for a message that must come.
const LONG: Duration = Duration::from_secs(10);

/// A message for `job` in a run of its own.
pub fn message(job: &str) -> JobMessage {
    JobMessage {
        track: new_id(),
        job: job.to_string(),
        run: Run {
            id: new_id(),
            scope: BTreeSet::from([job.to_string()]),
            force: BTreeSet::new(),
        },
    }
}

fn jobs(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

async fn depth_of(queue: &dyn Queue, job: &str) -> u64 {
    let depths = queue.depth(&jobs(&[job])).await.expect("depth");
    assert_eq!(depths.len(), 1, "one depth per job asked");
    assert_eq!(depths[0].0, job);
    depths[0].1
}

/// Fetches until one delivery arrives (or `LONG` passes: then fails).
async fn fetch_one(queue: &dyn Queue, names: &[&str]) -> Box<dyn Delivery> {
    let mut got = queue.fetch(&jobs(names), 1, LONG).await.expect("fetch");
    assert_eq!(got.len(), 1, "expected one delivery within {LONG:?}");
    got.remove(0)
}

async fn assert_empty(queue: &dyn Queue, names: &[&str], wait: Duration, why: &str) {
    let got = queue.fetch(&jobs(names), 10, wait).await.expect("fetch");
    let seen: Vec<&JobMessage> = got.iter().map(|d| d.message()).collect();
    assert!(seen.is_empty(), "{why}: got {seen:?}");
}

/// 1. A published message comes back intact on the first delivery; acking removes it: the
///    next fetch is empty and the depth drops to 0.
pub async fn publish_fetch_ack(queue: Arc<dyn Queue>, _config: QueueConfig) {
    let m = message("analyse");
    queue
        .publish(std::slice::from_ref(&m))
        .await
        .expect("publish");
    assert_eq!(depth_of(&*queue, "analyse").await, 1);

    let d = fetch_one(&*queue, &["analyse"]).await;
    assert_eq!(d.message(), &m);
    assert_eq!(d.delivery_count(), 1);
    d.ack().await.expect("ack");

    assert_empty(
        &*queue,
        &["analyse"],
        SHORT,
        "acked message delivered again",
    )
    .await;
    assert_eq!(depth_of(&*queue, "analyse").await, 0);
    assert!(!queue.kind().is_empty());
}

/// 2. A fetch returns only messages of the jobs it asks for.
pub async fn fetch_filters_by_job(queue: Arc<dyn Queue>, _config: QueueConfig) {
    let (a1, a2, b1) = (message("alpha"), message("alpha"), message("beta"));
    queue
        .publish(&[a1.clone(), b1.clone(), a2.clone()])
        .await
        .expect("publish");

    assert_empty(&*queue, &["gamma"], SHORT, "a job nobody published").await;

    let mut alphas = Vec::new();
    let start = Instant::now();
    while alphas.len() < 2 && start.elapsed() < LONG {
        for d in queue
            .fetch(&jobs(&["alpha"]), 10, LONG)
            .await
            .expect("fetch")
        {
            assert_eq!(
                d.message().job,
                "alpha",
                "fetch for alpha returned another job"
            );
            alphas.push(d);
        }
    }
    let mut got: Vec<JobMessage> = alphas.iter().map(|d| d.message().clone()).collect();
    got.sort_by_key(|m| m.track);
    let mut want = vec![a1, a2];
    want.sort_by_key(|m| m.track);
    assert_eq!(got, want);

    let b = fetch_one(&*queue, &["beta"]).await;
    assert_eq!(b.message(), &b1);
    for d in alphas {
        d.ack().await.expect("ack");
    }
    b.ack().await.expect("ack");
    assert_empty(&*queue, &["alpha", "beta"], SHORT, "everything was acked").await;
}

/// 3. Publishing a message whose dedupe key is already waiting is a no-op: twice in one call
///    and again in a second call still give one delivery.
pub async fn dedupe_while_waiting(queue: Arc<dyn Queue>, _config: QueueConfig) {
    let m = message("dedupe");
    queue
        .publish(&[m.clone(), m.clone()])
        .await
        .expect("publish");
    queue
        .publish(std::slice::from_ref(&m))
        .await
        .expect("publish again");
    assert_eq!(depth_of(&*queue, "dedupe").await, 1);

    let got = queue
        .fetch(&jobs(&["dedupe"]), 10, LONG)
        .await
        .expect("fetch");
    assert_eq!(got.len(), 1, "one delivery for one dedupe key");
    for d in got {
        assert_eq!(d.message(), &m);
        d.ack().await.expect("ack");
    }
    assert_empty(&*queue, &["dedupe"], SHORT, "duplicate delivered").await;
    assert_eq!(depth_of(&*queue, "dedupe").await, 0);
}

/// 4. A delivery neither acked nor kept alive within the ack wait is delivered again, with
///    delivery count 2 — and not before the ack wait.
pub async fn redelivery_after_ack_wait(queue: Arc<dyn Queue>, config: QueueConfig) {
    let m = message("flaky");
    queue
        .publish(std::slice::from_ref(&m))
        .await
        .expect("publish");
    let first = fetch_one(&*queue, &["flaky"]).await;
    let fetched = Instant::now();
    assert_eq!(first.delivery_count(), 1);
    // The worker "dies": the delivery is never settled.
    drop(first);

    let early = config.ack_wait / 3;
    assert_empty(
        &*queue,
        &["flaky"],
        early,
        "redelivered before the ack wait",
    )
    .await;

    let again = fetch_one(&*queue, &["flaky"]).await;
    assert!(
        fetched.elapsed() >= config.ack_wait.mul_f32(0.9),
        "redelivered after {:?}, ack wait {:?}",
        fetched.elapsed(),
        config.ack_wait
    );
    assert_eq!(again.message(), &m);
    assert_eq!(again.delivery_count(), 2);
    again.ack().await.expect("ack");
    assert_eq!(depth_of(&*queue, "flaky").await, 0);
}

/// 5. `keep_alive` called well within the ack wait holds a delivery for a job running longer
///    than the ack wait: no redelivery meanwhile.
pub async fn keep_alive_prevents_redelivery(queue: Arc<dyn Queue>, config: QueueConfig) {
    let m = message("long");
    queue
        .publish(std::slice::from_ref(&m))
        .await
        .expect("publish");
    let d = fetch_one(&*queue, &["long"]).await;
    let start = Instant::now();
    let beat = config.ack_wait / 3;
    while start.elapsed() < config.ack_wait * 3 {
        // Doubles as the pause between beats, and would catch a redelivery.
        assert_empty(&*queue, &["long"], beat, "redelivered despite keep-alive").await;
        d.keep_alive().await.expect("keep alive");
    }
    assert_eq!(
        depth_of(&*queue, "long").await,
        1,
        "in flight counts in the depth"
    );
    d.ack().await.expect("ack");
    assert_empty(&*queue, &["long"], SHORT, "acked message delivered again").await;
}

/// 6. `retry(delay)` makes the message available again after about `delay`, not before, as
///    delivery 2.
pub async fn retry_after_delay(queue: Arc<dyn Queue>, config: QueueConfig) {
    let delay = config.ack_wait.max(Duration::from_millis(1500));
    let m = message("retry");
    queue
        .publish(std::slice::from_ref(&m))
        .await
        .expect("publish");
    let d = fetch_one(&*queue, &["retry"]).await;
    let retried = Instant::now();
    d.retry(delay).await.expect("retry");

    assert_empty(
        &*queue,
        &["retry"],
        delay / 2,
        "delivered before the retry delay",
    )
    .await;
    let again = fetch_one(&*queue, &["retry"]).await;
    let after = retried.elapsed();
    assert!(
        after >= delay.mul_f32(0.9),
        "delivered {after:?} after retry({delay:?})"
    );
    assert_eq!(again.message(), &m);
    assert_eq!(again.delivery_count(), 2);
    again.ack().await.expect("ack");
    assert_eq!(depth_of(&*queue, "retry").await, 0);
}

/// 7. Many messages over two jobs, fetched in batches by two concurrent consumers, each acked
///    once at once: every message is delivered exactly once overall (none lost, none to both
///    consumers). Prints the publish and consume times.
pub async fn many_messages_two_consumers(queue: Arc<dyn Queue>, _config: QueueConfig) {
    const N: usize = 500;
    let names = ["bulk_a", "bulk_b"];
    let messages: Vec<JobMessage> = (0..N).map(|i| message(names[i % 2])).collect();

    let start = Instant::now();
    queue.publish(&messages).await.expect("publish");
    let published = start.elapsed();
    let depths = queue.depth(&jobs(&names)).await.expect("depth");
    assert_eq!(depths.iter().map(|(_, n)| n).sum::<u64>(), N as u64);

    let start = Instant::now();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let queue = queue.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut last_ack = Instant::now();
                let mut idle = 0;
                // Ends after a few empty fetches in a row (the other consumer took the rest).
                while idle < 3 {
                    let got = queue
                        .fetch(&jobs(&names), 25, Duration::from_millis(200))
                        .await
                        .expect("fetch");
                    if got.is_empty() {
                        idle += 1;
                        continue;
                    }
                    idle = 0;
                    for d in &got {
                        seen.push((d.message().clone(), d.delivery_count()));
                    }
                    let acks = got.into_iter().map(|d| d.ack());
                    for acked in futures_util::future::join_all(acks).await {
                        acked.expect("ack");
                    }
                    last_ack = Instant::now();
                }
                (seen, last_ack)
            })
        })
        .collect();
    let mut per_consumer = Vec::new();
    let mut done = start;
    for c in consumers {
        let (seen, last_ack) = c.await.expect("consumer task");
        per_consumer.push(seen);
        done = done.max(last_ack);
    }
    // Up to the last ack (the consumers then idle a while before they stop).
    let consumed = done - start;

    let mut count: HashMap<String, usize> = HashMap::new();
    for (m, delivery) in per_consumer.iter().flatten() {
        assert_eq!(
            *delivery, 1,
            "a redelivery (ack wait too short for the batch?): {m:?}"
        );
        *count.entry(m.dedupe_key()).or_default() += 1;
    }
    let duplicates: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "delivered more than once: {duplicates:?}"
    );
    for m in &messages {
        assert!(
            count.contains_key(&m.dedupe_key()),
            "never delivered: {m:?}"
        );
    }
    assert_eq!(count.len(), N);
    assert!(
        per_consumer.iter().all(|seen| !seen.is_empty()),
        "one consumer got everything: sizes {:?}",
        per_consumer.iter().map(Vec::len).collect::<Vec<_>>()
    );
    for (job, depth) in queue.depth(&jobs(&names)).await.expect("depth") {
        assert_eq!(depth, 0, "{job} still has messages");
    }
    println!(
        "{}: {N} messages: publish {published:?} ({:.3} ms/msg), fetch+ack by 2 consumers \
         {consumed:?} ({:.3} ms/msg)",
        queue.kind(),
        published.as_secs_f64() * 1e3 / N as f64,
        consumed.as_secs_f64() * 1e3 / N as f64,
    );
}

/// 8. `depth` counts messages waiting or in flight per job, in the order asked, 0 for a job
///    with none; an ack takes one off.
pub async fn depth_per_job(queue: Arc<dyn Queue>, _config: QueueConfig) {
    let mut batch: Vec<JobMessage> = (0..3).map(|_| message("deep")).collect();
    batch.extend((0..2).map(|_| message("shallow")));
    queue.publish(&batch).await.expect("publish");

    let depths = queue
        .depth(&jobs(&["deep", "shallow", "empty"]))
        .await
        .expect("depth");
    let want = vec![
        ("deep".to_string(), 3),
        ("shallow".to_string(), 2),
        ("empty".to_string(), 0),
    ];
    assert_eq!(depths, want);

    let d = fetch_one(&*queue, &["deep"]).await;
    assert_eq!(depth_of(&*queue, "deep").await, 3, "in flight still counts");
    d.ack().await.expect("ack");
    assert_eq!(depth_of(&*queue, "deep").await, 2);
    assert_eq!(depth_of(&*queue, "shallow").await, 2);
}
