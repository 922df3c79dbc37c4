//! The static library (what ios-shell/build-xcframework.sh wraps) carries SQLCipher and
//! its crypto provider inside it: a C program linked against `libgridwork_ffi.a` and the
//! system's C libraries only writes an encrypted database and reads it back with its key.
//! (SQLCipher is compiled by gridwork-sqlcipher; a build that left it to `-lsqlcipher`
//! alone would produce a static library an app cannot link.)
#![allow(clippy::unwrap_used, missing_docs)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The target directory this test was built into (`.../target/debug/deps/staticlib-*`).
fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_c_program_linked_against_the_static_library_alone_uses_its_sqlcipher() {
    let profile_dir = target_profile_dir();
    let target_dir = profile_dir.parent().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(&cargo);
    build
        .current_dir(repo_root())
        .args(["build", "-q", "-p", "gridwork-ffi", "--lib"])
        .env("CARGO_TARGET_DIR", target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    ok(build.output().unwrap(), "cargo build --lib");
    let staticlib = profile_dir.join("libgridwork_ffi.a");
    assert!(
        staticlib.is_file(),
        "no staticlib at {}",
        staticlib.display()
    );

    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("staticlib");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/staticlib.c");
    let out = Command::new(cc)
        .arg("-o")
        .arg(&program)
        .arg(source)
        .arg(&staticlib)
        .args(["-lpthread", "-ldl", "-lm"])
        .output()
        .unwrap();
    ok(out, "linking the C program against libgridwork_ffi.a");

    let db = dir.path().join("secret.db");
    let run = |key: &str, mode: &str| Command::new(&program).arg(&db).args([key, mode]).output();
    let provider = ok(run("a key", "write").unwrap(), "write");
    assert_eq!(provider, "rustcrypto");
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"), "a plain header");
    assert!(
        !bytes.windows(11).any(|w| w == b"kept secret"),
        "plain text on disk"
    );
    assert_eq!(ok(run("a key", "read").unwrap(), "read"), "1");
    let wrong = run("another key", "read").unwrap();
    assert!(!wrong.status.success(), "read with a wrong key");
}
