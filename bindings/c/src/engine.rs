//! Engines (a compiled catalog with its models), decisions and scores; contexts are in context.rs.

use std::ffi::c_char;

use shopkeeper::decide::{Catalog, DecisionRequest, Engine, Live, Request, MAX_SLOTS};
use shopkeeper::limits::{MAX_MESSAGE_LEN, MAX_NAME_LEN};
use shopkeeper::rules::Context;
use shopkeeper::score::Models;
use shopkeeper::Channel;

use shopkeeper::ErrorCode;

use crate::{
    ffi, handle, items, optional_text, out, read, sk_budgets, sk_buffer, sk_cohorts, sk_context,
    sk_error, sk_learner, sk_profile, sk_result, sk_str, sk_timestamp, text, Failure,
};

/// A compiled catalog with its models. Immutable: one engine may be used by any number of
/// threads at once. Free with `sk_engine_free` once no thread uses it (picks borrow its ids).
pub struct sk_engine {
    pub(crate) engine: Engine,
}

/// Most picks one decision returns (a request's largest `slots`).
pub const SK_MAX_SLOTS: usize = 16;

/// Longest learning segment, in bytes (the learner's limit for segment names).
pub const SK_MAX_SEGMENT_LEN: usize = 64;

/// Longest message text, in bytes.
pub const SK_MAX_MESSAGE_LEN: usize = 8192;

/// The size of `sk_decision.segment`: the longest segment and its NUL.
pub const SK_SEGMENT_BUFFER_LEN: usize = 65;

// Literals for the header; the core's limits must match.
const _: () = assert!(
    SK_MAX_SLOTS == MAX_SLOTS
        && SK_MAX_SEGMENT_LEN == MAX_NAME_LEN
        && SK_MAX_MESSAGE_LEN == MAX_MESSAGE_LEN
        && SK_SEGMENT_BUFFER_LEN == SK_MAX_SEGMENT_LEN + 1
);

/// Compiles `catalog` (JSON, `spec/catalog.md`) with `models` (JSON, `shopkeeper fit --out`;
/// NULL for none) into an engine. `now` (seconds since the epoch) only dates the warnings about
/// validity windows; use `sk_catalog_check` to read warnings.
///
/// On a bad catalog: `SK_RESULT_INVALID_CATALOG`, and the error lists every problem (its line and
/// column are the first error's).
///
/// # Safety
/// Strings are (pointer, length) UTF-8 valid for the call; `out` points to writable storage for
/// a pointer; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_new(
    catalog: *const c_char,
    catalog_len: usize,
    models: *const c_char,
    models_len: usize,
    now: sk_timestamp,
    out_engine: *mut *mut sk_engine,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_engine = out(out_engine, "out_engine")?;
        // SAFETY: the caller's contract.
        let catalog = unsafe { text(catalog, catalog_len, "catalog") }?;
        // SAFETY: the caller's contract.
        let models = unsafe { optional_text(models, models_len, "models") }?;
        let models = models
            .map(Models::from_json)
            .transpose()?
            .unwrap_or_default();
        let catalog = Catalog::compile(catalog, now).map_err(|problems| {
            Failure::new(ErrorCode::InvalidCatalog, problems.render()).at(problems.location())
        })?;
        let engine = Engine::new(catalog, models)?;
        out_engine.write(Box::into_raw(Box::new(sk_engine { engine })));
        Ok(())
    })
}

/// Frees an engine. NULL does nothing.
///
/// # Safety
/// `engine` is NULL or an engine from this library that no thread uses any more, and nothing
/// borrowed from it (an `sk_decision`'s offer ids) is read afterwards.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_free(engine: *mut sk_engine) {
    ffi!(or(), {
        if !engine.is_null() {
            // SAFETY: the caller gives back an engine this library boxed, once.
            drop(unsafe { Box::from_raw(engine) });
        }
    })
}

/// The catalog's version string, borrowed from the engine.
///
/// # Safety
/// `engine` is NULL (gives an empty string) or a live engine.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_catalog_version(engine: *const sk_engine) -> sk_str {
    ffi!(or sk_str::of(""), {
        // SAFETY: the caller passes NULL or a live engine.
        unsafe { engine.as_ref() }.map_or(sk_str::of(""), |e| sk_str::of(e.engine.catalog().version()))
    })
}

