//! What a rule can read, and with what type: the built-in paths (`paths.rs`) plus the custom
//! attributes and request-context keys a catalog declares. Each readable path gets a typed slot
//! in [`Features`](super::Features); the declarations get a fingerprint that contexts, compiled
//! rules and features carry, so values built for one catalog are never read against another.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::paths::{Getter, BUILTINS, CHANNEL_PATHS, SCORE_PATHS};

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

/// Where a path's value lives in [`Features`](super::Features): one array per kind of value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Bool(usize),
    Number(usize),
    Str(usize),
    List(usize),
}

/// Where a path's value comes from when [`Features`](super::Features) are built.
#[derive(Clone, Copy)]
pub(crate) enum Source<'s> {
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
/// (`customer.attr.NAME`) and request-context keys (`context.KEY`) a catalog declares. Cheap to
/// clone (the declarations are shared), and equal to another schema exactly when both declare the
/// same things, which their [`fingerprint`](Schema::fingerprint)s tell at once.
#[derive(Clone, Debug)]
pub struct Schema {
    declared: Arc<Declared>,
    fingerprint: u64,
}

/// What a schema declares, and the slots that follow from it.
#[derive(Clone, Debug)]
struct Declared {
    attributes: BTreeMap<String, Type>,
    /// In declaration order: a context's values are stored in this order.
    context: Vec<(String, Type)>,
    /// The currency's decimals (money is shown to rules in major units).
    decimals: u8,
    /// Every path's slot in [`Features`](super::Features) and its type.
    slots: BTreeMap<String, (Slot, Type)>,
}

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl Default for Schema {
    fn default() -> Self {
        let mut declared = Declared {
            attributes: BTreeMap::new(),
            context: Vec::new(),
            decimals: 2,
            slots: BTreeMap::new(),
        };
        declared.assign_slots();
        let fingerprint = declared.fingerprint();
        Schema {
            declared: Arc::new(declared),
            fingerprint,
        }
    }
}

impl Schema {
    /// The built-in paths only, for a currency with 2 decimals.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a custom attribute, read as `customer.attr.NAME`.
    pub fn attribute(self, name: &str, ty: Type) -> Self {
        self.declare(|d| {
            d.attributes.insert(name.into(), ty);
        })
    }

    /// Declares a request-context key, read as `context.KEY`.
    pub fn context_key(self, key: &str, ty: Type) -> Self {
        self.declare(|d| match d.context.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = ty,
            None => d.context.push((key.into(), ty)),
        })
    }

    /// The currency's decimals (at most 6): money is stored in minor units and shown to rules in
    /// major units (`cart.value >= 100` means 100.00 with 2 decimals, the default; 0 for JPY).
    pub fn currency_decimals(self, decimals: u8) -> Self {
        self.declare(|d| d.decimals = decimals.min(6))
    }

    fn declare(mut self, change: impl FnOnce(&mut Declared)) -> Self {
        let declared = Arc::make_mut(&mut self.declared);
        change(declared);
        declared.assign_slots();
        self.fingerprint = declared.fingerprint();
        self
    }

    /// The fingerprint of the declarations (attributes with their types, context keys in order
    /// with their types, currency decimals), documented in `spec/rules.md`: a [`Context`](super::Context),
    /// a compiled [`Rule`](super::Rule) and [`Features`](super::Features) carry the fingerprint
    /// of the schema they were built for, and are refused (or read as missing) against another.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Every path a rule can read, with its type, sorted by name.
    pub fn paths(&self) -> Vec<(String, Type)> {
        self.declared
            .slots
            .iter()
            .map(|(name, (_, ty))| (name.clone(), *ty))
            .collect()
    }

    /// The declared context keys with their types, in declaration order (a context's order).
    pub fn context_keys(&self) -> impl ExactSizeIterator<Item = (&str, Type)> {
        self.declared.context.iter().map(|(k, t)| (k.as_str(), *t))
    }

    /// What one money unit of the rules is in minor units (100 for 2 decimals).
    pub(crate) fn money_scale(&self) -> f64 {
        f64::from(10u32.pow(u32::from(self.declared.decimals)))
    }

    /// The slot and type of `path`, if the schema has it.
    pub(crate) fn resolve(&self, path: &str) -> Option<(Slot, Type)> {
        self.declared.slots.get(path).copied()
    }

    /// Every readable path's type and source, in slot order: the slots are numbered and
    /// [`Features::new`](super::Features::new) fills them in this one order (without allocating).
    pub(crate) fn sources(&self) -> impl Iterator<Item = (Type, Source<'_>)> + '_ {
        self.declared.sources()
    }
}

impl Declared {
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

    /// `mix(fnv1a(parts))` (the documented hash, `spec/rules.md`) over `shopkeeper.schema.1`, the
    /// decimals as one ASCII digit, then `attribute`, name, type for each attribute by name, then
    /// `context`, key, type for each context key in declaration order.
    fn fingerprint(&self) -> u64 {
        let decimals = [b'0' + self.decimals];
        let mut parts: Vec<&[u8]> = alloc::vec![b"shopkeeper.schema.1", &decimals];
        for (name, ty) in &self.attributes {
            parts.extend([
                b"attribute".as_slice(),
                name.as_bytes(),
                ty.name().as_bytes(),
            ]);
        }
        for (key, ty) in &self.context {
            parts.extend([b"context".as_slice(), key.as_bytes(), ty.name().as_bytes()]);
        }
        crate::random::mix(crate::random::fnv1a(&parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented fingerprints of `spec/rules.md` (computed there by an independent
    /// implementation of the hash).
    #[test]
    fn fingerprints_match_the_documented_values() {
        assert_eq!(Schema::new().fingerprint(), 0x97b5_04be_f155_7613);
        let schema = Schema::new()
            .attribute("tier", Type::String)
            .context_key("page_type", Type::String);
        assert_eq!(schema.fingerprint(), 0x4d61_c43e_9d00_437e);
        let schema = Schema::new()
            .currency_decimals(0)
            .context_key("page_type", Type::String)
            .context_key("device", Type::String);
        assert_eq!(schema.fingerprint(), 0x3c87_cc87_89b6_4ceb);
        // Context keys are stored in order: the same keys in another order are another schema.
        let swapped = Schema::new()
            .currency_decimals(0)
            .context_key("device", Type::String)
            .context_key("page_type", Type::String);
        assert_ne!(swapped, schema);
        assert_eq!(schema.clone(), schema);
    }
}
