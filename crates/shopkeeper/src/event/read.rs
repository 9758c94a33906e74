//! Reading an [`Event`]: one pass over its object, each value read once, then the fields of the
//! type it names taken out.
//!
//! Why by hand: with `#[derive(Deserialize)]`, an event that flattens its kind, an internally
//! tagged enum (`"type"`), can only be read by buffering it whole into serde's private `Content`
//! tree and reading the tag, then the variant, again from the tree. That monomorphises serde's
//! `ContentDeserializer`, `ContentRefDeserializer` and `FlatMapDeserializer` for every field's
//! type: 79 KB of serde's code in the npm package's WebAssembly module (before `wasm-opt`), for
//! one small object. Without them the shipped module is 46 KB lighter, 6.4 KiB gzipped.
//!
//! It accepts what the derived reader accepted, builds the same events and fails with the same
//! errors, position included (`tests/event_reader.rs` checks it on a generated corpus). So it
//! keeps the order in which buffering found problems: first the text must be JSON and `at` and
//! `channel` readable and not repeated; then `at`, `channel` and a readable, single `type` must
//! be there; then the first key, in the text's order, that the type does not have, that comes
//! again, or whose value is wrong; then the type's missing fields, in their declared order. A
//! value is therefore read without failing (a wrong one is kept as its [`Problem`]) and judged
//! once the type is known. It keeps the derived forms too: a type by its index (`"type": 3`),
//! an enum as a one-key map (`{"inbound": null}`), a purchase line as an array. A list is read
//! past its cap only as JSON, keeping nothing, and reported with its whole length.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, Expected, MapAccess, SeqAccess, Unexpected, Visitor,
};
use serde::Deserialize;

use super::{
    AttrValue, Channel, ConsentPurpose, Direction, Event, EventKind, PurchaseLine, Timestamp,
};
use crate::bounded::{over_cap, AtMost};
use crate::limits::{MAX_LIST_ITEMS, MAX_MESSAGE_INTENTS, MAX_PURCHASE_LINES};
use crate::BoundedVec;

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct Event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let (mut at, mut channel) = (None, None);
        let mut fields = Fields {
            keys: &KEYS,
            ..Fields::default()
        };
        while let Some(key) = map.next_key_seed(Key(&KEYS))? {
            match key.as_ref().map(|&key| KEYS[key]) {
                Ok("at") if at.is_none() => at = Some(map.next_value::<Timestamp>()?),
                Ok("channel") if channel.is_none() => channel = Some(map.next_value::<Channel>()?),
                Ok(name @ ("at" | "channel")) => return Err(de::Error::duplicate_field(name)),
                _ => fields.read(&mut map, key)?,
            }
        }
        let at = at.ok_or_else(|| de::Error::missing_field("at"))?;
        let channel = channel.ok_or_else(|| de::Error::missing_field("channel"))?;
        let kind = fields.kind().map_err(Problem::raise)?;
        Ok(Event { at, channel, kind })
    }
}

/// Every key an event may have: `at`, `channel`, `type`, then every type's fields.
#[rustfmt::skip]
const KEYS: [&str; 25] = [
    "at", "channel", "type", "referrer", "affiliate", "page", "product", "category", "quantity",
    "unit_price", "order", "lines", "total", "offer", "customer", "reason", "name", "value",
    "purpose", "granted", "direction", "text", "sentiment", "intents", "rating",
];

/// The types, in [`EventKind`]'s order (a type may be written as its index here).
#[rustfmt::skip]
const TYPES: [&str; 16] = [
    "session_start", "page_view", "product_view", "cart_add", "cart_remove", "cart_clear",
    "purchase", "offer_shown", "offer_accepted", "offer_dismissed", "identify", "service_contact",
    "complaint", "attribute_set", "consent_change", "message",
];

/// The fields of a purchase line and of a message, in their declared order.
const LINE_FIELDS: [&str; 4] = ["product", "category", "quantity", "unit_price"];
#[rustfmt::skip]
const MESSAGE_FIELDS: [&str; 6] = ["direction", "text", "sentiment", "intents", "product", "rating"];

