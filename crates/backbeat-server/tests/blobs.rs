//! Signed-URL byte serving: Range edge cases, validators, caching headers, and refusal of any
//! tampered, expired or misdirected signature.

use axum::http::{Method, StatusCode};
use backbeat_store::signing::SignedOp;
use backbeat_store::Role;

use crate::common::TestApp;
use crate::support::{artist_with_album, fixture, path_of, raw, track};

/// A server with one MP3 track; returns the app and the path+query of its stream URL.
async fn streaming() -> (TestApp, String) {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let id = track(&app, &a, &album).await;
    let r = app
        .get(format!("/api/v1/tracks/{id}/stream"))
        .auth(&a)
        .await;
    let url = path_of(r.json()["trackUrl"].as_str().unwrap());
    (app, url)
}

#[tokio::test]
async fn range_requests_cover_every_edge_case() {
    let (app, url) = streaming().await;
    let data = fixture("chord.mp3");
    let n = data.len();
    let get = |range: String| {
        let (app, url) = (&app, url.clone());
        async move { raw(app, Method::GET, &url, &[("range", &range)], vec![]).await }
    };
    for (range, expect) in [
        ("bytes=0-0".to_string(), 0..1),
        ("bytes=0-".to_string(), 0..n),
        ("bytes=100-199".to_string(), 100..200),
        (format!("bytes={}-", n - 10), n - 10..n),
        ("bytes=-10".to_string(), n - 10..n),
        (format!("bytes=-{}", n * 2), 0..n),
        (format!("bytes=10-{}", n * 5), 10..n),
    ] {
        let r = get(range.clone()).await;
        assert_eq!(r.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(r.body.as_ref(), &data[expect.clone()], "{range}");
        let cr = format!("bytes {}-{}/{n}", expect.start, expect.end - 1);
        assert_eq!(r.headers["content-range"], cr.as_str(), "{range}");
        assert_eq!(
            r.headers["content-length"],
            (expect.end - expect.start).to_string().as_str()
        );
    }
    for range in [
        format!("bytes={n}-"),
        format!("bytes={}-{}", n + 5, n + 10),
        "bytes=-0".to_string(),
    ] {
        let r = get(range.clone()).await;
        assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(r.headers["content-range"], format!("bytes */{n}").as_str());
    }
    // Invalid or multiple ranges are ignored: the whole body.
    for range in ["bytes=9-3", "bytes=x-y", "lines=1-2", "bytes=0-1,4-5"] {
        let r = get(range.to_string()).await;
        assert_eq!(r.status, StatusCode::OK, "{range}");
        assert_eq!(r.body.len(), n);
    }
}

#[tokio::test]
async fn head_validators_and_caching_headers() {
    let (app, url) = streaming().await;
    let n = fixture("chord.mp3").len();
    let r = raw(&app, Method::HEAD, &url, &[], vec![]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty());
    assert_eq!(r.headers["content-length"], n.to_string().as_str());
    assert_eq!(r.headers["accept-ranges"], "bytes");
    let cc = r.headers["cache-control"].to_str().unwrap();
    assert!(cc.contains("immutable") && cc.contains("max-age="), "{cc}");
    let etag = r.headers["etag"].to_str().unwrap().to_string();
    let modified = r.headers["last-modified"].to_str().unwrap().to_string();
    let r = raw(&app, Method::GET, &url, &[("if-none-match", &etag)], vec![]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    let r = raw(
        &app,
        Method::GET,
        &url,
        &[("if-modified-since", &modified)],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    // If-Range with the current validator honours the range; a stale one gets everything.
    let r = raw(
        &app,
        Method::GET,
        &url,
        &[("range", "bytes=0-9"), ("if-range", &etag)],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    let r = raw(
        &app,
        Method::GET,
        &url,
        &[("range", "bytes=0-9"), ("if-range", "\"stale\"")],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.len(), n);
    let r = raw(&app, Method::HEAD, &url, &[("range", "bytes=5-")], vec![]).await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers["content-length"], (n - 5).to_string().as_str());
}

#[tokio::test]
async fn any_flipped_byte_of_signature_key_or_expiry_is_refused() {
    let (app, url) = streaming().await;
    assert_eq!(
        raw(&app, Method::GET, &url, &[], vec![]).await.status,
        StatusCode::OK
    );
    let (path, query) = url.split_once('?').unwrap();
    let key_start = "/blobs/".len();
    let mut tried = 0;
    // Every byte of the key (in the path) and of the query (exp and sig values).
    for (i, _) in url.char_indices() {
        let in_key = i >= key_start && i < path.len();
        let in_query_value = i > path.len() && !query.is_empty() && {
            let q = &url[path.len() + 1..];
            let off = i - path.len() - 1;
            // Only value characters (after '='), not names or separators.
            let before = &q[..off];
            let seg_start = before.rfind('&').map_or(0, |p| p + 1);
            q[seg_start..off].contains('=') && q.as_bytes()[off] != b'&'
        };
        if !(in_key || in_query_value) {
            continue;
        }
        let mut bytes = url.clone().into_bytes();
        let c = bytes[i];
        bytes[i] = if c.is_ascii_digit() {
            b'0' + (c - b'0' + 1) % 10
        } else if c == b'a' {
            b'b'
        } else {
            b'a'
        };
        let flipped = String::from_utf8(bytes).unwrap();
        let r = raw(&app, Method::GET, &flipped, &[], vec![]).await;
        assert!(
            r.status == StatusCode::FORBIDDEN
                || r.status == StatusCode::NOT_FOUND && !in_query_value,
            "byte {i} of {url} -> {flipped}: {}",
            r.status
        );
        assert_ne!(r.status, StatusCode::OK);
        tried += 1;
    }
    assert!(tried > 60, "{tried}");
    // Missing parameters.
    assert_eq!(
        raw(&app, Method::GET, path, &[], vec![]).await.status,
        StatusCode::FORBIDDEN
    );
    let no_sig: String = url.split("&sig=").next().unwrap().to_string();
    assert_eq!(
        raw(&app, Method::GET, &no_sig, &[], vec![]).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn expired_and_misdirected_signatures_are_refused() {
    let (app, url) = streaming().await;
    let state = app.state.clone();
    let key = url
        .split_once('?')
        .unwrap()
        .0
        .trim_start_matches("/blobs/")
        .to_string();
    let now = backbeat_store::now_millis() / 1000;
    let expired = state
        .catalog
        .parts()
        .signer
        .sign(SignedOp::Get, &key, now - 1, None);
    assert_eq!(
        raw(
            &app,
            Method::GET,
            &format!("/blobs/{key}?{expired}"),
            &[],
            vec![]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // A valid signature for another key never serves this one, and a PUT signature is no GET.
    let other =
        state
            .catalog
            .parts()
            .signer
            .sign(SignedOp::Get, "audio/someotherkey", now + 600, None);
    assert_eq!(
        raw(
            &app,
            Method::GET,
            &format!("/blobs/{key}?{other}"),
            &[],
            vec![]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let put = state
        .catalog
        .parts()
        .signer
        .sign(SignedOp::Put, &key, now + 600, Some(1000));
    assert_eq!(
        raw(
            &app,
            Method::GET,
            &format!("/blobs/{key}?{put}"),
            &[],
            vec![]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // Hostile keys never reach the file system.
    for bad in [
        "../secret.key",
        "audio/../../secret.key",
        "%2e%2e/secret.key",
        "audio//x",
        "AUDIO/x",
    ] {
        let q = state
            .catalog
            .parts()
            .signer
            .sign(SignedOp::Get, bad, now + 600, None);
        let r = raw(&app, Method::GET, &format!("/blobs/{bad}?{q}"), &[], vec![]).await;
        assert!(
            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{bad}: {}",
            r.status
        );
    }
}

#[tokio::test]
async fn a_real_client_gets_ranges_over_the_wire() {
    let (app, url) = streaming().await;
    let server = app.spawn().await;
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{}{url}", server.base_url))
        .header("range", "bytes=1-100")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 206);
    let body = r.bytes().await.unwrap();
    assert_eq!(body.as_ref(), &fixture("chord.mp3")[1..101]);
}

/// A prefix grant (`/blobs/~{depth}.{exp}.{sig}/{key}`) reads every object below its prefix —
/// with ranges and validators like a single-key URL — and nothing else: not the prefix itself,
/// not a sibling, not after tampering or expiry, and never a write.
#[tokio::test]
async fn prefix_grants_read_below_their_prefix_only() {
    let app = TestApp::new().await;
    let a = app.user(Role::Artist).await;
    let (_, album) = artist_with_album(&app, &a).await;
    let id = track(&app, &a, &album).await;
    let other = track(&app, &a, &album).await;
    let probe = |t: &str| {
        let spec = app.state.catalog.pipeline().graph.job("probe").unwrap();
        backbeat_pipeline::artifacts::output_key(
            t.parse().unwrap(),
            "probe",
            spec.version,
            "probe.json",
        )
    };
    let key = probe(&id);
    let prefix = format!("derived/{id}");
    assert!(key.starts_with(&format!("{prefix}/")), "{key}");
    let grant = app
        .state
        .catalog
        .blobs()
        .grant_prefix(&prefix, 600)
        .unwrap();
    assert!(
        grant.starts_with('~') && grant.ends_with(&prefix),
        "{grant}"
    );
    let below = |k: &str| format!("/blobs/{}{}", grant, &k[prefix.len()..]);

    let r = raw(&app, Method::GET, &below(&key), &[], vec![]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let json = r.json();
    assert!(json.is_object(), "{json}");
    let etag = r.headers["etag"].to_str().unwrap().to_string();
    assert!(r.headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let r = raw(
        &app,
        Method::GET,
        &below(&key),
        &[("range", "bytes=0-0")],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body.as_ref(), b"{");
    let r = raw(
        &app,
        Method::HEAD,
        &below(&key),
        &[("if-none-match", &etag)],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);

    // Another track's outputs, the prefix itself, a tampered or malformed token: 403.
    let sibling = probe(&other);
    let elsewhere = format!("/blobs/{}/{}", grant.split('/').next().unwrap(), sibling);
    let (token, _) = grant.split_once('/').unwrap();
    let tampered = {
        let mut t = token.to_string();
        let last = t.pop().unwrap();
        t.push(if last == 'A' { 'B' } else { 'A' });
        format!("/blobs/{t}/{}", key)
    };
    let deeper = token.replacen("~2.", "~3.", 1);
    for path in [
        elsewhere,
        format!("/blobs/{grant}"),
        tampered,
        format!("/blobs/{deeper}/{key}"),
        format!("/blobs/~x/{key}"),
        format!("/blobs/{token}"),
    ] {
        let r = raw(&app, Method::GET, &path, &[], vec![]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text());
    }
    // Expired.
    let old = app
        .state
        .catalog
        .parts()
        .signer
        .sign_prefix(&prefix, backbeat_store::now_millis() / 1000 - 1)
        .unwrap();
    let r = raw(
        &app,
        Method::GET,
        &format!("/blobs/{old}{}", &key[prefix.len()..]),
        &[],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Read-only: a PUT through a grant writes nothing.
    let r = raw(
        &app,
        Method::PUT,
        &below(&key),
        &[],
        b"overwritten".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = raw(&app, Method::GET, &below(&key), &[], vec![]).await;
    assert_eq!(r.json(), json);
}

#[tokio::test]
async fn cross_origin_players_get_cors_headers_on_answers_errors_and_preflights() {
    let (app, url) = streaming().await;
    let r = raw(
        &app,
        Method::GET,
        &url,
        &[("origin", "https://player.example")],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    let exposed = r.headers["access-control-expose-headers"].to_str().unwrap();
    assert!(
        exposed.contains("Content-Range") && exposed.contains("ETag"),
        "{exposed}"
    );
    // A refusal is readable cross-origin too: the player sees 403, not a network error.
    let tampered = url.replace("sig=", "sig=A");
    let r = raw(&app, Method::GET, &tampered, &[], vec![]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    // The preflight a Range request from another origin needs.
    let r = raw(
        &app,
        Method::OPTIONS,
        &url,
        &[
            ("origin", "https://player.example"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "range"),
        ],
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    let allowed = r.headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("Range"), "{allowed}");
    assert!(r.headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("GET"));
}
