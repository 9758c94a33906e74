//! Collections that carry their cap in their type.
//!
//! Decoding checks the cap *before* it allocates (a hostile length prefix costs nothing) and never
//! preallocates from an untrusted size hint, so memory stays proportional to the input consumed.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use core::ops::Deref;

use serde::de::{Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, ErrorCode};

/// What a decoding error says when a bounded collection is longer than its cap (readers of JSON
/// turn it into `limit_exceeded`): `"<n> items, more than the cap of <N>"`.
const OVER_CAP: &str = " items, more than the cap of ";

/// The error of a bounded collection of `len` items past its cap of `cap`.
pub(crate) fn over_cap<E: serde::de::Error>(len: usize, cap: usize) -> E {
    E::custom(format_args!("{len}{OVER_CAP}{cap}"))
}

/// What a bounded list expects, in decoding errors: `a sequence of at most <N> items`.
pub(crate) struct AtMost(pub usize);

impl serde::de::Expected for AtMost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a sequence of at most {} items", self.0)
    }
}

/// Whether `message` is exactly the error of a bounded collection past its cap.
pub(crate) fn is_over_cap(message: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    message
        .split_once(OVER_CAP)
        .is_some_and(|(len, cap)| digits(len) && digits(cap))
}

/// A vector of at most `N` items. The profile's histories (views, orders, shows, anonymous ids)
/// keep theirs sorted ascending, time first, so the newest items are at the end.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BoundedVec<T, const N: usize>(Vec<T>);

impl<T, const N: usize> Default for BoundedVec<T, N> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T, const N: usize> BoundedVec<T, N> {
    /// The cap.
    pub const CAPACITY: usize = N;
}

impl<T: Ord + Clone, const N: usize> BoundedVec<T, N> {
    /// Inserts `item` in sorted position (unless an equal item is present) and, past the cap, drops
    /// the smallest. With items ordered by time first, this keeps the newest `N`; keeping the
    /// greatest `N` of a union does not depend on order or grouping, which makes merges exact.
    pub(crate) fn insert_keep_newest(&mut self, item: T) {
        if let Err(index) = self.0.binary_search(&item) {
            self.0.insert(index, item);
            if self.0.len() > N {
                self.0.remove(0);
            }
        }
    }

    /// Like [`insert_keep_newest`](Self::insert_keep_newest), but keeps equal items (a multiset:
    /// two shows in the same second are two shows).
    pub(crate) fn push_keep_newest(&mut self, item: T) {
        let index = self.0.partition_point(|x| x <= &item);
        self.0.insert(index, item);
        if self.0.len() > N {
            self.0.remove(0);
        }
    }

    /// Adds every item of `other` as in [`push_keep_newest`](Self::push_keep_newest): the newest
    /// `N` of the multiset sum.
    pub(crate) fn merge_push_keep_newest(&mut self, other: &Self) {
        for item in other.iter() {
            self.push_keep_newest(item.clone());
        }
    }

    /// Whether the items are ascending, equal neighbours allowed.
    pub(crate) fn is_sorted(&self) -> bool {
        self.0.windows(2).all(|pair| pair[0] <= pair[1])
    }

    /// Adds every item of `other`, keeping the newest `N` of the union.
    pub(crate) fn merge_keep_newest(&mut self, other: &Self) {
        for item in other.iter() {
            self.insert_keep_newest(item.clone());
        }
    }

    /// Whether the items are strictly ascending (the invariant decoding checks).
    pub(crate) fn is_strictly_sorted(&self) -> bool {
        self.0.windows(2).all(|pair| pair[0] < pair[1])
    }
}

impl<T, const N: usize> TryFrom<Vec<T>> for BoundedVec<T, N> {
    type Error = Error;
    /// Fails with [`ErrorCode::LimitExceeded`] past the cap.
    fn try_from(items: Vec<T>) -> Result<Self, Error> {
        if items.len() > N {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                alloc::format!("{} items, at most {N} allowed", items.len()),
            ));
        }
        Ok(Self(items))
    }
}

impl<T, const N: usize> Deref for BoundedVec<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: Serialize, const N: usize> Serialize for BoundedVec<T, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for BoundedVec<T, N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SeqVisitor<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for SeqVisitor<T, N> {
            type Value = BoundedVec<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                serde::de::Expected::fmt(&AtMost(N), f)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                if let Some(len) = seq.size_hint().filter(|len| *len > N) {
                    return Err(over_cap(len, N));
                }
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    if items.len() == N {
                        return Err(over_cap(N + 1, N));
                    }
                    items.push(item);
                }
                Ok(BoundedVec(items))
            }
        }
        deserializer.deserialize_seq(SeqVisitor(PhantomData))
    }
}

/// A sorted map of at most `N` entries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BoundedMap<K, V, const N: usize>(BTreeMap<K, V>);

impl<K, V, const N: usize> Default for BoundedMap<K, V, N> {
    fn default() -> Self {
        Self(BTreeMap::new())
    }
}

impl<K: Ord, V, const N: usize> BoundedMap<K, V, N> {
    /// The cap.
    pub const CAPACITY: usize = N;

    /// Mutable access for the profile's own folding code, which keeps the cap.
    pub(crate) fn map_mut(&mut self) -> &mut BTreeMap<K, V> {
        &mut self.0
    }

    /// Removes entries, least by `rank` first, until at most `N` remain.
    pub(crate) fn evict_to_cap<R: Ord>(&mut self, rank: impl Fn(&K, &V) -> R)
    where
        K: Clone,
    {
        while self.0.len() > N {
            let Some(victim) = self
                .0
                .iter()
                .min_by_key(|(k, v)| rank(k, v))
                .map(|(k, _)| k.clone())
            else {
                return;
            };
            self.0.remove(&victim);
        }
    }
}

impl<V: Default, const N: usize> BoundedMap<alloc::string::String, V, N> {
    /// Updates the entry for `key`, inserting a default value first when absent. The key is
    /// allocated only then: this is on the hot path of `apply`. The caller keeps the cap.
    pub(crate) fn upsert(&mut self, key: &str, update: impl FnOnce(&mut V)) {
        match self.0.get_mut(key) {
            Some(value) => update(value),
            None => {
                let mut value = V::default();
                update(&mut value);
                self.0.insert(key.into(), value);
            }
        }
    }
}

impl<K, V, const N: usize> Deref for BoundedMap<K, V, N> {
    type Target = BTreeMap<K, V>;
    fn deref(&self) -> &BTreeMap<K, V> {
        &self.0
    }
}

impl<K: Serialize, V: Serialize, const N: usize> Serialize for BoundedMap<K, V, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, K, V, const N: usize> Deserialize<'de> for BoundedMap<K, V, N>
where
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V, const N: usize>(PhantomData<(K, V)>);
        impl<'de, K, V, const N: usize> Visitor<'de> for MapVisitor<K, V, N>
        where
            K: Deserialize<'de> + Ord,
            V: Deserialize<'de>,
        {
            type Value = BoundedMap<K, V, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a map of at most {N} entries with distinct keys")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                if access.size_hint().is_some_and(|len| len > N) {
                    return Err(A::Error::invalid_length(
                        access.size_hint().unwrap_or(0),
                        &self,
                    ));
                }
                let mut map = BTreeMap::new();
                while let Some((key, value)) = access.next_entry()? {
                    if map.len() == N {
                        return Err(A::Error::invalid_length(N + 1, &self));
                    }
                    if map.insert(key, value).is_some() {
                        return Err(A::Error::custom("duplicate key"));
                    }
                }
                Ok(BoundedMap(map))
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}
