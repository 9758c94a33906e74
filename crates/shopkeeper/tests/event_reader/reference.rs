//! The derived definitions of `Event` and `EventKind` as they were before the hand-written reader
//! (`src/event/read.rs`), kept as the reference it is tested against, and `Event::from_json` as it
//! was with them.

use serde::Deserialize;
use shopkeeper::limits::{MAX_EVENT_JSON_LEN, MAX_MESSAGE_INTENTS, MAX_PURCHASE_LINES};
use shopkeeper::{
    AttrValue, BoundedVec, Channel, ConsentPurpose, Direction, Error, ErrorCode, EventKind as Kind,
    Money, PurchaseLine, Timestamp,
};

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub channel: Channel,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EventKind {
    SessionStart {
        #[serde(default)]
        referrer: Option<String>,
        #[serde(default)]
        affiliate: Option<String>,
    },
    PageView {
        #[serde(default)]
        page: Option<String>,
    },
    ProductView {
        product: String,
        #[serde(default)]
        category: Option<String>,
    },
    CartAdd {
        product: String,
        #[serde(default)]
        category: Option<String>,
        #[serde(default = "one")]
        quantity: u32,
        unit_price: Money,
    },
    CartRemove {
        product: String,
        #[serde(default)]
        quantity: Option<u32>,
    },
    CartClear {},
    Purchase {
        order: String,
        lines: BoundedVec<PurchaseLine, MAX_PURCHASE_LINES>,
        total: Money,
    },
    OfferShown {
        offer: String,
    },
    OfferAccepted {
        offer: String,
    },
    OfferDismissed {
        offer: String,
    },
    Identify {
        customer: String,
    },
    ServiceContact {
        #[serde(default)]
        reason: Option<String>,
    },
    Complaint {
        #[serde(default)]
        reason: Option<String>,
    },
    AttributeSet {
        name: String,
        #[serde(with = "plain_attr_value")]
        value: Option<AttrValue>,
    },
    ConsentChange {
        purpose: ConsentPurpose,
        granted: bool,
    },
    Message {
        direction: Direction,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        sentiment: Option<f64>,
        #[serde(default)]
        intents: BoundedVec<String, MAX_MESSAGE_INTENTS>,
        #[serde(default)]
        product: Option<String>,
        #[serde(default)]
        rating: Option<u8>,
    },
}

mod plain_attr_value {
    use core::fmt;
    use serde::de::{self, SeqAccess, Visitor};
    use serde::{Deserialize, Deserializer};
    use shopkeeper::AttrValue;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<AttrValue>, D::Error> {
        struct Plain;
        impl<'de> Visitor<'de> for Plain {
            type Value = Option<AttrValue>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean, number, string, list of strings, or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Some(AttrValue::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Some(AttrValue::Number(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(AttrValue::Number(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Some(AttrValue::Number(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Some(AttrValue::Text(v.into())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                let items = Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Some(AttrValue::List(items)))
            }
        }
        d.deserialize_any(Plain)
    }
}

/// The reference's event as today's type (the fields are the same, one by one).
fn convert(event: Event) -> shopkeeper::Event {
    use EventKind as R;
    let kind = match event.kind {
        R::SessionStart {
            referrer,
            affiliate,
        } => Kind::SessionStart {
            referrer,
            affiliate,
        },
        R::PageView { page } => Kind::PageView { page },
        R::ProductView { product, category } => Kind::ProductView { product, category },
        R::CartAdd {
            product,
            category,
            quantity,
            unit_price,
        } => Kind::CartAdd {
            product,
            category,
            quantity,
            unit_price,
        },
        R::CartRemove { product, quantity } => Kind::CartRemove { product, quantity },
        R::CartClear {} => Kind::CartClear {},
        R::Purchase {
            order,
            lines,
            total,
        } => Kind::Purchase {
            order,
            lines,
            total,
        },
        R::OfferShown { offer } => Kind::OfferShown { offer },
        R::OfferAccepted { offer } => Kind::OfferAccepted { offer },
        R::OfferDismissed { offer } => Kind::OfferDismissed { offer },
        R::Identify { customer } => Kind::Identify { customer },
        R::ServiceContact { reason } => Kind::ServiceContact { reason },
        R::Complaint { reason } => Kind::Complaint { reason },
        R::AttributeSet { name, value } => Kind::AttributeSet { name, value },
        R::ConsentChange { purpose, granted } => Kind::ConsentChange { purpose, granted },
        R::Message {
            direction,
            text,
            sentiment,
            intents,
            product,
            rating,
        } => Kind::Message {
            direction,
            text,
            sentiment,
            intents,
            product,
            rating,
        },
    };
    shopkeeper::Event::new(event.at, event.channel, kind)
}

/// `Event::from_json` as it was, with the reference type: serde_json's error, its line and column
/// apart, and `limit_exceeded` for a bounded list past its cap.
pub fn reference_from_json(text: &str) -> Result<shopkeeper::Event, Error> {
    if text.len() > MAX_EVENT_JSON_LEN {
        return Err(Error::new(ErrorCode::TooLong, "too long"));
    }
    let event: Event = serde_json::from_str(text).map_err(|error| {
        let text = error.to_string();
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let message = text.strip_suffix(suffix.as_str()).unwrap_or(&text);
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let over_cap = message
            .split_once(" items, more than the cap of ")
            .is_some_and(|(len, cap)| digits(len) && digits(cap));
        let code = if over_cap {
            ErrorCode::LimitExceeded
        } else {
            ErrorCode::InvalidJson
        };
        Error::new(code, message).at(error.line(), error.column())
    })?;
    Ok(convert(event))
}
