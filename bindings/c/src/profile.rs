//! Profiles: created, fed events, merged, encoded, exported, erased.

use std::ffi::c_char;

use shopkeeper::{Direction, Event, EventKind, Outcome, Profile, PurchaseLine};

use shopkeeper::ErrorCode;

use crate::{
    bytes, core_channel, ffi, handle, handle_mut, items, optional_text, out, sk_buffer, sk_channel,
    sk_engine, sk_error, sk_result, sk_str, sk_timestamp, text, Failure,
};

/// One customer's profile (known or anonymous). Used by one thread at a time; different
/// profiles may be used by different threads at once.
pub struct sk_profile {
    pub(crate) profile: Profile,
}

fn boxed(profile: Profile) -> *mut sk_profile {
    Box::into_raw(Box::new(sk_profile { profile }))
}

/// What applying an event did.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_outcome {
    /// Whether the event changed the profile.
    pub recorded: bool,
    /// When not recorded, why (`duplicate_order`, `objected`...; `spec/events.md`); empty when
    /// recorded. Static.
    pub ignored: sk_str,
}

/// A new, empty profile with `id`, known (a customer id) or anonymous (a visitor id).
///
/// # Safety
/// `id` is (pointer, length) UTF-8; `out_profile` points to writable storage for a pointer; `err`
/// is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_new(
    id: *const c_char,
    id_len: usize,
    known: bool,
    out_profile: *mut *mut sk_profile,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_profile = out(out_profile, "out_profile")?;
        // SAFETY: the caller's contract.
        let id = unsafe { text(id, id_len, "id") }?;
        out_profile.write(boxed(Profile::new(id, known)?));
        Ok(())
    })
}

/// Frees a profile. NULL does nothing.
///
/// # Safety
/// `profile` is NULL or a profile from this library, not used again.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_free(profile: *mut sk_profile) {
    ffi!(or(), {
        if !profile.is_null() {
            // SAFETY: the caller gives back a profile this library boxed, once.
            drop(unsafe { Box::from_raw(profile) });
        }
    })
}

/// The profile's id, borrowed (valid until the profile changes or is freed).
///
/// # Safety
/// `profile` is NULL (gives an empty string) or a live profile.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_id(profile: *const sk_profile) -> sk_str {
    ffi!(or sk_str::of(""), {
        // SAFETY: the caller passes NULL or a live profile.
        unsafe { profile.as_ref() }.map_or(sk_str::of(""), |p| sk_str::of(p.profile.id()))
    })
}

/// Whether the profile is a known customer's.
///
/// # Safety
/// `profile` is NULL (gives false) or a live profile.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_is_known(profile: *const sk_profile) -> bool {
    ffi!(or false, {
        // SAFETY: the caller passes NULL or a live profile.
        unsafe { profile.as_ref() }.is_some_and(|p| p.profile.is_known())
    })
}

/// What a storefront most often reads from a profile (the derived facts of
/// `spec/vectors/README.md`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_profile_summary {
    /// The cart's value, in minor units.
    pub cart_value: i64,
    /// Units in the cart.
    pub cart_quantity: u64,
    /// Average order value, in minor units; NaN before the first purchase.
    pub purchases_average: f64,
    /// Average of the orders after the first, in minor units; NaN before the second.
    pub purchases_repeat_average: f64,
    /// Whether a session is open (`time_on_site` is 0 when not).
    pub has_session: bool,
    /// Seconds from the current session's start to its latest event.
    pub time_on_site: i64,
    /// Whether the customer objects to personalization (decisions then give only the default
    /// action).
    pub objects_to_personalization: bool,
}

/// Writes the profile's summary to `out_summary`.
///
/// # Safety
/// `profile` is a live profile no other thread is changing; `out_summary` points to a writable
/// `sk_profile_summary`; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_summarize(
    profile: *const sk_profile,
    out_summary: *mut sk_profile_summary,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_summary = out(out_summary, "out_summary")?;
        // SAFETY: the caller's contract.
        let profile = &unsafe { handle(profile, "profile") }?.profile;
        let session = profile.session();
        out_summary.write(sk_profile_summary {
            cart_value: profile.cart().value(),
            cart_quantity: profile.cart().quantity(),
            purchases_average: profile.purchases().average().unwrap_or(f64::NAN),
            purchases_repeat_average: profile.purchases().repeat_average().unwrap_or(f64::NAN),
            has_session: session.is_some(),
            time_on_site: session.map_or(0, |s| s.time_on_site()),
            objects_to_personalization: profile.objects_to_personalization(),
        });
        Ok(())
    })
}

