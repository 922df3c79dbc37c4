//! Open311 GeoReport v2 under `/open311/v2/` (docs/open311.md): the catalogue as
//! services, the server's case view as service requests, and `POST requests` filing a
//! new case as an ordinary `incident.reported` event from an integration account's
//! server-held device (`open311:<user>`), so the judge, the case view and the phones'
//! pull treat it like any report. Forwarding publishes cases to another city's Open311
//! endpoint ([`forward`]).
//!
//! Errors take the standard shape: HTTP 400/403/404/413 with a list of
//! `{code, description}` (as JSON, or `<errors><error>` in XML).

mod filing;
pub mod forward;
mod requests;
mod services;
mod xml;

use crate::{
    api::AppState,
    storage::{
        Storage, SETTING_CATALOG, SETTING_CATALOG_VERSION, SETTING_GRID, SETTING_GRID_VERSION,
    },
    StorageError,
};
use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use gridwork_core::{catalog::Catalog, geo::Grid};
use serde::Serialize;
use std::sync::{Arc, Mutex};

pub use filing::{MAX_CONTACT_CHARS, MAX_FORM_BYTES};
pub use forward::{ForwardOptions, Forwarder};

/// The prefix of the server-held devices of integration accounts.
pub const OPEN311_DEVICE_PREFIX: &str = "open311:";

/// The server-held device an integration account files its reports from.
pub fn open311_device(user: &str) -> String {
    format!("{OPEN311_DEVICE_PREFIX}{user}")
}

/// Every Open311 route (under `/open311/v2`), with its methods.
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/open311/v2/services.json", &["GET"]),
    ("/open311/v2/services.xml", &["GET"]),
    ("/open311/v2/services/{code}.json", &["GET"]),
    ("/open311/v2/requests.json", &["GET", "POST"]),
    ("/open311/v2/requests.xml", &["GET", "POST"]),
    ("/open311/v2/requests/{id}.json", &["GET"]),
    ("/open311/v2/tokens/{token}.json", &["GET"]),
];

/// The Open311 routes, to nest under `/open311/v2`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/services.json", get(services::list_json))
        .route("/services.xml", get(services::list_xml))
        .route("/services/{file}", get(services::definition))
        .route(
            "/requests.json",
            get(requests::list_json).post(filing::post_json),
        )
        .route(
            "/requests.xml",
            get(requests::list_xml).post(filing::post_xml),
        )
        .route("/requests/{file}", get(requests::one))
        .route("/tokens/{file}", get(requests::token))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .fallback(|| async { Open311Error::not_found("no such Open311 resource") })
}

/// The server's Open311 options.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Options {
    /// Where to forward which cases (none by default).
    pub forward: Vec<ForwardOptions>,
    /// Days a resident's contact details are kept after their case closed (default 30).
    pub contact_days_after_close: u32,
    /// Days they are kept at most, closed or not (default 180).
    pub contact_max_days: u32,
}

impl Default for Open311Options {
    fn default() -> Self {
        Open311Options {
            forward: Vec::new(),
            contact_days_after_close: 30,
            contact_max_days: 180,
        }
    }
}

/// Forgets the contact details that `options` no longer allow to keep at `now_ms`;
/// returns how many requests lost theirs.
pub async fn purge_contacts(
    storage: &dyn Storage,
    options: &Open311Options,
    now_ms: i64,
) -> Result<u64, StorageError> {
    let day = 86_400_000_i64;
    storage
        .purge_open311_contacts(
            now_ms - i64::from(options.contact_max_days) * day,
            now_ms - i64::from(options.contact_days_after_close) * day,
        )
        .await
}

/// Starts the hourly purge of contact details and one forwarding thread per target.
/// Call from inside the runtime.
pub fn start_background(
    storage: &Arc<dyn Storage>,
    options: &Open311Options,
) -> std::io::Result<()> {
    let weak = Arc::downgrade(storage);
    let purge = options.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let Some(storage) = weak.upgrade() else {
                return;
            };
            match purge_contacts(&*storage, &purge, now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("open311: forgot the contact details of {n} requests"),
                Err(e) => tracing::warn!("open311: purging contact details failed: {e}"),
            }
        }
    });
    for f in &options.forward {
        Forwarder::spawn(
            storage.clone(),
            f.clone(),
            tokio::runtime::Handle::current(),
        )?;
    }
    Ok(())
}

