//! `gridwork demo` end to end: the summary agrees with the server's database and the
//! device stores it leaves behind, the same seed tells the same day, and bad input
//! leaves nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gridwork_core::Store;
use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    process::{Command, Output},
};

fn demo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .arg("demo")
        .args(args)
        .output()
        .unwrap()
}

fn quick_day(data: &Path) -> String {
    let out = demo(&[
        "--exit",
        "--seed",
        "7",
        "--days",
        "1",
        "--quick",
        "--listen",
        "127.0.0.1:0",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The part of the summary that depends on the seed only (not the port or folder).
fn figures(stdout: &str) -> &str {
    &stdout[..stdout.find("Console: ").expect("no console line")]
}

fn line<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in\n{stdout}"))
}

fn numbers(text: &str) -> Vec<u64> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

#[test]
fn the_summary_matches_the_servers_database_and_the_same_seed_tells_the_same_day() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let stdout = quick_day(&a);

    // Cases: as many on the server as the devices reported, and the desk holds them all.
    let counts = numbers(line(&stdout, "Cases reported on devices: "));
    assert_eq!(counts.len(), 3, "{stdout}");
    let reported = counts[0];
    assert!(reported >= 8, "a day with only {reported} reports");
    assert_eq!(counts, vec![reported; 3], "{stdout}");
    let statuses: BTreeMap<String, u64> = line(&stdout, "By status: ")
        .split(", ")
        .map(|s| {
            let (name, n) = s.split_once(' ').unwrap();
            (name.to_string(), n.parse().unwrap())
        })
        .collect();
    assert_eq!(statuses.values().sum::<u64>(), reported);
    assert!(line(&stdout, "Sync runs: ").ends_with("events rejected by the server: 0"));
    assert!(
        line(&stdout, "Conflicts: ").starts_with("1 case"),
        "{stdout}"
    );

    let db = rusqlite::Connection::open(a.join("server.db")).unwrap();
    let on_server: BTreeMap<String, u64> = db
        .prepare("SELECT status, count(*) FROM cases GROUP BY status")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let nonzero: BTreeMap<String, u64> = statuses.into_iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(
        on_server, nonzero,
        "statuses on the server differ from the summary"
    );
    let report_events = db
        .query_row(
            "SELECT count(*) FROM events WHERE json_extract(body, '$.kind') = 'incident.reported'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert_eq!(
        report_events as u64, reported,
        "each report on the server exactly once"
    );
    let conflicted: Vec<String> = db
        .prepare("SELECT id FROM cases WHERE json_array_length(view, '$.case.conflicts') > 0")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(conflicted.len(), 1, "exactly one case with a conflict");
    let server_ids: BTreeSet<String> = db
        .prepare("SELECT id FROM cases")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();

    // Every case reported on a device (by that device) is on the server; every device
    // that holds the conflicted case has folded the conflict too.
    let mut device_reports = Vec::new();
    let mut flagged_on = Vec::new();
    for entry in std::fs::read_dir(a.join("devices")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("gridwork.db").exists() {
            continue;
        }
        let store = Store::open(&dir).unwrap();
        let me = store.identity().unwrap().unwrap().device_id;
        for e in store.all_events().unwrap() {
            if e.kind == "incident.reported" && e.device_id == me {
                device_reports.push(e.stream.id().to_string());
            }
        }
        let id: uuid::Uuid = conflicted[0].parse().unwrap();
        if let Ok(detail) = store.case(id) {
            assert_eq!(detail.case.conflicts.len(), 1, "{}", dir.display());
            flagged_on.push(dir.file_name().unwrap().to_string_lossy().to_string());
        }
    }
    let unique: BTreeSet<String> = device_reports.iter().cloned().collect();
    assert_eq!(unique.len(), device_reports.len());
    assert_eq!(unique, server_ids);
    for device in ["gao.feng-desk", "gao.feng-tablet"] {
        assert!(flagged_on.iter().any(|d| d == device), "{flagged_on:?}");
    }

    // The same seed, the same day.
    let again = quick_day(&tmp.path().join("b"));
    assert_eq!(figures(&stdout), figures(&again));
}

#[test]
fn bad_input_is_refused_clearly_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data_arg = data.to_str().unwrap();

    let out = demo(&["--exit", "--days", "0", "--data", data_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--days"));
    let out = demo(&["--exit", "--devices", "13", "--data", data_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--devices"));
    assert!(!data.exists());

    // A folder that cannot be made (a file is in the way).
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let under_file = file.join("data");
    let out = demo(&[
        "--exit",
        "--listen",
        "127.0.0.1:0",
        "--data",
        under_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot create the folder"));

    // A folder with something in it is left as it was.
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("notes.txt"), "mine").unwrap();
    let out = demo(&["--exit", "--listen", "127.0.0.1:0", "--data", data_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    let left: Vec<_> = std::fs::read_dir(&data).unwrap().collect();
    assert_eq!(left.len(), 1);

    // An address in use: refused before any folder is made.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let fresh = tmp.path().join("fresh");
    let out = demo(&[
        "--exit",
        "--listen",
        &addr,
        "--data",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
    assert!(!fresh.exists());
}
