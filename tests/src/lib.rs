//! gridwork-tests: helpers for the end-to-end suites — the reference server running on
//! loopback (and killed and restarted on the same database), and devices: real stores
//! in temp folders syncing through the real HTTP transport.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use geo::Centroid;
use gridwork_core::{
    model::Role,
    store::ReportDraft,
    sync::{self, CancelToken, NoProgress, SignIn, SyncEngine, SyncOptions, SyncReport, Transport},
    Store,
};
use gridwork_http::{HttpOptions, HttpTransport};
use gridwork_server::{admin, Limits, ServerConfig};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};
use tempfile::TempDir;

pub mod fault_proxy;
pub mod load;

/// The sample grid.
pub const GRID: &str = include_str!("../../data/kcity-grid.geojson");
/// The sample catalogue.
pub const CATALOG: &str = include_str!("../../data/kcity-catalog.json");

/// The reference server on loopback, on its own tokio runtime.
pub struct TestServer {
    /// The database and blob folder.
    pub dir: TempDir,
    /// Where it listens.
    pub addr: SocketAddr,
    limits: Limits,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestServer {
    /// Starts a server with an empty SQLite database.
    pub fn start() -> TestServer {
        Self::start_with(Limits::default())
    }

    /// Starts a server with an empty SQLite database and the given limits.
    pub fn start_with(limits: Limits) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut s = TestServer {
            dir,
            addr: "127.0.0.1:0".parse().unwrap(),
            limits,
            runtime: None,
        };
        s.launch();
        s
    }

    fn config(&self) -> ServerConfig {
        ServerConfig {
            listen: self.addr,
            db: self.dir.path().join("server.db").display().to_string(),
            blobs_dir: self.dir.path().join("blobs"),
            blobs_s3: None,
            limits: self.limits.clone(),
            console: Default::default(),
            open311: Default::default(),
        }
    }

    fn launch(&mut self) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let config = self.config();
        let (tx, rx) = std::sync::mpsc::channel();
        rt.spawn(async move {
            let state = gridwork_server::state(&config).await.unwrap();
            let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let header_read_timeout = config.limits.header_read_timeout;
            gridwork_server::serve_listener(
                listener,
                gridwork_server::router(state),
                header_read_timeout,
                std::future::pending(),
            )
            .await
            .unwrap();
        });
        self.addr = rx.recv().unwrap();
        self.runtime = Some(rt);
    }

    /// The base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs an operator task against the server's storage.
    pub fn admin<T>(&self, f: impl AsyncFnOnce(&dyn gridwork_server::Storage) -> T) -> T {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let db = self.config().db;
        rt.block_on(async move {
            let storage = gridwork_server::open_storage(&db).await.unwrap();
            f(storage.as_ref()).await
        })
    }

    /// Creates an account and returns a token for it, bound to the first device that
    /// pushes with it.
    pub fn account(&self, user: &str, role: Role, scope: &str) -> String {
        self.admin(async |s| {
            admin::add_user(s, user, role, scope, Some("pw"))
                .await
                .unwrap();
            admin::issue_token(s, user, "").await.unwrap()
        })
    }

    /// Kills the server at once: in-flight requests die with it.
    pub fn kill(&mut self) {
        if let Some(rt) = self.runtime.take() {
            // Every task is dropped at its next await (in-flight requests die), and the
            // storage work already running on blocking threads is waited for, so the
            // database is closed when this returns (a restore checks it is not in use).
            rt.shutdown_timeout(std::time::Duration::from_secs(10));
        }
    }

    /// Starts it again on the same address and database.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A device: a store in a temp folder with the sample grid and catalogue.
pub struct Device {
    /// The folder.
    pub dir: TempDir,
    /// The store.
    pub store: Store,
    engine: SyncEngine,
}

impl Device {
    /// A fresh device for `user`.
    pub fn new(user: &str, role: Role, device: &str) -> Device {
        Device::with_clock(
            user,
            role,
            device,
            Arc::new(gridwork_core::store::system_now_ms),
        )
    }

    /// A fresh device for `user` whose store reads the time from `clock` (ms since the
    /// epoch).
    pub fn with_clock(
        user: &str,
        role: Role,
        device: &str,
        clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    ) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with_clock(dir.path().join("store"), clock).unwrap();
        store.init_with_device(user, role, device).unwrap();
        store.import_grid(GRID).unwrap();
        store.import_catalog(CATALOG).unwrap();
        Device {
            dir,
            store,
            engine: SyncEngine::new(SyncOptions::default()),
        }
    }

    /// Signs in with a token.
    pub fn login(&self, server: &TestServer, token: &str) {
        sync::login(
            &self.store,
            &http(),
            &server.url(),
            &SignIn::Token(token.into()),
        )
        .unwrap();
    }

    /// Signs in with a token at another address of the server (a proxy in front of it).
    pub fn login_at(&self, url: &str, token: &str) {
        sync::login(&self.store, &http(), url, &SignIn::Token(token.into())).unwrap();
    }

    /// Signs in with a user name and password (the server binds this device's id to
    /// the account).
    pub fn login_password(
        &self,
        server: &TestServer,
        user: &str,
        password: &str,
    ) -> Result<sync::wire::Session, sync::SyncError> {
        sync::login(
            &self.store,
            &http(),
            &server.url(),
            &SignIn::Password {
                user: user.into(),
                password: password.into(),
            },
        )
    }

    /// The stored sync status.
    pub fn status(&self) -> sync::SyncStatus {
        sync::status(&self.store).unwrap()
    }

    /// One sync run through `transport`.
    pub fn sync_with(&self, transport: &dyn Transport) -> SyncReport {
        self.engine
            .run(&self.store, transport, &NoProgress, &CancelToken::new())
            .unwrap()
    }

    /// One sync run over HTTP.
    pub fn sync(&self) -> SyncReport {
        self.sync_with(&http())
    }

    /// A photo file (JPEG magic then `tag`).
    pub fn photo(&self, tag: &str) -> PathBuf {
        photo_file(self.dir.path(), tag)
    }

    /// A report in the first grid cell.
    pub fn draft(&self, text: &str) -> ReportDraft {
        draft_for(&self.store, self.dir.path(), text)
    }

    /// Every case, folded, sorted by id.
    pub fn cases(&self) -> Vec<gridwork_core::workflow::Case> {
        let mut all: Vec<_> = self
            .store
            .list_all(&Default::default())
            .unwrap()
            .into_iter()
            .map(|s| self.store.case(s.id).unwrap().case)
            .collect();
        all.sort_by_key(|c| c.id);
        all
    }
}

/// A report in `store`'s first grid cell with a photo made in `photo_dir`.
pub fn draft_for(store: &Store, photo_dir: &Path, text: &str) -> ReportDraft {
    let grid = store.grid().unwrap();
    let c = grid.cells()[0].polygon.centroid().unwrap();
    ReportDraft {
        category: "06010".into(),
        lat: c.y(),
        lon: c.x(),
        description: text.into(),
        photos: vec![photo_file(photo_dir, text)],
        ..ReportDraft::default()
    }
}

/// The HTTP transport with default options.
pub fn http() -> Arc<HttpTransport> {
    Arc::new(HttpTransport::new(HttpOptions::default()).unwrap())
}

fn photo_file(dir: &Path, tag: &str) -> PathBuf {
    let path = dir.join(format!("{}.jpg", tag.replace(' ', "-")));
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(tag.as_bytes());
    std::fs::write(&path, bytes).unwrap();
    path
}