/// Writes to `out_count` how many times `offer` was shown since `now - window` (included; shows
/// stamped after `now` count too): what an offer's `max_shows` contact rule counts.
///
/// # Safety
/// As `sk_profile_summarize`; `offer` is (pointer, length) UTF-8; `out_count` points to a
/// writable `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_shown_within(
    profile: *const sk_profile,
    offer: *const c_char,
    offer_len: usize,
    window: i64,
    now: sk_timestamp,
    out_count: *mut u32,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_count = out(out_count, "out_count")?;
        // SAFETY: the caller's contract.
        let profile = &unsafe { handle(profile, "profile") }?.profile;
        // SAFETY: the caller's contract.
        let offer = unsafe { text(offer, offer_len, "offer") }?;
        let count = profile
            .offer(offer)
            .map_or(0, |history| history.shown_within(window, now));
        out_count.write(u32::try_from(count).unwrap_or(u32::MAX));
        Ok(())
    })
}

/// Applies `event` at the caller's clock `now`; writes what it did to `out_outcome` (may be
/// NULL). A rejected event changes nothing.
/// # Safety
/// The pointers follow the contract of the export that calls it.
unsafe fn apply(
    profile: *mut sk_profile,
    event: impl FnOnce() -> Result<Event, Failure>,
    now: sk_timestamp,
    out_outcome: *mut sk_outcome,
    err: *mut *mut sk_error,
) -> sk_result {
    // SAFETY: the caller's contract.
    unsafe { apply_with(profile, std::ptr::null(), event, now, out_outcome, err) }
}

/// `apply`, a message's text heard by `engine` (NULL: not heard).
/// # Safety
/// As `apply`; `engine` is NULL or live.
unsafe fn apply_with(
    profile: *mut sk_profile,
    engine: *const sk_engine,
    event: impl FnOnce() -> Result<Event, Failure>,
    now: sk_timestamp,
    out_outcome: *mut sk_outcome,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: every caller passes its own caller's profile, live and unshared.
        let profile = unsafe { handle_mut(profile, "profile") }?;
        // SAFETY: the caller passes NULL or a live engine.
        let engine = unsafe { engine.as_ref() };
        let listener = engine.map(|e| e.engine.listener()).unwrap_or_default();
        let event = event()?;
        let outcome = profile.profile.apply_with(&event, now, &listener)?;
        if !out_outcome.is_null() {
            let outcome = match outcome {
                Outcome::Recorded => sk_outcome {
                    recorded: true,
                    ignored: sk_str::of(""),
                },
                Outcome::Ignored(reason) => sk_outcome {
                    recorded: false,
                    ignored: sk_str::of(reason.as_str()),
                },
            };
            // SAFETY: not NULL; the caller's contract.
            unsafe { out_outcome.write(outcome) };
        }
        Ok(())
    })
}

/// Applies one event given as JSON (`spec/events.md`: `{"type": "product_view", "at": ...,
/// "channel": "web", "product": "tent-2p"}`), at the caller's clock `now`.
///
/// # Safety
/// `profile` is a live profile no other thread uses; `json` is (pointer, length) UTF-8;
/// `out_outcome` is NULL or points to a writable `sk_outcome`; `err` is NULL or points to
/// writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_apply_json(
    profile: *mut sk_profile,
    json: *const c_char,
    json_len: usize,
    now: sk_timestamp,
    out_outcome: *mut sk_outcome,
    err: *mut *mut sk_error,
) -> sk_result {
    apply(
        profile,
        // SAFETY: the caller's contract.
        || Ok(Event::from_json(unsafe { text(json, json_len, "json") }?)?),
        now,
        out_outcome,
        err,
    )
}

