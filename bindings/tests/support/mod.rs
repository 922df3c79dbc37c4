//! What the binding tests share: where the workspace and this test's target folder are,
//! running a command that must succeed, and building this package's libraries.
#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The target directory this test was built into (`.../target/<profile>/deps/<test>-*`
/// → `.../target/<profile>`).
pub fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// Cargo, as the one running this test.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `cmd`, failing the test with its output unless it succeeds; returns its stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Builds gridwork-ffi's libraries (cdylib and staticlib) with default features into the
/// target folder and profile this test runs from (`cargo test` does not reliably build a
/// package's own cdylib for its tests; a no-op when fresh).
pub fn build_libraries() {
    let profile_dir = target_profile_dir();
    let mut build = Command::new(cargo());
    build
        .current_dir(repo_root())
        .args(["build", "-q", "-p", "gridwork-ffi", "--lib"])
        .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap());
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    run(&mut build);
}
