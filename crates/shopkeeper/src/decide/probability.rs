//! Logged probabilities: the chance that the policy puts each pick at its rank over its
//! randomness (the request's seed), which off-policy evaluation divides by (`spec/learning.md`,
//! "Logged propensities"). A decision that cannot depend on its seed has probability 1 for each
//! pick at no cost; otherwise 256 re-draws follow the decision itself, each through the same
//! selection as a decision ([`Engine::select`]).

use smallvec::SmallVec;

use super::engine::Engine;
use super::filter::Pass;
use super::select::{highest_bounds_first, scores, Candidate, Seeded, Selection};
use super::LOGGING_DRAWS;
use crate::random::Stream;

impl Engine {
    /// The probability of each of `asked` (catalog indices, best first; `None`: an offer the
    /// catalog lacks, never picked) at its rank. `picks` are the decision's own (the first draw,
    /// under the request's seed); `chosen` its selection, kept to `slots + 1` finalists or more;
    /// `fixed` the candidates whose scores do not depend on the seed, `paced` those whose budgets
    /// throttle them, `pending` the adaptive offers that passed the filters.
    pub(crate) fn probabilities(
        &self,
        asked: &[Option<u32>],
        chosen: &Selection,
        fixed: &[Candidate],
        Seeded { paced, pending }: Seeded<'_>,
        slots: usize,
        pass: &Pass<'_, '_>,
    ) -> SmallVec<[f64; 4]> {
        let picks = chosen.finalists.iter().take(slots).map(|&(i, _)| i);
        let mut hits: SmallVec<[u32; 4]> = asked
            .iter()
            .zip(picks.chain(core::iter::repeat(u32::MAX)))
            .map(|(want, got)| u32::from(*want == Some(got)))
            .collect();
        let random =
            !pending.is_empty() || !paced.is_empty() || self.tie_matters(chosen, fixed, slots);
        if !random {
            return hits.iter().map(|&h| f64::from(h)).collect();
        }
        highest_bounds_first(pending, slots, true);
        let bar = self.bar(slots, scores(fixed));
        let mut seeds = Stream::new(pass.request.seed);
        let mut drawn: SmallVec<[(u32, f64); 16]> = SmallVec::new();
        for _ in 0..LOGGING_DRAWS {
            let seed = seeds.next_u64();
            drawn.clear();
            drawn.extend(self.passing(seed, paced));
            let mut bar = bar.clone();
            self.raise(&mut bar, drawn.iter().copied());
            self.draw_adaptive(bar, pending.iter(), seed, pass, |p, s| {
                drawn.push((p.index, s.score));
            });
            let draw = self.select(seed, slots, scores(fixed).chain(drawn.iter().copied()));
            for (hit, (want, got)) in hits.iter_mut().zip(asked.iter().zip(&draw.finalists)) {
                *hit += u32::from(*want == Some(got.0));
            }
        }
        let draws = f64::from(1 + LOGGING_DRAWS);
        hits.iter().map(|&h| f64::from(h) / draws).collect()
    }

    /// Whether a tie among the fixed scores could change a pick or its rank: two of the first
    /// `slots + 1` finalists with equal scores, one of them a pick; or a pick that is the best of
    /// its exclusion group only by a tie. Any other tie leaves every draw the same (probability
    /// 1), so it does not count.
    fn tie_matters(&self, chosen: &Selection, fixed: &[Candidate], slots: usize) -> bool {
        let top = &chosen.finalists;
        let adjacent = top
            .windows(2)
            .take(slots)
            .any(|pair| pair[0].1 == pair[1].1);
        adjacent
            || top.iter().take(slots).any(|&(index, score)| {
                let group = self.catalog.offers[index as usize].group;
                group.is_some()
                    && fixed.iter().any(|c| {
                        c.index != index
                            && c.score.score == score
                            && self.catalog.offers[c.index as usize].group == group
                    })
            })
    }
}
