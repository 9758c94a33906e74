//! When and where the customer has been active, per channel.

use serde::{Deserialize, Serialize};

use super::identity::{decode, max_option, min_option};
use crate::check;
use crate::limits::MAX_RECENT_SHOWS;
use crate::{BoundedVec, Channel, Error, Money, Timestamp};

/// Activity on one channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChannelActivity {
    /// Events recorded on this channel.
    pub events: u64,
    /// Sessions started on this channel.
    pub sessions: u32,
    /// Purchases made on this channel.
    pub purchases: u32,
    /// Money spent on this channel, in minor units.
    pub spend: Money,
    /// The latest event on this channel.
    pub last_seen: Option<Timestamp>,
    /// The latest offer shows on this channel, of any offer: the input of a channel's contact
    /// policy ("at most 5 offers a day on the web").
    pub offer_shows: BoundedVec<Timestamp, MAX_RECENT_SHOWS>,
}

impl ChannelActivity {
    /// Offer shows on this channel since `now - window` (included); exact up to
    /// [`MAX_RECENT_SHOWS`].
    pub fn offer_shows_within(&self, window: Timestamp, now: Timestamp) -> usize {
        count_within(&self.offer_shows, window, now)
    }
}

/// Times of `times` since `now - window`, included. A time after `now` counts too: events may
/// be stamped up to [`MAX_CLOCK_SKEW`](crate::limits::MAX_CLOCK_SKEW) ahead by a fast clock, and a
/// cap must not let them through.
pub(crate) fn count_within(times: &[Timestamp], window: Timestamp, now: Timestamp) -> usize {
    let since = now.saturating_sub(window);
    times.iter().filter(|&&at| at >= since).count()
}

/// When the customer was first and last seen, and what they did on each channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Activity {
    /// The earliest event recorded.
    pub first_seen: Option<Timestamp>,
    /// The latest event recorded.
    pub last_seen: Option<Timestamp>,
    /// Per channel.
    pub channels: PerChannel<ChannelActivity>,
}

/// One value per [`Channel`], named by channel in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct PerChannel<T> {
    pub web: T,
    pub mobile: T,
    pub store: T,
    pub contact_centre: T,
    pub email: T,
    pub kiosk: T,
    /// Absent from a schema-1 export.
    #[serde(default)]
    pub chat: T,
    /// Absent from a schema-1 export.
    #[serde(default)]
    pub social: T,
}

impl<T> PerChannel<T> {
    /// The value for `channel`.
    pub fn get(&self, channel: Channel) -> &T {
        match channel {
            Channel::Web => &self.web,
            Channel::Mobile => &self.mobile,
            Channel::Store => &self.store,
            Channel::ContactCentre => &self.contact_centre,
            Channel::Email => &self.email,
            Channel::Kiosk => &self.kiosk,
            Channel::Chat => &self.chat,
            Channel::Social => &self.social,
        }
    }

    /// The value for `channel`, mutably.
    pub fn get_mut(&mut self, channel: Channel) -> &mut T {
        match channel {
            Channel::Web => &mut self.web,
            Channel::Mobile => &mut self.mobile,
            Channel::Store => &mut self.store,
            Channel::ContactCentre => &mut self.contact_centre,
            Channel::Email => &mut self.email,
            Channel::Kiosk => &mut self.kiosk,
            Channel::Chat => &mut self.chat,
            Channel::Social => &mut self.social,
        }
    }
}

impl Activity {
    /// Activity on `channel`.
    pub fn channel(&self, channel: Channel) -> &ChannelActivity {
        self.channels.get(channel)
    }

    pub(crate) fn record(&mut self, at: Timestamp, channel: Channel) {
        self.first_seen = min_option(self.first_seen, Some(at));
        self.last_seen = max_option(self.last_seen, Some(at));
        let ch = self.channels.get_mut(channel);
        ch.events = ch.events.saturating_add(1);
        ch.last_seen = max_option(ch.last_seen, Some(at));
    }

    pub(crate) fn channel_mut(&mut self, channel: Channel) -> &mut ChannelActivity {
        self.channels.get_mut(channel)
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        self.first_seen = min_option(self.first_seen, other.first_seen);
        self.last_seen = max_option(self.last_seen, other.last_seen);
        for channel in Channel::ALL {
            let (mine, theirs) = (self.channels.get_mut(channel), other.channels.get(channel));
            mine.events = mine.events.saturating_add(theirs.events);
            mine.sessions = mine.sessions.saturating_add(theirs.sessions);
            mine.purchases = mine.purchases.saturating_add(theirs.purchases);
            mine.spend = mine.spend.saturating_add(theirs.spend);
            mine.last_seen = max_option(mine.last_seen, theirs.last_seen);
            mine.offer_shows.merge_push_keep_newest(&theirs.offer_shows);
        }
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        check::optional_timestamp("first_seen", self.first_seen).map_err(decode)?;
        check::optional_timestamp("last_seen", self.last_seen).map_err(decode)?;
        check::invariant(
            self.first_seen <= self.last_seen,
            "first seen before last seen",
        )?;
        check::invariant(
            self.first_seen.is_some() == self.last_seen.is_some(),
            "first and last seen together",
        )?;
        for channel in Channel::ALL {
            let ch = self.channels.get(channel);
            check::optional_timestamp("channel last_seen", ch.last_seen).map_err(decode)?;
            check::invariant(
                ch.last_seen <= self.last_seen,
                "channel seen within the profile's activity",
            )?;
            check::invariant(ch.spend >= 0, "channel spend not negative")?;
            check::invariant(ch.offer_shows.is_sorted(), "channel offer shows sorted")?;
            check::invariant(
                ch.offer_shows.last().copied() <= ch.last_seen,
                "channel offer shows within its activity",
            )?;
            ch.offer_shows
                .iter()
                .try_for_each(|&at| check::timestamp("offer show time", at).map_err(decode))?;
        }
        Ok(())
    }
}
