//! `gridwork field login` and `sync` against a loopback HTTP server that fronts the
//! core's in-memory sync server.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    sync::{memory::MemoryServer, HttpRequest, Method, Transport},
};
use serde_json::Value;
use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    thread,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

/// Serves the memory server over HTTP on loopback until the test ends.
fn serve(memory: Arc<MemoryServer>) -> String {
    serve_unless(memory, Arc::new(AtomicBool::new(false)))
}

/// Serves the memory server, answering 503 while `down` is set.
fn serve_unless(memory: Arc<MemoryServer>, down: Arc<AtomicBool>) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    thread::spawn(move || {
        for mut req in server.incoming_requests() {
            if down.load(Ordering::SeqCst) {
                let _ = req.respond(tiny_http::Response::empty(503));
                continue;
            }
            let method = match req.method() {
                tiny_http::Method::Get => Method::Get,
                tiny_http::Method::Head => Method::Head,
                tiny_http::Method::Post => Method::Post,
                _ => Method::Put,
            };
            let mut raw = Vec::new();
            req.as_reader().read_to_end(&mut raw).unwrap();
            let gz = req.headers().iter().any(|h| {
                h.field
                    .as_str()
                    .as_str()
                    .eq_ignore_ascii_case("content-encoding")
            });
            let body = if gz {
                let mut plain = Vec::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_end(&mut plain)
                    .unwrap();
                plain
            } else {
                raw
            };
            let request = HttpRequest {
                method,
                url: req.url().to_string(),
                headers: req
                    .headers()
                    .iter()
                    .map(|h| (h.field.as_str().to_string(), h.value.to_string()))
                    .collect(),
                body,
            };
            let resp = memory.send(&request).unwrap();
            let mut out = tiny_http::Response::from_data(resp.body).with_status_code(resp.status);
            for (k, v) in resp.headers {
                out.add_header(tiny_http::Header::from_bytes(k, v).unwrap());
            }
            let _ = req.respond(out);
        }
    });
    url
}

struct Shell(tempfile::TempDir);

impl Shell {
    fn new(user: &str, role: &str) -> Shell {
        let sh = Shell(tempfile::tempdir().unwrap());
        sh.ok(&["init", "--user", user, "--role", role]);
        sh.ok(&["import-grid", data("kcity-grid.geojson").to_str().unwrap()]);
        sh.ok(&[
            "import-catalog",
            data("kcity-catalog.json").to_str().unwrap(),
        ]);
        sh
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_gridwork"))
            .arg("field")
            .arg("--store")
            .arg(self.0.path().join("store"))
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

#[test]
fn login_then_sync_carries_a_report_to_another_device() {
    let memory = Arc::new(MemoryServer::new());
    memory.add_account("wang", Role::Worker, "tok-wang");
    memory.add_account("li", Role::Supervisor, "pw-li");
    let url = serve(memory.clone());

    let worker = Shell::new("wang", "worker");
    let me = worker.json(&["login", "--server", &url, "--token", "tok-wang", "--json"]);
    assert_eq!(me["user"], "wang");
    worker.ok(&[
        "report",
        "--category",
        "06010",
        "--lat",
        "31.3100",
        "--lon",
        "120.6200",
        "--text",
        "overflowing bin",
    ]);
    let status = worker.json(&["sync", "--status", "--json"]);
    assert_eq!(status["pending_events"], 1);
    let report = worker.json(&["sync", "--json"]);
    assert_eq!(report["pushed"], 1);
    assert_eq!(report["state"], "synced");
    assert_eq!(memory.events().len(), 1);

    let boss = Shell::new("li", "supervisor");
    boss.ok(&[
        "login",
        "--server",
        &url,
        "--user",
        "li",
        "--password",
        "pw-li",
    ]);
    let report = boss.json(&["sync", "--json"]);
    assert_eq!(report["pulled"], 1);
    let list: Value = boss.json(&["list", "--json"]);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[test]
fn a_wrong_token_is_refused_and_sync_without_login_says_so() {
    let memory = Arc::new(MemoryServer::new());
    let url = serve(memory);
    let worker = Shell::new("wang", "worker");
    let out = worker.run(&["login", "--server", &url, "--token", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sign in again"));
    let out = worker.run(&["sync", "--json"]);
    assert_eq!(out.status.code(), Some(4));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["state"], "not_signed_in");
}

#[test]
fn a_failed_sync_says_when_it_will_retry_on_the_citys_clock() {
    let memory = Arc::new(MemoryServer::new());
    memory.add_account("wang", Role::Worker, "tok-wang");
    let down = Arc::new(AtomicBool::new(false));
    let url = serve_unless(memory, down.clone());
    let worker = Shell::new("wang", "worker");
    worker.ok(&["login", "--server", &url, "--token", "tok-wang"]);
    down.store(true, Ordering::SeqCst);
    let out = worker.run(&["sync"]);
    assert_eq!(out.status.code(), Some(4));
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.starts_with("failed, will retry"), "{said}");
    // "will retry in 1 min, at 09:31" (UTC+8, the sample catalogue's zone), or on a
    // day boundary the full local time.
    let retry = said
        .lines()
        .find(|l| l.starts_with("will retry "))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        (retry.contains(" min, at ") && retry.ends_with(|c: char| c.is_ascii_digit()))
            || retry.ends_with("+08:00"),
        "{retry}"
    );
    let status = worker.ok(&["sync", "--status"]);
    assert!(status.contains("will retry "), "{status}");
    assert!(status.contains("last error at "), "{status}");
    assert!(status.contains("+08:00"), "{status}");
}
