//! Learners (decayed accept and reject counts behind adaptive propensities), off-policy
//! estimates, and the documented random draws the conformance vectors pin.

use std::ffi::c_char;
use std::sync::RwLock;

use shopkeeper::decide::control_bucket;
use shopkeeper::decide::{DecisionLog, LogEntry};
use shopkeeper::learn::ope::{ipw, snipw, Estimate, Logged};
use shopkeeper::learn::{check_bin_count, sample_beta, Learner, Response};

use shopkeeper::ErrorCode;

use crate::{
    bytes, ffi, handle, items, merge_locked, out, read, sk_buffer, sk_engine, sk_error, sk_result,
    sk_str, sk_timestamp, text, write, Failure,
};

/// A learner: decayed accept and reject counts per offer and segment (`spec/learning.md`).
///
/// Thread safety: every learner function may be called from any number of threads at once.
/// Updates and merges take an internal write lock (one at a time); decisions read under a shared
/// lock, so many threads decide concurrently while another records responses.
pub struct sk_learner {
    pub(crate) learner: RwLock<Learner>,
}

fn boxed(learner: Learner) -> *mut sk_learner {
    Box::into_raw(Box::new(sk_learner {
        learner: RwLock::new(learner),
    }))
}

/// A new, empty learner whose counts halve every `half_life` seconds (1 minute to 10 years).
///
/// # Safety
/// `out_learner` points to writable storage for a pointer; `err` is NULL or points to writable
/// storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_new(
    half_life: sk_timestamp,
    out_learner: *mut *mut sk_learner,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_learner = out(out_learner, "out_learner")?;
        out_learner.write(boxed(Learner::new(half_life)?));
        Ok(())
    })
}

/// A new, empty learner with both half-lives: `recent_half_life` (at most `half_life`) is how
/// fast predictors notice a change (`spec/learning.md`, "Predictors"); `sk_learner_new` uses a
/// sixteenth of the half-life.
///
/// # Safety
/// As `sk_learner_new`.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_new_with_recent(
    half_life: sk_timestamp,
    recent_half_life: sk_timestamp,
    out_learner: *mut *mut sk_learner,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_learner = out(out_learner, "out_learner")?;
        out_learner.write(boxed(Learner::with_recent(half_life, recent_half_life)?));
        Ok(())
    })
}

/// A new, empty learner with the half-lives of the engine's catalog (`learning.half_life` and
/// `learning.recent_half_life`).
///
/// # Safety
/// `engine` is a live engine; otherwise as `sk_learner_new`.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_new_learner(
    engine: *const sk_engine,
    out_learner: *mut *mut sk_learner,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_learner = out(out_learner, "out_learner")?;
        // SAFETY: the caller's contract.
        let engine = unsafe { handle(engine, "engine") }?;
        out_learner.write(boxed(engine.engine.catalog().new_learner()?));
        Ok(())
    })
}

/// Frees a learner. NULL does nothing.
///
/// # Safety
/// `learner` is NULL or a learner from this library that no thread uses any more.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_free(learner: *mut sk_learner) {
    ffi!(or(), {
        if !learner.is_null() {
            // SAFETY: the caller gives back a learner this library boxed, once.
            drop(unsafe { Box::from_raw(learner) });
        }
    })
}

/// A response to a shown offer, as the learner counts it: one of the `SK_RESPONSE_` constants (a
/// plain integer, so an unknown number is an `SK_RESULT_INVALID_REQUEST` error rather than
/// undefined behaviour).
pub type sk_response = u32;
/// Taken up: one accept.
pub const SK_RESPONSE_ACCEPTED: sk_response = 0;
/// Turned down: one reject.
pub const SK_RESPONSE_DISMISSED: sk_response = 1;
/// Shown and left alone until it no longer mattered: one reject.
pub const SK_RESPONSE_IGNORED: sk_response = 2;

/// Records a response to `offer`, shown in `segment` (the decision's `segment`), at time `at`.
/// A late response (older than the learner's clock) counts with its decayed weight.
///
/// # Safety
/// `learner` is a live learner (shared between threads is fine); strings are (pointer, length)
/// UTF-8; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_update(
    learner: *const sk_learner,
    offer: *const c_char,
    offer_len: usize,
    segment: *const c_char,
    segment_len: usize,
    response: sk_response,
    at: sk_timestamp,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let learner = unsafe { handle(learner, "learner") }?;
        // SAFETY: the caller's contract.
        let (offer, segment) = unsafe {
            (
                text(offer, offer_len, "offer")?,
                text(segment, segment_len, "segment")?,
            )
        };
        let response = core_response(response)?;
        let mut learner = write(&learner.learner);
        learner.update(offer, segment, response, at)?;
        Ok(())
    })
}

