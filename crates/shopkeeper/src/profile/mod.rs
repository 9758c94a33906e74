//! The customer profile: a bounded, mergeable fold of a customer's events.
//!
//! [`Profile::apply`] validates an event completely before it changes anything, so an event is
//! either folded in whole or rejected with an [`Error`] and the profile is exactly as it was.
//!
//! **Late events.** Events may arrive out of order (an offline POS terminal reconnecting, a retried
//! request). Counters and totals take every event whenever it arrives; first/last times take the
//! minimum/maximum; recent-item lists place an event by its time and keep the newest; registers
//! (consent, attributes) keep the latest write and ignore an older one ([`IgnoreReason::Superseded`]);
//! cart events older than the latest clear are ignored ([`IgnoreReason::BeforeCartClear`]); the
//! current session is the latest started one. `spec/events.md` has the full table.

mod activity;
mod attributes;
mod cart;
mod conversation;
mod habits;
mod identity;
mod mark;
mod offers;
mod owned;
mod pattern;
mod purchases;
mod service;
mod session;
mod v1;
mod v2;
mod views;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

pub use activity::{Activity, ChannelActivity, PerChannel};
pub use attributes::{Attribute, Attributes};
pub use cart::{Cart, CartLine};
pub use conversation::{Conversation, Felt, IntentSeen, NEGATIVE_SENTIMENT, SENTIMENT_HALF_LIFE};
pub use habits::{hour_of, Habits, HOURS};
pub use identity::{Identity, LinkedId};
pub use mark::Mark;
pub use offers::OfferHistory;
pub use owned::{Owned, OwnedProduct};
pub(crate) use pattern::marked_names;
pub use pattern::{BIG_BASKET, OUT_OF_PATTERN, OVERDUE, UNUSUAL_HOUR_ONE_IN, USUAL_HOUR_SESSIONS};
pub use purchases::{CategoryStats, OrderRef, Purchases};
pub use service::{Consent, ConsentState, Service};
pub use session::Session;
pub use views::{ProductView, Views};

use crate::check;
use crate::codec;
use crate::limits::{MAX_ENCODED_LEN, MAX_EXPORT_LEN, MAX_ID_LEN, MAX_OFFERS};
use crate::listen::Listener;
use crate::{AttrValue, BoundedMap, Direction, Error, ErrorCode, Event, EventKind, Timestamp};
use offers::Response;

/// What [`Profile::apply`] did with a valid event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The event is part of the profile now.
    Recorded,
    /// The event is valid but changes nothing, for the reason given.
    Ignored(IgnoreReason),
}

/// Why a valid event changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IgnoreReason {
    /// The customer objects to personalization: only consent changes are recorded.
    Objected,
    /// A purchase with an order id recorded recently (a retried delivery).
    DuplicateOrder,
    /// A cart event stamped before the latest cart clear.
    BeforeCartClear,
    /// A cart removal of a product that is not in the cart.
    NotInCart,
    /// A consent or attribute write older than the one held.
    Superseded,
    /// An identify naming the customer the profile already belongs to.
    AlreadyIdentified,
    /// An attribute removal of a name the profile does not hold, while every one of its
    /// attribute slots holds a value (so there is no room to remember the removal).
    NotHeld,
}

impl IgnoreReason {
    /// A stable snake_case name, as used by the conformance vectors and the bindings.
    pub const fn as_str(self) -> &'static str {
        match self {
            IgnoreReason::Objected => "objected",
            IgnoreReason::DuplicateOrder => "duplicate_order",
            IgnoreReason::BeforeCartClear => "before_cart_clear",
            IgnoreReason::NotInCart => "not_in_cart",
            IgnoreReason::Superseded => "superseded",
            IgnoreReason::AlreadyIdentified => "already_identified",
            IgnoreReason::NotHeld => "not_held",
        }
    }
}

impl core::fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Offer histories by offer id.
pub type Offers = BoundedMap<String, OfferHistory, MAX_OFFERS>;

/// Everything Shopkeeper knows about one customer. Every collection is capped
/// ([`limits`](crate::limits)), so a profile encodes to at most
/// [`MAX_ENCODED_LEN`] bytes whatever its history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Unchecked")]
pub struct Profile {
    identity: Identity,
    activity: Activity,
    session: Option<Session>,
    views: Views,
    cart: Cart,
    purchases: Purchases,
    offers: Offers,
    service: Service,
    consent: Consent,
    attributes: Attributes,
    conversation: Conversation,
    owned: Owned,
    habits: Habits,
}

