//! Entries by offer: per offer id, an arm (in a segment) or a predictor model, found by the
//! id's FNV-1a hash, which a catalog computes once per offer, then the id.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use smallvec::SmallVec;

use super::Arm;
use crate::{Error, ErrorCode};

/// One segment's arms, by the FNV-1a hash of the offer id, then the id: a catalog hashes each
/// offer's id once, so the many look-ups of a decision compare integers, not strings. Ids that
/// share a hash (none in practice) share an entry, at most [`MAX_SHARED_HASH`] of them, so crafted
/// collisions cannot make a look-up slow.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Arms<T = Arm>(pub(super) BTreeMap<u64, SmallVec<[(String, T); 1]>>);

impl<T> Default for Arms<T> {
    fn default() -> Self {
        Arms(BTreeMap::new())
    }
}

/// Most offer ids of one segment whose hashes are equal.
pub(super) const MAX_SHARED_HASH: usize = 4;

/// The FNV-1a hash of an offer id, as catalogs compute it for their offers.
pub(super) fn offer_hash(offer: &str) -> u64 {
    crate::random::fnv1a(&[offer.as_bytes()])
}

impl<T> Arms<T> {
    pub(super) fn get(&self, offer: &str, hash: u64) -> Option<&T> {
        let shared = self.0.get(&hash)?;
        shared.iter().find(|(o, _)| o == offer).map(|(_, arm)| arm)
    }

    pub(super) fn get_mut(&mut self, offer: &str, hash: u64) -> Option<&mut T> {
        let shared = self.0.get_mut(&hash)?;
        shared
            .iter_mut()
            .find(|(o, _)| o == offer)
            .map(|(_, arm)| arm)
    }

    /// Whether a new arm for `offer` fits beside the ids that share its hash.
    pub(super) fn has_room(&self, hash: u64) -> bool {
        self.0.get(&hash).is_none_or(|s| s.len() < MAX_SHARED_HASH)
    }

    /// Adds a new arm (the caller checked that it is new and has room).
    pub(super) fn insert(&mut self, offer: String, hash: u64, arm: T) {
        self.0.entry(hash).or_default().push((offer, arm));
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0
            .values()
            .flat_map(|shared| shared.iter().map(|(o, arm)| (o.as_str(), arm)))
    }

    /// Sorted by offer id: the order of the encoded form and of [`Learner::arms`].
    pub(super) fn by_offer(&self) -> Vec<(&str, &T)> {
        let mut sorted: Vec<(&str, &T)> = self.iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        sorted
    }
}

pub(super) fn shared_hash(offer: &str) -> Error {
    Error::new(
        ErrorCode::LimitExceeded,
        format!("more than {MAX_SHARED_HASH} offer ids of a segment share the hash of {offer:?}"),
    )
}

/// Fails if `theirs`' new entries would put more than [`MAX_SHARED_HASH`] ids on one hash of
/// `mine`.
pub(super) fn shared_room<T>(mine: &Arms<T>, theirs: &Arms<T>) -> Result<(), Error> {
    for (hash, shared) in &theirs.0 {
        let existing = mine.0.get(hash);
        let new = shared
            .iter()
            .filter(|(o, _)| existing.is_none_or(|e| e.iter().all(|(x, _)| x != o)))
            .count();
        if existing.map_or(0, |e| e.len()) + new > MAX_SHARED_HASH {
            return Err(shared_hash(shared.first().map_or("", |(o, _)| o)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: crate::Timestamp = 1_795_500_000;

    #[test]
    fn ids_sharing_a_hash_are_kept_apart_and_capped() {
        // Real collisions of 64-bit FNV-1a are not at hand: the ids are filed under one hash.
        let arm = |accepts| Arm {
            accepts,
            rejects: 0.0,
            at: NOW,
        };
        let mut arms = Arms::default();
        for (i, offer) in ["w", "x", "y", "z"].into_iter().enumerate() {
            assert!(arms.has_room(7));
            arms.insert(offer.into(), 7, arm(i as f64));
        }
        assert!(!arms.has_room(7), "a fifth id on one hash is refused");
        assert!(arms.has_room(8));
        assert_eq!(arms.get("y", 7).map(|a| a.accepts), Some(2.0));
        assert_eq!(arms.get("y", 8), None);
        arms.get_mut("z", 7).unwrap().accepts = 9.0;
        let sorted: Vec<(&str, f64)> = arms
            .by_offer()
            .iter()
            .map(|(o, a)| (*o, a.accepts))
            .collect();
        assert_eq!(sorted, [("w", 0.0), ("x", 1.0), ("y", 2.0), ("z", 9.0)]);
    }
}
