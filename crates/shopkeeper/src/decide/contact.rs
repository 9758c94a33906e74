//! Contact policies: how often an offer may be shown, how long it rests after a dismiss, whether it
//! stops after an accept; and how many offers a channel may show in a window.

use core::fmt;

use crate::profile::OfferHistory;
use crate::Timestamp;

/// At most `max_shows` shows in any window of `window` seconds ending now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cap {
    /// Shows allowed in the window.
    pub(crate) max_shows: u32,
    /// The window's length, in seconds.
    pub(crate) window: Timestamp,
}

/// One offer's contact policy; every part is optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ContactPolicy {
    /// A frequency cap.
    pub(crate) cap: Option<Cap>,
    /// Rest after dismissals: `(dismissals, seconds)`; once the customer has dismissed the offer
    /// `dismissals` times, it is not shown for `seconds` after the latest dismiss.
    pub(crate) cooldown: Option<(u32, Timestamp)>,
    /// Never show it again once accepted.
    pub(crate) stop_after_accept: bool,
}

/// Why a contact policy holds an offer back, with the numbers that decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContactBlock {
    /// The customer accepted it, and it stops after an accept.
    Accepted,
    /// Dismissed `dismissed` times: resting until `until`.
    CoolingDown {
        /// Dismissals so far.
        dismissed: u32,
        /// When it may be shown again.
        until: Timestamp,
    },
    /// Shown `shows` times in the last `window` seconds, the cap being `max_shows`.
    Capped {
        /// Shows in the window.
        shows: usize,
        /// The cap.
        max_shows: u32,
        /// The window, in seconds.
        window: Timestamp,
    },
}

impl ContactPolicy {
    /// Whether the policy holds the offer back for a customer with this history, at `now`.
    pub(crate) fn block(&self, history: &OfferHistory, now: Timestamp) -> Option<ContactBlock> {
        if self.stop_after_accept && history.accepted > 0 {
            return Some(ContactBlock::Accepted);
        }
        if let (Some((dismissals, rest)), Some(last)) = (self.cooldown, history.last_dismissed) {
            let until = last.saturating_add(rest);
            if history.dismissed >= dismissals && now < until {
                return Some(ContactBlock::CoolingDown {
                    dismissed: history.dismissed,
                    until,
                });
            }
        }
        let cap = self.cap?;
        let shows = history.shown_within(cap.window, now);
        (shows >= cap.max_shows as usize).then_some(ContactBlock::Capped {
            shows,
            max_shows: cap.max_shows,
            window: cap.window,
        })
    }
}

impl fmt::Display for ContactBlock {
    /// The reason, as a receipt states it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactBlock::Accepted => f.write_str("already accepted (stop after accept)"),
            ContactBlock::CoolingDown { dismissed, until } => write!(
                f,
                "dismissed {dismissed} time{}: cooling down until {}",
                if *dismissed == 1 { "" } else { "s" },
                crate::time::format_utc(*until)
            ),
            ContactBlock::Capped {
                shows,
                max_shows,
                window,
            } => write!(
                f,
                "shown {shows} time{} in the last {} (cap {max_shows})",
                if *shows == 1 { "" } else { "s" },
                crate::time::format_duration(*window),
            ),
        }
    }
}