/// `sk_profile_apply_json`, with a message's text heard by `engine`: its catalog's intents and
/// its models' sentiment (`spec/events.md`, "Messages"). The text is never kept.
///
/// # Safety
/// As `sk_profile_apply_json`; `engine` is NULL (the text is not heard) or a live engine.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_apply_json_with(
    profile: *mut sk_profile,
    engine: *const sk_engine,
    json: *const c_char,
    json_len: usize,
    now: sk_timestamp,
    out_outcome: *mut sk_outcome,
    err: *mut *mut sk_error,
) -> sk_result {
    // SAFETY: the caller's contract.
    unsafe {
        apply_with(
            profile,
            engine,
            || Ok(Event::from_json(text(json, json_len, "json")?)?),
            now,
            out_outcome,
            err,
        )
    }
}

/// Whether a message is from the customer or from the shop: one of the `SK_DIRECTION_`
/// constants (a plain integer: an unknown one gives `SK_RESULT_INVALID_REQUEST`).
pub type sk_direction = u32;
/// From the customer: its text is heard.
pub const SK_DIRECTION_INBOUND: sk_direction = 0;
/// From the shop: it answers the customer's latest messages.
pub const SK_DIRECTION_OUTBOUND: sk_direction = 1;

/// The customer wrote (or the shop answered) `text` on `channel` (a chat line, an e-mail, a
/// contact-centre note, a post): a `message` event (`spec/events.md`, "Messages"), its text heard
/// by `engine` (NULL: not heard, so only its count and time are kept) and never kept. A caller
/// with its own sentiment or intents sends the JSON form (`sk_profile_apply_json_with`).
///
/// # Safety
/// As `sk_profile_apply_json`; `engine` is NULL or a live engine; `text` is (pointer, length)
/// UTF-8.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_message(
    profile: *mut sk_profile,
    engine: *const sk_engine,
    channel: sk_channel,
    at: sk_timestamp,
    direction: sk_direction,
    text: *const c_char,
    text_len: usize,
    now: sk_timestamp,
    out_outcome: *mut sk_outcome,
    err: *mut *mut sk_error,
) -> sk_result {
    let event = || {
        let direction = match direction {
            SK_DIRECTION_INBOUND => Direction::Inbound,
            SK_DIRECTION_OUTBOUND => Direction::Outbound,
            _ => {
                return Err(Failure::new(
                    ErrorCode::InvalidRequest,
                    format!("unknown direction {direction}: use an SK_DIRECTION_ constant"),
                ))
            }
        };
        // SAFETY: the caller's contract.
        let text = unsafe { self::text(text, text_len, "text") }?;
        Ok(Event::new(
            at,
            core_channel(channel)?,
            EventKind::Message {
                direction,
                text: Some(text.into()),
                sentiment: None,
                intents: Default::default(),
                product: None,
                rating: None,
            },
        ))
    };
    // SAFETY: the caller's contract.
    unsafe { apply_with(profile, engine, event, now, out_outcome, err) }
}

/// A product page was shown. `category` may be NULL.
///
/// # Safety
/// As `sk_profile_apply_json`; strings are (pointer, length) UTF-8.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_view_product(
    profile: *mut sk_profile,
    channel: sk_channel,
    at: sk_timestamp,
    product: *const c_char,
    product_len: usize,
    category: *const c_char,
    category_len: usize,
    now: sk_timestamp,
    out_outcome: *mut sk_outcome,
    err: *mut *mut sk_error,
) -> sk_result {
    let event = || {
        // SAFETY: the caller's contract.
        let (product, category) = unsafe {
            (
                text(product, product_len, "product")?,
                optional_text(category, category_len, "category")?,
            )
        };
        Ok(Event::new(
            at,
            core_channel(channel)?,
            EventKind::ProductView {
                product: product.into(),
                category: category.map(String::from),
            },
        ))
    };
    apply(profile, event, now, out_outcome, err)
}

