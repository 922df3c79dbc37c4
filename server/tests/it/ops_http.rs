//! Operations over HTTP: liveness, readiness, Prometheus metrics scraped and parsed,
//! the accounts API for city administrators, and a shutdown that finishes a push in
//! flight.

use crate::common::{account, live, sqlite, Device};
use gridwork_core::{model::Role, sync::wire::PushOutcome};
use gridwork_server::{AppState, Limits};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::{
    collections::BTreeMap,
    io::{Read, Write},
    sync::Arc,
};

/// Prometheus' text format as `name{labels}` → value (labels sorted as written).
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (key, value) = line
            .rsplit_once(' ')
            .expect("a sample line is `name value`");
        out.insert(key.to_string(), value.parse::<f64>().expect("a number"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ready_and_metrics_count_what_happened() {
    let live = live(Limits::default()).await;
    let c = crate::common::http_client();
    let res = c.get(format!("{}/health", live.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = c.get(format!("{}/ready", live.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ready\n");

    let bad = c
        .post(format!("{}/v1/login", live.base))
        .json(&json!({"user": "li", "password": "wrong", "device_id": "phone-li"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let token = live.token("li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let ok = d.report(Some("32050800101"));
    let out = d.report(Some("32050800201"));
    let res = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&token)
        .json(&json!({ "events": [ok, out] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = c
        .get(format!("{}/v1/events?after=0", live.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let wang = live.token("wang").await;
    let case = c
        .get(format!("{}/v1/cases/{}", live.base, ok.stream.id()))
        .bearer_auth(&wang)
        .send()
        .await
        .unwrap();
    assert_eq!(case.status(), StatusCode::OK);

    let res = c
        .get(format!("{}/metrics", live.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = res.text().await.unwrap();
    let m = parse_metrics(&text);
    let get = |k: &str| {
        m.get(k)
            .copied()
            .unwrap_or_else(|| panic!("no {k} in\n{text}"))
    };
    assert_eq!(get("gridwork_push_events_total{outcome=\"accepted\"}"), 1.0);
    assert_eq!(get("gridwork_push_events_total{outcome=\"rejected\"}"), 1.0);
    assert_eq!(
        get("gridwork_push_events_total{outcome=\"duplicate\"}"),
        0.0
    );
    assert_eq!(get("gridwork_quarantined_events_total"), 1.0);
    assert_eq!(get("gridwork_pull_events_total"), 1.0);
    assert_eq!(get("gridwork_push_duration_seconds_count"), 1.0);
    assert_eq!(get("gridwork_pull_duration_seconds_count"), 1.0);
    assert_eq!(
        get("gridwork_sign_in_failures_total{reason=\"password\"}"),
        1.0
    );
    assert_eq!(get("gridwork_blob_bytes_total{direction=\"in\"}"), 0.0);
    assert_eq!(
        get("gridwork_http_requests_total{method=\"POST\",route=\"/v1/events\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        get("gridwork_http_requests_total{method=\"POST\",route=\"/v1/login\",status=\"401\"}"),
        1.0
    );
    assert_eq!(
        get("gridwork_http_requests_total{method=\"GET\",route=\"/v1/cases/{id}\",status=\"200\"}"),
        1.0,
        "routes are counted by their pattern"
    );
    assert!(
        !text.contains(&ok.stream.id().to_string()),
        "no id becomes a label"
    );
    assert_eq!(
        get("gridwork_http_request_duration_seconds_count{route=\"/health\"}"),
        1.0
    );
    assert!(get("gridwork_storage_duration_seconds_count{op=\"push\"}") >= 1.0);
    assert!(get("gridwork_storage_duration_seconds_count{op=\"token\"}") >= 3.0);
    assert!(get("gridwork_storage_duration_seconds_count{op=\"ping\"}") >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn city_administrators_manage_accounts_through_the_api() {
    let live = live(Limits::default()).await;
    gridwork_server::admin::import_grid(
        live.state.storage.as_ref(),
        include_str!("../../../data/kcity-grid.geojson"),
    )
    .await
    .unwrap();
    let c = crate::common::http_client();
    let wang = live.token("wang").await;
    let li = live.token("li").await;
    let url = |p: &str| format!("{}{p}", live.base);

    let res = c
        .get(url("/v1/users"))
        .bearer_auth(&li)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "a worker is no administrator"
    );
    let create = json!({"name": "sun", "role": "worker", "scope": ["320508001"],
        "password": "sun-pass-1"});
    let res = c
        .post(url("/v1/users"))
        .bearer_auth(&wang)
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["has_password"], true);
    assert!(user.get("password").is_none() && !user.to_string().contains("argon2"));
    let res = c
        .post(url("/v1/users"))
        .bearer_auth(&wang)
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    let before = live.state.storage.users().await.unwrap();
    let res = c
        .patch(url("/v1/users/sun"))
        .bearer_auth(&wang)
        .json(&json!({"scope": ["999"], "disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("matches no cell"));
    assert_eq!(
        live.state.storage.users().await.unwrap(),
        before,
        "nothing changed"
    );

    let res = c
        .patch(url("/v1/users/sun"))
        .bearer_auth(&wang)
        .json(&json!({"scope": ["320508002"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["scope"], json!(["320508002"]));
    let login = |password: &'static str| {
        c.post(url("/v1/login"))
            .json(&json!({"user": "sun", "password": password, "device_id": "phone-sun"}))
            .send()
    };
    let res = login("sun-pass-1").await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the scope change kept the password"
    );
    let sun: Value = res.json().await.unwrap();
    let sun = sun["token"].as_str().unwrap().to_string();

    let res = c
        .put(url("/v1/me/password"))
        .bearer_auth(&sun)
        .json(&json!({"current": "wrong-pass", "new": "sun-pass-2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = c
        .put(url("/v1/me/password"))
        .bearer_auth(&sun)
        .json(&json!({"current": "sun-pass-1", "new": "sun-pass-2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(login("sun-pass-2").await.unwrap().status(), StatusCode::OK);
    let res = c
        .put(url("/v1/users/sun/password"))
        .bearer_auth(&wang)
        .json(&json!({"password": "sun-pass-3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = c
        .patch(url("/v1/users/sun"))
        .bearer_auth(&wang)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        login("sun-pass-3").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    let res = c
        .get(url("/v1/users"))
        .bearer_auth(&wang)
        .send()
        .await
        .unwrap();
    let users: Vec<Value> = res.json().await.unwrap();
    let sun = users.iter().find(|u| u["name"] == "sun").unwrap();
    assert_eq!(sun["disabled"], true);
    assert!(sun["last_activity_ms"].as_i64().is_some());
    let res = c
        .get(url("/v1/audit?limit=10"))
        .bearer_auth(&wang)
        .send()
        .await
        .unwrap();
    let log: Vec<Value> = res.json().await.unwrap();
    let seen: Vec<(&str, &str)> = log
        .iter()
        .rev()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("wang", "user.create"),
            ("wang", "user.change"),
            ("sun", "user.password"),
            ("wang", "user.password"),
            ("wang", "user.disable"),
        ]
    );
    assert!(!serde_json::to_string(&log).unwrap().contains("sun-pass"));
}

/// A push whose body is still arriving when the server is told to stop is read,
/// committed and answered; new connections are refused meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_a_push_in_flight() {
    let (storage, dir) = sqlite().await;
    crate::common::accounts(storage.as_ref()).await;
    let blobs = gridwork_server::blobs::BlobStore::open(&dir.path().join("blobs")).unwrap();
    let state = AppState::new(storage.clone(), Arc::new(blobs), Limits::default());
    let token = gridwork_server::admin::issue_token(storage.as_ref(), "li", "phone-li")
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gridwork_server::serve_listener_with(
        listener,
        gridwork_server::router(state),
        std::time::Duration::from_secs(30),
        async {
            let _ = stopped.await;
        },
        None,
    ));
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let event = d.report(Some("32050800101"));
    let body = serde_json::to_vec(&json!({ "events": [event] })).unwrap();
    let answer = tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        write!(
            conn,
            "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\
             Expect: 100-continue\r\n\r\n",
            body.len()
        )
        .unwrap();
        // The server asks for the body when the handler starts reading it: the
        // request is under way. Now the server is told to stop.
        let mut interim = [0u8; 25];
        conn.read_exact(&mut interim).unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        stop.send(()).unwrap();
        // Wait until it no longer accepts connections: it has begun shutting down.
        while std::net::TcpStream::connect(addr).is_ok() {
            std::thread::yield_now();
        }
        conn.write_all(&body).unwrap();
        let mut response = String::new();
        conn.read_to_string(&mut response).unwrap();
        response
    })
    .await
    .unwrap();
    server.await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"accepted\""), "{answer}");
    let li = account(storage.as_ref(), "li").await;
    let pulled = storage.pull(&li, 0, 10).await.unwrap();
    assert_eq!(pulled.events.len(), 1, "the push was committed");
    assert_eq!(pulled.events[0].id, event.id);
    let _ = PushOutcome::Duplicate { server_seq: 0 };
}
