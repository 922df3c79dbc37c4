//! `POST requests.{json,xml}`: a resident or a partner system files a new case.
//!
//! The form is checked in full before anything is written: the API key (an integration
//! account's, issued by `gridwork admin open311-key`), the service (a category of the
//! server's catalogue), the point (inside a cell of the server's grid and of the
//! account's area), the sizes of every text. Then the report is built as the next event
//! of the account's server-held device `open311:<user>` and pushed through the one
//! write path every device uses. The resident's name, e-mail and phone are not put in
//! the event (which every phone of the area pulls and which can never be changed) but
//! kept beside it in `open311_requests`, for the centre only, until they are purged.

use super::{catalog, grid, json, now_ms, open311_device, xml, xml_body, Format, Open311Error};
use crate::{
    account::{new_token, token_digest},
    api::AppState,
    storage::open311::{Contact, FiledRequest},
};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, RawQuery, State},
    response::Response,
};
use gridwork_core::{
    catalog::LookupError,
    clock::Hlc,
    model::{
        Actor, Event, IncidentEvent, Report, Role, Stream, Urgency, GENESIS_HASH,
        MAX_ADDRESS_CHARS, MAX_DESCRIPTION_CHARS,
    },
    sync::wire::PushOutcome,
};
use serde::Serialize;
use uuid::Uuid;

/// Largest form body accepted.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// Longest name, e-mail address or phone number accepted.
pub const MAX_CONTACT_CHARS: usize = 100;

/// The form fields the standard defines. Anything else (including `attribute[...]`,
/// since no service has attributes) is ignored; `device_id`, `account_id` and
/// `media_url` are read but not kept (minimisation: the case needs none of them).
#[derive(Debug, Default)]
struct Form {
    api_key: Option<String>,
    service_code: Option<String>,
    lat: Option<String>,
    long: Option<String>,
    address_string: Option<String>,
    description: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

impl Form {
    fn parse(query: Option<&str>, body: &[u8]) -> Form {
        let mut f = Form::default();
        // Some clients send the key in the query string (the standard allows either).
        let pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .chain(form_urlencoded::parse(body));
        for (k, v) in pairs {
            let v = v.trim().to_string();
            let slot = match k.as_ref() {
                "api_key" => &mut f.api_key,
                "service_code" => &mut f.service_code,
                "lat" => &mut f.lat,
                "long" => &mut f.long,
                "address_string" => &mut f.address_string,
                "description" => &mut f.description,
                "first_name" => &mut f.first_name,
                "last_name" => &mut f.last_name,
                "email" => &mut f.email,
                "phone" => &mut f.phone,
                _ => continue,
            };
            if !v.is_empty() && slot.is_none() {
                *slot = Some(v);
            }
        }
        f
    }
}

/// The answer: the new request's id and its lookup token.
#[derive(Debug, Serialize)]
struct Filed {
    service_request_id: String,
    token: String,
    service_notice: String,
}

/// `POST requests.json`.
pub(super) async fn post_json(
    state: State<AppState>,
    query: RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Open311Error> {
    post(state, query, body, Format::Json).await
}

/// `POST requests.xml`.
pub(super) async fn post_xml(
    state: State<AppState>,
    query: RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Open311Error> {
    post(state, query, body, Format::Xml).await
}

fn too_long(field: &str, text: &Option<String>, max: usize) -> Result<(), Open311Error> {
    let n = text.as_deref().map_or(0, |t| t.chars().count());
    if n > max {
        return Err(Open311Error::bad_request(format!(
            "{field} has {n} characters; at most {max}"
        )));
    }
    Ok(())
}

fn coordinate(name: &str, text: &Option<String>, limit: f64) -> Result<f64, Open311Error> {
    let Some(text) = text else {
        return Err(Open311Error::bad_request(format!(
            "{name} is required (this server has no geocoder for address_string)"
        )));
    };
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= limit => Ok(v),
        _ => Err(Open311Error::bad_request(format!(
            "{name}: {text:?} is not a WGS-84 coordinate"
        ))),
    }
}

async fn post(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
    format: Format,
) -> Result<Response, Open311Error> {
    let filed = file(&state, query.as_deref(), body)
        .await
        .map_err(|e| e.in_format(format))?;
    Ok(match format {
        Format::Json => json(&[filed]),
        Format::Xml => {
            let mut w = xml::Writer::new("service_requests");
            xml::object(
                &mut w,
                "request",
                &serde_json::to_value(&filed).unwrap_or_default(),
            );
            xml_body(w.finish())
        }
    })
}

/// Files one request; writes nothing unless every check passed.
async fn file(
    state: &AppState,
    query: Option<&str>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Filed, Open311Error> {
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            Open311Error {
                status: e.status(),
                description: format!("the form is larger than {MAX_FORM_BYTES} bytes"),
                format: Format::Json,
            }
        } else {
            Open311Error::bad_request(e.body_text())
        }
    })?;
    let f = Form::parse(query, &body);
    let storage = &*state.storage;