/// The channels a request can come from: one of the `SK_CHANNEL_` constants. A plain integer
/// rather than a C enum so that any number a caller passes is defined behaviour: an unknown one
/// gives `SK_RESULT_INVALID_REQUEST`.
pub type sk_channel = u32;
/// The web shop.
pub const SK_CHANNEL_WEB: sk_channel = 0;
/// The mobile app.
pub const SK_CHANNEL_MOBILE: sk_channel = 1;
/// A physical store (POS).
pub const SK_CHANNEL_STORE: sk_channel = 2;
/// The contact centre.
pub const SK_CHANNEL_CONTACT_CENTRE: sk_channel = 3;
/// E-mail.
pub const SK_CHANNEL_EMAIL: sk_channel = 4;
/// An in-store kiosk.
pub const SK_CHANNEL_KIOSK: sk_channel = 5;
/// A chat, with a person or a bot.
pub const SK_CHANNEL_CHAT: sk_channel = 6;
/// A social network.
pub const SK_CHANNEL_SOCIAL: sk_channel = 7;

/// The core channel of an `SK_CHANNEL_` constant.
pub(crate) fn core_channel(raw: sk_channel) -> Result<Channel, Failure> {
    Ok(match raw {
        SK_CHANNEL_WEB => Channel::Web,
        SK_CHANNEL_MOBILE => Channel::Mobile,
        SK_CHANNEL_STORE => Channel::Store,
        SK_CHANNEL_CONTACT_CENTRE => Channel::ContactCentre,
        SK_CHANNEL_EMAIL => Channel::Email,
        SK_CHANNEL_KIOSK => Channel::Kiosk,
        SK_CHANNEL_CHAT => Channel::Chat,
        SK_CHANNEL_SOCIAL => Channel::Social,
        _ => {
            return Err(Failure::new(
                ErrorCode::InvalidRequest,
                format!("unknown channel {raw}: use an SK_CHANNEL_ constant"),
            ))
        }
    })
}

/// One decision request.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_request {
    /// Where the picks will be shown.
    pub channel: sk_channel,
    /// How many offers to pick: 1 to `SK_MAX_SLOTS`.
    pub slots: u32,
    /// The caller's clock, in seconds since the epoch.
    pub now: sk_timestamp,
    /// Seeds tie-breaks and adaptive sampling: same inputs and seed, same decision.
    pub seed: u64,
    /// Whether to compute each pick's logged probability (`sk_pick.probability`), for off-policy
    /// evaluation: cheap unless the decision depends on the seed (`spec/learning.md`). Zero (the
    /// default of `{channel, slots, now, seed}`) skips it.
    pub log: bool,
}

impl sk_request {
    pub(crate) fn request(&self) -> Result<Request, Failure> {
        Ok(Request::new(core_channel(self.channel)?, self.now)
            .slots(self.slots as usize)
            .seed(self.seed)
            .log(self.log))
    }
}

/// One pick of a decision.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_pick {
    /// The offer's (or default action's) id, borrowed from the engine: valid while it lives.
    pub offer: sk_str,
    /// Whether this is the catalog's default action (nothing qualified, or suppressed). Do not
    /// record the default action as shown.
    pub is_default: bool,
    /// `propensity x context_weight x value x lever`; NaN for the default action.
    pub score: f64,
    /// The propensity in [0, 1]; NaN for the default action.
    pub propensity: f64,
    /// The product of the context weights that held; NaN for the default action.
    pub context_weight: f64,
    /// The offer's value; NaN for the default action.
    pub value: f64,
    /// The offer's lever; NaN for the default action.
    pub lever: f64,
    /// The probability that the policy puts this offer at this rank (what off-policy evaluation
    /// divides by), when the request set `log` or asked for the receipt; NaN otherwise.
    pub probability: f64,
}

