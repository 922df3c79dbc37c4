//! `GET /v1/cases/{id}` tells each caller what it may do: `permitted_actions` (the
//! core's `workflow::permitted` and `workflow::check` for the caller's post and
//! department), `default_department` and `verifier` — over HTTP, on both backends.

use crate::common::*;
use gridwork_core::{
    model::{Role, Stream},
    workflow::Status,
};
use gridwork_server::{admin, storage::Storage, AppState, Limits};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;

async fn serve(storage: Arc<dyn Storage>, dir: &std::path::Path) -> String {
    let blobs = gridwork_server::blobs::BlobStore::open(&dir.join("blobs")).unwrap();
    let state = AppState::new(storage, Arc::new(blobs), Limits::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(gridwork_server::serve_listener(
        listener,
        gridwork_server::router(state),
        Limits::default().header_read_timeout,
        std::future::pending(),
    ));
    format!("http://{addr}")
}

async fn each_post_is_offered_its_own_steps(s: Arc<dyn Storage>) {
    let dir = tempfile::tempdir().unwrap();
    let st = s.as_ref();
    admin::import_catalog(st, include_str!("../../../data/kcity-catalog.json"))
        .await
        .unwrap();
    admin::add_user(st, "li", Role::Worker, "320508001", None)
        .await
        .unwrap();
    admin::add_user(st, "zhao", Role::Worker, "320508002", None)
        .await
        .unwrap();
    admin::add_user(st, "street", Role::Worker, "320508", None)
        .await
        .unwrap();
    for (user, role) in [
        ("an", Role::Intake),
        ("du", Role::Dispatcher),
        ("zhang", Role::ShiftLead),
    ] {
        admin::add_user(st, user, role, "*", None).await.unwrap();
    }
    admin::add_user(st, "chen", Role::Handler, "@sanitation", None)
        .await
        .unwrap();
    admin::add_user(st, "shui", Role::Handler, "@water", None)
        .await
        .unwrap();
    let base = serve(s.clone(), dir.path()).await;
    let mut tokens = std::collections::HashMap::new();
    for user in ["an", "du", "zhang", "chen", "shui", "li"] {
        tokens.insert(user, admin::issue_token(st, user, "").await.unwrap());
    }
    let c = crate::common::http_client();
    let get = |user: &str, id: uuid::Uuid| {
        c.get(format!("{base}/v1/cases/{id}"))
            .bearer_auth(&tokens[user])
            .header("Gridwork-Protocol", "1")
            .send()
    };
    let offered = |v: &Value| -> Vec<String> {
        v["permitted_actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };
    let act = |user: &str, id: uuid::Uuid, body: Value| {
        c.post(format!("{base}/v1/cases/{id}/actions"))
            .bearer_auth(&tokens[user])
            .header("Gridwork-Protocol", "1")
            .json(&body)
            .send()
    };

    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let report = phone.report(Some("32050800101"));
    let id = report.stream.id();
    s.push(&account(st, "li").await, vec![report])
        .await
        .unwrap();

    let v: Value = get("an", id).await.unwrap().json().await.unwrap();
    let spec = crate::openapi::spec();
    let schema = crate::openapi::response_schema(&spec, "/v1/cases/{id}", "get", 200);
    crate::openapi::check(&spec, &schema, &v, "case").unwrap();
    assert_eq!(offered(&v), ["register", "cancel", "check"]);
    assert_eq!(v["source"], "grid_worker");
    assert_eq!(v["default_department"], "sanitation");
    // A grid worker reported it: the verification task is theirs.
    assert_eq!(v["verifier"], json!({"rule": "reporter", "users": ["li"]}));
    let v: Value = get("du", id).await.unwrap().json().await.unwrap();
    assert_eq!(offered(&v), Vec::<String>::new());
    // What is not offered is refused with the workflow's reason.
    let res = act("du", id, json!({"action": "register"})).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("a dispatcher may not register"),
        "{body}"
    );

    let res = act("an", id, json!({"action": "register"})).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = get("an", id).await.unwrap().json().await.unwrap();
    assert_eq!(
        offered(&v),
        Vec::<String>::new(),
        "voiding is the lead's now"
    );
    let v: Value = get("du", id).await.unwrap().json().await.unwrap();
    assert_eq!(offered(&v), ["dispatch"]);
    let v: Value = get("zhang", id).await.unwrap().json().await.unwrap();
    assert_eq!(offered(&v), ["cancel", "suspend"]);
    // The department sees nothing before the case is dispatched to it.
    assert_eq!(
        get("chen", id).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    let res = act("du", id, json!({"action": "dispatch"})).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the default department");
    let view = s.case_view(id).await.unwrap().unwrap();
    assert_eq!(view.case.status, Status::Dispatched);
    assert_eq!(view.case.department.as_deref(), Some("sanitation"));
    let v: Value = get("chen", id).await.unwrap().json().await.unwrap();
    assert_eq!(
        offered(&v),
        [
            "handle",
            "sign",
            "apply_return",
            "apply_postpone",
            "apply_suspend"
        ]
    );
    let v: Value = get("du", id).await.unwrap().json().await.unwrap();
    assert_eq!(offered(&v), ["urge", "supervise", "assist"]);
    assert_eq!(
        get("shui", id).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // The department signs and applies; the lead decides, the applicant may not.
    let res = act("chen", id, json!({"action": "sign"})).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = act(
        "chen",
        id,
        json!({"action": "apply_postpone", "note": "需要更换部件"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = get("chen", id).await.unwrap().json().await.unwrap();
    assert_eq!(offered(&v), ["handle"], "one application at a time");
    let v: Value = get("zhang", id).await.unwrap().json().await.unwrap();
    assert!(offered(&v).contains(&"approve".to_string()), "{v}");
    assert!(offered(&v).contains(&"refuse".to_string()), "{v}");
    let v: Value = c
        .get(format!("{base}/v1/cases?application=true"))
        .bearer_auth(&tokens["zhang"])
        .header("Gridwork-Protocol", "1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["cases"][0]["id"], id.to_string());
    assert_eq!(v["cases"][0]["application"], "postpone");
    let res = act("zhang", id, json!({"action": "approve"}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        s.case_view(id).await.unwrap().unwrap().case.postpone_count,
        1
    );
    let v: Value = c
        .get(format!("{base}/v1/cases?application=true"))
        .bearer_auth(&tokens["zhang"])
        .header("Gridwork-Protocol", "1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["cases"].as_array().unwrap().is_empty(), "{v}");

    // The department reports it handled with a photo named by its SHA-256; the
    // browser then uploads the photo, which the accepted step references.
    let photo = b"\xff\xd8\xff\xe0 after";
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(photo))
    };
    let res = act(
        "chen",
        id,
        json!({"action": "handle", "photos": [{"sha256": sha, "size": photo.len(), "mime": "image/jpeg"}]}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = c
        .put(format!("{base}/v1/blobs/{sha}"))
        .bearer_auth(&tokens["chen"])
        .header("Gridwork-Protocol", "1")
        .body(photo.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = get("chen", id).await.unwrap().json().await.unwrap();
    assert_eq!(v["status"], "handled");
    assert_eq!(v["photos"].as_array().unwrap().len(), 1);
    let bad = act(
        "chen",
        id,
        json!({"action": "handle", "photos": [{"sha256": "x", "size": 1, "mime": "image/jpeg"}]}),
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // A hotline call entered by intake: the workers of its cell verify it.
    let mut desk = Device::new("desk-an", "an", Role::Intake);
    let mut call = desk.report(Some("32050800101"));
    call.payload["source"] = json!("hotline");
    // Re-chain the edited payload.
    let call = {
        let mut d = Device::new("desk-an", "an", Role::Intake);
        d.event(call.stream, &call.kind, call.payload.clone())
    };
    let hotline = match call.stream {
        Stream::Incident(id) => id,
        Stream::Patrol(_) => unreachable!(),
    };
    s.push(&account(st, "an").await, vec![call]).await.unwrap();
    let v: Value = get("an", hotline).await.unwrap().json().await.unwrap();
    assert_eq!(v["source"], "hotline");
    assert_eq!(
        v["verifier"],
        json!({"rule": "cell_workers", "users": ["li"]}),
        "the cell's own worker, not the street's nor another street's"
    );

    // The list filters by source, on both backends; a source that does not exist is 400.
    let list = |q: &'static str| {
        c.get(format!("{base}/v1/cases?{q}"))
            .bearer_auth(&tokens["an"])
            .header("Gridwork-Protocol", "1")
            .send()
    };
    let ids = |v: Value| -> Vec<String> {
        v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    let v: Value = list("source=hotline").await.unwrap().json().await.unwrap();
    assert_eq!(ids(v), [hotline.to_string()]);
    let v: Value = list("source=grid_worker")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(v), [id.to_string()]);
    let v: Value = list("source=resident").await.unwrap().json().await.unwrap();
    assert!(ids(v).is_empty());
    let res = list("source=pigeon").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not a source"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_post_is_offered_its_own_steps_on_sqlite() {
    let (s, _dir) = sqlite().await;
    each_post_is_offered_its_own_steps(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_post_is_offered_its_own_steps_on_postgres() {
    let Some(s) = postgres("offered_actions").await else {
        return;
    };
    each_post_is_offered_its_own_steps(s).await;
}
