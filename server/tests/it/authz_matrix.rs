//! The authorisation matrix, on a real server on loopback, on both backends: every
//! caller (each role, a city administrator, no token, an expired token, a disabled
//! account) × every route of `api::ROUTES` × inside and outside the caller's scope (or,
//! where that is the question, the caller's own thing and someone else's) → the status,
//! the error code, and — for every refusal — nothing written (events, quarantine and
//! chain heads, accounts, audit log, photos).
//!
//! **Adding a route**: `every_route_has_a_row` fails until `rows()` holds a row for
//! each `(route, method)` of `api::ROUTES`. A row is one line: the route, its method,
//! the request (inside / outside, built from the [`World`]), and who gets what:
//!
//! ```text
//! row("GET", "/v1/things", |_, _, inside| get(if inside { "/v1/things?area=320508001" } else { "/v1/things?area=320508003" }), centre(ok(200), no(403))),
//! ```

use crate::{
    common::*,
    open311::{city, encode, form, ELSEWHERE, FORM, HOME},
};
use gridwork_core::model::{Event, Role, Stream};
use gridwork_server::{
    account::new_token, admin, blobs::BlobStore, signin::SignInLimits, storage::Storage, AppState,
    Limits,
};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use uuid::Uuid;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    Worker,
    Supervisor,
    /// A handler of the department `sanitation`.
    Handler,
    Intake,
    Dispatcher,
    ShiftLead,
    /// An integration account holding a bearer token (which it should never get).
    Integration,
    /// A supervisor whose scope is everywhere (`*`).
    Admin,
    NoToken,
    /// The worker's token on a server where its lifetime has passed.
    Expired,
    /// The token of an account since disabled.
    Disabled,
}

const EVERYONE: [Who; 11] = [
    Who::Worker,
    Who::Supervisor,
    Who::Handler,
    Who::Intake,
    Who::Dispatcher,
    Who::ShiftLead,
    Who::Integration,
    Who::Admin,
    Who::NoToken,
    Who::Expired,
    Who::Disabled,
];

impl Who {
    /// The account's name (the expired token is the worker's).
    fn user(self) -> &'static str {
        match self {
            Who::Worker | Who::Expired | Who::NoToken => "worker1",
            Who::Supervisor => "sup1",
            Who::Handler => "handler1",
            Who::Intake => "intake1",
            Who::Dispatcher => "dispatcher1",
            Who::ShiftLead => "shiftlead1",
            Who::Integration => "integ1",
            Who::Admin => "admin1",
            Who::Disabled => "disabled1",
        }
    }

    fn role(self) -> Role {
        match self {
            Who::Worker | Who::Expired | Who::NoToken | Who::Disabled => Role::Worker,
            Who::Supervisor | Who::Admin => Role::Supervisor,
            Who::Handler => Role::Handler,
            Who::Intake => Role::Intake,
            Who::Dispatcher => Role::Dispatcher,
            Who::ShiftLead => Role::ShiftLead,
            Who::Integration => Role::Integration,
        }
    }

    fn signed_in(self) -> bool {
        !matches!(self, Who::NoToken | Who::Expired | Who::Disabled)
    }
}

/// The accounts the matrix signs in as, with their scopes.
const ACCOUNTS: &[(&str, Role, &str)] = &[
    ("worker1", Role::Worker, "320508001"),
    ("sup1", Role::Supervisor, "320508001"),
    ("handler1", Role::Handler, "@sanitation"),
    ("intake1", Role::Intake, "320508001"),
    ("dispatcher1", Role::Dispatcher, "320508001"),
    ("shiftlead1", Role::ShiftLead, "320508001"),
    ("integ1", Role::Integration, "320508001"),
    ("admin1", Role::Supervisor, "*"),
    ("disabled1", Role::Worker, "320508001"),
    // Targets, not callers: an account administrators change, and a worker elsewhere.
    ("target1", Role::Worker, "320508001"),
    ("wu", Role::Worker, "320508003"),
    ("water1", Role::Handler, "@water"),
];

