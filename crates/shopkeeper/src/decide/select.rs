//! Choosing among the offers that passed: each exclusion group's best, then the best offers for
//! the slots; ties by a seeded hash. One routine, [`Engine::select`], serves the fast path, the
//! receipt and every re-draw of a logged probability. Adaptive offers are sampled only while they
//! can still make the slots ([`Bar`]).

use core::cmp::Ordering;

use smallvec::SmallVec;

use super::bucket;
use super::decision::Score;
use super::engine::Engine;
use super::filter::Pass;

/// An offer that passed every filter, with its score under the request's seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate {
    pub(crate) index: u32,
    pub(crate) score: Score,
}

/// An offer with a fixed score that its budget's pacing throttles: in a draw only when it passes
/// the throttle under the draw's seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Paced {
    pub(crate) candidate: Candidate,
    /// The chance that it passes, in (0, 1).
    pub(crate) probability: f64,
}

/// The offers that passed the filters whose place in a draw depends on its seed: paced offers
/// with fixed scores, and adaptive offers.
pub(crate) struct Seeded<'a> {
    pub(crate) paced: &'a [Paced],
    pub(crate) pending: &'a mut [Pending],
}

/// An adaptive offer that passed the filters, its propensity not drawn yet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pending {
    pub(crate) index: u32,
    pub(crate) context_weight: f64,
    pub(crate) value: f64,
    /// Its score with a propensity of 1: the most it can score (positive; infinite when the parts
    /// overflow).
    pub(crate) bound: f64,
    /// The chance that it passes its budget's throttle (1: not throttled).
    pub(crate) pass: f64,
}

/// What [`Engine::select`] chose.
pub(crate) struct Selection {
    /// Each group's best and every ungrouped offer (catalog index, score), best first; at most
    /// the `keep` asked for.
    pub(crate) finalists: SmallVec<[(u32, f64); 4]>,
    /// Each exclusion group's best.
    pub(crate) group_best: SmallVec<[Option<(u32, f64)>; 16]>,
}

/// Up to this many finalists are kept by insertion into a short sorted list; more (a receipt
/// keeps them all) are sorted once.
const INSERTION: usize = 16;

impl Engine {
    /// Whether the offer at `a` (catalog index, score) ranks above the one at `b`: the higher
    /// score, then the lower tie key under `seed`, then the earlier place in the catalog.
    pub(crate) fn ranks_above(&self, seed: u64, a: (u32, f64), b: (u32, f64)) -> bool {
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

    /// Selects among scored offers (catalog index, score): each exclusion group's best goes on to
    /// the finalists with every ungrouped offer, and the best `keep` finalists are kept, best
    /// first. The picks are the first `slots`.
    pub(crate) fn select(
        &self,
        seed: u64,
        keep: usize,
        scored: impl Iterator<Item = (u32, f64)>,
    ) -> Selection {
        let mut group_best: SmallVec<[Option<(u32, f64)>; 16]> =
            SmallVec::from_elem(None, self.catalog.groups.len());
        let mut finalists: SmallVec<[(u32, f64); 4]> = SmallVec::new();
        let short = keep <= INSERTION;
        let offer = |finalists: &mut SmallVec<[(u32, f64); 4]>, f: (u32, f64)| {
            if !short {
                finalists.push(f);
                return;
            }
            if finalists.len() == keep && !self.ranks_above(seed, f, finalists[keep - 1]) {
                return;
            }
            let at = finalists.partition_point(|&t| self.ranks_above(seed, t, f));
            finalists.insert(at, f);
            finalists.truncate(keep);
        };
        for f in scored {
            match self.catalog.offers[f.0 as usize].group {
                Some(g) => {
                    let best = &mut group_best[g as usize];
                    if best.is_none_or(|b| self.ranks_above(seed, f, b)) {
                        *best = Some(f);
                    }
                }
                None => offer(&mut finalists, f),
            }
        }
        for f in group_best.iter().flatten() {
            offer(&mut finalists, *f);
        }
        if !short {
            finalists.sort_unstable_by(|a, b| match self.ranks_above(seed, *a, *b) {
                true => Ordering::Less,
                false => Ordering::Greater,
            });
            finalists.truncate(keep);
        }
        Selection {
            finalists,
            group_best,
        }
    }

    /// Draws the propensities of the adaptive offers that can still make the slots under `seed`,
    /// given the bar the other offers set, and hands each offer that scores to `scored`. An offer
    /// whose best possible score is below the bar is not drawn: it could neither take a slot nor
    /// change which offer of its group does, so the picks are those of drawing every offer.
    /// `pending` is visited in its order; highest bounds first raise the bar fastest.
    pub(crate) fn draw_adaptive<'p>(
        &self,
        mut bar: Bar,
        pending: impl Iterator<Item = &'p Pending>,
        seed: u64,
        pass: &Pass<'_, '_>,
        mut scored: impl FnMut(&Pending, Score),
    ) {
        for p in pending {
            if bar.excludes(p.bound) {
                continue;
            }
            let offer = &self.catalog.offers[p.index as usize];
            if !crate::budget::passes(seed, offer.id_hash, p.pass) {
                continue;
            }
            let propensity = self.adaptive_propensity(offer, seed, pass);
            let score = Score {
                propensity,
                context_weight: p.context_weight,
                value: p.value,
                lever: offer.lever,
                score: propensity * p.context_weight * p.value * offer.lever,
            };
            if score.score > 0.0 && score.score.is_finite() {
                bar.admit(score.score, offer.group);
                scored(p, score);
            }
        }
    }

