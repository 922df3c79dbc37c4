//! `gridwork serve`'s log as an operator reads it: JSON lines (or plain text) on
//! stderr with the method, route, status, duration, user and device of each request, a
//! summary per push and pull and the kind of each rejection — and never a password, a
//! token, a report's text or position. Also: options from a TOML file.
#![allow(clippy::unwrap_used, missing_docs)]

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Output, Stdio},
};

fn gridwork(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .args(args)
        .env_remove("GRIDWORK_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        std::io::Write::write_all(&mut input, text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

const PASSWORD: &str = "pw-Xq7-secret";
const TEXT: &str = "UNIQUE-REPORT-TEXT-8812";

/// Runs a server with `args` (stderr to a file), a phone's sign-in and a sync with one
/// accepted and one rejected report, stops the server with SIGTERM and returns its log.
fn logged_session(dir: &Path, format: &str, config: Option<&Path>) -> String {
    let db = dir.join("server.db");
    let db = db.to_str().unwrap();
    gridwork(
        &[
            "admin",
            "--db",
            db,
            "--create",
            "import-grid",
            &data("kcity-grid.geojson"),
        ],
        None,
    );
    gridwork(
        &[
            "admin",
            "--db",
            db,
            "import-catalog",
            &data("kcity-catalog.json"),
        ],
        None,
    );
    gridwork(
        &[
            "admin",
            "--db",
            db,
            "add-user",
            "li",
            "--role",
            "worker",
            "--scope",
            "320508001",
            "--with-password",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let log_path = dir.join(format!("server-{format}.log"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gridwork"));
    cmd.arg("serve");
    match config {
        Some(file) => cmd.arg("--config").arg(file),
        None => cmd.args([
            "--db",
            db,
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            format,
        ]),
    };
    let mut server = cmd
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = format!("http://{}", line.trim().rsplit("http://").next().unwrap());
    let store = dir.join(format!("phone-{format}"));
    let store = store.to_str().unwrap();
    gridwork(
        &[
            "field", "--store", store, "init", "--user", "li", "--role", "worker",
        ],
        None,
    );
    gridwork(
        &[
            "field",
            "--store",
            store,
            "import-grid",
            &data("kcity-grid.geojson"),
        ],
        None,
    );
    gridwork(
        &[
            "field",
            "--store",
            store,
            "import-catalog",
            &data("kcity-catalog.json"),
        ],
        None,
    );
    gridwork(
        &[
            "field",
            "--store",
            store,
            "login",
            "--server",
            &url,
            "--user",
            "li",
            "--password",
            PASSWORD,
        ],
        None,
    );
    // Inside li's street, and outside it (another street: rejected).
    gridwork(
        &[
            "field",
            "--store",
            store,
            "report",
            "--category",
            "06010",
            "--lat",
            "31.306123",
            "--lon",
            "120.580877",
            "--text",
            TEXT,
        ],
        None,
    );
    gridwork(
        &[
            "field",
            "--store",
            store,
            "report",
            "--category",
            "06010",
            "--lat",
            "31.2981",
            "--lon",
            "120.6021",
            "--text",
            TEXT,
        ],
        None,
    );
    let _ = Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .args(["field", "--store", store, "sync"])
        .output()
        .unwrap();
    let pid = server.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(server.wait().unwrap().success(), "SIGTERM stops it cleanly");
    std::fs::read_to_string(&log_path).unwrap()
}

fn token_of(dir: &Path, format: &str) -> String {
    // The phone keeps its token in its store; whatever it is, it must not be logged.
    let store = dir.join(format!("phone-{format}"));
    // rusqlite is built with SQLCipher here; its crypto provider must be linked in.
    gridwork_sqlcipher::link();
    let conn = rusqlite::Connection::open(store.join("gridwork.db")).unwrap();
    conn.query_row("SELECT value FROM meta WHERE key = 'sync.token'", [], |r| {
        r.get(0)
    })
    .unwrap()
}

fn never_leaks(log: &str) {
    assert!(!log.contains(PASSWORD), "a password in the log");
    assert!(!log.contains(TEXT), "a report's text in the log");
    assert!(
        !log.contains("31.306") && !log.contains("120.580"),
        "a position in the log"
    );
    assert!(
        !log.contains('\u{1b}'),
        "colour codes though stderr is a file"
    );
}

#[test]
fn json_logs_say_what_happened_and_nothing_private() {
    let dir = tempfile::tempdir().unwrap();
    let log = logged_session(dir.path(), "json", None);
    never_leaks(&log);
    let token = token_of(dir.path(), "json");
    assert_eq!(token.len(), 64);
    assert!(!log.contains(&token), "a token in the log");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let answered: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "answered")
        .collect();
    let push = answered
        .iter()
        .find(|l| l["span"]["route"] == "/v1/events" && l["span"]["method"] == "POST")
        .unwrap_or_else(|| panic!("no push line in\n{log}"));
    assert_eq!(push["fields"]["status"], 200);
    assert!(push["fields"]["duration_ms"].as_f64().is_some());
    assert_eq!(push["span"]["user"], "li");
    assert!(push["span"]["device"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    let login = answered
        .iter()
        .find(|l| l["span"]["route"] == "/v1/login")
        .unwrap();
    assert_eq!(login["fields"]["status"], 200);
    let summary = lines
        .iter()
        .find(|l| l["fields"]["message"] == "push")
        .unwrap_or_else(|| panic!("no push summary in\n{log}"));
    assert_eq!(summary["fields"]["accepted"], 1);
    assert_eq!(summary["fields"]["rejected"], 1);
    let rejected = lines
        .iter()
        .find(|l| l["fields"]["message"] == "event rejected")
        .unwrap();
    assert_eq!(rejected["fields"]["reason"], "outside your area");
    assert!(lines.iter().any(|l| l["fields"]["message"] == "pull"));
    assert!(lines.iter().any(|l| l["fields"]["message"] == "stopped"));
}

#[test]
fn options_come_from_a_toml_file_and_text_logs_have_no_colour_off_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let config = dir.path().join("gridwork.toml");
    std::fs::write(
        &config,
        format!(
            "db = {:?}\nlisten = \"127.0.0.1:0\"\nlog_format = \"text\"\nshutdown_grace_secs = 5\n",
            db.to_str().unwrap()
        ),
    )
    .unwrap();
    let log = logged_session(dir.path(), "text", Some(&config));
    never_leaks(&log);
    assert!(log.contains("route=/v1/events"), "{log}");
    assert!(log.contains("accepted=1"), "{log}");

    std::fs::write(&config, "db = \"x.db\"\nno_such_option = 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_option"));
}
