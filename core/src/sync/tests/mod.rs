//! Tests of the engine without a network: real stores in temp folders, the in-memory
//! server, and transports that fail, stall or answer wrongly on purpose.
#![allow(clippy::unwrap_used)]

mod conflict;
mod faults;
mod packed;
mod runs;

use super::{
    memory::{MemoryServer, MEMORY_URL},
    transport::{HttpRequest, HttpResponse, Transport, TransportError},
    CancelToken, NoProgress, SignIn, SyncEngine, SyncOptions, SyncReport,
};
use crate::{
    model::Role,
    store::{ActionKind, ActionRequest, ReportDraft},
    Store,
};
use geo::Centroid;
use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, Mutex,
    },
};
use tempfile::TempDir;

const GRID: &str = include_str!("../../../../data/kcity-grid.geojson");
const CATALOG: &str = include_str!("../../../../data/kcity-catalog.json");
const MONDAY_9AM: i64 = 1_795_395_600_000;

struct Device {
    dir: TempDir,
    store: Store,
    clock: Arc<AtomicI64>,
    user: String,
    role: Role,
}

impl Device {
    fn new(user: &str, role: Role, device: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(AtomicI64::new(MONDAY_9AM));
        let store = open(&dir, &clock);
        store.init_with_device(user, role, device).unwrap();
        store.import_grid(GRID).unwrap();
        store.import_catalog(CATALOG).unwrap();
        Device {
            dir,
            store,
            clock,
            user: user.into(),
            role,
        }
    }

    /// Closes and opens the store again, as after a crash or a restart.
    fn reopen(&mut self) {
        let placeholder = tempfile::tempdir().unwrap();
        let old = std::mem::replace(&mut self.store, open(&placeholder, &self.clock));
        drop(old);
        self.store = open(&self.dir, &self.clock);
    }

    fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// Signs in to the memory server with a token named after the user.
    fn login(&self, server: &MemoryServer) {
        server.add_account(&self.user, self.role, &format!("t-{}", self.user));
        super::login(
            &self.store,
            server,
            MEMORY_URL,
            &SignIn::Token(format!("t-{}", self.user)),
        )
        .unwrap();
    }

    fn photo(&self, tag: &str, len: usize) -> PathBuf {
        let path = self.dir.path().join(format!("{tag}.jpg"));
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.extend(tag.bytes().cycle().take(len));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn draft(&self, text: &str, photos: Vec<PathBuf>) -> ReportDraft {
        let grid = self.store.grid().unwrap();
        let c = grid.cells()[0].polygon.centroid().unwrap();
        ReportDraft {
            category: "06010".into(),
            lat: c.y(),
            lon: c.x(),
            accuracy_m: Some(5.0),
            description: text.into(),
            photos,
            ..ReportDraft::default()
        }
    }

    fn report(&self, text: &str) -> uuid::Uuid {
        self.store.report(&self.draft(text, Vec::new())).unwrap()
    }

    fn sync(&self, transport: &dyn Transport) -> SyncReport {
        self.sync_with(transport, SyncOptions::default())
    }

    fn sync_with(&self, transport: &dyn Transport, options: SyncOptions) -> SyncReport {
        SyncEngine::new(options)
            .run(&self.store, transport, &NoProgress, &CancelToken::new())
            .unwrap()
    }

    fn status(&self) -> super::SyncStatus {
        super::status(&self.store).unwrap()
    }

    /// The projections as a comparable value: every case's folded state.
    fn cases(&self) -> Vec<crate::workflow::Case> {
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

fn open(dir: &TempDir, clock: &Arc<AtomicI64>) -> Store {
    let c = clock.clone();
    Store::open_with_clock(
        dir.path().join("store"),
        Arc::new(move || c.load(Ordering::SeqCst)),
    )
    .unwrap()
}

fn act(kind: ActionKind) -> ActionRequest {
    ActionRequest::new(kind)
}

type Intercept =
    Box<dyn FnMut(&HttpRequest, usize) -> Option<Result<HttpResponse, TransportError>> + Send>;

/// The memory server behind a hook that may answer instead of it. The hook sees each
/// request and its number (from 0).
struct Faulty {
    server: Arc<MemoryServer>,
    hook: Mutex<(usize, Intercept)>,
}

impl Faulty {
    fn new(
        server: &Arc<MemoryServer>,
        hook: impl FnMut(&HttpRequest, usize) -> Option<Result<HttpResponse, TransportError>>
            + Send
            + 'static,
    ) -> Faulty {
        Faulty {
            server: server.clone(),
            hook: Mutex::new((0, Box::new(hook))),
        }
    }
}

impl Transport for Faulty {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let answer = {
            let mut guard = self.hook.lock().unwrap();
            let n = guard.0;
            guard.0 += 1;
            (guard.1)(request, n)
        };
        answer.unwrap_or_else(|| self.server.send(request))
    }
}

fn status_response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: Vec::new(),
    }
}
