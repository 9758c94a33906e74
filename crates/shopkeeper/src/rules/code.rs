//! What a compiled rule is: typed closures over one request's [`Features`], with the constants
//! they refer to, and the comparison and membership building blocks the compiler
//! (`compile.rs`) assembles them from. Evaluating only calls closures: it allocates nothing and
//! cannot fail (missing values, division by zero and overflow have defined results).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::context::Value;
use super::features::Features;
use super::paths::ListRef;
use super::schema::Type;

/// Constants of a compiled rule; closures refer to them by index, so string results can borrow
/// from the rule and from the input alike.
#[derive(Default)]
pub(crate) struct Consts {
    pub(crate) strings: Vec<String>,
    pub(crate) lists: Vec<Vec<String>>,
}

/// What a closure reads: the request's features and the rule's constants. Values a closure
/// returns borrow from either, for the shorter lifetime `'e`.
pub(crate) struct Env<'e, 'a> {
    pub(crate) f: &'e Features<'a>,
    pub(crate) consts: &'e Consts,
}

/// A string value: borrowed text, and whether `lower()` applies (compared case-insensitively
/// instead of allocating a lowercase copy).
#[derive(Clone, Copy)]
pub(crate) struct Str<'a> {
    pub(crate) text: &'a str,
    pub(crate) lower: bool,
}

impl<'a> Str<'a> {
    pub(crate) fn plain(text: &'a str) -> Self {
        Str { text, lower: false }
    }

    pub(crate) fn chars(self) -> impl Iterator<Item = char> + 'a {
        let lower = self.lower;
        self.text.chars().flat_map(move |c| {
            let mut buffer = [c, '\0', '\0'];
            let mut len = 1;
            if lower {
                len = 0;
                for (slot, l) in buffer.iter_mut().zip(c.to_lowercase()) {
                    *slot = l;
                    len += 1;
                }
            }
            buffer.into_iter().take(len)
        })
    }

    pub(crate) fn eq(self, other: Str<'_>) -> bool {
        if !self.lower && !other.lower {
            self.text == other.text
        } else {
            self.chars().eq(other.chars())
        }
    }

    /// The value of the key equal to this string: a map lookup, or a scan under `lower()`.
    pub(crate) fn get<V>(
        self,
        map: &alloc::collections::BTreeMap<alloc::string::String, V>,
    ) -> Option<&V> {
        if self.lower {
            map.iter()
                .find(|(key, _)| self.eq(Str::plain(key)))
                .map(|(_, v)| v)
        } else {
            map.get(self.text)
        }
    }

    pub(crate) fn cmp(self, other: Str<'_>) -> core::cmp::Ordering {
        if !self.lower && !other.lower {
            self.text.cmp(other.text)
        } else {
            self.chars().cmp(other.chars())
        }
    }

    pub(crate) fn starts_with(self, prefix: Str<'_>) -> bool {
        let mut text = self.chars();
        prefix.chars().all(|p| text.next() == Some(p))
    }

    pub(crate) fn ends_with(self, suffix: Str<'_>) -> bool {
        let (n, m) = (self.chars().count(), suffix.chars().count());
        n >= m && self.chars().skip(n - m).eq(suffix.chars())
    }

    pub(crate) fn contains(self, part: Str<'_>) -> bool {
        if !self.lower && !part.lower {
            return self.text.contains(part.text);
        }
        // Try each start once: time is the text's length times the part's, never quadratic in the text.
        let starts = self
            .text
            .char_indices()
            .map(|(i, _)| i)
            .chain(core::iter::once(self.text.len()));
        starts
            .map(|i| Str {
                text: &self.text[i..],
                lower: self.lower,
            })
            .any(|rest| rest.starts_with(part))
    }
}

pub(crate) type BoolFn = Box<dyn for<'e, 'a> Fn(&Env<'e, 'a>) -> Option<bool> + Send + Sync>;
pub(crate) type NumFn = Box<dyn for<'e, 'a> Fn(&Env<'e, 'a>) -> Option<f64> + Send + Sync>;
pub(crate) type StrFn = Box<dyn for<'e, 'a> Fn(&Env<'e, 'a>) -> Option<Str<'e>> + Send + Sync>;
pub(crate) type ListFn = Box<dyn for<'e, 'a> Fn(&Env<'e, 'a>) -> Option<ListRef<'e>> + Send + Sync>;

/// Where a value comes from, when the compiler can use it to specialise: a slot of the features
/// or a constant is read directly by the operator instead of through another closure.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Src<T> {
    Computed,
    Slot(usize),
    Const(T),
}

/// A compiled expression of a known type.
pub(crate) enum Code {
    Bool(BoolFn),
    /// Numbers, timestamps and durations (the type says which).
    Num(NumFn, Type, Src<f64>),
    Str(StrFn, Src<String>),
    /// A list; `Some` items when it is a literal.
    List(ListFn, Option<Vec<String>>),
}

