//! `gridwork admin` accounts as an operator runs them: changes keep what they do not
//! name, passwords come from stdin, and refused commands leave the database as it was.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;
use common::dump;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::{Command, Output, Stdio},
};

fn admin(db: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .arg("admin")
        .arg("--db")
        .arg(db)
        .arg("--create")
        .args(args)
        .env_remove("GRIDWORK_PASSWORD")
        .envs(env.iter().copied())
        .env("USER", "ops")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Signs in against `gridwork serve` on `db`: the HTTP status and body.
fn login(db: &Path, user: &str, password: &str) -> (u16, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    let body =
        serde_json::json!({"user": user, "password": password, "device_id": "phone-1"}).to_string();
    let mut conn = TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "POST /v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    server.kill().unwrap();
    let _ = server.wait();
    let status = response[9..12].parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// Regression: re-running `add-user` to change a scope silently dropped the password.
#[test]
fn rerunning_add_user_to_change_a_scope_keeps_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let pw = [("GRIDWORK_PASSWORD", "li-pass-1")];
    ok(admin(
        &db,
        &["add-user", "li", "--role", "worker", "--scope", "320508001"],
        None,
        &pw,
    ));
    // The operator runs it again to change the scope (no password this time).
    let _ = admin(
        &db,
        &["add-user", "li", "--role", "worker", "--scope", "320508002"],
        None,
        &[],
    );
    let (status, body) = login(&db, "li", "li-pass-1");
    assert_eq!(status, 200, "the password still signs in: {body}");
}

#[test]
fn accounts_change_only_what_is_named_and_every_change_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    ok(admin(
        &db,
        &["import-grid", &data("kcity-grid.geojson")],
        None,
        &[],
    ));
    ok(admin(
        &db,
        &["import-catalog", &data("kcity-catalog.json")],
        None,
        &[],
    ));
    let out = ok(admin(
        &db,
        &[
            "add-user",
            "li",
            "--role",
            "worker",
            "--scope",
            "320508001",
            "--with-password",
        ],
        Some("li-pass-1\n"),
        &[],
    ));
    assert!(
        out.contains("account li (worker, scope 320508001) created"),
        "{out}"
    );
    let again = admin(
        &db,
        &["add-user", "li", "--role", "worker", "--scope", "320508002"],
        None,
        &[],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("set-user"));
    ok(admin(
        &db,
        &["set-user", "li", "--scope", "320508002"],
        None,
        &[],
    ));
    ok(admin(
        &db,
        &[
            "add-user",
            "chen",
            "--role",
            "handler",
            "--scope",
            "320508",
            "--department",
            "sanitation",
        ],
        None,
        &[],
    ));
    let (status, body) = login(&db, "li", "li-pass-1");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("320508002"), "{body}");

    let table = ok(admin(&db, &["users"], None, &[]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{table}");
    assert!(
        lines[1].starts_with("chen") && lines[1].contains("sanitation"),
        "{table}"
    );
    assert!(lines[1].ends_with("never"), "{table}");
    assert!(
        lines[2].starts_with("li") && lines[2].contains("320508002"),
        "{table}"
    );
    assert!(!lines[2].ends_with("never"), "li signed in: {table}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(admin(&db, &["users", "--json"], None, &[]))).unwrap();
    assert_eq!(json[1]["has_password"], true);
    assert_eq!(json[0]["has_password"], false);

    ok(admin(
        &db,
        &["set-password", "li", "--password-stdin"],
        Some("li-pass-2\n"),
        &[],
    ));
    assert_eq!(login(&db, "li", "li-pass-1").0, 401);
    assert_eq!(login(&db, "li", "li-pass-2").0, 200);
    ok(admin(&db, &["disable-user", "li"], None, &[]));
    assert_eq!(login(&db, "li", "li-pass-2").0, 401);
    ok(admin(&db, &["enable-user", "li"], None, &[]));
    assert_eq!(login(&db, "li", "li-pass-2").0, 200);
    ok(admin(&db, &["issue-token", "chen"], None, &[]));

    let log = ok(admin(&db, &["audit"], None, &[]));
    let actions: Vec<&str> = log
        .lines()
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "token.issue",
            "user.enable",
            "user.disable",
            "user.password",
            "user.create",
            "user.change",
            "user.create",
            "catalog.import",
            "grid.import",
        ],
        "{log}"
    );
    assert!(
        log.lines()
            .all(|l| l.split_whitespace().nth(1) == Some("cli:ops")),
        "{log}"
    );
    assert!(log.contains("scope 320508001 -> 320508002"), "{log}");
    assert!(!log.contains("li-pass"), "{log}");
}

#[test]
fn refused_admin_commands_say_why_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    ok(admin(
        &db,
        &["import-grid", &data("kcity-grid.geojson")],
        None,
        &[],
    ));
    ok(admin(
        &db,
        &["import-catalog", &data("kcity-catalog.json")],
        None,
        &[],
    ));
    ok(admin(
        &db,
        &[
            "add-user",
            "li",
            "--role",
            "worker",
            "--scope",
            "320508001",
            "--with-password",
        ],
        Some("li-pass-1\n"),
        &[],
    ));
    ok(admin(
        &db,
        &["issue-token", "li", "--device", "phone-li"],
        None,
        &[],
    ));
    let before = dump(&db);
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (
            &["add-user", "li", "--role", "worker", "--scope", "*"],
            None,
            "exists",
        ),
        (
            &["add-user", "sun", "--role", "worker", "--scope", "999"],
            None,
            "matches no cell",
        ),
        (
            &["add-user", "sun", "--role", "worker", "--scope", "32a"],
            None,
            "scope prefix",
        ),
        (
            &[
                "add-user",
                "sun",
                "--role",
                "handler",
                "--scope",
                "*",
                "--department",
                "nope",
            ],
            None,
            "no department",
        ),
        (
            &[
                "add-user",
                "sun",
                "--role",
                "worker",
                "--scope",
                "*",
                "--with-password",
            ],
            Some("short\n"),
            "at least 8",
        ),
        (
            &[
                "add-user",
                "sun",
                "--role",
                "worker",
                "--scope",
                "*",
                "--with-password",
            ],
            Some(""),
            "no password",
        ),
        (
            &["set-user", "li", "--scope", "3205089"],
            None,
            "matches no cell",
        ),
        (
            &["set-user", "li", "--scope", "320508001"],
            None,
            "nothing to change",
        ),
        (
            &["set-user", "nobody", "--scope", "*"],
            None,
            "no account named nobody",
        ),
        (
            &["set-password", "nobody"],
            Some("long-enough\n"),
            "no account",
        ),
        (&["set-password", "li"], Some("short\n"), "at least 8"),
        (&["enable-user", "li"], None, "enabled already"),
        (&["disable-user", "nobody"], None, "no account"),
    ];
    for (args, stdin, says) in cases {
        let out = admin(&db, args, *stdin, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("li-pass"), "{args:?}: {err}");
        assert_eq!(dump(&db), before, "{args:?} changed the database");
    }
    // The old `--password VALUE` is no option any more: a password never sits in `ps`.
    let out = admin(
        &db,
        &[
            "add-user",
            "sun",
            "--role",
            "worker",
            "--scope",
            "*",
            "--password",
            "x",
        ],
        None,
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(dump(&db), before);
}
