//! Compiles SQLCipher, its crypto provider left to this crate's Rust code
//! (`SQLCIPHER_CRYPTO_CUSTOM`), into `libsqlcipher.a`. The archive is linked two ways:
//! - bundled into this crate's rlib (`static=sqlcipher`), so a `staticlib` (the iOS
//!   xcframework) carries SQLCipher inside it;
//! - found by name: `libsqlite3-sys` (feature `sqlcipher`) asks the linker for
//!   `-lsqlcipher`, which this archive's folder on the search path answers. The
//!   amalgamation is one object file, so however a linker meets the two copies, it takes
//!   one.

use std::env;

/// The SQLite options libsqlite3-sys's own bundled build uses, so an encrypted build
/// behaves like a plain one (FTS5, JSON, R*Tree, STAT4, URIs, foreign keys on), minus
/// extension loading, which the store never uses.
const SQLITE_OPTIONS: &[&str] = &[
    "SQLITE_CORE",
    "SQLITE_DEFAULT_FOREIGN_KEYS=1",
    "SQLITE_ENABLE_API_ARMOR",
    "SQLITE_ENABLE_COLUMN_METADATA",
    "SQLITE_ENABLE_DBSTAT_VTAB",
    "SQLITE_ENABLE_FTS3",
    "SQLITE_ENABLE_FTS3_PARENTHESIS",
    "SQLITE_ENABLE_FTS5",
    "SQLITE_ENABLE_JSON1",
    "SQLITE_ENABLE_RTREE",
    "SQLITE_ENABLE_STAT4",
    "SQLITE_OMIT_LOAD_EXTENSION",
    "SQLITE_SOUNDEX",
    "SQLITE_THREADSAFE=1",
    "SQLITE_USE_URI",
    "HAVE_USLEEP=1",
    "HAVE_ISNAN",
    "HAVE_LOCALTIME_R",
    "HAVE_STDINT_H=1",
    "_POSIX_THREAD_SAFE_FUNCTIONS",
    // SQLCipher, with the provider `gridwork_sqlcipher_setup` fills in (src/lib.rs).
    "SQLITE_HAS_CODEC",
    "SQLCIPHER_CRYPTO_CUSTOM=gridwork_sqlcipher_setup",
    "SQLITE_EXTRA_INIT=sqlcipher_extra_init",
    "SQLITE_EXTRA_SHUTDOWN=sqlcipher_extra_shutdown",
    // A library stays quiet: no log to stderr or logcat unless `PRAGMA cipher_log`
    // asks for one, and no platform log device to link (liblog, os_log).
    "SQLCIPHER_OMIT_DEFAULT_LOGGING",
    "SQLCIPHER_OMIT_LOG_DEVICE",
];

fn main() {
    let src = sqlcipher_src::source_dir();
    println!("cargo:rerun-if-changed=build.rs");

    let mut sqlcipher = cc::Build::new();
    sqlcipher
        .file(src.join(sqlcipher_src::SOURCE_FILE))
        .include(src)
        .warnings(false);
    for option in SQLITE_OPTIONS {
        match option.split_once('=') {
            Some((name, value)) => sqlcipher.define(name, value),
            None => sqlcipher.define(option, None),
        };
    }
    // Temporary tables in memory: on Android SQLite cannot find a temp folder, and
    // SQLCipher asks for it anyway so that temporary data is never written in clear.
    let android = env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "android");
    sqlcipher.define("SQLITE_TEMP_STORE", if android { "3" } else { "2" });
    // Emits `rustc-link-lib=static=sqlcipher` and the OUT_DIR search path.
    sqlcipher.compile("sqlcipher");
}
