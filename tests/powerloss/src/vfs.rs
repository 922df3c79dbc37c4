//! The SQLite VFS: the default VFS with every file wrapped so that writes, truncations
//! and syncs of watched files go through the volatile layer in [`crate::State`].
//!
//! The real file always holds the newest bytes (so reads need no care); what is kept
//! aside is the content each touched sector had at its file's last sync, which the
//! power cut may put back. Everything else (locks, shared memory, sizes) is the default
//! VFS's own.

#![allow(unsafe_code)]

use crate::state;
use rusqlite::ffi;
use std::{
    alloc::{alloc_zeroed, dealloc, Layout},
    ffi::{c_char, c_int, c_void, CStr},
    ptr,
    sync::{
        atomic::{AtomicPtr, Ordering},
        OnceLock,
    },
};

/// The default VFS this one wraps.
static BASE: AtomicPtr<ffi::sqlite3_vfs> = AtomicPtr::new(ptr::null_mut());
static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Registers the VFS as SQLite's default, once per process.
pub(crate) fn register() -> Result<(), String> {
    REGISTERED
        .get_or_init(|| {
            // SAFETY: sqlite3_vfs_find initialises SQLite and returns the registered
            // default VFS (static for the process); the copy we register is leaked, so it
            // outlives every connection, as SQLite requires.
            unsafe {
                let base = ffi::sqlite3_vfs_find(ptr::null());
                if base.is_null() {
                    return Err("SQLite has no default VFS".into());
                }
                BASE.store(base, Ordering::SeqCst);
                let mut vfs: ffi::sqlite3_vfs = *base;
                vfs.zName = c"gridwork-powerloss".as_ptr();
                vfs.szOsFile = std::mem::size_of::<PlFile>() as c_int;
                vfs.pNext = ptr::null_mut();
                vfs.xOpen = Some(x_open);
                vfs.xDelete = Some(x_delete);
                // The other entries (xAccess, xFullPathname, time, randomness…) are the
                // base's, called with this struct; they read only pAppData, which is
                // the base's too.
                let vfs = Box::leak(Box::new(vfs));
                let rc = ffi::sqlite3_vfs_register(vfs, 1);
                if rc != ffi::SQLITE_OK {
                    return Err(format!("sqlite3_vfs_register: {rc}"));
                }
                Ok(())
            }
        })
        .clone()
}

#[repr(C)]
struct PlFile {
    base: ffi::sqlite3_file,
    inner: *mut ffi::sqlite3_file,
    inner_size: usize,
    /// The path, when the file is watched; null otherwise.
    path: *mut String,
}

fn inner_layout(size: usize) -> Layout {
    Layout::from_size_align(size.max(16), 16).unwrap_or(Layout::new::<[u64; 2]>())
}

fn base() -> *mut ffi::sqlite3_vfs {
    BASE.load(Ordering::SeqCst)
}

unsafe extern "C" fn x_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let base = base();
    let size = (*base).szOsFile as usize;
    let layout = inner_layout(size);
    let inner = alloc_zeroed(layout) as *mut ffi::sqlite3_file;
    if inner.is_null() {
        (*file).pMethods = ptr::null();
        return ffi::SQLITE_NOMEM;
    }
    let open = match (*base).xOpen {
        Some(f) => f,
        None => return ffi::SQLITE_ERROR,
    };
    let rc = open(base, name, inner, flags, out_flags);
    if rc != ffi::SQLITE_OK {
        if !(*inner).pMethods.is_null() {
            if let Some(close) = (*(*inner).pMethods).xClose {
                close(inner);
            }
        }
        dealloc(inner as *mut u8, layout);
        (*file).pMethods = ptr::null();
        return rc;
    }
    let path = path_of(name).filter(|p| state().watches(p));
    ptr::write(
        file as *mut PlFile,
        PlFile {
            base: ffi::sqlite3_file { pMethods: &METHODS },
            inner,
            inner_size: size,
            path: path.map_or(ptr::null_mut(), |p| Box::into_raw(Box::new(p))),
        },
    );
    ffi::SQLITE_OK
}

