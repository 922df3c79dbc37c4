//! Reference data through sync, against the reference server on loopback: a fresh
//! device with no bundled city signs in, syncs, and reports with a category of the
//! downloaded catalogue in a cell located by the downloaded grid; the catalogue is
//! fetched again only when the server's changes (unchanged: no request, or a 304 right
//! after a sign-in); a case filed under a category the server has since dropped is
//! accepted and still shown with its name; and a download the device cannot use
//! changes nothing.
#![allow(clippy::unwrap_used, missing_docs)]

use geo::Centroid;
use gridwork_core::{
    model::Role,
    store::ReportDraft,
    sync::{
        self, CancelToken, EngineState, HttpRequest, HttpResponse, NoProgress, SignIn, SyncEngine,
        SyncOptions, SyncReport, Transport, TransportError, REFERENCE_HEADER,
    },
    Error, Store,
};
use gridwork_server::admin;
use gridwork_tests::{http, TestServer, CATALOG, GRID};
use std::sync::Mutex;

const STREET: &str = "320508001";

/// The real HTTP transport, recording each exchange: (method, path, status, body bytes).
#[derive(Default)]
struct Counting {
    seen: Mutex<Vec<(String, String, u16, usize)>>,
    /// Replaces `from` with `to` in `GET /v1/catalog` answers (a download gone bad).
    spoil: Option<(&'static str, &'static str)>,
}

impl Counting {
    fn catalog_requests(&self) -> Vec<(u16, usize)> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, p, _, _)| p == "/v1/catalog")
            .map(|(_, _, s, n)| (*s, *n))
            .collect()
    }

    fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

impl Transport for Counting {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut resp = http().send(request)?;
        let path = request
            .url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        if let (Some((from, to)), "/v1/catalog", 200) = (self.spoil, path.as_str(), resp.status) {
            resp.body = String::from_utf8(resp.body)
                .unwrap()
                .replace(from, to)
                .into_bytes();
        }
        self.seen.lock().unwrap().push((
            request.method.as_str().to_string(),
            path,
            resp.status,
            resp.body.len(),
        ));
        Ok(resp)
    }
}

/// A store in a temp folder with nothing imported and nobody initialised.
fn fresh_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    (dir, store)
}

fn sign_in(store: &Store, server: &TestServer, user: &str) {
    sync::login(
        store,
        &http(),
        &server.url(),
        &SignIn::Password {
            user: user.into(),
            password: "pw".into(),
        },
    )
    .unwrap();
}

fn run(store: &Store, transport: &dyn Transport) -> SyncReport {
    let r = SyncEngine::new(SyncOptions::default())
        .run(store, transport, &NoProgress, &CancelToken::new())
        .unwrap();
    assert_eq!(r.state, EngineState::Synced, "{r:?}");
    r
}

/// The server's catalogue with `edit` applied to its categories.
fn catalog_with(edit: impl FnOnce(&mut Vec<serde_json::Value>)) -> String {
    let mut c: serde_json::Value = serde_json::from_str(CATALOG).unwrap();
    edit(c["categories"].as_array_mut().unwrap());
    c.to_string()
}

fn category<'a>(cats: &'a mut [serde_json::Value], code: &str) -> &'a mut serde_json::Value {
    cats.iter_mut().find(|c| c["code"] == code).unwrap()
}

/// A draft at the centroid of the downloaded grid's cell `cell`, in the category the
/// downloaded catalogue calls `name_en`.
fn draft(store: &Store, name_en: &str, cell: usize, text: &str) -> (ReportDraft, String) {
    let catalog = store.catalog().unwrap().expect("a downloaded catalogue");
    let code = catalog
        .categories()
        .iter()
        .find(|c| c.name_en == name_en)
        .map(|c| catalog.reference(c))
        .unwrap();
    let grid = store.grid().unwrap();
    let cell = &grid.cells()[cell];
    let c = cell.polygon.centroid().unwrap();
    (
        ReportDraft {
            category: code,
            lat: c.y(),
            lon: c.x(),
            description: text.into(),
            ..ReportDraft::default()
        },
        cell.code.as_str().to_string(),
    )
}

fn server_with_city() -> TestServer {
    let server = TestServer::start();
    server.admin(async |s| {
        admin::import_grid(s, GRID).await.unwrap();
        admin::import_catalog(s, CATALOG).await.unwrap();
    });
    server.account("wang", Role::Worker, STREET);
    server
}

