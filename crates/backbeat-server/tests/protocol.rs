//! Request builders (the way Polaris's `server/test/protocol.rs` names each call once): the
//! API's paths in one place, and a fluent [`Call`] so a test reads as the request it makes —
//! `app.get(track(&id)).auth(&user).await` — instead of repeating method, URI, token and body
//! positionally.

use std::fmt::Display;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use axum::http::{HeaderName, HeaderValue, Method};
use serde_json::Value;

use crate::common::{request, TestApp, TestResponse, TestUser};

/// `/api/v1/tracks`: list (with a query) and create.
pub const TRACKS: &str = "/api/v1/tracks";
/// A fresh upload slot for a new track.
pub const UPLOAD_URL: &str = "/api/v1/tracks/upload-url";

/// One track.
pub fn track(id: impl Display) -> String {
    format!("{TRACKS}/{id}")
}

/// A track's pipeline jobs (owners and admins).
pub fn track_jobs(id: impl Display) -> String {
    format!("{TRACKS}/{id}/jobs")
}

/// A track's analysis (everyone signed in).
pub fn track_analysis(id: impl Display) -> String {
    format!("{TRACKS}/{id}/analysis")
}

/// A track's stream URL.
pub fn track_stream(id: impl Display) -> String {
    format!("{TRACKS}/{id}/stream")
}

/// An upload slot that replaces track `id`'s audio.
pub fn update_url(id: impl Display) -> String {
    format!("{TRACKS}/update-url/{id}")
}

/// The tracks of one album.
pub fn album_tracks(album: impl Display) -> String {
    format!("{TRACKS}?albumId={album}")
}

/// A request being built: method and URI, then optionally a user, a JSON body and headers.
/// Awaiting it sends it through the router.
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'a> {
    app: &'a TestApp,
    method: Method,
    uri: String,
    token: Option<String>,
    body: Option<Value>,
    headers: Vec<(String, String)>,
}

impl TestApp {
    /// A call of any method.
    pub fn at(&self, method: Method, uri: impl Into<String>) -> Call<'_> {
        Call {
            app: self,
            method,
            uri: uri.into(),
            token: None,
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn get(&self, uri: impl Into<String>) -> Call<'_> {
        self.at(Method::GET, uri)
    }

    pub fn post(&self, uri: impl Into<String>) -> Call<'_> {
        self.at(Method::POST, uri)
    }

    pub fn patch(&self, uri: impl Into<String>) -> Call<'_> {
        self.at(Method::PATCH, uri)
    }

    pub fn delete(&self, uri: impl Into<String>) -> Call<'_> {
        self.at(Method::DELETE, uri)
    }
}

impl Call<'_> {
    /// Signed in as `user` (bearer token).
    pub fn auth(self, user: &TestUser) -> Self {
        self.token(&user.token)
    }

    /// With this bearer token.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    /// With this JSON body.
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// With one more header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

impl<'a> IntoFuture for Call<'a> {
    type Output = TestResponse;
    type IntoFuture = Pin<Box<dyn Future<Output = TestResponse> + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let mut req = request(self.method, &self.uri, self.token.as_deref(), self.body);
        for (name, value) in &self.headers {
            let name = HeaderName::try_from(name.as_str()).expect("a header name");
            let value = HeaderValue::try_from(value.as_str()).expect("a header value");
            req.headers_mut().insert(name, value);
        }
        Box::pin(self.app.send(req))
    }
}
