//! Where an offer is dropped, and why. Every offer of a request passes the stages below in this
//! order; the first that stops it returns a typed [`Cause`] (the failing clause, the contact rule
//! and its numbers, the score's parts), never text: `explain.rs` puts a cause into words, and only
//! for a receipt.
//!
//! channel ▸ validity ▸ eligibility ▸ applicability ▸ suitability ▸ contact policy ▸ score ▸
//! budget, then, among the offers that passed, exclusion group ▸ slots (`select.rs` makes those two
//! causes). The budget comes last: on the fast path, counters are read for an offer with a fixed
//! score only while it could still make the slots (an adaptive offer's, before its draw); a
//! budget that paces an offer drops it only in the draws its throttle holds back (`engine.rs` and
//! `probability.rs` draw it).

use serde::Serialize;

use super::catalog::{bit, Amount, Kind, Offer, Propensity};
use super::clauses::Memo;
use super::contact::ContactBlock;
use super::decision::Score;
use super::engine::Engine;
use super::predictors::RequestBins;
use super::request::Request;
use crate::budget::{self, Budgets, Pace};
use crate::learn::{Learner, SegmentArms};
use crate::random::Stream;
use crate::rules::{Features, Value};
use crate::{Channel, Profile, Timestamp};

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
    /// Its budget is spent, or its pacing held it back in this draw.
    Budget,
    /// A better offer of its exclusion group was chosen.
    ExclusionGroup,
    /// Ranked below the last slot.
    Slots,
}

impl Stage {
    /// The JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Channel => "channel",
            Stage::Validity => "validity",
            Stage::Eligibility => "eligibility",
            Stage::Applicability => "applicability",
            Stage::Suitability => "suitability",
            Stage::ContactPolicy => "contact_policy",
            Stage::Score => "score",
            Stage::Budget => "budget",
            Stage::ExclusionGroup => "exclusion_group",
            Stage::Slots => "slots",
        }
    }
}

/// Why an offer was dropped at its stage, as data: cheap to make on every request, put into words
/// only when a receipt is read or written ([`Cause`]'s `Display`, in `explain.rs`).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Cause<'c> {
    /// Not offered on the request's channel.
    Channel(Channel),
    /// Its validity window starts at this time.
    NotYetValid(Timestamp),
    /// Its validity window ended at this time.
    Expired(Timestamp),
    /// This clause of the stage's condition does not hold (as written in the catalog).
    Clause(&'c str),
    /// Its contact policy holds it back.
    Contact(ContactBlock),
    /// Its budget is spent, or its pacing's throttle held it back: where the budget stands.
    Budget(Pace),
    /// Its propensity (expression or model) is missing.
    NoPropensity,
    /// Its value expression is missing or not finite.
    NoValue,
    /// Its score is not positive, or not finite.
    Score(Score),
    /// An offer of its exclusion group ranked higher.
    Outranked {
        /// The exclusion group.
        group: &'c str,
        /// The group's chosen offer.
        winner: &'c str,
        /// The winner's score.
        winner_score: f64,
        /// This offer's score.
        score: f64,
    },
    /// Ranked below the last slot.
    BelowSlots {
        /// Its rank among the offers that went on to the slots (1 is the best).
        rank: usize,
        /// Its score.
        score: f64,
        /// The slots there were.
        slots: usize,
    },
}

/// An offer stopped at a stage, and why: small, since the fast path makes one for most offers
/// and drops it. A failing clause is its index in the catalog's clause table (the receipt looks
/// up its text, and its JSON made once per catalog).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reject<'c> {
    /// A clause of the stage's condition does not hold.
    Clause(Stage, u32),
    /// Any other cause.
    Other(Stage, Cause<'c>),
}

impl<'c> Reject<'c> {
    pub(crate) fn at(stage: Stage, cause: Cause<'c>) -> Self {
        Reject::Other(stage, cause)
    }
}

/// What the evaluation of one request's offers shares.
pub(crate) struct Pass<'f, 'a> {
    pub(crate) features: &'f Features<'a>,
    pub(crate) request: &'f Request,
    /// The product of the context weights that hold, per kind of offer.
    pub(crate) kind_weights: [f64; Kind::ALL.len()],
    /// Each clause's value, once evaluated.
    pub(crate) memo: Memo,
    /// The learner's arms of the request's segment, if any.
    pub(crate) arms: Option<SegmentArms<'f>>,
    /// The learner, whose models predictor-based offers read.
    pub(crate) learner: Option<&'f Learner>,
    /// The request's predictor bins (none without predictors).
    pub(crate) bins: &'f RequestBins,
    /// What the budgeted offers spent, if known.
    pub(crate) budgets: Option<&'f Budgets>,
}

