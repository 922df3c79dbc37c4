//! The supervisor console at `/console`: plain JavaScript, CSS and HTML that
//! console/build.mjs bundles (Leaflet included) into console/dist, embedded in the
//! binary by build.rs, so nothing is fetched from a CDN at run time.
//!
//! These routes are web pages, not protocol v1: they are merged into the router outside
//! the `protocol` middleware (no JSON error bodies, no `Gridwork-Protocol` header) and
//! are not in docs/openapi.yaml; [`ROUTES`] lists them. Every response carries a strict
//! Content-Security-Policy ([`content_security_policy`]: scripts, styles and connections
//! only from this server, Trusted Types required for HTML sinks) and
//! `X-Content-Type-Options: nosniff`. Assets have content-hashed names and are cached
//! for a year; the page itself is revalidated by ETag.
//!
//! The one option is a base map ([`TileSource`]): a tile URL template whose origin is
//! added to the policy's `img-src`, handed to the page by `GET /console/config.json`.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use sha2::{Digest, Sha256};
use std::{collections::HashMap, sync::Arc};

include!(concat!(env!("OUT_DIR"), "/console_files.rs"));

/// The console's routes with their methods (`HEAD` is answered wherever `GET` is).
/// They are outside the API and its spec (docs/openapi.yaml documents only
/// [`crate::api::ROUTES`]); a test holds the two lists apart.
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/console", &["GET"]),
    ("/console/", &["GET"]),
    ("/console/config.json", &["GET"]),
    ("/console/assets/{*file}", &["GET"]),
];

/// Longest base-map attribution text accepted.
const MAX_ATTRIBUTION_CHARS: usize = 200;

/// What the operator may set for the console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleOptions {
    /// A base map under the grid cells; none by default (the cells draw on a plain
    /// background).
    pub tiles: Option<TileSource>,
}

/// A base map: a Leaflet tile URL template such as
/// `https://{s}.tile.example.org/{z}/{x}/{y}.png`, with an optional attribution shown
/// (as text) in the corner of the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileSource {
    url: String,
    attribution: Option<String>,
    origin: String,
}

/// A console option that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The tile URL template is not one the console can load under its policy.
    #[error("base-map tile URL {url:?}: {reason}")]
    TileUrl {
        /// The URL as given.
        url: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The attribution is too long or has control characters.
    #[error("base-map attribution: at most {MAX_ATTRIBUTION_CHARS} characters and no control characters")]
    Attribution,
}

impl TileSource {
    /// Checks a tile URL template: `http://` or `https://`, a host of letters, digits,
    /// dots, hyphens and a port (its first label may be `{s}`, Leaflet's subdomains),
    /// `{z}`, `{x}` and `{y}` in the path, and none of the characters that could change
    /// the meaning of the Content-Security-Policy its origin goes into.
    pub fn new(url: &str, attribution: Option<&str>) -> Result<TileSource, ConsoleError> {
        let refuse = |reason| ConsoleError::TileUrl {
            url: url.to_string(),
            reason,
        };
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
            ("https", rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            ("http", rest)
        } else {
            return Err(refuse("must start with https:// or http://"));
        };
        if url
            .chars()
            .any(|c| !c.is_ascii_graphic() || "'\";,\\<>`".contains(c))
        {
            return Err(refuse(
                "has spaces, quotes, semicolons, commas or non-ASCII characters",
            ));
        }
        let (host, path) = rest.split_once('/').ok_or_else(|| refuse("has no path"))?;
        let (bare, wildcard) = match host.strip_prefix("{s}.") {
            Some(bare) => (bare, true),
            None => (host, false),
        };
        let host_ok = !bare.is_empty()
            && !bare.starts_with(['.', '-', ':'])
            && bare
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c));
        if !host_ok {
            return Err(refuse(
                "the host may hold only letters, digits, dots, hyphens, a port and a leading {s}.",
            ));
        }
        if !["{z}", "{x}", "{y}"].iter().all(|p| path.contains(p)) {
            return Err(refuse("needs {z}, {x} and {y} in its path"));
        }
        let attribution = match attribution.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a)
                if a.chars().count() > MAX_ATTRIBUTION_CHARS || a.chars().any(char::is_control) =>
            {
                return Err(ConsoleError::Attribution)
            }
            a => a.map(str::to_string),
        };
        let origin = if wildcard {
            format!("{scheme}://*.{bare}")
        } else {
            format!("{scheme}://{bare}")
        };
        Ok(TileSource {
            url: url.to_string(),
            attribution,
            origin,
        })
    }

    /// The URL template.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The attribution text, if any.
    pub fn attribution(&self) -> Option<&str> {
        self.attribution.as_deref()
    }

    /// The origin the tiles come from, as it appears in the policy's `img-src`.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// The Content-Security-Policy of every console response. Scripts, styles, fonts and
