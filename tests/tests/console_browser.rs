//! The supervisor console in a real browser: two servers started the way `gridwork
//! serve` starts them (`gridwork_server::serve`, the sample grid and catalogue imported,
//! accounts made) — one plain, one with a base map from a tile server on another
//! loopback port — and console/test/browser.mjs driving Debian's chromium through
//! playwright-core against them. Screenshots go to `<target>/tmp/console-screenshots`.
//!
//! Without chromium, node or console/node_modules (`npm ci` in console/) the test is
//! SKIPPED with a note on stderr; with GRIDWORK_REQUIRE_BROWSER=1 (as .ci/run sets) it
//! fails instead.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use axum::{extract::Path as UrlPath, http::header, routing::get, Router};
use gridwork_core::model::Role;
use gridwork_server::{admin, ConsoleOptions, Limits, ServerConfig, TileSource};
use gridwork_tests::{CATALOG, GRID};
use std::{
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
};

/// A cell name a worker's data could carry: markup that must show as text.
const MARKUP_CELL_NAME: &str =
    r#"Lanxi St <script>window.__xss=1</script><img src=x onerror="window.__xss=2">"#;
/// An account name that is markup (user names may hold anything but `/` and controls).
const MARKUP_USER: &str = "<img src=x onerror=alert(1)>";
const SUPERVISOR: (&str, &str) = ("wang", "pw-wang");

/// Writes straight to stderr so the line shows even when the harness captures output.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "[console-browser] {line}");
}

fn console_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../console")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// What is missing to run the browser test here, if anything.
fn missing() -> Option<String> {
    if !chromium().is_file() {
        return Some(format!(
            "no browser at {} (apt-get install chromium, or set CHROMIUM)",
            chromium().display()
        ));
    }
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Some("no node on PATH".into());
    }
    let playwright = console_dir().join("node_modules/playwright-core/package.json");
    if !playwright.is_file() {
        return Some("console/node_modules is not installed (run `npm ci` in console/)".into());
    }
    None
}

/// The sample grid with markup in the first cell's name; and that cell's code.
fn grid_with_markup() -> (String, String, usize) {
    let mut grid: serde_json::Value = serde_json::from_str(GRID).unwrap();
    let features = grid["features"].as_array_mut().unwrap();
    let count = features.len();
    let props = &mut features[0]["properties"];
    props["name"] = MARKUP_CELL_NAME.into();
    let code = props["code"].as_str().unwrap().to_string();
    (grid.to_string(), code, count)
}

/// A tile server: every tile is an SVG square with its coordinates.
async fn tile_server() -> SocketAddr {
    async fn tile(
        UrlPath((z, x, y)): UrlPath<(u32, u32, u32)>,
    ) -> impl axum::response::IntoResponse {
        let svg = format!(
            "<svg xmlns='http://www.w3.org/2000/svg' width='256' height='256'>\
             <rect width='256' height='256' fill='#e4ecdf' stroke='#b9c8b0'/>\
             <text x='8' y='20' font-size='12' fill='#7d8f74'>{z}/{x}/{y}</text></svg>"
        );
        ([(header::CONTENT_TYPE, "image/svg+xml")], svg)
    }
    let app = Router::new().route("/tiles/{z}/{x}/{y}", get(tile));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A server in `dir` with `grid`, the sample catalogue and the two accounts.
async fn server(dir: &Path, grid: &str, tiles: Option<TileSource>) -> SocketAddr {
    let db = dir.join("server.db").display().to_string();
    {
        let storage = gridwork_server::open_storage(&db).await.unwrap();
        let s = storage.as_ref();
        admin::import_grid(s, grid).await.unwrap();
        admin::import_catalog(s, CATALOG).await.unwrap();
        admin::add_user(s, SUPERVISOR.0, Role::Supervisor, "*", Some(SUPERVISOR.1))
            .await
            .unwrap();
        admin::add_user(s, MARKUP_USER, Role::Worker, "320508001", Some("pw-markup"))
            .await
            .unwrap();
    }
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        db,
        blobs_dir: dir.join("blobs"),
        limits: Limits::default(),
        console: ConsoleOptions { tiles },
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        gridwork_server::serve(config, move |addr| {
            let _ = tx.send(addr);
        })
        .await
        .unwrap();
    });
    rx.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_in_a_real_browser() {
    if let Some(why) = missing() {
        if std::env::var("GRIDWORK_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("the browser test cannot run: {why}; GRIDWORK_REQUIRE_BROWSER=1 requires it");
        }
        say(&format!(
            "SKIPPED the console browser test: {why}; set GRIDWORK_REQUIRE_BROWSER=1 to fail instead"
        ));
        return;
    }
    let (grid, markup_cell, cells) = grid_with_markup();
    let plain_dir = tempfile::tempdir().unwrap();
    let tiles_dir = tempfile::tempdir().unwrap();
    let tiles_addr = tile_server().await;
    let tiles = TileSource::new(
        &format!("http://{tiles_addr}/tiles/{{z}}/{{x}}/{{y}}"),
        Some("Test tiles <b>not markup</b>"),
    )
    .unwrap();
    let plain = server(plain_dir.path(), &grid, None).await;
    let with_tiles = server(tiles_dir.path(), &grid, Some(tiles)).await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let _ = std::fs::remove_dir_all(&shots);

    let mut cmd = Command::new("node");
    cmd.arg("test/browser.mjs")
        .current_dir(console_dir())
        .env("GRIDWORK_CONSOLE_URL", format!("http://{plain}"))
        .env("GRIDWORK_CONSOLE_TILES_URL", format!("http://{with_tiles}"))
        .env("GRIDWORK_USER", SUPERVISOR.0)
        .env("GRIDWORK_PASSWORD", SUPERVISOR.1)
        .env("GRIDWORK_XSS_USER", MARKUP_USER)
        .env("GRIDWORK_XSS_PASSWORD", "pw-markup")
        .env("GRIDWORK_XSS_CELL", &markup_cell)
        .env("GRIDWORK_CELLS", cells.to_string())
        .env("GRIDWORK_SCREENSHOTS", &shots)
        .env("CHROMIUM", chromium());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "console/test/browser.mjs failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("browser: all checks passed"), "{stdout}");
    say(&format!("passed; screenshots in {}", shots.display()));
}
