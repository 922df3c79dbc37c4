//! Holes found by probing the server from outside, kept shut end to end: real stores
//! syncing through the HTTP transport with a real server on loopback.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    clock::Hlc,
    db::ListFilter,
    model::{Actor, Event, IncidentEvent, PhotoRef, Report, Role, Stream, GENESIS_HASH},
    store::ReportDraft,
    sync::{self, EngineState, HttpRequest, Method, Transport},
    workflow::Status,
};
use gridwork_tests::{http, Device, TestServer, GRID};
use uuid::Uuid;

const COMMUNITY: &str = "320508001001";

/// Sends a raw request with a bearer token.
fn send(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> gridwork_core::sync::HttpResponse {
    let mut all = vec![
        ("Authorization".to_string(), format!("Bearer {token}")),
        ("Gridwork-Protocol".to_string(), "1".to_string()),
    ];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    http()
        .send(&HttpRequest {
            method,
            url: format!("{}{path}", server.url()),
            headers: all,
            body,
        })
        .unwrap()
}

/// A first event of a hand-made device chain: a report referencing `photo`.
fn report_referencing(user: &str, device: &str, photo: &PhotoRef, like: &Report) -> Event {
    let ev = IncidentEvent::Reported(Report {
        category: "06010".into(),
        lat: like.lat,
        lon: like.lon,
        accuracy_m: None,
        description: "same bin".into(),
        address: None,
        urgency: Default::default(),
        photos: vec![photo.clone()],
        cell: like.cell.clone(),
        patrol: None,
    });
    Event {
        id: Uuid::now_v7(),
        stream: Stream::Incident(Uuid::now_v7()),
        kind: ev.kind().into(),
        hlc: Hlc::new(gridwork_core::store::system_now_ms(), 0),
        device_id: device.into(),
        actor: Actor::new(user, Role::Worker),
        device_seq: 1,
        prev_hash: GENESIS_HASH.into(),
        payload: ev.payload(),
        server_seq: None,
        signature: None,
    }
}

/// Fails every photo upload: the run pushes its events and leaves the photos pending.
struct NoUploads;

impl Transport for NoUploads {
    fn send(
        &self,
        req: &HttpRequest,
    ) -> Result<gridwork_core::sync::HttpResponse, gridwork_core::sync::TransportError> {
        if req.method == Method::Put {
            return Err(gridwork_core::sync::TransportError::Interrupted(
                "no uploads in this test".into(),
            ));
        }
        http().send(req)
    }
}

#[test]
fn a_wrong_prefix_planted_by_someone_else_cannot_make_a_photo_vanish() {
    let server = TestServer::start();
    let t_li = server.account("li", Role::Worker, COMMUNITY);
    let t_zhao = server.account("zhao", Role::Worker, COMMUNITY);
    let li = Device::new("li", Role::Worker, "phone-li");
    li.login(&server, &t_li);
    let case = li.store.report(&li.draft("overflowing bin")).unwrap();
    // The report goes up; its photo does not (the connection fails on uploads).
    let r = li.sync_with(&NoUploads);
    assert_eq!(r.pushed, 1);
    assert_eq!(sync::status(&li.store).unwrap().pending_photos, 1);
    let photo = li.store.case(case).unwrap().case.report.photos[0].clone();

    // zhao pulled the report, so he knows the photo's hash and size. His own report
    // references it, and he plants a wrong prefix as long as the photo, announcing one
    // byte more. Before uploads had owners, li's phone then read "offset = size",
    // counted the photo as uploaded, and the photo was never stored.
    let like = li.store.case(case).unwrap().case.report;
    let planted = report_referencing("zhao", "zhao-raw", &photo, &like);
    let body = serde_json::to_vec(&serde_json::json!({ "events": [planted] })).unwrap();
    let res = send(
        &server,
        &t_zhao,
        Method::Post,
        "/v1/events",
        &[("Content-Type", "application/json")],
        body,
    );
    assert_eq!(res.status, 200);
    let text = String::from_utf8_lossy(&res.body).to_string();
    assert!(text.contains("accepted"), "{text}");
    let range = format!("bytes 0-{}/{}", photo.size - 1, photo.size + 1);
    let res = send(
        &server,
        &t_zhao,
        Method::Put,
        &format!("/v1/blobs/{}", photo.sha256),
        &[("Content-Range", &range)],
        vec![0u8; photo.size as usize],
    );
    assert_eq!(res.status, 202);

    // li's next sync sends the photo whole, and the server holds it.
    let r = li.sync();
    assert_eq!(
        (r.uploaded_photos, r.state),
        (1, EngineState::Synced),
        "{r:?}"
    );
    assert_eq!(sync::status(&li.store).unwrap().pending_photos, 0);
    let got = send(
        &server,
        &t_zhao,
        Method::Get,
        &format!("/v1/blobs/{}", photo.sha256),
        &[],
        Vec::new(),
    );
    assert_eq!(got.status, 200);
    let local = std::fs::read(li.store.photos_dir().join(&photo.sha256)).unwrap();
    assert_eq!(got.body, local);
}

#[test]
fn a_report_is_filed_where_its_point_lies_not_where_the_phone_says() {
    let server = TestServer::start();
    server.admin(async |s| gridwork_server::admin::import_grid(s, GRID).await.unwrap());
    let t_li = server.account("li", Role::Worker, "320508001");
    let t_zhao = server.account("zhao", Role::Worker, "320508002");
    let t_wang = server.account("wang", Role::Supervisor, "320508002");
    // li's phone holds a tampered grid: a Qiaonan St cell (320508002…) relabelled as
    // one of li's Lanxi St cells.
    let li = Device::new("li", Role::Worker, "phone-li");
    let tampered = GRID
        .replace("\"32050800100101\"", "\"32050800199998\"")
        .replace("\"32050800200101\"", "\"32050800100101\"");
    li.store.import_grid(&tampered).unwrap();
    li.login(&server, &t_li);
    let qiaonan = ReportDraft {
        lat: 31.30603,
        lon: 120.59483,
        photos: vec![],
        ..li.draft("rubbish in Qiaonan St")
    };
    let case = li.store.report(&qiaonan).unwrap();
    assert_eq!(
        li.store.case(case).unwrap().case.report.cell.as_deref(),
        Some("32050800100101"),
        "the phone claims its own cell"
    );
    let r = li.sync();
    assert_eq!((r.pushed, r.rejected), (0, 1), "{r:?}");
    assert_eq!(
        r.changed_cases,
        vec![case],
        "the shell is told the case changed"
    );
    let detail = li.store.case(case).unwrap();
    let rejected = format!("{:?}", detail.timeline[0].sync);
    assert!(rejected.contains("32050800200101"), "{rejected}");

    // zhao, the worker of Qiaonan St, reports the same spot with a correct grid; his
    // street's supervisor sees it, li's area does not.
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    let wang = Device::new("wang", Role::Supervisor, "tablet-wang");
    zhao.login(&server, &t_zhao);
    wang.login(&server, &t_wang);
    let theirs = zhao
        .store
        .report(&ReportDraft {
            lat: 31.30603,
            lon: 120.59483,
            photos: vec![],
            ..zhao.draft("rubbish in Qiaonan St")
        })
        .unwrap();
    assert_eq!(zhao.sync().pushed, 1);
    wang.sync();
    let seen: Vec<_> = wang
        .store
        .list_all(&ListFilter::default())
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.status))
        .collect();
    assert_eq!(seen, vec![(theirs, Status::Reported)]);
    assert_eq!(li.sync().pulled, 0);
}
