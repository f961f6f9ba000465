//! A catalog selection of tracks as SQL: the `FROM … WHERE …` shared by adding annotation
//! items from a selection and by the search's descriptor filters.

use crate::annotation::{Range, TrackSelection};
use crate::model::Id;
use serde_json::Value as Json;

use super::Backend;

/// The `FROM … WHERE …` of a selection, its binds from `$first` on.
pub(super) struct SelectionSql {
    pub from_where: String,
    pub binds: Vec<Bind>,
}

pub(super) enum Bind {
    Text(String),
    Real(f64),
}

pub(super) fn selection_sql(
    backend: Backend,
    s: &TrackSelection,
    first: usize,
    ids: &[Id],
) -> SelectionSql {
    let mut from = String::from("FROM tracks t");
    let mut conds: Vec<String> = vec!["1 = 1".into()];
    let mut binds = Vec::new();
    let next = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", first + binds.len() - 1)
    };
    if let Some(artist) = s.artist_id {
        from.push_str(" JOIN albums a ON a.id = t.album_id");
        let p = next(Bind::Text(artist.to_string()), &mut binds);
        conds.push(format!("a.artist_id = {p}"));
    }
    if let Some(album) = s.album_id {
        let p = next(Bind::Text(album.to_string()), &mut binds);
        conds.push(format!("t.album_id = {p}"));
    }
    if s.ready_only {
        conds.push("t.status = 'ready'".into());
    }
    if !ids.is_empty() {
        let list: Vec<String> = ids
            .iter()
            .map(|id| next(Bind::Text(id.to_string()), &mut binds))
            .collect();
        conds.push(format!("t.id IN ({})", list.join(", ")));
    }
    if s.tempo_confidence.is_some() {
        from.push_str(" JOIN track_analysis ta ON ta.track_id = t.id");
    } else if s.bpm.is_some() {
        // A reviewed BPM counts even where the pipeline has not analysed the track.
        from.push_str(" LEFT JOIN track_analysis ta ON ta.track_id = t.id");
    }
    if s.bpm.is_some() {
        from.push_str(" LEFT JOIN track_reviewed rb ON rb.track_id = t.id AND rb.field = 'bpm'");
    }
    let range = |expr: &str, r: &Range, conds: &mut Vec<String>, binds: &mut Vec<Bind>| {
        if let Some(min) = r.min {
            let p = next(Bind::Real(min), binds);
            conds.push(format!("{expr} >= {p}"));
        }
        if let Some(max) = r.max {
            let p = next(Bind::Real(max), binds);
            conds.push(format!("{expr} <= {p}"));
        }
    };
    if let Some(r) = &s.bpm {
        range("COALESCE(rb.num, ta.bpm)", r, &mut conds, &mut binds);
    }
    if let Some(r) = &s.tempo_confidence {
        let expr = match backend {
            Backend::Sqlite => "json_extract(ta.analysis, '$.rhythm.confidence')",
            Backend::Postgres => {
                "CAST(CAST(ta.analysis AS jsonb) #>> '{rhythm,confidence}' AS DOUBLE PRECISION)"
            }
        };
        range(expr, r, &mut conds, &mut binds);
    }
    if let Some(tag) = &s.tag {
        from.push_str(" JOIN track_tags tg ON tg.track_id = t.id");
        let g = next(Bind::Text(tag.group.clone()), &mut binds);
        let n = next(Bind::Text(tag.tag.clone()), &mut binds);
        conds.push(format!("tg.grp = {g} AND tg.tag = {n}"));
        range("tg.confidence", &tag.confidence, &mut conds, &mut binds);
    }
    if let Some(tag) = &s.reviewed_tag {
        from.push_str(" JOIN track_reviewed_tags rt ON rt.track_id = t.id");
        let g = next(Bind::Text(tag.group.clone()), &mut binds);
        let n = next(Bind::Text(tag.tag.clone()), &mut binds);
        conds.push(format!("rt.grp = {g} AND rt.tag = {n}"));
    }
    if let Some(key) = &s.key {
        // Keys are stored as "F# minor" by both the analysis and flow back; the caller
        // normalises what a client wrote.
        from.push_str(
            " LEFT JOIN track_reviewed rk ON rk.track_id = t.id AND rk.field = 'key'
              LEFT JOIN track_analysis tk ON tk.track_id = t.id",
        );
        // A reviewed value is stored as JSON (`"Eb minor"` with its quotes), the analysis's
        // key as plain text.
        let json = next(Bind::Text(Json::from(key.as_str()).to_string()), &mut binds);
        let plain = next(Bind::Text(key.clone()), &mut binds);
        conds.push(format!(
            "CASE WHEN rk.value IS NOT NULL THEN rk.value = {json} \
             ELSE tk.musical_key = {plain} END"
        ));
    }
    if let Some(tagged) = &s.tagged {
        // People's tags of a group replace the tagger's for that group.
        let g = next(Bind::Text(tagged.group.clone()), &mut binds);
        let n = next(Bind::Text(tagged.tag.clone()), &mut binds);
        let c = next(Bind::Real(tagged.min_confidence), &mut binds);
        conds.push(format!(
            "(EXISTS (SELECT 1 FROM track_reviewed_tags r
                      WHERE r.track_id = t.id AND r.grp = {g} AND r.tag = {n})
              OR (NOT EXISTS (SELECT 1 FROM track_reviewed_tags r
                              WHERE r.track_id = t.id AND r.grp = {g})
                  AND EXISTS (SELECT 1 FROM track_tags tt
                              WHERE tt.track_id = t.id AND tt.grp = {g} AND tt.tag = {n}
                                AND tt.confidence >= {c})))"
        ));
    }
    if let Some(reviewed) = s.reviewed {
        let any = "(EXISTS (SELECT 1 FROM track_reviewed r WHERE r.track_id = t.id)
            OR EXISTS (SELECT 1 FROM track_reviewed_tags r WHERE r.track_id = t.id))";
        conds.push(if reviewed {
            any.into()
        } else {
            format!("NOT {any}")
        });
    }
    SelectionSql {
        from_where: format!("{from} WHERE {}", conds.join(" AND ")),
        binds,
    }
}

pub(super) fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s.as_str()),
            Bind::Real(v) => q.bind(*v),
        };
    }
    q
}
