//! Sign-in, tokens and connections under attack, on a real server on loopback: device
//! binding, sign-in rate limits, bounded Argon2, token expiry and revocation, timeouts
//! and security headers.

use crate::common::*;
use gridwork_core::{model::Role, sync::wire::PushResponse};
use gridwork_server::{signin::SignInLimits, Limits};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

async fn login(live: &Live, user: &str, password: &str, device: &str) -> reqwest::Response {
    crate::common::http_client()
        .post(format!("{}/v1/login", live.base))
        .json(&json!({"user": user, "password": password, "device_id": device}))
        .send()
        .await
        .unwrap()
}

async fn code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.unwrap();
    body["error"]["code"].as_str().unwrap().to_string()
}

fn sign_in(per_account: usize, per_address: usize, window: Duration) -> Limits {
    Limits {
        sign_in: SignInLimits {
            per_account,
            per_address,
            window,
            ..SignInLimits::default()
        },
        ..Limits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_id_belongs_to_the_account_that_signed_in_with_it() {
    let live = live(Limits::default()).await;
    let res = login(&live, "li", "pw-li", "phone-li").await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    // wang knows li's device id: his sign-in with it is refused, clearly.
    let res = login(&live, "wang", "pw-wang", "phone-li").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(code(res).await, "device_taken");
    // A wrong password learns nothing about the device: 401, not 409.
    let res = login(&live, "wang", "nope", "phone-li").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // li's token speaks for phone-li only: an event of another device is refused and
    // not stored; her own device's events go through.
    let c = crate::common::http_client();
    let mut other = Device::new("phone-other", "li", Role::Worker);
    let mut mine = Device::new("phone-li", "li", Role::Worker);
    let events = vec![
        other.report(Some("32050800101")),
        mine.report(Some("32050800101")),
    ];
    let res: PushResponse = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&token)
        .json(&json!({ "events": events }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = serde_json::to_string(&res.results[0].outcome).unwrap();
    assert!(text.contains("another device"), "{text}");
    assert!(text.contains("rejected"), "{text}");
    assert!(matches!(
        res.results[1].outcome,
        gridwork_core::sync::wire::PushOutcome::Accepted { .. }
    ));
    let storage = live.state.storage.as_ref();
    assert!(storage.quarantine("phone-other").await.unwrap().is_empty());
    // phone-other is still free: its own first event (seq 1) is judged on its merits.
    let t2 = live.device_token("li", "phone-other").await;
    let res: PushResponse = c
        .post(format!("{}/v1/events", live.base))
        .bearer_auth(&t2)
        .json(&json!({ "events": [events[0]] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(matches!(
        res.results[0].outcome,
        gridwork_core::sync::wire::PushOutcome::Accepted { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_token_binds_to_the_device_it_first_pushes_for() {
    let live = live(Limits::default()).await;
    let c = crate::common::http_client();
    let push = |token: String, events: Vec<gridwork_core::model::Event>| {
        c.post(format!("{}/v1/events", live.base))
            .bearer_auth(token)
            .json(&json!({ "events": events }))
            .send()
    };
    live.device_token("wang", "desk-wang").await;
    // Bound to another account's device: refused as a sign-in would be.
    let t = live.device_token("li", "").await;
    let mut theirs = Device::new("desk-wang", "li", Role::Worker);
    let res = push(t.clone(), vec![theirs.report(Some("32050800101"))])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(code(res).await, "device_taken");
    // Its first free device it gets; then it speaks for that one only.
    let mut mine = Device::new("tablet-li", "li", Role::Worker);
    let mut other = Device::new("tablet-2", "li", Role::Worker);
    let res: PushResponse = push(t.clone(), vec![mine.report(Some("32050800101"))])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(matches!(
        res.results[0].outcome,
        gridwork_core::sync::wire::PushOutcome::Accepted { .. }
    ));
    let res: PushResponse = push(t, vec![other.report(Some("32050800101"))])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = serde_json::to_string(&res.results[0].outcome).unwrap();
    assert!(text.contains("another device"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_locked_after_n_wrong_sign_ins_with_retry_after() {
    let live = live(sign_in(3, 100, Duration::from_secs(600))).await;
    for _ in 0..3 {
        let res = login(&live, "li", "guess", "phone-li").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let before = live.state.sign_in.hasher.verifications();
    // The 4th attempt, even with the right password, is refused before any hashing.
    let res = login(&live, "li", "pw-li", "phone-li").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    assert_eq!(code(res).await, "rate_limited");
    assert_eq!(live.state.sign_in.hasher.verifications(), before);
    // Another account from the same address is not affected.
    let res = login(&live, "wang", "pw-wang", "desk-wang").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_is_limited_across_user_names() {
    let live = live(sign_in(100, 3, Duration::from_secs(600))).await;
    for user in ["li", "nobody", "zhao"] {
        let res = login(&live, user, "guess", "p").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login(&live, "wang", "pw-wang", "desk-wang").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_sign_in_works_again_after_the_window() {
    let window = Duration::from_millis(800);
    let live = live(sign_in(2, 100, window)).await;
    for _ in 0..2 {
        login(&live, "li", "guess", "phone-li").await;
    }
    let res = login(&live, "li", "pw-li", "phone-li").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(window + Duration::from_millis(200)).await;
    let res = login(&live, "li", "pw-li", "phone-li").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_users_go_through_one_argon2_verification_like_known_ones() {
    let live = live(Limits::default()).await;
    let hasher = &live.state.sign_in.hasher;
    let cases = [
        ("li", "wrong"),        // known, wrong password
        ("nobody", "whatever"), // unknown
        ("zhao", ""),           // known, no password
        ("li", "pw-li"),        // right
    ];
    for (i, (user, password)) in cases.into_iter().enumerate() {
        let before = hasher.verifications();
        let status = login(&live, user, password, "phone-li").await.status();
        assert_eq!(hasher.verifications(), before + 1, "{user}");
        let want = if i == 3 {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(status, want, "{user}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_the_permit_count_of_hashes_runs_at_once() {
    let mut limits = sign_in(0, 0, Duration::from_secs(60));
    limits.sign_in.hash_permits = 2;
    let live = live(limits).await;
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let base = live.base.clone();
            tokio::spawn(async move {
                crate::common::http_client()
                    .post(format!("{base}/v1/login"))
                    .json(&json!({"user": format!("u{i}"), "password": "x", "device_id": "p"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let hasher = &live.state.sign_in.hasher;
    assert_eq!(hasher.verifications(), 12);
    assert!(
        (1..=2).contains(&hasher.high_water()),
        "{} hashes ran at once",
        hasher.high_water()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_guesses_is_hashed_only_up_to_the_limit() {
    let mut limits = sign_in(3, 0, Duration::from_secs(600));
    limits.sign_in.hash_permits = 1;
    let live = live(limits).await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let base = live.base.clone();
            tokio::spawn(async move {
                crate::common::http_client()
                    .post(format!("{base}/v1/login"))
                    .json(&json!({"user": "li", "password": "guess", "device_id": "p"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((16 - limited, limited), (3, 13), "{statuses:?}");
    assert_eq!(live.state.sign_in.hasher.verifications(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_revoked_tokens_get_401() {
    let c = crate::common::http_client();
    let me = |base: &str, token: &str| c.get(format!("{base}/v1/me")).bearer_auth(token).send();
    // A lifetime of zero: every token is expired as soon as it is issued.
    let short = live(Limits {
        token_ttl: Duration::ZERO,
        ..Limits::default()
    })
    .await;
    let res = login(&short, "li", "pw-li", "phone-li").await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = me(&short.base, &token).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(code(res).await == "unauthorized");
    // The default lifetime: valid until the password is reset.
    let live = live(Limits::default()).await;
    let token = live.token("li").await;
    assert_eq!(
        me(&live.base, &token).await.unwrap().status(),
        StatusCode::OK
    );
    gridwork_server::admin::add_user(
        live.state.storage.as_ref(),
        "li",
        Role::Worker,
        "320508001",
        Some("new-pw"),
    )
    .await
    .unwrap();
    assert_eq!(
        me(&live.base, &token).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_carry_nosniff_and_token_routes_no_store() {
    let live = live(Limits::default()).await;
    let c = crate::common::http_client();
    let token = live.token("li").await;
    let get = |path: &str, auth: Option<&str>| {
        let mut req = c.get(format!("{}{path}", live.base));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.send()
    };
    // The scheme is case-insensitive.
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let res = get("/v1/me", Some(&format!("{scheme} {token}")))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{scheme}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.headers()["cache-control"], "no-store");
    }
    let auth = format!("Bearer {token}");
    let res = get("/v1/events?after=0", Some(&auth)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let res = c
        .post(format!("{}/v1/events", live.base))
        .header("Authorization", &auth)
        .json(&json!({"events": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let res = login(&live, "li", "pw-li", "phone-li").await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    // Errors and unknown routes too.
    for (path, auth) in [
        ("/v1/me", None),
        ("/nowhere", None),
        ("/v1/catalog", Some(&auth)),
    ] {
        let res = get(path, auth.map(String::as_str)).await.unwrap();
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
    }
    assert_eq!(
        get("/v1/me", Some(&format!("Basic {token}")))
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Reads until the server closes the connection; panics if it is still open after
/// 10 s (far beyond the test's timeouts of a fraction of a second).
fn read_to_close(mut s: TcpStream) -> String {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return String::from_utf8_lossy(&got).into_owned(),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return String::from_utf8_lossy(&got).into_owned()
            }
            Err(e) => panic!(
                "the server kept the connection open ({e}); read so far: {}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
}

fn timeouts() -> Limits {
    Limits {
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_header_is_cut_off() {
    let live = live(timeouts()).await;
    let addr = live.base.trim_start_matches("http://").to_string();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthor")
            .unwrap();
        read_to_close(s)
    })
    .await
    .unwrap();
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed() {
    let live = live(timeouts()).await;
    let addr = live.base.trim_start_matches("http://").to_string();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /v1/me HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        read_to_close(s)
    })
    .await
    .unwrap();
    // The answer came, then the idle connection was closed.
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_gets_408_and_is_cut_off() {
    let live = live(timeouts()).await;
    let addr = live.base.trim_start_matches("http://").to_string();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(
            b"POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"user\":",
        )
        .unwrap();
        read_to_close(s)
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"timeout\""), "{answer}");
}
