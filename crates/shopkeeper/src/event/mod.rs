//! Events: everything a customer does, on any channel, as the caller reports it.
//!
//! The JSON form is documented in `spec/events.md`. Every event carries `at` (seconds since the Unix
//! epoch, from the caller's clock: the core has none) and the `channel` it happened on.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::check;
use crate::limits::{
    MAX_CLOCK_SKEW, MAX_ID_LEN, MAX_LIST_ITEMS, MAX_MESSAGE_INTENTS, MAX_MESSAGE_LEN, MAX_NAME_LEN,
    MAX_PURCHASE_LINES, MAX_TEXT_LEN,
};
use crate::{BoundedVec, Error, ErrorCode};

mod read;

/// Seconds since 1970-01-01T00:00:00Z, supplied by the caller.
pub type Timestamp = i64;

/// Money in minor units of the shop's currency (cents for EUR or USD; yen for JPY).
pub type Money = i64;

/// Where an interaction happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A web shop.
    Web,
    /// A mobile app.
    Mobile,
    /// A physical store's point of sale (JSON also accepts `"pos"`).
    #[serde(alias = "pos")]
    Store,
    /// A call centre or chat agent (JSON also accepts `"contact_center"`).
    #[serde(alias = "contact_center")]
    ContactCentre,
    /// An email (opened, clicked).
    Email,
    /// A self-service kiosk.
    Kiosk,
    /// A chat, with a person or a bot (on the site, in the app, in a messenger).
    Chat,
    /// A social network (a post, a comment, a direct message).
    Social,
}

impl Channel {
    /// Every channel, in a fixed order (the index of [`Channel::index`]).
    pub const ALL: [Channel; 8] = [
        Channel::Web,
        Channel::Mobile,
        Channel::Store,
        Channel::ContactCentre,
        Channel::Email,
        Channel::Kiosk,
        Channel::Chat,
        Channel::Social,
    ];

    /// The JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Mobile => "mobile",
            Channel::Store => "store",
            Channel::ContactCentre => "contact_centre",
            Channel::Email => "email",
            Channel::Kiosk => "kiosk",
            Channel::Chat => "chat",
            Channel::Social => "social",
        }
    }

    /// Position in [`Channel::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The channels' names, for messages: `web, mobile, store, contact_centre, email, kiosk, chat
    /// or social`.
    pub const NAMES: &'static str =
        "web, mobile, store, contact_centre, email, kiosk, chat or social";

    /// The channel of a name as JSON writes it (`web`, `store`...; also `pos` and
    /// `contact_center`): the one reader of channel names for catalogs, requests and tools.
    /// [`Channel::NAMES`] lists them for messages.
    pub fn from_name(name: &str) -> Option<Channel> {
        match name {
            "pos" => Some(Channel::Store),
            "contact_center" => Some(Channel::ContactCentre),
            _ => Channel::ALL.into_iter().find(|c| c.as_str() == name),
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the customer (a chat line, an email, a review, a post).
    Inbound,
    /// From the shop (an agent's or a bot's answer).
    Outbound,
}

/// What a consent change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// Tailoring offers and content to this customer. Withdrawn, it is an *objection*: nothing but
    /// consent changes is recorded any more, and nothing is personalized or learned.
    Personalization,
    /// Sending marketing messages (email, push); read by contact policies.
    Marketing,
}

/// A typed custom attribute value.
///
/// In event JSON the value is written plainly (`true`, `42.5`, `"gold"`, `["a", "b"]`); the type of
/// the first value set fixes the attribute's type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrValue {
    /// `true` or `false`.
    Bool(bool),
    /// A finite number (timestamps are numbers too).
    Number(f64),
    /// A string of at most [`MAX_TEXT_LEN`](crate::limits::MAX_TEXT_LEN) bytes.
    Text(String),
    /// At most [`MAX_LIST_ITEMS`] strings of at most [`MAX_NAME_LEN`](crate::limits::MAX_NAME_LEN) bytes.
    List(BoundedVec<String, MAX_LIST_ITEMS>),
}

