//! Learning from responses: per-offer (and per-segment) acceptance statistics that forget at a
//! chosen half-life, and that any number of servers and browsers merge by adding.
//!
//! The state is plain decayed counts. Each arm (an offer in a segment) keeps its accepts and its
//! rejections (dismissed or ignored) as of its own clock `at`: read at `now`, both are multiplied by
//! `2^(-(now - at) / half_life)`. An update at `t` first decays the arm to `t` (or, for a late
//! response, adds a decayed weight), so an update costs O(log n) whatever the time. Two learners
//! merge arm by arm: each side is decayed to the later clock, then the counts add. That makes the
//! statistics of a fleet the sum of its members' (merge is commutative, and associative up to
//! floating-point rounding: property-tested), whatever store or stream carries them.
//!
//! ```
//! use shopkeeper::learn::{Learner, Response};
//!
//! let day = 86_400;
//! let mut server_a = Learner::new(14 * day)?;
//! let mut server_b = Learner::new(14 * day)?;
//! server_a.update("free-shipping", "champions", Response::Accepted, 1_795_500_000)?;
//! server_b.update("free-shipping", "champions", Response::Dismissed, 1_795_500_100)?;
//! server_a.merge(&server_b)?;
//! let counts = server_a.counts("free-shipping", "champions", 1_795_500_100);
//! assert!((counts.accepts + counts.rejects - 2.0).abs() < 1e-3);
//! // Two weeks later, each response weighs half.
//! let later = server_a.counts("free-shipping", "champions", 1_795_500_100 + 14 * day);
//! assert!((later.rejects - 0.5).abs() < 1e-12);
//!
//! // Learners travel as small, versioned, size-capped bytes.
//! assert_eq!(Learner::from_bytes(&server_a.to_bytes()?)?, server_a);
//! # Ok::<(), shopkeeper::Error>(())
//! ```

mod arms;
mod cohorts;
pub mod ope;
mod predictors;
mod wire;

use arms::{offer_hash, shared_hash, shared_room, Arms};
pub use cohorts::{CohortCounts, SourceCounts, MAX_COHORT_COUNTS_LEN, OTHER_SOURCES};
pub(crate) use predictors::{
    base, check_predictor_name, shares, sort_bins, BinKey, HalfLives, Model,
};
pub use predictors::{
    check_bin_count, CHANGE_PRIOR_VARIANCE, EFFECT_PRIOR_VARIANCE, MAX_BINS, MAX_BIN_VALUE_LEN,
    MAX_LEARNER_BINS, MAX_PREDICTORS, MAX_PREDICTOR_NAME_LEN, MAX_REQUEST_BINS, POOL_Z2,
};

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_ID_LEN, MAX_NAME_LEN};
use crate::{Error, ErrorCode, Timestamp};

/// Most arms (offer and segment pairs) one learner keeps.
pub const MAX_ARMS: usize = 100_000;
/// Largest encoded learner, in bytes.
pub const MAX_LEARNER_LEN: usize = 16 * 1024 * 1024;
/// The shortest and longest half-lives: a minute and ten years.
pub const HALF_LIFE_RANGE: (Timestamp, Timestamp) = (60, 10 * 365 * 86_400);

/// What the customer did with an offer that was shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Took it: a success.
    Accepted,
    /// Said no: a failure.
    Dismissed,
    /// Saw it and did nothing: a failure.
    Ignored,
}

impl Response {
    /// Every response.
    pub const ALL: [Response; 3] = [Response::Accepted, Response::Dismissed, Response::Ignored];

    /// The JSON name: `accepted`, `dismissed`, `ignored`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Response::Accepted => "accepted",
            Response::Dismissed => "dismissed",
            Response::Ignored => "ignored",
        }
    }

    /// The response of this name; `invalid_request` for any other (bindings read names).
    pub fn from_name(name: &str) -> Result<Response, Error> {
        Response::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "response must be \"accepted\", \"dismissed\" or \"ignored\", not {name:?}"
                    ),
                )
            })
    }
}

/// The Beta(a, b) draw of the documented stream seeded with `seed` (`spec/learning.md`): what an
/// adaptive offer samples, exposed so every binding can check it gives the same bits. Fails with
/// `invalid_number` unless both shapes are positive and finite.
pub fn sample_beta(seed: u64, a: f64, b: f64) -> Result<f64, Error> {
    check_shapes(a, b)?;
    Ok(crate::random::Stream::new(seed).beta(a, b))
}