/// The two formats of every resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.json`
    Json,
    /// `.xml`
    Xml,
}

impl Format {
    /// Splits `name.json` / `name.xml` into the name and its format.
    pub fn split(file: &str) -> Option<(&str, Format)> {
        if let Some(name) = file.strip_suffix(".json") {
            Some((name, Format::Json))
        } else {
            file.strip_suffix(".xml").map(|name| (name, Format::Xml))
        }
    }
}

/// A refusal in the standard shape: the HTTP status and `[{code, description}]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Error {
    /// HTTP status, also the `code` of the entry.
    pub status: StatusCode,
    /// What was wrong.
    pub description: String,
    /// How to write it.
    pub format: Format,
}

#[derive(Serialize)]
struct ErrorEntry<'a> {
    code: u16,
    description: &'a str,
}

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error {
            status,
            description: description.into(),
            format: Format::Json,
        }
    }

    /// 400: the request is malformed or its values are not acceptable.
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    /// 403: no API key, or one this server did not issue.
    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, description)
    }

    /// 404: no such service, request or token.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }

    /// 500: the server failed.
    pub fn internal(description: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, description)
    }

    /// The same error written in `format`.
    pub fn in_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }
}

impl From<StorageError> for Open311Error {
    fn from(e: StorageError) -> Self {
        tracing::error!("open311: storage failed: {e}");
        Open311Error::internal("the server could not complete the request")
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let entry = ErrorEntry {
            code: self.status.as_u16(),
            description: &self.description,
        };
        let body = match self.format {
            Format::Json => json(&[entry]),
            Format::Xml => {
                let mut w = xml::Writer::new("errors");
                w.open("error");
                w.field("code", &entry.code.to_string());
                w.field("description", entry.description);
                w.close("error");
                xml_body(w.finish())
            }
        };
        (self.status, body).into_response()
    }
}

/// A JSON body with its content type.
fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            bytes,
        )
            .into_response(),
        Err(e) => Open311Error::internal(e.to_string()).into_response(),
    }
}

/// An XML body with its content type.
fn xml_body(text: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// A catalogue or grid parsed once per stored version.
type Slot<T> = Mutex<Option<(String, Arc<T>)>>;

static CATALOG: Slot<Catalog> = Mutex::new(None);
static GRID: Slot<Grid> = Mutex::new(None);

async fn cached<T>(
    storage: &dyn Storage,
    slot: &Slot<T>,
    key: &str,
    version_key: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<Arc<T>>, Open311Error> {
    let Some(version) = storage.setting(version_key).await? else {
        // Stored before versions were kept (or never): parse what is there.
        return match storage.setting(key).await? {
            Some(text) => Ok(Some(Arc::new(
                parse(&text).map_err(Open311Error::internal)?,
            ))),
            None => Ok(None),
        };
    };
    if let Ok(held) = slot.lock() {
        if let Some((v, value)) = held.as_ref() {
            if *v == version {
                return Ok(Some(value.clone()));
            }
        }
    }
    let Some(text) = storage.setting(key).await? else {
        return Ok(None);
    };
    let value = Arc::new(parse(&text).map_err(Open311Error::internal)?);
    if let Ok(mut held) = slot.lock() {
        *held = Some((version, value.clone()));
    }
    Ok(Some(value))
}

/// The server's catalogue (the services), if one is stored.
async fn catalog(storage: &dyn Storage) -> Result<Option<Arc<Catalog>>, Open311Error> {
    cached(
        storage,
        &CATALOG,
        SETTING_CATALOG,
        SETTING_CATALOG_VERSION,
        |t| Catalog::from_json(t).map_err(|e| e.to_string()),
    )
    .await
}

/// The server's grid (the area served), if one is stored.
async fn grid(storage: &dyn Storage) -> Result<Option<Arc<Grid>>, Open311Error> {
    cached(storage, &GRID, SETTING_GRID, SETTING_GRID_VERSION, |t| {
        Grid::from_geojson(t).map_err(|e| e.to_string())
    })
    .await
}

/// Unix ms now.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