impl Code {
    pub(crate) fn ty(&self) -> Type {
        match self {
            Code::Bool(_) => Type::Bool,
            Code::Num(_, ty, _) => *ty,
            Code::Str(..) => Type::String,
            Code::List(..) => Type::List,
        }
    }

    /// Whether the value is present (for `has`).
    pub(crate) fn present(self) -> BoolFn {
        match self {
            Code::Bool(f) => Box::new(move |e| Some(f(e).is_some())),
            Code::Num(f, ..) => Box::new(move |e| Some(f(e).is_some())),
            Code::Str(f, _) => Box::new(move |e| Some(f(e).is_some())),
            Code::List(f, _) => Box::new(move |e| Some(f(e).is_some())),
        }
    }

    /// Evaluates to an owned value (for `shopkeeper eval` and the bindings; allocates).
    pub(crate) fn value(&self, env: &Env<'_, '_>) -> Option<Value> {
        match self {
            Code::Bool(f) => f(env).map(Value::Bool),
            Code::Num(f, ..) => f(env).map(Value::Number),
            Code::Str(f, _) => f(env).map(|s| Value::String(s.chars().collect())),
            Code::List(f, _) => f(env).map(|l| Value::List(l.to_vec())),
        }
    }
}

/// A comparison operator as a type, so each compiled comparison is monomorphised for its operator
/// (no run-time dispatch on the operator).
pub(crate) trait Compare {
    fn holds(ordering: core::cmp::Ordering) -> bool;
    fn numbers(a: f64, b: f64) -> bool {
        a.partial_cmp(&b).is_some_and(Self::holds)
    }
}

macro_rules! comparisons {
    ($($name:ident: $ordering:pat),*) => {$(
        pub(crate) struct $name;
        impl Compare for $name {
            #[inline(always)]
            fn holds(ordering: core::cmp::Ordering) -> bool {
                matches!(ordering, $ordering)
            }
        }
    )*};
}

use core::cmp::Ordering::{Equal, Greater, Less};
comparisons!(IsEq: Equal, IsNe: Less | Greater, IsLt: Less, IsLe: Less | Equal, IsGt: Greater, IsGe: Greater | Equal);

/// Calls `$make::<C>(args)` with `C` the comparison type of `$op`.
macro_rules! with_comparison_inner {
    ($op:expr, $make:ident ( $($arg:expr),* )) => {
        match $op {
            BinOp::Eq => $make::<IsEq>($($arg),*),
            BinOp::Ne => $make::<IsNe>($($arg),*),
            BinOp::Lt => $make::<IsLt>($($arg),*),
            BinOp::Le => $make::<IsLe>($($arg),*),
            BinOp::Gt => $make::<IsGt>($($arg),*),
            _ => $make::<IsGe>($($arg),*),
        }
    };
}

pub(crate) fn slot_vs_const<C: Compare + 'static>(slot: usize, k: f64) -> BoolFn {
    Box::new(move |e| Some(matches!(e.f.numbers.get(slot), Some(Some(x)) if C::numbers(*x, k))))
}

pub(crate) fn numbers_vs<C: Compare + 'static>(a: NumFn, b: NumFn) -> BoolFn {
    Box::new(move |e| Some(matches!((a(e), b(e)), (Some(x), Some(y)) if C::numbers(x, y))))
}

pub(crate) fn strings_vs<C: Compare + 'static>(a: StrFn, b: StrFn) -> BoolFn {
    Box::new(move |e| Some(matches!((a(e), b(e)), (Some(x), Some(y)) if C::holds(x.cmp(y)))))
}

pub(crate) fn bools_vs<C: Compare + 'static>(a: BoolFn, b: BoolFn) -> BoolFn {
    Box::new(move |e| Some(matches!((a(e), b(e)), (Some(x), Some(y)) if C::holds(x.cmp(&y)))))
}

/// A literal list for membership: a hash set when it is long enough to pay (fixed seeds: the
/// result never depends on the hash, only the speed).
pub(crate) enum Members {
    Few(Box<[String]>),
    Many(hashbrown::HashSet<String, ahash::RandomState>),
}

impl Members {
    pub(crate) fn new(items: Vec<String>) -> Self {
        if items.len() <= 6 {
            return Members::Few(items.into_boxed_slice());
        }
        let mut set = hashbrown::HashSet::with_hasher(ahash::RandomState::with_seeds(1, 2, 3, 4));
        set.extend(items);
        Members::Many(set)
    }

    pub(crate) fn contains(&self, item: &str) -> bool {
        match self {
            Members::Few(items) => items.iter().any(|i| i == item),
            Members::Many(set) => set.contains(item),
        }
    }
}

pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

pub(crate) use with_comparison_inner as with_comparison;
