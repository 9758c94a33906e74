//! What an offer learns about its customers: per predictor bin (`source=affiliate`,
//! `spend=[50,200)`), decayed accepts and rejects on two time scales, so that the propensity of an
//! adaptive offer depends on who is asking (`spec/learning.md`, "Predictors").
//!
//! An offer's [`Model`] keeps its totals, and per predictor its total and its bins, every count as
//! of the model's one clock `at` (an update decays the whole model to its time, as an arm does).
//! Each count is kept twice: with the learner's half-life and with its recent half-life. Merging
//! aligns two models to the later clock and adds every count, so a fleet learns together.
//!
//! A bin's **evidence** is the naive-Bayes log odds ratio of the bin against its predictor,
//! `ln(a'/r') - ln(pi/(1 - pi))` with one pseudo-response at the predictor's rate `pi`
//! (`a' = a + pi`, `r' = r + 1 - pi`), of variance `1/a' + 1/r'`, shrunk toward no effect by a
//! normal prior of variance [`EFFECT_PRIOR_VARIANCE`]. A number predictor's bins read the counts
//! of their pool of neighbouring intervals that answer alike (`pool.rs`).
//!
//! **After a change.** Every count also keeps, on the recent scale, the **surprise** of the long
//! counts at its responses: the sums of `y - p` and `p (1 - p)`, where `p` is what the long counts
//! predict for the response once it is counted. Where tastes are stable the surprise stays near 0;
//! where they changed it grows within hours, and the evidence adds its shrunk mean,
//! `sum(y - p) / (sum p(1 - p) + 1/CHANGE_PRIOR_VARIANCE)` (one Newton step of the log odds from
//! the long counts, under a normal prior of a change), so what changed is relearned on the recent
//! scale while what did not keeps its long counts. The surprise adds, as the counts do. The
//! shrunk evidence depends only on the counts, so it is computed when they change, not when a
//! decision reads it.

use alloc::string::String;
use alloc::vec::Vec;

pub use pool::POOL_Z2;

use super::decay;
use crate::random::fnv1a;
use crate::{Error, ErrorCode, Timestamp};

mod pool;

/// Most predictors a catalog declares, and a model keeps.
pub const MAX_PREDICTORS: usize = 32;
/// Most bins one predictor of one offer keeps: those of the smallest value hashes, so that the
/// bins kept after any merges are those of the union, whatever the order.
pub const MAX_BINS: usize = 64;
/// Most bins a request is in (a list predictor is in one bin per distinct element).
pub const MAX_REQUEST_BINS: usize = 64;
/// Most bins of all the models of one learner, each predictor of a model counting as one too.
pub const MAX_LEARNER_BINS: usize = 150_000;
/// Longest predictor name, in bytes (letters, digits, `_`, `-`, `.`).
pub const MAX_PREDICTOR_NAME_LEN: usize = 32;
/// Longest value of a bin, in bytes: a longer string value is in no bin.
pub const MAX_BIN_VALUE_LEN: usize = 64;
/// The prior variance of a bin's effect on the log odds: an effect of about `e^0.5` is expected.
pub const EFFECT_PRIOR_VARIANCE: f64 = 0.25;
/// The prior variance of a change of a bin's (or an offer's) log odds since the long counts: the
/// surprise moves the evidence by its sum over its spread plus `1 / CHANGE_PRIOR_VARIANCE`.
pub const CHANGE_PRIOR_VARIANCE: f64 = 0.1;

/// One request's bin of one predictor: `name=value`, with both hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BinKey {
    pub(crate) key: String,
    /// Bytes of `key` before the `=`.
    pub(crate) split: usize,
    pub(crate) name_hash: u64,
    pub(crate) value_hash: u64,
    /// Both hashes in one: what a decision finds the bin's evidence by ([`Model::index`]).
    pub(crate) id: u64,
}

