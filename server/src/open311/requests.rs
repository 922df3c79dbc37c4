//! `GET requests.{json,xml}` (filters: `service_request_id`, `service_code`,
//! `start_date`, `end_date`, `status`), `GET requests/{id}.json` and
//! `GET tokens/{token}.json`: the server's case view as Open311 service requests.
//!
//! A case is `open` until it is closed or cancelled; `status_notes` says where it stands
//! in the workflow, `expected_datetime` is the server's handling deadline and
//! `agency_responsible` the department it was dispatched to. Nothing of the reporter
//! (no account, no contact details, no photos) is published.

use super::{catalog, json, now_ms, xml, xml_body, Format, Open311Error};
use crate::{
    api::AppState,
    params::{self, Open311List, Open311ListParams},
    projection::CaseView,
    query::CaseFilter,
};
use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use chrono::{DateTime, FixedOffset, Offset, SecondsFormat};
use gridwork_core::{catalog::Catalog, workflow::Status};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most requests one `GET requests` answers (the newest of the range).
pub const MAX_REQUESTS: u32 = 200;

/// One service request, as Open311 describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRequest {
    /// The case id.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// Where the case stands in the workflow.
    pub status_notes: String,
    /// The category's name.
    pub service_name: String,
    /// The category code.
    pub service_code: String,
    /// What was reported.
    pub description: String,
    /// The department handling it, once dispatched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_responsible: Option<String>,
    /// When the server received the report (ISO 8601, the city's offset).
    pub requested_datetime: String,
    /// When the server received its latest step.
    pub updated_datetime: String,
    /// When handling is due by the server's calendar, while a deadline runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<String>,
    /// The address given with the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// WGS-84 latitude.
    pub lat: f64,
    /// WGS-84 longitude.
    pub long: f64,
}

/// Where a workflow status stands for Open311: `open` or `closed`, and a note.
pub fn status_of(view: &CaseView) -> (&'static str, String) {
    let open = if view.case.status.is_terminal() {
        "closed"
    } else {
        "open"
    };
    let dept = view.case.department.as_deref().unwrap_or("a department");
    let note = match view.case.status {
        Status::Reported => "received; the centre is checking it".to_string(),
        Status::Registered => "registered as a case; waiting to be dispatched".to_string(),
        Status::Dispatched => format!("dispatched to {dept}"),
        Status::Handled => format!("handled by {dept}; waiting to be verified on site"),
        Status::Verified => "verified on site; waiting to be closed".to_string(),
        Status::Suspended => "suspended".to_string(),
        Status::Closed => "closed: the problem was solved and verified".to_string(),
        Status::Cancelled => "not taken up as a case".to_string(),
    };
    (open, note)
}

fn datetime(ms: i64, offset: &FixedOffset) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(offset)
                .to_rfc3339_opts(SecondsFormat::Secs, true)
        })
        .unwrap_or_default()
}

/// The city's time zone (the catalogue calendar's offset; UTC+8 without one).
fn offset(catalog: Option<&Catalog>) -> FixedOffset {
    let minutes = catalog.map_or(480, |c| c.calendar().utc_offset_minutes());
    FixedOffset::east_opt(minutes * 60).unwrap_or_else(|| chrono::Utc.fix())
}

/// A case view as a service request.
pub fn service_request(view: &CaseView, catalog: Option<&Catalog>) -> ServiceRequest {
    let tz = offset(catalog);
    let (status, status_notes) = status_of(view);
    let code = view.case.category().to_string();
    let category = catalog.and_then(|c| c.get(&code));
    let department = view.case.department.as_deref().map(|d| {
        catalog
            .and_then(|c| c.department(d))
            .map_or_else(|| d.to_string(), |d| d.name_zh.clone())
    });
    ServiceRequest {
        service_request_id: view.case.id.to_string(),
        status: status.into(),
        status_notes,
        service_name: category.map_or_else(|| code.clone(), |c| c.name_zh.clone()),
        service_code: code,
        description: view.case.report.description.clone(),
        agency_responsible: department,
        requested_datetime: datetime(view.received_ms, &tz),
        updated_datetime: datetime(view.updated_ms, &tz),
        expected_datetime: view
            .deadline_ms
            .filter(|_| !view.case.status.is_terminal())
            .map(|d| datetime(d, &tz)),
        address: view.case.report.address.clone(),
        lat: view.case.report.lat,
        long: view.case.report.lon,
    }
}

fn write(requests: &[ServiceRequest], format: Format) -> Response {
    match format {
        Format::Json => json(&requests),
        Format::Xml => {
            let mut w = xml::Writer::new("service_requests");
            for r in requests {
                xml::object(
                    &mut w,
                    "request",
                    &serde_json::to_value(r).unwrap_or_default(),
                );
            }
            xml_body(w.finish())
        }
    }
}