/// Beta shapes: both positive and finite (the catalog's adaptive priors obey the same rule).
pub(crate) fn check_shapes(a: f64, b: f64) -> Result<(), Error> {
    if a.is_finite() && a > 0.0 && b.is_finite() && b > 0.0 {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidNumber,
            format!("Beta shapes must be positive and finite, got {a} and {b}"),
        ))
    }
}

/// An arm's decayed counts at a time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    /// Decayed accepts.
    pub accepts: f64,
    /// Decayed dismissals and ignores.
    pub rejects: f64,
}

/// One arm: counts as of `at`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Arm {
    accepts: f64,
    rejects: f64,
    at: Timestamp,
}

impl Arm {
    /// The counts decayed to `to` (never grown: a read before `at` gives the counts at `at`).
    fn at(&self, to: Timestamp, half_life: Timestamp) -> Counts {
        let factor = decay(to.saturating_sub(self.at), half_life);
        Counts {
            accepts: self.accepts * factor,
            rejects: self.rejects * factor,
        }
    }

    /// This arm and `other` as one, at the later clock.
    fn plus(&self, other: &Arm, half_life: Timestamp) -> Arm {
        let at = self.at.max(other.at);
        let (a, b) = (self.at(at, half_life), other.at(at, half_life));
        Arm {
            accepts: a.accepts + b.accepts,
            rejects: a.rejects + b.rejects,
            at,
        }
    }
}

/// One segment's arms, found once.
#[derive(Clone, Copy)]
pub(crate) struct SegmentArms<'l> {
    arms: &'l Arms,
    half_life: Timestamp,
}

impl SegmentArms<'_> {
    /// The decayed counts of `offer`, whose id hashes to `hash` ([`fnv1a`](crate::random::fnv1a)
    /// of its bytes), at `now` (zero for an arm never seen).
    pub(crate) fn counts(&self, offer: &str, hash: u64, now: Timestamp) -> Counts {
        self.arms
            .get(offer, hash)
            .map(|arm| arm.at(now, self.half_life))
            .unwrap_or_default()
    }
}

/// `2^(-elapsed / half_life)`; 1 for no time.
fn decay(elapsed: Timestamp, half_life: Timestamp) -> f64 {
    if elapsed <= 0 {
        1.0
    } else {
        libm::exp2(-(elapsed as f64) / half_life as f64)
    }
}

/// Decayed acceptance statistics per offer and segment, and per offer and predictor bin.
#[derive(Clone, Debug, PartialEq)]
pub struct Learner {
    half_life: Timestamp,
    recent_half_life: Timestamp,
    /// Segment, then offer: a decision reads one segment's arms.
    segments: BTreeMap<String, Arms>,
    arms: usize,
    /// What each offer learned from predictors, by offer.
    models: Arms<Model>,
    /// Models held (the map counts hashes, which up to 4 ids share).
    model_count: usize,
    /// Bins and predictors of every model ([`MAX_LEARNER_BINS`]).
    bins: usize,
}

/// What a learner's model holds under a key ([`Learner::model_counts`]): the counts of each time
/// scale.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScaledCounts {
    /// With the learner's half-life.
    pub long: Counts,
    /// With its recent half-life.
    pub recent: Counts,
}

impl Learner {
    /// An empty learner whose counts halve every `half_life` seconds (and whose recent counts,
    /// kept for predictors, every sixteenth of that, at least a minute).
    pub fn new(half_life: Timestamp) -> Result<Learner, Error> {
        check_half_life(half_life)?;
        Learner::with_recent(half_life, default_recent(half_life))
    }

    /// An empty learner with both half-lives: the recent one, at most the other, is how fast
    /// predictors notice a change (`spec/learning.md`, "Predictors").
    pub fn with_recent(
        half_life: Timestamp,
        recent_half_life: Timestamp,
    ) -> Result<Learner, Error> {
        check_half_life(half_life)?;
        check_half_life(recent_half_life)?;
        if recent_half_life > half_life {
            return Err(Error::new(
                ErrorCode::InvalidNumber,
                format!("the recent half-life ({recent_half_life} s) is longer than the half-life ({half_life} s)"),
            ));
        }
        Ok(Learner {
            half_life,
            recent_half_life,
            segments: BTreeMap::new(),
            arms: 0,
            models: Arms::default(),
            model_count: 0,
            bins: 0,
        })
    }

    /// The half-life, in seconds.
    pub fn half_life(&self) -> Timestamp {
        self.half_life
    }

