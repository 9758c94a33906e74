//! Request contexts: the values of the context keys an engine's catalog declares.

use std::ffi::c_char;

use shopkeeper::rules::{Context, Schema, Value};

use crate::engine::sk_engine;
use crate::{ffi, handle, out, sk_error, sk_result, sk_str, text, Failure};

/// A request context: the values of the context keys the engine's catalog declares (page type,
/// campaign...). Built for one engine's catalog; used by one thread at a time.
pub struct sk_context {
    schema: Schema,
    pub(crate) context: Context,
}

impl sk_context {
    /// The context, or an empty one for `schema` when C passed NULL. The core refuses a context
    /// built for another schema.
    pub(crate) fn or_empty<'a>(
        context: Option<&'a sk_context>,
        schema: &Schema,
        empty: &'a mut Option<Context>,
    ) -> &'a Context {
        match context {
            Some(c) => &c.context,
            None => empty.insert(Context::new(schema)),
        }
    }
}

/// A new, empty context for `engine`'s catalog. Set values with `sk_context_set_*` or build one
/// from JSON with `sk_context_from_json`.
///
/// # Safety
/// `engine` is a live engine; `out_context` points to writable storage for a pointer; `err` is
/// NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_context_new(
    engine: *const sk_engine,
    out_context: *mut *mut sk_context,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_context = out(out_context, "out_context")?;
        // SAFETY: the caller's contract.
        let engine = unsafe { handle(engine, "engine") }?;
        let schema = engine.engine.catalog().schema().clone();
        let context = Context::new(&schema);
        out_context.write(Box::into_raw(Box::new(sk_context { schema, context })));
        Ok(())
    })
}

/// A context for `engine`'s catalog from a JSON object (`{"page_type": "cart"}`); every key must
/// be declared, with a value of its type.
///
/// # Safety
/// As `sk_context_new`; `json` is (pointer, length) UTF-8.
#[no_mangle]
pub unsafe extern "C" fn sk_context_from_json(
    engine: *const sk_engine,
    json: *const c_char,
    json_len: usize,
    out_context: *mut *mut sk_context,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_context = out(out_context, "out_context")?;
        // SAFETY: the caller's contract.
        let engine = unsafe { handle(engine, "engine") }?;
        // SAFETY: the caller's contract.
        let json = unsafe { text(json, json_len, "json") }?;
        let schema = engine.engine.catalog().schema().clone();
        let context = Context::from_json(&schema, json)?;
        out_context.write(Box::into_raw(Box::new(sk_context { schema, context })));
        Ok(())
    })
}

/// Sets a context key to `value`, checked against the key's declared type.
///
/// # Safety
/// `context` is a live context no other thread uses; `key` is (pointer, length) UTF-8.
unsafe fn set(
    context: *mut sk_context,
    key: *const c_char,
    key_len: usize,
    value: impl FnOnce() -> Result<Value, Failure>,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let context = unsafe { crate::handle_mut(context, "context") }?;
        // SAFETY: the caller's contract.
        let key = unsafe { text(key, key_len, "key") }?;
        let value = value()?;
        context.context.set(&context.schema, key, value)?;
        Ok(())
    })
}

/// Sets a string (or timestamp-as-text is not accepted: use numbers) context key.
///
/// # Safety
/// `context` is a live context no other thread uses; strings are (pointer, length) UTF-8.
#[no_mangle]
pub unsafe extern "C" fn sk_context_set_string(
    context: *mut sk_context,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    err: *mut *mut sk_error,
) -> sk_result {
    // SAFETY: the caller's contract.
    unsafe {
        set(
            context,
            key,
            key_len,
            || Ok(Value::String(text(value, value_len, "value")?.into())),
            err,
        )
    }
}

/// Sets a number (or timestamp, or duration) context key.
///
/// # Safety
/// `context` is a live context no other thread uses; `key` is (pointer, length) UTF-8.
#[no_mangle]
pub unsafe extern "C" fn sk_context_set_number(
    context: *mut sk_context,
    key: *const c_char,
    key_len: usize,
    value: f64,
    err: *mut *mut sk_error,
) -> sk_result {
    // SAFETY: the caller's contract.
    unsafe { set(context, key, key_len, || Ok(Value::Number(value)), err) }
}

/// Sets a boolean context key.
///
/// # Safety
/// `context` is a live context no other thread uses; `key` is (pointer, length) UTF-8.
#[no_mangle]
pub unsafe extern "C" fn sk_context_set_bool(
    context: *mut sk_context,
    key: *const c_char,
    key_len: usize,
    value: bool,
    err: *mut *mut sk_error,
) -> sk_result {
    // SAFETY: the caller's contract.
    unsafe { set(context, key, key_len, || Ok(Value::Bool(value)), err) }
}

/// Sets a list context key to `items_len` strings.
///
/// # Safety
/// `context` is a live context no other thread uses; `key` is (pointer, length) UTF-8; `items`
/// points to `items_len` strings (NULL allowed when 0).
#[no_mangle]
pub unsafe extern "C" fn sk_context_set_list(
    context: *mut sk_context,
    key: *const c_char,
    key_len: usize,
    items: *const sk_str,
    items_len: usize,
    err: *mut *mut sk_error,
) -> sk_result {
    let list = || {
        // SAFETY: the caller's contract.
        let items = unsafe { crate::items(items, items_len, "items") }?;
        let list = items
            .iter()
            // SAFETY: the caller's contract.
            .map(|s| unsafe { text(s.ptr, s.len, "items") }.map(String::from))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::List(list))
    };
    // SAFETY: the caller's contract.
    unsafe { set(context, key, key_len, list, err) }
}

/// Frees a context. NULL does nothing.
///
/// # Safety
/// `context` is NULL or a context from this library, not used again.
#[no_mangle]
pub unsafe extern "C" fn sk_context_free(context: *mut sk_context) {
    ffi!(or(), {
        if !context.is_null() {
            // SAFETY: the caller gives back a context this library boxed, once.
            drop(unsafe { Box::from_raw(context) });
        }
    })
}
