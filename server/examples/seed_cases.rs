//! Seeds a server database with many cases over the sample city, for the console map
//! figure (docs/benchmarks.md, console/test/map-figure.sh):
//!
//! `cargo run -p gridwork-server --example seed_cases -- --db FILE|URL --blobs DIR [--cases N] [--seed S]`
//!
//! Prints the supervisor's name and password. The database must be new (or empty).
#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]

#[path = "../benches/seed/mod.rs"]
mod seed;

use std::path::PathBuf;

fn main() {
    let mut db = None;
    let mut blobs = None;
    let mut cases = 100_000usize;
    let mut seed_n = 9u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().expect("a value after each flag");
        match a.as_str() {
            "--db" => db = Some(value()),
            "--blobs" => blobs = Some(PathBuf::from(value())),
            "--cases" => cases = value().parse().expect("--cases N"),
            "--seed" => seed_n = value().parse().expect("--seed S"),
            other => panic!("unknown argument {other:?}"),
        }
    }
    let db = db.expect("--db FILE|URL");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = gridwork_server::storage::open_storage(&db).await.unwrap();
        let t = std::time::Instant::now();
        let seeded = seed::seed(s.as_ref(), cases, seed_n, blobs.as_deref()).await;
        println!(
            "seeded {cases} cases in {:.1} s; sign in as {} / {}",
            t.elapsed().as_secs_f64(),
            seeded.user,
            seeded.password
        );
    });
}