    /// The recent half-life of predictors' counts, in seconds.
    pub fn recent_half_life(&self) -> Timestamp {
        self.recent_half_life
    }

    pub(crate) fn half_lives(&self) -> HalfLives {
        [self.half_life, self.recent_half_life]
    }

    /// Arms held.
    pub fn len(&self) -> usize {
        self.arms
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.arms == 0 && self.models.0.is_empty()
    }

    fn arm(&self, offer: &str, segment: &str) -> Option<&Arm> {
        self.segments.get(segment)?.get(offer, offer_hash(offer))
    }

    /// What `offer` learned from predictors, found by its id's hash.
    pub(crate) fn model(&self, offer: &str, hash: u64) -> Option<&Model> {
        self.models.get(offer, hash)
    }

    /// Records a response to `offer` shown in `segment` (use `""` without segments) at `at`.
    /// A response older than the arm's clock is added with its decayed weight. Fails, changing
    /// nothing, for an empty or too long id, a time out of range, or a full learner.
    pub fn update(
        &mut self,
        offer: &str,
        segment: &str,
        response: Response,
        at: Timestamp,
    ) -> Result<(), Error> {
        self.record(offer, segment, None, response, at)
    }

    /// [`Learner::update`] for an offer of a catalog with predictors, from a customer in the
    /// predictor `bins` (`name=value`, as a decision's record lists them; none when the customer
    /// had no value): the offer's model learns the response too. Fails, changing nothing, for a
    /// bin that is not `name=value` with a valid name and a value of at most 64 bytes, or that
    /// appears twice, or more than 64 bins. A bin past a cap is not kept; the response still
    /// counts.
    pub fn update_with(
        &mut self,
        offer: &str,
        segment: &str,
        bins: &[&str],
        response: Response,
        at: Timestamp,
    ) -> Result<(), Error> {
        self.record(offer, segment, Some(bins), response, at)
    }

