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

mod engine;
mod learner;
mod profile;
mod rules;

pub use engine::*;
pub use learner::*;
pub use profile::*;
pub use rules::*;

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use shopkeeper::{Error, ErrorCode};

/// A time: seconds since the Unix epoch (UTC).
pub type sk_timestamp = i64;

/// The outcome of a fallible call. The numbers are stable and never reused: 0 to 9 are the C
/// API's own, the rest are the core's error codes (`spec/errors.md`), with the same names.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sk_result {
    /// Success: the out-parameters were written.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullParameter = 1,
    /// A string argument was not UTF-8.
    InvalidUtf8 = 2,
    /// A bug inside the library was caught at the boundary; nothing was changed that can be
    /// observed, but please report it.
    Panic = 3,
    /// Malformed JSON, or a JSON value of the wrong shape.
    InvalidJson = 10,
    /// An id was empty.
    EmptyId = 11,
    /// A string was longer than its limit.
    TooLong = 12,
    /// A price or total was negative.
    NegativeAmount = 13,
    /// A price or total was above the limit.
    AmountTooLarge = 14,
    /// A quantity was 0 or above the limit.
    InvalidQuantity = 15,
    /// A time was outside the supported range.
    TimestampOutOfRange = 16,
    /// An event was stamped too far after `now`.
    FutureTimestamp = 17,
    /// An attribute changed type.
    AttributeType = 18,
    /// A bounded collection was full.
    LimitExceeded = 19,
    /// Two known identities cannot merge.
    IdentityConflict = 20,
    /// A number was not finite or out of range.
    InvalidNumber = 21,
    /// A context value did not fit the catalog's declarations.
    InvalidContext = 22,
    /// A rule did not compile (the error has its line and column).
    InvalidRule = 40,
    /// A models file was invalid.
    InvalidModel = 50,
    /// Data for a fit or an estimate was invalid.
    InvalidData = 51,
    /// A model fit failed.
    FitFailed = 52,
    /// A catalog did not compile (the error lists every problem).
    InvalidCatalog = 60,
    /// A decision request was invalid (slots, time).
    InvalidRequest = 61,
    /// Encoded bytes were longer than the limit.
    DecodeTooLarge = 30,
    /// Encoded bytes did not start with the expected magic.
    DecodeBadMagic = 31,
    /// Encoded bytes had a schema version this library cannot read.
    DecodeUnsupportedVersion = 32,
    /// Encoded bytes were malformed.
    DecodeMalformed = 33,
    /// Encoded bytes had bytes left over.
    DecodeTrailingBytes = 34,
    /// Encoded bytes decoded to a value that breaks an invariant.
    DecodeInvalid = 35,
    /// An internal error.
    Internal = 99,
}

impl sk_result {
    /// The C code of a core error code (same number, same name).
    fn of(code: ErrorCode) -> sk_result {
        match code {
            ErrorCode::InvalidJson => sk_result::InvalidJson,
            ErrorCode::EmptyId => sk_result::EmptyId,
            ErrorCode::TooLong => sk_result::TooLong,
            ErrorCode::NegativeAmount => sk_result::NegativeAmount,
            ErrorCode::AmountTooLarge => sk_result::AmountTooLarge,
            ErrorCode::InvalidQuantity => sk_result::InvalidQuantity,
            ErrorCode::TimestampOutOfRange => sk_result::TimestampOutOfRange,
            ErrorCode::FutureTimestamp => sk_result::FutureTimestamp,
            ErrorCode::AttributeType => sk_result::AttributeType,
            ErrorCode::LimitExceeded => sk_result::LimitExceeded,
            ErrorCode::IdentityConflict => sk_result::IdentityConflict,
            ErrorCode::InvalidNumber => sk_result::InvalidNumber,
            ErrorCode::InvalidContext => sk_result::InvalidContext,
            ErrorCode::InvalidRule => sk_result::InvalidRule,
            ErrorCode::InvalidModel => sk_result::InvalidModel,
            ErrorCode::InvalidData => sk_result::InvalidData,
            ErrorCode::FitFailed => sk_result::FitFailed,
            ErrorCode::InvalidCatalog => sk_result::InvalidCatalog,
            ErrorCode::InvalidRequest => sk_result::InvalidRequest,
            ErrorCode::DecodeTooLarge => sk_result::DecodeTooLarge,
            ErrorCode::DecodeBadMagic => sk_result::DecodeBadMagic,
            ErrorCode::DecodeUnsupportedVersion => sk_result::DecodeUnsupportedVersion,
            ErrorCode::DecodeMalformed => sk_result::DecodeMalformed,
            ErrorCode::DecodeTrailingBytes => sk_result::DecodeTrailingBytes,
            ErrorCode::DecodeInvalid => sk_result::DecodeInvalid,
            _ => sk_result::Internal,
        }
    }

    /// Every code, for looking one up by number.
    const ALL: [sk_result; 30] = [
        sk_result::Ok,
        sk_result::NullParameter,
        sk_result::InvalidUtf8,
        sk_result::Panic,
        sk_result::InvalidJson,
        sk_result::EmptyId,
        sk_result::TooLong,
        sk_result::NegativeAmount,
        sk_result::AmountTooLarge,
        sk_result::InvalidQuantity,
        sk_result::TimestampOutOfRange,
        sk_result::FutureTimestamp,
        sk_result::AttributeType,
        sk_result::LimitExceeded,
        sk_result::IdentityConflict,
        sk_result::InvalidNumber,
        sk_result::InvalidContext,
        sk_result::InvalidRule,
        sk_result::InvalidModel,
        sk_result::InvalidData,
        sk_result::FitFailed,
        sk_result::InvalidCatalog,
        sk_result::InvalidRequest,
        sk_result::DecodeTooLarge,
        sk_result::DecodeBadMagic,
        sk_result::DecodeUnsupportedVersion,
        sk_result::DecodeMalformed,
        sk_result::DecodeTrailingBytes,
        sk_result::DecodeInvalid,
        sk_result::Internal,
    ];

