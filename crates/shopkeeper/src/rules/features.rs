//! What rules read for one request: [`Input`] (a profile, the request context, the time and the
//! scores) turned once into [`Features`], every path of the schema in a typed slot. This is where
//! a rule gets its values: built-in paths through their readers (`paths.rs`), attributes from the
//! profile, context keys from the [`Context`].

use smallvec::SmallVec;

use super::context::{Context, Value};
use super::paths::{Getter, ListRef};
use super::schema::{Schema, Source, Type};
use crate::score::Scores;
use crate::{Profile, Timestamp};

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

/// What rules read for one request: every path of the schema, computed once from the profile, the
/// context and the time, in typed slots. Build it once per request and evaluate any number of rules
/// compiled against the same schema: each rule reads slots and allocates nothing. Building it
/// allocates nothing either, unless the schema declares dozens of attributes or context keys (past
/// the inline capacity of its arrays).
pub struct Features<'a> {
    /// The fingerprint of the schema the features were built for; a rule of another schema reads
    /// them as missing.
    pub(crate) fingerprint: u64,
    pub(crate) profile: &'a Profile,
    pub(crate) now: Timestamp,
    pub(crate) bools: SmallVec<[Option<bool>; 16]>,
    pub(crate) numbers: SmallVec<[Option<f64>; 96]>,
    pub(crate) strings: SmallVec<[Option<&'a str>; 16]>,
    pub(crate) lists: SmallVec<[Option<ListRef<'a>>; 24]>,
}

impl<'a> Features<'a> {
    /// Reads every path of `schema` from `input`. A context built for another schema is read as
    /// empty (every key missing): check [`Context::fits`] first, or use
    /// [`Rule::evaluate`](super::Rule::evaluate), which refuses it.
    pub fn new(schema: &Schema, input: &Input<'a>) -> Self {
        let context_fits = input.context.fits(schema);
        let mut f = Features {
            fingerprint: schema.fingerprint(),
            profile: input.profile,
            now: input.now,
            bools: SmallVec::new(),
            numbers: SmallVec::new(),
            strings: SmallVec::new(),
            lists: SmallVec::new(),
        };
        let money_scale = schema.money_scale();
        for (ty, source) in schema.sources() {
            match source {
                Source::Builtin(_, Getter::Bool(get)) => f.bools.push(get(input)),
                Source::Builtin(_, Getter::Number(get)) => f.numbers.push(get(input)),
                Source::Builtin(_, Getter::Money(get)) => {
                    f.numbers.push(get(input).map(|m| m / money_scale))
                }
                Source::Builtin(_, Getter::Str(get)) => f.strings.push(get(input)),
                Source::Builtin(_, Getter::List(get)) => f.lists.push(get(input)),
                Source::Attribute(name) => {
                    f.push(ty, input.profile.attribute(name).map(Declared::Attribute))
                }
                Source::Context(slot, _) => f.push(
                    ty,
                    input
                        .context
                        .get(slot)
                        .filter(|_| context_fits)
                        .map(Declared::Context),
                ),
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
