//! The C API of Shopkeeper (header: `include/shopkeeper.h`, generated from this crate by cbindgen).
//!
//! This crate only translates: C pointers and lengths to Rust references and strings, Rust errors
//! to `sk_result` codes and `sk_error` details. Every decision is made by the `shopkeeper` crate.
//!
//! Conventions (DESIGN section 8, after rustls-ffi):
//! - every symbol starts with `sk_`; opaque handles come from `_new` (or `_from_*`) and go back
//!   through their `_free`, which accepts NULL;
//! - fallible functions return `sk_result`; out-parameters are written only on `SK_RESULT_OK`;
//!   an optional `sk_error **` receives the details (message, line, column) on failure;
//! - strings go in as (pointer, length) UTF-8, not NUL-terminated; strings and bytes come out in
//!   an `sk_buffer` the caller frees with `sk_buffer_free`, or as an `sk_str` borrowed from a
//!   handle that owns it;
//! - every export runs inside [`ffi!`], which checks nothing itself but catches any panic and
//!   turns it into `SK_RESULT_PANIC`: no unwinding crosses into C.
#![allow(unsafe_code)] // This crate is the unsafe boundary; every `unsafe` block states its contract.
#![allow(non_camel_case_types)] // C names: `sk_engine`, `sk_result`.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod budgets;
mod context;
mod engine;
mod fleet;
mod learner;
mod live;
mod profile;
mod rules;

pub use budgets::*;
pub use context::*;
pub use engine::*;
pub use fleet::*;
pub use learner::*;
pub use live::*;
pub use profile::*;
pub use rules::*;

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use shopkeeper::{Error, ErrorCode};

/// A time: seconds since the Unix epoch (UTC).
pub type sk_timestamp = i64;

/// The outcome of a fallible call: `SK_RESULT_OK` (0), or the stable number of what went wrong.
/// The header's `SK_RESULT_` constants are generated from the core's error table
/// (`ErrorCode::ALL`, `spec/errors.md`), with the same numbers and names; `sk_result_name` gives
/// the name of any of them. A plain integer, so a code added later is never undefined behaviour.
pub type sk_result = u32;

/// Success: the out-parameters were written (the one `sk_result` that is not an error).
pub const SK_RESULT_OK: sk_result = 0;

/// The details of a failed call: its code, a message for people, and for errors in text (rules,
/// JSON, catalogs) the 1-based line and column. Free with `sk_error_free`.
pub struct sk_error {
    code: ErrorCode,
    message: CString,
    line: u32,
    column: u32,
}

/// A failure inside a call, before it becomes an `sk_error`.
pub(crate) struct Failure {
    code: ErrorCode,
    message: String,
    location: Option<(u32, u32)>,
}

impl Failure {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            location: None,
        }
    }

    pub(crate) fn at(mut self, location: Option<(u32, u32)>) -> Self {
        self.location = location;
        self
    }

    fn null(name: &str) -> Self {
        Failure::new(
            ErrorCode::NullParameter,
            format!("`{name}` must not be NULL"),
        )
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(e.code(), e.message()).at(e.location())
    }
}

/// Runs an export's body with panics caught. `ffi!(err, { ... Ok(()) })` returns an `sk_result`
/// and writes an `sk_error` to `err` (when not NULL) on failure; `ffi!(or DEFAULT, { ... })`
/// returns the body's value, or `DEFAULT` if it panicked (for infallible accessors and frees).
macro_rules! ffi {
    (or $default:expr, $body:block) => {
        ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)).unwrap_or($default)
    };
    ($err:expr, $body:block) => {
        $crate::boundary(
            $err,
            ::std::panic::AssertUnwindSafe(|| -> Result<(), $crate::Failure> { $body }),
        )
    };
}
pub(crate) use ffi;

pub(crate) fn boundary(
    err: *mut *mut sk_error,
    body: AssertUnwindSafe<impl FnOnce() -> Result<(), Failure>>,
) -> sk_result {
    let failure = match catch_unwind(body) {
        Ok(Ok(())) => return SK_RESULT_OK,
        Ok(Err(failure)) => failure,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Failure::new(
                ErrorCode::Panic,
                format!("internal error (a panic was caught at the C boundary; please report it): {what}"),
            )
        }
    };
    let code = failure.code;
    if !err.is_null() {
        let (line, column) = failure.location.unwrap_or((0, 0));
        let error = sk_error {
            code,
            message: c_string(failure.message),
            line,
            column,
        };
        // SAFETY: `err` is not NULL and, by this function's contract, points to writable storage
        // for one pointer.
        unsafe { *err = Box::into_raw(Box::new(error)) };
    }
    code.number()
}

/// `text` as a C string; an interior NUL (never produced by the library's messages) ends it.
pub(crate) fn c_string(text: String) -> CString {
    CString::new(text).unwrap_or_else(|e| {
        let end = e.nul_position();
        let mut bytes = e.into_vec();
        bytes.truncate(end);
        CString::new(bytes).unwrap_or_default()
    })
}