    /// The paced offers that pass their throttles under `seed`, as (catalog index, score).
    pub(crate) fn passing<'a>(
        &'a self,
        seed: u64,
        paced: &'a [Paced],
    ) -> impl Iterator<Item = (u32, f64)> + 'a {
        paced
            .iter()
            .filter(move |p| {
                let hash = self.catalog.offers[p.candidate.index as usize].id_hash;
                crate::budget::passes(seed, hash, p.probability)
            })
            .map(|p| (p.candidate.index, p.candidate.score.score))
    }

    /// The bar the scored offers set for `slots` slots.
    pub(crate) fn bar(&self, slots: usize, scored: impl Iterator<Item = (u32, f64)>) -> Bar {
        let mut bar = Bar::new(slots, self.catalog.groups.len());
        self.raise(&mut bar, scored);
        bar
    }

    /// Raises `bar` with more scored offers.
    pub(crate) fn raise(&self, bar: &mut Bar, scored: impl Iterator<Item = (u32, f64)>) {
        for (index, score) in scored {
            bar.admit(score, self.catalog.offers[index as usize].group);
        }
    }
}

/// Puts the highest bounds first (a partial order is enough: the bar is valid at every step);
/// all of them when `all`, else the first `4 × slots`.
pub(crate) fn highest_bounds_first(pending: &mut [Pending], slots: usize, all: bool) {
    let by_bound = |a: &Pending, b: &Pending| b.bound.total_cmp(&a.bound);
    if all {
        pending.sort_unstable_by(by_bound);
    } else {
        let first = pending.len().min(4 * slots);
        if first < pending.len() {
            pending.select_nth_unstable_by(first, by_bound);
        }
    }
}

/// The score an offer must reach to take a slot, as known so far: the lowest of the best
/// `slots` scores among the offers that would go on to the slots (each group's best and every
/// ungrouped offer). It only rises as offers are scored, so it never excludes an offer that the
/// final ranking would pick.
#[derive(Clone, Debug)]
pub(crate) struct Bar {
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
    pub(crate) fn excludes(&self, bound: f64) -> bool {
        self.top.len() == self.slots && self.top.last().is_some_and(|&last| bound < last)
    }
}

/// The candidates' (index, score) pairs.
pub(crate) fn scores(candidates: &[Candidate]) -> impl Iterator<Item = (u32, f64)> + '_ {
    candidates.iter().map(|c| (c.index, c.score.score))
}
