//! Decisions: the next best offers for this customer, on this channel, now, and why.
//!
//! A [`Catalog`] (JSON, compiled once) lists the offers and actions with their rules, values,
//! levers, exclusion groups and contact policies. An [`Engine`] pairs it with the [`Models`] that
//! give scores and model propensities, and [`Engine::decide`] runs, for one request:
//!
//! 1. the universal control group, the customer's objection and the channel's contact policy,
//!    each of which leaves only the default action;
//! 2. per offer, in catalog order: channel, validity window, eligibility, applicability,
//!    suitability, contact policy, then the score `propensity × context weight × value × lever`;
//! 3. ranking (ties broken by a hash of the request's seed and the offer's id, then by catalog
//!    order), at most one offer per exclusion group, the request's slots filled best first;
//! 4. the default action when nothing qualifies.
//!
//! With [`Request::explain`] it also writes a [`Receipt`]: every pick's score parts and every
//! dropped offer's stage and reason. `decide` reads the profile and changes nothing: the caller
//! reports what it showed with `offer_shown` events ([`Decision::shown_events`]).
//!
//! ```
//! use shopkeeper::decide::{Catalog, Engine, Request};
//! use shopkeeper::rules::Context;
//! use shopkeeper::score::Models;
//! use shopkeeper::{Channel, Profile};
//!
//! let now = 1_732_406_400;
//! let catalog = Catalog::compile(r#"{
//!   "version": "2024-11-24.1",
//!   "default": {"id": "newsletter", "kind": "content"},
//!   "offers": [
//!     {"id": "free-shipping", "eligibility": "customer.known and cart.value >= 100", "value": 8},
//!     {"id": "welcome-10", "eligibility": "not customer.known", "value": 5}
//!   ]
//! }"#, now)?;
//! let engine = Engine::new(catalog, Models::default())?;
//! let profile = Profile::anonymous("visitor-1")?;
//! let context = Context::new(engine.catalog().schema());
//! let decision = engine.decide(&profile, &context, &Request::new(Channel::Web, now).explain(true))?;
//! assert_eq!(decision.picks()[0].action.id(), "welcome-10");
//! let receipt = decision.receipt().ok_or("asked for a receipt")?;
//! let dropped = receipt.dropped_offer("free-shipping").ok_or("free-shipping was dropped")?;
//! assert_eq!(dropped.reason, "customer.known");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bucket;
mod catalog;
mod clauses;
mod compile;
mod contact;
mod receipt;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use smallvec::SmallVec;

pub use bucket::control_bucket;
pub use catalog::{
    Action, Catalog, ControlGroup, Kind, Offer, Problem, ProblemCode, Problems, Severity,
    MAX_CATALOG_LEN, MAX_CATALOG_OFFERS, MAX_PAYLOAD_LEN,
};
pub use receipt::{Decision, Dropped, Pick, PickRecord, Receipt, Score, Stage, Suppression};

use catalog::{bit, Amount, Propensity};
use clauses::Memo;
use contact::Block;

use crate::learn::{Learner, SegmentArms};
use crate::random::Stream;
use crate::rules::{Context, Features, Input, Value};
use crate::score::{BoundLogistic, Models};
use crate::time::format_utc;
use crate::{Channel, Error, ErrorCode, Profile, Timestamp};

/// Re-draws, after the decision itself, behind a logged propensity when a decision depends on its
/// seed (`spec/learning.md`).
pub const LOGGING_DRAWS: u32 = 256;

/// Most slots one request may ask for.
pub const MAX_SLOTS: usize = 16;

/// One decision request: where, how many, when, and the seed for anything random. Build it with
/// [`Request::new`] and its setters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The channel that will show the picks.
    pub channel: Channel,
    /// How many offers the channel can show (1 to [`MAX_SLOTS`]).
    pub slots: usize,
    /// The caller's clock, in seconds since the epoch.
    pub now: Timestamp,
    /// Seeds tie-breaks (and, later, sampling): same inputs and seed, same decision.
    pub seed: u64,
    /// Whether to write the [`Receipt`] (slower: it explains every offer).
    pub explain: bool,
}

impl Request {
    /// One slot, seed 0, no receipt.
    pub fn new(channel: Channel, now: Timestamp) -> Self {
        Request {
            channel,
            slots: 1,
            now,
            seed: 0,
            explain: false,
        }
    }

