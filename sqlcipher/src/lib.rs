//! SQLCipher with its cryptography done by the RustCrypto crates, compiled from the
//! [`sqlcipher-src`](https://crates.io/crates/sqlcipher-src) amalgamation.
//!
//! The build script compiles SQLCipher with `SQLCIPHER_CRYPTO_CUSTOM`: at start-up
//! SQLCipher asks [`gridwork_sqlcipher_setup`] to fill in its crypto provider, and this
//! crate answers with AES-256-CBC (`aes` + `cbc`), HMAC-SHA1/256/512 (`hmac`, `sha1`,
//! `sha2`), PBKDF2 (`pbkdf2`) and the operating system's random source (`getrandom`).
//! The archive, `libsqlcipher.a`, goes on the linker's search path, where
//! `libsqlite3-sys` with its `sqlcipher` feature finds it as `-lsqlcipher`.
//!
//! Why not SQLCipher's own providers: OpenSSL 3 (rusqlite's
//! `bundled-sqlcipher-vendored-openssl`) made the phone library 11.5 MiB, 8.5 MB of it
//! OpenSSL; LibTomCrypt is small but portable C without the CPU's AES and SHA
//! instructions, and made a patrol day's writes cost nine times the CPU of a plain store.
//! The RustCrypto crates detect AES-NI / ARMv8 crypto at run time, weigh tens of KB,
//! and are the same code on Linux, Android and iOS. The file format is SQLCipher 4's
//! whatever the provider. See `docs/store.md`.
//!
//! A program that links this crate must make sure the object holding the provider is
//! linked, which [`link`] does: call it before opening a connection.

use std::ffi::{c_char, c_int, c_void};

use aes::Aes256;
use cbc::cipher::{Array, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

const SQLITE_OK: c_int = 0;
const SQLITE_ERROR: c_int = 1;

const SQLCIPHER_ENCRYPT: c_int = 1;
const SQLCIPHER_DECRYPT: c_int = 0;

const HMAC_SHA1: c_int = 0;
const HMAC_SHA256: c_int = 1;
const HMAC_SHA512: c_int = 2;

const KEY_BYTES: usize = 32;
const BLOCK_BYTES: usize = 16;

/// SQLCipher's `struct sqlcipher_provider` (sqlcipher.h), field for field.
#[repr(C)]
pub struct SqlcipherProvider {
    init: Option<unsafe extern "C" fn() -> c_int>,
    shutdown: Option<unsafe extern "C" fn()>,
    get_provider_name: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    add_random: Option<unsafe extern "C" fn(*mut c_void, *const c_void, c_int) -> c_int>,
    random: Option<unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int>,
    hmac: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *const u8,
            c_int,
            *const u8,
            c_int,
            *const u8,
            c_int,
            *mut u8,
        ) -> c_int,
    >,
    kdf: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *const u8,
            c_int,
            *const u8,
            c_int,
            c_int,
            c_int,
            *mut u8,
        ) -> c_int,
    >,
    cipher: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *const u8,
            c_int,
            *const u8,
            *const u8,
            c_int,
            *mut u8,
        ) -> c_int,
    >,
    get_cipher: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    get_key_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_iv_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_block_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_hmac_sz: Option<unsafe extern "C" fn(*mut c_void, c_int) -> c_int>,
    ctx_init: Option<unsafe extern "C" fn(*mut *mut c_void) -> c_int>,
    ctx_free: Option<unsafe extern "C" fn(*mut *mut c_void) -> c_int>,
    fips_status: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_provider_version: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    next: *mut SqlcipherProvider,
}

