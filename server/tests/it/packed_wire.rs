//! The packed wire form against a live server: a client that offers it gets packed
//! pages and may push packed; one that does not (every client from before the form)
//! gets the documented JSON; a body packed with a dictionary the server lacks is 415.

use crate::common::*;
use gridwork_core::{
    model::{Event, Role},
    sync::{
        packed,
        wire::{PullResponse, PushOutcome, PushRequest, PushResponse},
    },
};
use gridwork_server::Limits;
use reqwest::{Client, StatusCode};

/// `n` chained reports of li's phone in li's scope.
fn reports(n: usize) -> Vec<Event> {
    let mut d = Device::new("phone-li", "li", Role::Worker);
    (0..n)
        .map(|i| {
            d.report_with(Some("32050800101"), |r| {
                r.description = format!("桥边垃圾堆放 #{i}, residents complained");
            })
        })
        .collect()
}

async fn pull(c: &Client, base: &str, token: &str, offer: bool) -> reqwest::Response {
    let mut req = c
        .get(format!("{base}/v1/events?after=0&limit=1000"))
        .bearer_auth(token)
        .header("Gridwork-Protocol", "1");
    if offer {
        req = req.header(packed::WIRE_HEADER, packed::wire_token());
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_packed_push_is_stored_as_json_would_be_and_served_packed_only_when_offered() {
    let live = live(Limits::default()).await;
    let token = live.token("li").await;
    let c = crate::common::http_client();
    let events = reports(40);
    let body = packed::pack_push(&PushRequest {
        events: events.clone(),
    })
    .unwrap();
    let json_len = serde_json::to_vec(&PushRequest {
        events: events.clone(),
    })
    .unwrap()
    .len();
    assert!(body.len() * 4 < json_len, "{} vs {json_len}", body.len());
    let res = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&token)
        .header("Content-Type", packed::content_type())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[packed::WIRE_HEADER], packed::wire_token());
    let answer: PushResponse = res.json().await.unwrap();
    assert_eq!(answer.results.len(), 40);
    assert!(answer
        .results
        .iter()
        .all(|r| matches!(r.outcome, PushOutcome::Accepted { .. })));

    // A client from before the form: JSON, as documented, and the server says it packs.
    let res = pull(&c, &live.base, &token, false).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(res.headers()[packed::WIRE_HEADER], packed::wire_token());
    let json_page: PullResponse = res.json().await.unwrap();
    assert_eq!(json_page.events.len(), 40);
    // Same events, same hashes: the chain links and the stored hash rule are intact.
    for (served, sent) in json_page.events.iter().zip(&events) {
        assert_eq!(served.hash(), sent.hash());
    }

    // A client that offers it: packed, not gzipped again, and the same page.
    let res = pull(&c, &live.base, &token, true).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], packed::content_type());
    assert!(res.headers().get("content-encoding").is_none());
    let bytes = res.bytes().await.unwrap();
    let page = packed::unpack_pull(&bytes, 1 << 26).unwrap();
    assert_eq!(page, json_page);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_packed_with_another_dictionary_is_refused_with_415_and_nothing_is_stored() {
    let live = live(Limits::default()).await;
    let token = live.token("li").await;
    let c = crate::common::http_client();
    let body = packed::pack_push(&PushRequest { events: reports(2) }).unwrap();
    let res = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&token)
        .header(
            "Content-Type",
            format!("{}; dict=0000000000000000", packed::PACKED_MEDIA_TYPE),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "unsupported_wire");
    let page: PullResponse = pull(&c, &live.base, &token, false)
        .await
        .json()
        .await
        .unwrap();
    assert!(page.events.is_empty());
}
