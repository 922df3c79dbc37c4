//! The harness runs and its gridwork sync delivers every record (small N; no timing is
//! checked: the figures are for docs/benchmarks.md, not for the test suite).
#![allow(missing_docs)]

use serde_json::Value;
use std::process::Command;

fn case(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_gridwork-bench"))
        .arg("case")
        .args(args)
        .output()
        .expect("the harness runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON result")
}

#[test]
fn gridwork_sync_delivers_every_report_initial_and_incremental() {
    let r = case(&["sync", "60", "7"]);
    assert_eq!(r["initial"]["error"], Value::Null, "{r}");
    assert_eq!(r["initial"]["pulled"], 60, "{r}");
    assert_eq!(r["incremental"]["pulled"], 7, "{r}");
    assert_eq!(r["delivered"], true, "{r}");
    assert!(
        r["initial"]["down"].as_u64().unwrap_or(0) > 0,
        "bytes counted: {r}"
    );
}

#[test]
fn peers_sync_the_same_records() {
    for peer in ["automerge", "yrs"] {
        let r = case(&[peer, "40", "5"]);
        assert_eq!(r["initial"]["delivered"], 40, "{peer}: {r}");
        assert_eq!(r["incremental"]["delivered"], 45, "{peer}: {r}");
    }
}

#[test]
fn wire_case_packed_bodies_unpack_to_every_event() {
    // Pull pages of 30 and 8 report events, a push of 12, a 1-hour patrol.
    let r = case(&["wire", "30", "8", "12", "1", "1"]);
    assert_eq!(r["error"], Value::Null, "{r}");
    for (body, n) in [("initial", 30), ("incremental", 8), ("push", 12)] {
        assert_eq!(r[body]["events"], n, "{body}: {r}");
        assert_eq!(r[body]["unpacked_events"], n, "{body}: {r}");
        assert_eq!(r[body]["round_trip"], true, "{body}: {r}");
    }
    // started, a track window every 5 minutes, finished
    let patrol = &r["patrol"];
    assert!(patrol["events"].as_u64().unwrap_or(0) >= 12, "{r}");
    assert_eq!(patrol["unpacked_events"], patrol["events"], "{r}");
    assert_eq!(patrol["round_trip"], true, "{r}");
    for body in ["initial", "incremental", "push", "patrol"] {
        let (json, packed) = (&r[body]["json"], &r[body]["packed"]);
        assert!(
            packed.as_u64().unwrap_or(0) > 0 && packed.as_u64() < json.as_u64(),
            "{body}: {r}"
        );
    }
}

#[test]
fn load_case_holds_every_acknowledged_event_once() {
    // 5 devices pushing for 1 s (and on PostgreSQL too when GRIDWORK_TEST_PG is set).
    let r = case(&["load", "5", "1"]);
    assert_eq!(r["error"], Value::Null, "{r}");
    assert_eq!(r["sqlite"]["all_held"], true, "{r}");
    assert!(r["sqlite"]["acknowledged"].as_u64().unwrap_or(0) > 0, "{r}");
    if std::env::var("GRIDWORK_TEST_PG").is_ok() {
        assert_eq!(r["postgres"]["all_held"], true, "{r}");
    }
    // Its rows in the table of saved results.
    let mut table = Command::new(env!("CARGO_BIN_EXE_gridwork-bench"))
        .arg("table")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the harness runs");
    let mut stdin = table.stdin.take().expect("stdin");
    std::io::Write::write_all(
        &mut stdin,
        serde_json::json!({ "load": r }).to_string().as_bytes(),
    )
    .expect("results");
    drop(stdin);
    let out = table.wait_with_output().expect("the table");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "server under load, SQLite, 5 devices, 1 s: nothing lost or duplicated | all held"
        ),
        "{text}"
    );
}

#[test]
fn load_case_asked_for_postgres_without_it_fails_loudly() {
    let out = Command::new(env!("CARGO_BIN_EXE_gridwork-bench"))
        .args(["case", "load", "5", "1"])
        .env("GRIDWORK_REQUIRE_PG", "1")
        .env_remove("GRIDWORK_TEST_PG")
        .output()
        .expect("the harness runs");
    assert!(!out.status.success(), "exit {}", out.status);
    let r: Value = serde_json::from_slice(&out.stdout).expect("one JSON result");
    assert!(
        r["error"]
            .as_str()
            .unwrap_or("")
            .contains("GRIDWORK_TEST_PG"),
        "{r}"
    );
}