/// A decision: the picks, best first, and what the caller needs to record responses.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_decision {
    /// The picks; the first `picks_len` are set.
    pub picks: [sk_pick; SK_MAX_SLOTS],
    /// How many picks (at least 1: the default action when nothing qualifies).
    pub picks_len: usize,
    /// Whether the picks are the default action.
    pub fallback: bool,
    /// Whether the customer is in the universal control group.
    pub control_group: bool,
    /// The learning segment, NUL-terminated (`segment_len` bytes): record responses to these
    /// picks in the learner under it.
    pub segment: [c_char; SK_SEGMENT_BUFFER_LEN],
    /// The segment's length in bytes.
    pub segment_len: usize,
}

/// Decides the next best offers for `profile` and writes them to `out_decision`. `context` may be
/// NULL (no context values); `learner` may be NULL (adaptive offers sample from their priors).
/// With `out_receipt` not NULL, also writes the receipt (JSON, `spec/catalog.md`): slower, it
/// explains every offer. Reads the profile and changes nothing: record shown offers with
/// `sk_profile_offer_feedback(..., SK_FEEDBACK_SHOWN, ...)` for each pick that is not the default.
/// Fails with `SK_RESULT_TOO_LONG` if the catalog's learning segment evaluates to more than
/// `SK_MAX_SEGMENT_LEN` bytes (a learner could not record responses under it).
///
/// # Safety
/// `engine`, `profile` and `request` are live; `context` and `learner` are NULL or live;
/// `out_decision` points to a writable `sk_decision`; `out_receipt` and `err` are NULL or point to
/// writable storage for a pointer. Thread safety: the engine and learner may be shared; the
/// profile and context must not be changed by another thread during the call.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_decide(
    engine: *const sk_engine,
    profile: *const sk_profile,
    context: *const sk_context,
    request: *const sk_request,
    learner: *const sk_learner,
    out_decision: *mut sk_decision,
    out_receipt: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    let live = sk_live {
        learner,
        ..sk_live::default()
    };
    // SAFETY: forwarded.
    unsafe {
        decide_struct(
            engine,
            profile,
            context,
            request,
            &live,
            out_decision,
            out_receipt,
            err,
        )
    }
}

/// What a fleet has learned and spent, read by a decision beside the profile
/// (`sk_engine_decide_live`, `sk_engine_decide_json_live`). Every member may be NULL: without a
/// learner adaptive offers sample their priors, without cohort counts `cohort.visitors` and
/// `cohort.conversion` are missing, without budget counters no budget is spent. Zero it
/// (`sk_live live = {0};`) and set what you have.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_live {
    /// Acceptance statistics of adaptive offers.
    pub learner: *const sk_learner,
    /// Live cohort counts.
    pub cohorts: *const sk_cohorts,
    /// What budgeted offers spent in their periods.
    pub budgets: *const sk_budgets,
}

impl Default for sk_live {
    fn default() -> Self {
        sk_live {
            learner: std::ptr::null(),
            cohorts: std::ptr::null(),
            budgets: std::ptr::null(),
        }
    }
}

/// `sk_engine_decide`, with what the fleet has learned and spent (`live`, NULL for nothing):
/// the learner, cohort counts, and budget counters, whose offers' budgets drop or pace them.
/// Fails with `SK_RESULT_INVALID_DATA` for cohort counts by another field than the models'
/// cohorts.
///
/// # Safety
/// As `sk_engine_decide`; `live` is NULL or points to an `sk_live` whose members are NULL or
/// live (shared between threads is fine).
#[no_mangle]
pub unsafe extern "C" fn sk_engine_decide_live(
    engine: *const sk_engine,
    profile: *const sk_profile,
    context: *const sk_context,
    request: *const sk_request,
    live: *const sk_live,
    out_decision: *mut sk_decision,
    out_receipt: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    // SAFETY: the caller's contract.
    let live = unsafe { live.as_ref() }.copied().unwrap_or_default();
    // SAFETY: forwarded.
    unsafe {
        decide_struct(
            engine,
            profile,
            context,
            request,
            &live,
            out_decision,
            out_receipt,
            err,
        )
    }
}