/// The city the matrix runs in.
pub struct World {
    base: String,
    /// The same storage served with a token lifetime of zero.
    expired_base: String,
    storage: Arc<dyn Storage>,
    blobs_dir: std::path::PathBuf,
    tokens: BTreeMap<Who, String>,
    /// Filed by a resident through Open311 in 320508001, registered and dispatched to
    /// sanitation: inside every caller's scope.
    case_in: Uuid,
    /// Filed through Open311 in 320508003: outside every caller's scope but `*`.
    case_out: Uuid,
    patrol_in: Uuid,
    patrol_out: Uuid,
    /// A complete photo of worker1's report (in scope), and of wu's (outside).
    photo_in: String,
    photo_out: String,
    /// Referenced by worker1's accepted report, not uploaded yet.
    upload_own: (String, Vec<u8>),
    /// Referenced by wu's accepted report only, not uploaded.
    upload_theirs: (String, Vec<u8>),
    /// Each caller's own device and its chain.
    devices: Mutex<BTreeMap<Who, Device>>,
    client: Client,
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn serve(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(gridwork_server::serve_listener(
        listener,
        gridwork_server::router(state),
        Duration::from_secs(30),
        std::future::pending(),
    ));
    format!("http://{addr}")
}

fn limits(token_ttl: Duration) -> Limits {
    Limits {
        token_ttl,
        // Every caller tries a wrong password: no sign-in limit is to get in the way.
        sign_in: SignInLimits {
            per_account: 0,
            per_address: 0,
            ..SignInLimits::default()
        },
        ..Limits::default()
    }
}

async fn accepted(s: &dyn Storage, user: &str, events: Vec<Event>) {
    let account = account(s, user).await;
    for o in s.push(&account, events).await.unwrap() {
        assert!(
            matches!(o, gridwork_core::sync::wire::PushOutcome::Accepted { .. }),
            "{o:?}"
        );
    }
}

/// Builds the city: accounts, tokens, two Open311 cases, photos, patrols.
pub async fn world(s: Arc<dyn Storage>) -> World {
    let key_in = city(s.as_ref()).await;
    for (name, role, scope) in ACCOUNTS {
        admin::add_user(s.as_ref(), name, *role, scope, None)
            .await
            .unwrap();
    }
    admin::add_user(s.as_ref(), "city311", Role::Integration, "*", None)
        .await
        .unwrap();
    let key_out = admin::issue_open311_key(
        s.as_ref(),
        "city311",
        gridwork_core::model::Source::Resident,
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap().keep();
    let blobs_dir = dir.join("blobs");
    let blobs = Arc::new(BlobStore::open(&blobs_dir).unwrap());
    let base = serve(AppState::new(
        s.clone(),
        blobs.clone(),
        limits(Duration::from_secs(3600)),
    ))
    .await;
    let expired_base = serve(AppState::new(s.clone(), blobs, limits(Duration::ZERO))).await;
    let mut tokens = BTreeMap::new();
    for who in EVERYONE {
        let device = format!("dev-{}", who.user());
        let token = match who {
            Who::NoToken | Who::Expired => continue,
            // issue-token refuses integration accounts; this is the token they should
            // never have, written straight into storage.
            Who::Integration => {
                let (token, digest) = new_token().unwrap();
                s.add_token(who.user(), &digest, &device).await.unwrap();
                token
            }
            _ => admin::issue_token(s.as_ref(), who.user(), &device)
                .await
                .unwrap(),
        };
        tokens.insert(who, token);
    }
    tokens.insert(Who::Expired, tokens[&Who::Worker].clone());
    // Devices of the targets, for the device and token routes (no caller uses them).
    for (user, device) in [("target1", "dev-target1"), ("water1", "dev-water1")] {
        admin::issue_token(s.as_ref(), user, device).await.unwrap();
    }
    admin::set_disabled(s.as_ref(), "cli:test", "disabled1", true)
        .await
        .unwrap();
    let client = crate::common::http_client();
    // Two residents' requests, with their phone numbers and e-mail addresses.
    let file = |key: String, at: (f64, f64)| {
        let c = client.clone();
        let o = format!("{base}/open311/v2/requests.json");
        async move {
            let res = c
                .post(o)
                .header("content-type", FORM)
                .body(encode(&form(Some(&key), "06010", at, "垃圾桶满了")))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{}", res.status());
            let v: Value = res.json().await.unwrap();
            Uuid::parse_str(v[0]["service_request_id"].as_str().unwrap()).unwrap()
        }
    };
    let case_in = file(key_in, HOME).await;
    let case_out = file(key_out, ELSEWHERE).await;
    for body in [
        json!({"action": "register"}),
        json!({"action": "dispatch", "department": "sanitation"}),
    ] {
        let res = client
            .post(format!("{base}/v1/cases/{case_in}/actions"))
            .bearer_auth(&tokens[&Who::Admin])
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
    }
    // Photos: worker1's report (in scope) and wu's (outside), each with one photo
    // uploaded and one not yet.
    let bytes = |tag: &str| format!("jpeg bytes of {tag}").into_bytes();
    let (p_in, p_out, own, theirs) = (
        bytes("in"),
        bytes("out"),
        bytes("own upload"),
        bytes("their upload"),
    );
    let mut devices = BTreeMap::new();
    for who in EVERYONE {
        devices.insert(
            who,
            Device::new(&format!("dev-{}", who.user()), who.user(), who.role()),
        );
    }
    let w1 = devices.get_mut(&Who::Worker).unwrap();
    let r = report_at(
        w1,
        HOME,
        &[
            (&sha(&p_in), p_in.len() as u64),
            (&sha(&own), own.len() as u64),
        ],
    );
    let patrol_in = Uuid::now_v7();
    let p = w1.event(
        Stream::Patrol(patrol_in),
        "patrol.started",
        json!({"cells": ["32050800100101"], "started_at_ms": w1.wall}),
    );
    accepted(s.as_ref(), "worker1", vec![r, p]).await;
    let mut wu = Device::new("dev-wu", "wu", Role::Worker);
    let patrol_out = Uuid::now_v7();
    let events = vec![
        report_at(
            &mut wu,
            ELSEWHERE,
            &[
                (&sha(&p_out), p_out.len() as u64),
                (&sha(&theirs), theirs.len() as u64),
            ],
        ),
        wu.event(
            Stream::Patrol(patrol_out),
            "patrol.started",
            json!({"cells": ["32050800300404"], "started_at_ms": wu.wall}),
        ),
    ];
    accepted(s.as_ref(), "wu", events).await;
    let wu_token = admin::issue_token(s.as_ref(), "wu", "dev-wu")
        .await
        .unwrap();
    for (token, bytes) in [(&tokens[&Who::Worker], &p_in), (&wu_token, &p_out)] {
        let res = client
            .put(format!("{base}/v1/blobs/{}", sha(bytes)))
            .bearer_auth(token)
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    World {
        base,
        expired_base,
        storage: s,
        blobs_dir,
        tokens,
        case_in,
        case_out,
        patrol_in,
        patrol_out,
        photo_in: sha(&p_in),
        photo_out: sha(&p_out),
        upload_own: (sha(&own), own),
        upload_theirs: (sha(&theirs), theirs),
        devices: Mutex::new(devices),
        client,
    }
}

/// A request: method, path (with query), body.
pub struct Req {
    method: Method,
    path: String,
    json: Option<Value>,
    bytes: Option<Vec<u8>>,
}

fn req(method: Method, path: impl Into<String>) -> Req {
    Req {
        method,
        path: path.into(),
        json: None,
        bytes: None,
    }
}

fn get(path: impl Into<String>) -> Req {
    req(Method::GET, path)
}

fn with_json(method: Method, path: impl Into<String>, body: Value) -> Req {
    Req {
        json: Some(body),
        ..req(method, path)
    }
}

/// What a caller is to get: a status, the error code (derived from the status unless
/// named), text the body must or must not hold (`{case_out}`-style placeholders are
/// the World's ids), and whether the request may write anything.
#[derive(Debug, Clone, Copy)]
pub struct Exp {
    status: u16,
    code: Option<&'static str>,
    has: Option<&'static str>,
    lacks: Option<&'static str>,
    writes: bool,
}

/// A success (which may write).
fn ok(status: u16) -> Exp {
    Exp {
        status,
        code: None,
        has: None,
        lacks: None,
        writes: true,
    }
}

/// A refusal: nothing may be written.
fn no(status: u16) -> Exp {
    Exp {
        writes: false,
        ..ok(status)
    }
}

impl Exp {
    fn code(self, code: &'static str) -> Exp {
        Exp {
            code: Some(code),
            ..self
        }
    }
    fn has(self, text: &'static str) -> Exp {
        Exp {
            has: Some(text),
            ..self
        }
    }
    fn lacks(self, text: &'static str) -> Exp {
        Exp {
            lacks: Some(text),
            ..self
        }
    }
    /// A 200 that is a refusal all the same (a pushed event refused): writes nothing.
    fn refusal(self) -> Exp {
        Exp {
            writes: false,
            ..self
        }
    }
}

/// Who gets what for one row.
#[derive(Clone)]
pub struct Rule {
    /// The signed-in callers allowed, with what they get inside and outside.
    allowed: Vec<(Who, Exp, Exp)>,
    /// What every other signed-in caller gets.
    others: Exp,
    /// Whether callers without a valid token are answered like allowed ones (sign-in).
    public: Option<Exp>,
}

/// Integration accounts take no part in sync or the console: their tokens are refused.
fn forbidden() -> Exp {
    no(403)
}

/// `callers` get `inside` / `outside` (the administrator, whose scope is everywhere,
/// gets `inside` for both); every other signed-in caller 403; no valid token 401.
fn only(callers: &[Who], inside: Exp, outside: Exp) -> Rule {
    Rule {
        allowed: callers
            .iter()
            .map(|w| {
                let out = if *w == Who::Admin { inside } else { outside };
                (*w, inside, out)
            })
            .collect(),
        others: forbidden(),
        public: None,
    }
}

/// Every signed-in role but integration accounts.
fn signed(inside: Exp, outside: Exp) -> Rule {
    only(
        &[
            Who::Worker,
            Who::Supervisor,
            Who::Handler,
            Who::Intake,
            Who::Dispatcher,
            Who::ShiftLead,
            Who::Admin,
        ],
        inside,
        outside,
    )
}

fn centre(inside: Exp, outside: Exp) -> Rule {
    only(&[Who::Supervisor, Who::Admin], inside, outside)
}

fn admins(inside: Exp) -> Rule {
    only(&[Who::Admin], inside, inside)
}

impl Rule {
    /// `who` gets `inside` / `outside` instead.
    fn but(mut self, who: &[Who], inside: Exp, outside: Exp) -> Rule {
        for w in who {
            self.allowed.retain(|(a, _, _)| a != w);
            self.allowed.push((*w, inside, outside));
        }
        self
    }

    fn expect(&self, who: Who, inside: bool) -> Exp {
        if let Some(e) = self.public {
            return e;
        }
        if !who.signed_in() {
            return no(401);
        }
        match self.allowed.iter().find(|(w, _, _)| *w == who) {
            Some((_, i, o)) => {
                if inside {
                    *i
                } else {
                    *o
                }
            }
            None => self.others,
        }
    }
}

/// Builds a caller's request, inside its scope (`true`) or outside.
type Build = fn(&World, Who, bool) -> Req;

/// One line of the matrix.
pub struct Row {
    method: &'static str,
    route: &'static str,
    /// What the row checks, when a route has several rows.
    what: &'static str,
    build: Build,
    rule: Rule,
}

fn row(method: &'static str, route: &'static str, build: Build, rule: Rule) -> Row {
    Row {
        method,
        route,
        what: "",
        build,
        rule,
    }
}

fn area(inside: bool) -> &'static str {
    if inside {
        "320508001"
    } else {
        "320508003"
    }
}

fn case(w: &World, inside: bool) -> Uuid {
    if inside {
        w.case_in
    } else {
        w.case_out
    }
}

/// A report at `at` (the server locates it there) with photos given as (SHA-256, size).
fn report_at(d: &mut Device, at: (f64, f64), photos: &[(&str, u64)]) -> Event {
    let refs: Vec<gridwork_core::model::PhotoRef> = photos
        .iter()
        .map(|(sha, size)| gridwork_core::model::PhotoRef {
            sha256: sha.to_string(),
            size: *size,
            mime: "image/jpeg".into(),
            thumb: None,
        })
        .collect();
    d.report_with(None, |r| {
        (r.lat, r.lon) = at;
        r.photos = refs;
    })
}

/// A pushed event of `who`'s own device: inside, its own report (in its scope);
/// outside, the same device speaking as another user (refused, nothing stored).
fn push(w: &World, who: Who, inside: bool) -> Req {
    let mut devices = w.devices.lock().unwrap();
    let d = devices.get_mut(&who).unwrap();
    let event = if inside {
        report_at(d, HOME, &[])
    } else {
        let mut other = Device::new(&d.id, "target1", Role::Worker);
        other.seq = d.seq;
        other.prev = d.prev.clone();
        report_at(&mut other, HOME, &[])
    };
    with_json(Method::POST, "/v1/events", json!({ "events": [event] }))
}

/// Inside: the caller's own event; outside: an event of another device under its name.
fn push_device(w: &World, who: Who, inside: bool) -> Req {
    if inside {
        return push(w, who, true);
    }
    let mut other = Device::new("dev-target1", who.user(), who.role());
    with_json(
        Method::POST,
        "/v1/events",
        json!({ "events": [report_at(&mut other, HOME, &[])] }),
    )
}

/// The matrix. Roles' rights: docs/sync-protocol.md, supervisor-api.md, case-view.md,
/// operations.md ("Accounts"), open311.md, sync-health.md.
pub fn rows() -> Vec<Row> {
    use Who::*;
    vec![
        row(
            "POST",
            "/v1/login",
            |_, who, _| {
                with_json(
                    Method::POST,
                    "/v1/login",
                    json!({"user": who.user(), "password": "not the password", "device_id": "dev-x"}),
                )
            },
            Rule {
                allowed: vec![],
                others: no(401),
                public: Some(no(401).code("unauthorized")),
            },
        ),
        row(
            "GET",
            "/v1/me",
            |_, _, _| get("/v1/me"),
            signed(ok(200), ok(200)),
        ),
        Row {
            what: "own actor / another user's",
            ..row(
                "POST",
                "/v1/events",
                push,
                signed(
                    ok(200).has("accepted"),
                    no(200).has("pushed as another user").refusal(),
                )
                .but(
                    &[Admin],
                    ok(200).has("accepted"),
                    no(200).has("pushed as another user").refusal(),
                )
                .but(
                    &[Handler, Dispatcher, ShiftLead],
                    ok(200).has("rejected"),
                    no(200).has("pushed as another user").refusal(),
                ),
            )
        },
        Row {
            what: "own device / another device",
            ..row(
                "POST",
                "/v1/events",
                push_device,
                signed(
                    ok(200).has("accepted"),
                    no(200).has("another device").refusal(),
                )
                .but(
                    &[Admin],
                    ok(200).has("accepted"),
                    no(200).has("another device").refusal(),
                )
                .but(
                    &[Handler, Dispatcher, ShiftLead],
                    ok(200).has("rejected"),
                    no(200).has("another device").refusal(),
                ),
            )
        },
        row(
            "GET",
            "/v1/events",
            |_, _, _| get("/v1/events?after=0&limit=1000"),
            signed(ok(200).lacks("{case_out}"), ok(200).lacks("{case_out}")).but(
                &[Admin],
                ok(200).has("{case_out}"),
                ok(200).has("{case_out}"),
            ),
        ),
        row(
            "GET",
            "/v1/blobs/{sha256}",
            |w, _, i| {
                get(format!(
                    "/v1/blobs/{}",
                    if i { &w.photo_in } else { &w.photo_out }
                ))
            },
            // Documented: any signed-in caller may read a photo whose hash it knows.
            signed(ok(200), ok(200)),
        ),
        row(
            "HEAD",
            "/v1/blobs/{sha256}",
            |w, _, i| {
                req(
                    Method::HEAD,
                    format!("/v1/blobs/{}", if i { &w.photo_in } else { &w.photo_out }),
                )
            },
            signed(ok(200), ok(200)),
        ),
        Row {
            what: "a photo of the caller's own event / of someone else's",
            ..row(
                "PUT",
                "/v1/blobs/{sha256}",
                |w, _, i| {
                    let (sha, bytes) = if i { &w.upload_own } else { &w.upload_theirs };
                    Req {
                        bytes: Some(bytes.clone()),
                        ..req(Method::PUT, format!("/v1/blobs/{sha}"))
                    }
                },
                signed(no(403), no(403)).but(&[Worker], ok(201), no(403)),
            )
        },
        row(
            "GET",
            "/v1/catalog",
            |_, _, _| get("/v1/catalog"),
            signed(ok(200), ok(200)),
        ),
        // A department's handler sees its department's cases in any area (none of
        // another department's), and no patrols or evaluation of an area.
        row(
            "GET",
            "/v1/cases",
            |_, _, i| get(format!("/v1/cases?area={}", area(i))),
            signed(ok(200).has("{case_in}"), no(403))
                .but(
                    &[Admin],
                    ok(200).has("{case_in}"),
                    ok(200).has("{case_out}"),
                )
                .but(
                    &[Handler],
                    ok(200).has("{case_in}"),
                    ok(200).lacks("{case_out}"),
                ),
        ),
        row(
            "GET",
            "/v1/cases/{id}",
            |w, _, i| get(format!("/v1/cases/{}", case(w, i))),
            signed(ok(200), no(404)),
        ),
        row(
            "POST",
            "/v1/cases/{id}/actions",
            |w, _, i| {
                with_json(
                    Method::POST,
                    format!("/v1/cases/{}/actions", case(w, i)),
                    json!({"action": "close"}),
                )
            },
            signed(no(409).code("not_allowed").has("may not close"), no(404))
                .but(
                    &[Intake, Supervisor],
                    no(409).code("not_allowed").has("cannot close"),
                    no(404),
                )
                .but(
                    &[Admin],
                    no(409).code("not_allowed").has("cannot close"),
                    no(409).code("not_allowed").has("cannot close"),
                ),
        ),
        row(
            "GET",
            "/v1/cases/{id}/contact",
            |w, _, i| get(format!("/v1/cases/{}/contact", case(w, i))),
            centre(ok(200).has("13800000000"), no(404)),
        ),
        row(
            "GET",
            "/v1/evaluation",
            |_, _, i| get(format!("/v1/evaluation?area={}", area(i))),
            signed(ok(200), no(403)).but(&[Handler], no(403), no(403)),
        ),
        row(
            "GET",
            "/v1/patrols",
            |_, _, i| get(format!("/v1/patrols?area={}", area(i))),
            signed(ok(200), no(403)).but(&[Handler], no(403), no(403)),
        ),
        row(
            "GET",
            "/v1/patrols/{id}",
            |w, _, i| {
                get(format!(
                    "/v1/patrols/{}",
                    if i { w.patrol_in } else { w.patrol_out }
                ))
            },
            signed(ok(200), no(404)).but(&[Handler], no(404), no(404)),
        ),
        row(
            "GET",
            "/v1/map",
            |_, _, i| {
                get(format!(
                    "/v1/map?bbox=120.55,31.25,120.65,31.35&zoom=13&area={}",
                    area(i)
                ))
            },
            signed(ok(200), no(403)).but(&[Handler], ok(200), ok(200)),
        ),
        row(
            "GET",
            "/v1/devices",
            |_, _, i| {
                get(format!(
                    "/v1/devices?user={}",
                    if i { "worker1" } else { "wu" }
                ))
            },
            centre(ok(200).has("dev-worker1"), ok(200).lacks("dev-wu")).but(
                &[Admin],
                ok(200).has("dev-worker1"),
                ok(200).has("dev-wu"),
            ),
        ),
        row(
            "PUT",
            "/v1/me/password",
            |_, _, _| {
                with_json(
                    Method::PUT,
                    "/v1/me/password",
                    json!({"current": "not the password", "new": "a new password"}),
                )
            },
            signed(no(400), no(400)),
        ),
        row(
            "GET",
            "/v1/users",
            |_, _, _| get("/v1/users"),
            admins(ok(200)),
        ),
        row(
            "POST",
            "/v1/users",
            |_, who, i| {
                with_json(
                    Method::POST,
                    "/v1/users",
                    json!({"name": format!("made-{}-{i}", who.user()), "role": "worker", "scope": [area(i)]}),
                )
            },
            admins(ok(201)),
        ),
        row(
            "GET",
            "/v1/users/{name}",
            |_, _, i| get(format!("/v1/users/{}", if i { "target1" } else { "wu" })),
            admins(ok(200)),
        ),
        row(
            "PATCH",
            "/v1/users/{name}",
            |_, _, i| {
                with_json(
                    Method::PATCH,
                    format!("/v1/users/{}", if i { "target1" } else { "wu" }),
                    json!({"scope": ["320508002"]}),
                )
            },
            admins(ok(200)),
        ),
        row(
            "PUT",
            "/v1/users/{name}/password",
            |_, _, i| {
                with_json(
                    Method::PUT,
                    format!("/v1/users/{}/password", if i { "target1" } else { "wu" }),
                    json!({"password": "set by the admin"}),
                )
            },
            admins(ok(204)),
        ),
        row(
            "GET",
            "/v1/audit",
            |_, _, _| get("/v1/audit?limit=10"),
            admins(ok(200)),
        ),
        row(
            "GET",
            "/v1/users/{name}/devices",
            |_, _, i| {
                get(format!(
                    "/v1/users/{}/devices",
                    if i { "target1" } else { "wu" }
                ))
            },
            admins(ok(200)),
        ),
        // A device the matrix holds (inside) and one no one ever used (outside).
        row(
            "GET",
            "/v1/devices/{id}/quarantine",
            |_, _, i| {
                get(format!(
                    "/v1/devices/{}/quarantine",
                    if i { "dev-target1" } else { "dev-nobody" }
                ))
            },
            admins(no(404)).but(&[Who::Admin], ok(200), no(404)),
        ),
        // Nothing is quarantined on the target's device: refused as not applicable.
        row(
            "POST",
            "/v1/devices/{id}/rejudge",
            |_, _, i| {
                req(
                    Method::POST,
                    format!(
                        "/v1/devices/{}/rejudge",
                        if i { "dev-target1" } else { "dev-nobody" }
                    ),
                )
            },
            admins(no(404)).but(&[Who::Admin], no(409).code("not_applicable"), no(404)),
        ),
        // The administrator marks the target's device lost (its token is no caller's).
        row(
            "POST",
            "/v1/devices/{id}/wipe",
            |_, _, i| {
                req(
                    Method::POST,
                    format!(
                        "/v1/devices/{}/wipe",
                        if i { "dev-target1" } else { "dev-nobody" }
                    ),
                )
            },
            admins(no(404)).but(&[Who::Admin], ok(204), no(404)),
        ),
        row(
            "GET",
            "/v1/tokens",
            |_, _, i| {
                get(if i {
                    "/v1/tokens?user=target1"
                } else {
                    "/v1/tokens"
                })
            },
            admins(ok(200)).but(&[Who::Admin], ok(200).lacks("\"token\""), ok(200)),
        ),
        row(
            "POST",
            "/v1/tokens/revoke",
            |_, _, i| {
                with_json(
                    Method::POST,
                    "/v1/tokens/revoke",
                    if i {
                        json!({"user": "water1"})
                    } else {
                        json!({"user": "nobody"})
                    },
                )
            },
            admins(no(404)).but(&[Who::Admin], ok(200), no(404)),
        ),
        // Only a device told to wipe itself may acknowledge; no caller's device is.
        row(
            "POST",
            "/v1/me/wiped",
            |_, _, _| req(Method::POST, "/v1/me/wiped"),
            signed(
                no(409).code("no_wipe_pending"),
                no(409).code("no_wipe_pending"),
            ),
        ),
    ]
}

/// What a refusal must leave as it was: every accepted event, every device's chain head
/// (quarantine included), the accounts, the audit log, the photo folder.
async fn fingerprint(w: &World) -> String {
    let s = w.storage.as_ref();
    let everywhere = account(s, "admin1").await;
    let page = s.pull(&everywhere, 0, 1000).await.unwrap();
    let events: Vec<_> = page.events.iter().map(|e| (e.id, e.server_seq)).collect();
    let mut heads = Vec::new();
    for (name, _, _) in ACCOUNTS {
        for device in [
            format!("dev-{name}"),
            format!("console:{name}"),
            format!("open311:{name}"),
        ] {
            heads.push(s.device_head(&device).await.unwrap());
        }
    }
    let users = s.users().await.unwrap();
    let audit = s.audit_log(1000).await.unwrap();
    let mut files = BTreeSet::new();
    let mut stack = vec![w.blobs_dir.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
                files.insert((path.display().to_string(), len));
            }
        }
    }
    // Tokens and wipe marks, without the last-use times every request moves.
    let tokens: Vec<_> = s
        .tokens(None)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.user, t.device_id))
        .collect();
    let wipes: Vec<_> = s
        .device_admin()
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.device_id, d.wipe_requested_ms, d.wiped_ms))
        .collect();
    format!("{events:?}\n{heads:?}\n{users:?}\n{audit:?}\n{files:?}\n{tokens:?}\n{wipes:?}")
}