/// The values of a map (an event, a purchase line) by key, each with the number of its entry
/// in the map, then the fields of its kind taken out of them, keeping the first problem in the
/// text's order: a wrong value, a key that comes again, a key the kind does not have.
#[derive(Default)]
struct Fields {
    keys: &'static [&'static str],
    values: [Option<(usize, Got)>; KEYS.len()],
    /// Where a key came a second time.
    again: [Option<usize>; KEYS.len()],
    /// The first key not in `keys`.
    unknown: Option<(usize, String)>,
    entries: usize,
    first: Option<(usize, Problem)>,
}

impl Fields {
    /// Reads the value of the next entry, whose key is `key` (its index, or an unknown name).
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        key: Result<usize, String>,
    ) -> Result<(), A::Error> {
        self.entries += 1;
        let entry = self.entries;
        match key {
            Ok(key) if self.values[key].is_none() => {
                let shape = match self.keys[key] {
                    "lines" => Shape::Lines,
                    "intents" => Shape::Texts(MAX_MESSAGE_INTENTS),
                    "value" => Shape::Texts(MAX_LIST_ITEMS),
                    _ => Shape::Any,
                };
                self.values[key] = Some((entry, map.next_value_seed(shape)?));
                return Ok(());
            }
            Ok(key) => _ = self.again[key].get_or_insert(entry),
            Err(name) => _ = self.unknown.get_or_insert((entry, name)),
        }
        map.next_value_seed(Shape::Any).map(drop)
    }

    fn note(&mut self, entry: usize, problem: impl FnOnce() -> Problem) {
        if self.first.as_ref().is_none_or(|(first, _)| entry < *first) {
            self.first = Some((entry, problem()));
        }
    }

    /// The field `key` as `convert` reads it: `None` when absent, or wrong (then noted, as is a
    /// second `key`).
    fn field<T>(&mut self, key: &'static str, convert: fn(Got) -> Result<T, Problem>) -> Option<T> {
        let slot = self.keys.iter().position(|k| *k == key)?;
        if let Some(entry) = self.again[slot] {
            self.note(entry, || Problem::Duplicate(key));
        }
        let (entry, got) = self.values[slot].take()?;
        convert(got)
            .map_err(|problem| self.note(entry, || problem))
            .ok()
    }

    /// The first problem, once the kind's fields (`fields`) are taken: any key left is unknown.
    fn finish(&mut self, fields: &'static [&'static str]) -> Result<(), Problem> {
        let left = self.keys.iter().zip(&self.values);
        let left = left
            .filter_map(|(key, value)| Some((value.as_ref()?.0, *key)))
            .min();
        if let Some((entry, key)) = left {
            self.note(entry, || Problem::UnknownField(key.into(), fields));
        }
        if let Some((entry, name)) = self.unknown.take() {
            self.note(entry, || Problem::UnknownField(name, fields));
        }
        self.first
            .take()
            .map_or(Ok(()), |(_, problem)| Err(problem))
    }

    /// The event's kind, named by `type`, with its fields.
    fn kind(mut self) -> Result<EventKind, Problem> {
        let index = self.field("type", type_index);
        if let Some((_, problem)) = self.first.take() {
            return Err(problem);
        }
        let index = need(index, "type")?;
        Ok(match index {
            0 => {
                let referrer = self.field("referrer", optional_text);
                let affiliate = self.field("affiliate", optional_text);
                self.finish(&["referrer", "affiliate"])?;
                EventKind::SessionStart {
                    referrer: referrer.flatten(),
                    affiliate: affiliate.flatten(),
                }
            }
            1 => {
                let page = self.field("page", optional_text);
                self.finish(&["page"])?;
                EventKind::PageView {
                    page: page.flatten(),
                }
            }
            2 => {
                let product = self.field("product", text);
                let category = self.field("category", optional_text);
                self.finish(&["product", "category"])?;
                EventKind::ProductView {
                    product: need(product, "product")?,
                    category: category.flatten(),
                }
            }
            3 => {
                let product = self.field("product", text);
                let category = self.field("category", optional_text);
                let quantity = self.field("quantity", integer::<u32>);
                let unit_price = self.field("unit_price", integer::<i64>);
                self.finish(&["product", "category", "quantity", "unit_price"])?;
                EventKind::CartAdd {
                    product: need(product, "product")?,
                    category: category.flatten(),
                    quantity: quantity.unwrap_or(1),
                    unit_price: need(unit_price, "unit_price")?,
                }
            }
            4 => {
                let product = self.field("product", text);
                let quantity = self.field("quantity", |got| optional(got, integer::<u32>));
                self.finish(&["product", "quantity"])?;
                EventKind::CartRemove {
                    product: need(product, "product")?,
                    quantity: quantity.flatten(),
                }
            }
            5 => {
                self.finish(&[])?;
                EventKind::CartClear {}
            }
            6 => {
                let order = self.field("order", text);
                let lines = self.field("lines", |got| match got {
                    Got::Lines(lines) => bounded(lines),
                    got => Err(wrong(got, &AtMost(MAX_PURCHASE_LINES))),
                });
                let total = self.field("total", integer::<i64>);
                self.finish(&["order", "lines", "total"])?;
                EventKind::Purchase {
                    order: need(order, "order")?,
                    lines: need(lines, "lines")?,
                    total: need(total, "total")?,
                }
            }
            7..=10 => {
                let fields: &[&str] = if index == 10 {
                    &["customer"]
                } else {
                    &["offer"]
                };
                let id = self.field(fields[0], text);
                self.finish(fields)?;
                let id = need(id, fields[0])?;
                match index {
                    7 => EventKind::OfferShown { offer: id },
                    8 => EventKind::OfferAccepted { offer: id },
                    9 => EventKind::OfferDismissed { offer: id },
                    _ => EventKind::Identify { customer: id },
                }
            }
            11 | 12 => {
                let reason = self.field("reason", optional_text).flatten();
                self.finish(&["reason"])?;
                match index {
                    11 => EventKind::ServiceContact { reason },
                    _ => EventKind::Complaint { reason },
                }
            }
            13 => {
                let name = self.field("name", text);
                let value = self.field("value", attr_value);
                self.finish(&["name", "value"])?;
                EventKind::AttributeSet {
                    name: need(name, "name")?,
                    value: need(value, "value")?,
                }
            }
            14 => {
                let purpose = self.field("purpose", |got| {
                    let purposes = [ConsentPurpose::Personalization, ConsentPurpose::Marketing];
                    variant(got, &["personalization", "marketing"], purposes)
                });
                let granted = self.field("granted", boolean);
                self.finish(&["purpose", "granted"])?;
                EventKind::ConsentChange {
                    purpose: need(purpose, "purpose")?,
                    granted: need(granted, "granted")?,
                }
            }
            _ => {
                let direction = self.field("direction", |got| {
                    let directions = [Direction::Inbound, Direction::Outbound];
                    variant(got, &["inbound", "outbound"], directions)
                });
                let text = self.field("text", optional_text);
                let sentiment = self.field("sentiment", |got| optional(got, float));
                let intents = self.field("intents", |got| match got {
                    Got::Texts(items) => bounded(items),
                    got => Err(wrong(got, &AtMost(MAX_MESSAGE_INTENTS))),
                });
                let product = self.field("product", optional_text);
                let rating = self.field("rating", |got| optional(got, integer::<u8>));
                self.finish(&MESSAGE_FIELDS)?;
                EventKind::Message {
                    direction: need(direction, "direction")?,
                    text: text.flatten(),
                    sentiment: sentiment.flatten(),
                    intents: intents.unwrap_or_default(),
                    product: product.flatten(),
                    rating: rating.flatten(),
                }
            }
        })
    }

    /// A purchase line written as a map.
    fn line(mut self) -> Result<PurchaseLine, Problem> {
        let product = self.field("product", text);
        let category = self.field("category", optional_text);
        let quantity = self.field("quantity", integer);
        let unit_price = self.field("unit_price", integer);
        self.finish(&LINE_FIELDS)?;
        Ok(PurchaseLine {
            product: need(product, "product")?,
            category: category.flatten(),
            quantity: quantity.unwrap_or(1),
            unit_price: need(unit_price, "unit_price")?,
        })
    }
}

