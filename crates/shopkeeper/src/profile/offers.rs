//! What each offer did with this customer: the input of contact policies.

use serde::{Deserialize, Serialize};

use super::identity::{decode, max_option};
use crate::check;
use crate::limits::MAX_RECENT_SHOWS;
use crate::{BoundedVec, Error, Timestamp};

/// One offer's history with this customer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OfferHistory {
    /// Times shown.
    pub shown: u32,
    /// Times accepted.
    pub accepted: u32,
    /// Times dismissed.
    pub dismissed: u32,
    /// Latest show.
    pub last_shown: Option<Timestamp>,
    /// Latest accept.
    pub last_accepted: Option<Timestamp>,
    /// Latest dismiss.
    pub last_dismissed: Option<Timestamp>,
    /// The latest show times (two shows in one second are two entries).
    pub recent_shows: BoundedVec<Timestamp, MAX_RECENT_SHOWS>,
}

/// A response to an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Response {
    Shown,
    Accepted,
    Dismissed,
}

impl OfferHistory {
    /// Shows since `now - window` (included; a show stamped after `now` by a fast clock counts
    /// too): the count a contact policy such as "at most 3 shows in 7 days" reads. Exact up to
    /// [`MAX_RECENT_SHOWS`] shows in the window.
    pub fn shown_within(&self, window: Timestamp, now: Timestamp) -> usize {
        super::activity::count_within(&self.recent_shows, window, now)
    }

    /// The latest show, accept or dismiss.
    pub fn last_activity(&self) -> Option<Timestamp> {
        self.last_shown
            .max(self.last_accepted)
            .max(self.last_dismissed)
    }

    pub(crate) fn record(&mut self, response: Response, at: Timestamp) {
        let (count, last) = match response {
            Response::Shown => {
                self.recent_shows.push_keep_newest(at);
                (&mut self.shown, &mut self.last_shown)
            }
            Response::Accepted => (&mut self.accepted, &mut self.last_accepted),
            Response::Dismissed => (&mut self.dismissed, &mut self.last_dismissed),
        };
        *count = count.saturating_add(1);
        *last = max_option(*last, Some(at));
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        self.shown = self.shown.saturating_add(other.shown);
        self.accepted = self.accepted.saturating_add(other.accepted);
        self.dismissed = self.dismissed.saturating_add(other.dismissed);
        self.last_shown = max_option(self.last_shown, other.last_shown);
        self.last_accepted = max_option(self.last_accepted, other.last_accepted);
        self.last_dismissed = max_option(self.last_dismissed, other.last_dismissed);
        self.recent_shows
            .merge_push_keep_newest(&other.recent_shows);
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        check::invariant(self.recent_shows.is_sorted(), "recent shows sorted")?;
        check::invariant(
            self.recent_shows.len() <= self.shown as usize,
            "recent shows counted",
        )?;
        check::invariant(
            self.recent_shows.last().copied() == self.last_shown,
            "last show among the recent",
        )?;
        for (count, last) in [
            (self.shown, self.last_shown),
            (self.accepted, self.last_accepted),
            (self.dismissed, self.last_dismissed),
        ] {
            check::invariant(
                (count > 0) == last.is_some(),
                "a last time for every counted response",
            )?;
            check::optional_timestamp("offer time", last).map_err(decode)?;
        }
        self.recent_shows
            .iter()
            .try_for_each(|&at| check::timestamp("show time", at).map_err(decode))
    }
}
