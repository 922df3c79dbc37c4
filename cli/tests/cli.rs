//! The `gridwork` shell as a user runs it: exit codes, messages on stderr, and the
//! stable JSON documented in docs/cli.md.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

struct Shell {
    dir: tempfile::TempDir,
}

impl Shell {
    fn new(role: &str) -> Shell {
        let sh = Shell {
            dir: tempfile::tempdir().unwrap(),
        };
        sh.ok(&["init", "--user", "li", "--role", role]);
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
            .arg(self.dir.path().join("store"))
            // Only ids on stdout, as scripts read them (tests/explain.rs reads the rest).
            .arg("--quiet")
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
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    fn photo(&self, tag: &str) -> String {
        let p = self.dir.path().join(format!("{tag}.jpg"));
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.extend_from_slice(tag.as_bytes());
        std::fs::write(&p, bytes).unwrap();
        p.to_string_lossy().into_owned()
    }
}

#[test]
fn a_case_goes_round_the_whole_loop_from_the_shell() {
    let sh = Shell::new("worker");
    let photo = sh.photo("before");
    let id = sh
        .ok(&[
            "report",
            "--category",
            "06010",
            "--lat",
            "31.3005",
            "--lon",
            "120.6005",
            "--text",
            "暴露垃圾 by the canal",
            "--photo",
            &photo,
        ])
        .trim()
        .to_string();
    assert_eq!(id.len(), 36);
    let shown = sh.json(&["show", &id]);
    for key in [
        "id",
        "status",
        "cell",
        "category",
        "deadline",
        "overdue",
        "rework_count",
        "conflicts",
        "timeline",
    ] {
        assert!(shown.get(key).is_some(), "show --json lacks {key}: {shown}");
    }
    assert_eq!(shown["status"], "reported");
    assert_eq!(shown["category"], "06010");
    assert_eq!(shown["timeline"].as_array().unwrap().len(), 1);

    sh.ok(&["act", &id, "register", "--as-role", "supervisor"]);
    let catalog: Value =
        serde_json::from_str(&std::fs::read_to_string(data("kcity-catalog.json")).unwrap())
            .unwrap();
    let dept = catalog["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "06010")
        .unwrap()["department"]
        .as_str()
        .unwrap()
        .to_string();
    sh.ok(&[
        "act",
        &id,
        "dispatch",
        "--to",
        &dept,
        "--as-role",
        "supervisor",
    ]);
    let after = sh.photo("after");
    sh.ok(&[
        "act",
        &id,
        "handle",
        "--note",
        "cleared",
        "--photo",
        &after,
        "--as-role",
        "handler",
    ]);
    sh.ok(&["act", &id, "verify-fail", "--note", "still a bag left"]);
    sh.ok(&[
        "act",
        &id,
        "handle",
        "--photo",
        &after,
        "--as-role",
        "handler",
    ]);
    sh.ok(&["act", &id, "verify-pass"]);
    let closed = sh.json(&["act", &id, "close", "--as-role", "supervisor"]);
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["rework_count"], 1);
    assert_eq!(closed["department"], dept);
    assert_eq!(closed["timeline"].as_array().unwrap().len(), 8);
    assert!(closed["deadline"].as_str().unwrap().ends_with('Z'));

    let list = sh.json(&["list", "--status", "closed"]);
    assert_eq!(list["items"][0]["id"], id.as_str());
    let search = sh.json(&["list", "--search", "垃圾"]);
    assert_eq!(search["items"].as_array().unwrap().len(), 1);
    assert!(sh.ok(&["verify-log"]).contains("ok"));
}

#[test]
fn errors_go_to_stderr_with_a_non_zero_exit_and_change_nothing() {
    let sh = Shell::new("worker");
    let out = sh.run(&[
        "report",
        "--category",
        "06010",
        "--lat",
        "NaN",
        "--lon",
        "120.6",
        "--text",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error:"));
    let out = sh.run(&[
        "report",
        "--category",
        "77777",
        "--lat",
        "31.3",
        "--lon",
        "120.6",
        "--text",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown category"));
    let out = sh.run(&[
        "report",
        "--category",
        "06010",
        "--lat",
        "31.3",
        "--lon",
        "120.6",
        "--text",
        "x",
        "--photo",
        "/no/such.jpg",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = sh.run(&["act", "not-an-id", "register"]);
    assert_eq!(out.status.code(), Some(1));
    let out = sh.run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
    let list = sh.json(&["list"]);
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing was written"
    );
    // A worker may not dispatch.
    let id = sh.ok(&[
        "report",
        "--category",
        "06010",
        "--lat",
        "31.3",
        "--lon",
        "120.6",
        "--text",
        "x",
    ]);
    let out = sh.run(&["act", id.trim(), "register"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not"));
}

#[test]
fn verify_log_exits_3_when_the_chain_is_broken() {
    let sh = Shell::new("supervisor");
    let id = sh.ok(&[
        "report",
        "--category",
        "06010",
        "--lat",
        "31.3",
        "--lon",
        "120.6",
        "--text",
        "x",
    ]);
    sh.ok(&["act", id.trim(), "register"]);
    sh.ok(&["act", id.trim(), "cancel", "--note", "dup"]);
    // Delete the middle event behind the store's back.
    let db = gridwork_core::db::Db::open(&sh.dir.path().join("store/gridwork.db")).unwrap();
    db.write(|tx| Ok(tx.execute("DELETE FROM events WHERE device_seq = 2", [])?))
        .unwrap();
    let out = sh.run(&["verify-log", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["intact"], false);
}

#[test]
fn a_patrol_from_the_shell_with_fixes_checkin_export_and_gcj02() {
    let sh = Shell::new("worker");
    let id = sh
        .ok(&["patrol", "start", "--cells", "32050800100101"])
        .trim()
        .to_string();
    for (i, lon) in [120.5860, 120.5862, 120.5864, 120.5866].iter().enumerate() {
        let t = format!("2026-11-23T09:00:{:02}+08:00", i * 2);
        sh.ok(&[
            "patrol",
            "fix",
            "--lat",
            "31.3080",
            "--lon",
            &lon.to_string(),
            "--accuracy",
            "5",
            "--time",
            &t,
        ]);
    }
    sh.ok(&[
        "patrol",
        "checkin",
        "--lat",
        "31.3080",
        "--lon",
        "120.5866",
        "--note",
        "shop visit",
    ]);
    sh.ok(&["patrol", "finish"]);
    let out = sh.run(&[
        "patrol",
        "fix",
        "--lat",
        "31.3",
        "--lon",
        "120.6",
        "--accuracy",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(1), "no open patrol after finish");
    let shown = sh.json(&["patrol", "show", &id, "--gcj02"]);
    for key in [
        "distance_m",
        "duration_s",
        "coverage",
        "flagged_fix_count",
        "integrity",
    ] {
        assert!(shown.get(key).is_some(), "patrol show lacks {key}: {shown}");
    }
    assert_eq!(shown["fix_count"], 4);
    assert!(shown["distance_m"].as_f64().unwrap() > 50.0);
    assert_eq!(shown["coverage"][0]["cell"], "32050800100101");
    assert!(shown["check_ins"][0]["gcj02"]["lat"].as_f64().unwrap() > 31.30);
    let gpx = sh.ok(&["patrol", "export", &id, "--format", "gpx"]);
    assert!(gpx.contains("<trkpt"));
    let file = sh.dir.path().join("walk.gpx");
    std::fs::write(&file, gpx).unwrap();
    let imported = sh.ok(&["patrol", "import-gpx", file.to_str().unwrap()]);
    assert_eq!(
        sh.json(&["patrol", "show", imported.trim()])["fix_count"],
        4
    );
    let bad = sh.dir.path().join("bad.gpx");
    std::fs::write(&bad, "<gpx><trk>").unwrap();
    assert_eq!(
        sh.run(&["patrol", "import-gpx", bad.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    // WGS-84 stays stored; GCJ-02 is only added for display.
    let case = sh.ok(&[
        "report",
        "--category",
        "06010",
        "--lat",
        "31.3",
        "--lon",
        "120.6",
        "--text",
        "x",
    ]);
    let shown = sh.json(&["show", case.trim(), "--gcj02"]);
    assert_eq!(shown["lat"], 31.3);
    assert!((shown["gcj02"]["lon"].as_f64().unwrap() - 120.6).abs() > 0.003);
}

#[test]
fn retention_is_set_shown_and_purged_and_a_refused_setting_changes_nothing() {
    let sh = Shell::new("worker");
    assert_eq!(
        sh.json(&["retention"]),
        serde_json::json!({"days": null, "purged": null})
    );
    assert_eq!(sh.json(&["retention", "--days", "30"])["days"], 30);
    let db = sh.dir.path().join("store/gridwork.db");
    let before = common::dump(&db);
    for bad in ["0", "4000", "-1", "soon"] {
        let out = sh.run(&["retention", "--days", bad]);
        assert!(!out.status.success(), "{bad} was taken");
        assert!(!out.stderr.is_empty());
    }
    assert_eq!(common::dump(&db), before);
    // Nothing old enough: the purge reports nothing and changes nothing.
    let purged = sh.json(&["retention", "--purge"]);
    assert_eq!(purged["days"], 30);
    assert_eq!(purged["purged"]["cases"], 0);
    assert_eq!(purged["purged"]["events"], 0);
    assert_eq!(common::dump(&db), before);
    assert_eq!(sh.json(&["retention", "--off"])["days"], Value::Null);
}