impl AttrValue {
    /// The type's name, for messages and the schema: `bool`, `number`, `string` or `list`.
    pub const fn type_name(&self) -> &'static str {
        match self {
            AttrValue::Bool(_) => "bool",
            AttrValue::Number(_) => "number",
            AttrValue::Text(_) => "string",
            AttrValue::List(_) => "list",
        }
    }

    /// A list value, or [`ErrorCode::LimitExceeded`] past [`MAX_LIST_ITEMS`].
    pub fn list(items: Vec<String>) -> Result<Self, Error> {
        BoundedVec::try_from(items).map(AttrValue::List)
    }
}

/// One line of a purchase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseLine {
    /// Product id.
    pub product: String,
    /// Product category, counted per category in the profile.
    #[serde(default)]
    pub category: Option<String>,
    /// Units bought (1 when omitted).
    #[serde(default = "one")]
    pub quantity: u32,
    /// Price of one unit, in minor units.
    pub unit_price: Money,
}

impl PurchaseLine {
    fn validate(&self) -> Result<(), Error> {
        check::id("product", &self.product, MAX_ID_LEN)?;
        check::optional_id("category", self.category.as_deref(), MAX_NAME_LEN)?;
        check::quantity("quantity", self.quantity)?;
        check::amount("unit_price", self.unit_price)
    }
}

fn one() -> u32 {
    1
}

/// A customer interaction: when, where, and what. Its JSON reader is hand-written (`read.rs`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// When it happened, in seconds since the Unix epoch.
    pub at: Timestamp,
    /// Where it happened.
    pub channel: Channel,
    /// What happened (`"type"` in JSON).
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    /// An event at `at` on `channel`.
    pub fn new(at: Timestamp, channel: Channel, kind: EventKind) -> Self {
        Self { at, channel, kind }
    }

    /// Reads one event from its JSON form (`spec/events.md`). Unknown fields are rejected, so a
    /// misspelt field is an error, not a silently missing value. Text over
    /// [`MAX_EVENT_JSON_LEN`](crate::limits::MAX_EVENT_JSON_LEN) is `too_long` before it is read;
    /// a purchase with more than [`MAX_PURCHASE_LINES`] lines is `limit_exceeded` (lines past
    /// the cap are read as JSON only, never kept). The reader is `event/read.rs`.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        check::input_len("an event", text, crate::limits::MAX_EVENT_JSON_LEN)?;
        serde_json::from_str(text).map_err(json_error)
    }

    /// Checks everything about the event that does not depend on a profile: ids and texts within
    /// their caps, amounts and quantities in range, `at` a plausible time in seconds and at most
    /// [`MAX_CLOCK_SKEW`] after `now`. [`Profile::apply`](crate::Profile::apply) calls it first;
    /// callers may also call it before queueing an event.
    pub fn validate(&self, now: Timestamp) -> Result<(), Error> {
        let at = self.at;
        check::timestamp("at", at)?;
        if at > now.saturating_add(MAX_CLOCK_SKEW) {
            return Err(Error::new(
                ErrorCode::FutureTimestamp,
                format!(
                    "at is {at}, {} s after now ({now}); at most {MAX_CLOCK_SKEW} s of clock skew allowed",
                    at.saturating_sub(now)
                ),
            ));
        }
        match &self.kind {
            EventKind::SessionStart {
                referrer,
                affiliate,
            } => {
                check::optional_id("referrer", referrer.as_deref(), MAX_TEXT_LEN)?;
                check::optional_id("affiliate", affiliate.as_deref(), MAX_TEXT_LEN)
            }
            EventKind::PageView { page } => {
                check::optional_id("page", page.as_deref(), MAX_TEXT_LEN)
            }
            EventKind::ProductView { product, category } => {
                check::id("product", product, MAX_ID_LEN)?;
                check::optional_id("category", category.as_deref(), MAX_NAME_LEN)
            }
            EventKind::CartAdd {
                product,
                category,
                quantity,
                unit_price,
            } => {
                check::id("product", product, MAX_ID_LEN)?;
                check::optional_id("category", category.as_deref(), MAX_NAME_LEN)?;
                check::quantity("quantity", *quantity)?;
                check::amount("unit_price", *unit_price)
            }
            EventKind::CartRemove { product, quantity } => {
                check::id("product", product, MAX_ID_LEN)?;
                quantity.map_or(Ok(()), |q| check::quantity("quantity", q))
            }
            EventKind::CartClear {} => Ok(()),
            EventKind::Purchase {
                order,
                lines,
                total,
            } => {
                check::id("order", order, MAX_ID_LEN)?;
                check::amount("total", *total)?;
                lines.iter().enumerate().try_for_each(|(i, line)| {
                    line.validate()
                        .map_err(|e| e.within(format_args!("lines[{i}]")))
                })
            }
            EventKind::OfferShown { offer }
            | EventKind::OfferAccepted { offer }
            | EventKind::OfferDismissed { offer } => check::id("offer", offer, MAX_ID_LEN),
            EventKind::Identify { customer } => check::id("customer", customer, MAX_ID_LEN),
            EventKind::ServiceContact { reason } | EventKind::Complaint { reason } => {
                check::optional_id("reason", reason.as_deref(), MAX_TEXT_LEN)
            }
            EventKind::AttributeSet { name, value } => {
                check::id("attribute name", name, MAX_NAME_LEN)?;
                let checked = value.as_ref().map_or(Ok(()), check::attr_value);
                checked.map_err(|e| e.within(format_args!("attribute {name:?}")))
            }
            EventKind::ConsentChange { .. } => Ok(()),
            EventKind::Message {
                text,
                sentiment,
                intents,
                product,
                rating,
                ..
            } => {
                if let Some(text) = text {
                    check::text("text", text, MAX_MESSAGE_LEN)?;
                }
                if let Some(s) = sentiment {
                    check::finite("sentiment", *s)?;
                    if !(-1.0..=1.0).contains(s) {
                        return Err(Error::new(
                            ErrorCode::InvalidNumber,
                            format!("sentiment is {s}; it is -1 to 1"),
                        ));
                    }
                }
                for intent in intents.iter() {
                    check::id("intent", intent, MAX_NAME_LEN)?;
                }
                check::optional_id("product", product.as_deref(), MAX_ID_LEN)?;
                match rating {
                    Some(r) if !(1..=5).contains(r) => Err(Error::new(
                        ErrorCode::InvalidNumber,
                        format!("rating is {r}; it is 1 to 5 stars"),
                    )),
                    _ => Ok(()),
                }
            }
        }
    }

    /// The JSON form (`spec/events.md`). Fails for a NaN or infinite attribute number, which JSON
    /// cannot carry (and [`Event::validate`] rejects).
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string(self).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
    }
}