/// The error's code.
///
/// # Safety
/// `error` is NULL (gives `SK_RESULT_OK`) or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sk_error_code(error: *const sk_error) -> sk_result {
    ffi!(or ErrorCode::Panic.number(), {
        // SAFETY: the caller passes NULL or a live error.
        unsafe { error.as_ref() }.map_or(SK_RESULT_OK, |e| e.code.number())
    })
}

/// The error's message: NUL-terminated UTF-8, owned by the error (valid until `sk_error_free`).
///
/// # Safety
/// `error` is NULL (gives "") or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sk_error_message(error: *const sk_error) -> *const c_char {
    ffi!(or c"".as_ptr(), {
        // SAFETY: the caller passes NULL or a live error.
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// The 1-based line of an error in text (a rule, JSON, a catalog); 0 when it has none.
///
/// # Safety
/// `error` is NULL (gives 0) or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sk_error_line(error: *const sk_error) -> u32 {
    ffi!(or 0, {
        // SAFETY: the caller passes NULL or a live error.
        unsafe { error.as_ref() }.map_or(0, |e| e.line)
    })
}

/// The 1-based column of an error in text; 0 when it has none.
///
/// # Safety
/// `error` is NULL (gives 0) or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sk_error_column(error: *const sk_error) -> u32 {
    ffi!(or 0, {
        // SAFETY: the caller passes NULL or a live error.
        unsafe { error.as_ref() }.map_or(0, |e| e.column)
    })
}

/// Frees an error. NULL does nothing.
///
/// # Safety
/// `error` is NULL or an error from this library, not used again.
#[no_mangle]
pub unsafe extern "C" fn sk_error_free(error: *mut sk_error) {
    ffi!(or(), {
        if !error.is_null() {
            // SAFETY: the caller gives back an error this library boxed, once.
            drop(unsafe { Box::from_raw(error) });
        }
    })
}

/// A string borrowed from a handle (or static): `len` bytes of UTF-8 at `ptr`, not
/// NUL-terminated. Valid as long as what it was borrowed from.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_str {
    /// The first byte (never NULL when coming from the library; may be NULL with `len` 0 going in).
    pub ptr: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

impl sk_str {
    pub(crate) fn of(text: &str) -> sk_str {
        sk_str {
            ptr: text.as_ptr().cast(),
            len: text.len(),
        }
    }
}

/// Bytes or text made by the library (an export, a receipt, encoded bytes). Text is followed by
/// a NUL byte that `sk_buffer_len` does not count, so it can be printed with `%s`. Free with
/// `sk_buffer_free`.
pub struct sk_buffer {
    /// The bytes, then one NUL.
    bytes: Vec<u8>,
}

impl sk_buffer {
    pub(crate) fn new(mut bytes: Vec<u8>) -> *mut sk_buffer {
        bytes.push(0);
        Box::into_raw(Box::new(sk_buffer { bytes }))
    }
}

/// The buffer's first byte (valid until `sk_buffer_free`); NULL for a NULL buffer.
///
/// # Safety
/// `buffer` is NULL or a buffer from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sk_buffer_data(buffer: *const sk_buffer) -> *const u8 {
    ffi!(or std::ptr::null(), {
        // SAFETY: the caller passes NULL or a live buffer.
        unsafe { buffer.as_ref() }.map_or(std::ptr::null(), |b| b.bytes.as_ptr())
    })
}

/// The buffer's length in bytes, without the trailing NUL; 0 for a NULL buffer.
///
/// # Safety
/// `buffer` is NULL or a buffer from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn sk_buffer_len(buffer: *const sk_buffer) -> usize {
    ffi!(or 0, {
        // SAFETY: the caller passes NULL or a live buffer.
        unsafe { buffer.as_ref() }.map_or(0, |b| b.bytes.len().saturating_sub(1))
    })
}

/// Frees a buffer. NULL does nothing.
///
/// # Safety
/// `buffer` is NULL or a buffer from this library, not used again.
#[no_mangle]
pub unsafe extern "C" fn sk_buffer_free(buffer: *mut sk_buffer) {
    ffi!(or(), {
        if !buffer.is_null() {
            // SAFETY: the caller gives back a buffer this library boxed, once.
            drop(unsafe { Box::from_raw(buffer) });
        }
    })
}

/// The library's version, `MAJOR.MINOR.PATCH` (static; matches `SHOPKEEPER_VERSION` of the
/// header it was built with).
#[no_mangle]
pub extern "C" fn sk_version() -> sk_str {
    ffi!(or sk_str::of(""), { sk_str::of(env!("CARGO_PKG_VERSION")) })
}

