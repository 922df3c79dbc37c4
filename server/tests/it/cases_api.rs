//! The supervisor API's read side over HTTP: `GET /v1/cases` and `GET /v1/cases/{id}`
//! on a real loopback server.

use crate::common::*;
use gridwork_core::model::{Action, PhotoRef, Role, Stream};
use gridwork_server::Limits;
use reqwest::{Client, StatusCode};
use serde_json::Value;

/// A server holding: li's three reports (street 320508001; one Chinese, one with a
/// photo, one registered and dispatched twice: a conflict), zhao's one (320508002).
struct Fixture {
    live: Live,
    c: Client,
    wang: String,
    li: String,
    zhao: String,
    rubbish: Stream,
    dispatched: Stream,
    theirs: Stream,
}

async fn fixture() -> Fixture {
    let live = live(Limits::default()).await;
    let s = live.state.storage.as_ref();
    let (li, zhao, wang) = (
        account(s, "li").await,
        account(s, "zhao").await,
        account(s, "wang").await,
    );
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let plain = phone.report(Some("32050800101"));
    let rubbish = phone.report_with(Some("32050800102"), |r| {
        r.description = "暴露垃圾堆在桥边".into();
        r.photos = vec![PhotoRef {
            sha256: "b".repeat(64),
            size: 7,
            mime: "image/jpeg".into(),
            thumb: None,
        }];
    });
    let dispatched = phone.report(Some("32050800101"));
    let streams = (rubbish.stream, dispatched.stream);
    s.push(&li, vec![plain, rubbish, dispatched]).await.unwrap();
    let mut other = Device::new("phone-zhao", "zhao", Role::Worker);
    let theirs = other.report(Some("32050800201"));
    let theirs_stream = theirs.stream;
    s.push(&zhao, vec![theirs]).await.unwrap();
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let mut laptop = Device::new("laptop-wang", "wang", Role::Supervisor);
    let dispatch = |deadline_ms| Action::Dispatch {
        department: "sanitation".into(),
        deadline_ms,
        note: None,
    };
    let steps = vec![
        tablet.act(streams.1, register()),
        tablet.act(streams.1, dispatch(tablet.wall + 3_600_000)),
    ];
    s.push(&wang, steps).await.unwrap();
    laptop.wall = tablet.wall + 10_000;
    let late = laptop.act(streams.1, dispatch(laptop.wall + 3_600_000));
    s.push(&wang, vec![late]).await.unwrap();
    Fixture {
        wang: live.token("wang").await,
        li: live.token("li").await,
        zhao: live.token("zhao").await,
        live,
        c: crate::common::http_client(),
        rubbish: streams.0,
        dispatched: streams.1,
        theirs: theirs_stream,
    }
}