fn fill(w: &World, text: &str) -> String {
    text.replace("{case_out}", &w.case_out.to_string())
        .replace("{case_in}", &w.case_in.to_string())
}

fn default_code(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        413 => "too_large",
        429 => "rate_limited",
        _ => return None,
    })
}

/// Sends `row`'s request as `who` and returns the failures (empty when it held).
async fn check(w: &World, row: &Row, who: Who, inside: bool) -> Vec<String> {
    let exp = row.rule.expect(who, inside);
    let r = (row.build)(w, who, inside);
    let base = if who == Who::Expired {
        &w.expired_base
    } else {
        &w.base
    };
    let before = if exp.writes {
        None
    } else {
        Some(fingerprint(w).await)
    };
    let mut b = w
        .client
        .request(r.method.clone(), format!("{base}{}", r.path));
    if let Some(token) = w.tokens.get(&who) {
        b = b.bearer_auth(token);
    }
    if let Some(j) = &r.json {
        b = b.json(j);
    }
    if let Some(bytes) = &r.bytes {
        b = b.body(bytes.clone());
    }
    let res = b.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let place = format!(
        "{} {} {}{} as {who:?} ({}):",
        row.method,
        row.route,
        row.what,
        if row.what.is_empty() { "" } else { "," },
        if inside { "inside" } else { "outside" }
    );
    let mut failures = Vec::new();
    if status != exp.status {
        failures.push(format!(
            "{place} status {status}, expected {}: {text:.300}",
            exp.status
        ));
        return failures;
    }
    if status >= 400 && r.method != Method::HEAD {
        let code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
        let want = exp.code.or(default_code(status));
        if want.is_some() && code.as_deref() != want {
            failures.push(format!("{place} code {code:?}, expected {want:?}"));
        }
    }
    if let Some(has) = exp.has {
        if !text.contains(&fill(w, has)) {
            failures.push(format!("{place} the body lacks {has:?}: {text:.300}"));
        }
    }
    if let Some(lacks) = exp.lacks {
        if text.contains(&fill(w, lacks)) {
            failures.push(format!("{place} the body holds {lacks:?}"));
        }
    }
    if let Some(before) = before {
        if fingerprint(w).await != before {
            failures.push(format!("{place} a refusal wrote something"));
        }
    }
    failures
}