/// The body of `sk_engine_decide` and `sk_engine_decide_live`.
///
/// # Safety
/// As `sk_engine_decide_live`.
#[allow(clippy::too_many_arguments)]
unsafe fn decide_struct(
    engine: *const sk_engine,
    profile: *const sk_profile,
    context: *const sk_context,
    request: *const sk_request,
    live: &sk_live,
    out_decision: *mut sk_decision,
    out_receipt: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_decision = out(out_decision, "out_decision")?;
        // SAFETY: the caller's contract.
        let (engine, profile, request) = unsafe {
            (
                &handle(engine, "engine")?.engine,
                &handle(profile, "profile")?.profile,
                handle(request, "request")?,
            )
        };
        // SAFETY: the caller's contract.
        let context = unsafe { context.as_ref() };
        let mut empty = None;
        let context = sk_context::or_empty(context, engine.catalog().schema(), &mut empty);
        let request = request.request()?.explain(!out_receipt.is_null());
        // SAFETY: the caller's contract.
        let decision = decide(engine, profile, context, &request, unsafe { live.read() })?;
        let none = sk_pick {
            offer: sk_str::of(""),
            is_default: false,
            score: f64::NAN,
            propensity: f64::NAN,
            context_weight: f64::NAN,
            value: f64::NAN,
            lever: f64::NAN,
            probability: f64::NAN,
        };
        let mut result = sk_decision {
            picks: [none; SK_MAX_SLOTS],
            picks_len: decision.picks().len().min(SK_MAX_SLOTS),
            fallback: decision.fallback(),
            control_group: decision.control_group(),
            segment: [0; SK_SEGMENT_BUFFER_LEN],
            segment_len: 0,
        };
        for (slot, pick) in result.picks.iter_mut().zip(decision.picks()) {
            slot.offer = sk_str::of(pick.action.id());
            slot.is_default = pick.score.is_none();
            slot.probability = pick.probability.unwrap_or(f64::NAN);
            if let Some(s) = pick.score {
                slot.score = s.score;
                slot.propensity = s.propensity;
                slot.context_weight = s.context_weight;
                slot.value = s.value;
                slot.lever = s.lever;
            }
        }
        // The core refuses a segment longer than SK_MAX_SEGMENT_LEN (`too_long`), so it fits.
        let segment = decision.segment().as_bytes();
        for (to, from) in result.segment.iter_mut().zip(segment) {
            *to = *from as c_char;
        }
        result.segment_len = segment.len();
        let receipt = match decision.into_receipt() {
            Some(receipt) if !out_receipt.is_null() => {
                Some(sk_buffer::new(receipt.to_json()?.into_bytes()))
            }
            _ => None,
        };
        out_decision.write(result);
        if let Some(receipt) = receipt {
            // SAFETY: not NULL; the caller's contract.
            unsafe { *out_receipt = receipt };
        }
        Ok(())
    })
}

/// The members of an `sk_live` that are given.
type LiveRefs<'a> = (
    Option<&'a sk_learner>,
    Option<&'a sk_cohorts>,
    Option<&'a sk_budgets>,
);

impl sk_live {
    /// # Safety
    /// Every member is NULL or live.
    unsafe fn read<'a>(&self) -> LiveRefs<'a> {
        // SAFETY: the caller's contract.
        unsafe {
            (
                self.learner.as_ref(),
                self.cohorts.as_ref(),
                self.budgets.as_ref(),
            )
        }
    }
}

/// Decides with what is given of the learner, cohort counts and budget counters, under their
/// shared locks.
fn decide<'e>(
    engine: &'e Engine,
    profile: &shopkeeper::Profile,
    context: &Context,
    request: &Request,
    (learner, cohorts, budgets): LiveRefs<'_>,
) -> Result<shopkeeper::decide::Decision<'e>, shopkeeper::Error> {
    let learner = learner.map(|l| read(&l.learner));
    let cohorts = cohorts.map(|c| read(&c.counts));
    let budgets = budgets.map(|b| read(&b.budgets));
    let live = Live {
        learner: learner.as_deref(),
        cohorts: cohorts.as_deref(),
        budgets: budgets.as_deref(),
    };
    engine.decide_live(profile, context, request, live)
}

