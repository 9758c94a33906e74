//! Routing events to profiles: each id leads to one profile, and an anonymous visitor who
//! identifies as a customer is merged into that customer's profile once, after which the
//! visitor's id leads there too.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::listen::Listener;
use crate::profile::Mark;
use crate::{Error, ErrorCode, Event, EventKind, Outcome, Profile, Timestamp};

/// Profiles by id, with the anonymous ids merged into them as aliases: what one process (the
/// CLI's `profile` and `replay`, an embedded store) keeps in memory.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    profiles: Vec<Option<Profile>>,
    by_id: BTreeMap<String, usize>,
}

impl Directory {
    /// No profiles yet.
    pub fn new() -> Directory {
        Directory::default()
    }

    /// The profile `id` belongs to, created (known or anonymous) if new.
    fn slot(&mut self, id: &str, anonymous: bool) -> Result<usize, Error> {
        if let Some(&slot) = self.by_id.get(id) {
            return Ok(slot);
        }
        let profile = Profile::new(id, !anonymous)?;
        self.profiles.push(Some(profile));
        let slot = self.profiles.len() - 1;
        self.by_id.insert(id.into(), slot);
        Ok(slot)
    }

    /// The customer id `id` leads to: its own, or the customer's it was merged into; `None` for
    /// an id never seen.
    pub fn route(&self, id: &str) -> Option<&str> {
        let slot = *self.by_id.get(id)?;
        self.profiles.get(slot)?.as_ref().map(Profile::id)
    }

    /// The profile of `id` (an alias of a merged visitor leads to the customer's), created if
    /// new: known, or anonymous when `anonymous`.
    pub fn get(&mut self, id: &str, anonymous: bool) -> Result<&mut Profile, Error> {
        let slot = self.slot(id, anonymous)?;
        self.profiles[slot].as_mut().ok_or_else(|| {
            Error::new(
                ErrorCode::Internal,
                "a customer id was routed to a merged profile",
            )
        })
    }

    /// Applies `event` to the profile of `id`, a message's text heard by `listener`, and hands
    /// `record` the profile's mark before and the profile after (for live statistics). An
    /// identify merges the visitor into the customer's profile, if the customer has one (a merge
    /// is not recorded: both profiles' activity was recorded where it happened); from then on
    /// every id that led to the visitor leads to the customer.
    pub fn apply(
        &mut self,
        id: &str,
        anonymous: bool,
        event: &Event,
        now: Timestamp,
        listener: &Listener<'_>,
        record: impl FnOnce(Mark, &Profile),
    ) -> Result<Outcome, Error> {
        let slot = self.slot(id, anonymous)?;
        let profile = self.get(id, anonymous)?;
        let before = profile.mark();
        let outcome = profile.apply_with(event, now, listener)?;
        record(before, profile);
        if outcome == Outcome::Recorded && matches!(event.kind, EventKind::Identify { .. }) {
            self.after_identify(slot)?;
        }
        Ok(outcome)
    }

    /// After `slot` identified as a known customer: merge it into that customer's profile, if
    /// any, and point its ids there.
    fn after_identify(&mut self, slot: usize) -> Result<(), Error> {
        let Some(id) = self.profiles[slot].as_ref().map(|p| p.id().to_string()) else {
            return Ok(());
        };
        match self.by_id.get(&id).copied() {
            Some(other) if other != slot => {
                let visitor = self.profiles[slot].take();
                if let (Some(known), Some(visitor)) =
                    (self.profiles[other].as_mut(), visitor.as_ref())
                {
                    if let Err(e) = known.merge(visitor) {
                        self.profiles[slot] = Some(visitor.clone());
                        return Err(e);
                    }
                }
                for target in self.by_id.values_mut().filter(|t| **t == slot) {
                    *target = other;
                }
            }
            Some(_) => {}
            None => {
                self.by_id.insert(id, slot);
            }
        }
        Ok(())
    }

    /// Every profile, by id.
    pub fn into_profiles(self) -> Vec<Profile> {
        let mut all: Vec<Profile> = self.profiles.into_iter().flatten().collect();
        all.sort_by(|a, b| a.id().cmp(b.id()));
        all
    }
}
