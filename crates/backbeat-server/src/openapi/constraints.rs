//! What the handlers' annotations leave out of the document: the values an enum-valued query
//! parameter or body field takes, the length bounds of every name and title, the shape of an
//! e-mail address. Each rule is built from the constant (or enum) the validation itself uses,
//! so the document cannot promise more than the server accepts; `tests/openapi.rs` then sends
//! each documented bound and value to the server and checks it agrees.
//!
//! Applied to the finished document as JSON, since the same keyword lands on parameters and
//! on properties of several schemas alike.

use backbeat_catalog::accounts::{input, password, MAX_KEY_NAME};
use backbeat_catalog::{albums, artists, playlists, search, text, tracks};
use backbeat_store::{AlbumKind, DocKind, Role, SortOrder};
use serde_json::{json, Map, Value};

use crate::dto::SortKey;

/// Roles a visitor may pick at registration (admins are appointed by admins).
pub const REGISTRABLE_ROLES: [Role; 2] = [Role::Listener, Role::Artist];

/// A required display text of at most `max` characters, as `text::clean_text` accepts it:
/// no control characters, line separators or bidi controls anywhere, and at least one
/// character that is neither whitespace nor invisible.
fn text(max: usize) -> Value {
    json!({"minLength": 1, "maxLength": max, "pattern": text_pattern()})
}

/// The pattern of [`text`], built from `text.rs`'s own tables. `\uXXXX` escapes read the same
/// in ECMA-262, Python and Rust regexes, but reach only the Basic Multilingual Plane: the few
/// invisible characters above it (tag characters, musical-symbol formatting) are not said.
fn text_pattern() -> String {
    let class = |ranges: &[(char, char)]| -> String {
        ranges
            .iter()
            .filter(|(lo, _)| u32::from(*lo) <= 0xFFFF)
            .map(|&(lo, hi)| {
                let hi = u32::from(hi).min(0xFFFF);
                format!("\\u{:04x}-\\u{hi:04x}", u32::from(lo))
            })
            .collect()
    };
    let mut refused = vec![
        ('\u{0}', '\u{1f}'),
        ('\u{7f}', '\u{9f}'),
        text::LINE_SEPARATORS,
    ];
    refused.extend(text::BIDI_CONTROLS);
    let refused = class(&refused);
    let invisible = class(text::INVISIBLE);
    format!("^[^{refused}]*[^\\s{refused}{invisible}][^{refused}]*$")
}

/// An e-mail address as `accounts::input::email` accepts it (after trimming and lower-casing):
/// a local part without spaces, quotes or brackets and without leading, trailing or doubled
/// dots; a domain of two or more labels of letters, digits and inner hyphens, the last of at
/// least two characters.
fn email() -> Value {
    let local = r#"[^\s\x00-\x1f\x7f"(),:;<>@\[\\\].]+(\.[^\s\x00-\x1f\x7f"(),:;<>@\[\\\].]+)*"#;
    let label = r"[^\W_]([^\W_]|-)*[^\W_]|[^\W_]";
    let last = r"[^\W_]([^\W_]|-)*[^\W_]";
    json!({
        "format": "email",
        "maxLength": input::MAX_EMAIL,
        "pattern": format!("^{local}@(({label})\\.)+({last})$"),
    })
}

/// An enum of wire names.
fn one_of(names: impl IntoIterator<Item = &'static str>) -> Value {
    json!({"type": "string", "enum": names.into_iter().collect::<Vec<_>>()})
}

fn sort_orders() -> Value {
    // `SortOrder` is serde's: its wire names are what serde writes.
    let names: Vec<Value> = [SortOrder::Asc, SortOrder::Desc]
        .iter()
        .filter_map(|o| serde_json::to_value(o).ok())
        .collect();
    json!({"type": "string", "enum": names})
}

/// Query parameters by name: a name means the same thing on every route that takes it.
pub fn parameter_rules() -> Vec<(&'static str, Value)> {
    vec![
        ("sort", one_of(SortKey::ALL.iter().map(|k| k.as_str()))),
        ("order", sort_orders()),
        ("type", one_of(DocKind::ALL.iter().map(|k| k.as_str()))),
        ("q", text(search::MAX_QUERY)),
    ]
}