/// Decides from a request in its JSON form (`spec/catalog.md`, "Requests": `{"channel", "now",
/// "slots", "seed", "log", "explain", "context"}`; every field but `now` has a default) and
/// writes the decision's JSON to `out_json` (`spec/catalog.md`, "The decision's JSON": the picks
/// with titles, kinds, payloads and scores, the `shown` events, and `log` and `receipt` when asked
/// for): the same request and the same JSON as the npm package's `engine.decide`. `learner` may be
/// NULL (adaptive offers sample from their priors). Reads the profile and changes nothing.
///
/// # Safety
/// `engine` and `profile` are live; `request` is (pointer, length) UTF-8; `learner` is NULL or
/// live; `out_json` points to writable storage for a pointer; `err` is NULL or points to writable
/// storage for a pointer. Thread safety: as `sk_engine_decide`.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_decide_json(
    engine: *const sk_engine,
    profile: *const sk_profile,
    request: *const c_char,
    request_len: usize,
    learner: *const sk_learner,
    out_json: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    let live = sk_live {
        learner,
        ..sk_live::default()
    };
    // SAFETY: forwarded.
    unsafe { decide_json(engine, profile, request, request_len, &live, out_json, err) }
}

/// `sk_engine_decide_json`, with what the fleet has learned and spent (`live`, NULL for
/// nothing; see `sk_live`): the npm package's `engine.decideLive`.
///
/// # Safety
/// As `sk_engine_decide_json`; `live` is NULL or points to an `sk_live` whose members are NULL
/// or live.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_decide_json_live(
    engine: *const sk_engine,
    profile: *const sk_profile,
    request: *const c_char,
    request_len: usize,
    live: *const sk_live,
    out_json: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    // SAFETY: the caller's contract.
    let live = unsafe { live.as_ref() }.copied().unwrap_or_default();
    // SAFETY: forwarded.
    unsafe { decide_json(engine, profile, request, request_len, &live, out_json, err) }
}

/// The body of `sk_engine_decide_json` and `sk_engine_decide_json_live`.
///
/// # Safety
/// As `sk_engine_decide_json_live`.
#[allow(clippy::too_many_arguments)]
unsafe fn decide_json(
    engine: *const sk_engine,
    profile: *const sk_profile,
    request: *const c_char,
    request_len: usize,
    live: &sk_live,
    out_json: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_json = out(out_json, "out_json")?;
        // SAFETY: the caller's contract.
        let (engine, profile) = unsafe {
            (
                &handle(engine, "engine")?.engine,
                &handle(profile, "profile")?.profile,
            )
        };
        // SAFETY: the caller's contract.
        let spec = DecisionRequest::from_json(unsafe { text(request, request_len, "request") }?)?;
        let context = spec.context(engine.catalog().schema())?;
        let request = spec.request()?;
        // SAFETY: the caller's contract.
        let decision = decide(engine, profile, &context, &request, unsafe { live.read() })?;
        out_json.write(sk_buffer::new(decision.to_json()?.into_bytes()));
        Ok(())
    })
}

/// Off-policy evaluation: for a decision another policy logged (`logged`: its picks' offer ids,
/// best first), the probability that this engine (the candidate) puts each at the same rank for
/// the same profile, context and request, with `learner` (NULL: priors) for adaptive offers.
/// Writes `logged_len` probabilities to `out_probabilities`. See `spec/learning.md`.
///
/// # Safety
/// As `sk_engine_decide`; `logged` points to `logged_len` strings; `out_probabilities` points to
/// `logged_len` writable doubles.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_pick_probabilities(
    engine: *const sk_engine,
    profile: *const sk_profile,
    context: *const sk_context,
    request: *const sk_request,
    learner: *const sk_learner,
    logged: *const sk_str,
    logged_len: usize,
    out_probabilities: *mut f64,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_probabilities = out(out_probabilities, "out_probabilities")?;
        // SAFETY: the caller's contract.
        let (engine, profile, request) = unsafe {
            (
                &handle(engine, "engine")?.engine,
                &handle(profile, "profile")?.profile,
                handle(request, "request")?,
            )
        };
        // SAFETY: the caller's contract.
        let (context, learner) = unsafe { (context.as_ref(), learner.as_ref()) };
        // SAFETY: the caller's contract.
        let logged = unsafe { items(logged, logged_len, "logged") }?;
        let ids = logged
            .iter()
            // SAFETY: the caller's contract.
            .map(|s| unsafe { text(s.ptr, s.len, "logged") })
            .collect::<Result<Vec<_>, _>>()?;
        let mut empty = None;
        let context = sk_context::or_empty(context, engine.catalog().schema(), &mut empty);
        let guard = learner.map(|l| read(&l.learner));
        let probabilities = engine.pick_probabilities(
            profile,
            context,
            &request.request()?,
            guard.as_deref(),
            &ids,
        )?;
        for (i, p) in probabilities.into_iter().enumerate() {
            // SAFETY: the caller guarantees `logged_len` writable doubles; checked not NULL.
            unsafe { out_probabilities.0.add(i).write(p) };
        }
        Ok(())
    })
}

