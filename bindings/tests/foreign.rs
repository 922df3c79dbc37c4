//! Runs the generated bindings for real from `cargo test`: builds the cdylib, generates
//! Kotlin, Swift and Python with the workspace's uniffi-bindgen, and runs the same
//! end-to-end scenario in each language through `.ci/run-binding-tests.sh`.
//!
//! Python always runs. Kotlin and Swift run when their toolchains are installed (the env
//! files `.ci/setup-kotlin.sh` and `.ci/setup-swift.sh` write under `$GRIDWORK_CI_CACHE`,
//! default `/var/cache/gridwork-ci`); otherwise they are skipped with a message, unless
//! `GRIDWORK_REQUIRE_ALL_BINDINGS=1` (set by `.ci/run`), which makes a missing toolchain
//! fail the test.
//!
//! The scenarios sync for real: this test builds the `gridwork` binary, sets up a server
//! database with `gridwork admin` (a worker and a supervisor with passwords and issued
//! tokens, the sample catalogue and grid) and runs `gridwork serve` on a free loopback
//! port for the whole run. The foreign tests read the address and credentials from
//! `GRIDWORK_SERVER_URL`, `GRIDWORK_WORKER_{USER,PASSWORD}`, `GRIDWORK_SUPERVISOR_{USER,PASSWORD}`
//! and `GRIDWORK_{WORKER,SUPERVISOR}_TOKEN_{PYTHON,KOTLIN,SWIFT}` (a token speaks for one
//! device); each language uses devices of its own.
#![allow(clippy::unwrap_used)]

mod support;
use support::{build_libraries, cargo, repo_root, run, target_profile_dir};

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

/// Writes straight to stderr so the lines show even when the test harness captures output.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "[foreign-bindings] {line}");
}

fn cache_dir() -> PathBuf {
    std::env::var_os("GRIDWORK_CI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/gridwork-ci"))
}

/// Reads `NAME=value` lines of a setup script's env file.
fn env_file(path: &Path) -> Option<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Why Kotlin cannot run here, or `None` when it can.
fn kotlin_missing() -> Option<String> {
    let file = cache_dir().join("kotlin.env");
    let Some(vars) = env_file(&file) else {
        return Some(format!(
            "{} not found (run .ci/setup-kotlin.sh)",
            file.display()
        ));
    };
    for (k, v) in &vars {
        // The coroutines jar too: the kit's Flows (PhoneApi.kt) need it.
        if k.ends_with("_JAR") && !Path::new(v).is_file() {
            return Some(format!("{k}={v} does not exist (run .ci/setup-kotlin.sh)"));
        }
    }
    if Command::new("java").arg("-version").output().is_err() {
        return Some("no `java` on PATH".into());
    }
    None
}

/// Why Swift cannot run here, or `None` when it can.
fn swift_missing() -> Option<String> {
    let file = cache_dir().join("swift.env");
    let Some(vars) = env_file(&file) else {
        return Some(format!(
            "{} not found (run .ci/setup-swift.sh)",
            file.display()
        ));
    };
    let Some(root) = vars
        .iter()
        .find(|(k, _)| k == "GRIDWORK_SWIFT_CHROOT")
        .map(|(_, v)| PathBuf::from(v))
    else {
        return Some(format!("{} has no GRIDWORK_SWIFT_CHROOT", file.display()));
    };
    if !root.join("usr/bin/swiftc").is_file() {
        return Some(format!(
            "no swiftc in {} (run .ci/setup-swift.sh)",
            root.display()
        ));
    }
    let uid = Command::new("id").arg("-u").output().map(|o| o.stdout);
    if uid.is_ok_and(|u| String::from_utf8_lossy(&u).trim() != "0") {
        return Some("the Swift chroot needs root".into());
    }
    None
}