    /// The stable snake_case name: the core's `ErrorCode` name for its codes (`invalid_rule`).
    fn name(self) -> &'static CStr {
        match self {
            sk_result::Ok => c"ok",
            sk_result::NullParameter => c"null_parameter",
            sk_result::InvalidUtf8 => c"invalid_utf8",
            sk_result::Panic => c"panic",
            sk_result::InvalidJson => c"invalid_json",
            sk_result::EmptyId => c"empty_id",
            sk_result::TooLong => c"too_long",
            sk_result::NegativeAmount => c"negative_amount",
            sk_result::AmountTooLarge => c"amount_too_large",
            sk_result::InvalidQuantity => c"invalid_quantity",
            sk_result::TimestampOutOfRange => c"timestamp_out_of_range",
            sk_result::FutureTimestamp => c"future_timestamp",
            sk_result::AttributeType => c"attribute_type",
            sk_result::LimitExceeded => c"limit_exceeded",
            sk_result::IdentityConflict => c"identity_conflict",
            sk_result::InvalidNumber => c"invalid_number",
            sk_result::InvalidContext => c"invalid_context",
            sk_result::InvalidRule => c"invalid_rule",
            sk_result::InvalidModel => c"invalid_model",
            sk_result::InvalidData => c"invalid_data",
            sk_result::FitFailed => c"fit_failed",
            sk_result::InvalidCatalog => c"invalid_catalog",
            sk_result::InvalidRequest => c"invalid_request",
            sk_result::DecodeTooLarge => c"decode_too_large",
            sk_result::DecodeBadMagic => c"decode_bad_magic",
            sk_result::DecodeUnsupportedVersion => c"decode_unsupported_version",
            sk_result::DecodeMalformed => c"decode_malformed",
            sk_result::DecodeTrailingBytes => c"decode_trailing_bytes",
            sk_result::DecodeInvalid => c"decode_invalid",
            sk_result::Internal => c"internal",
        }
    }
}

/// The details of a failed call: its code, a message for people, and for errors in text (rules,
/// JSON, catalogs) the 1-based line and column. Free with `sk_error_free`.
pub struct sk_error {
    code: sk_result,
    message: CString,
    line: u32,
    column: u32,
}

/// A failure inside a call, before it becomes an `sk_error`.
pub(crate) struct Failure {
    code: sk_result,
    message: String,
    location: Option<(u32, u32)>,
}

impl Failure {
    pub(crate) fn new(code: sk_result, message: impl Into<String>) -> Self {
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
            sk_result::NullParameter,
            format!("`{name}` must not be NULL"),
        )
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(sk_result::of(e.code()), e.message()).at(e.location())
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
        Ok(Ok(())) => return sk_result::Ok,
        Ok(Err(failure)) => failure,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Failure::new(
                sk_result::Panic,
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
    code
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
    ffi!(or sk_result::Panic, {
        // SAFETY: the caller passes NULL or a live error.
        unsafe { error.as_ref() }.map_or(sk_result::Ok, |e| e.code)
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
        sk_result::ALL
            .iter()
            .find(|known| **known as u32 == code)
            .map_or(c"unknown", |known| known.name())
            .as_ptr()
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
            sk_result::InvalidUtf8,
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

    /// The C codes mirror the core's: same number for every code (a new core code must be added
    /// to `sk_result`, or it surfaces in C as `SK_RESULT_INTERNAL` and fails here).
    #[test]
    fn every_core_code_has_the_same_number_in_c() {
        use ErrorCode::*;
        for code in [
            InvalidJson,
            EmptyId,
            TooLong,
            NegativeAmount,
            AmountTooLarge,
            InvalidQuantity,
            TimestampOutOfRange,
            FutureTimestamp,
            AttributeType,
            LimitExceeded,
            IdentityConflict,
            InvalidNumber,
            InvalidContext,
            InvalidRule,
            InvalidModel,
            InvalidData,
            FitFailed,
            InvalidCatalog,
            InvalidRequest,
            DecodeTooLarge,
            DecodeBadMagic,
            DecodeUnsupportedVersion,
            DecodeMalformed,
            DecodeTrailingBytes,
            DecodeInvalid,
            Internal,
        ] {
            assert_eq!(sk_result::of(code) as u32, code.number(), "{code}");
            assert_eq!(sk_result::of(code).name().to_str(), Ok(code.as_str()));
        }
    }

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
        assert_eq!(code, sk_result::Panic);
        assert_eq!(written, 7);
        // SAFETY: the boundary wrote a live error; it is freed once.
        unsafe {
            assert_eq!(sk_error_code(err), sk_result::Panic);
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

    #[test]
    fn every_code_has_one_name() {
        let names: std::collections::HashSet<_> =
            sk_result::ALL.iter().map(|code| code.name()).collect();
        assert_eq!(names.len(), sk_result::ALL.len());
        // SAFETY: sk_result_name returns static NUL-terminated strings.
        let name = |n| unsafe { CStr::from_ptr(sk_result_name(n)) }.to_str();
        assert_eq!(name(40), Ok("invalid_rule"));
        assert_eq!(name(0), Ok("ok"));
        assert_eq!(name(4), Ok("unknown"));
    }
}
