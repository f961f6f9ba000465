//! Every way a request can fail, and how each becomes an RFC 9457 `application/problem+json`
//! response. Each variant maps to its status explicitly (no catch-all arm), and internal error
//! text is logged, never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use backbeat_catalog::CatalogError;
use backbeat_store::{Outage, StoreError};
use serde::Serialize;

/// One invalid field of a request (the catalog's [`backbeat_catalog::FieldError`] with its
/// OpenAPI schema: the schema derive cannot be added to another crate's type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer-ish name of the field (`title`, `trackIds[2]`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<backbeat_catalog::FieldError> for FieldError {
    fn from(e: backbeat_catalog::FieldError) -> Self {
        Self {
            field: e.field,
            message: e.message,
        }
    }
}

/// An API error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request cannot be parsed (bad JSON, wrong types, bad path or query).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request parses but some fields are invalid.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// No or invalid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Authenticated, but not allowed; also every refused signed URL.
    #[error("forbidden")]
    Forbidden,
    /// No such resource (or not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The method is not allowed on this resource.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A uniqueness or state rule was broken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// An annotation schema change refused: the stored labels it would orphan (JSON objects
    /// naming question, label and reason).
    #[error("the schema change would orphan stored labels")]
    Orphans(Vec<serde_json::Value>),
    /// The body is larger than allowed (the limit in bytes).
    #[error("payload too large (limit {0} bytes)")]
    PayloadTooLarge(u64),
    /// The uploaded file is not audio we can decode (reason shown to the client).
    #[error("unprocessable audio: {0}")]
    UnprocessableAudio(String),
    /// The uploaded audio is over a limit on its decoded size (the detail names the limit).
    #[error("audio over a limit: {0}")]
    AudioLimit(String),
    /// An account quota on what it holds (tracks, stored bytes) would be exceeded.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// An account's rate quota (processing seconds per day) is used up; retry after this many
    /// seconds.
    #[error("rate quota exceeded: {0}")]
    RateQuotaExceeded(String, u64),
    /// A `Range` header that cannot be satisfied for a blob of this size.
    #[error("range not satisfiable")]
    RangeNotSatisfiable(u64),
    /// The request body stalled or took too long to arrive (which limit, for the client).
    #[error("request timeout: {0}")]
    RequestTimeout(String),
    /// Too many requests; retry after this many seconds.
    #[error("rate limited")]
    RateLimited(u64),
    /// Every slot of a limited resource (on-demand transcodes) is taken: what is full, and
    /// seconds to wait.
    #[error("busy: {0}")]
    Busy(String, u64),
    /// A capability this server does not offer (what and why, for the client).
    #[error("not implemented: {0}")]
    NotImplemented(String),
    /// A dependency (database) is down; retry after [`RETRY_UNAVAILABLE_S`] seconds.
    #[error("service unavailable")]
    Unavailable,
    /// The disk under the database or the blob store is full: nothing was written.
    #[error("insufficient storage")]
    InsufficientStorage,
    /// A bug or an infrastructure failure; the text is logged only.
    #[error("internal: {0}")]
    Internal(String),
}

/// `Retry-After` of a `503`: a lost database usually comes back within seconds (a restart, a
/// fail-over), and clients retrying sooner only add load.
pub const RETRY_UNAVAILABLE_S: u32 = 5;

/// The problem document (RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type (`/problems/<slug>`, documented in docs/API.md).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short, human-readable summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Invalid fields, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Stored labels an annotation schema change would orphan, for `/problems/orphans`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub orphans: Vec<serde_json::Value>,
}

