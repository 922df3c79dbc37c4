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
use geo::Centroid;
use gridwork_core::{
    model::Role,
    store::{ActionKind, ActionRequest},
    sync::{self, CancelToken, NoProgress, SignIn, SyncEngine, SyncOptions},
    workflow::Status,
    Store,
};
use gridwork_server::{admin, ConsoleOptions, Limits, ServerConfig, TileSource};
use gridwork_tests::{draft_for, http, Device, CATALOG, GRID};
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
/// A report description that is markup: it must show as text on the case page.
const MARKUP_DESCRIPTION: &str = "<script>alert(1)</script> overflowing bin by the bridge";
/// Older reports made before the three cases, so that the queue has a second page.
const ROUTINE: u64 = 50;
/// A worker whose phone forks its history (see [`fork_a_device`]).
const FORKER: (&str, &str) = ("sun", "pw-sun");
/// That phone's device id: the console marks it "history rewritten".
const FORKED_DEVICE: &str = "phone-sun";
/// The routine reports the forked phone had accepted (older, like the fifty).
const FORKED_REPORTS: u64 = 2;
/// A real (small) JPEG, so the case page's photos show as pictures in the screenshots.
const PHOTO: &[u8] = include_bytes!("data/photo.jpg");

/// Field accounts on the plain server, for the cases: a worker who reports, a handler
/// and a supervisor with two tablets (each a token of its own).
struct FieldTokens {
    li: String,
    chen: String,
    zhou: [String; 2],
}

/// The cases the console is shown, made by real devices syncing to `url`.
struct Cases {
    /// Reported, with markup in its description: the browser registers and dispatches it.
    reported: uuid::Uuid,
    /// Handled by the department, awaiting verification.
    handled: uuid::Uuid,
    /// Dispatched by two tablets of the same supervisor offline: the later one is a conflict.
    conflict: uuid::Uuid,
    /// A patrol the worker walked and synced: the console draws its track.
    patrol: uuid::Uuid,
    /// The worker's phone, to see the browser's actions arrive.
    phone: Device,
}

fn device(url: &str, token: &str, user: &str, role: Role, id: &str) -> Device {
    let d = Device::new(user, role, id);
    sync::login(&d.store, &http(), url, &SignIn::Token(token.into())).unwrap();
    d
}

fn act(d: &Device, case: uuid::Uuid, kind: ActionKind, department: Option<&str>) {
    d.store
        .act(
            case,
            &ActionRequest {
                department: department.map(String::from),
                ..ActionRequest::new(kind)
            },
        )
        .unwrap();
}

fn make_cases(url: &str, tokens: &FieldTokens) -> Cases {
    let phone = device(url, &tokens.li, "li", Role::Worker, "phone-li");
    let chen = device(url, &tokens.chen, "chen", Role::Handler, "phone-chen");
    let tablets = [0, 1].map(|i| {
        device(
            url,
            &tokens.zhou[i],
            "zhou",
            Role::Supervisor,
            &format!("tablet-zhou-{i}"),
        )
    });
    let report = |text: &str, cell: usize| {
        // The photo is named after the draft's text, which may hold a `/`.
        let mut draft = phone.draft(&format!("photo {cell}"));
        draft.description = text.into();
        std::fs::write(&draft.photos[0], PHOTO).unwrap();
        let grid = phone.store.grid().unwrap();
        let c = grid.cells_with_prefix("320508001")[cell]
            .polygon
            .centroid()
            .unwrap();
        (draft.lat, draft.lon) = (c.y(), c.x());
        phone.store.report(&draft).unwrap()
    };
    // Fifty older reports first (a push of their own, so they are older by the server's
    // receive time): the queue's first page is then full and "More" has one more.
    for i in 0..ROUTINE {
        let mut draft = phone.draft("routine");
        draft.photos.clear();
        draft.description = format!("routine report {i}");
        phone.store.report(&draft).unwrap();
    }
    assert_eq!(phone.sync().pushed, ROUTINE);
    fork_a_device(url);
    let handled = report("broken kerb stone", 4);
    let conflict = report("blocked drain", 8);
    let reported = report(MARKUP_DESCRIPTION, 12);
    assert_eq!(phone.sync().pushed, 3);

    let [one, two] = &tablets;
    one.sync();
    act(one, handled, ActionKind::Register, None);
    act(one, handled, ActionKind::Dispatch, Some("sanitation"));
    act(one, conflict, ActionKind::Register, None);
    assert_eq!(one.sync().pushed, 3);
    chen.sync();
    let done = chen.photo("kerb reset");
    std::fs::write(&done, PHOTO).unwrap();
    chen.store
        .act(
            handled,
            &ActionRequest {
                photos: vec![done],
                ..ActionRequest::new(ActionKind::Handle)
            },
        )
        .unwrap();
    assert_eq!(chen.sync().pushed, 1);
    // Both tablets hold the registered case, then dispatch it offline, each elsewhere.
    two.sync();
    act(one, conflict, ActionKind::Dispatch, Some("water"));
    act(two, conflict, ActionKind::Dispatch, Some("roads"));
    assert_eq!(one.sync().pushed, 1);
    let r = two.sync();
    assert_eq!((r.pushed, r.rejected), (1, 0));
    let folded = two.store.case(conflict).unwrap().case;
    assert_eq!(folded.conflicts.len(), 1, "{folded:?}");
    let patrol = walk_a_patrol(&phone);
    assert!(
        phone.sync().pushed >= 3,
        "the patrol's start, track and end"
    );
    Cases {
        reported,
        handled,
        conflict,
        patrol,
        phone,
    }
}