/// The parts of an offer's score known before its propensity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parts {
    pub(crate) context_weight: f64,
    pub(crate) value: f64,
}

impl Engine {
    /// Every filter, then the parts of the score known before the propensity: the context weight
    /// and the value. Or the stage that drops the offer, and why.
    #[inline]
    pub(crate) fn filter<'c>(
        &'c self,
        offer: &'c Offer,
        index: u32,
        pass: &mut Pass<'_, '_>,
        block: Option<ContactBlock>,
    ) -> Result<Parts, Reject<'c>> {
        let (features, request) = (pass.features, pass.request);
        let memo = &mut pass.memo;
        let table = &self.catalog.clauses;
        let now = request.now;
        if offer.channels & bit(request.channel) == 0 {
            return Err(Reject::at(Stage::Channel, Cause::Channel(request.channel)));
        }
        if let Some(from) = offer.valid_from.filter(|&from| now < from) {
            return Err(Reject::at(Stage::Validity, Cause::NotYetValid(from)));
        }
        if let Some(until) = offer.valid_until.filter(|&until| now >= until) {
            return Err(Reject::at(Stage::Validity, Cause::Expired(until)));
        }
        for (stage, clauses) in [
            (Stage::Eligibility, &offer.eligibility),
            (Stage::Applicability, &offer.applicability),
            (Stage::Suitability, &offer.suitability),
        ] {
            if let Some(clause) = clauses.first_failing(table, features, memo) {
                return Err(Reject::Clause(stage, clause));
            }
        }
        if let Some(block) = block {
            return Err(Reject::at(Stage::ContactPolicy, Cause::Contact(block)));
        }
        match value(offer, features) {
            Some(value) => Ok(Parts {
                context_weight: pass.kind_weights[offer.action.kind.index()],
                value,
            }),
            // The receipt names the propensity first when both are missing.
            None => Err(Reject::at(
                Stage::Score,
                match self.propensity(offer, index, pass) {
                    None => Cause::NoPropensity,
                    Some(_) => Cause::NoValue,
                },
            )),
        }
    }

    /// The score of an offer that passed the filters, with its propensity under the request's
    /// seed; or why it has none that counts.
    pub(crate) fn score<'c>(
        &'c self,
        offer: &'c Offer,
        index: u32,
        pass: &Pass<'_, '_>,
        parts: Parts,
    ) -> Result<Score, Reject<'c>> {
        let Parts {
            context_weight,
            value,
            ..
        } = parts;
        let propensity = self
            .propensity(offer, index, pass)
            .ok_or(Reject::at(Stage::Score, Cause::NoPropensity))?;
        let score = Score {
            propensity,
            context_weight,
            value,
            lever: offer.lever,
            score: propensity * context_weight * value * offer.lever,
        };
        if !(score.score > 0.0 && score.score.is_finite()) {
            return Err(Reject::at(Stage::Score, Cause::Score(score)));
        }
        Ok(score)
    }

    /// Where the offer's budget stands for this request; `None` without a budget, or without
    /// counters (nothing spent).
    pub(crate) fn pace(&self, offer: &Offer, pass: &Pass<'_, '_>) -> Option<Pace> {
        let now = pass.request.now;
        let spent = pass.budgets?.spent(offer, now)?;
        let budget = offer.budget?;
        Some(self.catalog.pacing.pace(budget, spent, now))
    }

    /// The budget stage for an offer that scored, under `seed`: whether it passed by its
    /// throttle's draw (its place then depends on the seed), or why its budget drops it.
    pub(crate) fn budgeted<'c>(
        &self,
        offer: &Offer,
        pace: Option<Pace>,
        seed: u64,
    ) -> Result<bool, Reject<'c>> {
        let Some(pace) = pace.filter(|p| p.probability < 1.0) else {
            return Ok(false);
        };
        match pace.probability > 0.0 && budget::passes(seed, offer.id_hash, pace.probability) {
            true => Ok(true),
            false => Err(Reject::at(Stage::Budget, Cause::Budget(pace))),
        }
    }

    /// The offer's propensity, clamped to `[0, 1]`; `None` when its expression is missing.
    fn propensity(&self, offer: &Offer, index: u32, pass: &Pass<'_, '_>) -> Option<f64> {
        let features = pass.features;
        match &offer.propensity {
            Propensity::Adaptive { .. } => {
                Some(self.adaptive_propensity(offer, pass.request.seed, pass))
            }
            Propensity::Fixed(p) => Some(*p),
            Propensity::Rule(rule) => number(rule.eval(features)).map(|p| p.clamp(0.0, 1.0)),
            Propensity::Model(_) => self
                .bound
                .get(index as usize)
                .and_then(Option::as_ref)
                .map(|m| m.score(features)),
        }
    }

    /// An adaptive offer's propensity under `seed`, from its own stream, seeded with its tie key
    /// (independent of the other offers'): the Beta draw of its segment's counts, or, when the
    /// catalog has predictors, the logistic of a normal draw around its model's log odds
    /// ([`Engine::log_odds`]); then floored. 0 for an offer that is not adaptive.
    pub(crate) fn adaptive_propensity(&self, offer: &Offer, seed: u64, pass: &Pass<'_, '_>) -> f64 {
        let Propensity::Adaptive { alpha, beta } = offer.propensity else {
            return 0.0;
        };
        let mut stream = Stream::new(super::bucket::tie_key(seed, offer.id_hash));
        let p = if self.catalog.learning.predictors.is_empty() {
            let counts = pass
                .arms
                .map(|arms| arms.counts(&offer.action.id, offer.id_hash, pass.request.now))
                .unwrap_or_default();
            stream.beta(alpha + counts.accepts, beta + counts.rejects)
        } else {
            let (mean, variance) = self.log_odds(offer, (alpha, beta), pass);
            let x = mean + libm::sqrt(variance) * stream.normal();
            1.0 / (1.0 + libm::exp(-x))
        };
        p.max(self.catalog.learning.floor)
    }

    /// The posterior log odds of a predictor-based offer for this request, `(mean, variance)`:
    /// its totals' with its prior, plus each of the request's bins' shrunk evidence
    /// (`spec/learning.md`, "Predictors").
    pub(crate) fn log_odds(
        &self,
        offer: &Offer,
        prior: (f64, f64),
        pass: &Pass<'_, '_>,
    ) -> (f64, f64) {
        let model = pass
            .learner
            .and_then(|l| l.model(&offer.action.id, offer.id_hash));
        let half_lives = pass.learner.map_or([1, 1], Learner::half_lives);
        let (mut mean, mut variance) =
            crate::learn::base(model, prior, pass.request.now, half_lives);
        if let Some(model) = model {
            let (effect, spread, weight) = model.evidence_by_id(&pass.bins.ids);
            mean += effect;
            if weight > 0.0 {
                variance += spread / weight;
            }
        }
        (mean, variance)
    }

    /// The product of the context weights that hold, per kind of offer.
    pub(crate) fn kind_weights(
        &self,
        features: &Features<'_>,
        channel: Channel,
        memo: &mut Memo,
    ) -> [f64; Kind::ALL.len()] {
        let mut weights = [1.0; Kind::ALL.len()];
        for w in &self.catalog.context_weights {
            if w.channels & bit(channel) == 0
                || !w.when.matches(&self.catalog.clauses, features, memo)
            {
                continue;
            }
            for kind in Kind::ALL {
                if w.kind.is_none_or(|k| k == kind) {
                    weights[kind.index()] *= w.weight;
                }
            }
        }
        weights
    }

    /// The offers the customer's contact history holds back (found from the history, a few
    /// entries, rather than per offer): catalog index and why.
    pub(crate) fn blocked(
        &self,
        profile: &Profile,
        now: Timestamp,
    ) -> smallvec::SmallVec<[(u32, ContactBlock); 8]> {
        let catalog = &self.catalog;
        profile
            .offers()
            .iter()
            .filter_map(|(id, history)| {
                let &i = catalog.index.get(id.as_str())?;
                let offer = catalog.offers.get(i as usize)?;
                offer.contact.block(history, now).map(|b| (i, b))
            })
            .collect()
    }
}

/// The offer's value; `None` when its expression is missing or not finite.
fn value(offer: &Offer, features: &Features<'_>) -> Option<f64> {
    match &offer.value {
        Amount::Fixed(v) => Some(*v),
        Amount::Rule(rule) => number(rule.eval(features)),
    }
}

/// A computed value or propensity; missing when absent or not finite.
fn number(value: Option<Value>) -> Option<f64> {
    match value {
        Some(Value::Number(n)) if n.is_finite() => Some(n),
        _ => None,
    }
}
