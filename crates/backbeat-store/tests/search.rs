//! Search index: matching (prefix, typos, diacritics), ranking, filters and pages, writes that
//! are visible on return, rebuilds from the catalog, hostile input, persistence.

mod fake_catalog;
mod perf;

use backbeat_store::model::{new_id, DocKind, DocScope, SearchDoc};
use backbeat_store::search::{SearchIndex, SearchQuery, SearchResults};
use backbeat_store::StoreError;
use fake_catalog::FakeCatalog;

fn artist(name: &str) -> SearchDoc {
    let id = new_id();
    SearchDoc {
        kind: DocKind::Artist,
        id,
        title: name.into(),
        artist_id: id,
        artist_name: name.into(),
        album_id: None,
        album_title: None,
        created_at: 1_700_000_000_000,
    }
}

fn album(artist: &SearchDoc, title: &str) -> SearchDoc {
    let id = new_id();
    SearchDoc {
        kind: DocKind::Album,
        id,
        title: title.into(),
        album_id: Some(id),
        album_title: Some(title.into()),
        ..artist.clone()
    }
}

fn track(album: &SearchDoc, title: &str) -> SearchDoc {
    SearchDoc {
        kind: DocKind::Track,
        id: new_id(),
        title: title.into(),
        ..album.clone()
    }
}

/// A small catalog: (every document, the Beatles' artist document).
fn catalog() -> (Vec<SearchDoc>, SearchDoc) {
    let beatles = artist("The Beatles");
    let abbey = album(&beatles, "Abbey Road");
    let help = album(&beatles, "Help!");
    let mystery = album(&beatles, "Magical Mystery Tour");
    let beyonce = artist("Beyoncé");
    let fierce = album(&beyonce, "I Am... Sasha Fierce");
    let radiohead = artist("Radiohead");
    let ok = album(&radiohead, "OK Computer");
    let cafe = artist("Café Tacvba");
    let re = album(&cafe, "Re");
    let docs = vec![
        track(&abbey, "Come Together"),
        track(&abbey, "Something"),
        track(&help, "Help!"),
        track(&help, "Yesterday"),
        track(&mystery, "Strawberry Fields Forever"),
        track(&fierce, "Halo"),
        track(&ok, "Karma Police"),
        track(&re, "La Ingrata"),
        abbey,
        help,
        mystery,
        fierce,
        ok,
        re,
        beatles.clone(),
        beyonce,
        radiohead,
        cafe,
    ];
    (docs, beatles)
}

async fn index_with(docs: Vec<SearchDoc>) -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    index.upsert(docs).await.unwrap();
    index
}

fn query(text: &str, kind: Option<DocKind>) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        kind,
        limit: 20,
        offset: 0,
    }
}

fn search(index: &SearchIndex, text: &str, kind: Option<DocKind>) -> SearchResults {
    index.search(&query(text, kind)).unwrap()
}

/// Titles of the hits, best first.
fn titles(index: &SearchIndex, text: &str, kind: Option<DocKind>) -> Vec<String> {
    search(index, text, kind)
        .hits
        .into_iter()
        .map(|h| h.title)
        .collect()
}

#[tokio::test]
async fn prefix_of_the_last_term_matches() {
    let (docs, _) = catalog();
    let index = index_with(docs).await;
    assert_eq!(
        titles(&index, "beatl", Some(DocKind::Artist)),
        ["The Beatles"]
    );
    assert_eq!(
        titles(&index, "the beatl", Some(DocKind::Artist)),
        ["The Beatles"]
    );
    assert_eq!(
        titles(&index, "abbey ro", Some(DocKind::Album)),
        ["Abbey Road"]
    );
    assert_eq!(
        titles(&index, "Str", Some(DocKind::Track)),
        ["Strawberry Fields Forever"]
    );
    // Only the last term is a prefix: "beatl" before another word must be a whole term.
    assert_eq!(search(&index, "beatl yesterday", None).total, 0);
    // Tracks are found by their artist's and album's names too.
    assert_eq!(
        titles(&index, "beatles yesterd", Some(DocKind::Track)),
        ["Yesterday"]
    );
}