impl BinKey {
    /// Reads `name=value`, checking the name and the value's length.
    pub(crate) fn parse(key: &str) -> Result<BinKey, Error> {
        let Some(split) = key.find('=') else {
            return Err(bad_bin(
                key,
                "has no `=` between the predictor and its value",
            ));
        };
        check_predictor_name(&key[..split]).map_err(|e| bad_bin(key, e.message()))?;
        if key.len() - split - 1 > MAX_BIN_VALUE_LEN {
            return Err(bad_bin(key, "has a value over 64 bytes"));
        }
        Ok(BinKey::new(key.into(), split))
    }

    pub(crate) fn new(key: String, split: usize) -> BinKey {
        let name_hash = fnv1a(&[&key.as_bytes()[..split]]);
        let value_hash = fnv1a(&[&key.as_bytes()[split + 1..]]);
        BinKey {
            key,
            split,
            name_hash,
            value_hash,
            id: bin_id(name_hash, value_hash),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.key[..self.split]
    }

    pub(crate) fn value(&self) -> &str {
        &self.key[self.split + 1..]
    }

    fn order(&self) -> (u64, &str, u64, &str) {
        (self.name_hash, self.name(), self.value_hash, self.value())
    }
}

/// The id of the bin of these hashes; never 0 (an empty slot of [`Model::ids`]).
fn bin_id(name_hash: u64, value_hash: u64) -> u64 {
    crate::random::mix(name_hash ^ value_hash.rotate_left(32)).max(1)
}

fn bad_bin(key: &str, why: &str) -> Error {
    let shown: String = key.chars().take(40).collect();
    Error::new(
        ErrorCode::InvalidData,
        alloc::format!("the predictor bin {shown:?} {why}"),
    )
}

/// A predictor's name: 1 to 32 bytes of letters, digits, `_`, `-` and `.`.
pub(crate) fn check_predictor_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= MAX_PREDICTOR_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidData,
            alloc::format!(
                "a predictor's name is 1 to {MAX_PREDICTOR_NAME_LEN} letters, digits, `_`, `-` or `.`, not {name:?}"
            ),
        ))
    }
}

/// Fails with `limit_exceeded` for more than [`MAX_REQUEST_BINS`] bins: the bound a response's
/// bins are checked against, by the bindings before they read them.
pub fn check_bin_count(count: usize) -> Result<(), Error> {
    if count > MAX_REQUEST_BINS {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            alloc::format!("at most {MAX_REQUEST_BINS} predictor bins, got {count}"),
        ));
    }
    Ok(())
}

/// The bins of one response: sorted by predictor, then value, without repeats.
pub(crate) fn sorted_bins(mut bins: Vec<BinKey>) -> Result<Vec<BinKey>, Error> {
    sort_bins(&mut bins);
    if bins.windows(2).any(|w| w[0].key == w[1].key) {
        return Err(Error::new(
            ErrorCode::InvalidData,
            "a predictor bin appears twice",
        ));
    }
    Ok(bins)
}

/// Sorts bins as models keep them: by predictor (name hash, name), then value (hash, value).
pub(crate) fn sort_bins(bins: &mut [BinKey]) {
    bins.sort_unstable_by(|a, b| a.order().cmp(&b.order()));
}

/// Decayed accepts and rejects on the two time scales, and the evidence read from them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Stat {
    /// Long accepts, long rejects, recent accepts, recent rejects.
    pub(crate) counts: [f64; 4],
    /// The surprise of the model's long counts at these responses, on the recent scale: the sums
    /// of `y - p` and of `p (1 - p)`.
    pub(crate) surprise: [f64; 2],
    /// A bin's shrunk evidence (log odds ratio, with its change) and its variance; unused for a
    /// total.
    pub(crate) effect: f64,
    pub(crate) variance: f64,
    /// The part of a bin's `effect` that is the change: its own against its predictor's.
    pub(crate) change: f64,
}

impl Stat {
    /// Counts a response with `weight` on each scale.
    fn add(&mut self, accepted: bool, weight: [f64; 2]) {
        let i = usize::from(!accepted);
        self.counts[i] += weight[0];
        self.counts[2 + i] += weight[1];
    }

    /// Adds the surprise of a response the long counts predict at `p`, with the recent weight.
    fn add_surprise(&mut self, accepted: bool, weight: f64, p: f64) {
        self.surprise[0] += weight * (f64::from(u8::from(accepted)) - p);
        self.surprise[1] += weight * p * (1.0 - p);
    }

