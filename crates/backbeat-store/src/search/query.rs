//! Turning user text into a tantivy query, and results back into hits.
//!
//! User text is never parsed as query syntax: it is run through the index's own analyser and
//! every resulting token becomes a group of term queries built here. Each token must match in
//! some field (AND across tokens, the usual search-as-you-type behaviour); within a token, the
//! score adds up per field (title weighs most) and per tier:
//! - exact term: BM25, plus everything below (an exact term is also a prefix and within any
//!   edit distance of itself), so exact always beats prefix beats fuzzy;
//! - prefix (last token only, the one being typed): constant [`PREFIX`]; one term of the
//!   field's prefix field (see `schema`), or an automaton for prefixes longer than those;
//! - fuzzy (tokens of 4+ characters; 1 edit up to 7 characters, 2 from 8): constant [`FUZZY`],
//!   and for the last token a fuzzy *prefix*, so a typo in a half-typed word still matches.
//!
//! Typo tolerance is a second pass ([`Tiers::WithTypos`]), run only when the exact and prefix
//! tiers do not fill the requested page: fuzzy automata walk a large part of the term
//! dictionary, and their matches rank below every exact or prefix match anyway.

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use super::schema::{Fields, MAX_PREFIX_CHARS};
use super::SearchHit;
use crate::model::{DocKind, Id};

/// Per-field weights: a title match counts more than an artist's or album's name.
const FIELD_WEIGHTS: [(FieldName, f32); 3] = [
    (FieldName::Title, 3.0),
    (FieldName::ArtistName, 1.5),
    (FieldName::AlbumTitle, 1.0),
];
/// Constant score of a prefix match (times the field weight).
const PREFIX: f32 = 1.0;
/// Constant score of a fuzzy match (times the field weight); below [`PREFIX`].
const FUZZY: f32 = 0.5;
/// At most this many tokens of a query are used (bounds the query's cost).
pub(super) const MAX_TOKENS: usize = 8;

#[derive(Clone, Copy)]
enum FieldName {
    Title,
    ArtistName,
    AlbumTitle,
}

/// The analysed tokens of `text`, at most [`MAX_TOKENS`].
pub(super) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while out.len() < MAX_TOKENS && stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Edit distance allowed for a token of `chars` characters.
fn fuzz_distance(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Which match tiers a query includes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Tiers {
    /// Exact and prefix matches only.
    Exact,
    /// Exact, prefix and fuzzy matches.
    WithTypos,
}

/// Whether any of `tokens` is long enough for typo tolerance (else the second pass is moot).
pub(super) fn allows_typos(tokens: &[String]) -> bool {
    tokens.iter().any(|t| fuzz_distance(t.chars().count()) > 0)
}

/// The query for `tokens`, restricted to `kind`; `None` when there is nothing to search for.
pub(super) fn build(
    f: &Fields,
    tokens: &[String],
    kind: Option<DocKind>,
    tiers: Tiers,
) -> Option<BooleanQuery> {
    let last = tokens.len().checked_sub(1)?;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = tokens
        .iter()
        .enumerate()
        .map(|(i, token)| (Occur::Must, token_query(f, token, i == last, tiers)))
        .collect();
    if let Some(kind) = kind {
        let term = Term::from_field_text(f.kind, kind.as_str());
        let filter = TermQuery::new(term, IndexRecordOption::Basic);
        // A filter: it must match but adds nothing to the score.
        clauses.push((
            Occur::Must,
            Box::new(BoostQuery::new(Box::new(filter), 0.0)),
        ));
    }
    Some(BooleanQuery::new(clauses))
}

fn token_query(f: &Fields, token: &str, is_last: bool, tiers: Tiers) -> Box<dyn Query> {
    let chars = token.chars().count();
    let distance = match tiers {
        Tiers::Exact => 0,
        Tiers::WithTypos => fuzz_distance(chars),
    };
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (name, weight) in FIELD_WEIGHTS {
        let (field, prefix_field) = match name {
            FieldName::Title => (f.title, f.title_prefix),
            FieldName::ArtistName => (f.artist_name, f.artist_prefix),
            FieldName::AlbumTitle => (f.album_title, f.album_prefix),
        };
        let term = Term::from_field_text(field, token);
        let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
        should.push((Occur::Should, boosted(exact, weight)));
        if is_last {
            let prefix: Box<dyn Query> = if chars <= MAX_PREFIX_CHARS {
                let term = Term::from_field_text(prefix_field, token);
                let q = TermQuery::new(term, IndexRecordOption::Basic);
                Box::new(ConstScoreQuery::new(Box::new(q), weight * PREFIX))
            } else {
                boosted(
                    FuzzyTermQuery::new_prefix(term.clone(), 0, true),
                    weight * PREFIX,
                )
            };
            should.push((Occur::Should, prefix));
        }
        if distance > 0 {
            let fuzzy = if is_last {
                FuzzyTermQuery::new_prefix(term, distance, true)
            } else {
                FuzzyTermQuery::new(term, distance, true)
            };
            should.push((Occur::Should, boosted(fuzzy, weight * FUZZY)));
        }
    }
    Box::new(BooleanQuery::new(should))
}

fn boosted(q: impl Query, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(q), boost))
}

/// The hit for a stored document; `None` if the document is not one this index wrote.
pub(super) fn hit(
    f: &Fields,
    searcher: &Searcher,
    addr: DocAddress,
    score: f32,
) -> tantivy::Result<Option<SearchHit>> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    let text = |field| {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let id = |field| text(field).and_then(|s| s.parse::<Id>().ok());
    let hit = (|| {
        Some(SearchHit {
            kind: DocKind::parse(&text(f.kind)?)?,
            id: id(f.id)?,
            title: text(f.title)?,
            artist_id: id(f.artist_id)?,
            artist_name: text(f.artist_name)?,
            album_id: id(f.album_id),
            album_title: text(f.album_title),
            score,
        })
    })();
    Ok(hit)
}