/// A profile as read, before its invariants are checked: every way into a [`Profile`] from data
/// (bytes, export JSON, any serde format) goes through [`Profile::try_from`], so no input can build
/// a profile that `apply` could not. Its fields mirror [`Profile`]'s exactly: `try_from` names every
/// field of both, so the compiler rejects a field added to one and not the other.
#[derive(Deserialize)]
struct Unchecked {
    identity: Identity,
    activity: Activity,
    session: Option<Session>,
    views: Views,
    cart: Cart,
    purchases: Purchases,
    offers: Offers,
    service: Service,
    consent: Consent,
    attributes: Attributes,
    /// Absent from a schema-1 export.
    #[serde(default)]
    conversation: Conversation,
    /// Absent from schema-1 and schema-2 exports.
    #[serde(default)]
    owned: Owned,
    /// Absent from schema-1 and schema-2 exports.
    #[serde(default)]
    habits: Habits,
}

impl TryFrom<Unchecked> for Profile {
    type Error = Error;
    fn try_from(u: Unchecked) -> Result<Self, Error> {
        let profile = Profile {
            identity: u.identity,
            activity: u.activity,
            session: u.session,
            views: u.views,
            cart: u.cart,
            purchases: u.purchases,
            offers: u.offers,
            service: u.service,
            consent: u.consent,
            attributes: u.attributes,
            conversation: u.conversation,
            owned: u.owned,
            habits: u.habits,
        };
        profile.check_invariants()?;
        Ok(profile)
    }
}

/// The envelope's magic for profiles: "SKP" and a format byte.
const MAGIC: [u8; 4] = *b"SKP\x01";
/// The schema version written by this build. Decoding also reads version 2 (before owned products
/// and habits) and version 1 (before messages and the chat and social channels too).
pub const SCHEMA_VERSION: u16 = 3;

impl Profile {
    /// A new profile for `id`, known (`true`: a logged-in or registered customer) or anonymous.
    pub fn new(id: &str, known: bool) -> Result<Self, Error> {
        Ok(Self::empty(Identity::new(id, known)?))
    }

    /// A profile with `identity` and no history.
    fn empty(identity: Identity) -> Self {
        Profile {
            identity,
            activity: Activity::default(),
            session: None,
            views: Views::default(),
            cart: Cart::default(),
            purchases: Purchases::default(),
            offers: Offers::default(),
            service: Service::default(),
            consent: Consent::default(),
            attributes: Attributes::default(),
            conversation: Conversation::default(),
            owned: Owned::default(),
            habits: Habits::default(),
        }
    }

    /// A new profile of an anonymous visitor (a cookie or device id).
    pub fn anonymous(id: &str) -> Result<Self, Error> {
        Self::new(id, false)
    }

    /// A new profile of a known customer.
    pub fn known(id: &str) -> Result<Self, Error> {
        Self::new(id, true)
    }

    /// The customer's id.
    pub fn id(&self) -> &str {
        &self.identity.id
    }

    /// Whether the customer is known.
    pub fn is_known(&self) -> bool {
        self.identity.known
    }

    /// Identity: id, known, merged anonymous ids.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// First and last seen, per-channel activity.
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    /// The current session, if one was started.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Product views.
    pub fn views(&self) -> &Views {
        &self.views
    }

    /// The cart.
    pub fn cart(&self) -> &Cart {
        &self.cart
    }

    /// Purchase history.
    pub fn purchases(&self) -> &Purchases {
        &self.purchases
    }

    /// Offer histories by offer id.
    pub fn offers(&self) -> &Offers {
        &self.offers
    }

    /// One offer's history, if it was ever shown, accepted or dismissed.
    pub fn offer(&self, offer: &str) -> Option<&OfferHistory> {
        self.offers.get(offer)
    }

    /// Service contacts and complaints.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Consent decisions.
    pub fn consent(&self) -> &Consent {
        &self.consent
    }

    /// Whether the customer objects to personalization: then nothing is personalized or learned,
    /// and only consent changes are recorded.
    pub fn objects_to_personalization(&self) -> bool {
        self.consent.objects_to_personalization()
    }

    /// What the customer said: the signals of their messages (never the text).
    pub fn conversation(&self) -> &Conversation {
        &self.conversation
    }

    /// The products the customer bought, on any channel.
    pub fn owned(&self) -> &Owned {
        &self.owned
    }

    /// When the customer's visits start, and where they first came from.
    pub fn habits(&self) -> &Habits {
        &self.habits
    }

    /// The first session the customer started, when the profile saw its whole history (a
    /// profile read from schema 1 or 2 kept no habits before it was upgraded: its first
    /// session then is unknown, not the first one after the upgrade).
    pub fn first_session(&self) -> Option<&Session> {
        self.habits_cover_history()
            .then_some(self.habits.first_session.as_ref())
            .flatten()
    }