#[tokio::test]
async fn typos_within_one_and_two_edits() {
    let (docs, _) = catalog();
    let index = index_with(docs).await;
    // 4–7 characters: one edit (a transposition counts as one).
    assert_eq!(
        titles(&index, "beatels", Some(DocKind::Artist)),
        ["The Beatles"]
    );
    // "Yesterday" is on the album "Help!": found too, but below the title match.
    assert_eq!(
        titles(&index, "hlep", Some(DocKind::Track)),
        ["Help!", "Yesterday"]
    );
    assert_eq!(titles(&index, "karma polise", None), ["Karma Police"]);
    assert_eq!(
        search(&index, "yestrdy", None).total,
        0,
        "two edits in 7 chars"
    );
    // 8 and more: two edits.
    assert_eq!(
        titles(&index, "strwbery fields", None),
        ["Strawberry Fields Forever"]
    );
    assert_eq!(titles(&index, "radoihaed", None)[0], "Radiohead");
    // Under 4 characters: exact (or, for the last term, prefix) only.
    assert_eq!(search(&index, "lrt", None).total, 0);
    assert_eq!(search(&index, "hap together", None).total, 0);
}

#[tokio::test]
async fn case_and_diacritics_fold() {
    let (docs, _) = catalog();
    let index = index_with(docs).await;
    for q in ["beyonce", "Beyoncé", "BEYONCÉ", "beyoncè", "BeYoN"] {
        assert_eq!(titles(&index, q, Some(DocKind::Artist)), ["Beyoncé"], "{q}");
    }
    assert_eq!(
        titles(&index, "cafe tacvba", Some(DocKind::Artist)),
        ["Café Tacvba"]
    );
    assert_eq!(
        titles(&index, "CAFÉ", Some(DocKind::Artist)),
        ["Café Tacvba"]
    );
}

#[tokio::test]
async fn exact_beats_prefix_beats_fuzzy() {
    let various = artist("Various");
    let comp = album(&various, "Compilation");
    let index = index_with(vec![
        track(&comp, "Hallo"),
        track(&comp, "Halogen"),
        track(&comp, "Halo"),
        track(&comp, "Unrelated"),
    ])
    .await;
    assert_eq!(titles(&index, "halo", None), ["Halo", "Halogen", "Hallo"]);
    let hits = search(&index, "halo", None).hits;
    assert!(
        hits[0].score > hits[1].score && hits[1].score > hits[2].score,
        "{hits:?}"
    );
}

/// Typo matches are a second pass: they come only when exact and prefix matches do not fill
/// the requested page, and then below all of those.
#[tokio::test]
async fn typos_only_when_the_page_is_not_full() {
    let various = artist("Various");
    let comp = album(&various, "Compilation");
    let index = index_with(vec![
        track(&comp, "Halo"),
        track(&comp, "Halogen"),
        track(&comp, "Hallo"),
    ])
    .await;
    let page = |limit, offset| {
        index
            .search(&SearchQuery {
                text: "halo".into(),
                kind: None,
                limit,
                offset,
            })
            .unwrap()
    };
    // Two exact/prefix matches fill a page of two: no typo pass, the total counts those.
    let full = page(2, 0);
    assert_eq!(full.total, 2);
    let two: Vec<_> = full.hits.iter().map(|h| h.title.as_str()).collect();
    assert_eq!(two, ["Halo", "Halogen"]);
    // A page of three, or the page after the exact matches, needs the typo pass.
    assert_eq!(page(3, 0).total, 3);
    let next = page(2, 2);
    assert_eq!(next.total, 3);
    assert_eq!(next.hits.len(), 1);
    assert_eq!(next.hits[0].title, "Hallo");
}

