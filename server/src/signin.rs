//! What keeps `POST /v1/login` from being a free password oracle or a memory bomb.
//!
//! - [`Hasher`]: Argon2 (≈19 MiB and tens of milliseconds each) runs on a few threads of
//!   its own, one per permit, behind a semaphore shared by everything that hashes at
//!   request time; a caller waits for a permit instead of starting another hash. The
//!   threads are fixed, not tokio's blocking pool, and each computes in one Argon2 buffer
//!   it keeps: a fresh 19 MiB allocation per hash stays resident with glibc (measured:
//!   21 refused sign-ins left 397 MiB resident), so memory is now bounded by the permits. An
//!   unknown user (or an account without a password) is verified against a dummy hash
//!   of the same cost, so the answer's timing does not tell which names exist.
//! - [`Throttle`]: a sliding window of failed sign-ins per key (an account name, a
//!   client address); past the limit the caller gets 429 with `Retry-After` until the
//!   oldest failure leaves the window. Its memory is bounded: at most `max` instants per
//!   key and at most [`MAX_KEYS`] keys.

use crate::account::{hash_password, verify_password_in};
use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Mutex, OnceLock,
    },
    time::{Duration, Instant},
};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Most keys a [`Throttle`] tracks; past that the stalest key is forgotten.
pub const MAX_KEYS: usize = 10_000;

/// A job for a hashing thread: it gets the thread's Argon2 buffer.
type Job = Box<dyn FnOnce(&mut Vec<argon2::Block>) + Send>;

/// A fixed set of threads running hashing jobs.
#[derive(Debug)]
struct Threads {
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
    /// The threads that ran a job so far.
    used: std::sync::Arc<Mutex<std::collections::HashSet<std::thread::ThreadId>>>,
}

impl Threads {
    /// `n` threads; they end when the set is dropped.
    fn new(n: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        let used = std::sync::Arc::new(Mutex::new(std::collections::HashSet::new()));
        for i in 0..n {
            let rx = rx.clone();
            let seen = used.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("gridwork-argon2-{i}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        // Each hashing thread keeps one Argon2 buffer for all its hashes.
                        let job = match rx.lock() {
                            Ok(jobs) => match jobs.recv() {
                                Ok(job) => job,
                                Err(_) => return,
                            },
                            Err(_) => return,
                        };
                        if let Ok(mut seen) = seen.lock() {
                            seen.insert(std::thread::current().id());
                        }
                        job(&mut memory);
                    }
                });
            if let Err(e) = spawned {
                // Fewer threads only means slower sign-ins; none at all is answered
                // as an error by `run`.
                tracing::error!("cannot start a hashing thread: {e}");
            }
        }
        Threads {
            jobs: Mutex::new(tx),
            used,
        }
    }

    /// Runs `f` on one of the threads.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<argon2::Block>) -> T + Send + 'static,
    ) -> Result<T, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .lock()
            .map_err(|_| "the hashing threads' queue was poisoned".to_string())?
            .send(Box::new(move |memory: &mut Vec<argon2::Block>| {
                let _ = tx.send(f(memory));
            }))
            .map_err(|_| "no hashing thread is running".to_string())?;
        rx.await
            .map_err(|_| "a hashing thread ended without an answer".to_string())
    }
}

/// Runs Argon2 verifications, a bounded number at once, on threads of its own.
#[derive(Debug)]
pub struct Hasher {
    threads: Threads,
    permits: Semaphore,
    limit: usize,
    in_flight: AtomicUsize,
    high_water: AtomicUsize,
    verifications: AtomicU64,
}

/// The dummy hash unknown users are verified against: made once, with the same
/// parameters (and so the same cost) as every stored password hash.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        // Only fails without randomness; a malformed dummy still costs a parse, and
        // `verify_password` never matches it.
        hash_password("gridwork: no such account").unwrap_or_default()
    })
}

impl Hasher {
    /// A hasher running at most `permits` (at least 1) Argon2 computations at once.
    pub fn new(permits: usize) -> Self {
        let limit = permits.max(1);
        Hasher {
            threads: Threads::new(limit),
            permits: Semaphore::new(limit),
            limit,
            in_flight: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            verifications: AtomicU64::new(0),
        }
    }