unsafe fn path_of(name: *const c_char) -> Option<String> {
    if name.is_null() {
        return None;
    }
    CStr::from_ptr(name).to_str().ok().map(str::to_string)
}

unsafe extern "C" fn x_delete(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    sync_dir: c_int,
) -> c_int {
    let base = base();
    let delete = match (*base).xDelete {
        Some(f) => f,
        None => return ffi::SQLITE_ERROR,
    };
    match path_of(name).filter(|p| state().watches(p)) {
        Some(path) => {
            let mut st = state();
            if !st.tick() {
                return ffi::SQLITE_IOERR_DELETE;
            }
            let rc = delete(base, name, sync_dir);
            st.forget(&path);
            rc
        }
        None => delete(base, name, sync_dir),
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: Some(x_fetch),
    xUnfetch: Some(x_unfetch),
};

/// The wrapped file and its methods.
unsafe fn inner(
    file: *mut ffi::sqlite3_file,
) -> (*mut ffi::sqlite3_file, &'static ffi::sqlite3_io_methods) {
    let pl = file as *mut PlFile;
    let inner = (*pl).inner;
    (inner, &*(*inner).pMethods)
}

unsafe fn watched<'a>(file: *mut ffi::sqlite3_file) -> Option<&'a str> {
    let pl = file as *mut PlFile;
    if (*pl).path.is_null() {
        None
    } else {
        Some((*(*pl).path).as_str())
    }
}

unsafe extern "C" fn x_close(file: *mut ffi::sqlite3_file) -> c_int {
    let pl = file as *mut PlFile;
    let (inner, m) = inner(file);
    let rc = m.xClose.map_or(ffi::SQLITE_OK, |f| f(inner));
    dealloc(inner as *mut u8, inner_layout((*pl).inner_size));
    if !(*pl).path.is_null() {
        drop(Box::from_raw((*pl).path));
    }
    (*pl).path = ptr::null_mut();
    (*pl).base.pMethods = ptr::null();
    rc
}

unsafe extern "C" fn x_read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amt: c_int,
    off: i64,
) -> c_int {
    let (inner, m) = inner(file);
    m.xRead
        .map_or(ffi::SQLITE_IOERR_READ, |f| f(inner, buf, amt, off))
}

/// Reads `out.len()` bytes at `off` from the wrapped file (zeros past its end).
unsafe fn read_at(file: *mut ffi::sqlite3_file, off: u64, out: &mut [u8]) {
    let (inner, m) = inner(file);
    out.fill(0);
    if let Some(read) = m.xRead {
        // A short read zero-fills the rest, which is what the sector held.
        read(
            inner,
            out.as_mut_ptr() as *mut c_void,
            out.len() as c_int,
            off as i64,
        );
    }
}

unsafe fn size_of_file(file: *mut ffi::sqlite3_file) -> u64 {
    let mut size: i64 = 0;
    x_file_size(file, &mut size);
    size.max(0) as u64
}

unsafe extern "C" fn x_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amt: c_int,
    off: i64,
) -> c_int {
    let (inner, m) = inner(file);
    let Some(write) = m.xWrite else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    match watched(file) {
        Some(path) => {
            let mut st = state();
            if !st.tick() {
                return ffi::SQLITE_IOERR_WRITE;
            }
            let size = size_of_file(file);
            st.before_write(path, off as u64, amt as u64, size, |o, out| {
                read_at(file, o, out)
            });
            write(inner, buf, amt, off)
        }
        None => write(inner, buf, amt, off),
    }
}

unsafe extern "C" fn x_truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    let (inner, m) = inner(file);
    let Some(truncate) = m.xTruncate else {
        return ffi::SQLITE_IOERR_TRUNCATE;
    };
    match watched(file) {
        Some(path) => {
            let mut st = state();
            if !st.tick() {
                return ffi::SQLITE_IOERR_TRUNCATE;
            }
            let current = size_of_file(file);
            st.before_truncate(path, size.max(0) as u64, current, |o, out| {
                read_at(file, o, out)
            });
            truncate(inner, size)
        }
        None => truncate(inner, size),
    }
}

