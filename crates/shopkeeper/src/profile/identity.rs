//! Who the profile belongs to: the caller's id, whether the customer is known, and the anonymous
//! ids merged into it.

use alloc::string::String;
use serde::{Deserialize, Serialize};

use crate::check;
use crate::limits::{MAX_ANONYMOUS_IDS, MAX_ID_LEN};
use crate::{BoundedVec, Error, ErrorCode, Timestamp};

/// An anonymous id merged into a profile, with when it was first seen (`None`: it had no events).
/// Ordered by time, so the newest [`MAX_ANONYMOUS_IDS`] are kept.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LinkedId {
    /// When the id was first seen.
    pub first_seen: Option<Timestamp>,
    /// The anonymous id (a cookie, device or session id).
    pub id: String,
}

/// Identity part of a profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Identity {
    /// The caller's id for this customer (pseudonymous ids are fine).
    pub id: String,
    /// Whether the customer is known (logged in, registered, a loyalty member).
    pub known: bool,
    /// When an event was first recorded under the current `id`.
    pub first_seen: Option<Timestamp>,
    /// Anonymous ids that became this customer (newest kept).
    pub anonymous_ids: BoundedVec<LinkedId, MAX_ANONYMOUS_IDS>,
}

impl Identity {
    pub(crate) fn new(id: &str, known: bool) -> Result<Self, Error> {
        check::id("customer id", id, MAX_ID_LEN)?;
        Ok(Self {
            id: id.into(),
            known,
            first_seen: None,
            anonymous_ids: BoundedVec::default(),
        })
    }

    /// The identity without its history: the id and whether it is known.
    pub(crate) fn forget(identity: &mut Self) -> Self {
        Self {
            id: core::mem::take(&mut identity.id),
            known: identity.known,
            first_seen: None,
            anonymous_ids: BoundedVec::default(),
        }
    }

    /// Whether identifying as `customer` is a no-op (already that customer); an error if the
    /// profile belongs to another known customer.
    pub(crate) fn check_identify(&self, customer: &str) -> Result<bool, Error> {
        if self.known && self.id != customer {
            return Err(Error::new(
                ErrorCode::IdentityConflict,
                alloc::format!(
                    "profile already belongs to known customer {:?}, cannot identify as {customer:?}",
                    self.id
                ),
            ));
        }
        Ok(self.known)
    }

    /// The anonymous visitor becomes `customer`: its id is remembered.
    pub(crate) fn identify(&mut self, customer: &str, at: Timestamp) {
        let previous = core::mem::replace(&mut self.id, customer.into());
        if previous != customer {
            let linked = LinkedId {
                first_seen: self.first_seen,
                id: previous,
            };
            self.first_seen = Some(at);
            self.link(core::iter::once(linked));
        }
        self.known = true;
    }

    pub(crate) fn seen(&mut self, at: Timestamp) {
        self.first_seen = Some(self.first_seen.map_or(at, |t| t.min(at)));
    }

    pub(crate) fn check_merge(&self, other: &Self) -> Result<(), Error> {
        if self.known && other.known && self.id != other.id {
            return Err(Error::new(
                ErrorCode::IdentityConflict,
                alloc::format!(
                    "cannot merge known customers {:?} and {:?}",
                    self.id,
                    other.id
                ),
            ));
        }
        Ok(())
    }

    /// Merges two identities of one customer (call [`check_merge`](Self::check_merge) first): the
    /// known id wins; between two anonymous ids, the smaller (so the result does not depend on the
    /// order of merging); the other becomes an anonymous id.
    pub(crate) fn merge(&mut self, other: &Self) {
        let mut absorbed = None;
        if self.id == other.id {
            self.known |= other.known;
            self.first_seen = min_option(self.first_seen, other.first_seen);
        } else {
            let other_wins = other.known || (!self.known && other.id < self.id);
            let (winner, loser) = if other_wins {
                (other, &*self)
            } else {
                (&*self, other)
            };
            absorbed = Some(LinkedId {
                first_seen: loser.first_seen,
                id: loser.id.clone(),
            });
            let (id, known, first_seen) = (winner.id.clone(), winner.known, winner.first_seen);
            self.id = id;
            self.known = known;
            self.first_seen = first_seen;
        }
        self.link(other.anonymous_ids.iter().cloned().chain(absorbed));
    }

    /// Adds anonymous ids: each id is kept once, with its earliest known first-seen time, never the
    /// profile's own id, and the newest [`MAX_ANONYMOUS_IDS`] of the whole union. Deduplicating the
    /// union before capping keeps merges independent of their grouping below the cap.
    fn link(&mut self, ids: impl Iterator<Item = LinkedId>) {
        let mut earliest = alloc::collections::BTreeMap::new();
        for linked in self.anonymous_ids.iter().cloned().chain(ids) {
            if linked.id != self.id {
                let seen = earliest.entry(linked.id).or_insert(linked.first_seen);
                *seen = min_option(*seen, linked.first_seen);
            }
        }
        let mut all: alloc::vec::Vec<_> = earliest
            .into_iter()
            .map(|(id, first_seen)| LinkedId { first_seen, id })
            .collect();
        all.sort();
        let keep = all.len().saturating_sub(MAX_ANONYMOUS_IDS);
        self.anonymous_ids = BoundedVec::try_from(all.split_off(keep)).unwrap_or_default();
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        check::id("id", &self.id, MAX_ID_LEN).map_err(decode)?;
        check::optional_timestamp("first_seen", self.first_seen).map_err(decode)?;
        check::invariant(
            self.anonymous_ids.is_strictly_sorted(),
            "anonymous ids sorted",
        )?;
        for linked in self.anonymous_ids.iter() {
            check::id("anonymous id", &linked.id, MAX_ID_LEN).map_err(decode)?;
            check::optional_timestamp("anonymous first_seen", linked.first_seen).map_err(decode)?;
            check::invariant(
                linked.id != self.id,
                "anonymous ids exclude the profile's id",
            )?;
        }
        Ok(())
    }
}

pub(crate) fn min_option(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub(crate) fn max_option(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    a.max(b)
}

/// Re-labels a field error found while checking decoded bytes.
pub(crate) fn decode(error: Error) -> Error {
    Error::new(ErrorCode::DecodeInvalid, error.message())
}