/// A phone that forks its history the way one restored from a copy of its store would:
/// its first report is accepted; then the phone and the copy (same device id, same
/// signing key) each record another report under the same number. The server takes the
/// phone's and refuses the copy's as a forked history, and flags the device. Both
/// accepted reports are routine ones at the routine reports' point.
fn fork_a_device(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("store");
    let run = |store: &Store| {
        SyncEngine::new(SyncOptions::default()).run(
            store,
            &http(),
            &NoProgress,
            &CancelToken::new(),
        )
    };
    let routine = |store: &Store, text: &str| {
        let mut draft = draft_for(store, dir.path(), text);
        draft.photos.clear();
        store.report(&draft).unwrap();
    };
    {
        let store = Store::open(&original).unwrap();
        store
            .init_with_device(FORKER.0, Role::Worker, FORKED_DEVICE)
            .unwrap();
        store.import_grid(GRID).unwrap();
        store.import_catalog(CATALOG).unwrap();
        let sign_in = SignIn::Password {
            user: FORKER.0.into(),
            password: FORKER.1.into(),
        };
        sync::login(&store, &http(), url, &sign_in).unwrap();
        routine(&store, "routine report from the phone that forks");
        assert_eq!(run(&store).unwrap().pushed, 1);
    }
    let copy = dir.path().join("copy");
    copy_dir(&original, &copy);
    let (phone, restored) = (Store::open(&original).unwrap(), Store::open(&copy).unwrap());
    routine(&phone, "second routine report from the phone that forks");
    assert_eq!(run(&phone).unwrap().pushed, 1);
    routine(&restored, "the same place in the chain, other content");
    // The copy's push is refused; what its run reports after that does not matter here.
    let _ = run(&restored);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The worker walks four minutes east through the first cell of street 320508001 at
/// 1.2 m/s, one fix a second, and finishes the patrol.
fn walk_a_patrol(phone: &Device) -> uuid::Uuid {
    use gridwork_core::patrol::{Fix, Provider};
    let grid = phone.store.grid().unwrap();
    let cell = &grid.cells_with_prefix("320508001")[0];
    let centre = cell.polygon.centroid().unwrap();
    let id = phone
        .store
        .start_patrol(&[cell.code.as_str().to_string()])
        .unwrap();
    let t0 = phone.store.now_ms();
    let m_per_deg_lon = 111_320.0 * centre.y().to_radians().cos();
    let fixes: Vec<Fix> = (0..240)
        .map(|s| Fix {
            time_ms: t0 + s * 1000,
            lat: centre.y(),
            lon: centre.x() - 0.0015 + s as f64 * 1.2 / m_per_deg_lon,
            accuracy_m: 5.0,
            speed_mps: None,
            bearing_deg: None,
            altitude_m: None,
            provider: Provider::Gps,
            mock: false,
        })
        .collect();
    for batch in fixes.chunks(10) {
        phone.store.add_fixes(id, batch.to_vec()).unwrap();
    }
    phone.store.finish_patrol(id).unwrap();
    id
}

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

/// A server in `dir` with `grid`, the sample catalogue, the two accounts and the field
/// accounts.
async fn server(dir: &Path, grid: &str, tiles: Option<TileSource>) -> (SocketAddr, FieldTokens) {
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
        admin::add_user(s, FORKER.0, Role::Worker, "320508001", Some(FORKER.1))
            .await
            .unwrap();
    }
    let tokens = {
        let storage = gridwork_server::open_storage(&db).await.unwrap();
        let s = storage.as_ref();
        admin::add_user(s, "li", Role::Worker, "320508001", None)
            .await
            .unwrap();
        admin::add_user(s, "chen", Role::Handler, "*", None)
            .await
            .unwrap();
        admin::add_user(s, "zhou", Role::Supervisor, "*", None)
            .await
            .unwrap();
        FieldTokens {
            li: admin::issue_token(s, "li", "").await.unwrap(),
            chen: admin::issue_token(s, "chen", "").await.unwrap(),
            zhou: [
                admin::issue_token(s, "zhou", "").await.unwrap(),
                admin::issue_token(s, "zhou", "").await.unwrap(),
            ],
        }
    };
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        db,
        blobs_dir: dir.join("blobs"),
        blobs_s3: None,
        limits: Limits::default(),
        console: ConsoleOptions { tiles },
        open311: Default::default(),
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        gridwork_server::serve(config, move |addr| {
            let _ = tx.send(addr);
        })
        .await
        .unwrap();
    });
    (rx.await.unwrap(), tokens)
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
    let (plain, tokens) = server(plain_dir.path(), &grid, None).await;
    let (with_tiles, _) = server(tiles_dir.path(), &grid, Some(tiles)).await;
    let url = format!("http://{plain}");
    let cases = tokio::task::block_in_place(|| make_cases(&url, &tokens));
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
        .env("GRIDWORK_CASE_REPORTED", cases.reported.to_string())
        .env("GRIDWORK_CASE_HANDLED", cases.handled.to_string())
        .env("GRIDWORK_CASE_CONFLICT", cases.conflict.to_string())
        .env("GRIDWORK_CASE_MARKUP", MARKUP_DESCRIPTION)
        .env(
            "GRIDWORK_CASE_ROUTINE",
            (ROUTINE + FORKED_REPORTS).to_string(),
        )
        .env("GRIDWORK_FORKED_DEVICE", FORKED_DEVICE)
        .env("GRIDWORK_PATROL", cases.patrol.to_string())
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
    // The browser registered and dispatched the reported case: the worker's phone pulls
    // both steps, taken by the console's own device.
    let detail = tokio::task::block_in_place(|| {
        cases.phone.sync();
        cases.phone.store.case(cases.reported).unwrap()
    });
    assert_eq!(detail.case.status, Status::Dispatched);
    assert_eq!(detail.case.department.as_deref(), Some("sanitation"));
    assert!(detail
        .timeline
        .iter()
        .any(|t| t.device_id == "console:wang" && t.kind == "incident.dispatched"));
    assert!(cases.phone.store.verify_log().unwrap().is_intact());
    // The browser resolved the conflict: the worker's phone pulls that too.
    let conflicted = tokio::task::block_in_place(|| {
        cases.phone.sync();
        cases.phone.store.case(cases.conflict).unwrap().case
    });
    assert_eq!(conflicted.conflicts.len(), 1);
    assert_eq!(conflicted.open_conflicts().count(), 0);
    let resolved = conflicted.conflicts[0].resolved.as_ref().unwrap();
    assert_eq!(resolved.by.user, "wang");
    assert!(resolved.note.as_deref().unwrap().contains("保留先派遣的"));
    say(&format!("passed; screenshots in {}", shots.display()));
}
