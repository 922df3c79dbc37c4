//! Workflow actions taken from the console: ordinary events of the caller's
//! server-held console chain, judged and folded like every device's.

use crate::common::*;
use gridwork_core::{model::Role, workflow::Status};
use gridwork_server::Limits;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn code(res: reqwest::Response) -> (StatusCode, String, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_registers_and_dispatches_from_the_console() {
    let live = live(Limits::default()).await;
    let storage = live.state.storage.clone();
    gridwork_server::admin::import_catalog(
        storage.as_ref(),
        include_str!("../../../data/kcity-catalog.json"),
    )
    .await
    .unwrap();
    let li = account(storage.as_ref(), "li").await;
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let report = phone.report(Some("32050800101"));
    let id = report.stream.id();
    storage.push(&li, vec![report]).await.unwrap();
    let (wang, zhao) = (live.token("wang").await, live.token("zhao").await);
    let c = crate::common::http_client();
    let act = |token: &str, body: Value| {
        c.post(format!("{}/v1/cases/{id}/actions", live.base))
            .bearer_auth(token)
            .json(&body)
            .send()
    };

    // Refusals first: each leaves the case and the console chain as they were.
    let before = storage.case_view(id).await.unwrap();
    let (s, code_, why) = code(act(&wang, json!({"action": "close"})).await.unwrap()).await;
    assert_eq!((s, code_.as_str()), (StatusCode::CONFLICT, "not_allowed"));
    assert!(
        why.contains("cannot close a case that is reported"),
        "{why}"
    );
    let (s, _, why) = code(act(&wang, json!({"action": "fly"})).await.unwrap()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(why.contains("is not one of"), "{why}");
    let (s, _, _) = code(
        act(&wang, json!({"action": "register", "color": 1}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields are refused");
    // zhao works in another street: the case does not exist for him.
    let (s, _, _) = code(act(&zhao, json!({"action": "register"})).await.unwrap()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let li_token = live.token("li").await;
    let (s, code_, why) = code(act(&li_token, json!({"action": "register"})).await.unwrap()).await;
    assert_eq!((s, code_.as_str()), (StatusCode::CONFLICT, "not_allowed"));
    assert!(why.contains("may not register"), "{why}");
    let res = c
        .post(format!(
            "{}/v1/cases/{}/actions",
            live.base,
            uuid::Uuid::now_v7()
        ))
        .bearer_auth(&wang)
        .json(&json!({"action": "register"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(storage.case_view(id).await.unwrap(), before);
    assert_eq!(storage.device_head("console:wang").await.unwrap(), None);

    // Register, then dispatch: the next events of wang's console chain.
    let res = act(&wang, json!({"action": "register", "note": "核实属实"}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["case"]["status"], "registered");
    let (s, _, why) = code(
        act(&wang, json!({"action": "dispatch", "department": "nobody"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(why.contains("nobody"), "{why}");
    let res = act(
        &wang,
        json!({"action": "dispatch", "department": "sanitation"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let view = storage.case_view(id).await.unwrap().unwrap();
    assert_eq!(view.case.status, Status::Dispatched);
    assert_eq!(view.case.department.as_deref(), Some("sanitation"));
    // Built with the server's catalogue: the device deadline and the server's agree.
    assert!(view.deadline_ms.is_some());
    assert_eq!(view.deadline_difference_ms(), Some(0));
    let (seq, _) = storage.device_head("console:wang").await.unwrap().unwrap();
    assert_eq!(seq, 2);
    // The events are served to the area like any device's.
    let supervisor = account(storage.as_ref(), "wang").await;
    let kinds: Vec<String> = storage
        .pull(&supervisor, 0, 100)
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| format!("{} {}", e.kind, e.device_id))
        .collect();
    assert_eq!(
        kinds[1..],
        [
            "incident.registered console:wang".to_string(),
            "incident.dispatched console:wang".to_string()
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_may_sign_in_or_push_as_a_console_device() {
    let live = live(Limits::default()).await;
    let c = crate::common::http_client();
    let res = c
        .post(format!("{}/v1/login", live.base))
        .json(&json!({"user": "wang", "password": "pw-wang", "device_id": "console:wang"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let storage = live.state.storage.as_ref();
    assert!(
        gridwork_server::admin::issue_token(storage, "wang", "console:li")
            .await
            .is_err()
    );
    // An unbound operator token cannot bind itself to a console device either.
    let unbound = gridwork_server::admin::issue_token(storage, "wang", "")
        .await
        .unwrap();
    let mut d = Device::new("console:wang", "wang", Role::Supervisor);
    let e = d.report(Some("32050800101"));
    let res = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&unbound)
        .json(&json!({ "events": [e] }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], "rejected", "{body}");
    assert_eq!(storage.device_head("console:wang").await.unwrap(), None);
}
