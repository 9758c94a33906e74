//! Number bins fitted to the responses: a predictor's neighbouring intervals pool their counts
//! while their log odds ratios do not differ (`spec/learning.md`, "Pooled intervals").

use alloc::vec::Vec;

use super::{Predictor, Stat};

/// Neighbouring intervals whose log odds ratios differ by a `z^2` below this are pooled (two
/// standard errors).
pub const POOL_Z2: f64 = 4.0;

/// When a bin's value is an interval of numbers, as number predictors' bins are (`[50,200)`,
/// `(-inf,50)`, `[1024,2048)`, `-[2,4)` for `(-4,-2]`): where it starts, to order it.
pub(super) fn interval_start(value: &str) -> Option<f64> {
    let (negative, rest) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let inner = rest.strip_prefix(['[', '('])?.strip_suffix(')')?;
    let (low, high) = inner.split_once(',')?;
    let (low, high) = (number(low)?, number(high)?);
    (low < high).then_some(if negative { -high } else { low })
}

/// A number as bins write it: JSON's (`1.5`, `-2`, `1e+21`; no `+1`, `.5`, `01`, spaces) with a
/// small `e`, finite, or `inf` and `-inf`.
fn number(text: &str) -> Option<f64> {
    match text {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        // JSON's reader, which the module holds already (not `str::parse`'s, kilobytes more).
        _ if !text.contains('E') && !text.contains(char::is_whitespace) => {
            serde_json::from_str::<f64>(text).ok()
        }
        _ => None,
    }
}

/// A pool: its summed counts, where its run of bins starts, and its log odds ratio against the
/// predictor's total with its variance ([`Stat::estimate`]).
type Pool = (Stat, usize, (f64, f64));

/// How far apart two pools' log odds ratios are: the square of their z score.
fn distance(a: &Pool, b: &Pool) -> f64 {
    let ((wa, va), (wb, vb)) = (a.2, b.2);
    (wa - wb) * (wa - wb) / (va + vb)
}

/// The first of the smallest gaps.
fn closest(gaps: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, gap) in gaps.iter().enumerate() {
        if best.is_none_or(|b| *gap < gaps[b]) {
            best = Some(i);
        }
    }
    best
}