/// `sk_learner_update` for a customer in the predictor `bins` (`name=value` each, as a decision's
/// log record lists them under `predictors`): the offer's predictor model learns them too. A bin
/// that is not `name=value` with a valid name, a repeated bin or more than 64 are an
/// `SK_RESULT_INVALID_DATA` or `SK_RESULT_LIMIT_EXCEEDED` error that changes nothing.
///
/// # Safety
/// As `sk_learner_update`; `bins` points to `bins_len` readable `sk_str` (NULL when 0), each
/// (pointer, length) UTF-8.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_update_with(
    learner: *const sk_learner,
    offer: *const c_char,
    offer_len: usize,
    segment: *const c_char,
    segment_len: usize,
    bins: *const sk_str,
    bins_len: usize,
    response: sk_response,
    at: sk_timestamp,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let learner = unsafe { handle(learner, "learner") }?;
        check_bin_count(bins_len)?;
        // SAFETY: the caller's contract.
        let (offer, segment, raw) = unsafe {
            (
                text(offer, offer_len, "offer")?,
                text(segment, segment_len, "segment")?,
                items(bins, bins_len, "bins")?,
            )
        };
        let bins = raw
            .iter()
            // SAFETY: the caller's contract: each is (pointer, length) UTF-8.
            .map(|b| unsafe { text(b.ptr, b.len, "bins") })
            .collect::<Result<Vec<&str>, Failure>>()?;
        let response = core_response(response)?;
        let mut learner = write(&learner.learner);
        learner.update_with(offer, segment, &bins, response, at)?;
        Ok(())
    })
}

/// The core response of an `SK_RESPONSE_` constant.
fn core_response(raw: sk_response) -> Result<Response, Failure> {
    match raw {
        SK_RESPONSE_ACCEPTED => Ok(Response::Accepted),
        SK_RESPONSE_DISMISSED => Ok(Response::Dismissed),
        SK_RESPONSE_IGNORED => Ok(Response::Ignored),
        _ => Err(Failure::new(
            ErrorCode::InvalidRequest,
            format!("unknown response {raw}: use an SK_RESPONSE_ constant"),
        )),
    }
}

/// Credits a response to `offer` in the segment of the decision that showed it: `record` is that
/// decision's log record as JSON (the `log` of `sk_engine_decide_json`'s decision, or the
/// `decision` of a decision-log line; `spec/learning.md`). Writes whether it was credited to
/// `out_credited`: false, changing nothing, when that decision did not show the offer.
///
/// # Safety
/// `learner` is a live learner (shared between threads is fine); strings are (pointer, length)
/// UTF-8; `out_credited` points to a writable bool; `err` is NULL or points to writable storage
/// for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_credit(
    learner: *const sk_learner,
    record: *const c_char,
    record_len: usize,
    offer: *const c_char,
    offer_len: usize,
    response: sk_response,
    at: sk_timestamp,
    out_credited: *mut bool,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_credited = out(out_credited, "out_credited")?;
        // SAFETY: the caller's contract.
        let learner = unsafe { handle(learner, "learner") }?;
        // SAFETY: the caller's contract.
        let (record, offer) = unsafe {
            (
                text(record, record_len, "record")?,
                text(offer, offer_len, "offer")?,
            )
        };
        let record = DecisionLog::from_json(record)?;
        let response = core_response(response)?;
        let mut learner = write(&learner.learner);
        out_credited.write(learner.credit(&record, offer, response, at)?);
        Ok(())
    })
}

/// Off-policy evaluation of `engine` (the candidate) on one line of a decision log
/// (`spec/learning.md`, "Decision logs"), with `learner` (NULL: priors) for its adaptive offers:
/// writes one `sk_logged` per logged pick (at most `SK_MAX_SLOTS`) to `out_logged` and their
/// number to `out_len`, for `sk_ope_ipw` and `sk_ope_snipw`.
///
/// # Safety
/// `engine` is live; `learner` is NULL or live; `line` is (pointer, length) UTF-8; `out_logged`
/// points to `SK_MAX_SLOTS` writable items; `out_len` to a writable `size_t`; `err` is NULL or
/// points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_evaluate_log(
    engine: *const sk_engine,
    line: *const c_char,
    line_len: usize,
    learner: *const sk_learner,
    out_logged: *mut sk_logged,
    out_len: *mut usize,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let (out_logged, out_len) = (out(out_logged, "out_logged")?, out(out_len, "out_len")?);
        // SAFETY: the caller's contract.
        let engine = &unsafe { handle(engine, "engine") }?.engine;
        // SAFETY: the caller's contract.
        let entry = LogEntry::from_json(unsafe { text(line, line_len, "line") }?)?;
        // SAFETY: the caller's contract.
        let guard = unsafe { learner.as_ref() }.map(|l| read(&l.learner));
        let logged = entry.evaluate(engine, guard.as_deref())?;
        for (i, l) in logged.iter().take(crate::SK_MAX_SLOTS).enumerate() {
            // SAFETY: the caller guarantees SK_MAX_SLOTS writable items; checked not NULL; a log
            // entry holds at most SK_MAX_SLOTS picks.
            unsafe {
                out_logged.0.add(i).write(sk_logged {
                    logging: l.logging,
                    target: l.target,
                    reward: l.reward,
                })
            };
        }
        out_len.write(logged.len().min(crate::SK_MAX_SLOTS));
        Ok(())
    })
}

