//! Budgets: how many times an offer may be shown or accepted per period, spent evenly.
//!
//! A catalog's offer may declare a budget (`"budget": {"max_accepts": 500, "per": "1d"}`) and
//! the catalog a pacing rule ([`Pacing`]). The engine stays immutable: what was spent is
//! [`Budgets`], counters the caller keeps beside its learner, counts from the `offer_shown` and
//! `offer_accepted` events it already applies ([`Budgets::record`]), and passes to a decision
//! ([`Live::budgets`](crate::decide::Live)). A decision drops an offer whose budget is spent and
//! throttles one running ahead of its plan with a seeded draw, whose probability enters the
//! logged probability that off-policy evaluation divides by.
//!
//! Counters are whole numbers per offer for the current period, so two nodes' counters merge by
//! adding (the period that ends later replaces the other): merging is commutative and
//! associative (property-tested), and a fleet sums the contributions each node owns.
//!
//! ```
//! use shopkeeper::budget::Budgets;
//! use shopkeeper::decide::Catalog;
//! use shopkeeper::Event;
//!
//! let now = 1_796_119_200; // 2026-12-01T10:00:00Z
//! let catalog = Catalog::compile(r#"{
//!   "version": "1", "default": {"id": "newsletter"},
//!   "offers": [{"id": "free-shipping", "budget": {"max_accepts": 500, "per": "1d"}}]
//! }"#, now)?;
//! let mut budgets = Budgets::new();
//! let accepted = Event::from_json(&format!(
//!     r#"{{"type":"offer_accepted","at":{now},"channel":"web","offer":"free-shipping"}}"#
//! ))?;
//! assert!(budgets.record(&catalog, &accepted)?);
//! let offer = catalog.offer("free-shipping").ok_or("declared")?;
//! assert_eq!(budgets.spent(offer, now), Some(1));
//!
//! // Counters travel as small, versioned bytes and merge by adding.
//! let mut fleet = Budgets::from_bytes(&budgets.to_bytes()?)?;
//! fleet.merge(&budgets)?;
//! assert_eq!(fleet.spent(offer, now), Some(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod pacing;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

pub(crate) use pacing::passes;
pub use pacing::{
    throttle_place, Budget, Limit, Pace, Pacing, DEFAULT_AHEAD, MAX_BUDGET, MAX_PERIOD, MIN_PERIOD,
    PERIOD_ANCHOR,
};

use crate::bounded::BoundedVec;
use crate::decide::{Catalog, Offer, MAX_CATALOG_OFFERS};
use crate::limits::MAX_ID_LEN;
use crate::{codec, Error, ErrorCode, Event, EventKind, Timestamp};

/// Largest encoded budget counters, in bytes.
pub const MAX_BUDGETS_LEN: usize = 4 * 1024 * 1024;
/// Most offers budget counters hold: a catalog's most offers.
pub const MAX_BUDGET_OFFERS: usize = MAX_CATALOG_OFFERS;

const MAGIC: [u8; 4] = *b"SKB\x01";
const BUDGETS_VERSION: u16 = 1;

/// What one offer spent in one period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Spend {
    /// When the period started ([`Budget::period_start`]).
    pub start: Timestamp,
    /// The period's length, in seconds.
    pub per: Timestamp,
    /// `offer_shown` events counted in it.
    pub shows: u64,
    /// `offer_accepted` events counted in it.
    pub accepts: u64,
}

impl Spend {
    /// The period that ends later first (then the longer, then the later start); the same
    /// period adds.
    fn merge(&mut self, other: &Spend) {
        let key = |s: &Spend| (s.start.saturating_add(s.per), s.per, s.start);
        match key(other).cmp(&key(self)) {
            core::cmp::Ordering::Greater => *self = *other,
            core::cmp::Ordering::Equal => {
                self.shows = self.shows.saturating_add(other.shows);
                self.accepts = self.accepts.saturating_add(other.accepts);
            }
            core::cmp::Ordering::Less => {}
        }
    }
}

/// What each budgeted offer spent in its current period: the state a decision reads beside the
/// learner.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Budgets {
    offers: BTreeMap<String, Spend>,
}

impl Budgets {
    /// Nothing spent yet.
    pub fn new() -> Budgets {
        Budgets::default()
    }

    /// Offers held.
    pub fn len(&self) -> usize {
        self.offers.len()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }

    /// Every offer and what it spent in the latest period counted, by id.
    pub fn offers(&self) -> impl Iterator<Item = (&str, &Spend)> {
        self.offers.iter().map(|(id, s)| (id.as_str(), s))
    }

    /// What `offer` spent (shows or accepts, as its budget counts) in the period that holds
    /// `now`; `None` for an offer without a budget.
    pub fn spent(&self, offer: &Offer, now: Timestamp) -> Option<u64> {
        let budget = offer.budget?;
        let start = budget.period_start(now);
        let spend = (self.offers.get(offer.action().id()))
            .filter(|s| (s.start, s.per) == (start, budget.per));
        Some(spend.map_or(0, |s| match budget.limit {
            Limit::Shows => s.shows,
            Limit::Accepts => s.accepts,
        }))
    }