/// connections come only from this server (no inline script or style elements); images
/// also from `data:` and `blob:` (Leaflet, later photo previews) and from the base map's
/// origin when one is configured; Trusted Types are required, so a string can never be
/// assigned to an HTML sink except through the console's own policy
/// (console/src/trusted-types.js); no plugins, no framing, no `<base>`.
pub fn content_security_policy(options: &ConsoleOptions) -> String {
    let mut img = String::from("'self' data: blob:");
    if let Some(tiles) = &options.tiles {
        img.push(' ');
        img.push_str(tiles.origin());
    }
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src {img}; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'; \
         require-trusted-types-for 'script'; trusted-types default"
    )
}

/// One embedded file as served.
struct File {
    bytes: &'static [u8],
    content_type: &'static str,
    etag: HeaderValue,
    cache: &'static str,
}

/// Everything the console's handlers share.
struct Console {
    files: HashMap<&'static str, File>,
    config: String,
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn etag(bytes: &[u8]) -> HeaderValue {
    let digest = hex::encode(Sha256::digest(bytes));
    // A quoted run of hex digits is always a valid header value.
    HeaderValue::from_str(&format!("\"{}\"", &digest[..32]))
        .unwrap_or(HeaderValue::from_static("\"\""))
}

impl Console {
    fn new(options: &ConsoleOptions) -> Console {
        let files = FILES
            .iter()
            .map(|(path, bytes)| {
                // Asset names carry a hash of their content (console/build.mjs), so they
                // never change; the page that names them is revalidated.
                let cache = if path.starts_with("assets/") {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                };
                let file = File {
                    bytes,
                    content_type: content_type(path),
                    etag: etag(bytes),
                    cache,
                };
                (*path, file)
            })
            .collect();
        let tiles = options
            .tiles
            .as_ref()
            .map(|t| serde_json::json!({ "url": t.url(), "attribution": t.attribution() }));
        Console {
            files,
            config: serde_json::json!({ "tiles": tiles }).to_string(),
        }
    }

    fn serve(&self, path: &str, headers: &HeaderMap) -> Response {
        let Some(file) = self.files.get(path) else {
            return not_found();
        };
        let fresh = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim().as_bytes() == file.etag.as_bytes() || t.trim() == "*")
            });
        let mut res = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut res = Response::new(Body::from(file.bytes));
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(file.content_type),
            );
            res
        };
        let h = res.headers_mut();
        h.insert(header::ETAG, file.etag.clone());
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(file.cache));
        res
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "no such console file\n",
    )
        .into_response()
}

async fn index(State(console): State<Arc<Console>>, headers: HeaderMap) -> Response {
    console.serve("index.html", &headers)
}

async fn asset(
    State(console): State<Arc<Console>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    console.serve(&format!("assets/{file}"), &headers)
}

async fn config(State(console): State<Arc<Console>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        console.config.clone(),
    )
        .into_response()
}

async fn security_headers(
    policy: State<HeaderValue>,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, policy.0);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// The console's routes ([`ROUTES`]), to be merged into the server's router outside the
