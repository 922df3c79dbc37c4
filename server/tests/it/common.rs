//! Test helpers: devices that build valid event chains, backends, a live server.

use gridwork_core::{
    clock::Hlc,
    model::{Action, Actor, Event, IncidentEvent, PhotoRef, Report, Role, Stream, GENESIS_HASH},
};
use gridwork_server::{
    admin,
    storage::{postgres::PostgresStorage, sqlite::SqliteStorage, Storage},
    AppState, Limits,
};
use std::{net::SocketAddr, sync::Arc};
use uuid::Uuid;

/// A device recording a chain of events for one user.
pub struct Device {
    pub id: String,
    pub actor: Actor,
    pub seq: u64,
    pub prev: String,
    pub wall: i64,
}

impl Device {
    pub fn new(id: &str, user: &str, role: Role) -> Self {
        Self {
            id: id.into(),
            actor: Actor::new(user, role),
            seq: 0,
            prev: GENESIS_HASH.into(),
            wall: 1_767_000_000_000,
        }
    }

    /// The next event of the chain on `stream`.
    pub fn event(&mut self, stream: Stream, kind: &str, payload: serde_json::Value) -> Event {
        self.seq += 1;
        self.wall += 1000;
        let e = Event {
            id: Uuid::now_v7(),
            stream,
            kind: kind.into(),
            hlc: Hlc::new(self.wall, 0),
            device_id: self.id.clone(),
            actor: self.actor.clone(),
            device_seq: self.seq,
            prev_hash: self.prev.clone(),
            payload,
            server_seq: None,
            signature: None,
        };
        self.prev = e.hash();
        e
    }

    pub fn report(&mut self, cell: Option<&str>) -> Event {
        self.report_with(cell, |_| {})
    }

    /// A report claiming `cell`, changed by `edit` before it is chained.
    pub fn report_with(&mut self, cell: Option<&str>, edit: impl FnOnce(&mut Report)) -> Event {
        let mut report = Report {
            category: "06010".into(),
            lat: 31.3,
            lon: 120.6,
            accuracy_m: Some(5.0),
            description: "overflowing bin".into(),
            address: None,
            urgency: Default::default(),
            photos: vec![],
            cell: cell.map(Into::into),
            patrol: None,
        };
        edit(&mut report);
        let ev = IncidentEvent::Reported(report);
        self.event(Stream::Incident(Uuid::now_v7()), ev.kind(), ev.payload())
    }

    /// A report referencing photos given as (SHA-256, size).
    pub fn report_with_photos(&mut self, cell: Option<&str>, photos: &[(&str, u64)]) -> Event {
        self.report_with(cell, |r| {
            r.photos = photos
                .iter()
                .map(|(sha, size)| PhotoRef {
                    sha256: sha.to_string(),
                    size: *size,
                    mime: "image/jpeg".into(),
                    thumb: None,
                })
                .collect()
        })
    }

    pub fn act(&mut self, case: Stream, action: Action) -> Event {
        let ev = IncidentEvent::Acted(action);
        self.event(case, ev.kind(), ev.payload())
    }
}

/// A client for the test server. The server's reqwest (object_store's S3 transport) is
/// built with rustls and no crypto provider of its own — the server installs ring, the
/// one TLS stack it uses — so a client made before the server did needs it installed.
pub fn http_client() -> reqwest::Client {
    http_client_builder()
        .build()
        .expect("an HTTP client with the ring provider")
}

/// [`http_client`]'s builder, for a client with other settings.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

pub fn register() -> Action {
    Action::Register { note: None }
}

pub fn close() -> Action {
    Action::Close { note: None }
}

pub async fn sqlite() -> (Arc<dyn Storage>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStorage::open(&dir.path().join("server.db"))
        .await
        .unwrap();
    (Arc::new(s), dir)
}

/// The PostgreSQL URL for the tests (GRIDWORK_TEST_PG), or `None` with a note. When
/// GRIDWORK_REQUIRE_PG=1 (as `.ci/run` sets it) a missing URL fails the test instead:
/// a PostgreSQL suite must never pass without running where it is required.
pub fn pg_url(what: &str) -> Option<String> {
    match std::env::var("GRIDWORK_TEST_PG") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("GRIDWORK_REQUIRE_PG").is_ok_and(|v| v == "1") => {
            panic!("{what} needs PostgreSQL: GRIDWORK_REQUIRE_PG=1 but GRIDWORK_TEST_PG is not set")
        }
        Err(_) => {
            eprintln!("SKIPPED: {what}: set GRIDWORK_TEST_PG to a connection URL to run it");
            None
        }
    }
}

