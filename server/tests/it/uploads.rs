//! Who may upload what: an unfinished upload belongs to its uploader, its total is
//! fixed by its first chunk, only referenced photos go up, and an uploader holds a
//! bounded number of unfinished uploads.

use crate::common::*;
use gridwork_server::{blobs::MAX_PARTIALS, Limits};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn photo(seed: u32, len: u32) -> (Vec<u8>, String) {
    let bytes: Vec<u8> = (0..len).map(|i| ((i * 31 + seed) % 253) as u8).collect();
    let sha = hex::encode(Sha256::digest(&bytes));
    (bytes, sha)
}

async fn code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.unwrap();
    body["error"]["code"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_wrong_prefix_cannot_make_a_photo_vanish() {
    let live = live(Limits::default()).await;
    let (li, wang) = (live.token("li").await, live.token("wang").await);
    let (bytes, sha) = photo(1, 2000);
    // li took the photo; zhao's report references it too (as anyone who pulled li's
    // report could make one do).
    live.reference("li", &[(&sha, 2000)]).await;
    live.reference("zhao", &[(&sha, 2000)]).await;
    let zhao = live.token("zhao").await;
    let url = format!("{}/v1/blobs/{sha}", live.base);
    let c = crate::common::http_client();
    // zhao plants 2,000 wrong bytes announcing a total of 2,001: today the server kept
    // them as *the* partial upload and li's phone, seeing offset 2,000 of 2,000,
    // counted the photo as uploaded; it was never stored.
    let res = c
        .put(&url)
        .bearer_auth(&zhao)
        .header("content-range", "bytes 0-1999/2001")
        .body(vec![0u8; 2000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    // li sees nothing of zhao's upload and sends the photo whole.
    let res = c.head(&url).bearer_auth(&li).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["upload-offset"], "0");
    assert_eq!(res.headers()["upload-complete"], "no");
    let res = c
        .put(&url)
        .bearer_auth(&li)
        .header("content-range", "bytes 0-1999/2000")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["upload-complete"], "yes");
    let got = c.get(&url).bearer_auth(&wang).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap().as_ref(), &bytes[..]);
    // zhao's planted chunk cannot be finished into anything now.
    let res = c
        .put(&url)
        .bearer_auth(&zhao)
        .header("content-range", "bytes 2000-2000/2001")
        .body(vec![0u8])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "complete already");
    let got = c.get(&url).bearer_auth(&wang).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap().as_ref(), &bytes[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_total_of_an_upload_cannot_change_between_chunks() {
    let live = live(Limits::default()).await;
    let li = live.token("li").await;
    let (bytes, sha) = photo(2, 3000);
    live.reference("li", &[(&sha, 3000)]).await;
    let url = format!("{}/v1/blobs/{sha}", live.base);
    let c = crate::common::http_client();
    let put = |range: &str, body: &[u8]| {
        c.put(&url)
            .bearer_auth(&li)
            .header("content-range", range)
            .body(body.to_vec())
            .send()
    };
    assert_eq!(
        put("bytes 0-999/3000", &bytes[..1000])
            .await
            .unwrap()
            .status(),
        StatusCode::ACCEPTED
    );
    let res = put("bytes 1000-1999/2000", &bytes[1000..2000])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(code(res).await, "total_changed");
    let res = put("bytes 1000-2999/3000", &bytes[1000..]).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_photos_of_accepted_events_may_be_uploaded() {
    let live = live(Limits::default()).await;
    let li = live.token("li").await;
    let zhao = live.token("zhao").await;
    let (bytes, sha) = photo(3, 500);
    let url = format!("{}/v1/blobs/{sha}", live.base);
    let c = crate::common::http_client();
    let put = |token: &str| c.put(&url).bearer_auth(token).body(bytes.clone()).send();
    let res = put(&li).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(code(res).await, "forbidden");
    live.reference("li", &[(&sha, 500)]).await;
    // zhao's events do not reference it.
    assert_eq!(put(&zhao).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(put(&li).await.unwrap().status(), StatusCode::CREATED);
    assert!(live.state.blobs.is_complete(&sha).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploader_holds_a_bounded_number_of_unfinished_uploads() {
    let live = live(Limits::default()).await;
    let li = live.token("li").await;
    let photos: Vec<_> = (0..=MAX_PARTIALS as u32)
        .map(|i| photo(10 + i, 100))
        .collect();
    let refs: Vec<(&str, u64)> = photos.iter().map(|(_, s)| (s.as_str(), 100)).collect();
    live.reference("li", &refs).await;
    let c = crate::common::http_client();
    let start = |sha: &str, bytes: &[u8]| {
        c.put(format!("{}/v1/blobs/{sha}", live.base))
            .bearer_auth(&li)
            .header("content-range", "bytes 0-9/100")
            .body(bytes[..10].to_vec())
            .send()
    };
    for (bytes, sha) in &photos[..MAX_PARTIALS] {
        assert_eq!(
            start(sha, bytes).await.unwrap().status(),
            StatusCode::ACCEPTED
        );
    }
    let (bytes, sha) = &photos[MAX_PARTIALS];
    let res = start(sha, bytes).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(code(res).await, "too_many_uploads");
    // Finishing one makes room.
    let (b0, s0) = &photos[0];
    let res = c
        .put(format!("{}/v1/blobs/{s0}", live.base))
        .bearer_auth(&li)
        .header("content-range", "bytes 10-99/100")
        .body(b0[10..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        start(sha, bytes).await.unwrap().status(),
        StatusCode::ACCEPTED
    );
}