    /// With `slots` slots.
    pub fn slots(mut self, slots: usize) -> Self {
        self.slots = slots;
        self
    }

    /// With this seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// With or without the receipt.
    pub fn explain(mut self, explain: bool) -> Self {
        self.explain = explain;
        self
    }

    fn check(&self) -> Result<(), Error> {
        if !(1..=MAX_SLOTS).contains(&self.slots) {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                format!("slots: 1 to {MAX_SLOTS}, got {}", self.slots),
            ));
        }
        crate::check::timestamp("now", self.now)
            .map_err(|e| Error::new(ErrorCode::InvalidRequest, e.message()))
    }
}

/// A catalog with the models its scores and propensities use: immutable, shared by threads.
#[derive(Debug)]
pub struct Engine {
    catalog: Catalog,
    models: Models,
    /// Per offer, the bound logistic model of a `model` propensity.
    bound: Vec<Option<BoundLogistic>>,
    /// Whether any expression or model reads a score path (else scoring is skipped).
    needs_scores: bool,
}

impl Engine {
    /// Pairs a compiled catalog with models. Fails with `invalid_catalog` when an offer names a
    /// propensity model the models lack, or one that reads a path the catalog's schema lacks.
    pub fn new(catalog: Catalog, models: Models) -> Result<Engine, Error> {
        let (bound, needs_scores) = bind(&catalog, &models)?;
        Ok(Engine {
            catalog,
            models,
            bound,
            needs_scores,
        })
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The models.
    pub fn models(&self) -> &Models {
        &self.models
    }

    /// Swaps in a new catalog, checked against the models first: on error nothing changes, so a
    /// bad catalog never replaces a good one. Contexts built for the old catalog's schema must be
    /// built again for the new one.
    pub fn replace_catalog(&mut self, catalog: Catalog) -> Result<(), Error> {
        let (bound, needs_scores) = bind(&catalog, &self.models)?;
        self.catalog = catalog;
        self.bound = bound;
        self.needs_scores = needs_scores;
        Ok(())
    }

    /// The next best offers for `profile` in `context` (built against
    /// [`Catalog::schema`]). Fails only for a bad request (`invalid_request`: slots or `now` out of
    /// range) or a context built for another schema (`invalid_context`); changes nothing.
    pub fn decide(
        &self,
        profile: &Profile,
        context: &Context,
        request: &Request,
    ) -> Result<Decision<'_>, Error> {
        self.run(profile, context, request, None, None)
            .map(|(decision, _)| decision)
    }

