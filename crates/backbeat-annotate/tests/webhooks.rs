//! Webhook delivery against a real HTTP endpoint on loopback: a resolution's outbox row is
//! POSTed with Standard Webhooks headers whose signature verifies, a failing endpoint is
//! retried on schedule with the same message id, an endpoint that hangs times out, an
//! unreachable one is given up after the last retry, and a project whose webhook was removed
//! fails its rows instead of sending them anywhere.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use backbeat_annotate::webhooks::{secret_key, sign, Deliverer, Pass, RETRY_AFTER_S};
use backbeat_store::annotation::*;
use backbeat_store::prelude::*;
use backbeat_store::sql::SqlCatalog;
use backbeat_store::{new_id, now_millis, AnnotationStore, Id, NewUser, Role};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A request the endpoint received: lower-cased headers and the body.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }
}

/// An HTTP endpoint answering each request with the next status of `script` (the last one
/// repeats); `None` in the script means: read the request and never answer.
async fn endpoint(script: Vec<Option<u16>>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&got);
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let status = script[n.min(script.len() - 1)];
            n += 1;
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    let k = sock.read(&mut chunk).await.unwrap();
                    if k == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break p + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let headers: Vec<(String, String)> = head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .map_or(0, |(_, v)| v.parse().unwrap());
                while buf.len() < head_end + len {
                    let k = sock.read(&mut chunk).await.unwrap();
                    if k == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                }
                seen.lock().unwrap().push(Received {
                    headers,
                    body: buf[head_end..].to_vec(),
                });
                match status {
                    Some(code) => {
                        let reply = format!(
                            "HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        );
                        sock.write_all(reply.as_bytes()).await.unwrap();
                    }
                    None => tokio::time::sleep(Duration::from_secs(3600)).await,
                }
            });
        }
    });
    (url, got)
}

async fn catalog() -> (Arc<SqlCatalog>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
    (Arc::new(SqlCatalog::connect(&url).await.unwrap()), dir)
}

/// A project whose webhook posts to `url`, with one track resolved (one outbox row).
async fn resolved_item(c: &SqlCatalog, url: &str) -> Id {
    let u = c
        .create_user(NewUser {
            email: format!("{}@example.com", new_id().simple()),
            display_name: "U".into(),
            password_hash: "x".into(),
            role: Role::Admin,
        })
        .await
        .unwrap();
    let project = c
        .create_project(NewProject {
            id: new_id(),
            name: "hooked".into(),
            description: String::new(),
            settings: json!({"webhook": {"url": url, "secret": SECRET}}),
            schema: json!({"questions": []}),
            created_by: Some(u.id),
            now: now_millis(),
        })
        .await
        .unwrap()
        .id;
    insert_row(c, project).await;
    project
}

