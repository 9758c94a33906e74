//! Number bins fitted to the responses: a predictor's neighbouring intervals pool their counts
//! while their log odds ratios do not differ (`spec/learning.md`, "Pooled intervals").

use alloc::vec::Vec;

use super::{Predictor, Stat};

/// How far apart (the square of a z score) two neighbouring intervals of a number predictor's
/// log odds ratios must be for each to keep its own evidence: closer, they are pooled.
pub const POOL_Z2: f64 = 4.0;

/// Where a bin's value is an interval of numbers, as number predictors' bins are (`[50,200)`,
/// `(-inf,50)`, `[1024,2048)`, `-[2,4)` for `(-4,-2]`): where it starts, to order it.
fn interval_start(value: &str) -> Option<f64> {
    let (negative, rest) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let inner = rest.strip_prefix(['[', '('])?.strip_suffix(')')?;
    let (low, high) = inner.split_once(',')?;
    let (low, high) = (low.parse::<f64>().ok()?, high.parse::<f64>().ok()?);
    (low < high).then_some(if negative { -high } else { low })
}

/// How far apart two pools' log odds ratios against `total` are: the square of their z score.
fn distance(a: &Stat, b: &Stat, total: &Stat) -> f64 {
    let ((wa, va), (wb, vb)) = (a.estimate(total), b.estimate(total));
    (wa - wb) * (wa - wb) / (va + vb)
}

impl Predictor {
    /// Fits a number predictor's bins to its data: when every bin is an interval, neighbouring
    /// intervals (in numeric order) are pooled, the closest pair first, while their log odds
    /// ratios are less than `sqrt(POOL_Z2)` standard errors apart; each bin's evidence is then
    /// read from its pool's summed counts. Intervals whose customers answer alike share their
    /// responses; those that differ keep them apart. It depends only on the counts, so merged
    /// learners pool alike.
    pub(super) fn pool(&mut self) {
        for bin in &mut self.bins {
            bin.pool = bin.stat.sums();
        }
        let mut order: Vec<(f64, usize)> = Vec::with_capacity(self.bins.len());
        for (i, bin) in self.bins.iter().enumerate() {
            match interval_start(&bin.value) {
                Some(start) => order.push((start, i)),
                None => return,
            }
        }
        // Starts are never NaN; equal ones (bins of two catalogs' thresholds) go by value.
        order.sort_unstable_by(|a, b| {
            (a.0.partial_cmp(&b.0).unwrap_or(core::cmp::Ordering::Equal))
                .then_with(|| self.bins[a.1].value.cmp(&self.bins[b.1].value))
        });
        // Each pool: its summed counts and its bins.
        let mut pools: Vec<(Stat, Vec<usize>)> = order
            .iter()
            .map(|&(_, i)| (self.bins[i].pool, alloc::vec![i]))
            .collect();
        while pools.len() > 1 {
            let (i, closest) = (0..pools.len() - 1)
                .map(|i| (i, distance(&pools[i].0, &pools[i + 1].0, &self.total)))
                .fold(
                    (0, f64::INFINITY),
                    |best, d| if d.1 < best.1 { d } else { best },
                );
            if closest >= POOL_Z2 {
                break;
            }
            let (stat, bins) = pools.remove(i + 1);
            pools[i].0.plus(&stat, [1.0, 1.0]);
            pools[i].1.extend(bins);
        }
        for (stat, bins) in pools {
            for i in bins {
                self.bins[i].pool = stat;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::interval_start;

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
            ("-affiliate", None),
        ] {
            assert_eq!(interval_start(value), start, "{value}");
        }
    }
}
