//! Live statistics, counted around applied events and merged by adding: a profile's mark, cohort
//! counts (visitors, first purchases, orders and revenue per source: `spec/scores.md`, "Live
//! cohorts") and KPIs (the treatment arm against the control group, and the lift).

use std::ffi::c_char;
use std::sync::RwLock;

use shopkeeper::decide::DecisionLog;
use shopkeeper::kpi::Kpis;
use shopkeeper::learn::CohortCounts;
use shopkeeper::Event;

use crate::{
    bytes, ffi, handle, merge_locked, out, read, sk_buffer, sk_engine, sk_error, sk_profile,
    sk_result, sk_timestamp, text, write,
};

/// What a profile had before an event (`sk_profile_mark`), for the live statistics
/// (`sk_cohorts_record`, `sk_kpis_record`) to count what the event changed. Treat it as a value:
/// copy it, do not edit it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct sk_mark {
    /// Whether the profile had a first session.
    pub visitor: bool,
    /// Its orders.
    pub orders: u32,
    /// What it paid, in minor units.
    pub revenue: i64,
}

impl From<sk_mark> for shopkeeper::profile::Mark {
    fn from(m: sk_mark) -> Self {
        shopkeeper::profile::Mark {
            visitor: m.visitor,
            orders: m.orders,
            revenue: m.revenue,
        }
    }
}

/// What `profile` has now, written to `out_mark`: take it before applying an event, and pass it
/// with the profile after to `sk_cohorts_record` and `sk_kpis_record`.
///
/// # Safety
/// `profile` is live; `out_mark` points to a writable `sk_mark`; `err` is NULL or points to
/// writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_mark(
    profile: *const sk_profile,
    out_mark: *mut sk_mark,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_mark = out(out_mark, "out_mark")?;
        // SAFETY: the caller's contract.
        let mark = unsafe { handle(profile, "profile") }?.profile.mark();
        out_mark.write(sk_mark {
            visitor: mark.visitor,
            orders: mark.orders,
            revenue: mark.revenue,
        });
        Ok(())
    })
}

/// Live cohort counts (`spec/scores.md`, "Live cohorts").
///
/// Thread safety: every function may be called from any number of threads at once. Recording
/// and merging take an internal write lock; decisions read under a shared lock.
pub struct sk_cohorts {
    pub(crate) counts: RwLock<CohortCounts>,
}

fn boxed(counts: CohortCounts) -> *mut sk_cohorts {
    Box::into_raw(Box::new(sk_cohorts {
        counts: RwLock::new(counts),
    }))
}

/// One source's counts.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct sk_source_counts {
    /// Profiles whose first session came from the source.
    pub visitors: u64,
    /// Of them, those who made a first purchase.
    pub first_purchases: u64,
    /// Their orders.
    pub orders: u64,
    /// What they paid, in minor units.
    pub revenue: i64,
}

/// New, empty cohort counts named by the field of the engine's models' cohorts (the affiliate
/// when the models have none), following the visitors whose first session starts at or after
/// `since` (when counting starts; 0 counts every profile).
///
/// # Safety
/// `engine` is a live engine; `out_cohorts` points to writable storage for a pointer; `err` is
/// NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_new_cohorts(
    engine: *const sk_engine,
    since: sk_timestamp,
    out_cohorts: *mut *mut sk_cohorts,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_cohorts = out(out_cohorts, "out_cohorts")?;
        // SAFETY: the caller's contract.
        let engine = unsafe { handle(engine, "engine") }?;
        let key = engine.engine.models().cohort_key();
        out_cohorts.write(boxed(CohortCounts::new(key, since)?));
        Ok(())
    })
}

/// Frees cohort counts. NULL does nothing.
///
/// # Safety
/// `cohorts` is NULL or counts from this library that no thread uses any more.
#[no_mangle]
pub unsafe extern "C" fn sk_cohorts_free(cohorts: *mut sk_cohorts) {
    ffi!(or(), {
        if !cohorts.is_null() {
            // SAFETY: the caller gives back counts this library boxed, once.
            drop(unsafe { Box::from_raw(cohorts) });
        }
    })
}