    /// Whether habits saw every event the profile holds: their earliest is the profile's.
    pub(crate) fn habits_cover_history(&self) -> bool {
        self.habits.earliest() == self.activity.first_seen
    }

    /// Custom attributes, removed ones included (with a `None` value).
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// One custom attribute's value.
    pub fn attribute(&self, name: &str) -> Option<&AttrValue> {
        self.attributes
            .get(name)
            .and_then(|attr| attr.value.as_ref())
    }

    /// Folds one event into the profile.
    ///
    /// `now` is the caller's clock (the core has none): an event stamped more than
    /// [`MAX_CLOCK_SKEW`](crate::limits::MAX_CLOCK_SKEW) after it is rejected. A rejected event
    /// leaves the profile exactly as it was; a valid event is recorded or, for the reasons in
    /// [`IgnoreReason`], ignored.
    ///
    /// A message's text is not heard: only the `sentiment`, `intents` and `rating` the event
    /// carries count. [`apply_with`](Self::apply_with) hears the text too.
    pub fn apply(&mut self, event: &Event, now: Timestamp) -> Result<Outcome, Error> {
        self.apply_with(event, now, &Listener::default())
    }

    /// [`apply`](Self::apply), with a message's text heard by `listener` (usually
    /// [`Engine::listener`](crate::decide::Engine::listener)): the intents it finds join the
    /// event's own, and its sentiment counts unless the event carries one (or a rating). The
    /// text itself is never kept.
    pub fn apply_with(
        &mut self,
        event: &Event,
        now: Timestamp,
        listener: &Listener<'_>,
    ) -> Result<Outcome, Error> {
        if let Some(reason) = self.check(event, now)? {
            return Ok(Outcome::Ignored(reason));
        }
        self.fold(event, listener);
        Ok(Outcome::Recorded)
    }

    /// Checks `event` completely, changing nothing: `Some` if it would be ignored. First the event
    /// alone ([`Event::validate`]), then the objection (which makes every other check moot), then
    /// what depends on the profile (caps, identity, staleness).
    fn check(&self, event: &Event, now: Timestamp) -> Result<Option<IgnoreReason>, Error> {
        event.validate(now)?;
        let consent_change = matches!(event.kind, EventKind::ConsentChange { .. });
        if self.objects_to_personalization() && !consent_change {
            return Ok(Some(IgnoreReason::Objected));
        }
        let at = event.at;
        Ok(match &event.kind {
            EventKind::CartAdd {
                product, quantity, ..
            } => {
                if self.cart.is_stale(at) {
                    Some(IgnoreReason::BeforeCartClear)
                } else {
                    self.cart.check_add(product, *quantity)?;
                    None
                }
            }
            EventKind::CartRemove { product, .. } => {
                if self.cart.is_stale(at) {
                    Some(IgnoreReason::BeforeCartClear)
                } else if !self.cart.lines.contains_key(product.as_str()) {
                    Some(IgnoreReason::NotInCart)
                } else {
                    None
                }
            }
            EventKind::Purchase { order, .. } => self
                .purchases
                .is_duplicate(order)
                .then_some(IgnoreReason::DuplicateOrder),
            EventKind::Identify { customer } => self
                .identity
                .check_identify(customer)?
                .then_some(IgnoreReason::AlreadyIdentified),
            EventKind::AttributeSet { name, value } => {
                attributes::classify_set(&self.attributes, name, value.as_ref(), at)?
            }
            EventKind::ConsentChange { purpose, granted } => {
                let state = ConsentState {
                    at,
                    granted: *granted,
                };
                (!self.consent.accepts(*purpose, &state)).then_some(IgnoreReason::Superseded)
            }
            EventKind::SessionStart { .. }
            | EventKind::PageView { .. }
            | EventKind::ProductView { .. }
            | EventKind::CartClear {}
            | EventKind::OfferShown { .. }
            | EventKind::OfferAccepted { .. }
            | EventKind::OfferDismissed { .. }
            | EventKind::ServiceContact { .. }
            | EventKind::Complaint { .. }
            | EventKind::Message { .. } => None,
        })
    }