/// Maps a serde_json error to [`ErrorCode::InvalidJson`] with its line and column.
pub(crate) fn json_error(error: serde_json::Error) -> Error {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = text.strip_suffix(suffix.as_str()).unwrap_or(&text);
    // A bounded collection that stopped reading at its cap is a limit, not malformed JSON (the
    // whole message is its own: input echoed in another message never matches).
    let code = if crate::bounded::is_over_cap(message) {
        ErrorCode::LimitExceeded
    } else {
        ErrorCode::InvalidJson
    };
    Error::new(code, message).at(error.line(), error.column())
}

/// What happened. Tagged by `"type"` in JSON, in snake_case (`"cart_add"`). Read as part of an
/// [`Event`], which rejects fields the type does not have; an omitted optional field is `None`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A visit begins: it becomes the profile's current session.
    SessionStart {
        /// Where the visitor came from (a domain or campaign).
        referrer: Option<String>,
        /// The affiliate or partner credited with the visit.
        affiliate: Option<String>,
    },
    /// A page was shown (counted in the current session).
    PageView {
        /// The page or page type, checked but not kept.
        page: Option<String>,
    },
    /// A product page was shown.
    ProductView {
        /// Product id.
        product: String,
        /// Product category.
        category: Option<String>,
    },
    /// Units of a product were put in the cart.
    CartAdd {
        /// Product id.
        product: String,
        /// Product category.
        category: Option<String>,
        /// Units added (1 when omitted).
        quantity: u32,
        /// Price of one unit, in minor units; the line takes the latest price.
        unit_price: Money,
    },
    /// Units of a product were taken out of the cart.
    CartRemove {
        /// Product id.
        product: String,
        /// Units removed; the whole line when omitted.
        quantity: Option<u32>,
    },
    /// The cart was emptied.
    CartClear {},
    /// An order was placed, on any channel. Its products leave the cart.
    Purchase {
        /// Order id; a purchase with a recently seen order id is ignored as a duplicate.
        order: String,
        /// What was bought (at most [`MAX_PURCHASE_LINES`](crate::limits::MAX_PURCHASE_LINES)).
        lines: BoundedVec<PurchaseLine, MAX_PURCHASE_LINES>,
        /// What was paid, in minor units (may differ from the lines' sum: discounts, tax, shipping).
        total: Money,
    },
    /// An offer was presented.
    OfferShown {
        /// Offer id.
        offer: String,
    },
    /// An offer was taken up.
    OfferAccepted {
        /// Offer id.
        offer: String,
    },
    /// An offer was turned down or closed.
    OfferDismissed {
        /// Offer id.
        offer: String,
    },
    /// The visitor logged in or registered: the profile becomes the known customer's, and its
    /// anonymous id is remembered.
    Identify {
        /// The known customer's id.
        customer: String,
    },
    /// The customer contacted customer service.
    ServiceContact {
        /// Why, checked but not kept.
        reason: Option<String>,
    },
    /// The customer complained.
    Complaint {
        /// About what, checked but not kept.
        reason: Option<String>,
    },
    /// A custom attribute was set, or removed with `null`.
    AttributeSet {
        /// Attribute name.
        name: String,
        /// The value; `null` removes the attribute (and frees its type).
        #[serde(serialize_with = "plain_attr_value::serialize")]
        value: Option<AttrValue>,
    },
    /// The customer granted or withdrew consent for a purpose.
    ConsentChange {
        /// What the consent is for.
        purpose: ConsentPurpose,
        /// Granted (`true`) or withdrawn (`false`).
        granted: bool,
    },
    /// A message: a chat line, an email, a contact-centre note, a social post, a review. Its
    /// text is **never kept**: only the signals derived from the message (its sentiment and
    /// intents, `spec/events.md`, "Messages") enter the profile, heard when it is applied with
    /// a [`Listener`](crate::listen::Listener) ([`Profile::apply_with`](crate::Profile::apply_with)).
    /// A caller with its own analysis sends `sentiment` and `intents`.
    Message {
        /// From the customer or from the shop.
        direction: Direction,
        /// What was written, at most [`MAX_MESSAGE_LEN`](crate::limits::MAX_MESSAGE_LEN) bytes.
        text: Option<String>,
        /// A sentiment in [-1, 1] the caller measured; with text, it takes precedence over the
        /// analysis.
        sentiment: Option<f64>,
        /// Intents the caller detected (names as a catalog's `intents` declares them), added to
        /// those the analysis finds.
        intents: BoundedVec<String, MAX_MESSAGE_INTENTS>,
        /// The product a review is about.
        product: Option<String>,
        /// A review's rating, 1 to 5 stars.
        rating: Option<u8>,
    },
}