async fn the_matrix_holds(s: Arc<dyn Storage>) {
    let w = world(s).await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in rows() {
        for who in EVERYONE {
            for inside in [true, false] {
                failures.extend(check(&w, &row, who, inside).await);
                checked += 1;
            }
        }
    }
    let (actions, action_failures) = posts_take_their_actions(&w).await;
    checked += actions;
    failures.extend(action_failures);
    println!(
        "authorisation matrix: {checked} requests checked ({actions} of them console actions)"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} cells of the matrix failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Where a case must stand for an action to apply.
#[derive(Debug, Clone, Copy)]
enum Stage {
    Reported,
    Registered,
    /// Dispatched to sanitation.
    Dispatched,
    /// Dispatched, and sanitation's handler applied for a return.
    Applied,
    Suspended,
    Cancelled,
}

/// Each console action: the stage it applies in, which posts may take it
/// (docs/workflow.md; the legacy supervisor holds every centre post, the administrator
/// is a supervisor), and what a post that may gets there (a photo step or a state the
/// console cannot reach is refused by the workflow, not for the role).
const ACTIONS: &[(&str, Stage, &[Who], u16, &str)] = {
    use Stage::*;
    use Who::*;
    const CENTRE_INTAKE: &[Who] = &[Intake, Supervisor, Admin];
    const LEAD: &[Who] = &[ShiftLead, Supervisor, Admin];
    &[
        ("check", Reported, CENTRE_INTAKE, 200, ""),
        ("register", Reported, CENTRE_INTAKE, 200, ""),
        ("close", Dispatched, CENTRE_INTAKE, 409, "cannot close"),
        (
            "cancel",
            Reported,
            &[Intake, ShiftLead, Supervisor, Admin],
            200,
            "",
        ),
        (
            "dispatch",
            Registered,
            &[Dispatcher, Supervisor, Admin],
            200,
            "",
        ),
        (
            "assist",
            Dispatched,
            &[Dispatcher, Supervisor, Admin],
            200,
            "",
        ),
        (
            "urge",
            Dispatched,
            &[Dispatcher, ShiftLead, Supervisor, Admin],
            200,
            "",
        ),
        (
            "resume",
            Suspended,
            &[Dispatcher, ShiftLead, Supervisor, Admin],
            200,
            "",
        ),
        ("return", Dispatched, LEAD, 200, ""),
        ("postpone", Dispatched, LEAD, 200, ""),
        ("suspend", Registered, LEAD, 200, ""),
        ("approve", Applied, LEAD, 200, ""),
        ("refuse", Applied, LEAD, 200, ""),
        ("reopen", Cancelled, LEAD, 200, ""),
        ("resolve_conflict", Dispatched, LEAD, 409, "not a conflict"),
        ("sign", Dispatched, &[Handler], 200, ""),
        ("apply_return", Dispatched, &[Handler], 200, ""),
        ("apply_postpone", Dispatched, &[Handler], 200, ""),
        ("apply_suspend", Dispatched, &[Handler], 200, ""),
        ("handle", Dispatched, &[Handler], 409, "photo"),
        (
            "verify_pass",
            Dispatched,
            &[Worker, Supervisor, Admin],
            409,
            "cannot verify",
        ),
        (
            "verify_fail",
            Dispatched,
            &[Worker, Supervisor, Admin],
            409,
            "cannot verify",
        ),
        ("self_resolve", Reported, &[Worker], 409, "photo"),
    ]
};

/// A console action as `token` on `case`: status and body.
async fn act(w: &World, token: &str, case: Uuid, action: &str) -> (u16, String) {
    let mut body = json!({"action": action, "note": "a reason"});
    match action {
        "dispatch" => body["department"] = json!("sanitation"),
        "assist" => body["department"] = json!("water"),
        "resolve_conflict" => body["conflict"] = json!(Uuid::now_v7()),
        _ => {}
    }
    let res = w
        .client
        .post(format!("{}/v1/cases/{case}/actions", w.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A new case of worker1's in 320508001, brought to `stage` by the administrator (and
/// sanitation's handler).
async fn case_at(w: &World, stage: Stage) -> Uuid {
    let report = {
        let mut devices = w.devices.lock().unwrap();
        report_at(devices.get_mut(&Who::Worker).unwrap(), HOME, &[])
    };
    let Stream::Incident(case) = report.stream else {
        unreachable!()
    };
    accepted(w.storage.as_ref(), "worker1", vec![report]).await;
    let steps: &[(Who, &str)] = match stage {
        Stage::Reported => &[],
        Stage::Registered => &[(Who::Admin, "register")],
        Stage::Dispatched => &[(Who::Admin, "register"), (Who::Admin, "dispatch")],
        Stage::Applied => &[
            (Who::Admin, "register"),
            (Who::Admin, "dispatch"),
            (Who::Handler, "apply_return"),
        ],
        Stage::Suspended => &[(Who::Admin, "register"), (Who::Admin, "suspend")],
        Stage::Cancelled => &[(Who::Admin, "cancel")],
    };
    for (who, action) in steps {
        let (status, text) = act(w, &w.tokens[who], case, action).await;
        assert_eq!(status, 200, "{action} to reach {stage:?}: {text}");
    }
    case
}

/// Every post × every console action, each on a case where the action applies: a post
/// that may never take the action is refused with 409 `not_allowed` ("a … may not … a
/// case") and nothing written; one that may gets what the workflow gives it there (on
/// a fresh case each); a handler of another department does not see the case (404).
/// Returns the requests made and the failures.
async fn posts_take_their_actions(w: &World) -> (usize, Vec<String>) {
    let posts = [
        Who::Worker,
        Who::Supervisor,
        Who::Handler,
        Who::Intake,
        Who::Dispatcher,
        Who::ShiftLead,
        Who::Admin,
    ];
    let water = admin::issue_token(w.storage.as_ref(), "water1", "dev-water1")
        .await
        .unwrap();
    let (mut made, mut failures) = (0, Vec::new());
    for (action, stage, allowed, status_ok, has_ok) in ACTIONS {
        let shared = case_at(w, *stage).await;
        for post in posts.iter().filter(|p| !allowed.contains(p)) {
            let place = format!("console action {action} as {post:?}:");
            let before = fingerprint(w).await;
            let (status, text) = act(w, &w.tokens[post], shared, action).await;
            made += 1;
            // A department's handler sees only the cases dispatched to it.
            let hidden =
                *post == Who::Handler && !matches!(stage, Stage::Dispatched | Stage::Applied);
            if hidden && status != 404 {
                failures.push(format!("{place} {status}, expected 404: {text:.200}"));
            }
            if !hidden && (status != 409 || !text.contains("may not") || !text.contains("a case\""))
            {
                failures.push(format!(
                    "{place} {status}, expected 409 \"may not\": {text:.200}"
                ));
            }
            if fingerprint(w).await != before {
                failures.push(format!("{place} a refusal wrote something"));
            }
        }
        let before = fingerprint(w).await;
        let (status, text) = act(w, &water, shared, action).await;
        made += 1;
        if status != 404 {
            failures.push(format!(
                "console action {action} by another department's handler: {status}: {text:.200}"
            ));
        }
        if fingerprint(w).await != before {
            failures.push(format!(
                "console action {action} by another department's handler wrote something"
            ));
        }
        for post in allowed.iter() {
            let place = format!("console action {action} as {post:?}:");
            let case = case_at(w, *stage).await;
            let before = fingerprint(w).await;
            let (status, text) = act(w, &w.tokens[post], case, action).await;
            made += 1;
            if status != *status_ok || !text.contains(has_ok) {
                failures.push(format!(
                    "{place} {status}, expected {status_ok} {has_ok:?}: {text:.200}"
                ));
            }
            if status >= 400 && fingerprint(w).await != before {
                failures.push(format!("{place} a refusal wrote something"));
            }
        }
    }
    (made, failures)
}

#[test]
fn every_route_has_a_row() {
    let rows: BTreeSet<(String, String)> = rows()
        .iter()
        .map(|r| (r.route.to_string(), r.method.to_string()))
        .collect();
    let missing: Vec<String> = gridwork_server::api::ROUTES
        .iter()
        .flat_map(|(route, methods)| methods.iter().map(move |m| (route, m)))
        .filter(|(route, m)| !rows.contains(&(route.to_string(), m.to_string())))
        .map(|(route, m)| format!("{m} {route}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorisation matrix (authz_matrix.rs rows()): {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_authorisation_matrix_holds() {
    let (s, _dir) = sqlite().await;
    the_matrix_holds(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_authorisation_matrix_holds() {
    let Some(s) = postgres("authz_matrix").await else {
        return;
    };
    the_matrix_holds(s).await;
}

/// An administrator can give an integration account a password (through the API, or by
/// changing an account's role): it still signs in nowhere, and no token is issued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integration_account_with_a_password_signs_in_nowhere() {
    let (s, _dir) = sqlite().await;
    let w = world(s).await;
    let res = w
        .client
        .put(format!("{}/v1/users/integ1/password", w.base))
        .bearer_auth(&w.tokens[&Who::Admin])
        .json(&json!({"password": "a long password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let before = fingerprint(&w).await;
    let res = w
        .client
        .post(format!("{}/v1/login", w.base))
        .json(&json!({"user": "integ1", "password": "a long password", "device_id": "dev-i2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(body.get("token").is_none());
    assert_eq!(fingerprint(&w).await, before);
}
