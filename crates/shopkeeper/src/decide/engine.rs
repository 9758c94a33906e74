//! The engine: a compiled catalog with its models, and the decision pipeline that runs the
//! stages (`filter.rs`), the selection (`select.rs`), the logged probabilities
//! (`probability.rs`) and the receipt (`explain.rs`) for one request.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use smallvec::SmallVec;

use super::bucket::control_bucket;
use super::catalog::{Catalog, Propensity};
use super::decision::{Decision, Pick, Suppression};
use super::explain::{Dropped, PickRecord, PropensitySource, Receipt};
use super::filter::{Cause, Pass, Reject, Stage};
use super::predictors::RequestBins;
use super::request::Request;
use super::select::{highest_bounds_first, scores, Candidate, Paced, Pending, Seeded, Selection};
use crate::budget::{Budgets, Pace};
use crate::learn::{CohortCounts, Learner};
use crate::limits::MAX_NAME_LEN;
use crate::listen::{Heard, Listener};
use crate::rules::{Context, Features, Input, Value};
use crate::score::{BoundLogistic, Models};
use crate::{Error, ErrorCode, Profile};

/// A catalog with the models its scores and propensities use: immutable, shared by threads.
#[derive(Debug)]
pub struct Engine {
    pub(crate) catalog: Catalog,
    models: Models,
    /// Per offer, the bound logistic model of a `model` propensity.
    pub(crate) bound: Vec<Option<BoundLogistic>>,
    /// Whether any expression or model reads a score path (else scoring is skipped).
    needs_scores: bool,
}

/// What a fleet has learned so far, read by a decision beside the profile: the learner adaptive
/// offers sample from, and the live cohort counts `cohort.visitors` and `cohort.conversion`
/// read. Every part is optional: without a learner adaptive offers sample their priors, without
/// counts those paths are missing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Live<'a> {
    /// Acceptance statistics of adaptive offers.
    pub learner: Option<&'a Learner>,
    /// Visitors and first purchases per source.
    pub cohorts: Option<&'a CohortCounts>,
    /// What budgeted offers spent in their periods: without it, no budget is spent.
    pub budgets: Option<&'a Budgets>,
}