    /// Its counts and surprise, without the evidence read from them: what pools add.
    fn sums(&self) -> Stat {
        Stat {
            counts: self.counts,
            surprise: self.surprise,
            ..Stat::default()
        }
    }

    fn scale(&mut self, factor: [f64; 2]) {
        self.surprise = self.surprise.map(|s| s * factor[1]);
        self.counts[0] *= factor[0];
        self.counts[1] *= factor[0];
        self.counts[2] *= factor[1];
        self.counts[3] *= factor[1];
    }

    fn plus(&mut self, other: &Stat, factor: [f64; 2]) {
        for (i, c) in other.counts.iter().enumerate() {
            self.counts[i] += c * factor[i / 2];
        }
        for (s, o) in self.surprise.iter_mut().zip(other.surprise) {
            *s += o * factor[1];
        }
    }

    /// The change of the log odds since the long counts that this count's surprise shows, its
    /// surprise decayed by `factor`: its shrunk mean,
    /// `sum(y - p) / (sum p(1 - p) + 1/CHANGE_PRIOR_VARIANCE)`.
    pub(crate) fn own_change(&self, factor: f64) -> f64 {
        factor * self.surprise[0] / (factor * self.surprise[1] + 1.0 / CHANGE_PRIOR_VARIANCE)
    }

    /// A bin's evidence against its predictor's `total` on the long scale: the log odds ratio
    /// and its variance, before shrinking.
    fn estimate(&self, total: &Stat) -> (f64, f64) {
        let (ta, tr) = (total.counts[0], total.counts[1]);
        // Clamped: counts near 2^53 would round the rate to 0 or 1.
        let pi = ((ta + 0.5) / (ta + tr + 1.0)).clamp(1e-9, 1.0 - 1e-9);
        let a = self.counts[0] + pi;
        let r = self.counts[1] + 1.0 - pi;
        (
            libm::log(a / r) - libm::log(pi / (1.0 - pi)),
            1.0 / a + 1.0 / r,
        )
    }

    /// Recomputes the evidence of a bin against its predictor's total from its `pool`'s counts:
    /// the shrunk long log odds ratio, plus the change of the pool against the predictor's.
    fn refresh(&mut self, pool: &Stat, total: &Stat) {
        let (w, var) = pool.estimate(total);
        let keep = EFFECT_PRIOR_VARIANCE / (EFFECT_PRIOR_VARIANCE + var);
        self.change = pool.own_change(1.0) - total.own_change(1.0);
        self.effect = w * keep + self.change;
        self.variance = var * keep;
    }
}

/// A bin of a predictor in a model.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bin {
    pub(crate) value: String,
    pub(crate) hash: u64,
    pub(crate) stat: Stat,
    /// The counts and surprise the evidence is read from: the sums of this bin's and of the
    /// neighbouring intervals pooled with it ([`Predictor::pool`]); this bin's alone otherwise.
    /// Derived; its own evidence fields stay 0.
    pub(crate) pool: Stat,
    /// Where its interval starts, when its value is one ([`pool::interval_start`]). Derived.
    pub(crate) start: Option<f64>,
}

impl Bin {
    pub(crate) fn new(value: String, hash: u64, stat: Stat) -> Bin {
        Bin {
            start: pool::interval_start(&value),
            value,
            hash,
            stat,
            pool: stat.sums(),
        }
    }
}

/// A predictor in a model: its total (the responses where it had a value) and its bins, by value
/// hash then value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Predictor {
    pub(crate) name: String,
    pub(crate) hash: u64,
    pub(crate) total: Stat,
    pub(crate) bins: Vec<Bin>,
}

impl Predictor {
    fn refresh(&mut self) {
        self.pool();
        let total = self.total;
        for bin in &mut self.bins {
            bin.stat.refresh(&bin.pool, &total);
        }
    }

    fn find(&self, hash: u64, value: &str) -> Result<usize, usize> {
        self.bins
            .binary_search_by(|b| (b.hash, b.value.as_str()).cmp(&(hash, value)))
    }
}

