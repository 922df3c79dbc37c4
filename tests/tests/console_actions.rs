//! A supervisor acts from the console and the worker's phone pulls it: console actions
//! are ordinary events over the one write path.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    sync::{HttpRequest, Method, Transport},
    workflow::Status,
};
use gridwork_tests::{http, Device, TestServer, CATALOG};

#[test]
fn a_register_and_dispatch_from_the_console_reach_the_workers_phone() {
    let server = TestServer::start();
    server.admin(async |s| {
        gridwork_server::admin::import_catalog(s, CATALOG)
            .await
            .unwrap()
    });
    let t_li = server.account("li", Role::Worker, "320508001001");
    server.account("wang", Role::Supervisor, "320508");
    let phone = Device::new("li", Role::Worker, "phone-li");
    phone.login(&server, &t_li);
    let case = phone.store.report(&phone.draft("overflowing bin")).unwrap();
    assert_eq!(phone.sync().pushed, 1);

    // The console signs in like any client and posts actions.
    let post = |path: &str, token: Option<&str>, body: serde_json::Value| {
        let mut headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            ("Gridwork-Protocol".to_string(), "1".to_string()),
        ];
        if let Some(t) = token {
            headers.push(("Authorization".into(), format!("Bearer {t}")));
        }
        let res = http()
            .send(&HttpRequest {
                method: Method::Post,
                url: format!("{}{path}", server.url()),
                headers,
                body: serde_json::to_vec(&body).unwrap(),
            })
            .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
        (res.status, value)
    };
    let (status, session) = post(
        "/v1/login",
        None,
        serde_json::json!({"user": "wang", "password": "pw", "device_id": uuid::Uuid::new_v4()}),
    );
    assert_eq!(status, 200, "{session}");
    let token = session["token"].as_str().unwrap().to_string();
    let path = format!("/v1/cases/{case}/actions");
    let (status, view) = post(
        &path,
        Some(&token),
        serde_json::json!({"action": "register"}),
    );
    assert_eq!(status, 200, "{view}");
    let (status, view) = post(
        &path,
        Some(&token),
        serde_json::json!({"action": "dispatch", "department": "sanitation"}),
    );
    assert_eq!(status, 200, "{view}");

    let r = phone.sync();
    assert_eq!(r.pulled, 2);
    assert_eq!(r.changed_cases, vec![case]);
    let detail = phone.store.case(case).unwrap();
    assert_eq!(detail.case.status, Status::Dispatched);
    assert_eq!(detail.case.department.as_deref(), Some("sanitation"));
    assert!(detail
        .timeline
        .iter()
        .any(|t| t.device_id == "console:wang" && t.kind == "incident.dispatched"));
    // The phone's chain check accepts the console's chain like any other device's.
    assert!(phone.store.verify_log().unwrap().is_intact());
}