#[test]
fn a_fresh_device_gets_its_city_from_the_server_and_fetches_it_again_only_when_it_changed() {
    let server = server_with_city();
    let (_dir, store) = fresh_store();
    assert!(store.catalog().unwrap().is_none());
    assert!(store.grid().unwrap().is_empty());
    sign_in(&store, &server, "wang");

    let t = Counting::default();
    let r = run(&store, &t);
    assert!(r.reference_updated, "{r:?}");
    let first = t.catalog_requests();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].0, 200);
    let full_bytes = first[0].1;
    assert!(
        full_bytes > 20_000,
        "catalogue and grid: {full_bytes} bytes"
    );
    assert_eq!(store.catalog().unwrap().unwrap().categories().len(), 229);
    assert_eq!(store.grid().unwrap().len(), 60);
    let version = store.reference_version().unwrap().unwrap();
    assert_eq!(version.len(), 32);

    // Report with names from the downloaded catalogue, located by the downloaded grid.
    let (d, cell) = draft(&store, "Exposed rubbish", 0, "rubbish by the gate");
    let id = store.report(&d).unwrap();
    let shown = store.case(id).unwrap().case;
    assert_eq!(shown.cell(), Some(cell.as_str()));
    let known = store.known_category(shown.category()).unwrap().unwrap();
    assert_eq!(known.category.name_zh, "暴露垃圾");

    // Nothing changed on the server: the pull says so, no catalogue request at all.
    t.clear();
    let r = run(&store, &t);
    assert_eq!((r.pushed, r.rejected), (1, 0), "{r:?}");
    assert!(!r.reference_updated);
    assert_eq!(t.catalog_requests(), vec![]);
    let listed = store.list_all(&Default::default()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);

    // Right after a sign-in the device asks anyway, and the server answers 304.
    sign_in(&store, &server, "wang");
    t.clear();
    let r = run(&store, &t);
    assert!(!r.reference_updated);
    assert_eq!(t.catalog_requests(), vec![(304, 0)]);

    // The administrator renames a category and changes its time limit: the next sync
    // fetches the new version, once.
    let v2 = catalog_with(|cats| {
        let c = category(cats, "06010");
        c["name_en"] = "Rubbish left out".into();
        c["time_limit"] = serde_json::json!({"value": 4, "unit": "working_hours"});
    });
    server.admin(async |s| admin::import_catalog(s, &v2).await.unwrap());
    t.clear();
    let r = run(&store, &t);
    assert!(r.reference_updated);
    let fetched = t.catalog_requests();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert_eq!(fetched[0].0, 200);
    assert_ne!(store.reference_version().unwrap().unwrap(), version);
    let known = store.known_category("06010").unwrap().unwrap();
    assert_eq!(known.category.name_en, "Rubbish left out");
    assert!(!known.retired);
    assert_eq!(store.list_all(&Default::default()).unwrap().len(), 1);

    // And the pull's header names exactly what the store now holds.
    t.clear();
    run(&store, &t);
    assert_eq!(t.catalog_requests(), vec![]);
}

#[test]
fn a_case_filed_under_a_category_the_server_since_dropped_is_accepted_and_still_shown() {
    let server = server_with_city();
    server.account("li", Role::Supervisor, STREET);
    let (_dir, store) = fresh_store();
    sign_in(&store, &server, "wang");
    run(&store, &http());

    // Filed under catalogue v1, offline: one synced, one not yet.
    let (d, _) = draft(
        &store,
        "Air-conditioner dripping on the pavement",
        0,
        "drip",
    );
    let synced = store.report(&d).unwrap();
    run(&store, &http());
    let (d, _) = draft(
        &store,
        "Air-conditioner dripping on the pavement",
        1,
        "drip 2",
    );
    let offline = store.report(&d).unwrap();

    // The administrator drops 06011 from the catalogue.
    let v2 = catalog_with(|cats| cats.retain(|c| c["code"] != "06011"));
    server.admin(async |s| admin::import_catalog(s, &v2).await.unwrap());

    let r = run(&store, &http());
    assert_eq!((r.pushed, r.rejected), (1, 0), "{r:?}");
    assert!(r.reference_updated);
    assert!(store.catalog().unwrap().unwrap().get("06011").is_none());
    for id in [synced, offline] {
        let detail = store.case(id).unwrap();
        assert_eq!(detail.case.category(), "06011");
        assert_eq!(detail.report_rejected, None);
        let known = store
            .known_category(detail.case.category())
            .unwrap()
            .unwrap();
        assert!(known.retired);
        assert_eq!(known.category.name_zh, "沿街空调滴水");
    }
    // No new report can use it.
    let mut d = d;
    d.category = "06011".into();
    assert!(matches!(
        store.report(&d),
        Err(Error::UnknownCategory(c)) if c == "06011"
    ));

    // The supervisor's tablet, signed in after the change, pulls both cases and shows
    // them (it never saw 06011 listed: the code is shown as it is).
    let (_dir2, tablet) = fresh_store();
    sign_in(&tablet, &server, "li");
    let r = run(&tablet, &http());
    assert_eq!(r.pulled, 2, "{r:?}");
    assert_eq!(tablet.list_all(&Default::default()).unwrap().len(), 2);
    assert_eq!(tablet.case(offline).unwrap().case.category(), "06011");
    assert!(tablet.known_category("06011").unwrap().is_none());

    // Listed again later, it is current, not retired.
    server.admin(async |s| admin::import_catalog(s, CATALOG).await.unwrap());
    run(&store, &http());
    assert!(!store.known_category("06011").unwrap().unwrap().retired);
}