impl Fixture {
    async fn get(&self, token: Option<&str>, path: &str) -> (StatusCode, Value) {
        let mut req = self.c.get(format!("{}{path}", self.live.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap())
    }

    async fn list(&self, token: &str, query: &str) -> Vec<String> {
        let (status, body) = self.get(Some(token), &format!("/v1/cases{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        body["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    }
}

fn id(s: &Stream) -> String {
    s.id().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_lists_filters_and_pages_the_cases_of_their_scope() {
    let f = fixture().await;
    let (status, body) = f.get(Some(&f.wang), "/v1/cases").await;
    assert_eq!(status, StatusCode::OK);
    let cases = body["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    assert!(body.get("next").is_none_or(Value::is_null), "{body}");
    let rubbish = cases.iter().find(|c| c["id"] == id(&f.rubbish)).unwrap();
    assert_eq!(rubbish["description"], "暴露垃圾堆在桥边");
    assert_eq!(rubbish["photo_count"], 1);
    assert_eq!(rubbish["status"], "reported");
    assert_eq!(rubbish["cell"], "32050800102");
    assert_eq!(rubbish["reporter"]["user"], "li");
    let dispatched = cases.iter().find(|c| c["id"] == id(&f.dispatched)).unwrap();
    assert_eq!(dispatched["status"], "dispatched");
    assert_eq!(dispatched["department"], "sanitation");
    assert_eq!(dispatched["conflict_count"], 1);
    assert!(dispatched["device_deadline_ms"].is_i64());

    // The workers see their own streets.
    assert_eq!(f.list(&f.zhao, "").await, vec![id(&f.theirs)]);
    assert_eq!(f.list(&f.li, "").await.len(), 3);
    // Filters, a Chinese search percent-encoded as a browser sends it.
    assert_eq!(
        f.list(&f.wang, "?q=%E5%9E%83%E5%9C%BE").await,
        vec![id(&f.rubbish)]
    );
    assert_eq!(
        f.list(&f.wang, "?status=dispatched&department=sanitation")
            .await,
        vec![id(&f.dispatched)]
    );
    assert_eq!(
        f.list(&f.li, "?area=32050800102").await,
        vec![id(&f.rubbish)]
    );
    // Pages of one, newest first, each cursor leading on.
    let mut seen = Vec::new();
    let mut path = "/v1/cases?limit=1".to_string();
    loop {
        let (status, body) = f.get(Some(&f.wang), &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page = body["cases"].as_array().unwrap();
        assert_eq!(page.len(), 1);
        seen.push(page[0]["id"].as_str().unwrap().to_string());
        match body["next"].as_str() {
            Some(next) => path = format!("/v1/cases?limit=1&next={next}"),
            None => break,
        }
    }
    let all = f.list(&f.wang, "").await;
    assert_eq!(seen, all, "the same order, no gaps, no repeats");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lists_are_refused_with_the_protocols_error_shape() {
    let f = fixture().await;
    let before = f.live.state.storage.case_views().await.unwrap();
    for (query, status, code, says) in [
        (
            "?limit=201",
            400,
            "bad_request",
            "over the largest page size, 200",
        ),
        ("?limit=0", 400, "bad_request", "limit"),
        ("?next=nonsense", 400, "bad_request", "not a cursor"),
        ("?status=open", 400, "bad_request", "not a status"),
        ("?overdue=maybe", 400, "bad_request", "overdue"),
        (
            "?reported_from=yesterday",
            400,
            "bad_request",
            "unix milliseconds",
        ),
        ("?colour=red", 400, "bad_request", "unknown parameter"),
        ("?area=32050800201", 403, "forbidden", "outside your scope"),
        ("?area=3205", 403, "forbidden", "outside your scope"),
    ] {
        let (got, body) = f.get(Some(&f.li), &format!("/v1/cases{query}")).await;
        assert_eq!(got.as_u16(), status, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{query}: {message}");
    }
    let (status, body) = f.get(None, "/v1/cases").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = f.get(Some("not-a-token"), "/v1/cases").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        f.live.state.storage.case_views().await.unwrap(),
        before,
        "nothing changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_comes_with_its_timeline_photos_and_conflicts_within_the_scope() {
    let f = fixture().await;
    let (status, body) = f
        .get(Some(&f.wang), &format!("/v1/cases/{}", id(&f.dispatched)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], id(&f.dispatched));
    assert_eq!(body["status"], "dispatched");
    let timeline = body["timeline"].as_array().unwrap();
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "incident.reported",
            "incident.registered",
            "incident.dispatched",
            "incident.dispatched"
        ]
    );
    let conflicts: Vec<bool> = timeline
        .iter()
        .map(|e| e["conflict"].as_bool().unwrap())
        .collect();
    assert_eq!(conflicts, vec![false, false, false, true]);
    assert_eq!(timeline[3]["device_id"], "laptop-wang");
    assert_eq!(timeline[3]["actor"]["user"], "wang");
    assert!(timeline[3]["conflict_reason"].is_string());
    assert_eq!(
        body["view"]["case"]["conflicts"][0]["event_id"],
        timeline[3]["id"]
    );
    for e in timeline {
        assert!(e["device_ms"].is_i64() && e["received_ms"].is_i64() && e["server_seq"].is_i64());
    }
    // Photos with their blob address.
    let (_, body) = f
        .get(Some(&f.li), &format!("/v1/cases/{}", id(&f.rubbish)))
        .await;
    let photo = &body["photos"][0];
    assert_eq!(photo["sha256"], "b".repeat(64));
    assert_eq!(photo["size"], 7);
    assert_eq!(photo["url"], format!("/v1/blobs/{}", "b".repeat(64)));
    // Outside the scope and unknown look alike.
    let (outside, o) = f
        .get(Some(&f.zhao), &format!("/v1/cases/{}", id(&f.rubbish)))
        .await;
    let (unknown, u) = f
        .get(
            Some(&f.zhao),
            &format!("/v1/cases/{}", uuid::Uuid::now_v7()),
        )
        .await;
    assert_eq!(
        (outside, unknown),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(o["error"]["code"], "not_found");
    assert_eq!(u["error"]["code"], "not_found");
    let (status, _) = f.get(Some(&f.zhao), "/v1/cases/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = f.get(None, &format!("/v1/cases/{}", id(&f.rubbish))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
