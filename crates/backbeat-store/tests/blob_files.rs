//! Blobs to and from local files, small reads and listings (what a worker uses instead of
//! the store's own paths).

use backbeat_store::blob::{BlobStore, PutError};
use backbeat_store::StoreError;
use bytes::Bytes;
use futures_util::stream;

fn store() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(&dir.path().join("blobs")).unwrap();
    (dir, store)
}

async fn put(store: &BlobStore, key: &str, data: &[u8]) {
    let body = stream::iter([Ok::<Bytes, std::io::Error>(Bytes::copy_from_slice(data))]);
    store.put_stream(key, body, u64::MAX).await.unwrap();
}

#[tokio::test]
async fn files_round_trip_through_the_store_as_copies() {
    let (dir, store) = store();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let src = dir.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    assert_eq!(
        store.put_file("a/b.bin", &src, u64::MAX).await.unwrap(),
        data.len() as u64
    );
    let dest = dir.path().join("dest.bin");
    assert_eq!(
        store.fetch_to_file("a/b.bin", &dest).await.unwrap(),
        data.len() as u64
    );
    assert_eq!(std::fs::read(&dest).unwrap(), data);
    // The fetched file is the caller's: writing it leaves the blob alone.
    std::fs::write(&dest, b"changed").unwrap();
    assert_eq!(
        store.read_small("a/b.bin", u64::MAX).await.unwrap().len(),
        data.len()
    );
}

#[tokio::test]
async fn put_file_refuses_oversize_and_missing_files_and_leaves_nothing() {
    let (dir, store) = store();
    let src = dir.path().join("src.bin");
    std::fs::write(&src, vec![1u8; 1000]).unwrap();
    assert!(matches!(
        store.put_file("k", &src, 999).await,
        Err(PutError::TooLarge(999))
    ));
    assert!(matches!(store.head("k").await, Err(StoreError::NotFound)));
    let missing = dir.path().join("missing");
    assert!(matches!(
        store.put_file("k", &missing, 10).await,
        Err(PutError::Store(StoreError::Blob { .. }))
    ));
}

#[tokio::test]
async fn fetching_a_missing_blob_or_a_prefix_is_not_found() {
    let (dir, store) = store();
    put(&store, "p/q/r", b"x").await;
    let dest = dir.path().join("out");
    for key in ["nope", "p/q", "../escape"] {
        assert!(
            matches!(
                store.fetch_to_file(key, &dest).await,
                Err(StoreError::NotFound)
            ),
            "{key}"
        );
    }
}

#[tokio::test]
async fn read_small_reads_whole_blobs_up_to_a_limit() {
    let (_dir, store) = store();
    put(&store, "m.json", b"{\"a\":1}").await;
    assert_eq!(
        &store.read_small("m.json", 7).await.unwrap()[..],
        b"{\"a\":1}"
    );
    assert!(matches!(
        store.read_small("m.json", 6).await,
        Err(StoreError::Blob { .. })
    ));
    assert!(matches!(
        store.read_small("nope", 6).await,
        Err(StoreError::NotFound)
    ));
    put(&store, "empty", b"").await;
    assert!(store.read_small("empty", 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn list_names_every_blob_under_a_prefix_segment_wise() {
    let (_dir, store) = store();
    for key in ["d/t1/seg/b", "d/t1/seg/a", "d/t1/x", "d/t10/a", "other"] {
        put(&store, key, b"x").await;
    }
    assert_eq!(
        store.list("d/t1/").await.unwrap(),
        ["d/t1/seg/a", "d/t1/seg/b", "d/t1/x"]
    );
    assert_eq!(
        store.list("d/t1/seg").await.unwrap(),
        ["d/t1/seg/a", "d/t1/seg/b"]
    );
    assert!(store.list("d/t2/").await.unwrap().is_empty());
    assert!(store.list("nothing").await.unwrap().is_empty());
}
