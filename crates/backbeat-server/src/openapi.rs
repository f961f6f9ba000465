//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa) and served at
//! `/api/v1/openapi.json`. The test suite runs schemathesis against a live server with it.

pub mod constraints;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem};
use crate::routes::{
    albums, annotation, annotation_reports, artists, blobs_doc, peaks, playlists, processing,
    search, stream, tracks,
};

/// The error responses every authenticated endpoint may give, as problem documents.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // a documentation type: never constructed
pub enum Errors {
    /// The request is malformed (bad JSON, wrong types, unknown fields, bad query).
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No valid access token or API key.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// The caller may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such resource.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// A conflicting state (e.g. removing the last owner).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body is too large.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// Invalid fields, or uploaded audio that does not decode.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(Problem),
    /// Rate limited; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    RateLimited(Problem),
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Backbeat API", description = "Music catalog, uploads through signed URLs, streaming and search."),
    paths(
        artists::create, artists::list, artists::read, artists::update, artists::remove,
        artists::add_owner, artists::remove_owner,
        albums::create, albums::list, albums::read, albums::update, albums::remove,
        tracks::upload_url, tracks::update_url, tracks::create, tracks::list, tracks::read,
        tracks::update, tracks::remove, stream::stream, processing::jobs, processing::analysis, peaks::peaks, peaks::overview,
        playlists::create, playlists::list, playlists::read, playlists::update, playlists::remove,
        search::search,
        blobs_doc::serve, blobs_doc::head, blobs_doc::receive,
        annotation::create_project, annotation::list_projects, annotation::read_project,
        annotation::patch_project, annotation::change_schema, annotation::add_member,
        annotation::list_members, annotation::add_model, annotation::add_items,
        annotation::claim, annotation::status, annotation::events, annotation::deliveries, annotation::list_items,
        annotation::route,
        annotation::read_item, annotation::answer, annotation::review, annotation::skip,
        annotation::postpone, annotation::renew, annotation::flag, annotation_reports::metrics,
        annotation_reports::agreement, annotation_reports::export,
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&Bearer),
    tags(
        (name = "artists"), (name = "albums"), (name = "tracks"), (name = "playlists"),
        (name = "search"), (name = "blobs", description = "Signed URLs: the signature is the credential."),
        (name = "annotation", description = "Annotation projects: schemas, members, items, claims, answers, reviews."),
    )
)]
struct ApiDoc;

/// Declares the bearer scheme (JWT access tokens and `bbk_` API keys).
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or API key")
                    .build(),
            ),
        );
    }
}

/// The whole document as served: catalog routes plus the accounts routes, with the
/// constraints the validation enforces (see [`constraints`]). JSON rather than utoipa's model,
/// which does not read every keyword back.
pub fn document() -> serde_json::Value {
    let Ok(mut json) = serde_json::to_value(annotated()) else {
        return serde_json::Value::Null;
    };
    for miss in constraints::apply(&mut json) {
        tracing::warn!(rule = miss.0, "an OpenAPI constraint matched nothing");
    }
    json
}

/// The document as the handlers' annotations make it, before [`constraints`].
pub fn annotated() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::routes::accounts::openapi());
    doc
}
