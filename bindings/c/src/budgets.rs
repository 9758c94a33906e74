//! Budget counters (`spec/catalog.md`, "Budgets and pacing"): what each budgeted offer spent in
//! its period, counted from `offer_shown` and `offer_accepted` events, read by
//! `sk_engine_decide_live` through `sk_live`, merged by adding.

use std::ffi::c_char;
use std::sync::RwLock;

use shopkeeper::budget::Budgets;
use shopkeeper::Event;

use crate::{
    bytes, ffi, handle, merge_locked, out, read, sk_buffer, sk_engine, sk_error, sk_result,
    sk_timestamp, text, write,
};

/// Budget counters behind a lock: recording and merging take it for writing, decisions for
/// reading, so threads may share one.
pub struct sk_budgets {
    pub(crate) budgets: RwLock<Budgets>,
}

fn boxed(budgets: Budgets) -> *mut sk_budgets {
    Box::into_raw(Box::new(sk_budgets {
        budgets: RwLock::new(budgets),
    }))
}

/// New budget counters: nothing spent.
///
/// # Safety
/// `out_budgets` points to writable storage for a pointer; `err` is NULL or points to writable
/// storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_budgets_new(
    out_budgets: *mut *mut sk_budgets,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_budgets = out(out_budgets, "out_budgets")?;
        out_budgets.write(boxed(Budgets::new()));
        Ok(())
    })
}

/// Frees budget counters. NULL does nothing.
///
/// # Safety
/// `budgets` is NULL or counters from this library that no thread uses any more.
#[no_mangle]
pub unsafe extern "C" fn sk_budgets_free(budgets: *mut sk_budgets) {
    ffi!(or(), {
        if !budgets.is_null() {
            // SAFETY: the caller gives back counters this library boxed, once.
            drop(unsafe { Box::from_raw(budgets) });
        }
    })
}

/// Counts an event (JSON, `spec/events.md`) that the caller applied: an `offer_shown` or
/// `offer_accepted` of an offer with a budget in the engine's catalog, in the period that holds
/// the event's time. `*out_counted` says whether it counted (other events, and events of a period
/// older than the one counted, do not). Fails, changing nothing, for malformed JSON or a time out
/// of range, or when a new offer would pass the counters' cap (`SK_RESULT_LIMIT_EXCEEDED`).
///
/// # Safety
/// `budgets` and `engine` are live; `event` is (pointer, length) UTF-8; `out_counted` points to a
/// writable bool; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_budgets_record(
    budgets: *const sk_budgets,
    engine: *const sk_engine,
    event: *const c_char,
    event_len: usize,
    out_counted: *mut bool,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_counted = out(out_counted, "out_counted")?;
        // SAFETY: the caller's contract.
        let (budgets, engine, event) = unsafe {
            (
                handle(budgets, "budgets")?,
                &handle(engine, "engine")?.engine,
                text(event, event_len, "event")?,
            )
        };
        let event = Event::from_json(event)?;
        let counted = write(&budgets.budgets).record(engine.catalog(), &event)?;
        out_counted.write(counted);
        Ok(())
    })
}

/// What the offer `offer` of the engine's catalog spent (shows or accepts, as its budget counts)
/// in the period that holds `now`, written to `out_spent`; `*out_has_budget` is false (and the
/// spent 0) for an offer without a budget or one the catalog lacks.
///
/// # Safety
/// `budgets` and `engine` are live; `offer` is (pointer, length) UTF-8; `out_spent` and
/// `out_has_budget` point to writable storage; `err` is NULL or points to writable storage for a
/// pointer.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sk_budgets_spent(
    budgets: *const sk_budgets,
    engine: *const sk_engine,
    offer: *const c_char,
    offer_len: usize,
    now: sk_timestamp,
    out_spent: *mut u64,
    out_has_budget: *mut bool,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_spent = out(out_spent, "out_spent")?;
        let out_has_budget = out(out_has_budget, "out_has_budget")?;
        // SAFETY: the caller's contract.
        let (budgets, engine, offer) = unsafe {
            (
                handle(budgets, "budgets")?,
                &handle(engine, "engine")?.engine,
                text(offer, offer_len, "offer")?,
            )
        };
        let spent =
            (engine.catalog().offer(offer)).and_then(|o| read(&budgets.budgets).spent(o, now));
        out_spent.write(spent.unwrap_or(0));
        out_has_budget.write(spent.is_some());
        Ok(())
    })
}

/// Adds `other`'s counters (another node's) into `budgets`: per offer, the later period's counts,
/// summed when both count the same period. Fails, changing nothing, past the cap of offers
/// (`SK_RESULT_LIMIT_EXCEEDED`). `other` may be `budgets` (doubles its counts).
///
/// # Safety
/// `budgets` and `other` are live; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_budgets_merge(
    budgets: *const sk_budgets,
    other: *const sk_budgets,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let (budgets, other) = unsafe { (handle(budgets, "budgets")?, handle(other, "other")?) };
        merge_locked(&budgets.budgets, &other.budgets, Budgets::merge)?;
        Ok(())
    })
}

/// The counters as JSON: `{"offers": {"free-shipping": {"start", "per", "shows", "accepts"}}}`.
///
/// # Safety
/// `budgets` is live; `out_json` points to writable storage for a pointer; `err` is NULL or
/// points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_budgets_to_json(
    budgets: *const sk_budgets,
    out_json: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_json = out(out_json, "out_json")?;
        // SAFETY: the caller's contract.
        let budgets = unsafe { handle(budgets, "budgets") }?;
        let json = read(&budgets.budgets).to_json()?;
        out_json.write(sk_buffer::new(json.into_bytes()));
        Ok(())
    })
}

/// The counters in their versioned binary form (for a store or stream; at most 4 MiB).
///
/// # Safety
/// `budgets` is live; `out_buffer` points to writable storage for a pointer; `err` is NULL or
/// points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_budgets_to_bytes(
    budgets: *const sk_budgets,
    out_buffer: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_buffer = out(out_buffer, "out_buffer")?;
        // SAFETY: the caller's contract.
        let budgets = unsafe { handle(budgets, "budgets") }?;
        let bytes = read(&budgets.budgets).to_bytes()?;
        out_buffer.write(sk_buffer::new(bytes));
        Ok(())
    })
}

/// Budget counters from their binary form; bytes that are not counters are rejected with a
/// `DECODE_*` code.
///
/// # Safety
/// `data` points to `len` readable bytes; `out_budgets` points to writable storage for a
/// pointer; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_budgets_from_bytes(
    data: *const u8,
    len: usize,
    out_budgets: *mut *mut sk_budgets,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_budgets = out(out_budgets, "out_budgets")?;
        // SAFETY: the caller's contract.
        let data = unsafe { bytes(data, len, "data") }?;
        out_budgets.write(boxed(Budgets::from_bytes(data)?));
        Ok(())
    })
}
