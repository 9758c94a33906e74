//! The customer's habits: when in the day their visits start, when each channel was first used,
//! and where they first came from.

use serde::{Deserialize, Serialize};

use super::activity::PerChannel;
use super::identity::{decode, min_option};
use super::session::Session;
use crate::{check, Channel, Error, Timestamp};

/// Hours in a day: [`Habits::session_hours`] has one counter per hour.
pub const HOURS: usize = 24;

/// When the customer's visits start, when each channel was first used, and their first visit.
///
/// Counters add on merge and first times and the first session are the earliest of both, so a
/// fleet's partial views combine in any order; a late event counts like any other (a late
/// `session_start` in its hour, and as the first session when it is the earliest).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Habits {
    /// Sessions started in each hour of the day, in UTC (index 0 is 00:00 to 00:59).
    pub session_hours: [u32; HOURS],
    /// The earliest event on each channel.
    pub channel_first_seen: PerChannel<Option<Timestamp>>,
    /// The first session the customer started, as it started: where they first came from (its
    /// referrer and affiliate), the source of their cohort.
    pub first_session: Option<Session>,
}

/// The hour of the day (UTC) of `at`, 0 to 23.
pub fn hour_of(at: Timestamp) -> usize {
    // In 0..24 for every timestamp, negative ones included.
    at.rem_euclid(86_400) as usize / 3_600
}

impl Habits {
    /// The earliest event on any channel.
    pub fn earliest(&self) -> Option<Timestamp> {
        Channel::ALL
            .iter()
            .filter_map(|&c| *self.channel_first_seen.get(c))
            .min()
    }

    /// Sessions started, all hours together.
    pub fn sessions(&self) -> u64 {
        self.session_hours.iter().map(|&n| u64::from(n)).sum()
    }

    pub(crate) fn seen(&mut self, at: Timestamp, channel: Channel) {
        let first = self.channel_first_seen.get_mut(channel);
        *first = min_option(*first, Some(at));
    }

    pub(crate) fn session_started(&mut self, session: &Session) {
        let hour = &mut self.session_hours[hour_of(session.start)];
        *hour = hour.saturating_add(1);
        self.keep_first(&Some(session.clone()));
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.session_hours.iter_mut().zip(other.session_hours) {
            *mine = mine.saturating_add(theirs);
        }
        for channel in Channel::ALL {
            self.seen_option(*other.channel_first_seen.get(channel), channel);
        }
        self.keep_first(&other.first_session);
    }

    fn seen_option(&mut self, at: Option<Timestamp>, channel: Channel) {
        if let Some(at) = at {
            self.seen(at, channel);
        }
    }

    /// The earlier of the two first sessions (the whole of `Session`'s ordering breaks ties).
    fn keep_first(&mut self, theirs: &Option<Session>) {
        let earlier = match (&self.first_session, theirs) {
            (Some(mine), Some(theirs)) => theirs < mine,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if earlier {
            self.first_session.clone_from(theirs);
        }
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        for channel in Channel::ALL {
            let first = *self.channel_first_seen.get(channel);
            check::optional_timestamp("habits.channel_first_seen", first).map_err(decode)?;
        }
        match &self.first_session {
            Some(first) => {
                first.check_invariants()?;
                check::invariant(self.sessions() > 0, "a first session is counted")?;
                let seen = self.channel_first_seen.get(first.channel);
                check::invariant(
                    seen.is_some_and(|at| at <= first.start),
                    "the first session's channel seen by then",
                )
            }
            None => check::invariant(self.sessions() == 0, "counted sessions have a first"),
        }
    }
}
