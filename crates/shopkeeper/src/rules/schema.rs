//! What a rule can read: the built-in paths of the profile, the session, the cart and the request,
//! plus the custom attributes and context keys a catalog declares, each with its type.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use smallvec::SmallVec;

use crate::profile::{Cart, Purchases, Views};
use crate::score::Scores;
use crate::{Channel, Error, ErrorCode, Profile, Timestamp};

/// The type of a value in a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// `true` or `false`.
    Bool,
    /// A finite number (money in major units: 19.99).
    Number,
    /// Text.
    String,
    /// A point in time (`now`, `customer.last_purchase`).
    Timestamp,
    /// A length of time (`7d`, `now - customer.last_seen`).
    Duration,
    /// A list of strings.
    List,
}

impl Type {
    /// The name used in declarations and messages.
    pub const fn name(self) -> &'static str {
        match self {
            Type::Bool => "bool",
            Type::Number => "number",
            Type::String => "string",
            Type::Timestamp => "timestamp",
            Type::Duration => "duration",
            Type::List => "list",
        }
    }

    /// Reads a type name (`bool`, `number`, `string`, `timestamp`, `duration`, `list`).
    pub fn parse(name: &str) -> Option<Type> {
        [
            Type::Bool,
            Type::Number,
            Type::String,
            Type::Timestamp,
            Type::Duration,
            Type::List,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value of the request context, or the result of evaluating a rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// A number; timestamps and durations are numbers of seconds.
    Number(f64),
    /// Text.
    String(String),
    /// A list of strings.
    List(Vec<String>),
}

impl Value {
    /// The value as JSON: `true`, `12.5`, `"gold"`, `["a","b"]` (a number that is not finite,
    /// which rules never produce, is `null`). Bindings hand rule results over in this form.
    pub fn to_json(&self) -> String {
        let json = match self {
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Number::from_f64(*n)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => serde_json::Value::Array(
                items
                    .iter()
                    .cloned()
                    .map(serde_json::Value::String)
                    .collect(),
            ),
        };
        alloc::string::ToString::to_string(&json)
    }
}

/// A list the rule reads, without copying it out of the profile.
#[derive(Clone, Copy)]
pub(crate) enum ListRef<'a> {
    Strings(&'a [String]),
    CartProducts(&'a Cart),
    CartCategories(&'a Cart),
    ViewedProducts(&'a Views),
    ViewedCategories(&'a Views),
    PurchasedCategories(&'a Purchases),
}

impl<'a> ListRef<'a> {
    /// Calls `f` on each item (profile-derived lists may repeat an item).
    pub(crate) fn any(self, mut f: impl FnMut(&str) -> bool) -> bool {
        match self {
            ListRef::Strings(items) => items.iter().any(|s| f(s)),
            ListRef::CartProducts(cart) => cart.lines.keys().any(|s| f(s)),
            ListRef::CartCategories(cart) => cart
                .lines
                .values()
                .filter_map(|l| l.category.as_deref())
                .any(f),
            ListRef::ViewedProducts(views) => views.recent.iter().any(|v| f(&v.product)),
            ListRef::ViewedCategories(views) => views
                .recent
                .iter()
                .filter_map(|v| v.category.as_deref())
                .any(f),
            ListRef::PurchasedCategories(purchases) => purchases.categories.keys().any(|s| f(s)),
        }
    }

    /// Distinct items (an item counts where no earlier one equals it; lists are short).
    pub(crate) fn len(self) -> usize {
        let (mut count, mut index) = (0, 0);
        self.any(|item| {
            let (mut earlier, mut repeated) = (0, false);
            self.any(|other| {
                if earlier == index {
                    return true;
                }
                earlier += 1;
                repeated = other == item;
                repeated
            });
            count += usize::from(!repeated);
            index += 1;
            false
        });
        count
    }

    pub(crate) fn to_vec(self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        self.any(|item| {
            if !out.iter().any(|o| o == item) {
                out.push(item.into());
            }
            false
        });
        out
    }
}

/// Longest string in a request context, in bytes (a URL or a search query fits).
pub const MAX_CONTEXT_TEXT: usize = 4 * 1024;
/// Most items in a request-context list. Context values are bounded like everything else a rule
/// reads, so no input makes an evaluation slow (`len` and `contains` scan their lists and strings).
pub const MAX_CONTEXT_ITEMS: usize = 256;

/// The request context: values of the keys the schema declares, by slot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    values: Vec<Option<Value>>,
}

impl Context {
    /// An empty context for `schema` (every key missing).
    pub fn new(schema: &Schema) -> Self {
        Context {
            values: alloc::vec![None; schema.context.len()],
        }
    }

    /// Sets a declared key; fails for an undeclared key or a value of another type.
    pub fn set(&mut self, schema: &Schema, key: &str, value: Value) -> Result<(), Error> {
        let Some(slot) = schema.context.iter().position(|(k, _)| k == key) else {
            return Err(Error::new(
                ErrorCode::InvalidContext,
                alloc::format!("context key {key:?} is not declared"),
            ));
        };
        let declared = schema.context[slot].1;
        let fits = matches!(
            (&value, declared),
            (Value::Bool(_), Type::Bool)
                | (
                    Value::Number(_),
                    Type::Number | Type::Timestamp | Type::Duration
                )
                | (Value::String(_), Type::String)
                | (Value::List(_), Type::List)
        );
        if !fits || matches!(value, Value::Number(n) if !n.is_finite()) {
            return Err(Error::new(
                ErrorCode::InvalidContext,
                alloc::format!("context key {key:?} is declared {declared}, got {value:?}"),
            ));
        }
        let too_long = match &value {
            Value::String(s) => s.len() > MAX_CONTEXT_TEXT,
            Value::List(items) => {
                items.len() > MAX_CONTEXT_ITEMS || items.iter().any(|i| i.len() > MAX_CONTEXT_TEXT)
            }
            _ => false,
        };
        if too_long {
            return Err(Error::new(
                ErrorCode::InvalidContext,
                alloc::format!(
                    "context key {key:?}: strings hold at most {MAX_CONTEXT_TEXT} bytes, lists {MAX_CONTEXT_ITEMS} items"
                ),
            ));
        }
        if let Some(place) = self.values.get_mut(slot) {
            *place = Some(value);
        }
        Ok(())
    }

    /// Reads `{"key": value, ...}` JSON against the schema.
    pub fn from_json(schema: &Schema, json: &str) -> Result<Self, Error> {
        let map: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(json).map_err(crate::event::json_error)?;
        let mut context = Context::new(schema);
        for (key, value) in map {
            let value = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::Bool(b) => Value::Bool(b),
                serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
                serde_json::Value::String(s) => Value::String(s),
                serde_json::Value::Array(items) => Value::List(
                    items
                        .into_iter()
                        .map(|i| match i {
                            serde_json::Value::String(s) => Ok(s),
                            _ => Err(Error::new(
                                ErrorCode::InvalidContext,
                                alloc::format!("context key {key:?}: lists hold strings"),
                            )),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                serde_json::Value::Object(_) => {
                    return Err(Error::new(
                        ErrorCode::InvalidContext,
                        alloc::format!("context key {key:?}: objects are not values"),
                    ))
                }
            };
            context.set(schema, &key, value)?;
        }
        Ok(context)
    }

    /// Whether this context was built for `schema` (as many keys as it declares).
    pub(crate) fn fits(&self, schema: &Schema) -> bool {
        self.values.len() == schema.context.len()
    }

    pub(crate) fn get(&self, slot: usize) -> Option<&Value> {
        self.values.get(slot).and_then(Option::as_ref)
    }
}

/// What one evaluation reads: a profile, the request context, and the time.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    /// The customer.
    pub profile: &'a Profile,
    /// The request context (page type, device, campaign...).
    pub context: &'a Context,
    /// The caller's clock, in seconds since the epoch.
    pub now: Timestamp,
    /// The customer's scores ([`Models::score`](crate::score::Models::score)) at `now`; without
    /// them, score paths (`customer.p_alive`, `customer.rfm.segment`, `cart.cross_sell`...) are missing.
    pub scores: Option<&'a Scores>,
}

/// A built-in path's typed reader.
#[derive(Clone, Copy)]
pub(crate) enum Getter {
    Bool(fn(&Input<'_>) -> Option<bool>),
    /// Numbers, timestamps and durations as numbers of seconds.
    Number(fn(&Input<'_>) -> Option<f64>),
    /// Money in minor units, shown to rules in major units.
    Money(fn(&Input<'_>) -> Option<f64>),
    Str(for<'a> fn(&Input<'a>) -> Option<&'a str>),
    List(for<'a> fn(&Input<'a>) -> Option<ListRef<'a>>),
}

fn ts(t: Option<Timestamp>) -> Option<f64> {
    t.map(|t| t as f64)
}

macro_rules! channel_paths {
    ($($channel:ident => $name:literal),*) => {
        &[$(
            (concat!("customer.channels.", $name, ".orders"), Type::Number,
                Getter::Number(|i| Some(f64::from(i.profile.activity().channel(Channel::$channel).purchases)))),
            (concat!("customer.channels.", $name, ".spend"), Type::Number,
                Getter::Money(|i| Some(i.profile.activity().channel(Channel::$channel).spend as f64))),
            (concat!("customer.channels.", $name, ".sessions"), Type::Number,
                Getter::Number(|i| Some(f64::from(i.profile.activity().channel(Channel::$channel).sessions)))),
            (concat!("customer.channels.", $name, ".last_seen"), Type::Timestamp,
                Getter::Number(|i| ts(i.profile.activity().channel(Channel::$channel).last_seen))),
        )*]
    };
}

/// Every built-in path with its type and reader. `spec/rules.md` documents each one.
pub(crate) const BUILTINS: &[(&str, Type, Getter)] = &[
    (
        "now",
        Type::Timestamp,
        Getter::Number(|i| Some(i.now as f64)),
    ),
    (
        "customer.id",
        Type::String,
        Getter::Str(|i| Some(i.profile.id())),
    ),
    (
        "customer.known",
        Type::Bool,
        Getter::Bool(|i| Some(i.profile.is_known())),
    ),
    (
        "customer.first_seen",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.activity().first_seen)),
    ),
    (
        "customer.last_seen",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.activity().last_seen)),
    ),
    (
        "customer.orders",
        Type::Number,
        Getter::Number(|i| Some(f64::from(i.profile.purchases().count))),
    ),
    (
        "customer.spend",
        Type::Number,
        Getter::Money(|i| Some(i.profile.purchases().total as f64)),
    ),
    (
        "customer.avg_order_value",
        Type::Number,
        Getter::Money(|i| i.profile.purchases().average()),
    ),
    (
        "customer.first_purchase",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.purchases().first.as_ref().map(|o| o.at))),
    ),
    (
        "customer.last_purchase",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.purchases().last_at)),
    ),
    (
        "customer.purchased_categories",
        Type::List,
        Getter::List(|i| Some(ListRef::PurchasedCategories(i.profile.purchases()))),
    ),
    (
        "customer.views",
        Type::Number,
        Getter::Number(|i| Some(i.profile.views().total as f64)),
    ),
    (
        "customer.viewed_products",
        Type::List,
        Getter::List(|i| Some(ListRef::ViewedProducts(i.profile.views()))),
    ),
    (
        "customer.viewed_categories",
        Type::List,
        Getter::List(|i| Some(ListRef::ViewedCategories(i.profile.views()))),
    ),
    (
        "customer.complaints",
        Type::Number,
        Getter::Number(|i| Some(f64::from(i.profile.service().complaints))),
    ),
    (
        "customer.service_contacts",
        Type::Number,
        Getter::Number(|i| Some(f64::from(i.profile.service().contacts))),
    ),
    (
        "customer.last_complaint",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.service().last_complaint)),
    ),
    (
        "customer.last_service_contact",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.service().last_contact)),
    ),
    (
        "customer.marketing_consent",
        Type::Bool,
        Getter::Bool(|i| i.profile.consent().marketing.map(|c| c.granted)),
    ),
    (
        "cart.value",
        Type::Number,
        Getter::Money(|i| Some(i.profile.cart().value() as f64)),
    ),
    (
        "cart.quantity",
        Type::Number,
        Getter::Number(|i| Some(i.profile.cart().quantity() as f64)),
    ),
    (
        "cart.lines",
        Type::Number,
        Getter::Number(|i| Some(i.profile.cart().lines.len() as f64)),
    ),
    (
        "cart.products",
        Type::List,
        Getter::List(|i| Some(ListRef::CartProducts(i.profile.cart()))),
    ),
    (
        "cart.categories",
        Type::List,
        Getter::List(|i| Some(ListRef::CartCategories(i.profile.cart()))),
    ),
    (
        "session.channel",
        Type::String,
        Getter::Str(|i| i.profile.session().map(|s| s.channel.as_str())),
    ),
    (
        "session.referrer",
        Type::String,
        Getter::Str(|i| i.profile.session().and_then(|s| s.referrer.as_deref())),
    ),
    (
        "session.affiliate",
        Type::String,
        Getter::Str(|i| i.profile.session().and_then(|s| s.affiliate.as_deref())),
    ),
    (
        "session.start",
        Type::Timestamp,
        Getter::Number(|i| ts(i.profile.session().map(|s| s.start))),
    ),
    (
        "session.page_views",
        Type::Number,
        Getter::Number(|i| i.profile.session().map(|s| f64::from(s.page_views))),
    ),
    (
        "session.time_on_site",
        Type::Duration,
        Getter::Number(|i| ts(i.profile.session().map(|s| s.time_on_site()))),
    ),
];