fn need<T>(field: Option<T>, name: &'static str) -> Result<T, Problem> {
    field.ok_or(Problem::Missing(name))
}

/// A value as it was written, kept until its type's field says how to read it. Lists and maps
/// are kept only as far as some field reads them (see [`Shape`]).
enum Got {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(String),
    /// A list, read as JSON only.
    Seq,
    /// A map: its first entry (an enum's `{"inbound": null}`) and how many it has.
    Map(Option<(String, Box<Got>)>, usize),
    /// A list of strings ([`Shape::Texts`]).
    Texts(Vec<String>),
    /// A purchase's lines ([`Shape::Lines`]).
    Lines(Vec<PurchaseLine>),
    /// A purchase line ([`Shape::Line`]).
    Line(Box<PurchaseLine>),
    /// A list or a line that is wrong (its first problem; the rest was read as JSON only).
    Bad(Box<Problem>),
}

/// serde's description of what was found, for messages.
fn unexpected(got: &Got) -> Unexpected<'_> {
    match got {
        Got::Null => Unexpected::Unit,
        Got::Bool(b) => Unexpected::Bool(*b),
        Got::U64(v) => Unexpected::Unsigned(*v),
        Got::I64(v) => Unexpected::Signed(*v),
        Got::F64(v) => Unexpected::Float(*v),
        Got::Str(s) => Unexpected::Str(s),
        Got::Seq | Got::Texts(_) | Got::Lines(_) => Unexpected::Seq,
        Got::Map(..) | Got::Line(_) | Got::Bad(_) => Unexpected::Map,
    }
}

