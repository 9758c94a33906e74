//! The customer's own pattern, and what breaks it: each signal compares this visit with the
//! customer's own history (never with other customers), from what the profile already keeps.
//! `spec/rules.md` ("The customer's own pattern") has the formulas and the thresholds' reasons.

use smallvec::SmallVec;

use super::{hour_of, Profile, HOURS};
use crate::score::{Summary, TimeUnit};
use crate::Timestamp;

/// `overdue` holds from twice the customer's usual gap between purchase days.
pub const OVERDUE: f64 = 2.0;
/// `big_basket` holds when the cart is worth at least three times the customer's average order
/// (with two orders or more to make an average).
pub const BIG_BASKET: f64 = 3.0;
/// `unusual_hour` needs this many earlier sessions: fewer make no pattern.
pub const USUAL_HOUR_SESSIONS: u64 = 10;
/// `unusual_hour` holds when fewer than 1 in this many earlier sessions started within an hour of
/// this one's hour (5%).
pub const UNUSUAL_HOUR_ONE_IN: u64 = 20;

// The marks of `new_category_marks` have a bit per view and per cart line.
const _: () = assert!(crate::limits::MAX_RECENT_VIEWS <= 32 && crate::limits::MAX_CART_LINES <= 64);

/// The names of [`Profile::out_of_pattern`], in the order it lists them.
pub const OUT_OF_PATTERN: [&str; 5] = [
    "overdue",
    "big_basket",
    "new_channel",
    "new_category",
    "unusual_hour",
];

impl Summary {
    /// The customer's usual gap between purchase days, in the summary's unit: recency over
    /// frequency (the mean of the gaps between consecutive purchase days); `None` without a repeat.
    pub fn purchase_gap(&self) -> Option<f64> {
        (self.frequency > 0 && self.recency > 0.0).then(|| self.recency / f64::from(self.frequency))
    }

    /// The time since the last purchase day in multiples of [`purchase_gap`](Self::purchase_gap):
    /// 1 is "due now", 2 "twice as long as usual"; `None` without a repeat.
    pub fn overdue(&self) -> Option<f64> {
        Some((self.age - self.recency) / self.purchase_gap()?)
    }
}

impl Profile {
    /// The purchase history in days at `now`, as the customer-base models read it.
    fn days_summary(&self, now: Timestamp) -> Option<Summary> {
        Summary::from_profile(self, now, TimeUnit::Day, 1.0)
    }

    /// `customer.purchase_gap`: the usual time between purchase days, in seconds.
    pub fn purchase_gap(&self, now: Timestamp) -> Option<f64> {
        Some(self.days_summary(now)?.purchase_gap()? * 86_400.0)
    }

    /// `customer.overdue`: the time since the last purchase day in multiples of the usual gap.
    pub fn overdue(&self, now: Timestamp) -> Option<f64> {
        self.days_summary(now)?.overdue()
    }

    /// `cart.value_vs_usual`: the cart's value over the customer's average order value (0 for an
    /// empty cart); `None` before the first purchase.
    pub fn cart_vs_usual(&self) -> Option<f64> {
        let average = self.purchases.average().filter(|&a| a > 0.0)?;
        Some(self.cart.value() as f64 / average)
    }

    /// `session.first_on_channel`: nothing happened on the current session's channel before
    /// the session started, and the customer was seen elsewhere before it (so a first visit ever
    /// is not "new" anywhere); `None` without a session, or for a profile whose history is older
    /// than its habits (upgraded from schema 1 or 2).
    pub fn first_on_channel(&self) -> Option<bool> {
        let session = self.session.as_ref()?;
        if !self.habits_cover_history() {
            return None;
        }
        let first_here = *self.habits.channel_first_seen.get(session.channel);
        let new_here = first_here.is_none_or(|at| at >= session.start);
        let seen_before = self
            .activity
            .first_seen
            .is_some_and(|at| at < session.start);
        Some(new_here && seen_before)
    }

    /// `session.new_categories`: the categories viewed or put in the cart (a line changed) in the
    /// current session that the customer never bought and had not viewed before it (among the 20
    /// newest views); each once, views first. Empty without a session.
    pub fn new_categories(&self) -> SmallVec<[&str; 8]> {
        let (views, lines) = self.new_category_marks();
        self.marked_categories(views, lines).collect()
    }

