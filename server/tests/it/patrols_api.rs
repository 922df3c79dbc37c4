//! `GET /v1/patrols` and `GET /v1/patrols/{id}` on a live server: scoped lists, the
//! figures and the track as GeoJSON, the standard errors, every answer as
//! docs/openapi.yaml documents it.

use crate::common::*;
use crate::openapi::{check, response_schema, spec};
use crate::patrols_conformance::{walk, GRID_TEXT};
use gridwork_core::{
    geo::Grid,
    model::{Role, Stream},
    patrol::FixFlags,
};
use gridwork_server::Limits;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patrols_are_listed_and_shown_with_their_track_within_the_scope() {
    let spec = spec();
    let live = live(Limits::default()).await;
    let s = live.state.storage.clone();
    gridwork_server::admin::import_grid(s.as_ref(), GRID_TEXT)
        .await
        .unwrap();
    let grid = Grid::from_geojson(GRID_TEXT).unwrap();
    let li = account(s.as_ref(), "li").await;
    let cell = "32050800100101";
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let id = Uuid::now_v7();
    let p = Stream::Patrol(id);
    let t0 = phone.wall;
    let mut first = walk(&grid, cell, t0, 0, 20);
    first[5].flags = FixFlags::TELEPORT;
    // A hole of more than a minute in the log: the line has two stretches.
    let second = walk(&grid, cell, t0, 400, 20);
    let events = vec![
        phone.event(p, "patrol.started", json!({"cells": [cell], "started_at_ms": t0})),
        phone.event(p, "patrol.track", json!({"fixes": 100, "points": first})),
        phone.event(p, "patrol.track", json!({"fixes": 100, "points": second})),
        phone.event(
            p,
            "patrol.checkin",
            json!({"time_ms": t0 + 50_000, "lat": second[0].fix.lat, "lon": second[0].fix.lon,
                "note": "<b>shop</b>", "photo": {"sha256": "b".repeat(64), "size": 3, "mime": "image/jpeg"}}),
        ),
        phone.event(p, "patrol.finished", json!({"finished_at_ms": t0 + 495_000})),
    ];
    for o in s.push(&li, events).await.unwrap() {
        assert!(matches!(
            o,
            gridwork_core::sync::wire::PushOutcome::Accepted { .. }
        ));
    }

    let c = crate::common::http_client();
    let (wang, zhao, li_t) = (
        live.token("wang").await,
        live.token("zhao").await,
        live.token("li").await,
    );
    let get = |token: &str, path: &str| {
        c.get(format!("{}{path}", live.base))
            .bearer_auth(token)
            .send()
    };
    let fits = |path: &str, status: u16, body: &Value| {
        let schema = response_schema(&spec, path, "get", status);
        assert!(schema.is_object(), "GET {path} {status} is not documented");
        check(&spec, &schema, body, "$").unwrap_or_else(|e| panic!("GET {path} {status}: {e}"));
    };

    let res = get(&wang, "/v1/patrols?track=true").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = res.json().await.unwrap();
    fits("/v1/patrols", 200, &list);
    let item = &list["patrols"][0];
    assert_eq!(item["id"], id.to_string());
    assert_eq!(item["worker"], "li");
    assert_eq!(item["status"], "finished");
    assert_eq!(item["fix_count"], 200);
    assert_eq!(item["flagged_fix_count"], 1);
    assert_eq!(item["check_in_count"], 1);
    assert!(item["distance_m"].as_f64().unwrap() > 150.0, "{item}");
    assert!(item["coverage_share"].as_f64().unwrap() > 0.0);
    assert_eq!(item["track"]["type"], "MultiLineString");
    assert!(list["next"].is_null());
    // The same for li (his street), nothing for zhao (another street).
    let mine: Value = get(&li_t, "/v1/patrols")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["patrols"].as_array().unwrap().len(), 1);
    assert!(
        mine["patrols"][0].get("track").is_none(),
        "no track unless asked"
    );
    let theirs: Value = get(&zhao, "/v1/patrols")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(theirs["patrols"].as_array().unwrap().is_empty());
    let filtered: Value = get(&wang, "/v1/patrols?worker=zhao")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(filtered["patrols"].as_array().unwrap().is_empty());

    let res = get(&wang, &format!("/v1/patrols/{id}")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let detail: Value = res.json().await.unwrap();
    fits("/v1/patrols/{id}", 200, &detail);
    assert_eq!(detail["track"]["type"], "MultiLineString");
    let lines = detail["track"]["coordinates"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "split at the hole");
    // The flagged fix is not drawn: a straight walk thins to few points.
    assert!(lines[0].as_array().unwrap().len() < 20);
    assert_eq!(detail["figures"]["integrity"]["flagged"], 1);
    assert_eq!(detail["figures"]["coverage"][0]["cell_id"], cell);
    assert_eq!(
        detail["figures"]["stats"]["gaps"].as_array().unwrap().len(),
        1
    );
    assert_eq!(detail["check_ins"][0]["note"], "<b>shop</b>");
    assert_eq!(
        detail["check_ins"][0]["photo_url"],
        format!("/v1/blobs/{}", "b".repeat(64))
    );
    assert_eq!(detail["synced_points"], 40);
    let view = s.patrol(id).await.unwrap().unwrap().view;
    assert_eq!(
        detail["figures"],
        serde_json::to_value(&view.figures).unwrap(),
        "the stored figures, as they are"
    );
    let coarse: Value = get(&wang, &format!("/v1/patrols/{id}?tolerance_m=100"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(coarse["tolerance_m"], 100.0);

    // Errors: the standard shape, and one 404 for unknown, malformed and out of scope.
    for (token, path, status) in [
        (&wang, "/v1/patrols?limit=201".to_string(), 400),
        (&wang, "/v1/patrols?colour=red".to_string(), 400),
        (
            &wang,
            "/v1/patrols?started_from=9&started_to=1".to_string(),
            400,
        ),
        (&wang, "/v1/patrols?track=yes".to_string(), 400),
        (&li_t, "/v1/patrols?area=320508002".to_string(), 403),
        (&li_t, "/v1/patrols?cell=32050800200101".to_string(), 403),
    ] {
        let res = get(token, &path).await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{path}");
        fits("/v1/patrols", status, &res.json().await.unwrap());
    }
    for (token, path, status) in [
        (&wang, format!("/v1/patrols/{id}?tolerance_m=0"), 400),
        (&wang, format!("/v1/patrols/{id}?colour=red"), 400),
        (&wang, format!("/v1/patrols/{}", Uuid::now_v7()), 404),
        (&wang, "/v1/patrols/not-a-uuid".to_string(), 404),
        (&zhao, format!("/v1/patrols/{id}"), 404),
    ] {
        let res = get(token, &path).await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{path}");
        let body: Value = res.json().await.unwrap();
        fits("/v1/patrols/{id}", status, &body);
        if status == 404 {
            assert!(body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("in your scope"));
        }
    }
    let res = c
        .get(format!("{}/v1/patrols", live.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    fits("/v1/patrols", 401, &res.json().await.unwrap());
}