fn score<T>(i: &Input<'_>, get: impl Fn(&Scores) -> Option<T>) -> Option<T> {
    i.scores.and_then(get)
}

/// The score paths: [`Scores`] of the request, in the models' units (money in major units).
pub(crate) const SCORE_PATHS: &[(&str, Type, Getter)] = &[
    (
        "customer.p_alive",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.p_alive)),
    ),
    (
        "customer.churn_risk",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.churn_risk)),
    ),
    (
        "customer.expected_purchases_90d",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.expected_purchases_90d)),
    ),
    (
        "customer.expected_spend",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.expected_spend)),
    ),
    (
        "customer.clv",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.clv)),
    ),
    (
        "customer.rfm.r",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.rfm.map(|r| f64::from(r.r)))),
    ),
    (
        "customer.rfm.f",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.rfm.map(|r| f64::from(r.f)))),
    ),
    (
        "customer.rfm.m",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.rfm.map(|r| f64::from(r.m)))),
    ),
    (
        "customer.rfm.segment",
        Type::String,
        Getter::Str(|i| i.scores.and_then(|s| s.rfm).map(|r| r.segment().name())),
    ),
    (
        "cart.cross_sell",
        Type::List,
        Getter::List(|i| i.scores.map(|s| ListRef::Strings(&s.cross_sell))),
    ),
    (
        "cart.cross_sell_categories",
        Type::List,
        Getter::List(|i| i.scores.map(|s| ListRef::Strings(&s.cross_sell_categories))),
    ),
    (
        "cart.cross_sell_score",
        Type::Number,
        Getter::Number(|i| score(i, |s| s.cross_sell_score)),
    ),
];