    /// [`Engine::decide`] with the learner whose counts adaptive propensities sample from
    /// (Thompson sampling with the request's seed). Without one, they sample from their priors.
    pub fn decide_with(
        &self,
        profile: &Profile,
        context: &Context,
        request: &Request,
        learner: &Learner,
    ) -> Result<Decision<'_>, Error> {
        self.run(profile, context, request, Some(learner), None)
            .map(|(decision, _)| decision)
    }

    /// This engine as the candidate policy of off-policy evaluation ([`crate::learn::ope`]): for
    /// a decision another policy logged (its picks' ids, best first), the probability that this
    /// engine shows each logged offer at the same rank for the same profile, context and request,
    /// with `learner` for its adaptive offers. It is 1 or 0 when nothing in the decision depends
    /// on the seed, otherwise the share of [`LOGGING_DRAWS`] re-draws (the same procedure as the
    /// receipt's logged probabilities, `spec/learning.md`). An id the catalog does not have gets 0,
    /// the default action 1 at rank 1 when this engine falls back (or is suppressed), else 0.
    pub fn pick_probabilities(
        &self,
        profile: &Profile,
        context: &Context,
        request: &Request,
        learner: Option<&Learner>,
        logged: &[&str],
    ) -> Result<Vec<f64>, Error> {
        let indices: SmallVec<[Option<u32>; 4]> = logged
            .iter()
            .map(|id| self.catalog.index.get(*id).copied())
            .collect();
        let request = Request {
            explain: false,
            ..*request
        };
        let (decision, probabilities) =
            self.run(profile, context, &request, learner, Some(&indices))?;
        let default = &self.catalog.fallback.id;
        Ok(logged
            .iter()
            .enumerate()
            .map(|(rank, id)| match decision.fallback {
                true => f64::from(u8::from(rank == 0 && *id == default.as_str())),
                false => probabilities.get(rank).copied().unwrap_or(0.0),
            })
            .collect())
    }

    /// Decides; also returns the probability of each pick at its rank under the request's
    /// randomness: of `logged`'s picks when given, else of the decision's own when explaining.
    fn run(
        &self,
        profile: &Profile,
        context: &Context,
        request: &Request,
        learner: Option<&Learner>,
        logged: Option<&[Option<u32>]>,
    ) -> Result<(Decision<'_>, SmallVec<[f64; 4]>), Error> {
        request.check()?;
        let catalog = &self.catalog;
        if !context.fits(&catalog.schema) {
            return Err(Error::new(
                ErrorCode::InvalidContext,
                "the context was built for another catalog's schema: build it with Context::new(engine.catalog().schema())",
            ));
        }
        let (now, channel) = (request.now, request.channel);
        let control_group = catalog
            .control
            .as_ref()
            .is_some_and(|g| control_bucket(&g.salt, profile.id()) < g.share);
        // Offers the channel's contact policy still allows in its window; none left suppresses.
        let room = catalog.channel_caps[channel.index()].map_or(usize::MAX, |cap| {
            let shown = profile
                .activity()
                .channel(channel)
                .offer_shows_within(cap.window, now);
            (cap.max_shows as usize).saturating_sub(shown)
        });
        let suppressed = if control_group {
            Some(Suppression::ControlGroup)
        } else if profile.objects_to_personalization() {
            Some(Suppression::Objection)
        } else if room == 0 {
            Some(Suppression::ChannelCap)
        } else {
            None
        };
        let mut receipt = request.explain.then(|| Receipt {
            format: "shopkeeper.receipt",
            catalog_version: catalog.version.clone(),
            customer: profile.id().into(),
            channel,
            now,
            seed: request.seed,
            slots: request.slots,
            control_group,
            suppressed,
            fallback: false,
            segment: String::new(),
            picks: Vec::new(),
            dropped: Vec::new(),
        });
        let mut picks: SmallVec<[Pick<'_>; 4]> = SmallVec::new();
        let mut segment = String::new();
        let mut probabilities: SmallVec<[f64; 4]> = SmallVec::new();
        if suppressed.is_none() {
            let scores = self.needs_scores.then(|| self.models.score(profile, now));
            let input = Input {
                profile,
                context,
                now,
                scores: scores.as_ref(),
            };
            let features = Features::new(&catalog.schema, &input);
            segment = match catalog
                .learning
                .segment
                .as_ref()
                .and_then(|r| r.eval(&features))
            {
                Some(Value::String(name)) => name,
                _ => String::new(),
            };
            let learning = Learning {
                arms: learner.and_then(|l| l.segment(&segment)),
            };
            // The channel's cap also limits the slots to the room it has left.
            let slots = Request {
                slots: request.slots.min(room),
                ..*request
            };
            let ranked = self.rank(
                profile,
                &features,
                &slots,
                learning,
                receipt.as_mut(),
                logged,
            );
            probabilities = ranked.probabilities;
            picks.extend(ranked.picks.into_iter().map(|(i, score)| Pick {
                action: &catalog.offers[i as usize].action,
                score: Some(score),
            }));
        }
        let fallback = picks.is_empty();
        if fallback {
            picks.push(Pick {
                action: &catalog.fallback,
                score: None,
            });
        }
        if let Some(r) = receipt.as_mut() {
            r.fallback = fallback;
            r.segment.clone_from(&segment);
            r.picks = picks
                .iter()
                .enumerate()
                .map(|(rank, pick)| PickRecord {
                    rank: rank + 1,
                    offer: pick.action.id.clone(),
                    title: pick.action.title.clone(),
                    kind: pick.action.kind,
                    propensity_source: match catalog.offer(&pick.action.id).map(|o| &o.propensity) {
                        Some(Propensity::Fixed(_)) => "fixed".into(),
                        Some(Propensity::Rule(_)) => "expression".into(),
                        Some(Propensity::Model(name)) => format!("model:{name}"),
                        Some(Propensity::Adaptive { .. }) => "adaptive".into(),
                        None => "default".into(),
                    },
                    probability: probabilities.get(rank).copied().unwrap_or(1.0),
                    score: pick.score,
                })
                .collect();
        }
        let decision = Decision {
            picks,
            channel,
            segment,
            fallback,
            control_group,
            receipt,
        };
        Ok((decision, probabilities))
    }

    /// Filters and scores every offer of the channel, then fills the request's slots: the chosen offers'
    /// indices and scores, best first. Writes the dropped offers into `receipt` when given. With
    /// a receipt or `logged` picks, every offer is scored and the probabilities of `logged` (or
    /// of the own picks) are computed; otherwise none are.
    fn rank(
        &self,
        profile: &Profile,
        features: &Features<'_>,
        request: &Request,
        learning: Learning<'_>,
        receipt: Option<&mut Receipt>,
        logged: Option<&[Option<u32>]>,
    ) -> Ranked {
        let slots = request.slots;
        let fast = receipt.is_none() && logged.is_none();
        let catalog = &self.catalog;
        let (now, channel) = (request.now, request.channel);
        let mut memo = catalog.clauses.memo();
        let kind_weights = self.kind_weights(features, channel, &mut memo);
        let mut pass = Pass {
            features,
            request,
            kind_weights,
            memo,
            learning,
        };
        let blocked = self.blocked(profile, now);
        let mut dropped: Vec<(u32, Dropped)> = Vec::new();
        let mut drop = |i: u32, stage: Stage, reason: String| {
            dropped.push((
                i,
                Dropped {
                    offer: catalog.offers[i as usize].action.id.clone(),
                    stage,
                    reason,
                },
            ));
        };
        // The channel's offers, or every offer when explaining (to say which channel dropped).
        let all: Vec<u32>;
        let offers: &[u32] = if receipt.is_some() {
            all = (0..catalog.offers.len() as u32).collect();
            &all
        } else {
            &catalog.by_channel[channel.index()]
        };
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        for &i in offers {
            let offer = &catalog.offers[i as usize];
            let block = blocked
                .iter()
                .find(|(b, _)| *b == i)
                .map(|(_, block)| block);
            if fast && matches!(offer.propensity, Propensity::Adaptive { .. }) {
                // Sampled later, and only if it can still make the slots.
                if let Ok((context_weight, value)) = self.filter(offer, &mut pass, block) {
                    let bound = context_weight * value * offer.lever;
                    if bound > 0.0 && bound.is_finite() {
                        pending.push(Pending {
                            index: i,
                            context_weight,
                            value,
                            bound,
                        });
                    }
                }
                continue;
            }
            match self.evaluate(offer, i, &mut pass, block) {
                Ok(score) => candidates.push(Candidate { index: i, score }),
                Err(stage) if receipt.is_some() => {
                    let reason = self.reason(offer, stage, &mut pass, block);
                    drop(i, stage, reason);
                }
                Err(_) => {}
            }
        }
        if !pending.is_empty() {
            self.sample_adaptive(&mut candidates, pending, slots, &pass);
        }
        let seed = request.seed;
        let better = |a: &Candidate, b: &Candidate| -> bool {
            self.ranks_above(seed, (a.index, a.score.score), (b.index, b.score.score))
        };
        if fast {
            let scores = candidates.iter().map(|c| (c.index, c.score.score));
            let picks = self
                .select(seed, slots, scores)
                .into_iter()
                .filter_map(|i| candidates.iter().find(|c| c.index == i))
                .map(|c| (c.index, c.score))
                .collect();
            return Ranked {
                picks,
                probabilities: SmallVec::new(),
            };
        }
        // At most one offer per exclusion group: each group's best goes on to the slots.
        let mut group_best: SmallVec<[Option<usize>; 16]> =
            SmallVec::from_elem(None, catalog.groups.len());
        let mut finalists: Vec<usize> = Vec::with_capacity(candidates.len());
        for (c, candidate) in candidates.iter().enumerate() {
            match catalog.offers[candidate.index as usize].group {
                Some(g) => {
                    let best = &mut group_best[g as usize];
                    match *best {
                        Some(b) if better(&candidates[b], candidate) => {}
                        _ => *best = Some(c),
                    }
                }
                None => finalists.push(c),
            }
        }
        finalists.extend(group_best.iter().flatten().copied());
        let order = |a: &usize, b: &usize| {
            if better(&candidates[*a], &candidates[*b]) {
                core::cmp::Ordering::Less
            } else {
                core::cmp::Ordering::Greater
            }
        };
        finalists.sort_by(order);
        let chosen: SmallVec<[usize; 4]> = finalists.iter().take(slots).copied().collect();
        if let Some(receipt) = receipt {
            for (rank, &f) in finalists.iter().enumerate().skip(slots) {
                let c = &candidates[f];
                drop(
                    c.index,
                    Stage::Slots,
                    format!(
                        "ranked {} with score {}; {slots} slot{}",
                        rank + 1,
                        c.score.score,
                        if slots == 1 { "" } else { "s" }
                    ),
                );
            }
            for (c, candidate) in candidates.iter().enumerate() {
                let offer = &catalog.offers[candidate.index as usize];
                let Some(g) = offer.group else { continue };
                let Some(best) = group_best[g as usize].filter(|&b| b != c) else {
                    continue;
                };
                let winner = &candidates[best];
                drop(
                    candidate.index,
                    Stage::ExclusionGroup,
                    format!(
                        "group {:?}: {:?} ranked higher (score {} vs {})",
                        catalog.groups[g as usize],
                        catalog.offers[winner.index as usize].action.id,
                        winner.score.score,
                        candidate.score.score
                    ),
                );
            }
            dropped.sort_by_key(|(i, _)| *i);
            receipt.dropped = dropped.into_iter().map(|(_, d)| d).collect();
        }
        let own: SmallVec<[Option<u32>; 4]> =
            chosen.iter().map(|&c| Some(candidates[c].index)).collect();
        let probabilities =
            self.rank_probabilities(&candidates, logged.unwrap_or(&own), slots, &pass);
        let picks = chosen
            .iter()
            .map(|&c| (candidates[c].index, candidates[c].score))
            .collect();
        Ranked {
            picks,
            probabilities,
        }
    }

    /// The probability of each of `picked` at its rank under the policy's randomness: the share
    /// of draws that put it there. The first draw is the decision itself (the request's seed);
    /// when some candidate's score depends on the seed (an adaptive offer, a tie), [`LOGGING_DRAWS`]
    /// re-draws follow, with the seeds of the request seed's stream (`spec/learning.md`). So a pick
    /// of the decision always has a probability of at least `1 / (1 + LOGGING_DRAWS)`, and exactly
    /// 1 when nothing is random. `None` (an offer the catalog lacks) is never picked.
    fn rank_probabilities(
        &self,
        candidates: &[Candidate],
        picked: &[Option<u32>],
        slots: usize,
        pass: &Pass<'_, '_>,
    ) -> SmallVec<[f64; 4]> {
        let adaptive = |c: &Candidate| {
            matches!(
                self.catalog.offers[c.index as usize].propensity,
                Propensity::Adaptive { .. }
            )
        };
        let mut scores: Vec<f64> = candidates.iter().map(|c| c.score.score).collect();
        scores.sort_by(f64::total_cmp);
        let random = scores.windows(2).any(|w| w[0] == w[1]) || candidates.iter().any(adaptive);
        let draws = if random { 1 + LOGGING_DRAWS } else { 1 };
        let mut hits: SmallVec<[u32; 4]> = SmallVec::from_elem(0, picked.len());
        let mut seeds = Stream::new(pass.request.seed);
        for k in 0..draws {
            let seed = if k == 0 {
                pass.request.seed
            } else {
                seeds.next_u64()
            };
            let scored = candidates.iter().filter_map(|c| {
                let offer = &self.catalog.offers[c.index as usize];
                let score = match offer.propensity {
                    Propensity::Adaptive { alpha, beta } => {
                        let p = self.adaptive_propensity(offer, alpha, beta, seed, pass);
                        p * c.score.context_weight * c.score.value * offer.lever
                    }
                    _ => c.score.score,
                };
                (score > 0.0 && score.is_finite()).then_some((c.index, score))
            });
            let draw = self.select(seed, slots, scored);
            for (hit, (want, got)) in hits.iter_mut().zip(picked.iter().zip(&draw)) {
                *hit += u32::from(*want == Some(*got));
            }
        }
        hits.iter()
            .map(|&h| f64::from(h) / f64::from(draws))
            .collect()
    }

    /// Whether the offer at `a` (catalog index, score) ranks above the one at `b`: the higher
    /// score, then the lower tie key under `seed`, then the earlier place in the catalog.
    fn ranks_above(&self, seed: u64, a: (u32, f64), b: (u32, f64)) -> bool {
        if a.1 != b.1 {
            return a.1 > b.1;
        }
        let hash = |i: u32| self.catalog.offers[i as usize].id_hash;
        let (ta, tb) = (
            bucket::tie_key(seed, hash(a.0)),
            bucket::tie_key(seed, hash(b.0)),
        );
        (ta, a.0) < (tb, b.0)
    }

    /// The picks among scored offers (catalog index, score): each exclusion group's best, then the
    /// best `slots`, best first, by insertion into a short sorted list.
    fn select(
        &self,
        seed: u64,
        slots: usize,
        scored: impl Iterator<Item = (u32, f64)>,
    ) -> SmallVec<[u32; 4]> {
        let mut group_best: SmallVec<[Option<(u32, f64)>; 16]> =
            SmallVec::from_elem(None, self.catalog.groups.len());
        let mut top: SmallVec<[(u32, f64); 4]> = SmallVec::new();
        let offer = |top: &mut SmallVec<[(u32, f64); 4]>, f: (u32, f64)| {
            if top.len() == slots && !self.ranks_above(seed, f, top[slots - 1]) {
                return;
            }
            let at = top.partition_point(|&t| self.ranks_above(seed, t, f));
            top.insert(at, f);
            top.truncate(slots);
        };
        for f in scored {
            match self.catalog.offers[f.0 as usize].group {
                Some(g) => {
                    let best = &mut group_best[g as usize];
                    if best.is_none_or(|b| self.ranks_above(seed, f, b)) {
                        *best = Some(f);
                    }
                }
                None => offer(&mut top, f),
            }
        }
        for f in group_best.into_iter().flatten() {
            offer(&mut top, f);
        }
        top.into_iter().map(|(i, _)| i).collect()
    }

    /// The product of the context weights that hold, per kind of offer.
    fn kind_weights(
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

    /// The offers the customer's history holds back, found from the history (a few entries)
    /// rather than per offer.
    fn blocked(&self, profile: &Profile, now: Timestamp) -> SmallVec<[(u32, Block); 8]> {
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

    /// The offer's score, or the stage that drops it.
    #[inline]
    fn evaluate(
        &self,
        offer: &Offer,
        index: u32,
        pass: &mut Pass<'_, '_>,
        block: Option<&Block>,
    ) -> Result<Score, Stage> {
        let (context_weight, value) = self.filter(offer, pass, block)?;
        self.score(offer, index, pass, context_weight, value)
    }

    /// Every filter, then the parts of the score known before the propensity: the context weight
    /// and the value. Or the stage that drops the offer.
    #[inline]
    fn filter(
        &self,
        offer: &Offer,
        pass: &mut Pass<'_, '_>,
        block: Option<&Block>,
    ) -> Result<(f64, f64), Stage> {
        let (features, request) = (pass.features, pass.request);
        let memo = &mut pass.memo;
        let table = &self.catalog.clauses;
        let now = request.now;
        if offer.channels & bit(request.channel) == 0 {
            return Err(Stage::Channel);
        }
        if offer.valid_from.is_some_and(|from| now < from)
            || offer.valid_until.is_some_and(|until| now >= until)
        {
            return Err(Stage::Validity);
        }
        if !offer.eligibility.matches(table, features, memo) {
            return Err(Stage::Eligibility);
        }
        if !offer.applicability.matches(table, features, memo) {
            return Err(Stage::Applicability);
        }
        if !offer.suitability.matches(table, features, memo) {
            return Err(Stage::Suitability);
        }
        if block.is_some() {
            return Err(Stage::ContactPolicy);
        }
        let value = value(offer, features).ok_or(Stage::Score)?;
        Ok((pass.kind_weights[offer.action.kind.index()], value))
    }

    /// The score of an offer that passed the filters.
    fn score(
        &self,
        offer: &Offer,
        index: u32,
        pass: &Pass<'_, '_>,
        context_weight: f64,
        value: f64,
    ) -> Result<Score, Stage> {
        let propensity = self.propensity(offer, index, pass).ok_or(Stage::Score)?;
        let score = propensity * context_weight * value * offer.lever;
        if !(score > 0.0 && score.is_finite()) {
            return Err(Stage::Score);
        }
        Ok(Score {
            propensity,
            context_weight,
            value,
            lever: offer.lever,
            score,
        })
    }

    /// Scores the adaptive offers that can still make the slots, high bounds first. A propensity
    /// is at most 1, so an offer whose `context weight x value x lever` is below the score of the
    /// current last slot can never take a slot (nor change which offer of its group does): it is
    /// not sampled. Exact: the picks are those of sampling every offer (the receipt path does).
    fn sample_adaptive(
        &self,
        candidates: &mut Vec<Candidate>,
        mut pending: Vec<Pending>,
        slots: usize,
        pass: &Pass<'_, '_>,
    ) {
        let catalog = &self.catalog;
        let mut bar = Bar::new(slots, catalog.groups.len());
        for c in candidates.iter() {
            bar.admit(c.score.score, catalog.offers[c.index as usize].group);
        }
        // The highest bounds first raise the bar fastest; the rest are checked against it as it
        // stands (a partial order is enough: the bar is valid at every step).
        let first = pending.len().min(4 * slots);
        if first < pending.len() {
            pending.select_nth_unstable_by(first, |a, b| b.bound.total_cmp(&a.bound));
        }
        for p in pending {
            if bar.excludes(p.bound) {
                continue;
            }
            let offer = &catalog.offers[p.index as usize];
            if let Ok(score) = self.score(offer, p.index, pass, p.context_weight, p.value) {
                bar.admit(score.score, offer.group);
                candidates.push(Candidate {
                    index: p.index,
                    score,
                });
            }
        }
    }

    /// The offer's propensity, clamped to `[0, 1]`; `None` when its expression is missing.
    fn propensity(&self, offer: &Offer, index: u32, pass: &Pass<'_, '_>) -> Option<f64> {
        let features = pass.features;
        match &offer.propensity {
            Propensity::Adaptive { alpha, beta } => {
                Some(self.adaptive_propensity(offer, *alpha, *beta, pass.request.seed, pass))
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

    /// An adaptive offer's propensity under `seed`: the floored Beta draw of its own stream,
    /// seeded with its tie key (independent of the other offers').
    fn adaptive_propensity(
        &self,
        offer: &Offer,
        alpha: f64,
        beta: f64,
        seed: u64,
        pass: &Pass<'_, '_>,
    ) -> f64 {
        let counts = pass
            .learning
            .arms
            .map(|arms| arms.counts(&offer.action.id, pass.request.now))
            .unwrap_or_default();
        let mut stream = Stream::new(bucket::tie_key(seed, offer.id_hash));
        let p = stream.beta(alpha + counts.accepts, beta + counts.rejects);
        p.max(self.catalog.learning.floor)
    }

    /// Why `offer` was dropped at `stage`, for the receipt.
    fn reason(
        &self,
        offer: &Offer,
        stage: Stage,
        pass: &mut Pass<'_, '_>,
        block: Option<&Block>,
    ) -> String {
        let (features, request) = (pass.features, pass.request);
        let memo = &mut pass.memo;
        let mut clause = |c: &clauses::Clauses| -> String {
            c.first_failing(&self.catalog.clauses, features, memo)
                .unwrap_or_default()
                .into()
        };
        match stage {
            Stage::Channel => format!("not offered on {}", request.channel),
            Stage::Validity => match (offer.valid_from, offer.valid_until) {
                (Some(from), _) if request.now < from => format!("valid from {}", format_utc(from)),
                (_, Some(until)) => format!("valid until {}", format_utc(until)),
                _ => String::new(),
            },
            Stage::Eligibility => clause(&offer.eligibility),
            Stage::Applicability => clause(&offer.applicability),
            Stage::Suitability => clause(&offer.suitability),
            Stage::ContactPolicy => block.map(Block::reason).unwrap_or_default(),
            Stage::Score => {
                let index = self.catalog.index.get(offer.action.id.as_str()).copied();
                let propensity = index.and_then(|i| self.propensity(offer, i, pass));
                let value = value(offer, pass.features);
                let weight = pass.kind_weights[offer.action.kind.index()];
                match (propensity, value) {
                    (None, _) => "the propensity is missing".into(),
                    (_, None) => "the value is missing".into(),
                    (Some(p), Some(v)) => {
                        let score = p * weight * v * offer.lever;
                        format!(
                            "the score {score} is {} (propensity {p} x context weight {weight} x value {v} x lever {})",
                            if score.is_finite() { "not positive" } else { "not finite" },
                            offer.lever
                        )
                    }
                }
            }
            Stage::ExclusionGroup | Stage::Slots => String::new(),
        }
    }
}

/// What the evaluation of one request's offers shares.
struct Pass<'f, 'a> {
    features: &'f Features<'a>,
    request: &'f Request,
    /// The product of the context weights that hold, per kind of offer.
    kind_weights: [f64; Kind::ALL.len()],
    /// Each clause's value, once evaluated.
    memo: Memo,
    learning: Learning<'f>,
}

/// What adaptive propensities read: the learner's arms of the request's segment, if any.
#[derive(Clone, Copy)]
struct Learning<'l> {
    arms: Option<SegmentArms<'l>>,
}

/// An adaptive offer that passed the filters, not yet sampled.
struct Pending {
    index: u32,
    context_weight: f64,
    value: f64,
    /// Its score with a propensity of 1: the most it can score.
    bound: f64,
}

/// The score an offer must reach to take a slot, as known so far: the lowest of the best
/// `slots` scores among the offers that would go on to the slots (each group's best and every
/// ungrouped offer). It only rises as offers are scored, so it never excludes an offer that the
/// final ranking would pick.
struct Bar {
    slots: usize,
    /// The best finalist scores, highest first, at most `slots`.
    top: SmallVec<[f64; 4]>,
    /// Each exclusion group's best score so far.
    groups: SmallVec<[Option<f64>; 16]>,
}

impl Bar {
    fn new(slots: usize, groups: usize) -> Self {
        Bar {
            slots,
            top: SmallVec::new(),
            groups: SmallVec::from_elem(None, groups),
        }
    }

    fn admit(&mut self, score: f64, group: Option<u32>) {
        if let Some(best) = group.and_then(|g| self.groups.get_mut(g as usize)) {
            match *best {
                Some(old) if old >= score => return,
                Some(old) => {
                    // The group's finalist changes: its old score leaves the top (removing an
                    // equal score of another offer instead only lowers the bar: still safe).
                    if let Some(at) = self.top.iter().position(|&s| s == old) {
                        self.top.remove(at);
                    }
                }
                None => {}
            }
            *best = Some(score);
        }
        let at = self.top.partition_point(|&s| s >= score);
        if at < self.slots {
            self.top.insert(at, score);
            self.top.truncate(self.slots);
        }
    }

    /// Whether an offer that scores at most `bound` can no longer take a slot.
    fn excludes(&self, bound: f64) -> bool {
        self.top.len() == self.slots && self.top.last().is_some_and(|&last| bound < last)
    }
}

/// An offer that passed every filter, with its score.
/// What [`Engine::rank`] chose.
struct Ranked {
    /// Catalog index and score of each pick, best first.
    picks: SmallVec<[(u32, Score); 4]>,
    /// The probability of each logged pick (or of each own pick, when explaining) at its rank.
    probabilities: SmallVec<[f64; 4]>,
}

struct Candidate {
    index: u32,
    score: Score,
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

/// Binds the catalog's model propensities to its schema; and whether scores are needed.
fn bind(catalog: &Catalog, models: &Models) -> Result<(Vec<Option<BoundLogistic>>, bool), Error> {
    let mut bound: Vec<Option<BoundLogistic>> = Vec::new();
    let mut needs_scores = catalog.reads_scores;
    for (i, name) in catalog.models_used() {
        let model = models.propensity(name).ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidCatalog,
                format!(
                    "offers[{:?}].propensity: no propensity model named {name:?} in the models",
                    catalog.offers[i].action.id
                ),
            )
        })?;
        let b = model.bind(&catalog.schema).map_err(|e| {
            Error::new(
                ErrorCode::InvalidCatalog,
                format!(
                    "offers[{:?}].propensity: {}",
                    catalog.offers[i].action.id,
                    e.message()
                ),
            )
        })?;
        needs_scores |= model
            .features
            .iter()
            .any(|f| crate::rules::is_score_path(&f.path));
        if bound.len() <= i {
            bound.resize_with(i + 1, || None);
        }
        bound[i] = Some(b);
    }
    Ok((bound, needs_scores))
}