    /// A response: in the arm, and with `bins` in the offer's model.
    fn record(
        &mut self,
        offer: &str,
        segment: &str,
        bins: Option<&[&str]>,
        response: Response,
        at: Timestamp,
    ) -> Result<(), Error> {
        crate::check::id("offer", offer, MAX_ID_LEN)?;
        crate::check::text("segment", segment, MAX_NAME_LEN)?;
        crate::check::timestamp("at", at)?;
        let keys = match bins {
            None => None,
            Some(bins) => {
                check_bin_count(bins.len())?;
                let keys = bins
                    .iter()
                    .map(|b| BinKey::parse(b))
                    .collect::<Result<_, _>>()?;
                Some(predictors::sorted_bins(keys)?)
            }
        };
        let hash = offer_hash(offer);
        let new = self.arm(offer, segment).is_none();
        let new_model = keys.is_some() && self.models.get(offer, hash).is_none();
        if (new && self.arms >= MAX_ARMS) || (new_model && self.model_count >= MAX_ARMS) {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("a learner holds at most {MAX_ARMS} arms"),
            ));
        }
        let room = |arms: &Arms| arms.has_room(hash);
        if (new && !self.segments.get(segment).is_none_or(room))
            || (new_model && !self.models.has_room(hash))
        {
            return Err(shared_hash(offer));
        }
        let accepted = response == Response::Accepted;
        let one = Arm {
            accepts: f64::from(u8::from(accepted)),
            rejects: f64::from(u8::from(!accepted)),
            at,
        };
        self.add(offer, segment, &one);
        if let Some(keys) = keys {
            let half_lives = self.half_lives();
            let room = MAX_LEARNER_BINS.saturating_sub(self.bins);
            if new_model {
                self.models.insert(offer.into(), hash, Model::new(at));
                self.model_count += 1;
            }
            if let Some(model) = self.models.get_mut(offer, hash) {
                let before = model.entries();
                model.update(&keys, accepted, at, half_lives, room);
                self.bins = self.bins - before + model.entries();
            }
        }
        Ok(())
    }

    /// Credits a response to `offer` in the segment (and the predictor bins) where the decision
    /// `shown_by` (its log record, [`Decision::log`](crate::decide::Decision::log)) showed it: the
    /// one rule by which every binding and tool learns. `Ok(false)`, changing nothing, when that
    /// decision did not show the offer (another offer, or the default action of a fallback);
    /// otherwise as [`Learner::update_with`].
    pub fn credit(
        &mut self,
        shown_by: &crate::decide::DecisionLog,
        offer: &str,
        response: Response,
        at: Timestamp,
    ) -> Result<bool, Error> {
        if !shown_by.showed(offer) {
            return Ok(false);
        }
        let bins: Option<Vec<&str>> = shown_by
            .predictors
            .as_ref()
            .map(|b| b.iter().map(String::as_str).collect());
        self.record(offer, &shown_by.segment, bins.as_deref(), response, at)?;
        Ok(true)
    }

    /// The decayed counts of `offer` in `segment` at `now` (zero for an arm never seen).
    pub fn counts(&self, offer: &str, segment: &str, now: Timestamp) -> Counts {
        self.arm(offer, segment)
            .map(|arm| arm.at(now, self.half_life))
            .unwrap_or_default()
    }

    /// What `offer`'s model holds under `key` at `now`, on both time scales: `""` its totals,
    /// `name` the responses where predictor `name` had a value, `name=value` one bin (its own
    /// counts, not those of the intervals pooled with it). Zero for anything never seen.
    pub fn model_counts(&self, offer: &str, key: &str, now: Timestamp) -> ScaledCounts {
        let Some(model) = self.models.get(offer, offer_hash(offer)) else {
            return ScaledCounts::default();
        };
        let (name, value) = match key.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (key, None),
        };
        let stat = if key.is_empty() {
            Some(&model.totals)
        } else {
            model
                .predictors
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| match value {
                    None => Some(&p.total),
                    Some(v) => p.bins.iter().find(|b| b.value == v).map(|b| &b.stat),
                })
        };
        let Some(stat) = stat else {
            return ScaledCounts::default();
        };
        let long = decay(now.saturating_sub(model.at), self.half_life);
        let recent = decay(now.saturating_sub(model.at), self.recent_half_life);
        let c = stat.counts;
        ScaledCounts {
            long: Counts {
                accepts: c[0] * long,
                rejects: c[1] * long,
            },
            recent: Counts {
                accepts: c[2] * recent,
                rejects: c[3] * recent,
            },
        }
    }

    /// One segment's arms, for reading many offers' counts (a decision reads them all).
    pub(crate) fn segment(&self, segment: &str) -> Option<SegmentArms<'_>> {
        self.segments.get(segment).map(|arms| SegmentArms {
            arms,
            half_life: self.half_life,
        })
    }

    /// Adds `other`'s statistics (another server's, another browser's) into these. Both must have
    /// the same half-lives; fails, changing nothing, if not or if the union would hold too many
    /// arms or bins.
    pub fn merge(&mut self, other: &Learner) -> Result<(), Error> {
        if other.half_lives() != self.half_lives() {
            return Err(Error::new(
                ErrorCode::InvalidData,
                format!(
                    "cannot merge learners with half-lives {:?} and {:?} seconds",
                    self.half_lives(),
                    other.half_lives()
                ),
            ));
        }
        let new = other
            .all()
            .filter(|(offer, segment, _)| self.arm(offer, segment).is_none())
            .count();
        let new_models = other
            .models
            .iter()
            .filter(|(offer, _)| self.models.get(offer, offer_hash(offer)).is_none())
            .count();
        if self.arms + new > MAX_ARMS || self.model_count + new_models > MAX_ARMS {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("the merged learner would hold more than {MAX_ARMS} arms"),
            ));
        }
        self.room_for(other)?;
        // The merged models first: their bins are only known once merged.
        let half_lives = self.half_lives();
        let mut bins = self.bins;
        let mut merged = Vec::with_capacity(other.models.0.len());
        for (offer, theirs) in other.models.iter() {
            let hash = offer_hash(offer);
            let model = match self.models.get(offer, hash) {
                Some(mine) => {
                    bins -= mine.entries();
                    mine.plus(theirs, half_lives)
                }
                None => theirs.clone(),
            };
            bins += model.entries();
            merged.push((offer, hash, model));
        }
        if bins > MAX_LEARNER_BINS {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!(
                    "the merged learner would hold more than {MAX_LEARNER_BINS} predictor bins"
                ),
            ));
        }
        for (offer, segment, theirs) in other.all() {
            self.add(offer, segment, theirs);
        }
        for (offer, hash, model) in merged {
            match self.models.get_mut(offer, hash) {
                Some(mine) => *mine = model,
                None => {
                    self.models.insert(offer.into(), hash, model);
                    self.model_count += 1;
                }
            }
        }
        self.bins = bins;
        Ok(())
    }

    /// Fails if `other`'s new arms or models would put more than [`MAX_SHARED_HASH`] ids on one
    /// hash.
    fn room_for(&self, other: &Learner) -> Result<(), Error> {
        let empty = Arms::default();
        let pairs = other
            .segments
            .iter()
            .map(|(segment, theirs)| (self.segments.get(segment).unwrap_or(&empty), theirs));
        for (mine, theirs) in pairs {
            shared_room(mine, theirs)?;
        }
        shared_room(&self.models, &other.models)
    }

    /// Adds `arm` to the arm of `offer` in `segment`, creating it if new; allocates only then.
    fn add(&mut self, offer: &str, segment: &str, arm: &Arm) {
        let half_life = self.half_life;
        let arms = match self.segments.get_mut(segment) {
            Some(arms) => arms,
            None => self.segments.entry(segment.into()).or_default(),
        };
        let hash = offer_hash(offer);
        match arms.get_mut(offer, hash) {
            Some(mine) => *mine = mine.plus(arm, half_life),
            None => {
                arms.insert(offer.into(), hash, *arm);
                self.arms += 1;
            }
        }
    }

    /// Every arm's decayed counts at `now`, as `(offer, segment, counts)`, by segment then
    /// offer: what a fleet's operators read to check what it learned.
    pub fn arms(&self, now: Timestamp) -> impl Iterator<Item = (&str, &str, Counts)> + '_ {
        let half_life = self.half_life;
        self.segments.iter().flat_map(move |(segment, arms)| {
            arms.by_offer()
                .into_iter()
                .map(move |(offer, arm)| (offer, segment.as_str(), arm.at(now, half_life)))
        })
    }

    /// Every arm, in no particular order within a segment.
    fn all(&self) -> impl Iterator<Item = (&str, &str, &Arm)> {
        self.segments.iter().flat_map(|(segment, arms)| {
            arms.iter()
                .map(move |(offer, arm)| (offer, segment.as_str(), arm))
        })
    }

    /// The binary form: the envelope (magic `SKL\x01`, version 3) around postcard; fails with
    /// `limit_exceeded` past [`MAX_LEARNER_LEN`] bytes (ids and names at their longest in every
    /// arm and bin), which `from_bytes` would refuse.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        wire::encode(self)
    }

    /// Reads and checks the binary form (version 3; 2, from before every count kept its surprise;
    /// or 1, from before predictors): at most [`MAX_LEARNER_LEN`] bytes, [`MAX_ARMS`] arms, ids
    /// and segments as `update` accepts them, finite non-negative counts, surprises that responses
    /// could have made, times in range, bins within their caps.
    pub fn from_bytes(bytes: &[u8]) -> Result<Learner, Error> {
        wire::decode(bytes)
    }
}