/// Fills in SQLCipher's crypto provider; called by SQLCipher itself during
/// `sqlite3_initialize` (the build defines `SQLCIPHER_CRYPTO_CUSTOM` to this name).
///
/// # Safety
/// `provider` is null or points to a writable `sqlcipher_provider`.
#[no_mangle]
pub unsafe extern "C" fn gridwork_sqlcipher_setup(provider: *mut SqlcipherProvider) -> c_int {
    if provider.is_null() {
        return SQLITE_ERROR;
    }
    // `write`, not assignment: the struct SQLCipher allocated may be uninitialised.
    let filled = SqlcipherProvider {
        init: None,
        shutdown: None,
        get_provider_name: Some(provider_name),
        add_random: Some(add_random),
        random: Some(random),
        hmac: Some(hmac),
        kdf: Some(kdf),
        cipher: Some(cipher),
        get_cipher: Some(cipher_name),
        get_key_sz: Some(key_size),
        get_iv_sz: Some(block_size),
        get_block_sz: Some(block_size),
        get_hmac_sz: Some(hmac_size),
        ctx_init: Some(ctx_init),
        ctx_free: Some(ctx_free),
        fips_status: Some(fips_status),
        get_provider_version: Some(provider_version),
        next: std::ptr::null_mut(),
    };
    unsafe { provider.write(filled) };
    SQLITE_OK
}

/// Makes sure the provider is linked into the program. Call it before the first
/// SQLite connection opens (gridwork-core does, in its database layer).
#[inline(never)]
pub fn link() -> usize {
    // Taking the provider's address keeps its object in the link even when the
    // linker meets this crate before the SQLCipher archive that calls it.
    std::hint::black_box(gridwork_sqlcipher_setup as *const () as usize)
}

/// The provider's name, as `PRAGMA cipher_provider` reports it.
pub const PROVIDER_NAME: &str = "rustcrypto";

unsafe extern "C" fn provider_name(_: *mut c_void) -> *const c_char {
    c"rustcrypto".as_ptr()
}

unsafe extern "C" fn provider_version(_: *mut c_void) -> *const c_char {
    c"aes 0.9, cbc 0.2, hmac 0.13, sha1 0.11, sha2 0.11, pbkdf2 0.13, getrandom 0.4".as_ptr()
}

unsafe extern "C" fn cipher_name(_: *mut c_void) -> *const c_char {
    c"aes-256-cbc".as_ptr()
}

unsafe extern "C" fn key_size(_: *mut c_void) -> c_int {
    KEY_BYTES as c_int
}

unsafe extern "C" fn block_size(_: *mut c_void) -> c_int {
    BLOCK_BYTES as c_int
}

unsafe extern "C" fn hmac_size(_: *mut c_void, algorithm: c_int) -> c_int {
    match algorithm {
        HMAC_SHA1 => 20,
        HMAC_SHA256 => 32,
        HMAC_SHA512 => 64,
        _ => 0,
    }
}

/// No per-context state: every call is self-contained.
unsafe extern "C" fn ctx_init(ctx: *mut *mut c_void) -> c_int {
    if let Some(ctx) = unsafe { ctx.as_mut() } {
        *ctx = std::ptr::null_mut();
    }
    SQLITE_OK
}

unsafe extern "C" fn ctx_free(ctx: *mut *mut c_void) -> c_int {
    unsafe { ctx_init(ctx) }
}

unsafe extern "C" fn fips_status(_: *mut c_void) -> c_int {
    0
}

/// The operating system's generator needs no extra entropy; accepted and ignored.
unsafe extern "C" fn add_random(_: *mut c_void, _: *const c_void, _: c_int) -> c_int {
    SQLITE_OK
}

/// IVs, salts and SQLCipher's own seeds, from the operating system's generator.
unsafe extern "C" fn random(_: *mut c_void, buffer: *mut c_void, length: c_int) -> c_int {
    let Some(out) = (unsafe { slice_mut(buffer.cast(), length) }) else {
        return SQLITE_ERROR;
    };
    match getrandom::fill(out) {
        Ok(()) => SQLITE_OK,
        Err(_) => SQLITE_ERROR,
    }
}