/// Body fields: (schema, property, keywords).
pub fn field_rules() -> Vec<(&'static str, &'static str, Value)> {
    let album_kind = || one_of(AlbumKind::ALL.iter().map(|k| k.as_str()));
    let year = || json!({"minimum": albums::YEARS.start(), "maximum": albums::YEARS.end()});
    vec![
        ("ArtistBody", "name", text(artists::MAX_NAME)),
        ("NewAlbumBody", "title", text(albums::MAX_TITLE)),
        ("NewAlbumBody", "kind", album_kind()),
        ("NewAlbumBody", "releaseYear", year()),
        ("AlbumPatchBody", "title", text(albums::MAX_TITLE)),
        ("AlbumPatchBody", "kind", album_kind()),
        ("AlbumPatchBody", "releaseYear", year()),
        ("NewTrackBody", "title", text(tracks::MAX_TITLE)),
        ("TrackPatchBody", "title", text(tracks::MAX_TITLE)),
        ("NewPlaylistBody", "name", text(playlists::MAX_NAME)),
        (
            "NewPlaylistBody",
            "description",
            json!({"maxLength": playlists::MAX_DESCRIPTION}),
        ),
        (
            "NewPlaylistBody",
            "trackIds",
            json!({"maxItems": playlists::MAX_TRACKS}),
        ),
        ("PlaylistPatchBody", "name", text(playlists::MAX_NAME)),
        (
            "PlaylistPatchBody",
            "description",
            json!({"maxLength": playlists::MAX_DESCRIPTION}),
        ),
        (
            "PlaylistPatchBody",
            "trackIds",
            json!({"maxItems": playlists::MAX_TRACKS}),
        ),
        ("RegisterRequest", "email", email()),
        (
            "RegisterRequest",
            "password",
            json!({"minLength": password::MIN_LEN, "maxLength": password::MAX_LEN}),
        ),
        (
            "RegisterRequest",
            "displayName",
            text(input::MAX_DISPLAY_NAME),
        ),
        (
            "RegisterRequest",
            "role",
            one_of(REGISTRABLE_ROLES.iter().map(|r| r.as_str())),
        ),
        ("CreateApiKeyRequest", "name", text(MAX_KEY_NAME)),
    ]
}

/// Where a rule found nothing to constrain (a renamed schema or field): a bug in this table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched(pub String);

/// Adds every rule to `doc`; returns the rules that matched nothing.
pub fn apply(doc: &mut Value) -> Vec<Unmatched> {
    let mut unmatched = Vec::new();
    for (name, rule) in parameter_rules() {
        let mut hits = 0;
        for params in operations(doc).filter_map(|op| op.get_mut("parameters")) {
            for p in params.as_array_mut().into_iter().flatten() {
                if p["name"] == name && p["in"] == "query" {
                    if let Some(schema) = p.get_mut("schema") {
                        merge(schema, &rule);
                        hits += 1;
                    }
                }
            }
        }
        if hits == 0 {
            unmatched.push(Unmatched(format!("query parameter {name}")));
        }
    }
    for (schema, field, rule) in field_rules() {
        match doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{field}")) {
            Some(property) => merge(property, &rule),
            None => unmatched.push(Unmatched(format!("{schema}.{field}"))),
        }
    }
    unmatched
}

/// Every operation object of the document.
fn operations(doc: &mut Value) -> impl Iterator<Item = &mut Value> {
    doc.get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(Map::values_mut)
}

/// Adds `rule`'s keywords to `schema`. A nullable schema (`type: [T, "null"]`) stays
/// nullable: an enum then lists `null` too, and a type the rule sets keeps the `null`.
fn merge(schema: &mut Value, rule: &Value) {
    let (Some(schema), Some(rule)) = (schema.as_object_mut(), rule.as_object()) else {
        return;
    };
    let nullable = schema
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t == "null"))
        || schema
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|alts| alts.iter().any(|a| a["type"] == "null"));
    // A reference to a shared type (`RoleDto`) is replaced: the rule narrows it here only.
    if schema.contains_key("$ref") || schema.contains_key("oneOf") {
        schema.retain(|k, _| k == "description");
    }
    for (key, value) in rule {
        let mut value = value.clone();
        if nullable {
            match (key.as_str(), &mut value) {
                ("enum", Value::Array(names)) => names.push(Value::Null),
                ("type", Value::String(t)) => value = json!([t.clone(), "null"]),
                _ => {}
            }
        }
        schema.insert(key.clone(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_finds_its_parameter_or_field() {
        let mut doc = serde_json::to_value(crate::openapi::annotated()).unwrap();
        assert_eq!(apply(&mut doc), Vec::<Unmatched>::new());
    }

    #[test]
    fn the_served_document_has_the_constraints() {
        let doc = crate::openapi::document();
        let role = &doc["components"]["schemas"]["RegisterRequest"]["properties"]["role"];
        assert_eq!(role["enum"], json!(["listener", "artist", null]), "{role}");
        let email = &doc["components"]["schemas"]["RegisterRequest"]["properties"]["email"];
        assert_eq!(email["format"], "email", "{email}");
    }
}