async fn list(state: &AppState, p: Open311ListParams) -> Result<Vec<ServiceRequest>, Open311Error> {
    let storage = &*state.storage;
    let catalog = catalog(storage).await?;
    let now = now_ms();
    let (statuses, from, to, codes) = match params::open311_list(&p, now)
        .map_err(|e| Open311Error::bad_request(e.to_string()))?
    {
        Open311List::Ids(ids) => {
            let mut out = Vec::new();
            for id in ids.iter().take(MAX_REQUESTS as usize) {
                if let Ok(id) = Uuid::try_parse(id) {
                    if let Some(v) = storage.case_view(id).await? {
                        out.push(service_request(&v, catalog.as_deref()));
                    }
                }
            }
            return Ok(out);
        }
        Open311List::Filter {
            statuses,
            from_ms,
            to_ms,
            codes,
        } => (statuses, from_ms, to_ms, codes),
    };
    let mut out = Vec::new();
    // One query per service code asked for (none: every code).
    let codes: Vec<Option<String>> = if codes.is_empty() {
        vec![None]
    } else {
        // In the form cases store them (`kind/code` where a component and an event
        // share the code).
        codes
            .into_iter()
            .map(|c| {
                crate::api::catalog::canonical_category(catalog.as_deref(), &c)
                    .map(Some)
                    .map_err(Open311Error::bad_request)
            })
            .collect::<Result<_, _>>()?
    };
    for code in codes {
        let filter = CaseFilter {
            prefixes: Vec::new(),
            statuses: statuses.clone(),
            category: code,
            department: None,
            overdue: None,
            conflict: None,
            now_ms: now,
            text: None,
            source: None,
            application: None,
            from_ms: Some(from),
            to_ms: Some(to),
            after: None,
            limit: MAX_REQUESTS,
        };
        let page = storage.list_cases(&filter).await?;
        out.extend(
            page.views
                .iter()
                .map(|v| service_request(v, catalog.as_deref())),
        );
    }
    out.sort_by(|a, b| b.requested_datetime.cmp(&a.requested_datetime));
    out.truncate(MAX_REQUESTS as usize);
    Ok(out)
}

/// `GET requests.json`.
pub(super) async fn list_json(
    State(state): State<AppState>,
    params: Result<Query<Open311ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Open311Error> {
    let Query(p) = params.map_err(|e| Open311Error::bad_request(e.body_text()))?;
    Ok(write(&list(&state, p).await?, Format::Json))
}

/// `GET requests.xml`.
pub(super) async fn list_xml(
    State(state): State<AppState>,
    params: Result<Query<Open311ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Open311Error> {
    let xml = |e: Open311Error| e.in_format(Format::Xml);
    let Query(p) = params.map_err(|e| xml(Open311Error::bad_request(e.body_text())))?;
    Ok(write(&list(&state, p).await.map_err(xml)?, Format::Xml))
}

/// `GET requests/{id}.json`: a list of one.
pub(super) async fn one(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, Open311Error> {
    let Some((id, format)) = Format::split(&file) else {
        return Err(Open311Error::not_found(
            "a request is {id}.json or {id}.xml",
        ));
    };
    let missing = || Open311Error::not_found(format!("no service request {id}")).in_format(format);
    let id = Uuid::try_parse(id).map_err(|_| missing())?;
    let view = state
        .storage
        .case_view(id)
        .await
        .map_err(|e| Open311Error::from(e).in_format(format))?
        .ok_or_else(missing)?;
    let catalog = catalog(&*state.storage)
        .await
        .map_err(|e| e.in_format(format))?;
    Ok(write(&[service_request(&view, catalog.as_deref())], format))
}

/// The answer of `tokens/{token}`.
#[derive(Debug, Serialize)]
struct TokenAnswer {
    service_request_id: String,
    token: String,
}

/// `GET tokens/{token}.json`: the request a token stands for.
pub(super) async fn token(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, Open311Error> {
    let Some((token, format)) = Format::split(&file) else {
        return Err(Open311Error::not_found(
            "a token is {token}.json or {token}.xml",
        ));
    };
    let filed = state
        .storage
        .open311_by_token(token)
        .await
        .map_err(|e| Open311Error::from(e).in_format(format))?
        .ok_or_else(|| Open311Error::not_found("no request with this token").in_format(format))?;
    let answer = TokenAnswer {
        service_request_id: filed.case_id.to_string(),
        token: filed.token,
    };
    Ok(match format {
        Format::Json => json(&[answer]),
        Format::Xml => {
            let mut w = xml::Writer::new("service_requests");
            xml::object(
                &mut w,
                "request",
                &serde_json::to_value(&answer).unwrap_or_default(),
            );
            xml_body(w.finish())
        }
    })
}
