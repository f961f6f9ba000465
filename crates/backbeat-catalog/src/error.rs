//! What a catalog operation can refuse, independent of any transport: the HTTP layer maps each
//! variant to a status (and a Subsonic layer would map them to its error codes).

use backbeat_store::StoreError;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the client sent it (`title`, `trackIds`).
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

/// Why a catalog operation did not happen. Nothing was changed when one is returned, except
/// where a variant says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Some fields of the request are invalid.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// No valid credentials (or an account that no longer exists).
    #[error("authentication required")]
    Unauthenticated,
    /// The caller may not do this; also every refused signed URL.
    #[error("forbidden")]
    Forbidden,
    /// No such record, or not visible to the caller.
    #[error("not found")]
    NotFound,
    /// A uniqueness or state rule was broken (the text is safe to show).
    #[error("conflict: {0}")]
    Conflict(String),
    /// An upload larger than its limit (bytes).
    #[error("too large (limit {0} bytes)")]
    TooLarge(u64),
    /// An upload body that broke off before its end (the text is safe to show).
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    /// Uploaded bytes that are not usable audio (the reason is safe to show).
    #[error("unprocessable audio: {0}")]
    UnprocessableAudio(String),
    /// Audio over a limit on what it costs to process (channels, rate, duration, decoded
    /// samples); the text names the limit's configuration key.
    #[error("audio over a limit: {0}")]
    AudioLimit(String),
    /// An account quota (tracks, stored bytes) would be exceeded; the text says which.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// A rate quota (processing seconds per day) is used up until `retry_after_s` from now.
    #[error("rate quota exceeded: {detail}")]
    RateQuotaExceeded {
        /// Which quota, its use and its limit (safe to show).
        detail: String,
        /// Seconds until the quota has room again.
        retry_after_s: u64,
    },
    /// Every slot of a limited resource (on-demand transcodes) is taken; retry after
    /// `retry_after_s` (the text is safe to show).
    #[error("busy: {detail}")]
    Busy { detail: String, retry_after_s: u64 },
    /// A capability this server does not have (the text is safe to show).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The stores failed.
    #[error(transparent)]
    Store(StoreError),
    /// A bug or an infrastructure failure outside the stores; the text is for logs only.
    #[error("internal: {0}")]
    Internal(String),
}

impl CatalogError {
    /// A single-field validation error.
    pub fn field(field: &str, message: &str) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<FieldError> for CatalogError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(vec![e])
    }
}

/// The store's caller-meaningful errors keep their meaning; infrastructure failures stay
/// `Store` so the transport can log the source chain and answer 500.
impl From<StoreError> for CatalogError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(d) => Self::Conflict(d),
            // A write names a user only as its caller (adding an owner maps its own case):
            // the caller's account is gone, so the credential no longer names anyone.
            StoreError::InvalidReference(d) if d == "user" => Self::Unauthenticated,
            StoreError::InvalidReference(d) => Self::field(&d, "does not exist"),
            other => Self::Store(other),
        }
    }
}

/// Result alias for catalog operations.
pub type CatalogResult<T> = Result<T, CatalogError>;

/// Collects field errors; `finish` fails with all of them at once.
#[derive(Debug, Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// Keeps the value of a check, remembering its error.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    /// Records an error.
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// `Ok` when no check failed.
    pub fn finish(self) -> CatalogResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(CatalogError::Invalid(self.0))
        }
    }
}