/// protocol middleware.
pub fn routes<S: Clone + Send + Sync + 'static>(options: &ConsoleOptions) -> Router<S> {
    let console = Arc::new(Console::new(options));
    // TileSource::new admits only characters that are valid in a header value.
    let policy = HeaderValue::from_str(&content_security_policy(options))
        .unwrap_or(HeaderValue::from_static("default-src 'none'"));
    Router::new()
        .route("/console", get(index))
        .route("/console/", get(index))
        .route("/console/config.json", get(config))
        .route("/console/assets/{*file}", get(asset))
        .with_state(console)
        .layer(middleware::from_fn_with_state(policy, security_headers))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tile_urls_give_their_origin() {
        let t = TileSource::new(
            "https://tile.example.org/{z}/{x}/{y}.png",
            Some(" © Example "),
        )
        .unwrap();
        assert_eq!(t.origin(), "https://tile.example.org");
        assert_eq!(t.attribution(), Some("© Example"));
        let t = TileSource::new("https://{s}.tile.example.org/{z}/{x}/{y}.png", None).unwrap();
        assert_eq!(t.origin(), "https://*.tile.example.org");
        let t = TileSource::new("http://127.0.0.1:8081/t/{z}/{x}/{y}.svg", Some("")).unwrap();
        assert_eq!(t.origin(), "http://127.0.0.1:8081");
        assert_eq!(t.attribution(), None);
        let t = TileSource::new(
            "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8",
            None,
        )
        .unwrap();
        assert_eq!(t.origin(), "https://webrd01.is.autonavi.com");
    }

    #[test]
    fn tile_urls_that_could_bend_the_policy_are_refused() {
        for bad in [
            "ftp://tile.example.org/{z}/{x}/{y}.png",
            "//tile.example.org/{z}/{x}/{y}.png",
            "https://tile.example.org",
            "https://tile.example.org/{z}/{x}.png",
            "https://tile.example.org; script-src *;/{z}/{x}/{y}.png",
            "https://tile.example.org/{z}/{x}/{y}.png script-src",
            "https://a.org,https://b.org/{z}/{x}/{y}",
            "https://tile.example.org/{z}/{x}/{y}.png'",
            "https://*.example.org/{z}/{x}/{y}.png",
            "https://{s}/{z}/{x}/{y}.png",
            "https://ex{s}.org/{z}/{x}/{y}.png",
            "https://user@tile.example.org/{z}/{x}/{y}.png",
            "https://tilé.example.org/{z}/{x}/{y}.png",
            "https:///{z}/{x}/{y}.png",
        ] {
            assert!(TileSource::new(bad, None).is_err(), "{bad} was accepted");
        }
        let long = "x".repeat(MAX_ATTRIBUTION_CHARS + 1);
        assert!(TileSource::new("https://t.org/{z}/{x}/{y}", Some(&long)).is_err());
        assert!(TileSource::new("https://t.org/{z}/{x}/{y}", Some("a\nb")).is_err());
    }

    #[test]
    fn the_policy_names_the_tile_origin_only_when_configured() {
        let plain = content_security_policy(&ConsoleOptions::default());
        assert!(plain.contains("img-src 'self' data: blob:;"), "{plain}");
        assert!(plain.contains("script-src 'self';"));
        assert!(!plain.contains("unsafe"));
        let with = content_security_policy(&ConsoleOptions {
            tiles: Some(TileSource::new("https://{s}.t.org/{z}/{x}/{y}", None).unwrap()),
        });
        assert!(
            with.contains("img-src 'self' data: blob: https://*.t.org;"),
            "{with}"
        );
        assert!(HeaderValue::from_str(&with).is_ok());
    }

    #[test]
    fn the_bundle_is_embedded() {
        let paths: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();
        assert!(paths.contains(&"index.html"), "{paths:?}");
        assert!(paths
            .iter()
            .any(|p| p.starts_with("assets/main-") && p.ends_with(".js")));
        assert!(paths
            .iter()
            .any(|p| p.starts_with("assets/main-") && p.ends_with(".css")));
    }
}
