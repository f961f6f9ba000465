//! The index at catalog scale: a generated 100,000-track catalog rebuilds completely and its
//! titles are found. Timing is not checked here; `bench/api_load.sh` measures indexing and
//! search latency against a release build.

use backbeat_store::model::{DocKind, Id, SearchDoc};
use backbeat_store::search::{SearchIndex, SearchQuery};

use super::fake_catalog::FakeCatalog;

const TRACKS: u128 = 100_000;
const ALBUMS: u128 = 10_000;
const ARTISTS: u128 = 2_000;

/// A pseudo-word vocabulary from syllables: realistic term-dictionary size and shape.
fn word(n: u64) -> String {
    const SYL: [&str; 24] = [
        "la", "mo", "ri", "ken", "do", "sa", "vel", "tor", "mi", "an", "gre", "lu", "bel", "shi",
        "na", "ro", "qua", "ze", "fin", "ot", "pa", "dre", "sol", "ny",
    ];
    let mut h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
    let len = 2 + (h % 3);
    let mut w = String::new();
    for _ in 0..len {
        w.push_str(SYL[(h % 24) as usize]);
        h /= 24;
    }
    w
}

/// A title of 1–4 words drawn (skewed) from a 5,000-word vocabulary.
fn title(seed: u128) -> String {
    let mut h = (seed as u64)
        .wrapping_mul(0xD134_2543_DE82_EF95)
        .rotate_left(17);
    let words = 1 + h % 4;
    (0..words)
        .map(|_| {
            h = h
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (h >> 33) % 5000;
            word(r * r / 5000) // skew towards common words
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn id(kind: DocKind, n: u128) -> Id {
    let tag = match kind {
        DocKind::Artist => 1u128,
        DocKind::Album => 2,
        DocKind::Track => 3,
    };
    Id::from_u128((tag << 64) | n)
}

fn generated(kind: DocKind, n: u128) -> SearchDoc {
    let (album, artist) = match kind {
        DocKind::Track => (n % ALBUMS, (n % ALBUMS) % ARTISTS),
        DocKind::Album => (n, n % ARTISTS),
        DocKind::Artist => (0, n),
    };
    let artist_name = title(1_000_000 + artist);
    let album_title = title(2_000_000 + album);
    SearchDoc {
        kind,
        id: id(kind, n),
        title: match kind {
            DocKind::Track => title(n),
            DocKind::Album => album_title.clone(),
            DocKind::Artist => artist_name.clone(),
        },
        artist_id: id(DocKind::Artist, artist),
        artist_name,
        album_id: (kind != DocKind::Artist).then(|| id(DocKind::Album, album)),
        album_title: (kind != DocKind::Artist).then_some(album_title),
        created_at: 1_700_000_000_000 + n as i64,
    }
}

fn generator() -> FakeCatalog {
    FakeCatalog::from_fn(|kind, after, limit| {
        let count = match kind {
            DocKind::Track => TRACKS,
            DocKind::Album => ALBUMS,
            DocKind::Artist => ARTISTS,
        };
        let start = after.map_or(0, |a| (a.as_u128() & u128::from(u64::MAX)) + 1);
        let end = (start + u128::from(limit)).min(count);
        Ok((start..end).map(|n| generated(kind, n)).collect())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100k_catalog_rebuilds_completely_and_finds_its_titles() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let count = index.rebuild(&generator()).await.unwrap();
    assert_eq!(count as u128, TRACKS + ALBUMS + ARTISTS);
    assert_eq!(u128::from(index.num_docs()), TRACKS + ALBUMS + ARTISTS);
    for n in (0..TRACKS).step_by(997).take(60) {
        let q = SearchQuery {
            text: title(n),
            kind: Some(DocKind::Track),
            limit: 100,
            offset: 0,
        };
        let res = index.search(&q).unwrap();
        assert!(res.total >= 1, "{:?} found nothing", q.text);
    }
}