    /// Folds a checked event; cannot fail.
    fn fold(&mut self, event: &Event, listener: &Listener<'_>) {
        let (at, channel) = (event.at, event.channel);
        self.activity.record(at, channel);
        self.habits.seen(at, channel);
        self.identity.seen(at);
        let mut page_view = false;
        match &event.kind {
            EventKind::SessionStart {
                referrer,
                affiliate,
            } => {
                let sessions = &mut self.activity.channel_mut(channel).sessions;
                *sessions = sessions.saturating_add(1);
                let new = Session::new(at, channel, referrer.as_deref(), affiliate.as_deref());
                self.habits.session_started(&new);
                session::merge(&mut self.session, &Some(new));
            }
            EventKind::PageView { .. } => page_view = true,
            EventKind::ProductView { product, category } => {
                page_view = true;
                self.views.record(at, product, category.as_deref());
            }
            EventKind::CartAdd {
                product,
                category,
                quantity,
                unit_price,
            } => {
                self.cart
                    .add(at, product, category.as_deref(), *quantity, *unit_price);
            }
            EventKind::CartRemove { product, quantity } => {
                self.cart.remove(at, product, *quantity);
            }
            EventKind::CartClear {} => self.cart.clear(at),
            EventKind::Purchase {
                order,
                lines,
                total,
            } => {
                self.purchases.record(at, order, lines, *total);
                self.owned.record(at, lines);
                let ch = self.activity.channel_mut(channel);
                ch.purchases = ch.purchases.saturating_add(1);
                ch.spend = ch.spend.saturating_add(*total);
                for line in lines.iter() {
                    self.cart.checkout(at, &line.product);
                }
            }
            EventKind::OfferShown { offer } => {
                let shows = &mut self.activity.channel_mut(channel).offer_shows;
                shows.push_keep_newest(at);
                self.respond(offer, Response::Shown, at);
            }
            EventKind::OfferAccepted { offer } => self.respond(offer, Response::Accepted, at),
            EventKind::OfferDismissed { offer } => self.respond(offer, Response::Dismissed, at),
            EventKind::Identify { customer } => self.identity.identify(customer, at),
            EventKind::ServiceContact { .. } => self.service.contact(at),
            EventKind::Complaint { .. } => self.service.complaint(at),
            EventKind::AttributeSet { name, value } => {
                attributes::set(&mut self.attributes, name, value.as_ref(), at);
            }
            EventKind::ConsentChange { purpose, granted } => {
                self.consent.record(
                    *purpose,
                    ConsentState {
                        at,
                        granted: *granted,
                    },
                );
            }
            EventKind::Message {
                direction,
                text,
                sentiment,
                intents,
                rating,
                ..
            } => {
                let heard = text
                    .as_deref()
                    .filter(|_| *direction == Direction::Inbound)
                    .map(|text| listener.hear(text))
                    .unwrap_or_default();
                // The caller's sentiment, else a review's stars (1 is -1, 3 is 0, 5 is 1), else
                // the text's.
                let sentiment = sentiment
                    .or_else(|| rating.map(|stars| (f64::from(stars) - 3.0) / 2.0))
                    .or(heard.sentiment);
                let intents = intents.iter().map(String::as_str).chain(heard.intents);
                self.conversation.record(at, *direction, sentiment, intents);
            }
        }
        if let Some(session) = self.session.as_mut().filter(|s| s.covers(at, channel)) {
            session.touch(at, page_view);
        }
    }

    fn respond(&mut self, offer: &str, response: Response, at: Timestamp) {
        self.offers
            .upsert(offer, |history| history.record(response, at));
        self.evict_offers();
    }

    fn evict_offers(&mut self) {
        self.offers
            .evict_to_cap(|id, history| (history.last_activity(), id.clone()));
    }

    /// Merges `other`, a profile of the same customer built elsewhere (another device, channel or
    /// an offline terminal), into this one.
    ///
    /// On profiles built from disjoint event sets the result does not depend on the order or the
    /// grouping of merges (commutative and associative: property-tested) while no cap overflows;
    /// past a cap, the documented eviction applies to the merged whole. Counters add, first/last
    /// times take min/max, recent lists keep the newest of the union, registers (session, cart
    /// lines, consent, attributes) keep the latest write. Fails with
    /// [`ErrorCode::IdentityConflict`] (changing nothing) if both are known and their ids differ.
    pub fn merge(&mut self, other: &Profile) -> Result<(), Error> {
        self.identity.check_merge(&other.identity)?;
        self.identity.merge(&other.identity);
        self.activity.merge(&other.activity);
        session::merge(&mut self.session, &other.session);
        self.views.merge(&other.views);
        self.cart.merge(&other.cart);
        self.purchases.merge(&other.purchases);
        for (id, theirs) in other.offers.iter() {
            self.offers.upsert(id, |mine| mine.merge(theirs));
        }
        self.evict_offers();
        self.service.merge(&other.service);
        self.consent.merge(&other.consent);
        attributes::merge(&mut self.attributes, &other.attributes);
        self.conversation.merge(&other.conversation);
        self.owned.merge(&other.owned);
        self.habits.merge(&other.habits);
        Ok(())
    }