    /// Counts an `offer_shown` or `offer_accepted` event of an offer that has a budget in
    /// `catalog`, in the period that holds the event's time; `Ok(false)` for any other event,
    /// and for one of a period older than the one counted (it can no longer matter). A period of
    /// another length than the one counted (the catalog changed the budget's `per`) starts from
    /// nothing. When a new offer finds [`MAX_BUDGET_OFFERS`] held, offers whose periods ended
    /// before this one are forgotten first. Fails, changing nothing, for a time out of range
    /// (`timestamp_out_of_range`) or when a new offer would still pass the cap
    /// (`limit_exceeded`).
    pub fn record(&mut self, catalog: &Catalog, event: &Event) -> Result<bool, Error> {
        let (id, accepted) = match &event.kind {
            EventKind::OfferShown { offer } => (offer, false),
            EventKind::OfferAccepted { offer } => (offer, true),
            _ => return Ok(false),
        };
        let Some(budget) = catalog.offer(id).and_then(|o| o.budget) else {
            return Ok(false);
        };
        crate::check::timestamp("at", event.at)?;
        let start = budget.period_start(event.at);
        if !self.offers.contains_key(id.as_str()) && self.offers.len() >= MAX_BUDGET_OFFERS {
            // Room from offers whose periods are over: what they spent no longer counts.
            self.offers
                .retain(|_, s| s.start.saturating_add(s.per) > start);
            if self.offers.len() >= MAX_BUDGET_OFFERS {
                return Err(too_many());
            }
        }
        let spend = self.offers.entry(id.clone()).or_default();
        // A period of another length is another budget (the catalog changed it): it starts anew.
        let counted = match start.cmp(&spend.start) {
            core::cmp::Ordering::Less if spend.per == budget.per => return Ok(false),
            core::cmp::Ordering::Equal if spend.per == budget.per => *spend,
            _ => Spend {
                start,
                per: budget.per,
                shows: 0,
                accepts: 0,
            },
        };
        *spend = Spend {
            shows: counted.shows.saturating_add(u64::from(!accepted)),
            accepts: counted.accepts.saturating_add(u64::from(accepted)),
            ..counted
        };
        Ok(true)
    }

    /// Adds `other`'s counters (another node's) into these: per offer, the counts of the period
    /// that ends later, summed when both count the same period. Fails, changing nothing, when the union
    /// would hold more than [`MAX_BUDGET_OFFERS`] offers (`limit_exceeded`).
    pub fn merge(&mut self, other: &Budgets) -> Result<(), Error> {
        let new = (other.offers.keys())
            .filter(|id| !self.offers.contains_key(*id))
            .count();
        if self.offers.len() + new > MAX_BUDGET_OFFERS {
            return Err(too_many());
        }
        for (id, spend) in &other.offers {
            match self.offers.get_mut(id) {
                Some(mine) => mine.merge(spend),
                None => {
                    self.offers.insert(id.clone(), *spend);
                }
            }
        }
        Ok(())
    }

    /// The counters as JSON: `{"offers": {"free-shipping": {"start": 1796083200, "per": 86400,
    /// "shows": 12, "accepts": 3}}}`.
    pub fn to_json(&self) -> Result<String, Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            offers: &'a BTreeMap<String, Spend>,
        }
        serde_json::to_string(&Json {
            offers: &self.offers,
        })
        .map_err(|e| Error::new(ErrorCode::Internal, format!("{e}")))
    }

    /// The binary form: the envelope (magic `SKB\x01`, version 1) around postcard.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            offers: Vec<(&'a str, Spend)>,
        }
        let offers = self.offers.iter().map(|(id, s)| (id.as_str(), *s));
        let out = Out {
            offers: offers.collect(),
        };
        codec::encode(MAGIC, BUDGETS_VERSION, &out)
    }

    /// Reads and checks the binary form: at most [`MAX_BUDGETS_LEN`] bytes and
    /// [`MAX_BUDGET_OFFERS`] offers, ids as events carry them and none twice, periods in range
    /// and aligned, something counted.
    pub fn from_bytes(bytes: &[u8]) -> Result<Budgets, Error> {
        let wire: Wire = codec::decode(MAGIC, BUDGETS_VERSION, MAX_BUDGETS_LEN, bytes)?;
        let mut budgets = Budgets::new();
        for (id, spend) in wire.offers.iter().cloned() {
            let invalid =
                |what: &str| Error::new(ErrorCode::DecodeInvalid, format!("offer {id:?}: {what}"));
            crate::check::id("offer", &id, MAX_ID_LEN)
                .map_err(|e| Error::new(ErrorCode::DecodeInvalid, e.message()))?;
            // A period that holds 1970-01-01 may start a few days before it.
            let range = -MAX_PERIOD..=crate::limits::MAX_TIMESTAMP;
            let aligned = range.contains(&spend.start)
                && Budget::new(Limit::Shows, 1, spend.per)
                    .is_some_and(|b| b.period_start(spend.start) == spend.start);
            if !aligned {
                return Err(invalid("the period is out of range or not aligned"));
            }
            if spend.shows == 0 && spend.accepts == 0 {
                return Err(invalid("nothing counted"));
            }
            if budgets.offers.insert(id.clone(), spend).is_some() {
                return Err(invalid("listed twice"));
            }
        }
        Ok(budgets)
    }
}

fn too_many() -> Error {
    Error::new(
        ErrorCode::LimitExceeded,
        format!("budget counters hold at most {MAX_BUDGET_OFFERS} offers"),
    )
}

/// The encoded form as read: offers in id order (a list, so an offer listed twice is seen rather
/// than overwritten), bounded while it is read.
#[derive(Serialize, Deserialize)]
struct Wire {
    offers: BoundedVec<(String, Spend), MAX_BUDGET_OFFERS>,
}
