//! What a decision returns, and the receipt that explains it. `spec/catalog.md` documents the
//! receipt's JSON.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;
use smallvec::SmallVec;

use super::catalog::{Action, Kind};
use crate::{Channel, Error, Event, EventKind, Timestamp};

/// An offer's score and its parts: `score = propensity × context_weight × value × lever`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Score {
    /// The chance the customer takes it, in `[0, 1]`.
    pub propensity: f64,
    /// The product of the context weights that apply.
    pub context_weight: f64,
    /// What it is worth (the catalog's number or expression).
    pub value: f64,
    /// The business lever.
    pub lever: f64,
    /// The product.
    pub score: f64,
}

/// One chosen offer, or the default action (which has no score).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Pick<'c> {
    /// What to show.
    pub action: &'c Action,
    /// Its score; `None` for the default action.
    pub score: Option<Score>,
}

/// Why every offer was held back before ranking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Suppression {
    /// The customer is in the catalog's universal control group.
    ControlGroup,
    /// The customer objects to personalization.
    Objection,
    /// The channel's contact policy is used up.
    ChannelCap,
}

/// A decision: the picks, best first, and (when asked for) the receipt.
#[derive(Debug)]
pub struct Decision<'c> {
    pub(crate) picks: SmallVec<[Pick<'c>; 4]>,
    pub(crate) channel: Channel,
    pub(crate) segment: String,
    pub(crate) fallback: bool,
    pub(crate) control_group: bool,
    pub(crate) receipt: Option<Receipt>,
}

impl<'c> Decision<'c> {
    /// Best first; at most the request's slots, at least one (the default action).
    pub fn picks(&self) -> &[Pick<'c>] {
        &self.picks
    }

    /// Whether the picks are the default action: no offer qualified, or all were held back.
    pub fn fallback(&self) -> bool {
        self.fallback
    }

    /// Whether the customer is in the control group (and so gets only the default action).
    pub fn control_group(&self) -> bool {
        self.control_group
    }

    /// The learning segment of the request (the catalog's `learning.segment`; `""` without one):
    /// record the responses to these picks in the learner under it.
    pub fn segment(&self) -> &str {
        &self.segment
    }

    /// The receipt, when the request asked for it.
    pub fn receipt(&self) -> Option<&Receipt> {
        self.receipt.as_ref()
    }

    /// The receipt, owned.
    pub fn into_receipt(self) -> Option<Receipt> {
        self.receipt
    }

    /// The `offer_shown` events to apply once the offers are shown, on the request's channel:
    /// contact policies count them. The default action is not an offer and is not recorded (so it
    /// never uses up a channel's cap).
    pub fn shown_events(&self, at: Timestamp) -> Vec<Event> {
        self.picks
            .iter()
            .filter(|p| p.score.is_some())
            .map(|p| {
                Event::new(
                    at,
                    self.channel,
                    EventKind::OfferShown {
                        offer: p.action.id.clone(),
                    },
                )
            })
            .collect()
    }
}

/// The stage of the pipeline where an offer was dropped, in pipeline order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Not offered on the request's channel.
    Channel,
    /// Outside its validity window.
    Validity,
    /// An eligibility clause does not hold.
    Eligibility,
    /// An applicability clause does not hold.
    Applicability,
    /// A suitability clause does not hold.
    Suitability,
    /// Its contact policy holds it back (cap, cool-down, accepted).
    ContactPolicy,
    /// Its score is missing or not positive.
    Score,
    /// A better offer of its exclusion group was chosen.
    ExclusionGroup,
    /// Ranked below the last slot.
    Slots,
}

/// An offer that was not chosen, where and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Dropped {
    /// The offer's id.
    pub offer: String,
    /// Where it was dropped.
    pub stage: Stage,
    /// Why: the first failing clause as written, or the policy, score or rank that stopped it.
    pub reason: String,
}

/// A chosen offer, in the receipt.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PickRecord {
    /// 1 for the best.
    pub rank: usize,
    /// The offer's id.
    pub offer: String,
    /// Its title.
    pub title: String,
    /// What it is.
    pub kind: Kind,
    /// Where its propensity came from: `fixed`, `expression`, `model:NAME`, `adaptive`;
    /// `default` for the default action.
    pub propensity_source: String,
    /// The probability that the policy puts this offer at this rank, over its randomness (the
    /// request's seed): what off-policy evaluation divides by. 1 for a decision that does not
    /// depend on the seed; otherwise estimated from re-draws (`spec/learning.md`).
    pub probability: f64,
    /// The score and its parts; absent for the default action.
    #[serde(flatten)]
    pub score: Option<Score>,
}

/// The explanation of one decision. Serializes to JSON ([`Receipt::to_json`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Receipt {
    /// `shopkeeper.receipt`.
    pub format: &'static str,
    /// The catalog's version.
    pub catalog_version: String,
    /// The profile's id.
    pub customer: String,
    /// The request.
    pub channel: Channel,
    /// The request's time.
    pub now: Timestamp,
    /// The request's seed.
    pub seed: u64,
    /// The request's slots.
    pub slots: usize,
    /// Whether the customer is in the control group.
    pub control_group: bool,
    /// Why every offer was held back, if one was.
    pub suppressed: Option<Suppression>,
    /// Whether the picks are the default action.
    pub fallback: bool,
    /// The learning segment (`""` without one).
    pub segment: String,
    /// The picks, best first.
    pub picks: Vec<PickRecord>,
    /// Every offer not chosen, in catalog order; empty when `suppressed` (nothing was evaluated).
    pub dropped: Vec<Dropped>,
}

impl Receipt {
    /// The receipt as JSON (`spec/catalog.md` documents the fields).
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string(self)
            .map_err(|e| Error::new(crate::ErrorCode::Internal, e.to_string()))
    }

    /// The dropped entry of `offer`, if it was dropped.
    pub fn dropped_offer(&self, offer: &str) -> Option<&Dropped> {
        self.dropped.iter().find(|d| d.offer == offer)
    }
}

use alloc::string::ToString;
