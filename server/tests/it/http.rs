//! The HTTP API on a real server on loopback, driven by reqwest.

use crate::common::*;
use gridwork_core::{
    model::Role,
    sync::wire::{PullResponse, PushOutcome, PushResponse, Session},
};
use gridwork_server::Limits;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Write;

async fn error_code(res: reqwest::Response) -> String {
    assert_eq!(res.headers()["gridwork-protocol"], "1");
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    body["error"]["code"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_me_and_unauthorized() {
    let live = live(Limits::default()).await;
    let c = crate::common::http_client();
    let res = c
        .post(format!("{}/v1/login", live.base))
        .json(&json!({"user": "li", "password": "nope", "device_id": "p1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(error_code(res).await, "unauthorized");
    let res = c
        .post(format!("{}/v1/login", live.base))
        .json(&json!({"user": "li", "password": "pw-li", "device_id": "p1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let session: Session = res.json().await.unwrap();
    let token = session.token.unwrap();
    assert_eq!(session.role, Role::Worker);
    let me: Session = c
        .get(format!("{}/v1/me", live.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((me.user.as_str(), me.token), ("li", None));
    assert_eq!(me.scope, vec!["320508001".to_string()]);
    for auth in [None, Some("not-a-token")] {
        let mut req = c.get(format!("{}/v1/me", live.base));
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(res).await, "unauthorized");
    }
    // An account without a password cannot sign in.
    let res = c
        .post(format!("{}/v1/login", live.base))
        .json(&json!({"user": "zhao", "password": "", "device_id": "p1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_and_pull_over_http() {
    let live = live(Limits::default()).await;
    let token = live.token("li").await;
    let c = crate::common::http_client();
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let ok = d.report(Some("32050800101"));
    let out = d.report(Some("32050800201"));
    let mut events = vec![
        serde_json::to_value(&ok).unwrap(),
        serde_json::to_value(&out).unwrap(),
    ];
    events.push(json!({"id": uuid::Uuid::now_v7(), "stream": "nonsense"}));
    let body = json!({ "events": events });
    let push = |body: Value| {
        c.post(format!("{}/v1/events", live.base))
            .bearer_auth(&token)
            .header("Gridwork-Protocol", "1")
            .json(&body)
            .send()
    };
    let res = push(body.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["gridwork-protocol"], "1");
    let r: PushResponse = res.json().await.unwrap();
    assert_eq!(r.results.len(), 3);
    assert_eq!(r.results[0].id, ok.id);
    let PushOutcome::Accepted { server_seq } = r.results[0].outcome else {
        panic!("{:?}", r.results[0])
    };
    assert!(
        matches!(&r.results[1].outcome, PushOutcome::Rejected { reason } if reason.contains("outside your area"))
    );
    assert!(
        matches!(&r.results[2].outcome, PushOutcome::Rejected { reason } if reason.contains("malformed"))
    );
    let again: PushResponse = push(body).await.unwrap().json().await.unwrap();
    assert_eq!(
        again.results[0].outcome,
        PushOutcome::Duplicate { server_seq }
    );
    // A gzip-compressed push is read the same.
    let next = d.report(Some("32050800102"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&serde_json::to_vec(&json!({ "events": [next] })).unwrap())
        .unwrap();
    let res = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    let r: PushResponse = res.json().await.unwrap();
    assert!(matches!(r.results[0].outcome, PushOutcome::Accepted { .. }));
    let page: PullResponse = c
        .get(format!("{}/v1/events?after=0&limit=1", live.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].id, ok.id);
    assert_eq!(
        page.events[0].hash(),
        ok.hash(),
        "served byte-for-byte as signed"
    );
    assert!(page.more);
    let res = c
        .get(format!("{}/v1/events?after=-1", live.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(res).await, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_are_413_with_a_clear_message() {
    let live = live(Limits {
        max_push_bytes: 64 * 1024,
        max_blob_bytes: 1000,
        ..Limits::default()
    })
    .await;
    let token = live.token("li").await;
    let c = crate::common::http_client();
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let many: Vec<_> = (0..501).map(|_| d.report(Some("32050800101"))).collect();
    let res = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&token)
        .json(&json!({ "events": many[..150] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "body over 64 KiB"
    );
    assert_eq!(error_code(res).await, "too_large");
    let small: Vec<Value> = (0..501)
        .map(|i| json!({"id": uuid::Uuid::from_u128(i)}))
        .collect();
    let res = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&token)
        .json(&json!({ "events": small }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at most 500"));
    let photo = vec![7u8; 1001];
    let sha = hex::encode(Sha256::digest(&photo));
    live.reference("li", &[(&sha, 1001)]).await;
    let res = c
        .put(format!("{}/v1/blobs/{sha}", live.base))
        .bearer_auth(&token)
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(res).await, "too_large");
    let res = c
        .put(format!("{}/v1/blobs/{sha}", live.base))
        .bearer_auth(&token)
        .header("content-range", "bytes 0-9/5000")
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_protocol_versions_are_refused() {
    let live = live(Limits::default()).await;
    let token = live.token("li").await;
    let c = crate::common::http_client();
    let res = c
        .get(format!("{}/v1/me", live.base))
        .bearer_auth(&token)
        .header("Gridwork-Protocol", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(res).await, "protocol_mismatch");
    let res = c
        .get(format!("{}/v2/nothing", live.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "not_found");
    let res = c
        .delete(format!("{}/v1/me", live.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(res).await, "method_not_allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_upload_resumably_and_are_verified() {
    let live = live(Limits::default()).await;
    let token = live.token("li").await;
    let c = crate::common::http_client();
    let photo: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sha = hex::encode(Sha256::digest(&photo));
    let other_sha = "ab".repeat(32);
    live.reference("li", &[(&sha, 3000), (&other_sha, 3000)])
        .await;
    let url = format!("{}/v1/blobs/{sha}", live.base);
    let head = |c: &Client| c.head(&url).bearer_auth(&token).send();
    let res = head(&c).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["upload-offset"], "0");
    let put = |range: &str, body: &[u8]| {
        c.put(&url)
            .bearer_auth(&token)
            .header("content-range", range)
            .body(body.to_vec())
            .send()
    };
    let res = put("bytes 0-999/3000", &photo[..1000]).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(res.headers()["upload-offset"], "1000");
    // The connection dropped; the device asks where to resume.
    let res = head(&c).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["upload-offset"], "1000");
    assert_eq!(res.headers()["upload-complete"], "no");
    let res = put("bytes 2000-2999/3000", &photo[2000..]).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(res.headers()["upload-offset"], "1000");
    assert_eq!(error_code(res).await, "offset_mismatch");
    let res = put("bytes 1000-2999/3000", &photo[1000..]).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let state: Value = res.json().await.unwrap();
    assert_eq!(
        state,
        json!({"sha256": sha, "received": 3000, "complete": true})
    );
    let res = head(&c).await.unwrap();
    assert_eq!(res.headers()["upload-complete"], "yes");
    let got = c.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().as_ref(), &photo[..]);
    let res = c
        .put(&url)
        .bearer_auth(&token)
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a complete photo is not uploaded twice"
    );
    // Bytes that do not hash to the name are discarded.
    let other = format!("{}/v1/blobs/{other_sha}", live.base);
    let res = c
        .put(&other)
        .bearer_auth(&token)
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(res).await, "hash_mismatch");
    let res = c.head(&other).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = c
        .get(format!("{}/v1/blobs/NOTAHASH", live.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = c.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_is_served_with_an_etag() {
    let live = live(Limits::default()).await;
    let token = live.token("li").await;
    let c = crate::common::http_client();
    let url = format!("{}/v1/catalog", live.base);
    let res = c.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(res).await, "not_found");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let catalog = std::fs::read_to_string(root.join("data/kcity-catalog.json")).unwrap();
    let grid = std::fs::read_to_string(root.join("data/kcity-grid.geojson")).unwrap();
    let s = live.state.storage.as_ref();
    gridwork_server::admin::import_catalog(s, &catalog)
        .await
        .unwrap();
    gridwork_server::admin::import_grid(s, &grid).await.unwrap();
    assert!(gridwork_server::admin::import_grid(s, "{\"type\": 1}")
        .await
        .is_err());
    let res = c.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["catalog"]["version"], "kcity-2026.2");
    assert_eq!(body["grid"]["features"].as_array().unwrap().len(), 60);
    let res = c
        .get(&url)
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers()["gridwork-protocol"], "1");
    let res = c
        .get(&url)
        .bearer_auth(&token)
        .header("if-none-match", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pull_names_the_reference_version_and_a_calendar_or_grid_change_moves_it() {
    let live = live(Limits::default()).await;
    let token = live.token("li").await;
    let c = crate::common::http_client();
    let get = |path: &str, etag: Option<&str>| {
        let mut req = c
            .get(format!("{}{path}", live.base))
            .bearer_auth(&token)
            .header("gridwork-protocol", "1");
        if let Some(e) = etag {
            req = req.header("if-none-match", e);
        }
        req.send()
    };
    // No reference data yet: no version named.
    let res = get("/v1/events?after=0", None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("gridwork-reference").is_none());

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let catalog = std::fs::read_to_string(root.join("data/kcity-catalog.json")).unwrap();
    let grid = std::fs::read_to_string(root.join("data/kcity-grid.geojson")).unwrap();
    let s = live.state.storage.as_ref();
    gridwork_server::admin::import_catalog(s, &catalog)
        .await
        .unwrap();
    gridwork_server::admin::import_grid(s, &grid).await.unwrap();
    let version = |res: &reqwest::Response| {
        res.headers()["gridwork-reference"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let v1 = version(&get("/v1/events?after=0", None).await.unwrap());
    assert_eq!(v1.len(), 32);
    let res = get("/v1/catalog", None).await.unwrap();
    assert_eq!(res.headers()["etag"], format!("\"{v1}\"").as_str());

    // A holiday added to the calendar is a new version; the old ETag gets the new body.
    let mut edited: Value = serde_json::from_str(&catalog).unwrap();
    edited["calendar"]["holidays"]
        .as_array_mut()
        .unwrap()
        .push("2027-12-31".into());
    gridwork_server::admin::import_catalog(s, &edited.to_string())
        .await
        .unwrap();
    let v2 = version(&get("/v1/events?after=0", None).await.unwrap());
    assert_ne!(v2, v1);
    let res = get("/v1/catalog", Some(&format!("\"{v1}\"")))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], format!("\"{v2}\"").as_str());
    let body: Value = res.json().await.unwrap();
    assert!(body["catalog"]["calendar"]["holidays"]
        .as_array()
        .unwrap()
        .contains(&"2027-12-31".into()));
    let res = get("/v1/catalog", Some(&format!("\"{v2}\"")))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers()["etag"], format!("\"{v2}\"").as_str());

    // So is a new grid (the same cells, one renamed).
    let mut g: Value = serde_json::from_str(&grid).unwrap();
    g["features"][0]["properties"]["name"] = "renamed".into();
    gridwork_server::admin::import_grid(s, &g.to_string())
        .await
        .unwrap();
    let v3 = version(&get("/v1/events?after=0", None).await.unwrap());
    assert_ne!(v3, v2);
}

/// A client that offers gzip gets a single-event push's small answer as it is (no
/// compressor per request: docs/benchmarks.md, "Server under load") and a pull page of
/// more than `COMPRESS_MIN_BYTES` gzipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_answers_are_not_gzipped_large_ones_are() {
    let live = live(Limits::default()).await;
    let token = live.token("li").await;
    // No automatic decompression: the test reads the answer's own encoding.
    let c = crate::common::http_client_builder()
        .gzip(false)
        .build()
        .unwrap();
    let mut d = Device::new("phone-li", "li", Role::Worker);
    for _ in 0..5 {
        let res = c
            .post(format!("{}/v1/events", live.base))
            .bearer_auth(&token)
            .header("accept-encoding", "gzip")
            .json(&json!({ "events": [d.report(Some("32050800101"))] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("content-encoding").is_none());
        let body = res.bytes().await.unwrap();
        assert!(body.len() < usize::from(gridwork_server::api::COMPRESS_MIN_BYTES));
        let r: PushResponse = serde_json::from_slice(&body).unwrap();
        assert!(matches!(r.results[0].outcome, PushOutcome::Accepted { .. }));
    }
    let res = c
        .get(format!("{}/v1/events?after=0", live.base))
        .bearer_auth(&token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&res.bytes().await.unwrap()[..]),
        &mut plain,
    )
    .unwrap();
    let page: PullResponse = serde_json::from_slice(&plain).unwrap();
    assert_eq!(page.events.len(), 5);
}