    /// Whether `password` matches `hash`; with no hash (unknown user, account without a
    /// password) a dummy hash of the same cost is verified and the answer is `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, String> {
        self.verify_if(password, hash, || true)
            .await
            .map(|ok| ok.is_some_and(|(ok, _permit)| ok))
    }

    /// [`Hasher::verify`], but once a permit is held `go` is asked whether to hash at
    /// all: `None` when it says no. The permit comes back with the answer, so the caller
    /// can record a failure before another request takes it. Sign-in checks its rate
    /// limits there: with `P` permits and a limit of `N`, at most `N + P - 1` failures
    /// of one key are ever hashed, however many requests arrive at once.
    pub async fn verify_if(
        &self,
        password: String,
        hash: Option<String>,
        go: impl FnOnce() -> bool,
    ) -> Result<Option<(bool, SemaphorePermit<'_>)>, String> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| format!("hash permits closed: {e}"))?;
        if !go() {
            return Ok(None);
        }
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.high_water.fetch_max(now, Ordering::SeqCst);
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let result = self
            .threads
            .run(move |memory| match hash {
                Some(hash) => verify_password_in(&password, &hash, memory),
                None => {
                    verify_password_in(&password, dummy_hash(), memory);
                    false
                }
            })
            .await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result.map(|ok| Some((ok, permit)))
    }

    /// The permit count.
    pub fn permits(&self) -> usize {
        self.limit
    }

    /// The most verifications that ever ran at once.
    pub fn high_water(&self) -> usize {
        self.high_water.load(Ordering::SeqCst)
    }

    /// How many distinct threads ever hashed (at most the permit count: each keeps one
    /// Argon2 buffer, so this bounds the memory hashing holds).
    pub fn threads_used(&self) -> usize {
        self.threads.used.lock().map(|u| u.len()).unwrap_or(0)
    }

    /// How many verifications ran (real and dummy).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::SeqCst)
    }
}

/// Failed attempts per key in a sliding window.
#[derive(Debug)]
pub struct Throttle {
    max: usize,
    window: Duration,
    keys: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    /// At most `max` failures per key within `window`; `max == 0` disables the limit.
    pub fn new(max: usize, window: Duration) -> Self {
        Throttle {
            max,
            window,
            keys: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // A panic while holding this lock leaves a consistent map.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn prune(&self, list: &mut VecDeque<Instant>, now: Instant) {
        while list
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            list.pop_front();
        }
    }

    /// `Some(wait)` when `key` has used up its failures at `now`: how long until the
    /// oldest one leaves the window.
    pub fn blocked(&self, key: &str, now: Instant) -> Option<Duration> {
        if self.max == 0 {
            return None;
        }
        let mut keys = self.lock();
        let list = keys.get_mut(key)?;
        self.prune(list, now);
        if list.len() < self.max {
            return None;
        }
        let oldest = *list.front()?;
        Some((oldest + self.window).saturating_duration_since(now))
    }

    /// Records a failure of `key` at `now`.
    pub fn fail(&self, key: &str, now: Instant) {
        if self.max == 0 {
            return;
        }
        let mut keys = self.lock();
        if !keys.contains_key(key) && keys.len() >= MAX_KEYS {
            keys.retain(|_, list| {
                list.back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < self.window)
            });
            if keys.len() >= MAX_KEYS {
                let stalest = keys
                    .iter()
                    .min_by_key(|(_, list)| list.back().copied())
                    .map(|(k, _)| k.clone());
                if let Some(k) = stalest {
                    keys.remove(&k);
                }
            }
        }
        let list = keys.entry(key.to_string()).or_default();
        self.prune(list, now);
        list.push_back(now);
        while list.len() > self.max {
            list.pop_front();
        }
    }

    /// Forgets the failures of `key` (after it signed in).
    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }

    /// How many keys are tracked.
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

/// Sign-in limits (see [`crate::Limits`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLimits {
    /// Failed sign-ins allowed per account name within `window` (0 = no limit).
    pub per_account: usize,
    /// Failed sign-ins allowed per client address within `window` (0 = no limit).
    pub per_address: usize,
    /// The sliding window.
    pub window: Duration,
    /// Argon2 computations allowed at once.
    pub hash_permits: usize,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(300),
            hash_permits: 2,
        }
    }
}

