//! `gridwork-bench`: issue 12's comparison harness (docs/benchmarks.md, *Side by side*).
//!
//! Runs every comparison one after the other, each case in a child process of this
//! binary (so each has its own peak memory), on the same generated data (src/data.rs),
//! and prints one Markdown table with the ratios, then every case's raw figures as JSON.
//!
//! ```text
//! cargo run --profile bench-fast -p gridwork-bench                 # everything
//! cargo run --profile bench-fast -p gridwork-bench -- --quick      # small N, seconds
//! cargo run --profile bench-fast -p gridwork-bench -- --only sync,automerge,yrs
//! cargo run --profile bench-fast -p gridwork-bench -- --only wire,load
//! cargo run --profile bench-fast -p gridwork-bench --features encryption   # + encrypted patrol CPU
//! ```
//!
//! `GRIDWORK_LOAD_DEVICES` and `GRIDWORK_LOAD_SECONDS` set the `load` case's size in a
//! run (default 500 devices, 20 s); `GRIDWORK_TEST_PG` adds its PostgreSQL rows. A case
//! whose checks fail sets `error` in its JSON and exits non-zero, and so does the run.
//!
//! Internal: `gridwork-bench case NAME [N...]` runs one case and prints its JSON;
//! `gridwork-bench serve DIR` is the server child of the sync cases; `gridwork-bench
//! table < results.json` prints the table of saved results.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod apply_limit;
mod data;
mod device;
mod load;
mod patrol;
mod peers;
mod procs;
mod rows;
mod serve;
mod sync;
mod table;
mod wire;

use serde_json::Value;
use std::process::Command;

/// The cases in the order they run, with their sizes at full and quick scale.
const CASES: &[(&str, &[usize], &[usize])] = &[
    ("store", &[200, 100_000, 35], &[10, 300, 1]),
    ("patrol-cpu", &[2], &[1]),
    ("sync", &[10_000, 100], &[100, 10]),
    ("automerge", &[10_000, 100], &[100, 10]),
    ("yrs", &[10_000, 100], &[100, 10]),
    ("pull", &[100_000], &[300]),
    ("push", &[10_000], &[100]),
    ("day", &[50, 20], &[2, 3]),
    // Pull pages of 1,000 and 100, a push of 500, an 8-hour patrol, 20 timed rounds.
    ("wire", &[1_000, 100, 500, 8, 20], &[200, 20, 50, 8, 3]),
    // Devices, seconds of pushing (GRIDWORK_LOAD_DEVICES / _SECONDS override them).
    ("load", &[load::DEVICES, load::SECONDS], &[50, 3]),
];

fn run_case(name: &str, args: &[usize]) -> Value {
    let a = |i: usize| args.get(i).copied().unwrap_or(0);
    match name {
        "store" => device::store(a(0), a(1), a(2)),
        "patrol-cpu" => device::patrol_cpu(a(0).max(1)),
        "sync" => sync::initial_and_incremental(a(0), a(1)),
        "automerge" => peers::automerge(a(0), a(1)),
        "yrs" => peers::yrs(a(0), a(1)),
        "pull" => sync::initial_and_incremental(a(0), 0),
        "push" => sync::push(a(0)),
        "day" => sync::supervisor_day(a(0), a(1)),
        "wire" => wire::wire(a(0).max(1), a(1), a(2), a(3), a(4)),
        "load" => load::load(a(0), a(1)),
        other => serde_json::json!({ "error": format!("unknown case {other}") }),
    }
}

/// Whether a case's result says it failed.
fn failed(result: &Value) -> bool {
    !result["error"].is_null()
}

fn child(name: &str, args: &[usize]) -> Value {
    let exe = std::env::current_exe().expect("own path");
    let started = std::time::Instant::now();
    let out = Command::new(exe)
        .arg("case")
        .arg(name)
        .args(args.iter().map(|n| n.to_string()))
        .output()
        .expect("case child");
    eprintln!(
        "case {name} {args:?}: {:.1} s, exit {}",
        started.elapsed().as_secs_f64(),
        out.status
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let result = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            serde_json::json!({ "error": format!("no result ({})", out.status),
                                "stderr": String::from_utf8_lossy(&out.stderr) })
        });
    let result = if out.status.success() || failed(&result) {
        result
    } else {
        serde_json::json!({ "error": format!("the case exited with {}", out.status),
                            "result": result })
    };
    // Each result as soon as it is known, so a long run that is stopped keeps them.
    eprintln!("{}", serde_json::json!({ name: &result }));
    result
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            serve::serve(std::path::Path::new(&args[1]));
            return;
        }
        Some("case") => {
            let sizes: Vec<usize> = args[2..].iter().filter_map(|a| a.parse().ok()).collect();
            let result = run_case(&args[1], &sizes);
            println!("{result}");
            if failed(&result) {
                eprintln!("case {} failed: {}", args[1], result["error"]);
                std::process::exit(1);
            }
            return;
        }
        Some("table") => {
            // The table of results saved by earlier runs (one JSON object by case name).
            let results: Value = serde_json::from_reader(std::io::stdin()).unwrap_or_default();
            println!("{}", table::markdown(&results));
            return;
        }
        _ => {}
    }
    let quick = args.iter().any(|a| a == "--quick");
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').map(str::to_string).collect());
    let mut results = serde_json::Map::new();
    for (name, full, small) in CASES {
        if only.as_ref().is_some_and(|o| !o.iter().any(|x| x == name)) {
            continue;
        }
        let mut sizes = if quick { small } else { full }.to_vec();
        if *name == "load" {
            for (i, var) in ["GRIDWORK_LOAD_DEVICES", "GRIDWORK_LOAD_SECONDS"]
                .iter()
                .enumerate()
            {
                if let Some(n) = std::env::var(var).ok().and_then(|v| v.parse().ok()) {
                    sizes[i] = n;
                }
            }
        }
        results.insert(name.to_string(), child(name, &sizes));
    }
    let failures: Vec<String> = results
        .iter()
        .filter(|(_, r)| failed(r))
        .map(|(name, _)| name.clone())
        .collect();
    let results = Value::Object(results);
    println!("{}", table::markdown(&results));
    println!(
        "\n```json\n{}\n```",
        serde_json::to_string_pretty(&results).unwrap_or_default()
    );
    if !failures.is_empty() {
        eprintln!("FAILED cases: {failures:?} (their `error` in the JSON above)");
        std::process::exit(1);
    }
}