/// Counts what changed in `profile` since `before` (its `sk_profile_mark` before an event was
/// applied): a first session makes a visitor; new orders and their revenue count, the first as a
/// first purchase. Call it around applied events, never around a merge.
///
/// # Safety
/// `cohorts` and `profile` are live; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_cohorts_record(
    cohorts: *const sk_cohorts,
    before: sk_mark,
    profile: *const sk_profile,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let (cohorts, profile) =
            unsafe { (handle(cohorts, "cohorts")?, handle(profile, "profile")?) };
        let mut counts = write(&cohorts.counts);
        counts.record(before.into(), &profile.profile);
        Ok(())
    })
}

/// Adds `other`'s counts (another node's) into `cohorts`. Fails, changing nothing, for counts by
/// another field (`SK_RESULT_INVALID_DATA`) or a union past the cap (`SK_RESULT_LIMIT_EXCEEDED`).
/// `other` may be `cohorts` (doubles its counts).
///
/// # Safety
/// `cohorts` and `other` are live; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_cohorts_merge(
    cohorts: *const sk_cohorts,
    other: *const sk_cohorts,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let (cohorts, other) = unsafe { (handle(cohorts, "cohorts")?, handle(other, "other")?) };
        merge_locked(&cohorts.counts, &other.counts, CohortCounts::merge)?;
        Ok(())
    })
}

/// The counts of `source` (all zero for a source never seen).
///
/// # Safety
/// `cohorts` is live; `source` is (pointer, length) UTF-8; `out_counts` points to a writable
/// `sk_source_counts`; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_cohorts_source(
    cohorts: *const sk_cohorts,
    source: *const c_char,
    source_len: usize,
    out_counts: *mut sk_source_counts,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_counts = out(out_counts, "out_counts")?;
        // SAFETY: the caller's contract.
        let (cohorts, source) = unsafe {
            (
                handle(cohorts, "cohorts")?,
                text(source, source_len, "source")?,
            )
        };
        let c = read(&cohorts.counts).source(source);
        out_counts.write(sk_source_counts {
            visitors: c.visitors,
            first_purchases: c.first_purchases,
            orders: c.orders,
            revenue: c.revenue,
        });
        Ok(())
    })
}

/// Every source's counts as JSON: `{"by": "affiliate", "since": 0, "sources": {"gadgets.com":
/// {"visitors": 1, "first_purchases": 0, "orders": 0, "revenue": 0}}}`.
///
/// # Safety
/// `cohorts` is live; `out_json` points to writable storage for a pointer; `err` is NULL or
/// points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_cohorts_to_json(
    cohorts: *const sk_cohorts,
    out_json: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_json = out(out_json, "out_json")?;
        // SAFETY: the caller's contract.
        let cohorts = unsafe { handle(cohorts, "cohorts") }?;
        let json = read(&cohorts.counts).to_json()?;
        out_json.write(sk_buffer::new(json.into_bytes()));
        Ok(())
    })
}

/// The counts in their versioned binary form (for a store or stream; at most 4 MiB).
///
/// # Safety
/// `cohorts` is live; `out_buffer` points to writable storage for a pointer; `err` is NULL or
/// points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_cohorts_to_bytes(
    cohorts: *const sk_cohorts,
    out_buffer: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_buffer = out(out_buffer, "out_buffer")?;
        // SAFETY: the caller's contract.
        let cohorts = unsafe { handle(cohorts, "cohorts") }?;
        let bytes = read(&cohorts.counts).to_bytes()?;
        out_buffer.write(sk_buffer::new(bytes));
        Ok(())
    })
}