pub(crate) const CHANNEL_PATHS: &[(&str, Type, Getter)] = channel_paths!(
    Web => "web", Mobile => "mobile", Store => "store", ContactCentre => "contact_centre", Email => "email", Kiosk => "kiosk"
);

/// Where a path's value lives in [`Features`]: one array per kind of value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Bool(usize),
    Number(usize),
    Str(usize),
    List(usize),
}

/// Where a path's value comes from when [`Features`] are built.
#[derive(Clone, Copy)]
enum Source<'s> {
    Builtin(&'static str, Getter),
    Attribute(&'s str),
    Context(usize, &'s str),
}

impl Source<'_> {
    /// The path that reads it.
    fn path(self) -> String {
        match self {
            Source::Builtin(name, _) => name.into(),
            Source::Attribute(name) => alloc::format!("customer.attr.{name}"),
            Source::Context(_, key) => alloc::format!("context.{key}"),
        }
    }
}

/// The paths a rule may read and their types: built-ins, plus the custom attributes
/// (`customer.attr.NAME`) and request-context keys (`context.KEY`) a catalog declares.
#[derive(Clone, Debug)]
pub struct Schema {
    attributes: BTreeMap<String, Type>,
    context: Vec<(String, Type)>,
    money_scale: f64,
    /// Every path's slot in [`Features`] and its type, renumbered by each declaration.
    slots: BTreeMap<String, (Slot, Type)>,
}

/// Two schemas are equal when they declare the same things: the slots follow from the
/// declarations, so comparing them too would only cost time (the C binding checks on every
/// decision that a context was built for the engine's schema).
impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.attributes == other.attributes
            && self.context == other.context
            && self.money_scale == other.money_scale
    }
}