/// Adds `other`'s counts (another server's or browser's learner) into `learner`. Both must have
/// the same half-life; on error nothing changes. `other` may be `learner` (doubles its counts).
///
/// # Safety
/// `learner` and `other` are live learners (shared between threads is fine); `err` is NULL or
/// points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_merge(
    learner: *const sk_learner,
    other: *const sk_learner,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let (learner, other) = unsafe { (handle(learner, "learner")?, handle(other, "other")?) };
        merge_locked(&learner.learner, &other.learner, Learner::merge)?;
        Ok(())
    })
}

/// The decayed counts of `offer` in `segment` at `now` (0 and 0 for an arm with no responses).
///
/// # Safety
/// `learner` is a live learner; strings are (pointer, length) UTF-8; `out_accepts` and
/// `out_rejects` point to writable doubles; `err` is NULL or points to writable storage for a
/// pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_counts(
    learner: *const sk_learner,
    offer: *const c_char,
    offer_len: usize,
    segment: *const c_char,
    segment_len: usize,
    now: sk_timestamp,
    out_accepts: *mut f64,
    out_rejects: *mut f64,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let (out_accepts, out_rejects) = (
            out(out_accepts, "out_accepts")?,
            out(out_rejects, "out_rejects")?,
        );
        // SAFETY: the caller's contract.
        let learner = unsafe { handle(learner, "learner") }?;
        // SAFETY: the caller's contract.
        let (offer, segment) = unsafe {
            (
                text(offer, offer_len, "offer")?,
                text(segment, segment_len, "segment")?,
            )
        };
        let counts = read(&learner.learner).counts(offer, segment, now);
        out_accepts.write(counts.accepts);
        out_rejects.write(counts.rejects);
        Ok(())
    })
}

/// What `offer`'s predictor model holds under `key` at `now`: `""` its totals, `name` the
/// responses where predictor `name` had a value, `name=value` one bin; the long counts (the
/// half-life's) and the recent ones. `out_counts` receives long accepts, long rejects, recent
/// accepts, recent rejects; zeros for anything never seen.
///
/// # Safety
/// `learner` is a live learner; strings are (pointer, length) UTF-8; `out_counts` points to 4
/// writable doubles; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_model_counts(
    learner: *const sk_learner,
    offer: *const c_char,
    offer_len: usize,
    key: *const c_char,
    key_len: usize,
    now: sk_timestamp,
    out_counts: *mut f64,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        if out_counts.is_null() {
            return Err(Failure::null("out_counts"));
        }
        // SAFETY: the caller's contract.
        let learner = unsafe { handle(learner, "learner") }?;
        // SAFETY: the caller's contract.
        let (offer, key) =
            unsafe { (text(offer, offer_len, "offer")?, text(key, key_len, "key")?) };
        let c = read(&learner.learner).model_counts(offer, key, now);
        let values = [
            c.long.accepts,
            c.long.rejects,
            c.recent.accepts,
            c.recent.rejects,
        ];
        // SAFETY: not NULL; the caller guarantees 4 writable doubles.
        unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), out_counts, 4) };
        Ok(())
    })
}

/// How many (offer, segment) arms the learner holds.
///
/// # Safety
/// `learner` is NULL (gives 0) or a live learner.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_len(learner: *const sk_learner) -> usize {
    ffi!(or 0, {
        // SAFETY: the caller passes NULL or a live learner.
        unsafe { learner.as_ref() }
            .map_or(0, |l| read(&l.learner).len())
    })
}

/// The learner in its versioned binary form (for a store or stream; at most 16 MiB).
///
/// # Safety
/// `learner` is a live learner; `out_buffer` points to writable storage for a pointer; `err` is
/// NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_to_bytes(
    learner: *const sk_learner,
    out_buffer: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_buffer = out(out_buffer, "out_buffer")?;
        // SAFETY: the caller's contract.
        let learner = unsafe { handle(learner, "learner") }?;
        let bytes = read(&learner.learner).to_bytes()?;
        out_buffer.write(sk_buffer::new(bytes));
        Ok(())
    })
}