/// Why a value, or the event, is not what it should be: one of serde's errors, made when the
/// reader's error type is at hand ([`Problem::raise`]).
enum Problem {
    Type(Got, &'static dyn Expected),
    Value(Got, &'static dyn Expected),
    Length(usize, &'static dyn Expected),
    UnknownField(String, &'static [&'static str]),
    UnknownVariant(String, &'static [&'static str]),
    Duplicate(&'static str),
    Missing(&'static str),
    OverCap(usize, usize),
}

impl Problem {
    fn raise<E: de::Error>(self) -> E {
        match self {
            Problem::Type(got, expected) => E::invalid_type(unexpected(&got), expected),
            Problem::Value(got, expected) => E::invalid_value(unexpected(&got), expected),
            Problem::Length(len, expected) => E::invalid_length(len, expected),
            Problem::UnknownField(name, fields) => E::unknown_field(&name, fields),
            Problem::UnknownVariant(name, variants) => E::unknown_variant(&name, variants),
            Problem::Duplicate(field) => E::duplicate_field(field),
            Problem::Missing(field) => E::missing_field(field),
            Problem::OverCap(len, cap) => over_cap(len, cap),
        }
    }
}

/// `got` is not the `expected` kind of value (or is a list or line with a problem of its own).
fn wrong(got: Got, expected: &'static dyn Expected) -> Problem {
    match got {
        Got::Bad(problem) => *problem,
        got => Problem::Type(got, expected),
    }
}

fn text(got: Got) -> Result<String, Problem> {
    match got {
        Got::Str(s) => Ok(s),
        got => Err(wrong(got, &"a string")),
    }
}

/// `null` is `None`.
fn optional<T>(got: Got, read: fn(Got) -> Result<T, Problem>) -> Result<Option<T>, Problem> {
    match got {
        Got::Null => Ok(None),
        got => read(got).map(Some),
    }
}

fn optional_text(got: Got) -> Result<Option<String>, Problem> {
    optional(got, text)
}

/// The integer types of events' fields, by the name serde's messages give them.
trait Integer: TryFrom<u64> + TryFrom<i64> {
    const NAME: &'static str;
}

macro_rules! integers {
    ($($t:ident)*) => { $(impl Integer for $t { const NAME: &'static str = stringify!($t); })* };
}

integers!(u8 u32 i64);

/// An integer that fits `T`, as serde reads one.
fn integer<T: Integer>(got: Got) -> Result<T, Problem> {
    let name = &T::NAME;
    let fits = match got {
        Got::U64(v) => T::try_from(v).ok(),
        Got::I64(v) => T::try_from(v).ok(),
        got => return Err(wrong(got, name)),
    };
    fits.ok_or(Problem::Value(got, name))
}

fn float(got: Got) -> Result<f64, Problem> {
    match got {
        Got::U64(v) => Ok(v as f64),
        Got::I64(v) => Ok(v as f64),
        Got::F64(v) => Ok(v),
        got => Err(wrong(got, &"f64")),
    }
}

fn boolean(got: Got) -> Result<bool, Problem> {
    match got {
        Got::Bool(b) => Ok(b),
        got => Err(wrong(got, &"a boolean")),
    }
}

/// A unit variant of an enum by name (`"inbound"`), or as a one-key map (`{"inbound": null}`).
fn variant<T: Copy, const N: usize>(
    got: Got,
    names: &'static [&'static str; N],
    values: [T; N],
) -> Result<T, Problem> {
    let (name, value) = match got {
        Got::Str(name) => (name, None),
        Got::Map(Some((name, value)), 1) => (name, Some(*value)),
        Got::Map(..) => return Err(Problem::Value(got, &"map with a single key")),
        got => return Err(wrong(got, &"string or map")),
    };
    let index = names.iter().position(|n| *n == name);
    let index = index.ok_or(Problem::UnknownVariant(name, names))?;
    match value {
        None | Some(Got::Null | Got::Map(_, 0)) => Ok(values[index]),
        Some(value) => Err(wrong(value, &"unit")),
    }
}

/// The type by name or by index.
fn type_index(got: Got) -> Result<usize, Problem> {
    match got {
        Got::Str(name) => {
            let index = TYPES.iter().position(|t| *t == name);
            index.ok_or(Problem::UnknownVariant(name, &TYPES))
        }
        Got::U64(index) if index < TYPES.len() as u64 => Ok(index as usize),
        Got::U64(_) => Err(Problem::Value(got, &"variant index 0 <= i < 16")),
        got => Err(wrong(got, &"variant identifier")),
    }
}

const ATTRIBUTE_VALUE: &str = "a boolean, number, string, list of strings, or null";

/// An attribute's value, written plainly (`null` removes it).
fn attr_value(got: Got) -> Result<Option<AttrValue>, Problem> {
    Ok(Some(match got {
        Got::Null => return Ok(None),
        Got::Bool(b) => AttrValue::Bool(b),
        Got::U64(v) => AttrValue::Number(v as f64),
        Got::I64(v) => AttrValue::Number(v as f64),
        Got::F64(v) => AttrValue::Number(v),
        Got::Str(s) => AttrValue::Text(s),
        Got::Texts(items) => AttrValue::List(bounded(items)?),
        got => return Err(wrong(got, &ATTRIBUTE_VALUE)),
    }))
}

fn bounded<T, const N: usize>(items: Vec<T>) -> Result<BoundedVec<T, N>, Problem> {
    let len = items.len();
    BoundedVec::try_from(items).map_err(|_| Problem::OverCap(len, N))
}

fn line(got: Got) -> Result<PurchaseLine, Problem> {
    match got {
        Got::Line(line) => Ok(*line),
        got => Err(wrong(got, &"struct PurchaseLine")),
    }
}

/// How to read a value: anything as a [`Got`], or, for the fields that are lists, their items.
#[derive(Clone, Copy)]
enum Shape {
    Any,
    /// A list of at most this many strings.
    Texts(usize),
    /// A purchase's lines.
    Lines,
    /// One purchase line: a map, or an array in field order.
    Line,
}

impl<'de> DeserializeSeed<'de> for Shape {
    type Value = Got;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Got, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Shape {
    type Value = Got;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Got, E> {
        Ok(Got::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Got, E> {
        Ok(Got::Bool(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Got, E> {
        Ok(Got::U64(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Got, E> {
        Ok(Got::I64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Got, E> {
        Ok(Got::F64(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Got, E> {
        Ok(Got::Str(v.into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Got, A::Error> {
        let read = match self {
            Shape::Any => {
                while seq.next_element_seed(Shape::Any)?.is_some() {}
                return Ok(Got::Seq);
            }
            Shape::Texts(cap) => list(seq, cap, Shape::Any, text)?.map(Got::Texts),
            Shape::Lines => list(seq, MAX_PURCHASE_LINES, Shape::Line, line)?.map(Got::Lines),
            Shape::Line => line_from_seq(seq)?.map(Box::new).map(Got::Line),
        };
        Ok(read.unwrap_or_else(|problem| Got::Bad(Box::new(problem))))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Got, A::Error> {
        if let Shape::Line = self {
            let mut fields = Fields {
                keys: &LINE_FIELDS,
                ..Fields::default()
            };
            while let Some(key) = map.next_key_seed(Key(&LINE_FIELDS))? {
                fields.read(&mut map, key)?;
            }
            let line = fields.line().map(Box::new);
            return Ok(line.map_or_else(|problem| Got::Bad(Box::new(problem)), Got::Line));
        }
        let first = match map.next_key::<String>()? {
            Some(key) => Some((key, Box::new(map.next_value_seed(Shape::Any)?))),
            None => None,
        };
        let mut len = usize::from(first.is_some());
        while map.next_entry_seed(Shape::Any, Shape::Any)?.is_some() {
            len += 1;
        }
        Ok(Got::Map(first, len))
    }
}

/// At most `cap` items read with `shape` and `item`, then the rest as JSON only: past the cap,
/// the list's whole length is the problem; below it, the first wrong item.
fn list<'de, A: SeqAccess<'de>, T>(
    mut seq: A,
    cap: usize,
    shape: Shape,
    item: fn(Got) -> Result<T, Problem>,
) -> Result<Result<Vec<T>, Problem>, A::Error> {
    let (mut items, mut problem, mut len) = (Vec::new(), None, 0);
    loop {
        if len < cap && problem.is_none() {
            match seq.next_element_seed(shape)? {
                Some(got) => match item(got) {
                    Ok(item) => items.push(item),
                    Err(wrong) => problem = Some(wrong),
                },
                None => break,
            }
        } else if seq.next_element_seed(Shape::Any)?.is_none() {
            break;
        }
        len += 1;
    }
    Ok(match problem {
        _ if len > cap => Err(Problem::OverCap(len, cap)),
        Some(problem) => Err(problem),
        None => Ok(items),
    })
}

/// A purchase line written as an array: product, category, quantity, unit price.
fn line_from_seq<'de, A: SeqAccess<'de>>(
    mut seq: A,
) -> Result<Result<PurchaseLine, Problem>, A::Error> {
    let mut items = Vec::new();
    let mut more = 0;
    while items.len() < LINE_FIELDS.len() {
        match seq.next_element_seed(Shape::Any)? {
            Some(got) => items.push(got),
            None => break,
        }
    }
    while seq.next_element_seed(Shape::Any)?.is_some() {
        more += 1;
    }
    Ok(line_of(items, more))
}

/// The line of an array's first four items, `more` after them.
fn line_of(items: Vec<Got>, more: usize) -> Result<PurchaseLine, Problem> {
    let expected = &"struct PurchaseLine with 4 elements";
    let mut items = items.into_iter();
    let product = text(items.next().ok_or(Problem::Length(0, expected))?)?;
    let category = items.next().map_or(Ok(None), optional_text)?;
    let quantity = items.next().map_or(Ok(1), integer)?;
    let unit_price = integer(items.next().ok_or(Problem::Length(3, expected))?)?;
    if more > 0 {
        return Err(Problem::Length(4 + more, &"4 elements in sequence"));
    }
    Ok(PurchaseLine {
        product,
        category,
        quantity,
        unit_price,
    })
}

/// A key: its index in a table of names, or the name when it is not there.
struct Key(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Result<usize, String>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Result<usize, String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let index = self.0.iter().position(|name| *name == v);
        Ok(index.ok_or_else(|| v.into()))
    }
}
