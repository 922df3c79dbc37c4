//! Open311 GeoReport v2 on a live server, on both backends: services from the
//! catalogue, filing through an integration account's key (every refusal in the
//! standard error shape, with nothing written), requests and tokens read back as the
//! workflow moves, the resident's contact details kept apart, scoped and purged, and
//! forwarding (open311_forward.rs).

use crate::common::*;
use gridwork_core::model::{Action, Role, Source, Stream};
use gridwork_server::{admin, open311::Open311Options, storage::Storage, AppState, Limits};
use reqwest::StatusCode;
use serde_json::Value;
use std::{net::SocketAddr, sync::Arc, time::Duration};

/// In cell 32050800100101 (Lanyuan community).
pub(crate) const HOME: (f64, f64) = (31.306, 120.5808);
/// In cell 32050800300404 (Liuyin community, another street).
pub(crate) const ELSEWHERE: (f64, f64) = (31.294, 120.6158);

/// Serves `storage` on `listener`; the URL, and the photo folder to keep while it runs.
pub(crate) async fn serve(
    storage: Arc<dyn Storage>,
    listener: tokio::net::TcpListener,
) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let blobs = gridwork_server::blobs::BlobStore::open(&dir.path().join("blobs")).unwrap();
    let state = AppState::new(storage, Arc::new(blobs), Limits::default());
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(gridwork_server::serve_listener(
        listener,
        gridwork_server::router(state),
        Duration::from_secs(30),
        std::future::pending(),
    ));
    (format!("http://{addr}"), dir)
}

/// A city: catalogue, grid, the sample accounts, and an integration account `portal`
/// for residents in street 3205080010 with its key.
pub(crate) async fn city(s: &dyn Storage) -> String {
    accounts(s).await;
    admin::import_catalog(s, include_str!("../../../data/kcity-catalog.json"))
        .await
        .unwrap();
    admin::import_grid(s, include_str!("../../../data/kcity-grid.geojson"))
        .await
        .unwrap();
    admin::add_user(s, "portal", Role::Integration, "3205080010", None)
        .await
        .unwrap();
    admin::issue_open311_key(s, "portal", Source::Resident)
        .await
        .unwrap()
}

pub(crate) fn form(
    key: Option<&str>,
    code: &str,
    at: (f64, f64),
    description: &str,
) -> Vec<(String, String)> {
    let mut f = vec![
        ("service_code".to_string(), code.to_string()),
        ("lat".into(), at.0.to_string()),
        ("long".into(), at.1.to_string()),
        ("description".into(), description.into()),
        ("address_string".into(), "兰溪街 12 号".into()),
        ("first_name".into(), "Mei".into()),
        ("last_name".into(), "Zhou".into()),
        ("email".into(), "mei@example.org".into()),
        ("phone".into(), "13800000000".into()),
        ("device_id".into(), "some-phone".into()),
    ];
    if let Some(k) = key {
        f.push(("api_key".into(), k.into()));
    }
    f
}

pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// A form-encoded body.
pub(crate) fn encode(f: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(f)
        .finish()
}

/// Status and the standard error list's only entry (code, description).
async fn refusal(res: reqwest::Response) -> (StatusCode, u64, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    let list = body.as_array().expect("errors are a list");
    assert_eq!(list.len(), 1, "{body}");
    (
        status,
        list[0]["code"].as_u64().unwrap(),
        list[0]["description"].as_str().unwrap().to_string(),
    )
}