impl EventKind {
    /// The JSON `"type"` name.
    pub const fn type_name(&self) -> &'static str {
        match self {
            EventKind::SessionStart { .. } => "session_start",
            EventKind::PageView { .. } => "page_view",
            EventKind::ProductView { .. } => "product_view",
            EventKind::CartAdd { .. } => "cart_add",
            EventKind::CartRemove { .. } => "cart_remove",
            EventKind::CartClear {} => "cart_clear",
            EventKind::Purchase { .. } => "purchase",
            EventKind::OfferShown { .. } => "offer_shown",
            EventKind::OfferAccepted { .. } => "offer_accepted",
            EventKind::OfferDismissed { .. } => "offer_dismissed",
            EventKind::Identify { .. } => "identify",
            EventKind::ServiceContact { .. } => "service_contact",
            EventKind::Complaint { .. } => "complaint",
            EventKind::AttributeSet { .. } => "attribute_set",
            EventKind::ConsentChange { .. } => "consent_change",
            EventKind::Message { .. } => "message",
        }
    }
}

/// Attribute values in event JSON are written plainly: `true`, `1.5`, `"gold"`, `["a"]`, `null`
/// (`read.rs` reads them).
mod plain_attr_value {
    use super::*;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(value: &Option<AttrValue>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            None => s.serialize_none(),
            Some(AttrValue::Bool(b)) => s.serialize_bool(*b),
            Some(AttrValue::Number(n)) if !n.is_finite() => Err(serde::ser::Error::custom(
                "an attribute number must be finite",
            )),
            Some(AttrValue::Number(n)) => s.serialize_f64(*n),
            Some(AttrValue::Text(t)) => s.serialize_str(t),
            Some(AttrValue::List(items)) => items.serialize(s),
        }
    }
}
