//! A catalog's predictors (`learning.predictors`): the customer and context fields adaptive
//! offers learn from, and **where a request's predictor bins are computed** (`spec/learning.md`,
//! "Predictors"). Each predictor is an expression: a number falls in one bin of the catalog's
//! thresholds (or of its power of two), a string or a boolean is its own bin, a list is in one
//! bin per distinct element; a missing value is in none.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::learn::{BinKey, Model, MAX_BIN_VALUE_LEN, MAX_REQUEST_BINS};
use crate::rules::{Features, Rule, Value};

/// A compiled predictor.
#[derive(Debug)]
pub(crate) struct Predictor {
    pub(crate) name: String,
    pub(crate) rule: Rule,
    /// A number's thresholds, increasing; none: its power of two.
    pub(crate) thresholds: Option<Vec<f64>>,
}

/// The bins of one request, sorted as a learner's models are, each with its share: `1/k` for
/// the `k` bins of one list predictor.
#[derive(Debug, Default)]
pub(crate) struct RequestBins {
    pub(crate) keys: Vec<BinKey>,
    pub(crate) shares: Vec<f64>,
    /// Each bin's id and share: what decisions look up.
    pub(crate) ids: Vec<(u64, f64)>,
}

impl RequestBins {
    /// The request's bins for `predictors`; at most [`MAX_REQUEST_BINS`] (the first predictors'
    /// in catalog order).
    pub(crate) fn new(predictors: &[Predictor], features: &Features<'_>) -> RequestBins {
        let mut keys: Vec<BinKey> = Vec::new();
        for p in predictors {
            let mut push = |value: &str| {
                if value.len() <= MAX_BIN_VALUE_LEN && keys.len() < MAX_REQUEST_BINS {
                    let key = format!("{}={value}", p.name);
                    if !keys.iter().any(|k| k.key == key) {
                        keys.push(BinKey::new(key, p.name.len()));
                    }
                }
            };
            match p.rule.eval(features) {
                Some(Value::Number(x)) if x.is_finite() => {
                    push(&number_bin(x, p.thresholds.as_deref()))
                }
                Some(Value::String(s)) => push(&s),
                Some(Value::Bool(b)) => push(if b { "true" } else { "false" }),
                Some(Value::List(items)) => items.iter().for_each(|s| push(s)),
                _ => {}
            }
        }
        crate::learn::sort_bins(&mut keys);
        let shares: Vec<f64> = crate::learn::shares(&keys).collect();
        let ids = keys
            .iter()
            .map(|k| k.id)
            .zip(shares.iter().copied())
            .collect();
        RequestBins { keys, shares, ids }
    }

    /// The bins as a decision's record lists them, sorted by their text.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.keys.iter().map(|k| k.key.clone()).collect();
        names.sort_unstable();
        names
    }
}

/// The bin of a number: with thresholds `t`, `(-inf,t0)`, `[t(i-1),t(i))` or `[t(k-1),inf)`;
/// without, `[0,1)` below 1 in magnitude, else `[2^e,2^(e+1))` with `2^e <= |x|`, a `-` before
/// it for a negative number.
pub(crate) fn number_bin(x: f64, thresholds: Option<&[f64]>) -> String {
    let n = |v: f64| Value::Number(v).to_json();
    match thresholds {
        Some(t) => {
            let i = t.partition_point(|&edge| edge <= x);
            let low = if i == 0 {
                "(-inf".into()
            } else {
                format!("[{}", n(t[i - 1]))
            };
            let high = t
                .get(i)
                .map_or("inf)".into(), |&edge| format!("{})", n(edge)));
            format!("{low},{high}")
        }
        None => {
            let sign = if x < 0.0 { "-" } else { "" };
            let m = x.abs();
            if m < 1.0 {
                return format!("{sign}[0,1)");
            }
            let (_, exp) = libm::frexp(m);
            let low = libm::ldexp(1.0, exp - 1);
            let high = if (low * 2.0).is_finite() {
                n(low * 2.0)
            } else {
                "inf".into()
            };
            format!("{sign}[{},{high})", n(low))
        }
    }
}

/// Most predictor bins a receipt names per pick.
pub const MAX_EXPLAINED_BINS: usize = 5;

/// A predictor bin that moved a learned propensity, in a receipt: the request was in this bin,
/// and what the offer learned there raised (`odds` > 1) or lowered its odds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Evidence {
    /// `name=value`.
    pub bin: String,
    /// The factor on the offer's odds: `e^effect`, the shrunk evidence with its change (a list
    /// predictor's bins share theirs).
    pub odds: f64,
    /// The decayed accepts of the offer in this bin (the learner's half-life); for a number
    /// predictor, in the neighbouring intervals pooled with it.
    pub accepts: f64,
    /// The decayed rejects.
    pub rejects: f64,
    /// The part of the effect on the log odds that recent responses moved since the long counts
    /// (`ln odds` is the long evidence plus this): near 0 while tastes are stable.
    pub change: f64,
}

impl RequestBins {
    /// The bins of this request that moved `model`'s propensity most, strongest first (at most
    /// [`MAX_EXPLAINED_BINS`]).
    pub(crate) fn explain(&self, model: &Model) -> Vec<Evidence> {
        let mut all: Vec<(f64, Evidence)> = model
            .evidence(&self.keys)
            .map(|(i, _, bin)| {
                let effect = self.shares[i] * bin.stat.effect;
                let evidence = Evidence {
                    bin: self.keys[i].key.clone(),
                    odds: libm::exp(effect),
                    accepts: bin.pool.counts[0],
                    rejects: bin.pool.counts[1],
                    change: self.shares[i] * bin.stat.change,
                };
                (effect, evidence)
            })
            .collect();
        all.sort_unstable_by(|a, b| b.0.abs().total_cmp(&a.0.abs()).then(a.1.bin.cmp(&b.1.bin)));
        all.into_iter()
            .take(MAX_EXPLAINED_BINS)
            .map(|(_, e)| e)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::number_bin;

    #[test]
    fn numbers_fall_in_the_documented_bins() {
        let t = [50.0, 200.0, 1000.0];
        assert_eq!(number_bin(10.0, Some(&t)), "(-inf,50)");
        assert_eq!(number_bin(50.0, Some(&t)), "[50,200)");
        assert_eq!(number_bin(999.5, Some(&t)), "[200,1000)");
        assert_eq!(number_bin(1e9, Some(&t)), "[1000,inf)");
        assert_eq!(number_bin(0.5, None), "[0,1)");
        assert_eq!(number_bin(1.0, None), "[1,2)");
        assert_eq!(number_bin(127.9, None), "[64,128)");
        assert_eq!(number_bin(128.0, None), "[128,256)");
        assert_eq!(number_bin(-3.0, None), "-[2,4)");
        assert_eq!(number_bin(-0.0, None), "[0,1)");
        assert_eq!(number_bin(127.99999999999999, None), "[64,128)");
        assert!(number_bin(f64::MAX, None).ends_with(",inf)"));
    }
}