/// Counts from their binary form; bytes that are not counts are rejected with a `DECODE_*` code.
///
/// # Safety
/// `data` points to `len` readable bytes; `out_cohorts` points to writable storage for a
/// pointer; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_cohorts_from_bytes(
    data: *const u8,
    len: usize,
    out_cohorts: *mut *mut sk_cohorts,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_cohorts = out(out_cohorts, "out_cohorts")?;
        // SAFETY: the caller's contract.
        let data = unsafe { bytes(data, len, "data") }?;
        out_cohorts.write(boxed(CohortCounts::from_bytes(data)?));
        Ok(())
    })
}

/// Live KPIs: the customers of the treatment arm and of the control group, what they bought, and
/// the lift between them (`spec/catalog.md`, "Proof that it pays").
///
/// Thread safety: as `sk_cohorts`.
pub struct sk_kpis {
    pub(crate) kpis: RwLock<Kpis>,
}

fn boxed_kpis(kpis: Kpis) -> *mut sk_kpis {
    Box::into_raw(Box::new(sk_kpis {
        kpis: RwLock::new(kpis),
    }))
}

/// New, empty KPIs following the customers whose first session starts at or after `since`
/// (when counting starts; 0 counts every profile).
///
/// # Safety
/// `out_kpis` points to writable storage for a pointer; `err` is NULL or points to writable
/// storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_kpis_new(
    since: sk_timestamp,
    out_kpis: *mut *mut sk_kpis,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_kpis = out(out_kpis, "out_kpis")?;
        out_kpis.write(boxed_kpis(Kpis::new(since)?));
        Ok(())
    })
}

/// Frees KPIs. NULL does nothing.
///
/// # Safety
/// `kpis` is NULL or KPIs from this library that no thread uses any more.
#[no_mangle]
pub unsafe extern "C" fn sk_kpis_free(kpis: *mut sk_kpis) {
    ffi!(or(), {
        if !kpis.is_null() {
            // SAFETY: the caller gives back KPIs this library boxed, once.
            drop(unsafe { Box::from_raw(kpis) });
        }
    })
}

/// Whether `profile` is in the engine's universal control group (its KPIs count in the control
/// arm, and its decisions give only the default action).
///
/// # Safety
/// `engine` and `profile` are live; `out_control` points to a writable bool; `err` is NULL or
/// points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_in_control_group(
    engine: *const sk_engine,
    profile: *const sk_profile,
    out_control: *mut bool,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_control = out(out_control, "out_control")?;
        // SAFETY: the caller's contract.
        let (engine, profile) = unsafe { (handle(engine, "engine")?, handle(profile, "profile")?) };
        out_control.write(engine.engine.in_control_group(&profile.profile));
        Ok(())
    })
}

/// Counts what changed in `profile` since `before` (its `sk_profile_mark` before an event was
/// applied), in the control arm when `control` (`sk_engine_in_control_group`), else in the
/// treatment's: a first session makes a customer with what they had bought; later orders add.
///
/// # Safety
/// `kpis` and `profile` are live; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_kpis_record(
    kpis: *const sk_kpis,
    before: sk_mark,
    profile: *const sk_profile,
    control: bool,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let (kpis, profile) = unsafe { (handle(kpis, "kpis")?, handle(profile, "profile")?) };
        let mut kpis = write(&kpis.kpis);
        kpis.record(before.into(), &profile.profile, control);
        Ok(())
    })
}

/// Counts a decision (its record: the `log` of the decision's JSON, or a log line's `decision`;
/// `spec/learning.md`, "Decision logs"): each pick once, in its segment, at its time.
///
/// # Safety
/// `kpis` is live; `record` is (pointer, length) UTF-8; `err` is NULL or points to writable
/// storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_kpis_record_decision(
    kpis: *const sk_kpis,
    record: *const c_char,
    record_len: usize,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let (kpis, record) =
            unsafe { (handle(kpis, "kpis")?, text(record, record_len, "record")?) };
        let record = DecisionLog::from_json(record)?;
        let mut kpis = write(&kpis.kpis);
        kpis.record_decision(&record)?;
        Ok(())
    })
}