impl Predictor {
    /// Fits a number predictor's bins to its data: when every bin is an interval, and no response
    /// is in two of them (as a list's elements can be), neighbouring intervals (in numeric order,
    /// among the bins kept) are pooled, the closest pair first, while their `z^2` is below
    /// [`POOL_Z2`]; each bin's evidence is then read from its pool's summed counts. Intervals
    /// whose customers answer alike share their responses; those that differ keep them apart.
    /// It depends only on the counts, so merged learners pool alike.
    pub(super) fn pool(&mut self) {
        for bin in &mut self.bins {
            bin.pool = bin.stat.sums();
        }
        let mut order: Vec<(f64, usize)> = Vec::with_capacity(self.bins.len());
        for (i, bin) in self.bins.iter().enumerate() {
            match bin.start {
                Some(start) => order.push((start, i)),
                None => return,
            }
        }
        let responses = |s: &Stat| s.counts[0] + s.counts[1];
        let in_bins: f64 = self.bins.iter().map(|b| responses(&b.stat)).sum();
        if in_bins > responses(&self.total) * (1.0 + 1e-9) + 1e-9 {
            return;
        }
        // Starts are never NaN; equal ones (bins of two catalogs' thresholds) go by value. An
        // insertion sort: at most 64 bins (`sort_unstable_by` for this type cost 10 KB of the module).
        let before = |a: &(f64, usize), b: &(f64, usize)| {
            a.0 < b.0 || (a.0 == b.0 && self.bins[a.1].value < self.bins[b.1].value)
        };
        for k in 1..order.len() {
            let mut j = k;
            while j > 0 && before(&order[j], &order[j - 1]) {
                order.swap(j, j - 1);
                j -= 1;
            }
        }
        // The pools, runs of `order`.
        let total = self.total;
        let mut pools: Vec<Pool> = order
            .iter()
            .enumerate()
            .map(|(k, &(_, i))| (self.bins[i].pool, k, self.bins[i].pool.estimate(&total)))
            .collect();
        let mut gaps: Vec<f64> = pools.windows(2).map(|w| distance(&w[0], &w[1])).collect();
        while let Some(i) = closest(&gaps).filter(|&i| gaps[i] < POOL_Z2) {
            let (next, _, _) = pools.remove(i + 1);
            pools[i].0.plus(&next, [1.0, 1.0]);
            pools[i].2 = pools[i].0.estimate(&total);
            gaps.remove(i);
            if i > 0 {
                gaps[i - 1] = distance(&pools[i - 1], &pools[i]);
            }
            if i < gaps.len() {
                gaps[i] = distance(&pools[i], &pools[i + 1]);
            }
        }
        for (k, (stat, start, _)) in pools.iter().enumerate() {
            let end = pools.get(k + 1).map_or(order.len(), |p| p.1);
            for &(_, i) in &order[*start..end] {
                self.bins[i].pool = *stat;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{sorted_bins, BinKey, Model};
    use super::interval_start;

    #[test]
    fn alike_intervals_pool_and_a_list_of_interval_names_does_not() {
        let keys = |keys: &[&str]| {
            sorted_bins(keys.iter().map(|k| BinKey::parse(k).unwrap()).collect()).unwrap()
        };
        let (mut number, mut list) = (Model::new(0), Model::new(0));
        for i in 0..80 {
            let accepted = (i / 2) % 4 == 0;
            let bin = if i % 2 == 0 { "n=[1,2)" } else { "n=[2,4)" };
            number.update(&keys(&[bin]), accepted, i, [86_400, 3_600], 1_000);
            list.update(
                &keys(&["tags=[1,2)", "tags=[2,4)"]),
                accepted,
                i,
                [86_400, 3_600],
                1_000,
            );
        }
        let pools = |m: &Model| {
            m.predictors[0]
                .bins
                .iter()
                .map(|b| b.pool.counts[0])
                .collect::<alloc::vec::Vec<_>>()
        };
        let own = |m: &Model| {
            m.predictors[0]
                .bins
                .iter()
                .map(|b| b.stat.counts[0])
                .collect::<alloc::vec::Vec<_>>()
        };
        // Both intervals of `n` answer alike: each reads the accepts of both.
        let sum: f64 = own(&number).iter().sum();
        assert!(
            pools(&number).iter().all(|&a| (a - sum).abs() < 1e-9),
            "{:?}",
            pools(&number)
        );
        // Each response is in both elements of the list: pooling would count it twice.
        assert_eq!(pools(&list), own(&list));
    }

    #[test]
    fn intervals_are_read_and_other_values_are_not() {
        for (value, start) in [
            ("[50,200)", Some(50.0)),
            ("(-inf,50)", Some(f64::NEG_INFINITY)),
            ("[1000,inf)", Some(1000.0)),
            ("[0,1)", Some(0.0)),
            ("-[2,4)", Some(-4.0)),
            ("-[0,1)", Some(-1.0)),
            ("[1e+300,2e+300)", Some(1e300)),
            ("affiliate", None),
            ("[4,2)", None),
            ("[4,4)", None),
            ("[NaN,2)", None),
            ("[1,2]", None),
            ("[1,2,3)", None),
            ("[1_0,20)", None),
            ("[ 5,10)", None),
            ("[+5,10)", None),
            ("[.5,1)", None),
            ("[5.,10)", None),
            ("[01,10)", None),
            ("[1E3,10)", None),
            ("[1e400,inf)", None),
            ("[-0,1)", Some(-0.0)),
            ("[-inf,1.5e-3)", Some(f64::NEG_INFINITY)),
            ("[1.1805916207174113e+21,inf)", Some(1.1805916207174113e21)),
            ("-affiliate", None),
        ] {
            assert_eq!(interval_start(value), start, "{value}");
        }
    }
}
