//! What the shell shows after syncing with a real `gridwork serve`: a step the server
//! refused (in `list`, `list --status rejected` and `show`, plainly), and another
//! worker's patrol pulled to a supervisor's store (in `patrol list` and `patrol show`).
#![allow(clippy::unwrap_used, missing_docs)]

use serde_json::Value;
use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

fn gridwork(args: &[&str], store: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gridwork"));
    if let Some(store) = store {
        cmd.arg("field").arg("--store").arg(store);
    }
    cmd.args(args).output().unwrap()
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `gridwork serve` on a fresh database with the given accounts; killed on drop.
struct Server {
    _dir: tempfile::TempDir,
    child: Child,
    url: String,
    tokens: Vec<(String, String)>,
}

impl Server {
    fn start(accounts: &[(&str, &str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.db");
        let db = db.to_str().unwrap();
        let mut tokens = Vec::new();
        for (user, role, scope) in accounts {
            ok(
                gridwork(
                    &[
                        "admin", "--db", db, "--create", "add-user", user, "--role", role,
                        "--scope", scope,
                    ],
                    None,
                ),
                "add-user",
            );
            let token = ok(
                gridwork(&["admin", "--db", db, "issue-token", user], None),
                "issue-token",
            );
            tokens.push((user.to_string(), token.trim().to_string()));
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_gridwork"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db", db])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().rsplit("http://").next().unwrap().to_string();
        Server {
            _dir: dir,
            child,
            url: format!("http://{addr}"),
            tokens,
        }
    }

    fn token(&self, user: &str) -> &str {
        &self.tokens.iter().find(|(u, _)| u == user).unwrap().1
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Shell {
    dir: tempfile::TempDir,
    /// The device id the store made at init.
    device: String,
}

impl Shell {
    /// A store for `user` whose local role is `role`, signed in to `server`.
    fn new(server: &Server, user: &str, role: &str) -> Shell {
        let mut sh = Shell {
            dir: tempfile::tempdir().unwrap(),
            device: String::new(),
        };
        let said = sh.ok(&["init", "--user", user, "--role", role]);
        sh.device = said
            .trim()
            .rsplit_once(" on device ")
            .map(|(_, d)| d.to_string())
            .unwrap_or_else(|| panic!("{said}"));
        sh.ok(&["import-grid", data("kcity-grid.geojson").to_str().unwrap()]);
        sh.ok(&[
            "import-catalog",
            data("kcity-catalog.json").to_str().unwrap(),
        ]);
        sh.ok(&[
            "login",
            "--server",
            &server.url,
            "--token",
            server.token(user),
        ]);
        sh
    }

    fn ok(&self, args: &[&str]) -> String {
        ok(
            gridwork(args, Some(&self.dir.path().join("store"))),
            &format!("{args:?}"),
        )
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

const CELL: &str = "32050800100101";

fn report(sh: &Shell, text: &str) -> String {
    sh.ok(&[
        "--quiet",
        "report",
        "--category",
        "06010",
        "--lat",
        "31.3060",
        "--lon",
        "120.5810",
        "--text",
        text,
    ])
    .trim()
    .to_string()
}

#[test]
fn list_and_show_print_a_rejected_step_and_report_plainly() {
    let server = Server::start(&[
        ("zhao", "worker", "320508001"),
        ("wang", "worker", "320508001"),
    ]);
    let zhao = Shell::new(&server, "zhao", "worker");
    // Wang's store claims supervisor; his account is a worker's.
    let wang = Shell::new(&server, "wang", "supervisor");
    let case = report(&zhao, "overflowing bin");
    let r = zhao.json(&["sync", "--json"]);
    assert_eq!(r["pushed"], 1, "{r}\n{}", zhao.ok(&["show", &case]));
    wang.ok(&["sync"]);
    wang.ok(&["act", &case, "register"]);
    let mine = report(&wang, "pothole on the way home");
    assert_eq!(wang.json(&["sync", "--json"])["rejected"], 2);

    let list = wang.ok(&["list"]);
    let line = list.lines().find(|l| l.starts_with(&case)).unwrap();
    assert!(line.contains(" reported "), "{line}");
    assert!(
        line.contains("REJECTED registered: pushed with another role"),
        "{line}"
    );
    let line = list.lines().find(|l| l.starts_with(&mine)).unwrap();
    assert!(line.contains(" rejected "), "{line}");
    assert!(line.contains("REJECTED reported: "), "{line}");

    let rejected = wang.ok(&["list", "--status", "rejected"]);
    assert_eq!(rejected.lines().count(), 2, "{rejected}");
    let reported = wang.ok(&["list", "--status", "reported"]);
    assert_eq!(reported.lines().count(), 1, "{reported}");
    assert!(reported.starts_with(&case));

    let show = wang.ok(&["show", &case]);
    assert!(show.contains("status    reported"), "{show}");
    let refused = show
        .lines()
        .find(|l| l.starts_with("REJECTED  incident.registered by wang"))
        .unwrap_or_else(|| panic!("{show}"));
    assert!(refused.contains("another role"), "{refused}");
    assert!(show.contains("[rejected by the server]"), "{show}");
    let show = wang.ok(&["show", &mine]);
    assert!(
        show.contains("status    REJECTED: the server refused the report"),
        "{show}"
    );
    let counts = wang.ok(&["counts"]);
    assert!(counts.contains("reported    1"), "{counts}");
    assert!(counts.contains("rejected    2"), "{counts}");
}

#[test]
fn patrol_list_and_show_print_a_pulled_patrol_as_the_other_workers() {
    let server = Server::start(&[
        ("wang", "worker", "320508001"),
        ("li", "supervisor", "320508001"),
    ]);
    let wang = Shell::new(&server, "wang", "worker");
    let li = Shell::new(&server, "li", "supervisor");
    let mut gpx = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>"#,
    );
    for i in 0..120 {
        gpx.push_str(&format!(
            r#"<trkpt lat="31.3060" lon="{:.6}"><time>2026-11-23T01:{:02}:{:02}Z</time></trkpt>"#,
            120.5795 + i as f64 * 0.0000125,
            i / 60,
            i % 60
        ));
    }
    gpx.push_str("</trkseg></trk></gpx>");
    let file = wang.dir.path().join("walk.gpx");
    std::fs::write(&file, gpx).unwrap();
    let id = wang
        .ok(&[
            "--quiet",
            "patrol",
            "import-gpx",
            file.to_str().unwrap(),
            "--cells",
            CELL,
        ])
        .trim()
        .to_string();
    wang.ok(&["sync"]);
    assert!(li.json(&["sync", "--json"])["pulled"].as_u64().unwrap() >= 3);

    let list = li.ok(&["patrol", "list"]);
    let line = list
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(line.contains(" wang "), "{line}");
    assert!(line.contains("120 fixes"), "{line}");
    assert!(line.contains("(pulled)"), "{line}");
    let show = li.ok(&["patrol", "show", &id]);
    assert!(
        show.contains(&format!("worker    wang on {}", wang.device)),
        "{show}"
    );
    assert!(
        show.contains("pulled    recorded on wang's device"),
        "{show}"
    );
    let json = li.json(&["patrol", "show", &id, "--json"]);
    assert_eq!(json["remote"], true);
    assert_eq!(json["fix_count"], 120);
    let d = json["distance_m"].as_f64().unwrap();
    assert!(d > 100.0, "{json}");
    assert_eq!(json["coverage"][0]["cell"], CELL);
    assert!(
        json["coverage"][0]["share"].as_f64().unwrap() > 0.0,
        "{json}"
    );
}