/// The reference server on loopback, killed when dropped.
struct Server {
    child: Child,
    url: String,
    env: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sets up a server database with `gridwork admin` and starts `gridwork serve` on it.
fn start_server(gridwork: &Path, data: &Path) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    // A password reaches `gridwork admin` through GRIDWORK_PASSWORD, never argv.
    let admin_with = |args: &[&str], password: Option<&str>| -> String {
        let mut command = Command::new(gridwork);
        command
            .arg("admin")
            .arg("--db")
            .arg(&db)
            .arg("--create")
            .args(args)
            .env_remove("GRIDWORK_PASSWORD");
        if let Some(p) = password {
            command.env("GRIDWORK_PASSWORD", p);
        }
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "gridwork admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let admin = |args: &[&str]| admin_with(args, None);
    let mut env = Vec::new();
    for (var, user, role, scope) in [
        ("WORKER", "li", "worker", "320508002"),
        ("SUPERVISOR", "wang", "supervisor", "320508"),
    ] {
        let password = format!("pw-{user}-{}", std::process::id());
        admin_with(
            &["add-user", user, "--role", role, "--scope", scope],
            Some(&password),
        );
        env.push(format!("GRIDWORK_{var}_USER={user}"));
        env.push(format!("GRIDWORK_{var}_PASSWORD={password}"));
        // A token speaks for one device (the first it pushes for): one per language.
        for lang in ["PYTHON", "KOTLIN", "SWIFT"] {
            let token = admin(&["issue-token", user]);
            env.push(format!("GRIDWORK_{var}_TOKEN_{lang}={token}"));
        }
    }
    let catalog = data.join("kcity-catalog.json");
    let grid = data.join("kcity-grid.geojson");
    admin(&["import-catalog", catalog.to_str().unwrap()]);
    admin(&["import-grid", grid.to_str().unwrap()]);
    let mut child = Command::new(gridwork)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let Some(addr) = line
        .trim()
        .rsplit_once("http://")
        .map(|(_, a)| a.to_string())
    else {
        let _ = child.kill();
        panic!("gridwork serve did not say where it listens: {line:?}");
    };
    let url = format!("http://{addr}");
    env.push(format!("GRIDWORK_SERVER_URL={url}"));
    Server {
        child,
        url,
        env,
        _dir: dir,
    }
}

#[test]
fn the_same_scenario_passes_in_python_kotlin_and_swift() {
    let root = repo_root();
    let profile_dir = target_profile_dir();
    let target_dir = profile_dir.parent().unwrap();
    let cargo = cargo();
    // The generator sits behind the `cli` feature (not built by `cargo test`). Built first:
    // it rebuilds the library with that feature, and the library built last is the one
    // left at target/<profile>/libgridwork_ffi.so.
    run(Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "-q", "-p", "gridwork-ffi", "--features", "cli"])
        .args(["--bin", "uniffi-bindgen"])
        .env("CARGO_TARGET_DIR", target_dir));
    let bindgen = target_dir.join("debug/uniffi-bindgen");
    build_libraries();
    let cdylib = profile_dir.join("libgridwork_ffi.so");
    assert!(cdylib.is_file(), "no cdylib at {}", cdylib.display());
    // The reference server, as an operator runs it.
    run(Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "-q", "-p", "gridwork-cli", "--bin", "gridwork"])
        .env("CARGO_TARGET_DIR", target_dir));
    let server = start_server(&target_dir.join("debug/gridwork"), &root.join("data"));
    say(&format!("reference server at {}", server.url));

    let out = tempfile::tempdir().unwrap();
    for lang in ["python", "kotlin", "swift"] {
        run(Command::new(&bindgen)
            .current_dir(&root)
            .args(["generate", "--no-format", "--library"])
            .arg(&cdylib)
            .args(["--language", lang, "--out-dir"])
            .arg(out.path().join(lang)));
    }

    let require_all = std::env::var("GRIDWORK_REQUIRE_ALL_BINDINGS").is_ok_and(|v| v == "1");
    let mut harness = Command::new("bash");
    harness
        .current_dir(&root)
        .arg(root.join(".ci/run-binding-tests.sh"))
        .arg("--cdylib")
        .arg(&cdylib)
        .arg("--bindings")
        .arg(out.path())
        .arg("--env")
        .arg(format!("GRIDWORK_DATA_DIR={}", root.join("data").display()));
    for e in &server.env {
        harness.arg("--env").arg(e);
    }
    harness.args(["--python", "bindings/tests/python"]);
    let mut ran = vec!["python"];
    let mut skipped = Vec::new();
    match kotlin_missing() {
        None => {
            harness.args([
                "--kotlin",
                "bindings/tests/kotlin",
                "--kotlin-src",
                "android-shell/gridwork/src/main/kotlin/org/gridwork/kit",
            ]);
            ran.push("kotlin");
        }
        Some(why) => skipped.push(format!("kotlin: {why}")),
    }
    match swift_missing() {
        None => {
            harness.args([
                "--swift",
                "bindings/tests/swift",
                "--swift-src",
                "ios-shell/Sources/GridworkKit",
            ]);
            ran.push("swift");
        }
        Some(why) => skipped.push(format!("swift: {why}")),
    }
    for s in &skipped {
        say(&format!("SKIPPED {s}"));
    }
    assert!(
        !require_all || skipped.is_empty(),
        "GRIDWORK_REQUIRE_ALL_BINDINGS=1 but a toolchain is missing: {skipped:?}"
    );

    let result = harness.output().unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "binding tests failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" passed, ") || l.starts_with("=== ") && l.ends_with(" s)"))
        .collect();
    say(&format!("ran {}: {}", ran.join(", "), summary.join(" | ")));
    // One count per test program (Kotlin runs three: the scenario, the kit's tests and the
    // kit's screen state holders, ScreensTest.kt).
    let programs = stdout
        .lines()
        .find_map(|l| l.strip_prefix("bindings: "))
        .and_then(|l| l.strip_suffix(" passed, 0 failed"))
        .and_then(|n| n.parse::<usize>().ok());
    let expected = ran.len() + 2 * usize::from(ran.contains(&"kotlin"));
    assert_eq!(programs, Some(expected), "test programs passed");
}