    /// The right to erasure: forgets everything about the customer except the id (the key the
    /// caller holds; delete the stored bytes to forget that too) and the consent decisions, which
    /// must be kept to keep honouring an objection.
    pub fn erase(&mut self) {
        let consent = core::mem::take(&mut self.consent);
        let identity = Identity::forget(&mut self.identity);
        *self = Profile {
            consent,
            ..Profile::empty(identity)
        };
    }

    /// The right to portability: everything held, as stable JSON (fields in a fixed order, maps
    /// sorted by key), readable back with [`Profile::from_export`]. Documented in `spec/events.md`.
    pub fn export(&self) -> Result<String, Error> {
        #[derive(Serialize)]
        struct Export<'a> {
            format: &'static str,
            schema_version: u16,
            #[serde(flatten)]
            profile: &'a Profile,
        }
        let export = Export {
            format: EXPORT_FORMAT,
            schema_version: SCHEMA_VERSION,
            profile: self,
        };
        serde_json::to_string(&export).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
    }

    /// Reads the JSON of [`Profile::export`] back, checking every invariant a decoded profile must hold.
    ///
    /// Read in two passes over the text: the envelope (`format`, `schema_version`), then the
    /// profile's fields, which ignore the envelope's. One pass with `#[serde(flatten)]` would
    /// buffer the whole profile in serde's generic `Content` first: more code in the WASM module
    /// for every type, and errors without a line and column.
    pub fn from_export(json: &str) -> Result<Self, Error> {
        #[derive(Deserialize)]
        struct Envelope {
            format: String,
            schema_version: u16,
        }
        crate::check::input_len("a profile export", json, MAX_EXPORT_LEN)?;
        let read = crate::event::json_error;
        let envelope: Envelope = serde_json::from_str(json).map_err(read)?;
        if envelope.format != EXPORT_FORMAT {
            return Err(Error::new(
                ErrorCode::DecodeBadMagic,
                alloc::format!(
                    "format is {:?}, expected {EXPORT_FORMAT:?}",
                    envelope.format
                ),
            ));
        }
        // Older versions read as this one (the fields they lack default to empty).
        if !(1..=SCHEMA_VERSION).contains(&envelope.schema_version) {
            return Err(codec::unsupported_version(
                envelope.schema_version,
                SCHEMA_VERSION,
            ));
        }
        let profile: Unchecked = serde_json::from_str(json).map_err(read)?;
        Profile::try_from(profile)
    }

    /// The compact binary form: a versioned envelope around postcard, at most
    /// [`MAX_ENCODED_LEN`] bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        codec::encode(MAGIC, SCHEMA_VERSION, self)
    }

    /// Reads [`Profile::to_bytes`] back. Untrusted input is safe: oversized, truncated, trailing
    /// or malformed bytes are rejected with a `Decode*` [`ErrorCode`], a decoded profile must hold
    /// every invariant, and memory stays proportional to the input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let (version, payload) = codec::open(MAGIC, MAX_ENCODED_LEN, bytes)?;
        let profile: Unchecked = match version {
            SCHEMA_VERSION => codec::take(payload)?,
            2 => codec::take::<v2::Unchecked>(payload)?.into(),
            1 => codec::take::<v1::Unchecked>(payload)?.into(),
            found => return Err(codec::unsupported_version(found, SCHEMA_VERSION)),
        };
        Profile::try_from(profile)
    }

    /// What every profile holds; decoding checks it so bytes cannot smuggle in a state `apply`
    /// could never produce.
    fn check_invariants(&self) -> Result<(), Error> {
        self.identity.check_invariants()?;
        self.activity.check_invariants()?;
        self.service.check_invariants()?;
        self.consent.check_invariants()?;
        if let Some(session) = &self.session {
            session.check_invariants()?;
        }
        self.views.check_invariants()?;
        self.cart.check_invariants()?;
        self.purchases.check_invariants()?;
        for (id, history) in self.offers.iter() {
            check::id("offer id", id, MAX_ID_LEN).map_err(identity::decode)?;
            history.check_invariants()?;
        }
        attributes::check_invariants(&self.attributes)?;
        self.conversation.check_invariants()?;
        self.owned.check_invariants()?;
        self.habits.check_invariants()
    }
}

/// The `format` field of [`Profile::export`].
pub const EXPORT_FORMAT: &str = "shopkeeper.profile";