/// A learner from its binary form; bytes that are not one are rejected with a `DECODE_*` code.
///
/// # Safety
/// `data` points to `len` readable bytes; `out_learner` points to writable storage for a pointer;
/// `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_learner_from_bytes(
    data: *const u8,
    len: usize,
    out_learner: *mut *mut sk_learner,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_learner = out(out_learner, "out_learner")?;
        // SAFETY: the caller's contract.
        let data = unsafe { bytes(data, len, "data") }?;
        out_learner.write(boxed(Learner::from_bytes(data)?));
        Ok(())
    })
}

/// One logged decision (or pick) for off-policy evaluation.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_logged {
    /// The logging policy's probability of what it showed, in (0, 1] (the receipt's).
    pub logging: f64,
    /// The candidate policy's probability of showing the same, in [0, 1]
    /// (`sk_engine_pick_probabilities`).
    pub target: f64,
    /// What happened: 1 for an accept or click, 0 otherwise.
    pub reward: f64,
}

/// An estimate of a policy's value with its uncertainty.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_estimate {
    /// The estimated value per logged item (the accept rate, for 0/1 rewards).
    pub value: f64,
    /// Its standard error.
    pub std_error: f64,
    /// The interval's low end (`value - z std_error`).
    pub low: f64,
    /// The interval's high end.
    pub high: f64,
    /// `(sum w)^2 / sum(w^2)`: how many logged items the estimate is worth.
    pub effective_sample_size: f64,
    /// Logged items read.
    pub n: usize,
}

/// # Safety
/// The pointers follow the contract of the export that calls it.
unsafe fn estimate(
    logs: *const sk_logged,
    logs_len: usize,
    z: f64,
    out_estimate: *mut sk_estimate,
    err: *mut *mut sk_error,
    estimator: fn(&[Logged], f64) -> Result<Estimate, shopkeeper::Error>,
) -> sk_result {
    ffi!(err, {
        let out_estimate = out(out_estimate, "out_estimate")?;
        // SAFETY: every caller forwards its caller's `logs_len` readable items.
        let logs: Vec<Logged> = unsafe { items(logs, logs_len, "logs") }?
            .iter()
            .map(|l| Logged {
                logging: l.logging,
                target: l.target,
                reward: l.reward,
            })
            .collect();
        let e = estimator(&logs, z)?;
        out_estimate.write(sk_estimate {
            value: e.value,
            std_error: e.std_error,
            low: e.low,
            high: e.high,
            effective_sample_size: e.effective_sample_size,
            n: e.n,
        });
        Ok(())
    })
}

/// The inverse-propensity-weighted estimate of the target policy's value over `logs`, with a
/// `z`-standard-error interval (1.96 for 95%).
///
/// # Safety
/// `logs` points to `logs_len` readable items; `out_estimate` points to a writable
/// `sk_estimate`; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_ope_ipw(
    logs: *const sk_logged,
    logs_len: usize,
    z: f64,
    out_estimate: *mut sk_estimate,
    err: *mut *mut sk_error,
) -> sk_result {
    estimate(logs, logs_len, z, out_estimate, err, ipw)
}

/// The self-normalised IPW estimate (less variance with large weights), with a delta-method
/// interval. Fails with `SK_RESULT_INVALID_DATA` when no logged item has a positive weight.
///
/// # Safety
/// As `sk_ope_ipw`.
#[no_mangle]
pub unsafe extern "C" fn sk_ope_snipw(
    logs: *const sk_logged,
    logs_len: usize,
    z: f64,
    out_estimate: *mut sk_estimate,
    err: *mut *mut sk_error,
) -> sk_result {
    estimate(logs, logs_len, z, out_estimate, err, snipw)
}

/// The documented Beta(a, b) draw of the SplitMix64 stream seeded with `seed`
/// (`spec/learning.md`): what adaptive propensities sample. `a` and `b` must be positive and
/// finite.
///
/// # Safety
/// `out_value` points to a writable double; `err` is NULL or points to writable storage for a
/// pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_sample_beta(
    seed: u64,
    a: f64,
    b: f64,
    out_value: *mut f64,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_value = out(out_value, "out_value")?;
        out_value.write(sample_beta(seed, a, b)?);
        Ok(())
    })
}

/// The control-group bucket of `customer` under `salt`, in [0, 1): a customer is in a control
/// group of share `s` when the bucket is below `s` (`spec/catalog.md`).
///
/// # Safety
/// Strings are (pointer, length) UTF-8; `out_value` points to a writable double; `err` is NULL or
/// points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_control_bucket(
    salt: *const c_char,
    salt_len: usize,
    customer: *const c_char,
    customer_len: usize,
    out_value: *mut f64,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_value = out(out_value, "out_value")?;
        // SAFETY: the caller's contract.
        let (salt, customer) = unsafe {
            (
                text(salt, salt_len, "salt")?,
                text(customer, customer_len, "customer")?,
            )
        };
        out_value.write(control_bucket(salt, customer));
        Ok(())
    })
}