async fn files_and_follows_a_residents_request(s: Arc<dyn Storage>) {
    let key = city(s.as_ref()).await;
    let (base, _blobs) = serve(
        s.clone(),
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    )
    .await;
    let o = format!("{base}/open311/v2");
    let c = crate::common::http_client();

    // Services are the catalogue.
    let services: Vec<Value> = c
        .get(format!("{o}/services.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(services.len(), 229);
    let bin = services
        .iter()
        .find(|v| v["service_code"] == "06010")
        .unwrap();
    assert_eq!(bin["metadata"], false);
    assert_eq!(bin["type"], "realtime");
    let xml = c
        .get(format!("{o}/services.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains("<service><description>")
            && xml.contains("<service_code>06010</service_code>"),
        "{xml:.300}"
    );
    let def: Value = c
        .get(format!("{o}/services/06010.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(def["service_code"], "06010");
    let (st, code, _) = refusal(
        c.get(format!("{o}/services/99999.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, code), (StatusCode::NOT_FOUND, 404));

    // Every refusal: the standard shape, and nothing written.
    let post = |f: Vec<(String, String)>| {
        c.post(format!("{o}/requests.json"))
            .header("content-type", FORM)
            .body(encode(&f))
            .send()
    };
    let cases = |s: Arc<dyn Storage>| async move { s.case_views().await.unwrap().len() };
    let long = "x".repeat(4001);
    for (f, want, says) in [
        (form(None, "06010", HOME, "bin"), 403, "api_key"),
        (
            form(Some("not-a-key"), "06010", HOME, "bin"),
            403,
            "api_key",
        ),
        (form(Some(&key), "99999", HOME, "bin"), 404, "no service"),
        (
            form(Some(&key), "06010", ELSEWHERE, "bin"),
            400,
            "outside the area this api_key",
        ),
        (
            form(Some(&key), "06010", (39.9, 116.4), "bin"),
            400,
            "outside the area this city",
        ),
        (
            form(Some(&key), "06010", HOME, &long),
            400,
            "description has 4001",
        ),
        (
            form(Some(&key), "06010", (f64::NAN, 1.0), "bin"),
            400,
            "lat",
        ),
        (
            [
                form(Some(&key), "06010", HOME, "bin"),
                vec![("first_name".into(), "名".repeat(101))],
            ]
            .concat()
            .into_iter()
            .filter(|(k, v)| k != "first_name" || v != "Mei")
            .collect(),
            400,
            "first_name has 101",
        ),
    ] {
        let (st, code, why) = refusal(post(f).await.unwrap()).await;
        assert_eq!((st.as_u16() as u64, code), (want, want), "{why}");
        assert!(why.contains(says), "{why:?} should say {says:?}");
    }
    let huge = vec![
        ("api_key".to_string(), key.clone()),
        ("description".into(), "y".repeat(70_000)),
    ];
    let (st, code, _) = refusal(post(huge).await.unwrap()).await;
    assert_eq!((st, code), (StatusCode::PAYLOAD_TOO_LARGE, 413));
    // The XML flavour of an error.
    let res = c
        .post(format!("{o}/requests.xml"))
        .header("content-type", FORM)
        .body(encode(&form(None, "06010", HOME, "bin")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("<errors><error><code>403</code><description>"),
        "{text}"
    );
    assert_eq!(cases(s.clone()).await, 0, "a refusal wrote a case");
    assert_eq!(
        s.device_head("open311:portal").await.unwrap(),
        None,
        "a refusal took a chain place"
    );

    // Filed: an ordinary report event of the portal's server-held device.
    let filed: Value = post(form(
        Some(&key),
        "06010",
        HOME,
        "垃圾桶满了 overflowing bin",
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = filed[0]["service_request_id"].as_str().unwrap().to_string();
    let token = filed[0]["token"].as_str().unwrap().to_string();
    let uuid = uuid::Uuid::parse_str(&id).unwrap();
    let view = s.case_view(uuid).await.unwrap().unwrap();
    assert_eq!(view.source, Source::Resident);
    assert_eq!(view.cell, "32050800100101");
    assert_eq!(
        (view.case.reporter.user.as_str(), view.case.reporter.role),
        ("portal", Role::Integration)
    );
    let events = s.case_events(uuid).await.unwrap();
    assert_eq!(events[0].0.device_id, "open311:portal");
    let text = serde_json::to_string(&events[0].0).unwrap();
    for private in [
        "Mei",
        "Zhou",
        "mei@example.org",
        "13800000000",
        "some-phone",
    ] {
        assert!(!text.contains(private), "the event log holds {private}");
    }
    // The phones of the area pull it like any report.
    let li = account(s.as_ref(), "li").await;
    assert!(s
        .pull(&li, 0, 100)
        .await
        .unwrap()
        .events
        .iter()
        .any(|e| e.stream.id() == uuid));

    // Read back: by id, by token, in lists with the standard filters.
    let one: Vec<Value> = c
        .get(format!("{o}/requests/{id}.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one[0]["status"], "open");
    assert_eq!(one[0]["service_code"], "06010");
    assert!(
        one[0]["status_notes"]
            .as_str()
            .unwrap()
            .contains("checking"),
        "{one:?}"
    );
    assert!(one[0].get("expected_datetime").is_none());
    assert!(
        one[0]["requested_datetime"]
            .as_str()
            .unwrap()
            .ends_with("+08:00"),
        "{one:?}"
    );
    for private in ["email", "phone", "first_name", "reporter"] {
        assert!(one[0].get(private).is_none(), "{private} is published");
    }
    let by_token: Value = c
        .get(format!("{o}/tokens/{token}.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_token[0]["service_request_id"], id.as_str());
    let (st, _, _) = refusal(c.get(format!("{o}/tokens/nope.json")).send().await.unwrap()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = refusal(
        c.get(format!("{o}/requests/{}.json", uuid::Uuid::now_v7()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let list = |q: &'static str| {
        let url = format!("{o}/requests.json?{q}");
        let c = c.clone();
        async move {
            let res = c.get(&url).send().await.unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            assert_eq!(status, StatusCode::OK, "{url}: {text}");
            let res: Vec<Value> = serde_json::from_str(&text).unwrap();
            res.iter()
                .map(|r| r["service_request_id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    // A worker's own report is a case too, of another service.
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let worker_report = phone.report_with(Some("32050800100101"), |r| {
        r.category = "01001".into();
        r.lat = HOME.0;
        r.lon = HOME.1;
    });
    let worker_case = worker_report.stream;
    s.push(&li, vec![worker_report]).await.unwrap();
    assert_eq!(
        s.case_view(worker_case.id()).await.unwrap().unwrap().source,
        Source::GridWorker
    );
    assert_eq!(list("").await.len(), 2);
    assert_eq!(list("service_code=06010").await, vec![id.clone()]);
    assert_eq!(list("service_code=06010,01001").await.len(), 2);
    assert_eq!(list("status=closed").await, Vec::<String>::new());
    assert_eq!(
        list("status=open&service_code=06010").await,
        vec![id.clone()]
    );
    assert_eq!(
        list("start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z").await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(Box::leak(
            format!("service_request_id={id}").into_boxed_str()
        ))
        .await,
        vec![id.clone()]
    );
    let (st, code, _) = refusal(
        c.get(format!(
            "{o}/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2021-01-01T00:00:00Z"
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((st, code), (StatusCode::BAD_REQUEST, 400));
    let (st, _, _) = refusal(
        c.get(format!("{o}/requests.json?status=pending"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let xml = c
        .get(format!("{o}/requests.xml?service_code=06010"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains("<service_requests><request>")
            && xml.contains(&format!("<service_request_id>{id}</service_request_id>")),
        "{xml}"
    );

    // The workflow moves: open with notes and the deadline, then closed.
    let wang = account(s.as_ref(), "wang").await;
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let stream = Stream::Incident(uuid);
    let dispatch = Action::Dispatch {
        department: "sanitation".into(),
        deadline_ms: 1_767_000_000_000 + 7_200_000,
        note: None,
    };
    s.push(
        &wang,
        vec![tablet.act(stream, register()), tablet.act(stream, dispatch)],
    )
    .await
    .unwrap();
    let one: Vec<Value> = c
        .get(format!("{o}/requests/{id}.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one[0]["status"], "open");
    assert!(
        one[0]["status_notes"]
            .as_str()
            .unwrap()
            .starts_with("dispatched to"),
        "{one:?}"
    );
    assert!(one[0]["expected_datetime"].is_string(), "{one:?}");
    assert!(one[0]["agency_responsible"].is_string(), "{one:?}");
    let cancel = Action::Cancel {
        reason: "duplicate".into(),
    };
    let other = Stream::Incident(worker_case.id());
    s.push(&wang, vec![tablet.act(other, cancel)])
        .await
        .unwrap();
    assert_eq!(
        list("status=closed").await,
        vec![worker_case.id().to_string()]
    );

    // The contact details: the centre sees them, no one else; purged on schedule.
    let live_tokens = |user: &'static str| {
        let s = s.clone();
        async move {
            admin::issue_token(s.as_ref(), user, &format!("web-{user}"))
                .await
                .unwrap()
        }
    };
    let (wang_token, li_token) = (live_tokens("wang").await, live_tokens("li").await);
    let contact = |t: String| {
        c.get(format!("{base}/v1/cases/{id}/contact"))
            .bearer_auth(t)
            .send()
    };
    let res = contact(wang_token.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let got: Value = res.json().await.unwrap();
    assert_eq!(
        (got["email"].as_str(), got["phone"].as_str()),
        (Some("mei@example.org"), Some("13800000000"))
    );
    assert!(got.get("device_id").is_none(), "{got}");
    assert_eq!(
        contact(li_token).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let detail: Value = c
        .get(format!("{base}/v1/cases/{id}"))
        .bearer_auth(&wang_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["source"], "resident");
    assert!(!detail.to_string().contains("mei@example.org"));
    let keep = Open311Options::default();
    let now = now_ms();
    assert_eq!(
        gridwork_server::open311::purge_contacts(s.as_ref(), &keep, now)
            .await
            .unwrap(),
        0
    );
    let a_year_on = now + 181 * 86_400_000;
    assert_eq!(
        gridwork_server::open311::purge_contacts(s.as_ref(), &keep, a_year_on)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        contact(wang_token).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    // The token still finds the case.
    let by_token: Value = c
        .get(format!("{o}/tokens/{token}.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_token[0]["service_request_id"], id.as_str());
    // An integration account takes no sync token.
    assert!(admin::issue_token(s.as_ref(), "portal", "x").await.is_err());
    assert!(
        admin::add_user(s.as_ref(), "portal2", Role::Integration, "*", Some("pw"))
            .await
            .is_err()
    );
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_and_follows_a_residents_request() {
    let (s, _dir) = sqlite().await;
    files_and_follows_a_residents_request(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_files_and_follows_a_residents_request() {
    let Some(s) = postgres("open311_filing").await else {
        return;
    };
    files_and_follows_a_residents_request(s).await;
}
