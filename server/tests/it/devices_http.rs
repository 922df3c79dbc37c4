//! The administrators' device and token routes on a real server on loopback: who may
//! use them, what they answer, the 410 `wipe_required` a device marked lost gets on
//! every route but its acknowledgement, and the acknowledgement itself.

use crate::common::*;
use gridwork_core::model::Role;
use gridwork_server::Limits;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn call(
    live: &Live,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = crate::common::http_client()
        .request(method, format!("{}{path}", live.base))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_list_rejudge_revoke_and_wipe_devices_over_http() {
    let live = live(Limits::default()).await;
    let s = live.state.storage.as_ref();
    let admin = live.token("wang").await;
    let li = live.token("li").await;
    // li reports outside her scope: quarantined.
    let account = account(s, "li").await;
    let mut d = Device::new("phone-li", "li", Role::Worker);
    s.push(&account, vec![d.report(Some("32050800201"))])
        .await
        .unwrap();

    // Only a city administrator.
    for (m, p) in [
        (Method::GET, "/v1/users/li/devices"),
        (Method::GET, "/v1/devices/phone-li/quarantine"),
        (Method::POST, "/v1/devices/phone-li/rejudge"),
        (Method::POST, "/v1/devices/phone-li/wipe"),
        (Method::GET, "/v1/tokens"),
    ] {
        let (status, body) = call(&live, &li, m, p, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}: {body}");
    }

    let (status, body) = call(&live, &admin, Method::GET, "/v1/users/li/devices", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["device_id"], "phone-li");
    assert_eq!(body[0]["rejected_events"], 1);
    assert_eq!(body[0]["wipe"], "none");
    assert_eq!(body[0]["tokens"].as_array().unwrap().len(), 1);
    let (status, _) = call(&live, &admin, Method::GET, "/v1/users/nobody/devices", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = call(
        &live,
        &admin,
        Method::GET,
        "/v1/devices/phone-li/quarantine",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body[0]["reason"].as_str().unwrap().contains("scope"),
        "{body}"
    );
    let (status, body) = call(
        &live,
        &admin,
        Method::POST,
        "/v1/devices/phone-li/rejudge",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["accepted"], json!([]));
    assert_eq!(body["remaining"], 1);
    let (status, body) = call(
        &live,
        &admin,
        Method::POST,
        "/v1/devices/phone-wang/rejudge",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "not_applicable");

    // Tokens: listed without their secret, revoked by id.
    let (status, body) = call(&live, &admin, Method::GET, "/v1/tokens?user=li", None).await;
    assert_eq!(status, StatusCode::OK);
    let id = body[0]["id"].as_str().unwrap().to_string();
    assert!(!body.to_string().contains(&li));
    let other = live.device_token("li", "tablet-li").await;
    let (status, body) = call(
        &live,
        &admin,
        Method::POST,
        "/v1/tokens/revoke",
        Some(json!({"token": "zz"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = call(
        &live,
        &admin,
        Method::POST,
        "/v1/tokens/revoke",
        Some(json!({"token": id, "user": "li"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A wipe: every route of that device answers 410 but the acknowledgement; other
    // devices of the account go on.
    let (status, _) = call(
        &live,
        &admin,
        Method::POST,
        "/v1/devices/phone-li/wipe",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(
        &live,
        &admin,
        Method::POST,
        "/v1/devices/phone-li/wipe",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "wipe twice: {body}");
    for (m, p) in [
        (Method::GET, "/v1/events?after=0"),
        (Method::GET, "/v1/me"),
        (Method::GET, "/v1/cases"),
    ] {
        let (status, body) = call(&live, &li, m, p, None).await;
        assert_eq!(status, StatusCode::GONE, "{p}: {body}");
        assert_eq!(body["error"]["code"], "wipe_required");
    }
    let (status, _) = call(&live, &other, Method::GET, "/v1/events?after=0", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&live, &li, Method::POST, "/v1/me/wiped", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&live, &li, Method::GET, "/v1/events?after=0", None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the wiped device's token is revoked"
    );
    let (status, body) = call(&live, &other, Method::POST, "/v1/me/wiped", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "no_wipe_pending");
    let (_, body) = call(&live, &admin, Method::GET, "/v1/users/li/devices", None).await;
    let phone = body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == "phone-li")
        .unwrap();
    assert_eq!(phone["wipe"], "wiped");
    assert_eq!(phone["wipe_requested_by"], "wang");

    // Revoke a user's tokens.
    let (status, body) = call(
        &live,
        &admin,
        Method::POST,
        "/v1/tokens/revoke",
        Some(json!({"user": "li"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"], 1);
    let (status, _) = call(&live, &other, Method::GET, "/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let audit = s.audit_log(20).await.unwrap();
    for (action, actor) in [
        ("device.wipe", "wang"),
        ("device.wiped", "li"),
        ("token.revoke", "wang"),
        ("device.rejudge", "wang"),
    ] {
        assert!(
            audit.iter().any(|e| e.action == action && e.actor == actor),
            "{action} by {actor}: {audit:?}"
        );
    }
}
