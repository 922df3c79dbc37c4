//! Over HTTP with the reference server: each device's sync health as a supervisor sees
//! it (`GET /v1/devices`), with a device whose step was rejected and one whose photo
//! never arrived; and a conflict between two offline tablets resolved from the console,
//! found by the server's `conflict=true` filter before and not after.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    store::{ActionKind, ActionRequest},
    sync::{HttpRequest, Method, Transport},
};
use gridwork_tests::{http, Device, TestServer, CATALOG};
use serde_json::{json, Value};

const COMMUNITY: &str = "320508001001";
const STREET: &str = "320508001";

fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Vec<u8>) {
    let mut headers = vec![
        ("Gridwork-Protocol".to_string(), "1".to_string()),
        ("Authorization".to_string(), format!("Bearer {token}")),
    ];
    if body.is_some() {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    let res = http()
        .send(&HttpRequest {
            method,
            url: format!("{}{path}", server.url()),
            headers,
            body: body
                .map(|b| serde_json::to_vec(&b).unwrap())
                .unwrap_or_default(),
        })
        .unwrap();
    (res.status, res.body)
}

fn get_json(server: &TestServer, path: &str, token: &str) -> Value {
    let (status, body) = call(server, Method::Get, path, token, None);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 200, "{v}");
    v
}

fn device<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

