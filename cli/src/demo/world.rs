//! Who takes part: the accounts on the server (workers, one supervisor, two department
//! handlers, each with a password) and their devices — real stores in folders under the
//! data folder, each on its own simulated clock, signing in and syncing over HTTP.

use crate::output::anyhow_free::{Error, Result};
use gridwork_core::{
    geo::Grid,
    model::Role,
    sync::{
        self, CancelToken, EngineState, NoProgress, SignIn, SyncEngine, SyncOptions, SyncReport,
    },
    Store,
};
use gridwork_http::HttpTransport;
use gridwork_server::{admin, Storage};
use std::{
    path::Path,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
};

/// Every demo account's password (printed with the console's address).
pub const PASSWORD: &str = "gridwork-demo";

/// The supervisor (shift lead at the street's command centre).
pub const SUPERVISOR: &str = "gao.feng";

const WORKERS: [&str; 12] = [
    "li.na",
    "wang.fang",
    "zhang.wei",
    "chen.jing",
    "liu.yang",
    "zhao.lei",
    "huang.min",
    "zhou.jie",
    "wu.xia",
    "xu.tao",
    "sun.hui",
    "ma.lin",
];

/// The two department handlers and the departments each works for.
pub const HANDLERS: [(&str, &[&str]); 2] = [
    (
        "he.jun",
        &[
            "sanitation",
            "law_enforcement",
            "landscaping",
            "construction",
            "ecology",
            "community",
        ],
    ),
    (
        "lin.bo",
        &[
            "water",
            "roads",
            "electricity",
            "lighting",
            "traffic_police",
            "transit",
        ],
    ),
];

/// A worker's post: their name and the community (12-digit code prefix) they patrol.
#[derive(Debug, Clone)]
pub struct Post {
    /// Account name.
    pub user: String,
    /// The community's code prefix: the worker's scope.
    pub community: String,
    /// The community's cells.
    pub cells: Vec<String>,
}

/// The posts of `n` workers: one community each, in code order (Lanxi St's four first).
pub fn posts(grid: &Grid, n: usize) -> Vec<Post> {
    let mut communities: Vec<String> = grid
        .cells()
        .iter()
        .map(|c| c.code.as_str()[..12].to_string())
        .collect();
    communities.dedup();
    communities
        .into_iter()
        .zip(WORKERS)
        .take(n)
        .map(|(community, user)| Post {
            user: user.to_string(),
            cells: grid
                .cells_with_prefix(&community)
                .iter()
                .map(|c| c.code.as_str().to_string())
                .collect(),
            community,
        })
        .collect()
}

/// The streets (9-digit prefixes) the posts lie in: the supervisor's and handlers' scope.
pub fn streets(posts: &[Post]) -> Vec<String> {
    let mut streets: Vec<String> = posts.iter().map(|p| p.community[..9].to_string()).collect();
    streets.dedup();
    streets
}

/// Creates every account on the server's storage.
pub async fn create_accounts(storage: &dyn Storage, posts: &[Post]) -> Result<()> {
    let area = streets(posts).join(",");
    for post in posts {
        admin::add_user(
            storage,
            &post.user,
            Role::Worker,
            &post.community,
            Some(PASSWORD),
        )
        .await?;
    }
    admin::add_user(storage, SUPERVISOR, Role::Supervisor, &area, Some(PASSWORD)).await?;
    for (user, _) in HANDLERS {
        admin::add_user(storage, user, Role::Handler, &area, Some(PASSWORD)).await?;
    }
    Ok(())
}

/// One device: a store on its own simulated clock, signed in to the demo server.
pub struct Device {
    /// What people call it: "li.na's phone".
    pub label: String,
    /// The store.
    pub store: Store,
    clock: Arc<AtomicI64>,
    engine: SyncEngine,
    /// Sync runs made.
    pub syncs: u64,
    /// Events the server refused, over all runs.
    pub rejected: u64,
}

impl Device {
    /// A fresh store in `dir` for `user`, with the sample grid and catalogue, its clock
    /// at `now_ms`.
    pub fn create(dir: &Path, label: &str, user: &str, role: Role, now_ms: i64) -> Result<Device> {
        let clock = Arc::new(AtomicI64::new(now_ms));
        let source = clock.clone();
        let store = Store::open_with_clock(dir, Arc::new(move || source.load(Ordering::SeqCst)))?;
        store.init(user, role)?;
        store.import_grid(super::GRID)?;
        store.import_catalog(super::CATALOG)?;
        Ok(Device {
            label: label.to_string(),
            store,
            clock,
            engine: SyncEngine::new(SyncOptions::default()),
            syncs: 0,
            rejected: 0,
        })
    }

    /// Moves the device's clock on to `ms` (never back).
    pub fn set_time(&self, ms: i64) {
        self.clock.fetch_max(ms, Ordering::SeqCst);
    }

    /// Signs in with the account's password.
    pub fn sign_in(&self, transport: &HttpTransport, url: &str) -> Result<()> {
        let user = self
            .store
            .identity()?
            .map(|i| i.user)
            .ok_or_else(|| Error(format!("{}: no identity", self.label)))?;
        sync::login(
            &self.store,
            transport,
            url,
            &SignIn::Password {
                user,
                password: PASSWORD.into(),
            },
        )?;
        Ok(())
    }

    /// One sync run; anything but a finished run is an error (the demo server is on
    /// loopback: a failure is a bug to show, not to hide).
    pub fn sync(&mut self, transport: &HttpTransport) -> Result<SyncReport> {
        let report = self
            .engine
            .run(&self.store, transport, &NoProgress, &CancelToken::new())?;
        self.syncs += 1;
        self.rejected += report.rejected;
        if report.state != EngineState::Synced {
            return Err(Error(format!(
                "{} did not sync: {}",
                self.label,
                report.error.as_deref().unwrap_or("unknown reason")
            )));
        }
        Ok(report)
    }
}
