//! Personal data stays out of the logs of the core and of the server, at every level:
//! one process runs a server on loopback and a phone's store, with every `tracing` (and
//! `log`) line of every crate captured at TRACE. A personal-data-rich day — a report
//! naming a resident with a phone number and an address, at a position, with a photo;
//! a sync; a failed sync while the server is down; a wrong and a right password; a
//! resident's Open311 request with name, e-mail and phone; a console action with a
//! note; a case search; a password change and an account created with a password —
//! and none of those texts, the position, a password or a token is in the captured log.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use gridwork_core::{
    model::Role,
    store::ReportDraft,
    sync::{self, HttpRequest, Method, SignIn, Transport},
};
use gridwork_server::admin;
use gridwork_tests::{http, Device, TestServer};
use std::{
    io::Write,
    sync::{Arc, Mutex},
};

/// Where every log line goes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const RESIDENT: &str = "Zhang-Weiming-PRIVATE";
const PHONE: &str = "13912345678";
const ADDRESS: &str = "PRIVATE-ADDRESS 42 Lane 7";
const EMAIL: &str = "resident-private@example.org";
const PASSWORD: &str = "pw-PRIVATE-8841";
const WRONG: &str = "pw-WRONG-1207";
const NOTE: &str = "NOTE-PRIVATE-5519 call the resident back";
const SEARCH: &str = "SEARCH-PRIVATE-6650";
const NEW_PASSWORD: &str = "pw-NEWPRIVATE-3371";
const MADE_PASSWORD: &str = "pw-MADEPRIVATE-9124";

fn send(method: Method, url: String, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, String) {
    let res = http()
        .send(&HttpRequest {
            method,
            url,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body,
        })
        .unwrap();
    (res.status, String::from_utf8_lossy(&res.body).into_owned())
}

#[test]
fn no_personal_data_in_the_core_or_the_server_logs_at_trace() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let mut server = TestServer::start();
    let url = server.url();
    let key = server.admin(async |s| {
        admin::import_grid(s, gridwork_tests::GRID).await.unwrap();
        admin::import_catalog(s, gridwork_tests::CATALOG)
            .await
            .unwrap();
        admin::add_user(s, "li", Role::Worker, "*", Some(PASSWORD))
            .await
            .unwrap();
        admin::add_user(s, "wang", Role::Supervisor, "*", None)
            .await
            .unwrap();
        admin::add_user(s, "portal", Role::Integration, "*", None)
            .await
            .unwrap();
        admin::issue_open311_key(s, "portal", gridwork_core::model::Source::Resident)
            .await
            .unwrap()
    });
    let wang = server.admin(async |s| admin::issue_token(s, "wang", "desk-wang").await.unwrap());

    let phone = Device::new("li", Role::Worker, "phone-li");
    let refused = phone.login_password(&server, "li", WRONG);
    assert!(refused.is_err());
    phone.login_password(&server, "li", PASSWORD).unwrap();
    let token = {
        // The token the phone holds: sign in once more through the API to know it.
        let (status, body) = send(
            Method::Post,
            format!("{url}/v1/login"),
            &[("content-type", "application/json")],
            serde_json::to_vec(
                &serde_json::json!({"user": "li", "password": PASSWORD, "device_id": "phone-li"}),
            )
            .unwrap(),
        );
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["token"].as_str().unwrap().to_string()
    };
    sync::login(&phone.store, &http(), &url, &SignIn::Token(token.clone())).unwrap();

    let draft = phone.draft(&format!("{RESIDENT} ({PHONE}) says the bin overflows"));
    let (lat, lon) = (draft.lat, draft.lon);
    let case = phone
        .store
        .report(&ReportDraft {
            address: Some(ADDRESS.into()),
            ..draft
        })
        .unwrap();
    // The server is down: the run fails and the core says so in its log.
    server.kill();
    let failed = phone.sync();
    assert!(failed.error.is_some());
    server.restart();
    let report = phone.sync();
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(report.pushed, 1);

    // A resident's Open311 request.
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("api_key", key.as_str()),
            ("service_code", "06010"),
            ("lat", &lat.to_string()),
            ("long", &lon.to_string()),
            ("description", &format!("{RESIDENT} reports a bin")),
            ("address_string", ADDRESS),
            ("first_name", RESIDENT),
            ("last_name", RESIDENT),
            ("email", EMAIL),
            ("phone", PHONE),
        ])
        .finish();
    let (status, body) = send(
        Method::Post,
        format!("{url}/open311/v2/requests.json"),
        &[("content-type", "application/x-www-form-urlencoded")],
        form.into_bytes(),
    );
    assert_eq!(status, 200, "{body}");

    // The console: a search, an action with a note, a password change, a new account.
    let bearer = format!("Bearer {wang}");
    let json = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let (status, body) = send(
        Method::Get,
        format!("{url}/v1/cases?q={SEARCH}"),
        &json[..1],
        vec![],
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(
        Method::Post,
        format!("{url}/v1/cases/{case}/actions"),
        &json,
        serde_json::to_vec(&serde_json::json!({"action": "register", "note": NOTE})).unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(
        Method::Post,
        format!("{url}/v1/users"),
        &json,
        serde_json::to_vec(&serde_json::json!({"name": "made", "role": "worker",
            "scope": ["320508001"], "password": MADE_PASSWORD}))
        .unwrap(),
    );
    assert_eq!(status, 201, "{body}");
    let li_bearer = format!("Bearer {token}");
    let (status, body) = send(
        Method::Put,
        format!("{url}/v1/me/password"),
        &[
            ("authorization", li_bearer.as_str()),
            ("content-type", "application/json"),
        ],
        serde_json::to_vec(&serde_json::json!({"current": PASSWORD, "new": NEW_PASSWORD})).unwrap(),
    );
    assert_eq!(status, 204, "{body}");

    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        log.contains("sync run stopped") && log.contains("answered"),
        "the capture holds the core's and the server's lines: {:.2000}",
        log
    );
    let lat_text = format!("{lat:.4}");
    let lon_text = format!("{lon:.4}");
    for (what, text) in [
        ("a resident's name", RESIDENT),
        ("a phone number", PHONE),
        ("an address", ADDRESS),
        ("an e-mail address", EMAIL),
        ("a password", PASSWORD),
        ("a wrong password", WRONG),
        ("a new password", NEW_PASSWORD),
        ("a password set by an administrator", MADE_PASSWORD),
        ("a note", NOTE),
        ("search text", SEARCH),
        ("a token", token.as_str()),
        ("a token", wang.as_str()),
        ("an Open311 key", key.as_str()),
        ("a latitude", lat_text.as_str()),
        ("a longitude", lon_text.as_str()),
    ] {
        if let Some(at) = log.find(text) {
            let start = log[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = log[at..].find('\n').map_or(log.len(), |i| at + i);
            panic!("{what} in the log: {}", &log[start..end]);
        }
    }
    println!("{} log lines captured, none private", log.lines().count());
}
