//! The current visit.

use alloc::string::String;
use serde::{Deserialize, Serialize};

use super::identity::decode;
use crate::check;
use crate::limits::MAX_TEXT_LEN;
use crate::{Channel, Error, Timestamp};

/// The current (latest started) session.
///
/// A `session_start` begins it; later events on the same channel extend it (`page_view`s are
/// counted). A `session_start` older than the current one is counted but does not replace it, and
/// events older than the session's start do not touch it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Session {
    /// When it started.
    pub start: Timestamp,
    /// Where it happens.
    pub channel: Channel,
    /// Where the visitor came from.
    pub referrer: Option<String>,
    /// The affiliate credited with the visit.
    pub affiliate: Option<String>,
    /// The latest event in it.
    pub last_activity: Timestamp,
    /// Pages viewed in it (page and product views).
    pub page_views: u32,
}

impl Session {
    pub(crate) fn new(
        start: Timestamp,
        channel: Channel,
        referrer: Option<&str>,
        affiliate: Option<&str>,
    ) -> Self {
        Session {
            start,
            channel,
            referrer: referrer.map(String::from),
            affiliate: affiliate.map(String::from),
            last_activity: start,
            page_views: 0,
        }
    }

    /// Seconds between the start and the latest event.
    pub fn time_on_site(&self) -> Timestamp {
        self.last_activity.saturating_sub(self.start)
    }

    /// Whether an event at `at` on `channel` belongs to this session.
    pub(crate) fn covers(&self, at: Timestamp, channel: Channel) -> bool {
        channel == self.channel && at >= self.start
    }

    pub(crate) fn touch(&mut self, at: Timestamp, page_view: bool) {
        self.last_activity = self.last_activity.max(at);
        if page_view {
            self.page_views = self.page_views.saturating_add(1);
        }
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        check::timestamp("session.start", self.start).map_err(decode)?;
        check::timestamp("session.last_activity", self.last_activity).map_err(decode)?;
        check::invariant(
            self.last_activity >= self.start,
            "session activity after its start",
        )?;
        check::optional_id("session.referrer", self.referrer.as_deref(), MAX_TEXT_LEN)
            .map_err(decode)?;
        check::optional_id("session.affiliate", self.affiliate.as_deref(), MAX_TEXT_LEN)
            .map_err(decode)
    }
}

/// Merges the current sessions of two profiles: the later-started one wins (the whole of `Session`'s
/// ordering breaks ties), so the result does not depend on the order of merging.
pub(crate) fn merge(mine: &mut Option<Session>, theirs: &Option<Session>) {
    if theirs > mine {
        mine.clone_from(theirs);
    }
}
