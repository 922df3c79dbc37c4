//! The console's pages on a real loopback server: the embedded bundle, content types,
//! caching, the security headers, and that they stay outside the protocol's JSON errors.

use crate::common::*;
use gridwork_server::{console, router_with, ConsoleOptions, Limits, TileSource};
use reqwest::{header, StatusCode};
use serde_json::Value;

/// A server over the sample accounts with these console options.
async fn serve(options: ConsoleOptions) -> String {
    let live = live(Limits::default()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router_with(live.state.clone(), &options);
    tokio::spawn(async move {
        let _keep = live;
        axum::serve(listener, app).await
    });
    format!("http://{addr}")
}

/// The asset URLs index.html names (its `src="…"` and `href="…"`).
fn asset_urls(html: &str) -> Vec<String> {
    let mut urls = vec![];
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            let tail = &rest[i + attr.len()..];
            let end = tail.find('"').unwrap();
            if tail[..end].starts_with("/console/assets/") {
                urls.push(tail[..end].to_string());
            }
            rest = &tail[end..];
        }
    }
    urls
}

fn csp(res: &reqwest::Response) -> String {
    res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_page_and_its_assets_are_served_from_the_binary() {
    let base = serve(ConsoleOptions::default()).await;
    let c = crate::common::http_client();
    let mut pages = vec![];
    for path in ["/console", "/console/"] {
        let res = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(res.headers().get("gridwork-protocol").is_none(), "{path}");
        let policy = csp(&res);
        for part in [
            "default-src 'self'",
            "script-src 'self';",
            "style-src 'self';",
            "img-src 'self' data: blob:;",
            "connect-src 'self';",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
        ] {
            assert!(policy.contains(part), "{part} missing from {policy}");
        }
        assert!(!policy.contains("unsafe-"), "{policy}");
        pages.push(res.text().await.unwrap());
    }
    assert_eq!(pages[0], pages[1]);
    let html = &pages[0];
    assert!(!html.contains("<script>"), "inline script in index.html");
    let urls = asset_urls(html);
    assert!(urls.iter().any(|u| u.ends_with(".js")), "{urls:?}");
    assert!(urls.iter().any(|u| u.ends_with(".css")), "{urls:?}");
    for url in &urls {
        let res = c.get(format!("{base}{url}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        let ty = res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        let want = if url.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(ty, want, "{url}");
        assert_eq!(
            res.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(!res.bytes().await.unwrap().is_empty());
    }
    // The stylesheet's images (Leaflet's) are there too.
    let css_url = urls.iter().find(|u| u.ends_with(".css")).unwrap();
    let css = c
        .get(format!("{base}{css_url}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let png = css
        .split("url(")
        .skip(1)
        .map(|s| s.split(')').next().unwrap().trim_matches('"').to_string())
        .find(|u| u.ends_with(".png"))
        .expect("an image in the stylesheet");
    let res = c.get(format!("{base}{png}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{png}");
    assert_eq!(res.headers()[header::CONTENT_TYPE], "image/png");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_revalidated_by_etag_and_compressed() {
    let base = serve(ConsoleOptions::default()).await;
    let c = crate::common::http_client_builder()
        .gzip(false)
        .build()
        .unwrap();
    let res = c.get(format!("{base}/console")).send().await.unwrap();
    let tag = res.headers()[header::ETAG].clone();
    let res = c
        .get(format!("{base}/console/"))
        .header(header::IF_NONE_MATCH, tag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(res.headers()[header::ETAG], tag);
    assert!(res.headers().get(header::CONTENT_SECURITY_POLICY).is_some());
    let res = c
        .get(format!("{base}/console"))
        .header(header::IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let js = asset_urls(&html)
        .into_iter()
        .find(|u| u.ends_with(".js"))
        .unwrap();
    let plain = c.get(format!("{base}{js}")).send().await.unwrap();
    let plain_len = plain.bytes().await.unwrap().len();
    let gz = c
        .get(format!("{base}{js}"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
    let gz_len = gz.bytes().await.unwrap().len();
    assert!(gz_len * 2 < plain_len, "gzip {gz_len} of {plain_len} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_errors_are_plain_text_with_the_security_headers() {
    let base = serve(ConsoleOptions::default()).await;
    let c = crate::common::http_client();
    // Only files of the bundle are served; nothing can climb out of it.
    for path in [
        "/console/assets/nope.js",
        "/console/assets/..%2Findex.html",
        "/console/assets/%2Fetc%2Fpasswd",
    ] {
        let res = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(res.headers().get("gridwork-protocol").is_none(), "{path}");
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8",
            "{path}"
        );
        assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(res.headers().get(header::CONTENT_SECURITY_POLICY).is_some());
    }
    let res = c.post(format!("{base}/console")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers().get(header::CONTENT_SECURITY_POLICY).is_some());
    // A wrong protocol header is no business of a web page.
    let res = c
        .get(format!("{base}/console"))
        .header("gridwork-protocol", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The API beside it still answers in protocol v1.
    let res = c.get(format!("{base}/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["gridwork-protocol"], "1");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_map_is_offered_only_when_configured() {
    let c = crate::common::http_client();
    let base = serve(ConsoleOptions::default()).await;
    let res = c
        .get(format!("{base}/console/config.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "tiles": null }));

    let tiles = TileSource::new(
        "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
        Some("© Example <b>maps</b>"),
    )
    .unwrap();
    let base = serve(ConsoleOptions { tiles: Some(tiles) }).await;
    let res = c
        .get(format!("{base}/console/config.json"))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["tiles"]["url"],
        "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    );
    assert_eq!(body["tiles"]["attribution"], "© Example <b>maps</b>");
    let res = c.get(format!("{base}/console")).send().await.unwrap();
    let policy = csp(&res);
    assert!(
        policy.contains("img-src 'self' data: blob: https://*.tiles.example.org;"),
        "{policy}"
    );
    assert!(policy.contains("connect-src 'self';"), "{policy}");
}

#[test]
fn console_routes_are_outside_the_api_and_its_spec() {
    let api: Vec<&str> = gridwork_server::api::ROUTES
        .iter()
        .map(|(p, _)| *p)
        .collect();
    for (path, methods) in console::ROUTES {
        assert!(path.starts_with("/console"), "{path}");
        assert!(!api.contains(path), "{path} is in both lists");
        assert_eq!(*methods, &["GET"][..], "{path}");
    }
    for path in &api {
        assert!(path.starts_with("/v1/"), "{path} is not under /v1/");
    }
}