/// A profile's scores under the engine's models; NaN where a score is missing (no models, no
/// purchase yet).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_scores {
    /// Probability the customer is still active.
    pub p_alive: f64,
    /// `1 - p_alive`.
    pub churn_risk: f64,
    /// Expected purchases in the next 90 days.
    pub expected_purchases_90d: f64,
    /// Expected average order value, major units.
    pub expected_spend: f64,
    /// Discounted customer lifetime value, major units.
    pub clv: f64,
    /// The best cross-sell complement's lift (0 when there is none).
    pub cross_sell_score: f64,
    /// RFM recency, frequency and monetary scores, 1 to 5; 0 when missing.
    pub rfm_r: u8,
    /// See `rfm_r`.
    pub rfm_f: u8,
    /// See `rfm_r`.
    pub rfm_m: u8,
}

/// What the engine hears in `text` (its catalog's intents, its models' sentiment), as JSON:
/// `{"sentiment": -0.57, "intents": ["cancel"]}` (`sentiment` is `null` without a sentiment model
/// or a word; `spec/events.md`, "Messages"), written to `out_json`. The text is at
/// most `SK_MAX_MESSAGE_LEN` bytes (else `SK_RESULT_TOO_LONG`).
///
/// # Safety
/// `engine` is live; `text` is (pointer, length) UTF-8; `out_json` points to writable storage
/// for a pointer; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_hear(
    engine: *const sk_engine,
    text: *const c_char,
    text_len: usize,
    out_json: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_json = out(out_json, "out_json")?;
        // SAFETY: the caller's contract.
        let (engine, text) = unsafe {
            (
                &handle(engine, "engine")?.engine,
                self::text(text, text_len, "text")?,
            )
        };
        let heard = engine.hear(text)?;
        out_json.write(sk_buffer::new(heard.to_json().into_bytes()));
        Ok(())
    })
}

/// Scores `profile` at `now` with the engine's models. With `out_json` not NULL, also writes every
/// score as JSON (including the cross-sell lists and the RFM segment).
///
/// # Safety
/// `engine` and `profile` are live; `out_scores` points to a writable `sk_scores`; `out_json` and
/// `err` are NULL or point to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_engine_scores(
    engine: *const sk_engine,
    profile: *const sk_profile,
    now: sk_timestamp,
    out_scores: *mut sk_scores,
    out_json: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_scores = out(out_scores, "out_scores")?;
        // SAFETY: the caller's contract.
        let (engine, profile) = unsafe {
            (
                &handle(engine, "engine")?.engine,
                &handle(profile, "profile")?.profile,
            )
        };
        let scores = engine.models().score(profile, now);
        let json = if out_json.is_null() {
            None
        } else {
            Some(sk_buffer::new(scores.to_json()?.into_bytes()))
        };
        let n = |x: Option<f64>| x.unwrap_or(f64::NAN);
        let rfm = scores.rfm;
        out_scores.write(sk_scores {
            p_alive: n(scores.p_alive),
            churn_risk: n(scores.churn_risk),
            expected_purchases_90d: n(scores.expected_purchases_90d),
            expected_spend: n(scores.expected_spend),
            clv: n(scores.clv),
            cross_sell_score: n(scores.cross_sell_score),
            rfm_r: rfm.map_or(0, |r| r.r),
            rfm_f: rfm.map_or(0, |r| r.f),
            rfm_m: rfm.map_or(0, |r| r.m),
        });
        if let Some(json) = json {
            // SAFETY: not NULL; the caller's contract.
            unsafe { *out_json = json };
        }
        Ok(())
    })
}