#[test]
fn a_download_the_device_cannot_use_changes_nothing() {
    let server = server_with_city();
    let (_dir, store) = fresh_store();
    sign_in(&store, &server, "wang");
    run(&store, &http());
    let (d, _) = draft(&store, "Exposed rubbish", 0, "rubbish");
    let id = store.report(&d).unwrap();
    let version = store.reference_version().unwrap();

    let v2 = catalog_with(|cats| category(cats, "06010")["name_en"] = "Rubbish left out".into());
    server.admin(async |s| admin::import_catalog(s, &v2).await.unwrap());
    // The catalogue arrives intact, the grid does not parse.
    let bad = Counting {
        spoil: Some(("FeatureCollection", "Nonsense")),
        ..Counting::default()
    };
    let r = SyncEngine::new(SyncOptions::default())
        .run(&store, &bad, &NoProgress, &CancelToken::new())
        .unwrap();
    assert_ne!(r.state, EngineState::Synced, "{r:?}");
    assert!(!r.reference_updated);
    assert!(
        r.error.as_deref().unwrap().contains("nothing was changed"),
        "{r:?}"
    );
    assert_eq!(r.pushed, 1, "push and pull went through before: {r:?}");
    assert_eq!(store.reference_version().unwrap(), version);
    let name = &store
        .known_category("06010")
        .unwrap()
        .unwrap()
        .category
        .name_en;
    assert_eq!(name, "Exposed rubbish");
    assert_eq!(store.grid().unwrap().len(), 60);
    assert_eq!(store.case(id).unwrap().case.category(), "06010");

    // A good download next time.
    let r = run(&store, &http());
    assert!(r.reference_updated);
    let name = &store
        .known_category("06010")
        .unwrap()
        .unwrap()
        .category
        .name_en;
    assert_eq!(name, "Rubbish left out");
    assert_eq!(store.list_all(&Default::default()).unwrap().len(), 1);
}

#[test]
fn every_pull_names_the_reference_version_the_catalogue_etag_carries() {
    let server = server_with_city();
    let (_dir, store) = fresh_store();
    sign_in(&store, &server, "wang");
    run(&store, &http());
    let token = server.account("zhou", Role::Worker, STREET);
    let get = |path: &str| {
        http()
            .send(&HttpRequest {
                method: gridwork_core::sync::Method::Get,
                url: format!("{}{path}", server.url()),
                headers: vec![
                    ("Authorization".into(), format!("Bearer {token}")),
                    ("Gridwork-Protocol".into(), "1".into()),
                ],
                body: Vec::new(),
            })
            .unwrap()
    };
    let pull = get("/v1/events?after=0");
    let catalog = get("/v1/catalog");
    let advertised = pull.header(REFERENCE_HEADER).unwrap().to_string();
    assert_eq!(catalog.header("ETag").unwrap(), format!("\"{advertised}\""));
    assert_eq!(store.reference_version().unwrap().unwrap(), advertised);
}

#[test]
fn a_server_without_reference_data_is_asked_once_not_on_every_sync() {
    let server = TestServer::start();
    server.account("wang", Role::Worker, STREET);
    let (_dir, store) = fresh_store();
    sign_in(&store, &server, "wang");

    // The first run after the sign-in asks; the server holds nothing.
    let t = Counting::default();
    let r = run(&store, &t);
    assert!(!r.reference_updated);
    assert_eq!(t.catalog_requests(), vec![(404, t.catalog_requests()[0].1)]);
    assert!(store.catalog().unwrap().is_none());

    // Later runs do not ask again while the server names no version.
    for _ in 0..2 {
        t.clear();
        run(&store, &t);
        assert_eq!(t.catalog_requests(), vec![]);
    }

    // Once the city is imported the pull names a version and the device fetches it.
    server.admin(async |s| {
        admin::import_grid(s, GRID).await.unwrap();
        admin::import_catalog(s, CATALOG).await.unwrap();
    });
    t.clear();
    let r = run(&store, &t);
    assert!(r.reference_updated, "{r:?}");
    assert_eq!(t.catalog_requests().len(), 1);
    assert_eq!(store.catalog().unwrap().unwrap().categories().len(), 229);
}