unsafe extern "C" fn x_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    let (inner, m) = inner(file);
    let Some(sync) = m.xSync else {
        return ffi::SQLITE_IOERR_FSYNC;
    };
    match watched(file) {
        Some(path) => {
            let mut st = state();
            if !st.tick() {
                return ffi::SQLITE_IOERR_FSYNC;
            }
            let rc = sync(inner, flags);
            if rc == ffi::SQLITE_OK {
                st.synced(path);
            }
            rc
        }
        None => sync(inner, flags),
    }
}

unsafe extern "C" fn x_file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    let (inner, m) = inner(file);
    m.xFileSize
        .map_or(ffi::SQLITE_IOERR_FSTAT, |f| f(inner, size))
}

unsafe extern "C" fn x_lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let (inner, m) = inner(file);
    m.xLock.map_or(ffi::SQLITE_IOERR_LOCK, |f| f(inner, level))
}

unsafe extern "C" fn x_unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let (inner, m) = inner(file);
    m.xUnlock
        .map_or(ffi::SQLITE_IOERR_UNLOCK, |f| f(inner, level))
}

unsafe extern "C" fn x_check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    let (inner, m) = inner(file);
    m.xCheckReservedLock
        .map_or(ffi::SQLITE_IOERR_CHECKRESERVEDLOCK, |f| f(inner, out))
}

unsafe extern "C" fn x_file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    let (inner, m) = inner(file);
    m.xFileControl
        .map_or(ffi::SQLITE_NOTFOUND, |f| f(inner, op, arg))
}

unsafe extern "C" fn x_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    let (inner, m) = inner(file);
    m.xSectorSize.map_or(4096, |f| f(inner))
}

unsafe extern "C" fn x_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    let (inner, m) = inner(file);
    m.xDeviceCharacteristics.map_or(0, |f| f(inner))
}

unsafe extern "C" fn x_shm_map(
    file: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    let (inner, m) = inner(file);
    match (m.iVersion >= 2, m.xShmMap) {
        (true, Some(f)) => f(inner, region, size, extend, out),
        _ => ffi::SQLITE_IOERR_SHMMAP,
    }
}

unsafe extern "C" fn x_shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    let (inner, m) = inner(file);
    match (m.iVersion >= 2, m.xShmLock) {
        (true, Some(f)) => f(inner, offset, n, flags),
        _ => ffi::SQLITE_IOERR_SHMLOCK,
    }
}

unsafe extern "C" fn x_shm_barrier(file: *mut ffi::sqlite3_file) {
    let (inner, m) = inner(file);
    if let (true, Some(f)) = (m.iVersion >= 2, m.xShmBarrier) {
        f(inner)
    }
}

unsafe extern "C" fn x_shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    let (inner, m) = inner(file);
    match (m.iVersion >= 2, m.xShmUnmap) {
        (true, Some(f)) => f(inner, delete),
        _ => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn x_fetch(
    file: *mut ffi::sqlite3_file,
    off: i64,
    amt: c_int,
    out: *mut *mut c_void,
) -> c_int {
    let (inner, m) = inner(file);
    match (m.iVersion >= 3, m.xFetch) {
        (true, Some(f)) => f(inner, off, amt, out),
        _ => {
            *out = ptr::null_mut();
            ffi::SQLITE_OK
        }
    }
}

unsafe extern "C" fn x_unfetch(file: *mut ffi::sqlite3_file, off: i64, p: *mut c_void) -> c_int {
    let (inner, m) = inner(file);
    match (m.iVersion >= 3, m.xUnfetch) {
        (true, Some(f)) => f(inner, off, p),
        _ => ffi::SQLITE_OK,
    }
}
