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