    /// Where [`new_categories`](Self::new_categories) are: bit `i` marks the `i`th recent view,
    /// or cart line in id order, that brings a new category first. A rule's list keeps the marks
    /// (computed once per request) instead of a copy of the names.
    pub(crate) fn new_category_marks(&self) -> (u32, u64) {
        let Some(session) = &self.session else {
            return (0, 0);
        };
        let recent = &self.views.recent;
        let viewed_before = |c: &str| {
            recent
                .iter()
                .any(|v| v.at < session.start && v.category.as_deref() == Some(c))
        };
        let views = recent
            .iter()
            .map(|v| v.category.as_deref().filter(|_| v.at >= session.start));
        let lines = (self.cart.lines.values()).map(|l| {
            l.category
                .as_deref()
                .filter(|_| l.updated_at >= session.start)
        });
        let (mut view_marks, mut line_marks) = (0u32, 0u64);
        let mut found: SmallVec<[&str; 8]> = SmallVec::new();
        for (i, category) in views.chain(lines).enumerate() {
            let Some(category) = category else { continue };
            let known = self.purchases.categories.contains_key(category) || viewed_before(category);
            if known || found.contains(&category) {
                continue;
            }
            found.push(category);
            match i.checked_sub(recent.len()) {
                None => view_marks |= 1 << i,
                Some(line) => line_marks |= 1 << line,
            }
        }
        (view_marks, line_marks)
    }

    /// The categories at `views` and `lines`, marks of [`new_category_marks`](Self::new_category_marks).
    pub(crate) fn marked_categories(&self, views: u32, lines: u64) -> impl Iterator<Item = &str> {
        let views = (self.views.recent.iter().enumerate())
            .filter(move |(i, _)| views & (1 << i) != 0)
            .filter_map(|(_, v)| v.category.as_deref());
        let lines = (self.cart.lines.values().enumerate())
            .filter(move |(i, _)| lines & (1 << i) != 0)
            .filter_map(|(_, l)| l.category.as_deref());
        views.chain(lines)
    }

    /// `session.unusual_hour`: with at least [`USUAL_HOUR_SESSIONS`] earlier sessions, fewer than
    /// 1 in [`UNUSUAL_HOUR_ONE_IN`] of them started within an hour of the current session's start
    /// hour (UTC, the hour before and after included); `None` without a session or a pattern, or
    /// for a profile whose history is older than its habits.
    pub fn unusual_hour(&self) -> Option<bool> {
        let session = self.session.as_ref()?;
        if !self.habits_cover_history() {
            return None;
        }
        let hours = &self.habits.session_hours;
        let hour = hour_of(session.start);
        // Habits saw every session, the current one too (in its hour): leave it out.
        let earlier = self.habits.sessions().checked_sub(1)?;
        if earlier < USUAL_HOUR_SESSIONS {
            return None;
        }
        let near = [HOURS - 1, 0, 1]
            .iter()
            .map(|d| u64::from(hours[(hour + d) % HOURS]))
            .sum::<u64>()
            .checked_sub(1)?;
        Some(near * UNUSUAL_HOUR_ONE_IN < earlier)
    }

    /// `customer.out_of_pattern`: the names of [`OUT_OF_PATTERN`] that hold now, in that order.
    pub fn out_of_pattern(&self, now: Timestamp) -> impl Iterator<Item = &'static str> {
        marked_names(self.out_of_pattern_marks(now))
    }

    /// Bit `i` set when `OUT_OF_PATTERN[i]` holds.
    pub(crate) fn out_of_pattern_marks(&self, now: Timestamp) -> u8 {
        let orders = self.purchases.count;
        let holds = [
            self.overdue(now).is_some_and(|o| o >= OVERDUE),
            orders >= 2 && self.cart_vs_usual().is_some_and(|r| r >= BIG_BASKET),
            self.first_on_channel() == Some(true),
            orders >= 1 && self.new_category_marks() != (0, 0),
            self.unusual_hour() == Some(true),
        ];
        (holds.iter().enumerate()).fold(0, |marks, (i, &h)| marks | (u8::from(h) << i))
    }
}

/// The names of [`OUT_OF_PATTERN`] marked in `marks`.
pub(crate) fn marked_names(marks: u8) -> impl Iterator<Item = &'static str> {
    (OUT_OF_PATTERN.iter().enumerate())
        .filter(move |(i, _)| marks & (1 << i) != 0)
        .map(|(_, name)| *name)
}
