//! `gridwork admin` and `gridwork serve` as an operator runs them.
#![allow(clippy::unwrap_used, missing_docs)]

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::{Command, Stdio},
};

fn admin(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .arg("admin")
        .arg("--db")
        .arg(db)
        .arg("--create")
        .args(args)
        .output()
        .unwrap()
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn admin_sets_up_a_server_that_serve_then_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let out = admin(
        &db,
        &["add-user", "li", "--role", "worker", "--scope", "320508001"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = admin(
        &db,
        &["add-user", "x", "--role", "worker", "--scope", "32a"],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("scope prefix"));
    let out = admin(&db, &["issue-token", "li"]);
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(token.len(), 64);
    assert!(!admin(&db, &["issue-token", "nobody"]).status.success());
    assert!(admin(&db, &["import-catalog", &data("kcity-catalog.json")])
        .status
        .success());
    assert!(admin(&db, &["import-grid", &data("kcity-grid.geojson")])
        .status
        .success());

    let mut server = Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    let mut conn = TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    server.kill().unwrap();
    let _ = server.wait();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.to_lowercase().contains("gridwork-protocol: 1"));
    assert!(response.contains("\"user\":\"li\""));
}
