//! The packed wire form between the engine and a server: used when both read it, the
//! documented JSON when either does not, and the same store either way.

use super::*;

/// Two workers' reports pushed, then pulled by a supervisor, against `server`.
fn exchange(server: &Arc<MemoryServer>) -> (Device, Device) {
    let wang = Device::new("wang", Role::Worker, "wang-phone");
    wang.login(server);
    for i in 0..30 {
        wang.report(&format!("桥边垃圾堆放 #{i}, residents complained"));
    }
    // Two runs: the first learns what the server reads, the second pushes with it.
    assert_eq!(wang.sync(server.as_ref()).error, None);
    for i in 0..30 {
        wang.report(&format!("路灯不亮 #{i}"));
    }
    assert_eq!(wang.sync(server.as_ref()).error, None);
    let li = Device::new("li", Role::Supervisor, "li-tablet");
    li.login(server);
    let report = li.sync_with(
        server.as_ref(),
        SyncOptions {
            pull_limit: 20,
            ..SyncOptions::default()
        },
    );
    assert_eq!(report.error, None);
    assert_eq!(report.pulled, 60);
    (wang, li)
}

#[test]
fn a_server_that_packs_gets_packed_pushes_and_sends_packed_pages_with_the_same_result() {
    let packing = Arc::new(MemoryServer::new());
    let (_wang, li) = exchange(&packing);
    let plain = Arc::new(MemoryServer::new());
    plain.set_json_only(true);
    let (_wang2, li2) = exchange(&plain);

    let (up, down) = packing.event_bytes();
    let (json_up, json_down) = plain.event_bytes();
    // Packed bodies are a fraction of the JSON (the second push and every page).
    assert!(up < json_up * 3 / 4, "push: {up} packed vs {json_up} JSON");
    assert!(
        down * 3 < json_down,
        "pull: {down} packed vs {json_down} JSON"
    );
    // The supervisor holds the same cases, with intact chains and signatures.
    let strip = |cases: Vec<crate::workflow::Case>| {
        cases
            .into_iter()
            .map(|c| (c.report.description, format!("{:?}", c.status)))
            .collect::<Vec<_>>()
    };
    let mut a = strip(li.cases());
    let mut b = strip(li2.cases());
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(a.len(), 60);
    for e in packing.events() {
        let mine = li
            .store
            .all_events()
            .unwrap()
            .into_iter()
            .find(|m| m.id == e.id)
            .unwrap();
        assert_eq!(mine.hash(), e.hash());
        assert_eq!(mine.signature, e.signature);
        assert!(e.signature.is_some());
    }
}

#[test]
fn a_device_that_learned_packing_falls_back_to_json_when_the_server_no_longer_reads_it() {
    let server = Arc::new(MemoryServer::new());
    let wang = Device::new("wang", Role::Worker, "wang-phone");
    wang.login(&server);
    wang.report("first");
    assert_eq!(wang.sync(server.as_ref()).error, None);
    // The server is replaced by one from before the packed form.
    server.set_json_only(true);
    wang.report("second");
    let report = wang.sync(server.as_ref());
    assert_eq!(report.error, None);
    assert_eq!(report.pushed, 1);
    assert_eq!(server.events().len(), 2);
    // And the next run sends JSON straight away.
    wang.report("third");
    server.clear_requests();
    assert_eq!(wang.sync(server.as_ref()).pushed, 1);
    let pushes = server
        .requests()
        .iter()
        .filter(|(m, p)| *m == super::super::Method::Post && p == "/v1/events")
        .count();
    assert_eq!(pushes, 1);
}