/// Prefixes longer than the indexed prefix length fall back to the term-dictionary automaton.
#[tokio::test]
async fn long_prefixes_and_non_ascii_prefixes_match() {
    let various = artist("Various");
    let comp = album(&various, "Compilation");
    let index = index_with(vec![
        track(&comp, "Supercalifragilisticexpialidocious"),
        track(&comp, "Ørsted Überlandstraße"),
    ])
    .await;
    for q in [
        "s",
        "supercal",
        "supercalifrag",
        "supercalifragilisticexpiali",
    ] {
        assert_eq!(
            titles(&index, q, Some(DocKind::Track)),
            ["Supercalifragilisticexpialidocious"],
            "{q}"
        );
    }
    for q in ["ors", "Ørst", "uberl", "Überlandstra", "überlandstrass"] {
        assert_eq!(
            titles(&index, q, Some(DocKind::Track)),
            ["Ørsted Überlandstraße"],
            "{q}"
        );
    }
    assert_eq!(
        search(&index, "supercalifragilisticexpialidociousxyz", None).total,
        0
    );
}

#[tokio::test]
async fn title_matches_weigh_more_than_names() {
    let radio = artist("Radio");
    let by_radio = album(&radio, "Waves");
    let someone = artist("Someone");
    let by_someone = album(&someone, "Sounds");
    let index = index_with(vec![
        track(&by_radio, "Brain Cycles"),
        track(&by_someone, "Radio"),
        track(&by_radio, "Static"),
    ])
    .await;
    let got = titles(&index, "radio", Some(DocKind::Track));
    assert_eq!(got[0], "Radio", "{got:?}");
    assert_eq!(got.len(), 3);
}

#[tokio::test]
async fn kind_filter() {
    let (docs, _) = catalog();
    let index = index_with(docs).await;
    // The album "Help!", its title track, and "Yesterday" (on that album).
    let all = search(&index, "help", None);
    assert_eq!(all.total, 3, "{:?}", all.hits);
    assert_eq!(titles(&index, "help", Some(DocKind::Album)), ["Help!"]);
    let tracks = search(&index, "help", Some(DocKind::Track)).hits;
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0].kind, DocKind::Track);
    assert_eq!(tracks[0].album_title.as_deref(), Some("Help!"));
    assert_eq!(tracks[0].artist_name, "The Beatles");
    assert_eq!(search(&index, "help", Some(DocKind::Artist)).total, 0);
}

#[tokio::test]
async fn pagination_and_total() {
    let pager = artist("Pager");
    let alb = album(&pager, "Pages");
    let index = index_with((0..25).map(|i| track(&alb, &format!("Song {i}"))).collect()).await;
    let mut seen = std::collections::HashSet::new();
    for (offset, expected) in [(0, 10), (10, 10), (20, 5), (25, 0), (1000, 0)] {
        let q = SearchQuery {
            offset,
            limit: 10,
            ..query("song", Some(DocKind::Track))
        };
        let page = index.search(&q).unwrap();
        assert_eq!(page.total, 25);
        assert_eq!(page.hits.len(), expected, "offset {offset}");
        seen.extend(page.hits.into_iter().map(|h| h.id));
    }
    assert_eq!(seen.len(), 25, "pages overlap or miss documents");
    let none = index
        .search(&SearchQuery {
            limit: 0,
            ..query("song", None)
        })
        .unwrap();
    assert_eq!((none.hits.len(), none.total), (0, 25));
}

#[tokio::test]
async fn upsert_replaces_without_duplicates() {
    let a = artist("Replacer");
    let alb = album(&a, "Versions");
    let t = track(&alb, "Old Name");
    let index = index_with(vec![a, alb, t.clone()]).await;
    assert_eq!(index.num_docs(), 3);
    index
        .upsert(vec![SearchDoc {
            title: "New Name".into(),
            ..t.clone()
        }])
        .await
        .unwrap();
    assert_eq!(index.num_docs(), 3);
    assert_eq!(search(&index, "old", None).total, 0);
    assert_eq!(titles(&index, "new name", None), ["New Name"]);
    // Two versions in one batch: the last one wins.
    let batch = vec![
        SearchDoc {
            title: "First".into(),
            ..t.clone()
        },
        SearchDoc {
            title: "Second".into(),
            ..t.clone()
        },
    ];
    index.upsert(batch).await.unwrap();
    assert_eq!(index.num_docs(), 3);
    assert_eq!(search(&index, "first", None).total, 0);
    assert_eq!(titles(&index, "second", None), ["Second"]);
}