/// Writes an outbox row the way a resolution does: through `route` with a resolving change.
async fn insert_row(c: &SqlCatalog, project: Id) {
    let (_, track) = super::reports::track(c).await;
    let start = ItemStart {
        state: ItemState::New,
        needed: 0,
    };
    let item = NewItem {
        track_id: track,
        start_ms: 0,
        end_ms: 0,
        gold: None,
    };
    c.add_items(project, &[item], start, now_millis())
        .await
        .unwrap();
    let now = now_millis();
    let taken = c
        .take_for_routing(project, 10, now, now + 60_000)
        .await
        .unwrap();
    let routes: Vec<Routed> = taken
        .iter()
        .map(|t| {
            let mut change = ItemChange::from_item(&t.item);
            change.state = ItemState::Resolved;
            change.resolved_at = Some(now);
            change.notify = Some(Notify {
                event: "item.resolved".into(),
                payload: json!({"type": "item.resolved", "data": {"itemId": t.item.id}}),
            });
            Routed {
                item_id: t.item.id,
                annotations: vec![],
                change,
            }
        })
        .collect();
    c.route(&routes, now).await.unwrap();
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_the_same_signed_message() {
    let (c, _dir) = catalog().await;
    let (url, got) = endpoint(vec![Some(503), Some(204)]).await;
    let project = resolved_item(&c, &url).await;
    let store: Arc<dyn AnnotationStore> = c.clone();
    let d = Deliverer::new(store, Duration::from_secs(5)).unwrap();
    let now = now_millis();
    assert_eq!(
        d.pass_at(now).await.unwrap(),
        Pass {
            retried: 1,
            ..Pass::default()
        }
    );
    // Not due again before the first retry delay…
    assert_eq!(
        d.pass_at(now + RETRY_AFTER_S[0] * 1000 - 1).await.unwrap(),
        Pass::default()
    );
    // …and delivered at it.
    assert_eq!(
        d.pass_at(now + RETRY_AFTER_S[0] * 1000).await.unwrap(),
        Pass {
            delivered: 1,
            ..Pass::default()
        }
    );
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    assert_eq!(got[0].body, got[1].body);
    let key = secret_key(SECRET).unwrap();
    for r in &got {
        assert_eq!(r.header("content-type"), "application/json");
        let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
        assert_eq!(
            r.header("webhook-signature"),
            sign(&key, r.header("webhook-id"), ts, &r.body),
            "the signature covers id, timestamp and body"
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["type"], "item.resolved");
    }
    let rows = c.deliveries(project, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].attempts, 2);
    assert!(rows[0].delivered_at.is_some());
}

#[tokio::test]
async fn a_hanging_endpoint_times_out_and_an_unreachable_one_is_given_up() {
    let (c, _dir) = catalog().await;
    let (url, _) = endpoint(vec![None]).await;
    let hanging = resolved_item(&c, &url).await;
    let store: Arc<dyn AnnotationStore> = c.clone();
    let d = Deliverer::new(store, Duration::from_millis(300)).unwrap();
    let now = now_millis();
    let started = std::time::Instant::now();
    assert_eq!(d.pass_at(now).await.unwrap().retried, 1);
    assert!(started.elapsed() < Duration::from_secs(3));
    let row = &c.deliveries(hanging, 1).await.unwrap()[0];
    assert_eq!(
        row.last_error.as_deref(),
        Some("the endpoint did not answer in time")
    );

    // A closed port: every scheduled retry fails, then the row is failed and stays listed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let gone = resolved_item(&c, &format!("http://{closed}/hook")).await;
    // From past the hanging row's first retry (5 s) and the new row's creation.
    let mut t = now_millis() + 10_000;
    let mut failed = 0;
    for _ in 0..=RETRY_AFTER_S.len() {
        failed += d.pass_at(t).await.unwrap().failed;
        t += 11 * 3600 * 1000;
    }
    assert_eq!(failed, 2, "both rows ran out of retries");
    let row = &c.deliveries(gone, 1).await.unwrap()[0];
    assert_eq!(row.attempts, RETRY_AFTER_S.len() as i64 + 1);
    assert!(row.failed_at.is_some() && row.delivered_at.is_none());
    assert!(row
        .last_error
        .as_deref()
        .unwrap()
        .starts_with("could not reach the endpoint"));
    assert_eq!(d.pass_at(t).await.unwrap(), Pass::default());
}

#[tokio::test]
async fn a_removed_webhook_fails_its_rows_without_sending() {
    let (c, _dir) = catalog().await;
    let (url, got) = endpoint(vec![Some(200)]).await;
    let project = resolved_item(&c, &url).await;
    c.set_project_settings(project, &json!({}), now_millis())
        .await
        .unwrap();
    let store: Arc<dyn AnnotationStore> = c.clone();
    let d = Deliverer::new(store, Duration::from_secs(5)).unwrap();
    assert_eq!(d.pass().await.unwrap().failed, 1);
    assert!(got.lock().unwrap().is_empty());
    let row = &c.deliveries(project, 1).await.unwrap()[0];
    assert_eq!(
        row.last_error.as_deref(),
        Some("the project has no webhook any more")
    );
}