/// `quantity` units of a product, at `unit_price` minor units each, were put in the cart.
/// `category` may be NULL.
///
/// # Safety
/// As `sk_profile_apply_json`; strings are (pointer, length) UTF-8.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_add_to_cart(
    profile: *mut sk_profile,
    channel: sk_channel,
    at: sk_timestamp,
    product: *const c_char,
    product_len: usize,
    category: *const c_char,
    category_len: usize,
    quantity: u32,
    unit_price: i64,
    now: sk_timestamp,
    out_outcome: *mut sk_outcome,
    err: *mut *mut sk_error,
) -> sk_result {
    let event = || {
        // SAFETY: the caller's contract.
        let (product, category) = unsafe {
            (
                text(product, product_len, "product")?,
                optional_text(category, category_len, "category")?,
            )
        };
        Ok(Event::new(
            at,
            core_channel(channel)?,
            EventKind::CartAdd {
                product: product.into(),
                category: category.map(String::from),
                quantity,
                unit_price,
            },
        ))
    };
    apply(profile, event, now, out_outcome, err)
}

/// One line of a purchase.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_purchase_line {
    /// Product id.
    pub product: sk_str,
    /// Product category; `ptr` NULL for none.
    pub category: sk_str,
    /// Units bought (1 or more).
    pub quantity: u32,
    /// Price of one unit, in minor units.
    pub unit_price: i64,
}

/// An order was placed: `lines_len` lines, `total` minor units paid. An order id seen recently is
/// ignored as a duplicate.
///
/// # Safety
/// As `sk_profile_apply_json`; `order` is (pointer, length) UTF-8; `lines` points to `lines_len`
/// lines whose strings are (pointer, length) UTF-8.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_purchase(
    profile: *mut sk_profile,
    channel: sk_channel,
    at: sk_timestamp,
    order: *const c_char,
    order_len: usize,
    lines: *const sk_purchase_line,
    lines_len: usize,
    total: i64,
    now: sk_timestamp,
    out_outcome: *mut sk_outcome,
    err: *mut *mut sk_error,
) -> sk_result {
    let event = || {
        // SAFETY: the caller's contract.
        let order = unsafe { text(order, order_len, "order") }?;
        // SAFETY: the caller's contract.
        let lines = unsafe { items(lines, lines_len, "lines") }?
            .iter()
            .map(|l| {
                // SAFETY: the caller's contract.
                let (product, category) = unsafe {
                    (
                        text(l.product.ptr, l.product.len, "lines.product")?,
                        optional_text(l.category.ptr, l.category.len, "lines.category")?,
                    )
                };
                Ok(PurchaseLine {
                    product: product.into(),
                    category: category.map(String::from),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                })
            })
            .collect::<Result<Vec<_>, Failure>>()?;
        Ok(Event::new(
            at,
            core_channel(channel)?,
            EventKind::Purchase {
                order: order.into(),
                lines: lines.try_into()?,
                total,
            },
        ))
    };
    apply(profile, event, now, out_outcome, err)
}

/// A customer's response to an offer: one of the `SK_FEEDBACK_` constants (a plain integer, so an
/// unknown number is an `SK_RESULT_INVALID_REQUEST` error rather than undefined behaviour).
pub type sk_feedback = u32;
/// The offer was presented (contact policies count it).
pub const SK_FEEDBACK_SHOWN: sk_feedback = 0;
/// The offer was taken up.
pub const SK_FEEDBACK_ACCEPTED: sk_feedback = 1;
/// The offer was turned down or closed.
pub const SK_FEEDBACK_DISMISSED: sk_feedback = 2;

/// Records an offer being shown, accepted or dismissed in the profile (contact policies read
/// it). To learn from the response too, also call `sk_learner_update`.
///
/// # Safety
/// As `sk_profile_apply_json`; `offer` is (pointer, length) UTF-8.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_offer_feedback(
    profile: *mut sk_profile,
    channel: sk_channel,
    at: sk_timestamp,
    offer: *const c_char,
    offer_len: usize,
    feedback: sk_feedback,
    now: sk_timestamp,
    out_outcome: *mut sk_outcome,
    err: *mut *mut sk_error,
) -> sk_result {
    let event = || {
        // SAFETY: the caller's contract.
        let offer = String::from(unsafe { text(offer, offer_len, "offer") }?);
        let kind = match feedback {
            SK_FEEDBACK_SHOWN => EventKind::OfferShown { offer },
            SK_FEEDBACK_ACCEPTED => EventKind::OfferAccepted { offer },
            SK_FEEDBACK_DISMISSED => EventKind::OfferDismissed { offer },
            _ => {
                return Err(Failure::new(
                    ErrorCode::InvalidRequest,
                    format!("unknown feedback {feedback}: use an SK_FEEDBACK_ constant"),
                ))
            }
        };
        Ok(Event::new(at, core_channel(channel)?, kind))
    };
    apply(profile, event, now, out_outcome, err)
}

