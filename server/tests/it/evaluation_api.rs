//! `GET /v1/evaluation` on a live server: JSON and CSV of the server's case views,
//! scoped, with clear errors.

use crate::common::*;
use gridwork_core::model::{Action, Role};
use gridwork_server::Limits;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluation_answers_json_and_csv_for_the_callers_area() {
    let live = live(Limits::default()).await;
    let s = live.state.storage.clone();
    gridwork_server::admin::import_catalog(
        s.as_ref(),
        include_str!("../../../data/kcity-catalog.json"),
    )
    .await
    .unwrap();
    let (li, zhao, wang) = (
        account(s.as_ref(), "li").await,
        account(s.as_ref(), "zhao").await,
        account(s.as_ref(), "wang").await,
    );
    let mut a = Device::new("phone-li", "li", Role::Worker);
    let mut b = Device::new("phone-zhao", "zhao", Role::Worker);
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let one = a.report(Some("32050800101"));
    let two = a.report(Some("32050800101"));
    let three = b.report(Some("32050800201"));
    let case = one.stream;
    s.push(&li, vec![one, two]).await.unwrap();
    s.push(&zhao, vec![three]).await.unwrap();
    let cancel = tablet.act(
        case,
        Action::Cancel {
            reason: "duplicate".into(),
        },
    );
    s.push(&wang, vec![cancel]).await.unwrap();

    let c = crate::common::http_client();
    let get = |token: String, query: &'static str| {
        let url = format!("{}/v1/evaluation?{query}", live.base);
        let c = c.clone();
        async move { c.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let t_wang = live.token("wang").await;
    let res = get(t_wang.clone(), "by=street").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let rows = body["rows"].as_array().unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["320508001", "320508002", "total"]);
    assert_eq!(rows[0]["figures"]["reported"], 2);
    assert_eq!(rows[2]["figures"]["reported"], 3);
    assert_eq!(rows[2]["figures"]["registered"], 0);
    assert_eq!(rows[2]["figures"]["closure_rate"], Value::Null);
    // li sees only his street.
    let res = get(live.token("li").await, "by=street").await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["rows"][0]["key"], "320508001");
    assert_eq!(
        body["rows"][1]["figures"]["reported"], 2,
        "total of li's area"
    );
    // CSV.
    let res = get(t_wang.clone(), "by=worker&format=csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("key,reported,"));
    assert!(lines[1].starts_with("li,2,0,"), "{text}");
    assert!(lines[2].starts_with("zhao,1,0,"), "{text}");
    // By worker, a supervisor sees each worker's devices' sync health; a worker does not.
    let body: Value = get(t_wang.clone(), "by=worker").await.json().await.unwrap();
    assert_eq!(body["rows"][0]["key"], "li");
    assert!(
        body["rows"][0]["sync"]["devices"].as_u64() >= Some(1),
        "{body}"
    );
    assert_eq!(body["rows"][0]["sync"]["rejected_events"], 0, "{body}");
    let body: Value = get(live.token("li").await, "by=worker")
        .await
        .json()
        .await
        .unwrap();
    assert!(body["rows"][0].get("sync").is_none(), "{body}");
    // Errors.
    for (query, status) in [
        ("by=planet", StatusCode::BAD_REQUEST),
        ("format=pdf", StatusCode::BAD_REQUEST),
        ("from_ms=10&to_ms=5", StatusCode::BAD_REQUEST),
        ("area=32a", StatusCode::BAD_REQUEST),
        ("colour=red", StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(get(t_wang.clone(), query).await.status(), status, "{query}");
    }
    let res = get(live.token("li").await, "area=320508002").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .get(format!("{}/v1/evaluation", live.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
