//! Sign-in hashing holds a bounded amount of memory: each Argon2 verification needs
//! ≈19 MiB, and before the hashing threads kept one buffer each, every verification
//! left its 19 MiB resident (21 refused sign-ins: 397 MiB). A process of its own, so
//! that no other test's allocations blur the figure.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_server::{account::hash_password, signin::Hasher};

fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_sign_ins_keep_at_most_one_argon2_buffer_per_permit() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("SKIPPED: no /proc on this system");
        return;
    }
    let hasher = std::sync::Arc::new(Hasher::new(2));
    let hash = hash_password("pw").unwrap();
    // Warm up: both threads have their buffer.
    for _ in 0..4 {
        hasher.verify("x".into(), Some(hash.clone())).await.unwrap();
    }
    let before = rss_mib();
    let runs: Vec<_> = (0..24)
        .map(|i| {
            let (h, hash) = (hasher.clone(), hash.clone());
            tokio::spawn(async move {
                let known = (i % 2 == 0).then_some(hash);
                h.verify("wrong".into(), known).await.unwrap()
            })
        })
        .collect();
    for r in runs {
        assert!(!r.await.unwrap());
    }
    let grown = rss_mib().saturating_sub(before);
    assert_eq!(hasher.verifications(), 28);
    // 24 more verifications of 19 MiB each: a fresh buffer per hash would add ~450 MiB.
    assert!(
        grown < 40,
        "resident memory grew by {grown} MiB over 24 verifications"
    );
}