/// Merges `other` (the same customer's profile from another device or server, or an anonymous
/// visitor's profile into the customer's) into `profile`. On error nothing changes.
///
/// # Safety
/// `profile` is a live profile no other thread uses; `other` is a live profile not changed during
/// the call (it may be `profile` itself); `err` is NULL or points to writable storage for a
/// pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_merge(
    profile: *mut sk_profile,
    other: *const sk_profile,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        // SAFETY: the caller's contract.
        let other = unsafe { handle(other, "other") }?.profile.clone();
        // SAFETY: the caller's contract.
        let profile = unsafe { handle_mut(profile, "profile") }?;
        profile.profile.merge(&other)?;
        Ok(())
    })
}

/// Erases everything the profile holds about the person except its id (right to erasure).
///
/// # Safety
/// `profile` is NULL (does nothing) or a live profile no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_erase(profile: *mut sk_profile) {
    ffi!(or(), {
        // SAFETY: the caller passes NULL or a live, unshared profile.
        if let Some(p) = unsafe { profile.as_mut() } {
            p.profile.erase();
        }
    })
}

/// Writes a new buffer made by `make` to `out_buffer`.
/// # Safety
/// The pointers follow the contract of the export that calls it.
unsafe fn buffer_out(
    out_buffer: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
    make: impl FnOnce() -> Result<Vec<u8>, Failure>,
) -> sk_result {
    ffi!(err, {
        let out_buffer = out(out_buffer, "out_buffer")?;
        out_buffer.write(sk_buffer::new(make()?));
        Ok(())
    })
}

/// The profile as readable JSON (`spec/events.md`, "Privacy": the data-access export).
///
/// # Safety
/// `profile` is a live profile not changed during the call; `out_buffer` points to writable
/// storage for a pointer; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_export(
    profile: *const sk_profile,
    out_buffer: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    buffer_out(out_buffer, err, || {
        // SAFETY: the caller's contract.
        let profile = unsafe { handle(profile, "profile") }?;
        Ok(profile.profile.export()?.into_bytes())
    })
}

/// The profile in the versioned binary form (for a store or a cookie; at most 64 KiB).
///
/// # Safety
/// As `sk_profile_export`.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_to_bytes(
    profile: *const sk_profile,
    out_buffer: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    buffer_out(out_buffer, err, || {
        // SAFETY: the caller's contract.
        let profile = unsafe { handle(profile, "profile") }?;
        Ok(profile.profile.to_bytes()?)
    })
}

/// A profile from its binary form; bytes that are not one are rejected with a `DECODE_*` code.
///
/// # Safety
/// `bytes` points to `len` readable bytes; `out_profile` points to writable storage for a
/// pointer; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_from_bytes(
    data: *const u8,
    len: usize,
    out_profile: *mut *mut sk_profile,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_profile = out(out_profile, "out_profile")?;
        // SAFETY: the caller's contract.
        let data = unsafe { bytes(data, len, "data") }?;
        out_profile.write(boxed(Profile::from_bytes(data)?));
        Ok(())
    })
}

/// A profile from its JSON export.
///
/// # Safety
/// `json` is (pointer, length) UTF-8; otherwise as `sk_profile_from_bytes`.
#[no_mangle]
pub unsafe extern "C" fn sk_profile_from_export(
    json: *const c_char,
    json_len: usize,
    out_profile: *mut *mut sk_profile,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_profile = out(out_profile, "out_profile")?;
        // SAFETY: the caller's contract.
        let json = unsafe { text(json, json_len, "json") }?;
        out_profile.write(boxed(Profile::from_export(json)?));
        Ok(())
    })
}