impl Default for Schema {
    fn default() -> Self {
        let mut schema = Schema {
            attributes: BTreeMap::new(),
            context: Vec::new(),
            money_scale: 100.0,
            slots: BTreeMap::new(),
        };
        schema.assign_slots();
        schema
    }
}

impl Schema {
    /// The built-in paths only, for a currency with 2 decimals.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a custom attribute, read as `customer.attr.NAME`.
    pub fn attribute(mut self, name: &str, ty: Type) -> Self {
        self.attributes.insert(name.into(), ty);
        self.assign_slots();
        self
    }

    /// Declares a request-context key, read as `context.KEY`.
    pub fn context_key(mut self, key: &str, ty: Type) -> Self {
        match self.context.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = ty,
            None => self.context.push((key.into(), ty)),
        }
        self.assign_slots();
        self
    }

    /// The currency's decimals: money is stored in minor units and shown to rules in major units
    /// (`cart.value >= 100` means 100.00 with 2 decimals, the default; 0 for JPY).
    pub fn currency_decimals(mut self, decimals: u8) -> Self {
        self.money_scale = f64::from(10u32.pow(u32::from(decimals.min(6))));
        self
    }

    /// Every path a rule can read, with its type, sorted by name.
    pub fn paths(&self) -> Vec<(String, Type)> {
        self.slots
            .iter()
            .map(|(name, (_, ty))| (name.clone(), *ty))
            .collect()
    }

    /// The slot and type of `path`, if the schema has it.
    pub(crate) fn resolve(&self, path: &str) -> Option<(Slot, Type)> {
        self.slots.get(path).copied()
    }

    /// Every readable path's type and source, in slot order: [`Schema::assign_slots`] numbers them
    /// and [`Features::new`] fills them, in this one order (without allocating).
    fn sources(&self) -> impl Iterator<Item = (Type, Source<'_>)> + '_ {
        let builtins = BUILTINS
            .iter()
            .chain(CHANNEL_PATHS)
            .chain(SCORE_PATHS)
            .map(|(name, ty, getter)| (*ty, Source::Builtin(name, *getter)));
        let attributes = self
            .attributes
            .iter()
            .map(|(name, ty)| (*ty, Source::Attribute(name)));
        let context = self
            .context
            .iter()
            .enumerate()
            .map(|(i, (key, ty))| (*ty, Source::Context(i, key)));
        builtins.chain(attributes).chain(context)
    }

    fn assign_slots(&mut self) {
        let mut counts = [0usize; 4];
        let mut slots = BTreeMap::new();
        for (ty, source) in self.sources() {
            let (class, make): (usize, fn(usize) -> Slot) = match ty {
                Type::Bool => (0, Slot::Bool),
                Type::Number | Type::Timestamp | Type::Duration => (1, Slot::Number),
                Type::String => (2, Slot::Str),
                Type::List => (3, Slot::List),
            };
            slots.insert(source.path(), (make(counts[class]), ty));
            counts[class] += 1;
        }
        self.slots = slots;
    }
}