/// The stable snake_case name of an `sk_result` number (`"invalid_rule"`, the same names as the
/// WASM package's error codes and `spec/errors.md`), or `"unknown"` for a number that is not one.
/// Static and NUL-terminated: never NULL, never freed.
#[no_mangle]
pub extern "C" fn sk_result_name(code: u32) -> *const c_char {
    ffi!(or c"unknown".as_ptr(), {
        match code {
            SK_RESULT_OK => c"ok".as_ptr(),
            _ => ErrorCode::from_number(code).map_or(c"unknown", ErrorCode::as_c_str).as_ptr(),
        }
    })
}

// Argument readers. Each checks its pointer and names the argument in the error.

/// A UTF-8 string argument; NULL is an error even with length 0.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that outlive the call.
pub(crate) unsafe fn text<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded to the caller.
    let bytes = unsafe { bytes(ptr.cast(), len, name) }?;
    std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(
            ErrorCode::InvalidUtf8,
            format!("`{name}` is not UTF-8: {e}"),
        )
    })
}

/// An optional UTF-8 string argument: NULL is `None`.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn optional_text<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded to the caller.
    unsafe { text(ptr, len, name) }.map(Some)
}

/// A byte-slice argument.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that outlive the call.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: not NULL; the caller guarantees `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An array argument of `len` items; NULL is allowed only with `len` 0.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable items that outlive the call.
pub(crate) unsafe fn items<'a, T>(
    ptr: *const T,
    len: usize,
    name: &str,
) -> Result<&'a [T], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: not NULL; the caller guarantees `len` readable items.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A handle argument.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T`.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: forwarded to the caller.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// A handle argument the call changes.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` that no other thread uses during the call.
pub(crate) unsafe fn handle_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: forwarded to the caller.
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// The value behind `lock`, under its shared lock (a value a panicked writer left is still read:
/// every update either completes or changes nothing).
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// The value behind `lock`, under its exclusive lock.
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// `merge(into, other)`, with a copy of `other` taken first: holding its read lock while taking
/// `into`'s write lock would deadlock when they are the same value, or two threads merging
/// crosswise.
pub(crate) fn merge_locked<T: Clone>(
    into: &RwLock<T>,
    other: &RwLock<T>,
    merge: impl FnOnce(&mut T, &T) -> Result<(), shopkeeper::Error>,
) -> Result<(), shopkeeper::Error> {
    let other = read(other).clone();
    merge(&mut write(into), &other)
}

/// An out-parameter, checked before any work so that a NULL one changes nothing.
pub(crate) fn out<T>(ptr: *mut T, name: &str) -> Result<Out<T>, Failure> {
    if ptr.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(Out(ptr))
    }
}

/// A checked, not yet written out-parameter.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// Writes the result (only ever on success).
    pub(crate) fn write(self, value: T) {
        // SAFETY: checked not NULL by `out`; the caller guarantees it points to writable storage
        // for a `T` (which, for the library's out types, needs no drop).
        unsafe { self.0.write(value) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    /// What every export relies on: a panic inside `ffi!` comes back as `SK_RESULT_PANIC` with its
    /// message, out-parameters untouched; the value form gives its default.
    #[test]
    #[allow(clippy::panic)]
    fn a_panic_stops_at_the_boundary() {
        let mut err: *mut sk_error = std::ptr::null_mut();
        let mut written = 7_u32;
        let out_ptr: *mut u32 = &mut written;
        let fail = std::hint::black_box(true);
        let code = ffi!(&mut err, {
            let out = out(out_ptr, "out")?;
            if fail {
                panic!("boom");
            }
            out.write(1);
            Ok(())
        });
        assert_eq!(code, ErrorCode::Panic.number());
        assert_eq!(written, 7);
        // SAFETY: the boundary wrote a live error; it is freed once.
        unsafe {
            assert_eq!(sk_error_code(err), ErrorCode::Panic.number());
            let message = CStr::from_ptr(sk_error_message(err)).to_string_lossy();
            assert!(
                message.contains("boom") && message.contains("please report"),
                "{message}"
            );
            sk_error_free(err);
        }
        let value = ffi!(or 5, {
            if fail {
                panic!("boom");
            }
            1
        });
        assert_eq!(value, 5);
    }

    /// `sk_result_name` answers for every code of the core's table, with its name; the header's
    /// constants are generated from the same table (`cargo xtask header`, checked for drift).
    #[test]
    fn every_core_code_has_its_name_in_c() {
        // SAFETY: sk_result_name returns static NUL-terminated strings.
        let name = |n| unsafe { CStr::from_ptr(sk_result_name(n)) }.to_str();
        for code in ErrorCode::ALL {
            assert_eq!(name(code.number()), Ok(code.as_str()), "{code}");
            assert_ne!(code.number(), SK_RESULT_OK, "0 is SK_RESULT_OK");
        }
        assert_eq!(name(0), Ok("ok"));
        assert_eq!(name(4), Ok("unknown"));
        assert_eq!(name(12_345), Ok("unknown"));
    }
}