/// What [`Engine::rank`] chose, and the probabilities asked for.
struct Ranked<'c> {
    picks: SmallVec<[Pick<'c>; 4]>,
    probabilities: SmallVec<[f64; 4]>,
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

    /// What hears messages for this engine: the catalog's intents and the models' sentiment.
    /// Fold messages with [`Profile::apply_with`] and it, so their text counts.
    pub fn listener(&self) -> Listener<'_> {
        Listener::new(Some(self.catalog.intents()), self.models.sentiment.as_ref())
    }

    /// What this engine hears in a customer's `text` (at most
    /// [`MAX_MESSAGE_LEN`](crate::limits::MAX_MESSAGE_LEN) bytes, else `too_long`), without
    /// folding it anywhere.
    pub fn hear(&self, text: &str) -> Result<Heard<'_>, Error> {
        self.listener().hear_message(text)
    }

    /// Whether `profile` is in the catalog's universal control group (the documented hash of
    /// its id under the group's salt, below its share): its decisions give only the default
    /// action, and its KPIs count in the control arm ([`crate::kpi`]).
    pub fn in_control_group(&self, profile: &Profile) -> bool {
        (self.catalog.control.as_ref())
            .is_some_and(|g| control_bucket(&g.salt, profile.id()) < g.share)
    }

    /// Swaps in a new catalog, checked against the models first: on error nothing changes, so a
    /// bad catalog never replaces a good one. Contexts built for the old catalog's schema must be
    /// built again for the new one (unless both declare the same).
    pub fn replace_catalog(&mut self, catalog: Catalog) -> Result<(), Error> {
        let (bound, needs_scores) = bind(&catalog, &self.models)?;
        self.catalog = catalog;
        self.bound = bound;
        self.needs_scores = needs_scores;
        Ok(())
    }

    /// The next best offers for `profile` in `context` (built against
    /// [`Catalog::schema`]). Fails for a bad request (`invalid_request`: slots or `now` out of
    /// range), a context built for another schema (`invalid_context`), or a learning segment
    /// longer than a learner accepts (`too_long`); changes nothing.
    pub fn decide(
        &self,
        profile: &Profile,
        context: &Context,
        request: &Request,
    ) -> Result<Decision<'_>, Error> {
        self.decide_live(profile, context, request, Live::default())
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
        let live = Live {
            learner: Some(learner),
            ..Live::default()
        };
        self.decide_live(profile, context, request, live)
    }

    /// [`Engine::decide`] with what the fleet has learned: the learner, and live cohort counts.
    /// Fails as `decide` does, and with `invalid_data` for cohort counts named by another field
    /// of the first session than the models' cohorts.
    pub fn decide_live(
        &self,
        profile: &Profile,
        context: &Context,
        request: &Request,
        live: Live<'_>,
    ) -> Result<Decision<'_>, Error> {
        self.run(profile, context, request, live, None)
            .map(|(decision, _)| decision)
    }

    /// This engine as the candidate policy of off-policy evaluation ([`crate::learn::ope`]): for
    /// a decision another policy logged (its picks' ids, best first), the probability that this
    /// engine shows each logged offer at the same rank for the same profile, context and request,
    /// with `learner` for its adaptive offers. It is 1 or 0 when nothing in the decision depends
    /// on the seed, otherwise the share of draws (the same procedure as logged probabilities,
    /// `spec/learning.md`). An id the catalog does not have gets 0, the default action 1 at rank
    /// 1 when this engine falls back (or is suppressed), else 0.
    pub fn pick_probabilities(
        &self,
        profile: &Profile,
        context: &Context,
        request: &Request,
        learner: Option<&Learner>,
        logged: &[&str],
    ) -> Result<Vec<f64>, Error> {
        let asked: SmallVec<[Option<u32>; 4]> = logged
            .iter()
            .map(|id| self.catalog.index.get(*id).copied())
            .collect();
        let request = request.explain(false).log(false);
        let live = Live {
            learner,
            ..Live::default()
        };
        let (decision, probabilities) = self.run(profile, context, &request, live, Some(&asked))?;
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

    /// Decides; also returns the probability of each of `asked` at its rank, when given.
    fn run(
        &self,
        profile: &Profile,
        context: &Context,
        request: &Request,
        live: Live<'_>,
        asked: Option<&[Option<u32>]>,
    ) -> Result<(Decision<'_>, SmallVec<[f64; 4]>), Error> {
        request.check()?;
        if let (Some(counts), Some(fitted)) = (live.cohorts, &self.models.cohorts) {
            if counts.by() != fitted.by {
                return Err(Error::new(
                    ErrorCode::InvalidData,
                    format!(
                        "the cohort counts are by {}, the models' cohorts by {}",
                        counts.by().as_str(),
                        fitted.by.as_str()
                    ),
                ));
            }
        }
        let catalog = &self.catalog;
        if !context.fits(&catalog.schema) {
            return Err(Context::foreign());
        }
        let (now, channel) = (request.now, request.channel);
        let control_group = self.in_control_group(profile);
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
        // At most one drop per offer: reserved once, so the receipt never reallocates.
        let mut drops: Option<Vec<Dropped<'_>>> = request
            .explain
            .then(|| Vec::with_capacity(catalog.offers.len()));
        let mut segment = String::new();
        let mut bins = RequestBins::default();
        let mut ranked = Ranked {
            picks: SmallVec::new(),
            probabilities: SmallVec::new(),
        };
        if suppressed.is_none() {
            let scores = self
                .needs_scores
                .then(|| self.models.score_with(profile, now, live.cohorts));
            let input = Input {
                profile,
                context,
                now,
                scores: scores.as_ref(),
            };
            let features = Features::new(&catalog.schema, &input);
            if let Some(Value::String(name)) = catalog
                .learning
                .segment
                .as_ref()
                .and_then(|r| r.eval(&features))
            {
                segment = name;
            }
            if segment.len() > MAX_NAME_LEN {
                return Err(Error::new(
                    ErrorCode::TooLong,
                    format!(
                        "the learning segment is {} bytes long, at most {MAX_NAME_LEN} (a learner's limit for segment names)",
                        segment.len()
                    ),
                ));
            }
            if !catalog.learning.predictors.is_empty() {
                bins = RequestBins::new(&catalog.learning.predictors, &features);
            }
            let mut memo = catalog.clauses.memo();
            let kind_weights = self.kind_weights(&features, channel, &mut memo);
            let mut pass = Pass {
                features: &features,
                request,
                kind_weights,
                memo,
                arms: live.learner.and_then(|l| l.segment(&segment)),
                learner: live.learner,
                bins: &bins,
                budgets: live.budgets,
            };
            // The channel's cap also limits the slots to the room it has left.
            let slots = request.slots.min(room);
            ranked = self.rank(profile, &mut pass, slots, drops.as_mut(), asked);
        }
        let fallback = ranked.picks.is_empty();
        if fallback {
            ranked.picks.push(Pick {
                action: &catalog.fallback,
                score: None,
                probability: request.logs().then_some(1.0),
            });
        }
        let receipt = drops.map(|dropped| Receipt {
            format: "shopkeeper.receipt",
            catalog_version: &catalog.version,
            ids_json: &catalog.ids_json,
            customer: profile.id().into(),
            channel,
            now,
            seed: request.seed,
            slots: request.slots,
            control_group,
            suppressed,
            fallback,
            segment: segment.clone(),
            picks: ranked
                .picks
                .iter()
                .enumerate()
                .map(|(rank, pick)| PickRecord {
                    rank: rank + 1,
                    offer: &pick.action.id,
                    title: &pick.action.title,
                    kind: pick.action.kind,
                    propensity_source: match catalog.offer(&pick.action.id).map(|o| &o.propensity) {
                        Some(Propensity::Fixed(_)) => PropensitySource::Fixed,
                        Some(Propensity::Rule(_)) => PropensitySource::Expression,
                        Some(Propensity::Model(name)) => PropensitySource::Model(name),
                        Some(Propensity::Adaptive { .. }) => PropensitySource::Adaptive,
                        None => PropensitySource::Default,
                    },
                    probability: pick.probability.unwrap_or(1.0),
                    score: pick.score,
                    predictors: match catalog.offer(&pick.action.id) {
                        Some(o) if matches!(o.propensity, Propensity::Adaptive { .. }) => live
                            .learner
                            .and_then(|l| l.model(&o.action.id, o.id_hash))
                            .map(|m| bins.explain(m))
                            .unwrap_or_default(),
                        _ => Vec::new(),
                    },
                })
                .collect(),
            dropped,
        });
        let decision = Decision {
            catalog,
            request: *request,
            picks: ranked.picks,
            segment,
            bins,
            fallback,
            control_group,
            customer: request.logs().then(|| profile.id().into()),
            receipt,
        };
        Ok((decision, ranked.probabilities))
    }

    /// Runs every stage for the channel's offers (every offer when explaining, to say which
    /// channel dropped the others), then selects the picks. Writes the dropped offers, in
    /// catalog order, when explaining; computes the probabilities of `asked` (or of the picks,
    /// when the request logs).
    fn rank<'c>(
        &'c self,
        profile: &Profile,
        pass: &mut Pass<'_, '_>,
        slots: usize,
        mut explain: Option<&mut Vec<Dropped<'c>>>,
        asked: Option<&[Option<u32>]>,
    ) -> Ranked<'c> {
        let catalog = &self.catalog;
        let request = pass.request;
        let explaining = explain.is_some();
        let blocked = self.blocked(profile, request.now);
        let all: Vec<u32>;
        let offers: &[u32] = if explaining {
            all = (0..catalog.offers.len() as u32).collect();
            &all
        } else {
            &catalog.by_channel[request.channel.index()]
        };
        // Candidates whose score does not depend on the seed; those that do (adaptive, or
        // paced by a budget), under the request's seed; paced offers with fixed scores and
        // adaptive offers that passed the filters (both drawn again for probabilities).
        let mut fixed: Vec<Candidate> = Vec::new();
        let mut drawn: Vec<Candidate> = Vec::new();
        let mut paced: Vec<Paced> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        // Budgeted offers with fixed scores, whose counters are read after the loop and only
        // while they can still make the slots (not when explaining: the receipt says why each
        // offer was dropped).
        let defer = !explaining && pass.budgets.is_some();
        let mut deferred: Vec<Candidate> = Vec::new();
        for &index in offers {
            let offer = &catalog.offers[index as usize];
            let block = blocked
                .iter()
                .find(|(b, _)| *b == index)
                .map(|(_, block)| *block);
            let is_adaptive = matches!(offer.propensity, Propensity::Adaptive { .. });
            let scored = match self.filter(offer, index, pass, block) {
                Err(reject) => Err(reject),
                Ok(parts) if is_adaptive => {
                    let pace = self.pace(offer, pass);
                    let passing = pace.map_or(1.0, |p| p.probability);
                    // Its best score: an infinite bound (the parts overflow) is never pruned,
                    // since a propensity below 1 may still give a finite score.
                    let bound = parts.context_weight * parts.value * offer.lever;
                    if bound > 0.0 && passing > 0.0 {
                        pending.push(Pending {
                            index,
                            context_weight: parts.context_weight,
                            value: parts.value,
                            bound,
                            pass: passing,
                        });
                    }
                    if !explaining {
                        continue; // drawn below, and only if it can still make the slots
                    }
                    let score = self.score(offer, index, pass, parts);
                    score.and_then(|s| self.budgeted(offer, pace, request.seed).map(|_| (s, true)))
                }
                Ok(parts) => match self.score(offer, index, pass, parts) {
                    Ok(score) if defer && offer.budget.is_some() => {
                        deferred.push(Candidate { index, score });
                        continue;
                    }
                    Ok(score) => {
                        let pace = self.pace(offer, pass);
                        let candidate = Candidate { index, score };
                        self.pace_candidate(candidate, pace, &mut paced);
                        self.budgeted(offer, pace, request.seed)
                            .map(|seeded| (score, seeded))
                    }
                    Err(reject) => Err(reject),
                },
            };
            match (scored, explain.as_deref_mut()) {
                (Ok((score, true)), _) => drawn.push(Candidate { index, score }),
                (Ok((score, false)), _) => fixed.push(Candidate { index, score }),
                (Err(reject), Some(dropped)) => {
                    let (stage, cause, clause) = match reject {
                        Reject::Clause(stage, id) => {
                            let (text, json) = catalog.clauses.text(id);
                            (stage, Cause::Clause(text), Some(json))
                        }
                        Reject::Other(stage, cause) => (stage, cause, None),
                    };
                    dropped.push(Dropped {
                        index,
                        offer: &offer.action.id,
                        stage,
                        cause,
                        clause_json: clause,
                    });
                }
                (Err(_), None) => {}
            }
        }
        if !deferred.is_empty() {
            // The best first (sorting only the first few): once the offers sure to pass fill
            // the slots above an offer, it can never be chosen, whatever its budget.
            let by_score = |a: &Candidate, b: &Candidate| b.score.score.total_cmp(&a.score.score);
            let first = deferred.len().min(4 * slots);
            if first < deferred.len() {
                deferred.select_nth_unstable_by(first, by_score);
            }
            deferred[..first].sort_unstable_by(by_score);
            let mut sure = self.bar(slots, scores(&fixed));
            for candidate in deferred {
                if sure.excludes(candidate.score.score) {
                    continue;
                }
                let offer = &catalog.offers[candidate.index as usize];
                let pace = self.pace(offer, pass);
                self.pace_candidate(candidate, pace, &mut paced);
                match self.budgeted(offer, pace, request.seed) {
                    Ok(false) => {
                        self.raise(&mut sure, scores(&[candidate]));
                        fixed.push(candidate);
                    }
                    Ok(true) => drawn.push(candidate),
                    Err(_) => {}
                }
            }
        }
        if !explaining && !pending.is_empty() {
            highest_bounds_first(&mut pending, slots, false);
            let bar = self.bar(slots, scores(&fixed).chain(scores(&drawn)));
            self.draw_adaptive(bar, pending.iter(), request.seed, pass, |p, score| {
                drawn.push(Candidate {
                    index: p.index,
                    score,
                });
            });
        }
        let logs = request.logs() || asked.is_some();
        let keep = match (explaining, logs) {
            (true, _) => usize::MAX,
            (false, true) => slots + 1,
            (false, false) => slots,
        };
        let chosen = self.select(request.seed, keep, scores(&fixed).chain(scores(&drawn)));
        if let Some(dropped) = explain {
            self.explain_selection(&chosen, slots, &fixed, &drawn, dropped);
        }
        let own: SmallVec<[Option<u32>; 4]> = chosen
            .finalists
            .iter()
            .take(slots)
            .map(|&(i, _)| Some(i))
            .collect();
        let probabilities = match logs {
            true => self.probabilities(
                asked.unwrap_or(&own),
                &chosen,
                &fixed,
                Seeded {
                    paced: &paced,
                    pending: &mut pending,
                },
                slots,
                pass,
            ),
            false => SmallVec::new(),
        };
        let mut picks: SmallVec<[Pick<'c>; 4]> = SmallVec::new();
        for (rank, &(index, _)) in chosen.finalists.iter().take(slots).enumerate() {
            let found = fixed.iter().chain(&drawn).find(|c| c.index == index);
            if let Some(c) = found {
                picks.push(Pick {
                    action: &catalog.offers[index as usize].action,
                    score: Some(c.score),
                    probability: request
                        .logs()
                        .then(|| probabilities.get(rank).copied().unwrap_or(1.0)),
                });
            }
        }
        Ranked {
            picks,
            probabilities,
        }
    }

    /// Keeps a scored offer that its budget throttles (neither open nor held back) for the
    /// re-draws of logged probabilities.
    fn pace_candidate(&self, candidate: Candidate, pace: Option<Pace>, paced: &mut Vec<Paced>) {
        if let Some(p) = pace.filter(|p| p.probability > 0.0 && p.probability < 1.0) {
            paced.push(Paced {
                candidate,
                probability: p.probability,
            });
        }
    }

    /// Adds the offers the selection left out to `dropped` (which holds the earlier stages'
    /// drops, in catalog order), keeping catalog order: each group's losers, then the finalists
    /// below the last slot.
    fn explain_selection<'c>(
        &'c self,
        chosen: &Selection,
        slots: usize,
        fixed: &[Candidate],
        drawn: &[Candidate],
        dropped: &mut Vec<Dropped<'c>>,
    ) {
        let catalog = &self.catalog;
        let id = |index: u32| catalog.offers[index as usize].action.id.as_str();
        let mut later: Vec<Dropped<'c>> = Vec::new();
        for c in fixed.iter().chain(drawn) {
            let Some(g) = catalog.offers[c.index as usize].group else {
                continue;
            };
            if let Some((winner, winner_score)) =
                chosen.group_best[g as usize].filter(|&(w, _)| w != c.index)
            {
                later.push(Dropped {
                    index: c.index,
                    offer: id(c.index),
                    clause_json: None,
                    stage: Stage::ExclusionGroup,
                    cause: Cause::Outranked {
                        group: &catalog.groups[g as usize],
                        winner: id(winner),
                        winner_score,
                        score: c.score.score,
                    },
                });
            }
        }
        for (rank, &(index, score)) in chosen.finalists.iter().enumerate().skip(slots) {
            later.push(Dropped {
                index,
                offer: id(index),
                clause_json: None,
                stage: Stage::Slots,
                cause: Cause::BelowSlots {
                    rank: rank + 1,
                    score,
                    slots,
                },
            });
        }
        later.sort_unstable_by_key(|d| d.index);
        // Merge the two lists, both in catalog order, in place from the back: each earlier drop
        // moves at most once, into room the receipt reserved.
        let mut earlier = dropped.len();
        let Some(&filler) = later.first() else {
            return;
        };
        dropped.resize(earlier + later.len(), filler);
        let mut at = dropped.len();
        while let Some(next) = later.pop() {
            while earlier > 0 && dropped[earlier - 1].index > next.index {
                at -= 1;
                earlier -= 1;
                dropped[at] = dropped[earlier];
            }
            at -= 1;
            dropped[at] = next;
        }
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