/// The recent half-life of a learner made with only a half-life: a sixteenth of it (10.5 hours
/// for a week: in the simulator, recovery after a change and the steady state were best together
/// between 8 and 12 hours), at least a minute.
pub(crate) fn default_recent(half_life: Timestamp) -> Timestamp {
    (half_life / 16).max(HALF_LIFE_RANGE.0)
}

fn check_half_life(half_life: Timestamp) -> Result<(), Error> {
    let (low, high) = HALF_LIFE_RANGE;
    if (low..=high).contains(&half_life) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidNumber,
            format!("a half-life is {low} to {high} seconds, got {half_life}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = 1_795_500_000;

    #[test]
    fn arms_are_listed_and_encoded_by_offer_whatever_the_order_of_updates() {
        let mut a = Learner::new(86_400).unwrap();
        let mut b = Learner::new(86_400).unwrap();
        for offer in ["b", "a", "c", "offer-10", "offer-9"] {
            a.update(offer, "s", Response::Accepted, NOW).unwrap();
        }
        for offer in ["offer-9", "c", "offer-10", "a", "b"] {
            b.update(offer, "s", Response::Accepted, NOW).unwrap();
        }
        let listed: Vec<&str> = a.arms(NOW).map(|(offer, _, _)| offer).collect();
        assert_eq!(listed, ["a", "b", "c", "offer-10", "offer-9"]);
        assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
        assert_eq!(Learner::from_bytes(&a.to_bytes().unwrap()).unwrap(), a);
        let arms = a.segment("s").unwrap();
        assert_eq!(arms.counts("c", offer_hash("c"), NOW).accepts, 1.0);
        assert_eq!(arms.counts("d", offer_hash("d"), NOW), Counts::default());
    }
}
