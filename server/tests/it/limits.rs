//! Every limit is answered clearly, on a real server on loopback: a body, a batch, a
//! photo or a page over its limit gets the standard error shape with the limit in the
//! message and changes nothing; a token past its request rate gets 429 `rate_limited`
//! with `Retry-After`, and other tokens go on.

use crate::common::*;
use gridwork_core::model::Role;
use gridwork_server::{ratelimit::TokenRate, Limits};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Status, code and message of an error answer.
async fn error(res: reqwest::Response) -> (StatusCode, String, String) {
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
async fn sizes_batches_and_pages_over_their_limits_say_the_limit() {
    let live = live(Limits {
        max_push_bytes: 4096,
        max_blob_bytes: 1000,
        ..Limits::default()
    })
    .await;
    let c = crate::common::http_client();
    let token = live.token("li").await;
    let storage = live.state.storage.clone();
    let before = storage.device_head("phone-li").await.unwrap();

    // A push body over max_push_bytes.
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let big = d.report_with(Some("32050800101"), |r| r.description = "x".repeat(3900));
    let res = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&token)
        .json(&json!({ "events": [big, d.report(Some("32050800101"))] }))
        .send()
        .await
        .unwrap();
    let (status, code, message) = error(res).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert!(message.contains("4096"), "{message}");

    // A batch over 500 events (under the byte limit of a default server).
    let wide = live_default().await;
    let wide_token = wide.token("li").await;
    let wide_before = wide.state.storage.device_head("phone-li").await.unwrap();
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let events: Vec<_> = (0..501).map(|_| d.report(Some("32050800101"))).collect();
    let res = c
        .post(format!("{}/v1/events", wide.base))
        .bearer_auth(&wide_token)
        .json(&json!({ "events": events }))
        .send()
        .await
        .unwrap();
    let (status, code, message) = error(res).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert!(message.contains("500"), "{message}");
    assert_eq!(
        wide.state.storage.device_head("phone-li").await.unwrap(),
        wide_before,
        "nothing of a refused batch is stored"
    );

    // A photo over max_blob_bytes, whole and announced in a first chunk.
    let photo = vec![7u8; 1001];
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&photo));
    live.reference("li", &[(&sha, 1001)]).await;
    let res = c
        .put(format!("{}/v1/blobs/{sha}", live.base))
        .bearer_auth(&token)
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    let (status, code, message) = error(res).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert!(message.contains("1000"), "{message}");
    let res = c
        .put(format!("{}/v1/blobs/{sha}", live.base))
        .bearer_auth(&token)
        .header("content-range", "bytes 0-9/1001")
        .body(photo[..10].to_vec())
        .send()
        .await
        .unwrap();
    let (status, _, message) = error(res).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(message.contains("1000"), "{message}");
    assert!(!live.state.blobs.is_complete(&sha).await.unwrap());

    // A JSON body over the routes' limit.
    let wang = live.token("wang").await;
    let res = c
        .post(format!("{}/v1/users", live.base))
        .bearer_auth(&wang)
        .header("content-type", "application/json")
        .body(format!(
            "{{\"name\":\"big\",\"role\":\"worker\",\"scope\":[\"1\"],\"x\":\"{}\"}}",
            "y".repeat(gridwork_server::api::JSON_BODY_LIMIT)
        ))
        .send()
        .await
        .unwrap();
    let (status, code, message) = error(res).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert!(
        message.contains(&gridwork_server::api::JSON_BODY_LIMIT.to_string()),
        "{message}"
    );
    assert!(storage.user("big").await.unwrap().is_none());

    // Pages over their size.
    for path in ["/v1/cases?limit=201", "/v1/patrols?limit=201"] {
        let res = c
            .get(format!("{}{path}", live.base))
            .bearer_auth(&wang)
            .send()
            .await
            .unwrap();
        let (status, code, message) = error(res).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "bad_request"),
            "{path}"
        );
        assert!(message.contains("200"), "{path}: {message}");
    }
    assert_eq!(storage.device_head("phone-li").await.unwrap(), before);
}

async fn live_default() -> Live {
    live(Limits::default()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_past_its_rate_gets_429_with_retry_after_and_others_go_on() {
    let live = live(Limits {
        // One request a minute, three at once (slow enough that no request of this
        // test earns another before the fourth).
        token_rate: TokenRate {
            per_minute: 1,
            burst: 3,
        },
        ..Limits::default()
    })
    .await;
    let c = crate::common::http_client();
    let li = live.token("li").await;
    let before = live.state.storage.device_head("phone-li").await.unwrap();
    let me = |token: &str| {
        c.get(format!("{}/v1/me", live.base))
            .bearer_auth(token)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(me(&li).await.unwrap().status(), StatusCode::OK);
    }
    // A push past the limit is not looked at: nothing stored.
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let res = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&li)
        .json(&json!({ "events": [d.report(Some("32050800101"))] }))
        .send()
        .await
        .unwrap();
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // Room for the burst of three: two minutes and the rest of the first.
    assert!((120..=180).contains(&wait), "Retry-After {wait}");
    let (status, code, message) = error(res).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert!(
        message.contains("at most 1 a minute, in bursts of 3"),
        "{message}"
    );
    assert_eq!(
        live.state.storage.device_head("phone-li").await.unwrap(),
        before
    );
    // Another token is not affected; an unknown token is 401, not counted.
    let wang = live.token("wang").await;
    assert_eq!(me(&wang).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        me(&"0".repeat(64)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(live.state.token_limiter.tracked(), 2);
}
