//! What the customer said: the signals derived from messages (never their text). Counts add,
//! times take the latest, and the recent sentiments and intents are rings that keep the newest of
//! the union, so a merge is exact whatever the order.

use alloc::string::String;

use serde::{Deserialize, Serialize};

use super::identity::{decode, max_option};
use crate::check;
use crate::limits::{MAX_NAME_LEN, MAX_RECENT_INTENTS, MAX_RECENT_SENTIMENTS};
use crate::{BoundedVec, Direction, Error, Timestamp};

/// How fast the customer's sentiment forgets an old message: it weighs half after 30 days.
pub const SENTIMENT_HALF_LIFE: Timestamp = 30 * 86_400;

/// A message at or below this sentiment counts as negative (VADER's convention).
pub const NEGATIVE_SENTIMENT: f64 = -0.05;

/// One inbound message's sentiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Felt {
    /// When the message was written.
    pub at: Timestamp,
    /// Its sentiment in thousandths, -1000 to 1000 (integers, so merges are exact).
    pub thousandths: i16,
}

impl Felt {
    /// The sentiment, -1 to 1.
    pub fn sentiment(&self) -> f64 {
        f64::from(self.thousandths) / 1000.0
    }
}

/// An intent an inbound message expressed, and when.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IntentSeen {
    /// When the message was written.
    pub at: Timestamp,
    /// The intent's name.
    pub intent: String,
}

/// The signals of the customer's messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Conversation {
    /// Messages from the customer.
    pub inbound: u32,
    /// Messages from the shop.
    pub outbound: u32,
    /// Messages from the customer with a sentiment at or below [`NEGATIVE_SENTIMENT`].
    pub negative: u32,
    /// The latest message from the customer.
    pub last_inbound: Option<Timestamp>,
    /// The latest message from the shop.
    pub last_outbound: Option<Timestamp>,
    /// The sentiments of the customer's latest messages (the newest
    /// [`MAX_RECENT_SENTIMENTS`]), oldest first.
    pub sentiments: BoundedVec<Felt, MAX_RECENT_SENTIMENTS>,
    /// The intents of the customer's latest messages (the newest [`MAX_RECENT_INTENTS`]),
    /// oldest first.
    pub intents: BoundedVec<IntentSeen, MAX_RECENT_INTENTS>,
}

impl Conversation {
    /// Folds one message's signals.
    pub(crate) fn record<'a>(
        &mut self,
        at: Timestamp,
        direction: Direction,
        sentiment: Option<f64>,
        intents: impl Iterator<Item = &'a str>,
    ) {
        if direction == Direction::Outbound {
            self.outbound = self.outbound.saturating_add(1);
            self.last_outbound = max_option(self.last_outbound, Some(at));
            return;
        }
        self.inbound = self.inbound.saturating_add(1);
        self.last_inbound = max_option(self.last_inbound, Some(at));
        if let Some(s) = sentiment {
            let thousandths = libm::round(s.clamp(-1.0, 1.0) * 1000.0) as i16;
            if f64::from(thousandths) / 1000.0 <= NEGATIVE_SENTIMENT {
                self.negative = self.negative.saturating_add(1);
            }
            self.sentiments.push_keep_newest(Felt { at, thousandths });
        }
        for intent in intents {
            self.intents.insert_keep_newest(IntentSeen {
                at,
                intent: intent.into(),
            });
        }
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        self.inbound = self.inbound.saturating_add(other.inbound);
        self.outbound = self.outbound.saturating_add(other.outbound);
        self.negative = self.negative.saturating_add(other.negative);
        self.last_inbound = max_option(self.last_inbound, other.last_inbound);
        self.last_outbound = max_option(self.last_outbound, other.last_outbound);
        self.sentiments.merge_push_keep_newest(&other.sentiments);
        self.intents.merge_keep_newest(&other.intents);
    }

    pub(crate) fn check_invariants(&self) -> Result<(), Error> {
        check::optional_timestamp("last_inbound", self.last_inbound).map_err(decode)?;
        check::optional_timestamp("last_outbound", self.last_outbound).map_err(decode)?;
        let sorted = self.sentiments.is_sorted() && self.intents.is_strictly_sorted();
        check::invariant(sorted, "recent sentiments and intents are in time order")?;
        for felt in self.sentiments.iter() {
            check::timestamp("sentiment time", felt.at).map_err(decode)?;
            check::invariant(
                (-1000..=1000).contains(&felt.thousandths),
                "sentiments are -1000 to 1000 thousandths",
            )?;
        }
        for seen in self.intents.iter() {
            check::timestamp("intent time", seen.at).map_err(decode)?;
            check::id("intent", &seen.intent, MAX_NAME_LEN).map_err(decode)?;
        }
        Ok(())
    }

    /// The customer's sentiment at `now`: the mean of the recent messages' sentiments, each
    /// weighing `2^(-age / SENTIMENT_HALF_LIFE)` (a message from the future weighs 1); `None`
    /// without any.
    pub fn sentiment(&self, now: Timestamp) -> Option<f64> {
        let (mut sum, mut weight) = (0.0, 0.0);
        for felt in self.sentiments.iter() {
            let age = now.saturating_sub(felt.at).max(0);
            let w = libm::exp2(-(age as f64) / SENTIMENT_HALF_LIFE as f64);
            sum += w * felt.sentiment();
            weight += w;
        }
        (weight > 0.0).then(|| sum / weight)
    }

    /// The mean sentiment of the messages at or after `since` (a session's start); `None` without
    /// any.
    pub fn sentiment_since(&self, since: Timestamp) -> Option<f64> {
        let recent = self.sentiments.iter().filter(|f| f.at >= since);
        let (sum, count) = recent.fold((0.0, 0u32), |(s, n), f| (s + f.sentiment(), n + 1));
        (count > 0).then(|| sum / f64::from(count))
    }

    /// Whether the customer expressed `intent` at or after `since`.
    pub fn has_intent(&self, intent: &str, since: Timestamp) -> bool {
        self.intents
            .iter()
            .any(|seen| seen.at >= since && seen.intent == intent)
    }

    /// The time of the customer's latest message when the shop has not answered it (no message
    /// from the shop at or after it); `None` when answered or when there is none.
    pub fn unanswered_since(&self) -> Option<Timestamp> {
        let inbound = self.last_inbound?;
        match self.last_outbound {
            Some(outbound) if outbound >= inbound => None,
            _ => Some(inbound),
        }
    }
}