/// What rules read for one request: every path of the schema, computed once from the profile, the
/// context and the time, in typed slots. Build it once per request and evaluate any number of rules
/// compiled against the same schema: each rule reads slots and allocates nothing. Building it
/// allocates nothing either, unless the schema declares dozens of attributes or context keys (past
/// the inline capacity of its arrays).
pub struct Features<'a> {
    pub(crate) profile: &'a Profile,
    pub(crate) now: Timestamp,
    pub(crate) bools: SmallVec<[Option<bool>; 16]>,
    pub(crate) numbers: SmallVec<[Option<f64>; 64]>,
    pub(crate) strings: SmallVec<[Option<&'a str>; 16]>,
    pub(crate) lists: SmallVec<[Option<ListRef<'a>>; 16]>,
}

impl<'a> Features<'a> {
    /// Reads every path of `schema` from `input`.
    pub fn new(schema: &Schema, input: &Input<'a>) -> Self {
        let mut f = Features {
            profile: input.profile,
            now: input.now,
            bools: SmallVec::new(),
            numbers: SmallVec::new(),
            strings: SmallVec::new(),
            lists: SmallVec::new(),
        };
        for (ty, source) in schema.sources() {
            match source {
                Source::Builtin(_, Getter::Bool(get)) => f.bools.push(get(input)),
                Source::Builtin(_, Getter::Number(get)) => f.numbers.push(get(input)),
                Source::Builtin(_, Getter::Money(get)) => {
                    f.numbers.push(get(input).map(|m| m / schema.money_scale))
                }
                Source::Builtin(_, Getter::Str(get)) => f.strings.push(get(input)),
                Source::Builtin(_, Getter::List(get)) => f.lists.push(get(input)),
                Source::Attribute(name) => {
                    f.push(ty, input.profile.attribute(name).map(Declared::Attribute))
                }
                Source::Context(slot, _) => {
                    f.push(ty, input.context.get(slot).map(Declared::Context))
                }
            }
        }
        f
    }

    /// Stores a declared attribute or context value in the slot of its declared type; a value of
    /// another type reads as missing.
    fn push(&mut self, ty: Type, value: Option<Declared<'a>>) {
        use crate::AttrValue as A;
        use Declared::{Attribute as At, Context as Cx};
        match ty {
            Type::Bool => self.bools.push(match value {
                Some(At(A::Bool(b)) | Cx(Value::Bool(b))) => Some(*b),
                _ => None,
            }),
            Type::Number | Type::Timestamp | Type::Duration => self.numbers.push(match value {
                Some(At(A::Number(n)) | Cx(Value::Number(n))) => Some(*n),
                _ => None,
            }),
            Type::String => self.strings.push(match value {
                Some(At(A::Text(s)) | Cx(Value::String(s))) => Some(s.as_str()),
                _ => None,
            }),
            Type::List => self.lists.push(match value {
                Some(At(A::List(items))) => Some(ListRef::Strings(items)),
                Some(Cx(Value::List(items))) => Some(ListRef::Strings(items)),
                _ => None,
            }),
        }
    }
}

/// A value a catalog declared, from either place.
enum Declared<'a> {
    Attribute(&'a crate::AttrValue),
    Context(&'a Value),
}