/// Counts an `offer_shown`, `offer_accepted` or `offer_dismissed` event (JSON, as
/// `sk_profile_apply_json` reads it) for an offer the decision of `record` showed; writes
/// whether it counted (any other event or offer counts nothing).
///
/// # Safety
/// `kpis` is live; `record` and `event` are (pointer, length) UTF-8; `out_counted` points to a
/// writable bool; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_kpis_record_offer(
    kpis: *const sk_kpis,
    record: *const c_char,
    record_len: usize,
    event: *const c_char,
    event_len: usize,
    out_counted: *mut bool,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_counted = out(out_counted, "out_counted")?;
        // SAFETY: the caller's contract.
        let (kpis, record, event) = unsafe {
            (
                handle(kpis, "kpis")?,
                text(record, record_len, "record")?,
                text(event, event_len, "event")?,
            )
        };
        let record = DecisionLog::from_json(record)?;
        let event = Event::from_json(event)?;
        let mut kpis = write(&kpis.kpis);
        let counted = kpis.record_offer(&record, &event)?;
        out_counted.write(counted);
        Ok(())
    })
}

/// Adds `other`'s counts (another node's) into `kpis`. Fails, changing nothing, for KPIs since
/// another time (`SK_RESULT_INVALID_DATA`), or when a kept bucket would count more offers than
/// its cap (`SK_RESULT_LIMIT_EXCEEDED`). `other` may be `kpis` (doubles its counts).
///
/// # Safety
/// `kpis` and `other` are live; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_kpis_merge(
    kpis: *const sk_kpis,
    other: *const sk_kpis,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let (kpis, other) = unsafe { (handle(kpis, "kpis")?, handle(other, "other")?) };
        merge_locked(&kpis.kpis, &other.kpis, Kpis::merge)?;
        Ok(())
    })
}

/// The counts of both arms and the lift as JSON (`spec/catalog.md`, "Proof that it pays"):
/// `{"since", "treatment", "control", "lift": {"conversion", "revenue_per_customer",
/// "verdict"}, "summary"}`.
///
/// # Safety
/// `kpis` is live; `out_json` points to writable storage for a pointer; `err` is NULL or points
/// to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_kpis_to_json(
    kpis: *const sk_kpis,
    out_json: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_json = out(out_json, "out_json")?;
        // SAFETY: the caller's contract.
        let kpis = unsafe { handle(kpis, "kpis") }?;
        let json = read(&kpis.kpis).to_json()?;
        out_json.write(sk_buffer::new(json.into_bytes()));
        Ok(())
    })
}

/// The KPIs in their versioned binary form (for a store or stream; at most 32 MiB).
///
/// # Safety
/// `kpis` is live; `out_buffer` points to writable storage for a pointer; `err` is NULL or
/// points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_kpis_to_bytes(
    kpis: *const sk_kpis,
    out_buffer: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_buffer = out(out_buffer, "out_buffer")?;
        // SAFETY: the caller's contract.
        let kpis = unsafe { handle(kpis, "kpis") }?;
        let bytes = read(&kpis.kpis).to_bytes()?;
        out_buffer.write(sk_buffer::new(bytes));
        Ok(())
    })
}

/// KPIs from their binary form; bytes that are not KPIs are rejected with a `DECODE_*` code.
///
/// # Safety
/// `data` points to `len` readable bytes; `out_kpis` points to writable storage for a pointer;
/// `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_kpis_from_bytes(
    data: *const u8,
    len: usize,
    out_kpis: *mut *mut sk_kpis,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_kpis = out(out_kpis, "out_kpis")?;
        // SAFETY: the caller's contract.
        let data = unsafe { bytes(data, len, "data") }?;
        out_kpis.write(boxed_kpis(Kpis::from_bytes(data)?));
        Ok(())
    })
}
