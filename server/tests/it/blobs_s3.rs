//! Photos in an S3-compatible bucket two servers share: moto's S3 server (from PyPI,
//! `pip install 'moto[server]'`) started on a free loopback port for the test. What
//! one server takes, the other serves; an upload started on one resumes on the other;
//! a wrong hash leaves nothing; abandoned uploads are swept. Without moto the test is
//! skipped with a note; with GRIDWORK_REQUIRE_S3=1 (as `.ci/run` sets it) it fails.

use crate::common::*;
use gridwork_server::{
    blobs::{BlobStore, S3Options, PARTIAL_TTL},
    AppState, Limits,
};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use std::{
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, SystemTime},
};

/// moto's S3 server on loopback, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto on a free port and waits until it answers; `None` (with a note, or a
/// panic under GRIDWORK_REQUIRE_S3=1) when it is not installed.
async fn moto() -> Option<Moto> {
    let missing = match Command::new("python3")
        .args(["-c", "import moto.server, flask"])
        .output()
    {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => Some(format!("no python3: {e}")),
    };
    if let Some(why) = missing {
        if std::env::var("GRIDWORK_REQUIRE_S3").is_ok_and(|v| v == "1") {
            panic!("the S3 test needs moto (pip install 'moto[server]'): {why}; GRIDWORK_REQUIRE_S3=1 requires it");
        }
        eprintln!(
            "SKIPPED: the S3 blob test: moto is not installed ({why}); pip install 'moto[server]'"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let c = crate::common::http_client();
    for _ in 0..300 {
        if c.get(&moto.endpoint).send().await.is_ok() {
            return Some(moto);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto did not answer on {}", moto.endpoint);
}

fn options(moto: &Moto, bucket: &str) -> S3Options {
    S3Options {
        bucket: bucket.into(),
        endpoint: Some(moto.endpoint.clone()),
        region: Some("us-east-1".into()),
        prefix: "photos/".into(),
        allow_http: true,
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
    }
}

/// A server over `storage` with its own blob store on the bucket; its base URL.
async fn server(state: &AppState, blobs: BlobStore) -> String {
    let state = AppState::new(state.storage.clone(), Arc::new(blobs), Limits::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(gridwork_server::serve_listener(
        listener,
        gridwork_server::router(state),
        Duration::from_secs(30),
        std::future::pending(),
    ));
    format!("http://{addr}")
}

fn photo(seed: u32, len: u32) -> (Vec<u8>, String) {
    let bytes: Vec<u8> = (0..len).map(|i| ((i * 17 + seed) % 251) as u8).collect();
    let sha = hex::encode(Sha256::digest(&bytes));
    (bytes, sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_photos_and_uploads_in_an_s3_bucket() {
    let Some(moto) = moto().await else { return };
    let c = crate::common::http_client();
    let res = c
        .put(format!("{}/gridwork-photos", moto.endpoint))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{:?}", res.text().await);
    let live = live(Limits::default()).await;
    let a = server(
        &live.state,
        BlobStore::open_s3(&options(&moto, "gridwork-photos")).unwrap(),
    )
    .await;
    let b = server(
        &live.state,
        BlobStore::open_s3(&options(&moto, "gridwork-photos")).unwrap(),
    )
    .await;
    let li = live.token("li").await;
    let wang = live.token("wang").await;
    let (whole, whole_sha) = photo(1, 3000);
    let (chunked, chunked_sha) = photo(2, 5000);
    let (wrong, wrong_sha) = photo(3, 100);
    live.reference(
        "li",
        &[(&whole_sha, 3000), (&chunked_sha, 5000), (&wrong_sha, 100)],
    )
    .await;

    // Taken whole by A, served by B (and A), byte for byte.
    let res = c
        .put(format!("{a}/v1/blobs/{whole_sha}"))
        .bearer_auth(&li)
        .body(whole.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    for base in [&b, &a] {
        let res = c
            .get(format!("{base}/v1/blobs/{whole_sha}"))
            .bearer_auth(&wang)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.bytes().await.unwrap().to_vec(), whole);
    }

    // Started on A, seen half-done on B, finished on B.
    let url = |base: &str| format!("{base}/v1/blobs/{chunked_sha}");
    let res = c
        .put(url(&a))
        .bearer_auth(&li)
        .header("content-range", "bytes 0-1999/5000")
        .body(chunked[..2000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = c.head(url(&b)).bearer_auth(&li).send().await.unwrap();
    assert_eq!(res.headers()["upload-offset"], "2000");
    assert_eq!(res.headers()["upload-complete"], "no");
    // Another uploader sees none of it.
    let res = c.head(url(&b)).bearer_auth(&wang).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A chunk that does not start where the held bytes end is refused.
    let res = c
        .put(url(&b))
        .bearer_auth(&li)
        .header("content-range", "bytes 2500-4999/5000")
        .body(chunked[2500..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = c
        .put(url(&b))
        .bearer_auth(&li)
        .header("content-range", "bytes 2000-4999/5000")
        .body(chunked[2000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = c.get(url(&a)).bearer_auth(&wang).send().await.unwrap();
    assert_eq!(res.bytes().await.unwrap().to_vec(), chunked);

    // Bytes that do not hash to their name leave nothing behind.
    let mut bad = wrong.clone();
    bad[0] ^= 1;
    let res = c
        .put(format!("{a}/v1/blobs/{wrong_sha}"))
        .bearer_auth(&li)
        .body(bad)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = c
        .head(format!("{b}/v1/blobs/{wrong_sha}"))
        .bearer_auth(&li)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["upload-offset"], "0");

    // An abandoned upload is swept once it is older than the TTL, not before.
    let res = c
        .put(format!("{a}/v1/blobs/{wrong_sha}"))
        .bearer_auth(&li)
        .header("content-range", "bytes 0-9/100")
        .body(wrong[..10].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let store = BlobStore::open_s3(&options(&moto, "gridwork-photos")).unwrap();
    assert_eq!(store.sweep(SystemTime::now()).await.unwrap(), 0);
    let later = SystemTime::now() + PARTIAL_TTL + Duration::from_secs(60);
    assert_eq!(store.sweep(later).await.unwrap(), 1);
    let res = c
        .head(format!("{b}/v1/blobs/{wrong_sha}"))
        .bearer_auth(&li)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The complete photos stay.
    assert!(store.is_complete(&whole_sha).await.unwrap());
    assert!(store.is_complete(&chunked_sha).await.unwrap());
}
