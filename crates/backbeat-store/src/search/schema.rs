//! The index's schema and its text analysis.
//!
//! Titles and names are analysed by one tokenizer (split on anything but letters and digits,
//! lower-case, fold diacritics to ASCII) used both at indexing and at query time, so "Beyoncé",
//! "BEYONCE" and "beyonce" are the same term.
//!
//! Descriptor fields (`bpm` fast f64, `key` untokenised, `tags` facet) are reserved and stay
//! empty: the search's descriptor filters run in SQL (`DocSource::filter_tracks`) because
//! reviewed values change inside annotation transactions that cannot re-index a track.
//!
//! Prefix matching (search-as-you-type) reads a precomputed prefix field per name field: every
//! analysed token is indexed once per leading substring of 1 to [`MAX_PREFIX_CHARS`] characters,
//! so a prefix is one posting list instead of an automaton walk over the term dictionary and
//! the postings of every term it expands to (which cost milliseconds for a one- or
//! two-letter prefix on a 100,000-track catalog). Longer prefixes fall back to the automaton.
//!
//! Any change here needs a new `disk::SCHEMA_VERSION`.

use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
    STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{doc, TantivyDocument};

use crate::model::SearchDoc;

/// Name of the title/name analyser in the index's tokenizer registry.
pub(super) const TOKENIZER: &str = "backbeat_folded";
/// Tokens longer than this (in bytes) are dropped: they are noise, and make fuzzy automata big.
pub(super) const MAX_TOKEN_BYTES: usize = 40;
/// Prefixes up to this many characters are indexed in the prefix fields.
pub(super) const MAX_PREFIX_CHARS: usize = 12;

/// The schema's fields, resolved once.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    pub id: Field,
    pub kind: Field,
    pub title: Field,
    pub artist_id: Field,
    pub artist_name: Field,
    pub album_id: Field,
    pub album_title: Field,
    /// Prefixes of the title's tokens (see the module docs).
    pub title_prefix: Field,
    pub artist_prefix: Field,
    pub album_prefix: Field,
    pub created_at: Field,
}

/// The current schema and its fields.
pub(super) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                // BM25 needs term frequencies; no query uses positions.
                .set_index_option(IndexRecordOption::WithFreqs),
        )
        .set_stored();
    let prefix = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        title: b.add_text_field("title", text.clone()),
        artist_id: b.add_text_field("artist_id", STRING | STORED),
        artist_name: b.add_text_field("artist_name", text.clone()),
        album_id: b.add_text_field("album_id", STRING | STORED),
        album_title: b.add_text_field("album_title", text),
        // One untokenised value per prefix; scored as a constant, so no frequencies.
        title_prefix: b.add_text_field("title_prefix", prefix.clone()),
        artist_prefix: b.add_text_field("artist_prefix", prefix.clone()),
        album_prefix: b.add_text_field("album_prefix", prefix),
        created_at: b.add_i64_field("created_at", STORED | FAST),
    };
    // Reserved descriptor fields (see the module docs); `SearchQuery` grows matching filters.
    b.add_f64_field("bpm", INDEXED | FAST | STORED);
    b.add_text_field("key", STRING | STORED);
    b.add_facet_field("tags", FacetOptions::default().set_stored());
    (b.build(), fields)
}

/// The analyser for titles and names, at indexing and at query time.
pub(super) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The tantivy document for a catalog search document; `analyzer` is [`analyzer`]'s (the
/// prefix fields hold prefixes of the same tokens the text fields index).
pub(super) fn to_document(
    f: &Fields,
    analyzer: &mut TextAnalyzer,
    d: &SearchDoc,
) -> TantivyDocument {
    let mut doc = doc!(
        f.id => d.id.to_string(),
        f.kind => d.kind.as_str(),
        f.title => d.title.as_str(),
        f.artist_id => d.artist_id.to_string(),
        f.artist_name => d.artist_name.as_str(),
        f.created_at => d.created_at,
    );
    if let Some(album_id) = d.album_id {
        doc.add_text(f.album_id, album_id.to_string());
    }
    if let Some(album_title) = &d.album_title {
        doc.add_text(f.album_title, album_title);
    }
    add_prefixes(&mut doc, f.title_prefix, analyzer, &d.title);
    add_prefixes(&mut doc, f.artist_prefix, analyzer, &d.artist_name);
    if let Some(album_title) = &d.album_title {
        add_prefixes(&mut doc, f.album_prefix, analyzer, album_title);
    }
    doc
}

/// Adds every distinct prefix (1 to [`MAX_PREFIX_CHARS`] characters) of `text`'s tokens.
fn add_prefixes(doc: &mut TantivyDocument, field: Field, analyzer: &mut TextAnalyzer, text: &str) {
    let mut seen = std::collections::HashSet::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let token = &stream.token().text;
        let ends = token.char_indices().map(|(i, c)| i + c.len_utf8());
        for end in ends.take(MAX_PREFIX_CHARS) {
            let prefix = &token[..end];
            if seen.insert(prefix.to_owned()) {
                doc.add_text(field, prefix);
            }
        }
    }
}
