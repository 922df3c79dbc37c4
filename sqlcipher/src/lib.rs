//! SQLCipher, with LibTomCrypt as its crypto provider, compiled from the
//! [`sqlcipher-src`](https://crates.io/crates/sqlcipher-src) amalgamation.
//!
//! This crate has no Rust API. Its build script compiles SQLCipher and the parts of
//! LibTomCrypt it uses (AES-256-CBC, HMAC-SHA1/256/512, PBKDF2, Fortuna seeded from
//! `/dev/urandom`) into `libsqlcipher.a` and puts that archive on the linker's search
//! path. `libsqlite3-sys` with its `sqlcipher` feature asks the linker for
//! `-lsqlcipher`, which then resolves to this archive: rusqlite runs on SQLCipher with
//! no OpenSSL at all, on every target (Linux, Android, iOS) alike.
//!
//! Why: SQLCipher's OpenSSL provider pulls in OpenSSL 3's whole default provider, about
//! 8.5 MB of the FFI library; LibTomCrypt's share is a few dozen KB. Files written with
//! either provider are the same SQLCipher 4 format. See `docs/store.md`.
#![no_std]
