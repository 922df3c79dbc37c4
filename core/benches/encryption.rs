//! What encryption at rest costs (core feature `encryption`: SQLCipher 4 with
//! gridwork-sqlcipher's RustCrypto provider), each beside the same work on a plain store
//! in the same run:
//! - opening a store: SQLCipher derives the page key from the passphrase with
//!   PBKDF2-HMAC-SHA512 (256,000 iterations) on each of the store's two connections;
//!   a raw 256-bit key (`x'…'`) skips the derivation;
//! - reporting an incident durably (every written page encrypted and MACed);
//! - a 50-row page, newest first, of 20,000 incidents (warm page cache);
//! - applying 1,000 pulled events in one transaction (what a sync page writes);
//! - the CPU time of a patrol day: 28,800 fixes in 10-second batches (the write path
//!   that runs all day long).
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gridwork_core::{db::ListFilter, Store};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

mod common;
use common::{append_day, cpu_time, draft, remote_reports, set_up};

const PASSPHRASE: &str = "correct horse battery staple";
const RAW_KEY: &str = "x'2DD29CA851E7B56E4697B0E1F08507293D761A05CE4D1B628663F411A8086D99'";

fn open(dir: &Path, key: Option<&str>) -> Store {
    Store::open_with(dir, key, Arc::new(|| 1_795_395_600_000)).unwrap()
}

/// The three ways to open a store: plain, passphrase and raw key.
fn kinds() -> [(&'static str, Option<&'static str>); 3] {
    [
        ("plain", None),
        ("passphrase", Some(PASSPHRASE)),
        ("raw_key", Some(RAW_KEY)),
    ]
}

/// A plain store and an encrypted one, for the costs after opening (the same whatever
/// the key's form).
fn stores() -> [(&'static str, Option<&'static str>); 2] {
    [("plain", None), ("encrypted", Some(RAW_KEY))]
}

fn bench_open(c: &mut Criterion) {
    let mut group = c.benchmark_group("open_store");
    group.sample_size(10);
    let dir = tempfile::tempdir().unwrap();
    for (name, key) in kinds() {
        let path = dir.path().join(name);
        drop(set_up(open(&path, key)));
        group.bench_function(name, |b| b.iter(|| black_box(open(&path, key))));
    }
    group.finish();
}

fn bench_report(c: &mut Criterion) {
    let mut group = c.benchmark_group("report_durable");
    let dir = tempfile::tempdir().unwrap();
    for (name, key) in stores() {
        let store = set_up(open(&dir.path().join(name), key));
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                black_box(store.report(&draft(i)).unwrap())
            })
        });
    }
    group.finish();
}

fn bench_page(c: &mut Criterion) {
    let mut group = c.benchmark_group("page_50_of_20k");
    let dir = tempfile::tempdir().unwrap();
    let events = remote_reports(20_000);
    for (name, key) in stores() {
        let store = set_up(open(&dir.path().join(name), key));
        for chunk in events.chunks(5_000) {
            store.apply_remote(chunk).unwrap();
        }
        group.bench_function(name, |b| {
            b.iter(|| black_box(store.list(&ListFilter::default(), None, 50).unwrap()))
        });
    }
    group.finish();
}

fn bench_apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("apply_1000_pulled_events");
    group.sample_size(10);
    let dir = tempfile::tempdir().unwrap();
    let events = remote_reports(1_000);
    for (name, key) in stores() {
        let mut n = 0;
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    n += 1;
                    set_up(open(&dir.path().join(format!("{name}-{n}")), key))
                },
                |store| black_box(store.apply_remote(&events).unwrap()),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn bench_patrol_day(c: &mut Criterion) {
    let mut group = c.benchmark_group("patrol_day_cpu");
    group.sample_size(10);
    for (name, key) in stores() {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iters {
                    let dir = tempfile::tempdir().unwrap();
                    let store = set_up(open(&dir.path().join("store"), key));
                    let before = cpu_time();
                    drop(black_box(append_day(store)));
                    total += cpu_time() - before;
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = bench_open, bench_report, bench_page, bench_apply, bench_patrol_day
}
criterion_main!(benches);