#[test]
fn a_supervisor_sees_each_devices_contact_rejections_and_missing_photos() {
    let server = TestServer::start();
    let t_li = server.account("li", Role::Worker, COMMUNITY);
    let t_wang = server.account("wang", Role::Worker, COMMUNITY);
    let t_sup = server.account("zhou", Role::Supervisor, STREET);
    server.account("far", Role::Worker, "320508002");
    let li = Device::new("li", Role::Worker, "phone-li");
    // Wang's store claims supervisor; the server knows him as a worker.
    let wang = Device::new("wang", Role::Supervisor, "phone-wang");
    li.login(&server, &t_li);
    wang.login(&server, &t_wang);

    // Li's photo file is lost before it went up: the event is accepted, the photo not.
    let case = li.store.report(&li.draft("broken kerb")).unwrap();
    let sha = li.store.case(case).unwrap().case.photos[0].sha256.clone();
    std::fs::remove_file(li.store.photos_dir().join(&sha)).unwrap();
    let r = li.sync();
    assert_eq!((r.pushed, r.uploaded_photos), (1, 0));
    assert_eq!(li.status().pending_photos, 1);

    // Wang registers, which a worker may not: rejected.
    assert_eq!(wang.sync().pulled, 1);
    wang.store
        .act(case, &ActionRequest::new(ActionKind::Register))
        .unwrap();
    assert_eq!(wang.sync().rejected, 1);

    let list = get_json(&server, "/v1/devices", &t_sup);
    let l = device(&list, "phone-li");
    assert_eq!(l["user"], "li");
    assert_eq!(l["last_via"], "pull");
    assert!(
        l["client"].as_str().unwrap().starts_with("gridwork-core/"),
        "{l}"
    );
    assert_eq!(l["events_waiting"], 0);
    assert_eq!(l["photos_waiting"], 1);
    assert_eq!(l["photos_missing"], 1);
    assert_eq!(l["rejected_events"], 0);
    assert_eq!(l["local_head"], l["server_head"]);
    let w = device(&list, "phone-wang");
    assert_eq!(w["rejected_events"], 1);
    assert_eq!(w["photos_missing"], 0);
    assert!(w["last_contact_ms"].as_i64().unwrap() >= l["last_contact_ms"].as_i64().unwrap());

    // Li's photo turns up (the user picks it again) and goes up: no longer missing.
    let again = li.photo("broken kerb");
    std::fs::copy(&again, li.store.photos_dir().join(&sha)).unwrap();
    let r = li.sync();
    assert_eq!(r.uploaded_photos, 1, "{r:?}");
    let list = get_json(&server, "/v1/devices", &t_sup);
    assert_eq!(device(&list, "phone-li")["photos_missing"], 0);
    assert_eq!(device(&list, "phone-li")["photos_waiting"], 0);

    // Staleness: nobody has been in contact since the future.
    let future = list["now_ms"].as_i64().unwrap() + 60_000;
    let stale = get_json(
        &server,
        &format!("/v1/devices?stale_since={future}"),
        &t_sup,
    );
    assert_eq!(stale["devices"].as_array().unwrap().len(), 2);
    let stale = get_json(&server, "/v1/devices?stale_since=0", &t_sup);
    assert_eq!(stale["devices"].as_array().unwrap().len(), 0, "{stale}");

    // CSV, one line per device.
    let (status, csv) = call(&server, Method::Get, "/v1/devices?format=csv", &t_sup, None);
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("device_id,user,last_contact_ms"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("phone-wang,wang,") && l.ends_with(",1,0,false")),
        "{csv}"
    );

    // A worker may not see it.
    let (status, _) = call(&server, Method::Get, "/v1/devices", &t_li, None);
    assert_eq!(status, 403);
    // A device of a user outside the supervisor's scope is not listed.
    assert!(!list["devices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["user"] == "far"));
}

#[test]
fn an_older_client_without_the_header_still_syncs_and_counts_as_contact() {
    let server = TestServer::start();
    let t_li = server.account("li", Role::Worker, COMMUNITY);
    let t_sup = server.account("zhou", Role::Supervisor, STREET);
    let (status, body) = call(&server, Method::Get, "/v1/events?after=0", &t_li, None);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    // The token is bound on its first push; a pull with an unbound one records nothing.
    let li = Device::new("li", Role::Worker, "phone-li");
    li.login(&server, &t_li);
    li.store.report(&li.draft("graffiti")).unwrap();
    li.sync();
    let (status, _) = call(&server, Method::Get, "/v1/events?after=0", &t_li, None);
    assert_eq!(status, 200);
    let list = get_json(&server, "/v1/devices", &t_sup);
    let l = device(&list, "phone-li");
    assert_eq!(l["last_via"], "pull");
    // The figures the engine reported stay, with when they were reported.
    assert_eq!(l["events_waiting"], 0);
    assert!(l["reported_ms"].as_i64().unwrap() <= l["last_contact_ms"].as_i64().unwrap());
}

#[test]
fn a_conflict_resolved_from_the_console_leaves_the_conflicts_queue_and_reaches_the_phone() {
    let server = TestServer::start();
    server.admin(async |s| {
        gridwork_server::admin::import_catalog(s, CATALOG)
            .await
            .unwrap()
    });
    let t_li = server.account("li", Role::Worker, COMMUNITY);
    let t_a = server.account("wang", Role::Supervisor, STREET);
    let t_b = server.account("zhao", Role::Supervisor, STREET);
    let li = Device::new("li", Role::Worker, "phone-li");
    let a = Device::new("wang", Role::Supervisor, "tablet-wang");
    let b = Device::new("zhao", Role::Supervisor, "tablet-zhao");
    li.login(&server, &t_li);
    a.login(&server, &t_a);
    b.login(&server, &t_b);
    let case = li.store.report(&li.draft("blocked drain")).unwrap();
    li.sync();
    a.sync();
    b.sync();
    // Both register offline: the later one is flagged.
    a.store
        .act(case, &ActionRequest::new(ActionKind::Register))
        .unwrap();
    b.store
        .act(case, &ActionRequest::new(ActionKind::Register))
        .unwrap();
    a.sync();
    b.sync();
    li.sync();
    let on_phone = li.store.case(case).unwrap().case;
    assert_eq!(on_phone.conflicts.len(), 1);
    let flagged = on_phone.conflicts[0].event_id;

    let queue = get_json(&server, "/v1/cases?conflict=true", &t_a);
    assert_eq!(queue["cases"].as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(queue["cases"][0]["id"], case.to_string());
    let clean = get_json(&server, "/v1/cases?conflict=false", &t_a);
    assert_eq!(clean["cases"].as_array().unwrap().len(), 0);

    // Not a conflict of the case: refused, nothing written.
    let path = format!("/v1/cases/{case}/actions");
    let (status, body) = call(
        &server,
        Method::Post,
        &path,
        &t_a,
        Some(json!({"action": "resolve_conflict", "conflict": case})),
    );
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
    let (status, body) = call(
        &server,
        Method::Post,
        &path,
        &t_a,
        Some(json!({"action": "resolve_conflict", "conflict": flagged, "note": "same decision"})),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let view: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        view["case"]["conflicts"][0]["resolved"]["by"]["user"],
        "wang"
    );
    let queue = get_json(&server, "/v1/cases?conflict=true", &t_a);
    assert_eq!(queue["cases"].as_array().unwrap().len(), 0, "{queue}");
    // Twice: refused.
    let (status, _) = call(
        &server,
        Method::Post,
        &path,
        &t_a,
        Some(json!({"action": "resolve_conflict", "conflict": flagged})),
    );
    assert_eq!(status, 409);

    // The phone pulls it: the same conflict, resolved.
    assert_eq!(li.sync().pulled, 1);
    let on_phone = li.store.case(case).unwrap().case;
    assert_eq!(on_phone.open_conflicts().count(), 0);
    let r = on_phone.conflicts[0].resolved.as_ref().unwrap();
    assert_eq!(r.note.as_deref(), Some("same decision"));
    assert_eq!(
        on_phone,
        serde_json::from_value(view["case"].clone()).unwrap()
    );
}