/// A fresh PostgreSQL schema named after the test, or `None` (with a note) when
/// GRIDWORK_TEST_PG is not set.
pub async fn postgres(name: &str) -> Option<Arc<dyn Storage>> {
    let url = pg_url(&format!("PostgreSQL test {name}"))?;
    let schema = format!("gw_test_{name}");
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
    Some(Arc::new(
        PostgresStorage::connect(&url, Some(&schema)).await.unwrap(),
    ))
}

/// Creates accounts: li (worker, 320508001), zhao (worker, 320508002),
/// wang (supervisor, *), chen (handler, 320508).
pub async fn accounts(s: &dyn Storage) {
    admin::add_user(s, "li", Role::Worker, "320508001", Some("pw-li"))
        .await
        .unwrap();
    admin::add_user(s, "zhao", Role::Worker, "320508002", None)
        .await
        .unwrap();
    admin::add_user(s, "wang", Role::Supervisor, "*", Some("pw-wang"))
        .await
        .unwrap();
    admin::add_user(s, "chen", Role::Handler, "320508", None)
        .await
        .unwrap();
}

pub async fn account(s: &dyn Storage, user: &str) -> gridwork_server::account::Account {
    s.account(user).await.unwrap().unwrap()
}

/// A live server on 127.0.0.1:0 over SQLite with the sample accounts.
pub struct Live {
    pub base: String,
    pub state: AppState,
    pub _dir: tempfile::TempDir,
}

pub async fn live(limits: Limits) -> Live {
    let (storage, dir) = sqlite().await;
    accounts(storage.as_ref()).await;
    let blobs = gridwork_server::blobs::BlobStore::open(&dir.path().join("blobs")).unwrap();
    let header_read_timeout = limits.header_read_timeout;
    let state = AppState::new(storage, Arc::new(blobs), limits);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let app = gridwork_server::router(state.clone());
    tokio::spawn(gridwork_server::serve_listener(
        listener,
        app,
        header_read_timeout,
        std::future::pending(),
    ));
    Live {
        base: format!("http://{addr}"),
        state,
        _dir: dir,
    }
}

impl Live {
    /// Makes an accepted report of `user` (a worker) reference these photos, given as
    /// (SHA-256, size): only such photos may be uploaded.
    pub async fn reference(&self, user: &str, photos: &[(&str, u64)]) {
        let storage = self.state.storage.as_ref();
        let account = account(storage, user).await;
        let mut d = Device::new(&format!("refs-{}", Uuid::now_v7()), user, account.role);
        let cell = format!("{}01", account.scope[0]);
        let e = d.report_with_photos(Some(&cell), photos);
        let out = storage.push(&account, vec![e]).await.unwrap();
        assert!(
            matches!(
                out[0],
                gridwork_core::sync::wire::PushOutcome::Accepted { .. }
            ),
            "{out:?}"
        );
    }

    /// A token of `user` for the device `phone-<user>`.
    pub async fn token(&self, user: &str) -> String {
        self.device_token(user, &format!("phone-{user}")).await
    }

    /// A token of `user` for `device`.
    pub async fn device_token(&self, user: &str, device: &str) -> String {
        admin::issue_token(self.state.storage.as_ref(), user, device)
            .await
            .unwrap()
    }
}

/// Runs each named `async fn(Arc<dyn Storage>)` of the calling module as one test per
/// backend: `sqlite_backend::NAME` on a fresh file, `postgres_backend::NAME` in its own
/// schema (skipped with a note, or failing under `GRIDWORK_REQUIRE_PG`, without one).
/// `workers = N;` first gives the tests N runtime threads instead of 2.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        both_backends!(workers = 2; $($name),*);
    };
    (workers = $workers:literal; $($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = $workers)]
                async fn $name() {
                    let (s, _dir) = crate::common::sqlite().await;
                    super::$name(s).await;
                }
            )*
        }
        mod postgres_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = $workers)]
                async fn $name() {
                    let Some(s) = crate::common::postgres(stringify!($name)).await else {
                        return;
                    };
                    super::$name(s).await;
                }
            )*
        }
    };
}
pub(crate) use both_backends;