    // Who files it.
    let Some(key) = f.api_key.as_deref() else {
        return Err(Open311Error::forbidden(
            "an api_key is required to file a request",
        ));
    };
    let (user, source) = storage
        .open311_key(&token_digest(key))
        .await?
        .ok_or_else(|| Open311Error::forbidden("this api_key is not valid here"))?;
    let account = storage
        .account(&user)
        .await?
        .filter(|a| a.role == Role::Integration)
        .ok_or_else(|| Open311Error::forbidden("this api_key is not valid here"))?;

    // What and where.
    let code = f
        .service_code
        .clone()
        .ok_or_else(|| Open311Error::bad_request("service_code is required"))?;
    let catalog = catalog(storage).await?;
    let catalog = catalog
        .as_deref()
        .ok_or_else(|| Open311Error::not_found(format!("no service {code:?}")))?;
    let category = catalog.resolve(&code).map_err(|e| match e {
        LookupError::Ambiguous { .. } => Open311Error::bad_request(e.to_string()),
        _ => Open311Error::not_found(format!("no service {code:?}")),
    })?;
    let lat = coordinate("lat", &f.lat, 90.0)?;
    let lon = coordinate("long", &f.long, 180.0)?;
    let description = f
        .description
        .clone()
        .ok_or_else(|| Open311Error::bad_request("description is required"))?;
    too_long("description", &f.description, MAX_DESCRIPTION_CHARS)?;
    too_long("address_string", &f.address_string, MAX_ADDRESS_CHARS)?;
    for (name, value) in [
        ("first_name", &f.first_name),
        ("last_name", &f.last_name),
        ("email", &f.email),
        ("phone", &f.phone),
    ] {
        too_long(name, value, MAX_CONTACT_CHARS)?;
    }
    let grid = grid(storage).await?;
    let cell = grid
        .as_deref()
        .and_then(|g| g.locate(lat, lon))
        .map(|c| c.code.as_str().to_string())
        .ok_or_else(|| {
            Open311Error::bad_request("the point lies outside the area this city serves")
        })?;
    if !account.covers(&cell) {
        return Err(Open311Error::bad_request(
            "the point lies outside the area this api_key may report in",
        ));
    }

    let report = IncidentEvent::Reported(Report {
        category: catalog.reference(category),
        lat,
        lon,
        accuracy_m: None,
        description,
        address: f.address_string.clone(),
        urgency: Urgency::Normal,
        photos: Vec::new(),
        cell: Some(cell),
        patrol: None,
    });
    report
        .check_limits()
        .map_err(|e| Open311Error::bad_request(e.to_string()))?;
    let mut payload = report.payload();
    payload["source"] = source.as_str().into();
    let (token, _) = new_token()?;
    let token = token[..32].to_string();
    let case_id = Uuid::now_v7();
    let device = open311_device(&account.user);

    // One filing at a time: each is the next event of the account's chain.
    let _one = ONE_AT_A_TIME.lock().await;
    let head = storage.device_head(&device).await?;
    let (seq, prev) = match head {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let now = now_ms();
    let event = Event {
        id: Uuid::now_v7(),
        stream: Stream::Incident(case_id),
        kind: report.kind().into(),
        hlc: Hlc::new(now, 0),
        device_id: device,
        actor: Actor::new(account.user.clone(), Role::Integration),
        device_seq: seq,
        prev_hash: prev,
        payload,
        server_seq: None,
        signature: None,
    };
    // The chain place is taken again where the push commits: another server process
    // may have filed for this account since `head` was read.
    match storage.push_next(&account, event).await? {
        PushOutcome::Accepted { .. } => {}
        PushOutcome::Rejected { reason } => {
            tracing::warn!("open311: a checked filing was rejected: {reason}");
            return Err(Open311Error::bad_request(reason));
        }
        PushOutcome::Duplicate { .. } => {
            return Err(Open311Error::internal("the request was not recorded"))
        }
    }
    let contact = Contact {
        first_name: f.first_name,
        last_name: f.last_name,
        email: f.email,
        phone: f.phone,
    };
    storage
        .put_open311_request(&FiledRequest {
            case_id,
            token: token.clone(),
            account: account.user.clone(),
            contact: Some(contact).filter(|c| !c.is_empty()),
            created_ms: now,
        })
        .await?;
    Ok(Filed {
        service_request_id: case_id.to_string(),
        token,
        service_notice: String::new(),
    })
}

/// Filings of one server are made one at a time (see [`crate::api`]'s console actions).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
