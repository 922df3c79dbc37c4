//! A report the app has acknowledged survives the process being killed: a child process
//! reports in a loop and prints each acknowledged id; the parent kills it mid-write
//! (SIGKILL, no chance to clean up), reopens the store and finds every acknowledged
//! report, an intact hash chain and a consistent projection.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod common;

use common::*;
use gridwork_core::{model::Role, store::ReportDraft, Store};
use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

const CHILD_ENV: &str = "GRIDWORK_CRASH_CHILD_STORE";

#[test]
fn child_reporter() {
    // Only does something when started by the test below.
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open(&dir).unwrap();
    for i in 0.. {
        let id = store
            .report(&ReportDraft {
                category: "06010".into(),
                lat: 31.3,
                lon: 120.6,
                description: format!("report {i}"),
                ..Default::default()
            })
            .unwrap();
        println!("{id}");
    }
}

#[test]
fn acknowledged_reports_survive_a_killed_process() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let dir = dev.store.dir().to_path_buf();
    drop(dev.store);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_reporter",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acked.len() < 40 {
        let line = lines.next().unwrap().unwrap();
        if let Ok(id) = uuid::Uuid::parse_str(line.trim()) {
            acked.push(id);
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let store = Store::open(&dir).unwrap();
    for id in &acked {
        assert!(store.case(*id).is_ok(), "acknowledged report {id} was lost");
    }
    assert!(store.verify_log().unwrap().is_intact());
    let events = store.all_events().unwrap();
    let cases = store.list_all(&Default::default()).unwrap();
    assert_eq!(
        events.len(),
        cases.len(),
        "every event has its projection row and no more"
    );
    assert!(cases.len() >= acked.len());
}