/// HMAC of `in` followed by `in2` (may be null), written to `out` (sized by
/// `get_hmac_sz`).
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn hmac(
    _: *mut c_void,
    algorithm: c_int,
    key: *const u8,
    key_sz: c_int,
    input: *const u8,
    input_sz: c_int,
    input2: *const u8,
    input2_sz: c_int,
    out: *mut u8,
) -> c_int {
    let (Some(key), Some(input)) = (unsafe { slice(key, key_sz) }, unsafe {
        slice(input, input_sz)
    }) else {
        return SQLITE_ERROR;
    };
    let input2 = if input2.is_null() {
        &[][..]
    } else {
        match unsafe { slice(input2, input2_sz) } {
            Some(s) => s,
            None => return SQLITE_ERROR,
        }
    };
    let size = unsafe { hmac_size(std::ptr::null_mut(), algorithm) };
    let Some(out) = (unsafe { slice_mut(out, size) }) else {
        return SQLITE_ERROR;
    };
    let done = match algorithm {
        HMAC_SHA1 => mac::<Hmac<Sha1>>(key, input, input2, out),
        HMAC_SHA256 => mac::<Hmac<Sha256>>(key, input, input2, out),
        HMAC_SHA512 => mac::<Hmac<Sha512>>(key, input, input2, out),
        _ => false,
    };
    if done {
        SQLITE_OK
    } else {
        SQLITE_ERROR
    }
}

fn mac<M: Mac + KeyInit>(key: &[u8], input: &[u8], input2: &[u8], out: &mut [u8]) -> bool {
    let Ok(mut m) = <M as KeyInit>::new_from_slice(key) else {
        return false;
    };
    m.update(input);
    m.update(input2);
    let tag = m.finalize().into_bytes();
    if tag.len() != out.len() {
        return false;
    }
    out.copy_from_slice(&tag);
    true
}

/// PBKDF2 with HMAC-SHA1/256/512 (SQLCipher's key derivation and its HMAC-key step).
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn kdf(
    _: *mut c_void,
    algorithm: c_int,
    pass: *const u8,
    pass_sz: c_int,
    salt: *const u8,
    salt_sz: c_int,
    rounds: c_int,
    key_sz: c_int,
    key: *mut u8,
) -> c_int {
    let (Some(pass), Some(salt), Some(key), Ok(rounds @ 1..)) = (
        unsafe { slice(pass, pass_sz) },
        unsafe { slice(salt, salt_sz) },
        unsafe { slice_mut(key, key_sz) },
        u32::try_from(rounds),
    ) else {
        return SQLITE_ERROR;
    };
    match algorithm {
        HMAC_SHA1 => pbkdf2::pbkdf2_hmac::<Sha1>(pass, salt, rounds, key),
        HMAC_SHA256 => pbkdf2::pbkdf2_hmac::<Sha256>(pass, salt, rounds, key),
        HMAC_SHA512 => pbkdf2::pbkdf2_hmac::<Sha512>(pass, salt, rounds, key),
        _ => return SQLITE_ERROR,
    }
    SQLITE_OK
}

/// AES-256-CBC without padding over whole blocks (a page's payload), from `input` to
/// `out` (which may be the same buffer).
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn cipher(
    _: *mut c_void,
    mode: c_int,
    key: *const u8,
    key_sz: c_int,
    iv: *const u8,
    input: *const u8,
    input_sz: c_int,
    out: *mut u8,
) -> c_int {
    let (Some(key), Some(iv), Ok(len)) = (
        unsafe { slice(key, key_sz) },
        unsafe { slice(iv, BLOCK_BYTES as c_int) },
        usize::try_from(input_sz),
    ) else {
        return SQLITE_ERROR;
    };
    if key.len() != KEY_BYTES || len % BLOCK_BYTES != 0 || input.is_null() || out.is_null() {
        return SQLITE_ERROR;
    }
    // Work in place in `out`: copy handles `input == out` and overlap.
    unsafe { std::ptr::copy(input, out, len) };
    let Some(buffer) = (unsafe { slice_mut(out, input_sz) }) else {
        return SQLITE_ERROR;
    };
    let (blocks, rest) = Array::slice_as_chunks_mut(buffer);
    if !rest.is_empty() {
        return SQLITE_ERROR;
    }
    match mode {
        SQLCIPHER_ENCRYPT => match cbc::Encryptor::<Aes256>::new_from_slices(key, iv) {
            Ok(mut enc) => enc.encrypt_blocks(blocks),
            Err(_) => return SQLITE_ERROR,
        },
        SQLCIPHER_DECRYPT => match cbc::Decryptor::<Aes256>::new_from_slices(key, iv) {
            Ok(mut dec) => dec.decrypt_blocks(blocks),
            Err(_) => return SQLITE_ERROR,
        },
        _ => return SQLITE_ERROR,
    }
    SQLITE_OK
}

