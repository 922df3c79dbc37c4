//! The centre's posts and a department in the console, in a real browser: a server
//! started the way `gridwork serve` starts it (the sample grid and catalogue, accounts
//! for an intake operator, a dispatcher, a shift lead, a department's handler and a
//! city administrator), a worker's phone that reports a case over HTTP, and
//! console/test/browser-posts.mjs driving Debian's chromium through playwright-core.
//! After the script the worker's phone pulls what the console did.
//!
//! Without chromium, node or console/node_modules the test is SKIPPED with a note on
//! stderr; with GRIDWORK_REQUIRE_BROWSER=1 (as .ci/run sets) it fails instead.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use gridwork_core::{
    model::Role,
    sync::{self, SignIn},
    workflow::Status,
};
use gridwork_server::{admin, ConsoleOptions, Limits, ServerConfig};
use gridwork_tests::{http, Device, CATALOG, GRID};
use std::{
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
};

const PASSWORD: &str = "pw-posts-123";

fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "[console-posts] {line}");
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

async fn server(dir: &Path) -> (SocketAddr, String) {
    let db = dir.join("server.db").display().to_string();
    let token = {
        let storage = gridwork_server::open_storage(&db).await.unwrap();
        let s = storage.as_ref();
        admin::import_grid(s, GRID).await.unwrap();
        admin::import_catalog(s, CATALOG).await.unwrap();
        for (user, role, scope) in [
            ("an", Role::Intake, "*"),
            ("du", Role::Dispatcher, "*"),
            ("zhang", Role::ShiftLead, "*"),
            ("chen", Role::Handler, "@sanitation"),
            ("wang", Role::Supervisor, "*"),
        ] {
            admin::add_user(s, user, role, scope, Some(PASSWORD))
                .await
                .unwrap();
        }
        admin::add_user(s, "li", Role::Worker, "320508001", None)
            .await
            .unwrap();
        admin::issue_token(s, "li", "").await.unwrap()
    };
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        db,
        blobs_dir: dir.join("blobs"),
        blobs_s3: None,
        limits: Limits::default(),
        console: ConsoleOptions::default(),
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
    (rx.await.unwrap(), token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_post_and_a_department_work_in_the_console() {
    if let Some(why) = missing() {
        if std::env::var("GRIDWORK_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("the browser test cannot run: {why}; GRIDWORK_REQUIRE_BROWSER=1 requires it");
        }
        say(&format!(
            "SKIPPED the console posts browser test: {why}; set GRIDWORK_REQUIRE_BROWSER=1 to fail instead"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (addr, li_token) = server(dir.path()).await;
    let url = format!("http://{addr}");
    let (phone, case) = tokio::task::block_in_place(|| {
        let phone = Device::new("li", Role::Worker, "phone-li");
        sync::login(&phone.store, &http(), &url, &SignIn::Token(li_token)).unwrap();
        let case = phone.store.report(&phone.draft("overflowing bin")).unwrap();
        assert_eq!(phone.sync().rejected, 0);
        (phone, case)
    });
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/photo.jpg");
    let mut cmd = Command::new("node");
    cmd.arg("test/browser-posts.mjs")
        .current_dir(console_dir())
        .env("GRIDWORK_CONSOLE_URL", &url)
        .env("GRIDWORK_PASSWORD", PASSWORD)
        .env("GRIDWORK_CASE", case.to_string())
        .env("GRIDWORK_PHOTO", &photo)
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
        "console/test/browser-posts.mjs failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("browser-posts: all checks passed"),
        "{stdout}"
    );
    // What every post did in the browser reaches the worker's phone as ordinary events,
    // each from its user's console device; the case is now li's to verify.
    let detail = tokio::task::block_in_place(|| {
        phone.sync();
        phone.store.case(case).unwrap()
    });
    assert_eq!(detail.case.status, Status::Handled);
    assert_eq!(detail.case.department.as_deref(), Some("sanitation"));
    assert_eq!(detail.case.assisting, ["roads"]);
    assert_eq!(detail.case.postpone_count, 1);
    assert_eq!(detail.case.urge_count, 1);
    assert_eq!(
        detail.case.photos.len(),
        2,
        "the report's and the after photo"
    );
    for (kind, device) in [
        ("incident.checked", "console:an"),
        ("incident.registered", "console:an"),
        ("incident.dispatched", "console:du"),
        ("incident.signed", "console:chen"),
        ("incident.applied", "console:chen"),
        ("incident.approved", "console:zhang"),
        ("incident.handled", "console:chen"),
    ] {
        assert!(
            detail
                .timeline
                .iter()
                .any(|t| t.kind == kind && t.device_id == device),
            "{kind} by {device}"
        );
    }
    assert!(phone.store.verify_log().unwrap().is_intact());
    let tasks = phone.store.verification_tasks().unwrap();
    assert_eq!(tasks.iter().map(|t| t.id).collect::<Vec<_>>(), [case]);
    say(&format!("passed; screenshots in {}", shots.display()));
}