/// The state of sign-in protection a server shares across requests.
#[derive(Debug)]
pub struct SignInGuard {
    /// The Argon2 runner.
    pub hasher: Hasher,
    /// Failures per account name.
    pub accounts: Throttle,
    /// Failures per client address.
    pub addresses: Throttle,
}

impl SignInGuard {
    /// A guard enforcing `limits`.
    pub fn new(limits: &SignInLimits) -> Self {
        SignInGuard {
            hasher: Hasher::new(limits.hash_permits),
            accounts: Throttle::new(limits.per_account, limits.window),
            addresses: Throttle::new(limits.per_address, limits.window),
        }
    }
}

/// The throttle key of a client address: IPv4 as is, IPv6 by its /64 (one subscriber
/// usually holds a whole /64), `unknown` when the server does not know the peer.
pub fn address_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".into(),
    }
}

/// The throttle key of an account name as typed (at most 64 characters are kept, so a
/// huge name cannot inflate the map).
pub fn account_key(user: &str) -> String {
    user.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashing_stays_on_as_many_threads_as_permits() {
        let hasher = std::sync::Arc::new(Hasher::new(2));
        let hash = hash_password("pw").unwrap_or_default();
        let runs: Vec<_> = (0..12)
            .map(|i| {
                let (h, hash) = (hasher.clone(), hash.clone());
                tokio::spawn(async move {
                    let known = (i % 2 == 0).then_some(hash);
                    h.verify(if i == 0 { "pw".into() } else { "x".into() }, known)
                        .await
                })
            })
            .collect();
        let mut matched = 0;
        for r in runs {
            matched += usize::from(r.await.unwrap_or(Ok(false)).unwrap_or(false));
        }
        assert_eq!(matched, 1);
        assert_eq!(hasher.verifications(), 12);
        assert!(
            (1..=2).contains(&hasher.threads_used()),
            "{}",
            hasher.threads_used()
        );
        assert!(hasher.high_water() <= 2);
    }

    #[test]
    fn a_key_is_blocked_after_max_failures_until_the_oldest_leaves_the_window() {
        let t = Throttle::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(t.blocked("li", t0 + Duration::from_secs(i)), None);
            t.fail("li", t0 + Duration::from_secs(i));
        }
        assert_eq!(
            t.blocked("li", t0 + Duration::from_secs(10)),
            Some(Duration::from_secs(50))
        );
        assert_eq!(t.blocked("zhao", t0 + Duration::from_secs(10)), None);
        // The first failure leaves the window at t0 + 60 s: one more try is allowed.
        assert_eq!(t.blocked("li", t0 + Duration::from_secs(60)), None);
        t.clear("li");
        assert_eq!(t.tracked(), 0);
    }

    #[test]
    fn the_map_of_keys_stays_bounded() {
        let t = Throttle::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..(MAX_KEYS + 50) {
            t.fail(&format!("10.0.{}.{}", i / 256, i % 256), t0);
        }
        assert!(t.tracked() <= MAX_KEYS, "{}", t.tracked());
        // Keys whose failures are all outside the window are dropped first.
        t.fail("fresh", t0 + Duration::from_secs(120));
        assert_eq!(t.tracked(), 1);
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        let b: IpAddr = "2001:db8:1:2:bbbb::9"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(address_key(Some(a)), address_key(Some(b)));
        let v4: IpAddr = "::ffff:10.1.2.3".parse().unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(address_key(Some(v4)), "10.1.2.3");
        assert_eq!(address_key(None), "unknown");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn unknown_users_cost_one_verification_and_never_match() {
        let h = Hasher::new(2);
        assert!(!h.verify("x".into(), None).await.unwrap_or(true));
        assert_eq!(h.verifications(), 1);
        let real = hash_password("pw").unwrap_or_default();
        assert!(h.verify("pw".into(), Some(real)).await.unwrap_or(false));
        assert_eq!(h.verifications(), 2);
        // The dummy has the cost parameters of a real hash.
        let params = |s: &str| s.rsplitn(3, '$').nth(2).map(str::to_string);
        assert_eq!(
            params(dummy_hash()),
            params(&hash_password("other").unwrap_or_default())
        );
    }
}