/// `len` bytes at `ptr`, or `None` for a null pointer or a negative length.
unsafe fn slice<'a>(ptr: *const u8, len: c_int) -> Option<&'a [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&[]);
    }
    (!ptr.is_null()).then(|| unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// `len` writable bytes at `ptr`, or `None` for a null pointer or a negative length.
unsafe fn slice_mut<'a>(ptr: *mut u8, len: c_int) -> Option<&'a mut [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&mut []);
    }
    (!ptr.is_null()).then(|| unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PBKDF2-HMAC-SHA512 through the C entry point, against an independent
    /// implementation.
    #[test]
    fn kdf_matches_an_independent_implementation() {
        // PBKDF2-HMAC-SHA512("password", "salt", 1 round, 64 bytes), the RFC 6070 inputs
        // with SHA-512: the value Python's hashlib.pbkdf2_hmac gives.
        let mut key = [0u8; 64];
        let rc = unsafe {
            kdf(
                std::ptr::null_mut(),
                HMAC_SHA512,
                b"password".as_ptr(),
                8,
                b"salt".as_ptr(),
                4,
                1,
                64,
                key.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_OK);
        assert_eq!(
            hex(&key),
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252\
             c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"
        );
    }

    /// FIPS 197 / SP 800-38A F.2.5: AES-256-CBC encryption of the first two blocks.
    #[test]
    fn cbc_matches_sp_800_38a_and_decrypts_in_place() {
        let key = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        let iv = unhex("000102030405060708090a0b0c0d0e0f");
        let plain = unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        let mut out = vec![0u8; 32];
        let rc = unsafe {
            cipher(
                std::ptr::null_mut(),
                SQLCIPHER_ENCRYPT,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                plain.as_ptr(),
                32,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_OK);
        assert_eq!(
            hex(&out),
            "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
        );
        let p = out.as_mut_ptr();
        let rc = unsafe {
            cipher(
                std::ptr::null_mut(),
                SQLCIPHER_DECRYPT,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                p,
                32,
                p,
            )
        };
        assert_eq!(rc, SQLITE_OK);
        assert_eq!(out, plain);
        // A partial block and a short key are refused.
        for (len, key_len) in [(31, 32), (32, 16)] {
            let rc = unsafe {
                cipher(
                    std::ptr::null_mut(),
                    SQLCIPHER_ENCRYPT,
                    key.as_ptr(),
                    key_len,
                    iv.as_ptr(),
                    plain.as_ptr(),
                    len,
                    out.as_mut_ptr(),
                )
            };
            assert_eq!(rc, SQLITE_ERROR);
        }
    }

    /// RFC 4231 test case 2: HMAC-SHA-512 of "what do ya want for nothing?", split
    /// across the two inputs as SQLCipher passes page and page number.
    #[test]
    fn hmac_matches_rfc_4231_over_two_inputs() {
        let mut out = [0u8; 64];
        let (a, b) = b"what do ya want for nothing?".split_at(10);
        let rc = unsafe {
            hmac(
                std::ptr::null_mut(),
                HMAC_SHA512,
                b"Jefe".as_ptr(),
                4,
                a.as_ptr(),
                a.len() as c_int,
                b.as_ptr(),
                b.len() as c_int,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_OK);
        assert_eq!(
            hex(&out),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
             9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        );
        let rc = unsafe {
            hmac(
                std::ptr::null_mut(),
                7,
                b"Jefe".as_ptr(),
                4,
                a.as_ptr(),
                1,
                std::ptr::null(),
                0,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_ERROR, "an unknown algorithm is refused");
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect()
    }
}
