//! The web app (`web/` at the repository root), embedded at build time by `build.rs`: every
//! `GET`/`HEAD` the API's routes do not take is served from it. Files under `/assets/` carry a
//! content hash in their names and are cached for good; `index.html` answers every app path
//! (`/tracks/…`, `/annotate/…`) so the app's own router takes over, and is revalidated on each
//! load so a new binary's app is picked up at once. Each file is stored three times (as is,
//! gzip, brotli) and sent in the best encoding the client accepts.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// One embedded file.
pub(crate) struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub etag: &'static str,
    /// The name carries a content hash: cache for a year.
    pub immutable: bool,
    pub identity: &'static [u8],
    pub gzip: &'static [u8],
    pub brotli: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/web/assets.rs"));

/// Path prefixes that are never the app's: an unknown path below them is the API's 404.
const NOT_THE_APP: [&str; 3] = ["/api/", "/blobs/", "/rest/"];

/// The app's Content-Security-Policy: scripts, styles and data from this origin only; media
/// from `blob:` (Media Source Extensions) and hls.js's worker from `blob:`.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Whether this binary carries the web app.
pub fn built() -> bool {
    BUILT
}

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS
        .binary_search_by(|a| a.path.cmp(path))
        .ok()
        .map(|i| &ASSETS[i])
}

/// The router's fallback: an app file, the app's page for an app path, or the API's 404.
pub async fn fallback(req: Request) -> Response {
    let path = req.uri().path();
    let method = req.method();
    if (method != Method::GET && method != Method::HEAD)
        || NOT_THE_APP.iter().any(|p| path.starts_with(p))
    {
        return ApiError::NotFound.into_response();
    }
    if let Some(asset) = find(path) {
        return send(asset, req.headers());
    }
    // A missing file (an old hashed chunk after an upgrade) is a 404, not the app's page.
    let last = path.rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return ApiError::NotFound.into_response();
    }
    match find("/index.html") {
        Some(index) => send(index, req.headers()),
        None => not_built(),
    }
}

fn send(asset: &'static Asset, req: &HeaderMap) -> Response {
    let mut res = if if_none_match(req, asset.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let (encoding, body) = match encoding(req) {
            Encoding::Brotli => (Some("br"), asset.brotli),
            Encoding::Gzip => (Some("gzip"), asset.gzip),
            Encoding::Identity => (None, asset.identity),
        };
        let mut res = body.into_response();
        if let Some(e) = encoding {
            res.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
        }
        res
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if asset.immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if asset.content_type.starts_with("text/html") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    res
}

fn not_built() -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Backbeat</title>\
         <h1>Backbeat</h1><p>This binary was built without its web app: {}. Run \
         <code>./scripts/setup.sh</code>, then build again. The API is at \
         <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p></html>",
        NOT_BUILT_BECAUSE
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

fn if_none_match(req: &HeaderMap, etag: &str) -> bool {
    req.get_all(header::IF_NONE_MATCH).iter().any(|v| {
        v.to_str().is_ok_and(|s| {
            s.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag)
        })
    })
}

#[derive(Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// The best encoding `Accept-Encoding` allows: brotli, then gzip (a `q=0` refuses one).
fn encoding(req: &HeaderMap) -> Encoding {
    let mut br = false;
    let mut gzip = false;
    for value in req.get_all(header::ACCEPT_ENCODING) {
        let Ok(s) = value.to_str() else { continue };
        for item in s.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match name.to_ascii_lowercase().as_str() {
                "br" => br = true,
                "gzip" | "x-gzip" => gzip = true,
                "*" => {
                    br = true;
                    gzip = true;
                }
                _ => {}
            }
        }
    }
    if br {
        Encoding::Brotli
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn accept_encoding_picks_the_best_allowed() {
        let ae = |v: &str| encoding(&headers(&[(header::ACCEPT_ENCODING, v)]));
        assert_eq!(ae("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(ae("gzip"), Encoding::Gzip);
        assert_eq!(ae("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(ae("br;q=0.0, gzip; q=0"), Encoding::Identity);
        assert_eq!(ae("identity"), Encoding::Identity);
        assert_eq!(ae("*"), Encoding::Brotli);
        assert_eq!(ae(""), Encoding::Identity);
        assert_eq!(encoding(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn if_none_match_compares_strong_and_weak_tags() {
        let inm = |v: &str| if_none_match(&headers(&[(header::IF_NONE_MATCH, v)]), "\"abc\"");
        assert!(inm("\"abc\""));
        assert!(inm("W/\"abc\""));
        assert!(inm("\"x\", \"abc\""));
        assert!(inm("*"));
        assert!(!inm("\"abd\""));
        assert!(!if_none_match(&HeaderMap::new(), "\"abc\""));
    }

    #[test]
    fn the_table_is_sorted_for_binary_search() {
        assert!(ASSETS.windows(2).all(|w| w[0].path < w[1].path));
        if BUILT {
            let index = find("/index.html").expect("the app's page");
            assert!(std::str::from_utf8(index.identity)
                .unwrap()
                .contains("type=\"module\""));
        }
    }
}
