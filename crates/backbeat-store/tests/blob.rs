//! Blob store: atomic uploads that leave nothing behind on failure, range reads, deletes, and
//! keys that can never reach outside the store.

use std::path::{Path, PathBuf};

use backbeat_store::blob::{BlobStore, PutError};
use backbeat_store::StoreError;
use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt};

fn store() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path()).unwrap();
    (dir, store)
}

/// Deterministic content that differs at every position (catches offset mistakes).
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

/// `data` as a body of `chunk`-sized pieces.
fn body(data: &[u8], chunk: usize) -> impl Stream<Item = Result<Bytes, String>> + Send + Unpin {
    let pieces: Vec<_> = data
        .chunks(chunk.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(pieces)
}

/// A body that yields `good` bytes and then fails.
fn failing_body(good: usize) -> impl Stream<Item = Result<Bytes, String>> + Send + Unpin {
    let data = content(good);
    let pieces: Vec<Result<Bytes, String>> = data
        .chunks(64 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .chain([Err("connection reset".to_owned())])
        .collect();
    stream::iter(pieces)
}

async fn read_all(store: &BlobStore, key: &str, range: std::ops::Range<u64>) -> Vec<u8> {
    let mut s = store.get_range(key, range).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = s.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

/// Every file (not folder) under `dir`, relative.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn round_trip_small_and_multipart() {
    let (dir, store) = store();
    for (key, len) in [
        ("uploads/empty", 0),
        ("uploads/small", 1000),
        ("uploads/big", 20_000_123),
    ] {
        let data = content(len);
        let n = store
            .put_stream(key, body(&data, 100_000), u64::MAX)
            .await
            .unwrap();
        assert_eq!(n, len as u64);
        assert_eq!(read_all(&store, key, 0..len as u64).await, data, "{key}");
        let meta = store.head(key).await.unwrap();
        assert_eq!(meta.size, len as u64);
        assert!(
            meta.last_modified > 1_600_000_000_000,
            "{}",
            meta.last_modified
        );
        assert!(!meta.etag.is_empty());
        assert_eq!(
            store.head(key).await.unwrap().etag,
            meta.etag,
            "etag stable"
        );
    }
    let files = files_under(dir.path());
    assert_eq!(files.len(), 3, "no staging files: {files:?}");
}

#[tokio::test]
async fn range_reads_start_middle_end_and_empty() {
    let (_dir, store) = store();
    // Longer than one read chunk so ranges cross chunk boundaries.
    let len = 3 * 1024 * 1024 + 17;
    let data = content(len);
    store
        .put_stream("a/b", body(&data, 1 << 20), u64::MAX)
        .await
        .unwrap();
    let len = len as u64;
    for range in [
        0..1,
        0..len,
        5..1000,
        1_048_570..1_048_580,
        2_000_000..len,
        len - 1..len,
        7..7,
        len..len,
    ] {
        let got = read_all(&store, "a/b", range.clone()).await;
        assert_eq!(
            got,
            &data[range.start as usize..range.end as usize],
            "{range:?}"
        );
    }
}

#[tokio::test]
async fn oversize_is_refused_and_leaves_nothing() {
    let (dir, store) = store();
    for (len, max) in [(1001, 1000), (20_000_000, 9_000_000), (20_000_000, 10_000)] {
        let data = content(len);
        let err = store
            .put_stream("uploads/x/too-big", body(&data, 65_536), max)
            .await
            .unwrap_err();
        assert!(matches!(err, PutError::TooLarge(m) if m == max), "{err:?}");
        assert!(matches!(
            store.head("uploads/x/too-big").await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(files_under(dir.path()), Vec::<PathBuf>::new());
        // The folders the upload created are gone too.
        assert!(!dir.path().join("uploads").exists());
    }
    // Exactly at the limit is fine.
    let n = store
        .put_stream("uploads/exact", body(&content(1000), 7), 1000)
        .await
        .unwrap();
    assert_eq!(n, 1000);
}

#[tokio::test]
async fn body_error_mid_stream_leaves_nothing() {
    let (dir, store) = store();
    for good in [0, 10_000, 12 * 1024 * 1024] {
        let err = store
            .put_stream("uploads/broken", failing_body(good), u64::MAX)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, PutError::Body(m) if m.contains("connection reset")),
            "{err:?}"
        );
        assert!(matches!(
            store.head("uploads/broken").await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            files_under(dir.path()),
            Vec::<PathBuf>::new(),
            "after {good} bytes"
        );
    }
}

/// The request handler's future dropped mid-upload (client gone, server shutting down).
#[tokio::test]
async fn dropped_upload_leaves_nothing() {
    let (dir, store) = store();
    for good in [1000, 3 * 1024 * 1024] {
        let stalls = body(&content(good), 64 * 1024).chain(stream::pending());
        let put = store.put_stream("uploads/dropped", stalls, u64::MAX);
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(200), put).await;
        assert!(timed_out.is_err(), "the body never ends");
        // The staging file is removed in the background; give it a moment.
        for _ in 0..100 {
            if files_under(dir.path()).is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            files_under(dir.path()),
            Vec::<PathBuf>::new(),
            "after {good} bytes"
        );
        assert!(matches!(
            store.head("uploads/dropped").await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn failed_overwrite_keeps_the_old_blob() {
    let (dir, store) = store();
    let old = content(5000);
    store
        .put_stream("k", body(&old, 999), u64::MAX)
        .await
        .unwrap();
    store
        .put_stream("k", failing_body(12 * 1024 * 1024), u64::MAX)
        .await
        .unwrap_err();
    store
        .put_stream("k", body(&content(2000), 10), 1000)
        .await
        .unwrap_err();
    assert_eq!(read_all(&store, "k", 0..5000).await, old);
    assert_eq!(files_under(dir.path()), vec![PathBuf::from("k")]);
}

#[tokio::test]
async fn overwrite_replaces_content() {
    let (dir, store) = store();
    store
        .put_stream("k/v", body(&content(10_000), 512), u64::MAX)
        .await
        .unwrap();
    let before = store.head("k/v").await.unwrap();
    let new: Vec<u8> = content(20_000).into_iter().rev().collect();
    store
        .put_stream("k/v", body(&new, 512), u64::MAX)
        .await
        .unwrap();
    assert_eq!(read_all(&store, "k/v", 0..20_000).await, new);
    let after = store.head("k/v").await.unwrap();
    assert_eq!(after.size, 20_000);
    assert_ne!(after.etag, before.etag);
    assert_eq!(files_under(dir.path()), vec![PathBuf::from("k/v")]);
}

#[tokio::test]
async fn delete_and_delete_prefix() {
    let (dir, store) = store();
    for key in [
        "derived/t1/a",
        "derived/t1/hls/b",
        "derived/t1/hls/c",
        "derived/t10/a",
        "keep",
    ] {
        store.put_stream(key, body(b"x", 1), 10).await.unwrap();
    }
    assert_eq!(store.delete_prefix("derived/t1/").await.unwrap(), 3);
    // Segment-wise: `derived/t1` does not cover `derived/t10`.
    assert!(store.head("derived/t10/a").await.is_ok());
    assert_eq!(store.delete_prefix("derived/t1").await.unwrap(), 0);
    assert_eq!(store.delete_prefix("nothing/here/").await.unwrap(), 0);

    store.delete("keep").await.unwrap();
    store.delete("keep").await.unwrap(); // absent is fine
    assert!(matches!(
        store.head("keep").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        files_under(dir.path()),
        vec![PathBuf::from("derived/t10/a")]
    );
}

#[tokio::test]
async fn missing_blobs_are_not_found() {
    let (_dir, store) = store();
    assert!(matches!(
        store.head("nope").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_range("nope", 0..10).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_range("nope", 0..0).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn hostile_keys_are_refused_everywhere() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("blobs");
    let store = BlobStore::local(&root).unwrap();
    // Something outside the store that traversal would reach.
    std::fs::write(outer.path().join("secret"), b"secret").unwrap();
    let long = "a".repeat(10_000);
    let hostile = [
        "../secret",
        "../x",
        "/etc/passwd",
        "a//b",
        ".",
        "..",
        "",
        "/",
        "a/",
        "a/../../secret",
        "\u{e9}t\u{e9}",
        "\u{202e}x",
        "a\\..\\secret",
        "%2e%2e/secret",
        "a\0b",
        "a#1",
        "A",
        &long,
    ];
    for key in hostile {
        let put = store.put_stream(key, body(b"evil", 2), 100).await;
        assert!(
            matches!(put, Err(PutError::Store(StoreError::NotFound))),
            "put {key:?}: {put:?}"
        );
        assert!(
            matches!(store.head(key).await, Err(StoreError::NotFound)),
            "head {key:?}"
        );
        assert!(store.get_range(key, 0..6).await.is_err(), "get {key:?}");
        assert!(store.delete(key).await.is_err(), "delete {key:?}");
        // `a/` is a fine prefix (of `a/...`), only a poor key.
        if key != "a/" {
            assert!(
                store.delete_prefix(key).await.is_err(),
                "delete_prefix {key:?}"
            );
        }
        let copy = outer.path().join("copy");
        assert!(
            store.fetch_to_file(key, &copy).await.is_err(),
            "fetch_to_file {key:?}"
        );
        assert!(!copy.exists(), "fetch_to_file {key:?} wrote a copy");
    }
    assert_eq!(
        std::fs::read(outer.path().join("secret")).unwrap(),
        b"secret"
    );
    assert_eq!(files_under(&root), Vec::<PathBuf>::new());
}

/// A fetched file is a copy: writing to it (as a job may) leaves the blob as committed, and a
/// folder or a missing key is `NotFound`, not an empty copy.
#[tokio::test]
async fn fetched_files_are_copies() {
    let (dir, store) = store();
    store
        .put_stream("uploads/u1", body(b"abc", 1), 10)
        .await
        .unwrap();
    let copy = dir.path().join("copy");
    assert_eq!(store.fetch_to_file("uploads/u1", &copy).await.unwrap(), 3);
    assert_eq!(std::fs::read(&copy).unwrap(), b"abc");
    std::fs::write(&copy, b"changed by a job").unwrap();
    assert_eq!(read_all(&store, "uploads/u1", 0..3).await, b"abc");
    for missing in ["uploads", "uploads/u2"] {
        assert!(
            matches!(
                store.fetch_to_file(missing, &dir.path().join("x")).await,
                Err(StoreError::NotFound)
            ),
            "{missing}"
        );
    }
}

/// A 10 MiB blob comes back byte for byte through the chunked read-ahead path (and a range
/// that straddles chunk boundaries too). Throughput is measured by `bench/api_load.sh`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_blobs_read_back_exactly() {
    let (_dir, store) = store();
    let len = 10 * 1024 * 1024;
    let data = content(len);
    store
        .put_stream("big", body(&data, 1 << 20), u64::MAX)
        .await
        .unwrap();
    for range in [0..len, (1 << 20) - 7..(3 << 20) + 11] {
        let mut s = store
            .get_range("big", range.start as u64..range.end as u64)
            .await
            .unwrap();
        let mut got = Vec::with_capacity(range.len());
        while let Some(chunk) = s.next().await {
            got.extend_from_slice(&chunk.unwrap());
        }
        assert!(got == data[range.clone()], "range {range:?}");
    }
}

#[test]
fn blob_locations_parse_and_refuse_what_they_cannot_name() {
    use backbeat_store::blob::BlobLocation;
    let local: BlobLocation = "file:///srv/backbeat/blobs".parse().unwrap();
    assert_eq!(local, BlobLocation::Local("/srv/backbeat/blobs".into()));
    assert_eq!(local.to_string(), "file:///srv/backbeat/blobs");
    let s3: BlobLocation = "s3://music-bucket/catalog/".parse().unwrap();
    assert_eq!(
        s3,
        BlobLocation::S3 {
            bucket: "music-bucket".into(),
            prefix: "catalog".into()
        }
    );
    assert_eq!(s3.to_string(), "s3://music-bucket/catalog");
    for bad in [
        "",
        "blobs",
        "file://relative/dir",
        "s3://",
        "s3://UPPER",
        "s3://ab",
        "http://x/y",
        "s3://bucket with space",
    ] {
        let e = bad.parse::<BlobLocation>().unwrap_err().to_string();
        assert!(e.contains("expected `file://"), "{bad:?}: {e}");
    }
}
