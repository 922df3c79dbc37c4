//! The static library (what ios-shell/build-xcframework.sh wraps) carries SQLCipher and
//! its crypto provider inside it: a C program linked against `libgridwork_ffi.a` and the
//! system's C libraries only writes an encrypted database and reads it back with its key.
//! (SQLCipher is compiled by gridwork-sqlcipher; a build that left it to `-lsqlcipher`
//! alone would produce a static library an app cannot link.)
#![allow(clippy::unwrap_used, missing_docs)]

use std::{path::Path, process::Command};

mod support;
use support::{build_libraries, run, target_profile_dir};

#[test]
fn a_c_program_linked_against_the_static_library_alone_uses_its_sqlcipher() {
    build_libraries();
    let staticlib = target_profile_dir().join("libgridwork_ffi.a");
    assert!(
        staticlib.is_file(),
        "no staticlib at {}",
        staticlib.display()
    );

    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("staticlib");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/staticlib.c");
    run(Command::new(cc)
        .arg("-o")
        .arg(&exe)
        .arg(source)
        .arg(&staticlib)
        .args(["-lpthread", "-ldl", "-lm"]));

    let db = dir.path().join("secret.db");
    let program = |key: &str, mode: &str| {
        let mut cmd = Command::new(&exe);
        cmd.arg(&db).args([key, mode]);
        cmd
    };
    let provider = run(&mut program("a key", "write"));
    assert_eq!(provider, "rustcrypto");
    let bytes = std::fs::read(&db).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"), "a plain header");
    assert!(
        !bytes.windows(11).any(|w| w == b"kept secret"),
        "plain text on disk"
    );
    assert_eq!(run(&mut program("a key", "read")), "1");
    let wrong = program("another key", "read").output().unwrap();
    assert!(!wrong.status.success(), "read with a wrong key");
}