#[tokio::test]
async fn delete_scopes() {
    let (docs, beatles) = catalog();
    let n = docs.len() as u64;
    let karma = docs
        .iter()
        .find(|d| d.title == "Karma Police")
        .unwrap()
        .clone();
    let ok = docs
        .iter()
        .find(|d| d.title == "OK Computer")
        .unwrap()
        .clone();
    let index = index_with(docs).await;

    index.delete(DocScope::Artist(beatles.id)).await.unwrap();
    // The artist, its 3 albums and 5 tracks.
    assert_eq!(index.num_docs(), n - 9);
    for q in ["beatles", "yesterday", "abbey road", "strawberry"] {
        assert_eq!(search(&index, q, None).total, 0, "{q}");
    }
    assert_eq!(
        titles(&index, "beyonce", Some(DocKind::Artist)),
        ["Beyoncé"]
    );

    index.delete(DocScope::Track(karma.id)).await.unwrap();
    assert_eq!(search(&index, "karma", None).total, 0);
    assert_eq!(titles(&index, "computer", None), ["OK Computer"]);
    index
        .delete(DocScope::Album(ok.album_id.unwrap()))
        .await
        .unwrap();
    assert_eq!(search(&index, "computer", None).total, 0);
    assert_eq!(titles(&index, "radiohead", None), ["Radiohead"]);
    assert_eq!(index.num_docs(), n - 11);
    // Deleting what is not there is fine.
    index.delete(DocScope::Artist(new_id())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_upserts_are_all_visible_with_few_commits() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let a = artist("Crowd");
    let alb = album(&a, "Together");
    let before = index.commit_count();
    let writes = (0..100).map(|i| {
        let index = index.clone();
        let doc = track(&alb, &format!("Concurrent {i}"));
        tokio::spawn(async move {
            index.upsert(vec![doc.clone()]).await.unwrap();
            // Visible as soon as the call returns.
            let hit = index
                .search(&query(&format!("concurrent {i}"), None))
                .unwrap();
            assert!(hit.hits.iter().any(|h| h.id == doc.id), "{i} not visible");
        })
    });
    for w in futures_util::future::join_all(writes).await {
        w.unwrap();
    }
    assert_eq!(index.num_docs(), 100);
    assert_eq!(search(&index, "concurrent", None).total, 100);
    let commits = index.commit_count() - before;
    assert!(commits < 50, "{commits} commits for 100 concurrent upserts");
}

#[tokio::test]
async fn rebuild_replaces_everything() {
    let (docs, _) = catalog();
    let n = docs.len() as u64;
    let index = SearchIndex::in_memory().unwrap();
    assert!(index.needs_rebuild());
    let stale = artist("Stale Leftover");
    index.upsert(vec![stale]).await.unwrap();
    let count = index.rebuild(&FakeCatalog::with_docs(docs)).await.unwrap();
    assert_eq!(count, n);
    assert_eq!(index.num_docs(), n);
    assert!(!index.needs_rebuild());
    assert_eq!(search(&index, "stale", None).total, 0);
    assert_eq!(titles(&index, "halo", Some(DocKind::Track)), ["Halo"]);
}

#[tokio::test]
async fn rebuild_pages_through_exact_multiples() {
    let a = artist("Pages");
    let alb = album(&a, "Many");
    let mut docs: Vec<_> = (0..2000)
        .map(|i| track(&alb, &format!("Track {i}")))
        .collect();
    docs.extend([a, alb]);
    let index = SearchIndex::in_memory().unwrap();
    assert_eq!(
        index.rebuild(&FakeCatalog::with_docs(docs)).await.unwrap(),
        2002
    );
    assert_eq!(search(&index, "track", Some(DocKind::Track)).total, 2000);
}

#[tokio::test]
async fn failed_rebuild_keeps_the_old_index() {
    let (docs, _) = catalog();
    let n = docs.len() as u64;
    let index = index_with(docs.clone()).await;
    let mut sorted = docs;
    sorted.sort_by_key(|d| d.id);
    let failing = FakeCatalog::from_fn(move |kind, after, limit| match kind {
        // Artists and albums go through; tracks fail half-way.
        DocKind::Track => Err(StoreError::database(
            "reading search documents",
            sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
        )),
        _ => Ok(fake_catalog::page_of(&sorted, kind, after, limit)),
    });
    let err = index.rebuild(&failing).await.unwrap_err();
    assert!(matches!(err, StoreError::Database { .. }), "{err:?}");
    assert_eq!(index.num_docs(), n);
    assert_eq!(titles(&index, "yesterday", None), ["Yesterday"]);
    // The writer is still usable.
    index.upsert(vec![artist("After Failure")]).await.unwrap();
    assert_eq!(index.num_docs(), n + 1);
}

#[tokio::test]
async fn hostile_queries_are_harmless() {
    let (docs, _) = catalog();
    let index = index_with(docs).await;
    let long = "beatles ".repeat(1300);
    let hostile = [
        "",
        " ",
        "\t\n",
        "!!!",
        "...",
        "*",
        "?",
        "~",
        "\\",
        "\"",
        "'",
        "title:x AND (",
        "title:halo",
        "a OR b",
        "NOT halo",
        "+halo -help",
        "halo^10",
        "[a TO z]",
        "{ }",
        "/re.*gex/",
        "halo~2",
        "\u{0}",
        "\u{202e}olah",
        "日本語の曲",
        "🎵🎶",
        "ǅ",
        "ﬃ",
        &long,
        &"x".repeat(10_000),
    ];
    for text in hostile {
        for kind in [None, Some(DocKind::Track)] {
            let res = index.search(&query(text, kind));
            assert!(res.is_ok(), "{:?}: {res:?}", &text[..text.len().min(30)]);
        }
    }
    // Syntax characters are just separators.
    assert_eq!(titles(&index, "halo*", Some(DocKind::Track)), ["Halo"]);
    assert_eq!(titles(&index, "(halo)", Some(DocKind::Track)), ["Halo"]);
    // Unreasonable pages are clamped, not fatal.
    for (limit, offset) in [(usize::MAX, 0), (10, usize::MAX), (usize::MAX, usize::MAX)] {
        let q = SearchQuery {
            limit,
            offset,
            ..query("help", None)
        };
        assert_eq!(index.search(&q).unwrap().total, 3);
    }
}

#[tokio::test]
async fn persists_across_reopen_and_recreates_on_schema_change() {
    let dir = tempfile::tempdir().unwrap();
    let (docs, _) = catalog();
    let n = docs.len() as u64;
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert!(index.needs_rebuild(), "a new index needs a rebuild");
        index.rebuild(&FakeCatalog::with_docs(docs)).await.unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not ours").unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert!(!index.needs_rebuild());
        assert_eq!(index.num_docs(), n);
        assert_eq!(
            titles(&index, "beyonce", Some(DocKind::Artist)),
            ["Beyoncé"]
        );
        // A second handle on the same folder is refused while this one writes.
        assert!(SearchIndex::open(dir.path()).is_err());
    }
    // An index written by another schema version is recreated empty.
    std::fs::write(
        dir.path().join("backbeat-schema-version"),
        "backbeat-search-0",
    )
    .unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    assert!(index.needs_rebuild());
    assert_eq!(index.num_docs(), 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "not ours"
    );
    drop(index);
    let index = SearchIndex::open(dir.path()).unwrap();
    assert!(index.needs_rebuild(), "still empty until rebuilt");
}
