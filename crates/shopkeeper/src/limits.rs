//! Every bound in one place.
//!
//! A profile holds only bounded collections of bounded strings, so neither its memory nor its
//! encoded size can grow without limit whatever the event stream. Where a cap is reached, the
//! documented rule says what happens: *recent* histories (views, orders, shows, anonymous ids) keep
//! the newest entries; in `apply`, keyed state the caller set on purpose (cart lines, attributes)
//! rejects a new key with [`ErrorCode::LimitExceeded`](crate::ErrorCode::LimitExceeded), and keyed
//! statistics (categories, offers) evict the least recently bought or active entry. `merge`, which
//! must not fail, evicts past every cap: the least recently changed cart lines, removed attributes
//! before set ones, then the least recently set.

use crate::Timestamp;

/// Longest id (customer, anonymous, product, order, offer), in bytes of UTF-8.
pub const MAX_ID_LEN: usize = 128;
/// Longest name (category, attribute name), in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Longest free text kept or checked (referrer, affiliate, page, reason, string attribute), in bytes.
pub const MAX_TEXT_LEN: usize = 256;

/// Anonymous ids remembered after they were merged into a profile (the newest are kept).
pub const MAX_ANONYMOUS_IDS: usize = 8;
/// Recent product views kept (a ring: the newest are kept).
pub const MAX_RECENT_VIEWS: usize = 20;
/// Distinct products in the cart; adding a 51st distinct product is rejected.
pub const MAX_CART_LINES: usize = 50;
/// Largest quantity in one cart line or purchase line.
pub const MAX_QUANTITY: u32 = 10_000;
/// Largest amount (price or order total) in minor units: 10^13, i.e. 100 billion in a 2-decimal currency.
pub const MAX_AMOUNT: i64 = 10_000_000_000_000;
/// Lines in one purchase event.
pub const MAX_PURCHASE_LINES: usize = 100;
/// Purchase categories with their own counts (the least recently bought is evicted).
pub const MAX_CATEGORIES: usize = 32;
/// Products remembered as owned, with their first and last purchase (the least recently bought
/// is evicted).
pub const MAX_OWNED_PRODUCTS: usize = 32;
/// Order ids remembered to ignore a purchase delivered twice (the newest are kept).
pub const MAX_RECENT_ORDERS: usize = 16;
/// Offers with their own history (the least recently active is evicted).
pub const MAX_OFFERS: usize = 64;
/// Show times kept per offer for windowed contact-policy counts (exact up to this many shows).
pub const MAX_RECENT_SHOWS: usize = 16;
/// Custom attributes, removed ones included; a new name takes the place of the oldest removed one,
/// and is rejected when every slot holds a value.
pub const MAX_ATTRIBUTES: usize = 32;
/// Items in a string-list attribute.
pub const MAX_LIST_ITEMS: usize = 8;

/// Sources a models file's cohorts may list (the fit keeps the largest).
pub const MAX_COHORTS: usize = 1000;
/// Sources live cohort counts hold; visitors from further sources count as `"(other)"`.
pub const MAX_LIVE_COHORTS: usize = 10_000;

/// Longest message text, in bytes: a long email fits; the text is analysed, never kept.
pub const MAX_MESSAGE_LEN: usize = 8 * 1024;
/// Intents a caller may send with one message.
pub const MAX_MESSAGE_INTENTS: usize = 8;
/// Recent message sentiments kept (the newest): the customer's and the session's sentiment are
/// computed from them.
pub const MAX_RECENT_SENTIMENTS: usize = 32;
/// Recent intents kept with their times (the newest).
pub const MAX_RECENT_INTENTS: usize = 16;
/// Intents a catalog may declare.
pub const MAX_INTENTS: usize = 64;
/// Phrases a catalog's intents may have, all intents together.
pub const MAX_INTENT_PHRASES: usize = 4096;

/// Latest accepted timestamp: 9999-12-31T23:59:59Z. Also catches milliseconds passed as seconds.
pub const MAX_TIMESTAMP: Timestamp = 253_402_300_799;
/// How far after the caller's `now` an event may be stamped (clock skew between devices), in seconds.
pub const MAX_CLOCK_SKEW: Timestamp = 15 * 60;

/// Upper bound of [`Profile::to_bytes`](crate::Profile::to_bytes) for any profile, envelope included;
/// proven by a test that encodes a profile with every cap filled by the longest strings.
pub const MAX_ENCODED_LEN: usize = 64 * 1024;
/// Longest event as JSON text ([`Event::from_json`](crate::Event::from_json)), checked before it
/// is parsed: room for a purchase of [`MAX_PURCHASE_LINES`] lines of the longest ids, escaped.
pub const MAX_EVENT_JSON_LEN: usize = 256 * 1024;

/// Upper bound of [`Profile::export`](crate::Profile::export)'s JSON, and what
/// [`Profile::from_export`](crate::Profile::from_export) accepts.
pub const MAX_EXPORT_LEN: usize = 256 * 1024;