impl ApiError {
    /// Status, problem slug and title.
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Malformed request"),
            Self::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid request fields",
            ),
            Self::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            Self::Orphans(_) => (
                StatusCode::CONFLICT,
                "orphans",
                "The change would orphan stored labels",
            ),
            Self::PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            Self::UnprocessableAudio(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable-audio",
                "Not usable audio",
            ),
            Self::AudioLimit(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "audio-limit",
                "Audio over a limit",
            ),
            Self::QuotaExceeded(_) => (StatusCode::FORBIDDEN, "quota-exceeded", "Quota exceeded"),
            Self::RateQuotaExceeded(..) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-quota-exceeded",
                "Rate quota exceeded",
            ),
            Self::RangeNotSatisfiable(_) => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range-not-satisfiable",
                "Range not satisfiable",
            ),
            Self::RequestTimeout(_) => (
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "Request timeout",
            ),
            Self::RateLimited(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            Self::Busy(..) => (StatusCode::TOO_MANY_REQUESTS, "busy", "Busy"),
            Self::NotImplemented(_) => (
                StatusCode::NOT_IMPLEMENTED,
                "not-implemented",
                "Not available on this server",
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            Self::InsufficientStorage => (
                StatusCode::INSUFFICIENT_STORAGE,
                "insufficient-storage",
                "Insufficient storage",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            ),
        }
    }

    /// The client-facing detail; `None` where there is nothing safe to add.
    fn detail(&self) -> Option<String> {
        match self {
            Self::BadRequest(d)
            | Self::Conflict(d)
            | Self::UnprocessableAudio(d)
            | Self::AudioLimit(d)
            | Self::QuotaExceeded(d)
            | Self::RequestTimeout(d)
            | Self::NotImplemented(d) => Some(d.clone()),
            Self::Busy(d, s) => Some(format!("{d}; retry after {s} s")),
            Self::RateQuotaExceeded(d, s) => Some(format!("{d}; retry after {s} s")),
            Self::PayloadTooLarge(limit) => Some(format!("the limit is {limit} bytes")),
            Self::RateLimited(s) => Some(format!("retry after {s} s")),
            Self::InsufficientStorage => {
                Some("the server is out of storage space; nothing was stored, retry later".into())
            }
            Self::Orphans(o) => Some(format!(
                "{} stored label(s) would be left outside the schema; see `orphans`",
                o.len()
            )),
            Self::Validation(_)
            | Self::Unauthenticated
            | Self::Forbidden
            | Self::NotFound
            | Self::MethodNotAllowed
            | Self::RangeNotSatisfiable(_)
            | Self::Unavailable
            | Self::Internal(_) => None,
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: match self {
                Self::Validation(e) => e.clone(),
                _ => Vec::new(),
            },
            orphans: match self {
                Self::Orphans(o) => o.clone(),
                _ => Vec::new(),
            },
        }
    }

    /// A single-field validation error.
    pub fn field(field: &str, message: &str) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(text) = &self {
            tracing::error!(error = %text, "internal error");
        }
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (
            StatusCode::from_u16(problem.status).unwrap_or_default(),
            body,
        )
            .into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            Self::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::RateLimited(s) | Self::RateQuotaExceeded(_, s) | Self::Busy(_, s) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*s));
            }
            Self::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_UNAVAILABLE_S));
            }
            // RFC 9110 §15.5.9: the server closes the connection after a 408.
            Self::RequestTimeout(_) => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Self::RangeNotSatisfiable(size) => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    headers.insert(header::CONTENT_RANGE, v);
                }
            }
            _ => {}
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        CatalogError::from(e).into()
    }
}

/// Every refusal of the catalog as its HTTP answer; infrastructure failures keep their source
/// chain for the log and answer 500.
impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(fields) => {
                Self::Validation(fields.into_iter().map(FieldError::from).collect())
            }
            CatalogError::Unauthenticated => Self::Unauthenticated,
            CatalogError::Forbidden => Self::Forbidden,
            CatalogError::NotFound => Self::NotFound,
            CatalogError::Conflict(d) => Self::Conflict(d),
            CatalogError::TooLarge(limit) => Self::PayloadTooLarge(limit),
            CatalogError::Interrupted(d) => {
                Self::BadRequest(format!("the upload was interrupted: {d}"))
            }
            CatalogError::UnprocessableAudio(d) => Self::UnprocessableAudio(d),
            CatalogError::AudioLimit(d) => Self::AudioLimit(d),
            CatalogError::QuotaExceeded(d) => Self::QuotaExceeded(d),
            CatalogError::RateQuotaExceeded {
                detail,
                retry_after_s,
            } => Self::RateQuotaExceeded(detail, retry_after_s),
            CatalogError::Busy {
                detail,
                retry_after_s,
            } => Self::Busy(detail, retry_after_s),
            CatalogError::Unavailable(d) => Self::NotImplemented(d),
            CatalogError::Store(e) => Self::from_store_failure(&e),
            CatalogError::Internal(d) => Self::Internal(d),
        }
    }
}

impl ApiError {
    /// An infrastructure failure: an outage (full disk, database out of reach) is the
    /// operator's to fix and the client's to retry, so it gets its own status; anything else
    /// is a bug (`500`). The cause is logged either way, never sent.
    fn from_store_failure(e: &StoreError) -> Self {
        match e.outage() {
            Some(Outage::StorageFull) => {
                tracing::error!(error = %e.chain(), "out of storage space");
                Self::InsufficientStorage
            }
            Some(Outage::Unreachable) => {
                tracing::error!(error = %e.chain(), "database unreachable");
                Self::Unavailable
            }
            None => Self::Internal(e.chain()),
        }
    }
}

/// An error and its sources, `: `-separated, for the log.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Every refusal of the annotation engine as its HTTP answer.
impl From<backbeat_annotate::engine::AnnotateError> for ApiError {
    fn from(e: backbeat_annotate::engine::AnnotateError) -> Self {
        use backbeat_annotate::engine::AnnotateError as A;
        match e {
            A::NotFound => Self::NotFound,
            // The engine's reasons are fixed phrases written for clients; the catalog's
            // `Forbidden` carries none, so the reason is logged at debug level only.
            A::Forbidden(why) => {
                tracing::debug!(reason = why, "annotation: forbidden");
                Self::Forbidden
            }
            A::Invalid(fields) => Self::Validation(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(f.field, f.message))
                    .collect(),
            ),
            A::Conflict(d) => Self::Conflict(d),
            A::Orphans(o) => Self::Orphans(
                o.iter()
                    .map(|x| serde_json::to_value(x).unwrap_or_default())
                    .collect(),
            ),
            A::Model(d) => Self::field("config", &d),
            A::Store(e) => e.into(),
        }
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