/// What one offer learned from the predictors of the responses to it; every count as of `at`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Model {
    pub(crate) at: Timestamp,
    pub(crate) totals: Stat,
    /// By name hash, then name.
    pub(crate) predictors: Vec<Predictor>,
    /// Every bin's shrunk evidence and variance by its id, in an open-addressing table (a power
    /// of two of slots, at most half full; id 0 marks an empty slot): a decision finds its bins
    /// here in a probe or two. Derived from the rest, rebuilt when it changes.
    pub(crate) ids: Vec<u64>,
    pub(crate) evidence: Vec<(f64, f64)>,
}

/// The half-lives of a learner: long, recent.
pub(crate) type HalfLives = [Timestamp; 2];

fn factors(elapsed: Timestamp, half_lives: HalfLives) -> [f64; 2] {
    [decay(elapsed, half_lives[0]), decay(elapsed, half_lives[1])]
}

impl Model {
    pub(crate) fn new(at: Timestamp) -> Model {
        Model {
            at,
            totals: Stat::default(),
            predictors: Vec::new(),
            ids: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// What the long counts predict for a response in `bins`: the logistic of the totals' log
    /// odds (half a response of each kind added) plus each bin's shrunk long evidence.
    fn predict_long(&self, bins: &[BinKey]) -> f64 {
        let (a, r) = (self.totals.counts[0] + 0.5, self.totals.counts[1] + 0.5);
        let mut x = libm::log(a / r);
        let shares: Vec<f64> = shares(bins).collect();
        for (i, predictor, bin) in self.evidence(bins) {
            let (w, var) = bin.pool.estimate(&predictor.total);
            x += shares[i] * w * EFFECT_PRIOR_VARIANCE / (EFFECT_PRIOR_VARIANCE + var);
        }
        1.0 / (1.0 + libm::exp(-x))
    }

    /// Bins held.
    pub(crate) fn bins(&self) -> usize {
        self.predictors.iter().map(|p| p.bins.len()).sum()
    }

    /// Bins and predictors held: what counts against [`MAX_LEARNER_BINS`].
    pub(crate) fn entries(&self) -> usize {
        self.predictors.len() + self.bins()
    }

    fn predictor(&self, hash: u64, name: &str) -> Result<usize, usize> {
        self.predictors
            .binary_search_by(|p| (p.hash, p.name.as_str()).cmp(&(hash, name)))
    }

    /// Records one response in `bins` (sorted, as [`sorted_bins`] leaves them) at `at`. A
    /// predictor or bin past its cap, or past `room` new bins, is not kept (the totals still
    /// count the response).
    pub(crate) fn update(
        &mut self,
        bins: &[BinKey],
        accepted: bool,
        at: Timestamp,
        half_lives: HalfLives,
        room: usize,
    ) {
        let weight = if at >= self.at {
            let factor = factors(at - self.at, half_lives);
            self.scale(factor);
            self.at = at;
            [1.0, 1.0]
        } else {
            factors(self.at - at, half_lives)
        };
        self.totals.add(accepted, weight);
        let mut added = 0usize;
        let mut previous: Option<(u64, &str)> = None;
        for bin in bins {
            let count = self.predictors.len();
            let Some(i) = self.predictor_for(bin, room - added) else {
                continue;
            };
            // A new predictor is an entry too (one evicted frees more than this takes).
            added += usize::from(self.predictors.len() > count);
            let predictor = &mut self.predictors[i];
            if previous != Some((bin.name_hash, bin.name())) {
                predictor.total.add(accepted, weight);
                previous = Some((bin.name_hash, bin.name()));
            }
            match predictor.find(bin.value_hash, bin.value()) {
                Ok(i) => predictor.bins[i].stat.add(accepted, weight),
                Err(i) if added < room && i < MAX_BINS => {
                    let mut stat = Stat::default();
                    stat.add(accepted, weight);
                    predictor
                        .bins
                        .insert(i, Bin::new(bin.value().into(), bin.value_hash, stat));
                    added += 1;
                    if predictor.bins.len() > MAX_BINS {
                        predictor.bins.pop();
                    }
                }
                Err(_) => {}
            }
        }
        // What the long counts predict reads the pools of the response's predictors.
        let mut previous = None;
        for bin in bins {
            if let Ok(i) = self.predictor(bin.name_hash, bin.name()) {
                if previous != Some(i) {
                    self.predictors[i].pool();
                    previous = Some(i);
                }
            }
        }
        self.surprise_at(bins, accepted, weight[1]);
        self.refresh();
    }

    /// Adds the surprise of a response just counted to the totals and to each of its predictors
    /// and bins the model keeps: `p` is what the long counts now predict for it.
    fn surprise_at(&mut self, bins: &[BinKey], accepted: bool, weight: f64) {
        let p = self.predict_long(bins);
        self.totals.add_surprise(accepted, weight, p);
        let mut previous = None;
        for bin in bins {
            let Ok(i) = self.predictor(bin.name_hash, bin.name()) else {
                continue;
            };
            let predictor = &mut self.predictors[i];
            if previous != Some(i) {
                predictor.total.add_surprise(accepted, weight, p);
                previous = Some(i);
            }
            if let Ok(b) = predictor.find(bin.value_hash, bin.value()) {
                predictor.bins[b].stat.add_surprise(accepted, weight, p);
            }
        }
    }

    /// The index of `bin`'s predictor, added if new and there is room (`room` new entries left).
    fn predictor_for(&mut self, bin: &BinKey, room: usize) -> Option<usize> {
        match self.predictor(bin.name_hash, bin.name()) {
            Ok(p) => Some(p),
            Err(p) if p < MAX_PREDICTORS && room > 0 => {
                self.predictors.insert(
                    p,
                    Predictor {
                        name: bin.name().into(),
                        hash: bin.name_hash,
                        total: Stat::default(),
                        bins: Vec::new(),
                    },
                );
                self.predictors.truncate(MAX_PREDICTORS);
                Some(p)
            }
            Err(_) => None,
        }
    }

    fn scale(&mut self, factor: [f64; 2]) {
        self.totals.scale(factor);
        for p in &mut self.predictors {
            p.total.scale(factor);
            for bin in &mut p.bins {
                bin.stat.scale(factor);
            }
        }
    }

    /// Recomputes every bin's evidence, and the table decisions find it in.
    pub(crate) fn refresh(&mut self) {
        for p in &mut self.predictors {
            p.refresh();
        }
        let slots = (2 * self.bins()).next_power_of_two().max(2);
        self.ids.clear();
        self.ids.resize(slots, 0);
        self.evidence.clear();
        self.evidence.resize(slots, (0.0, 0.0));
        for p in &self.predictors {
            for b in &p.bins {
                let id = bin_id(p.hash, b.hash);
                let mut slot = id as usize & (slots - 1);
                while self.ids[slot] != 0 {
                    slot = (slot + 1) & (slots - 1);
                }
                self.ids[slot] = id;
                self.evidence[slot] = (b.stat.effect, b.stat.variance);
            }
        }
    }

    /// The shrunk evidence of the request's bins (`(id, share)`) this model has seen: `(sum of
    /// share x effect, sum of share x variance, sum of share)`. Found by id alone: a value
    /// crafted to share another's 64-bit id reads that bin's evidence (learning compares the
    /// names and values).
    pub(crate) fn evidence_by_id(&self, bins: &[(u64, f64)]) -> (f64, f64, f64) {
        let (mut mean, mut spread, mut weight) = (0.0, 0.0, 0.0);
        let mask = self.ids.len().wrapping_sub(1);
        if self.ids.is_empty() {
            return (mean, spread, weight);
        }
        for &(id, share) in bins {
            let mut slot = id as usize & mask;
            loop {
                match self.ids[slot] {
                    0 => break,
                    found if found == id => {
                        let (effect, variance) = self.evidence[slot];
                        mean += share * effect;
                        spread += share * variance;
                        weight += share;
                        break;
                    }
                    _ => slot = (slot + 1) & mask,
                }
            }
        }
        (mean, spread, weight)
    }

    /// This model and `other` as one, at the later clock: the counts add; predictors and bins
    /// past their caps are those of the largest hashes, dropped.
    pub(crate) fn plus(&self, other: &Model, half_lives: HalfLives) -> Model {
        let at = self.at.max(other.at);
        let mine = factors(at - self.at, half_lives);
        let theirs = factors(at - other.at, half_lives);
        let mut totals = Stat::default();
        totals.plus(&self.totals, mine);
        totals.plus(&other.totals, theirs);
        let mut predictors: Vec<Predictor> = Vec::new();
        for (p, factor) in self
            .predictors
            .iter()
            .map(|p| (p, mine))
            .chain(other.predictors.iter().map(|p| (p, theirs)))
        {
            let found = predictors
                .binary_search_by(|q| (q.hash, q.name.as_str()).cmp(&(p.hash, p.name.as_str())));
            let at = match found {
                Ok(i) => i,
                Err(i) => {
                    predictors.insert(
                        i,
                        Predictor {
                            name: p.name.clone(),
                            hash: p.hash,
                            total: Stat::default(),
                            bins: Vec::new(),
                        },
                    );
                    i
                }
            };
            let into = &mut predictors[at];
            into.total.plus(&p.total, factor);
            for bin in &p.bins {
                let i = match into.find(bin.hash, &bin.value) {
                    Ok(i) => i,
                    Err(i) => {
                        let bin = Bin::new(bin.value.clone(), bin.hash, Stat::default());
                        into.bins.insert(i, bin);
                        i
                    }
                };
                into.bins[i].stat.plus(&bin.stat, factor);
            }
        }
        predictors.truncate(MAX_PREDICTORS);
        for p in &mut predictors {
            p.bins.truncate(MAX_BINS);
        }
        let mut model = Model {
            at,
            totals,
            predictors,
            ids: Vec::new(),
            evidence: Vec::new(),
        };
        model.refresh();
        model
    }

    /// The shrunk evidence of each of the request's `bins` this model has seen, in the order of
    /// `bins`, as `(index into bins, bin)`. A list predictor's bins each count with weight
    /// `1/k` for its `k` bins in the request (their mean).
    pub(crate) fn evidence<'m>(
        &'m self,
        bins: &'m [BinKey],
    ) -> impl Iterator<Item = (usize, &'m Predictor, &'m Bin)> + 'm {
        let mut p = 0usize;
        bins.iter().enumerate().filter_map(move |(i, key)| {
            // Both are sorted by (name hash, name): walk the model's predictors forward.
            while p < self.predictors.len()
                && (self.predictors[p].hash, self.predictors[p].name.as_str())
                    < (key.name_hash, key.name())
            {
                p += 1;
            }
            let predictor = self.predictors.get(p)?;
            if predictor.hash != key.name_hash || predictor.name != key.name() {
                return None;
            }
            let found = predictor.find(key.value_hash, key.value()).ok()?;
            Some((i, predictor, &predictor.bins[found]))
        })
    }
}

/// How many bins of a request share each one's predictor: a list predictor's bins count `1/k`.
pub(crate) fn shares(bins: &[BinKey]) -> impl Iterator<Item = f64> + '_ {
    bins.iter().map(move |b| {
        let k = bins
            .iter()
            .filter(|o| o.name_hash == b.name_hash && o.name() == b.name())
            .count();
        1.0 / k as f64
    })
}

/// The log odds of the offer's totals at `now`, with its Beta prior, plus their change (its
/// surprise decayed to `now` too): `(mean, variance)`.
pub(crate) fn base(
    model: Option<&Model>,
    prior: (f64, f64),
    now: Timestamp,
    half_lives: HalfLives,
) -> (f64, f64) {
    let (accepts, rejects, change) = model.map_or((0.0, 0.0, 0.0), |m| {
        let elapsed = now.saturating_sub(m.at);
        let f = decay(elapsed, half_lives[0]);
        let c = m.totals.counts;
        let change = m.totals.own_change(decay(elapsed, half_lives[1]));
        (c[0] * f, c[1] * f, change)
    });
    let (a, r) = (accepts + prior.0, rejects + prior.1);
    (libm::log(a / r) + change, 1.0 / a + 1.0 / r)
}
