//! What every maximum-likelihood fit shares: de-duplicated data, the search in log space, the
//! report, and the parameter checks.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::optimize::minimize;
use super::special::{exp, ln};
use super::Summary;
use crate::{Error, ErrorCode};

/// How a fit went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// The maximised log-likelihood.
    pub ln_likelihood: f64,
    /// Simplex iterations.
    pub iterations: u32,
    /// Likelihood evaluations.
    pub evaluations: u32,
    /// Customers the fit used.
    pub customers: usize,
}

/// Fitted parameters and how the fit went.
pub type Fitted<T> = (T, FitReport);

/// Summaries de-duplicated into distinct values with their counts: customers who share a history
/// (every one-time buyer of a cohort day) cost one likelihood term.
pub(crate) struct Weighted {
    distinct: Vec<(Summary, f64)>,
    pub(crate) customers: usize,
}

impl Weighted {
    /// Checks every summary; errors when there are none to fit.
    pub(crate) fn new(summaries: &[Summary]) -> Result<Self, Error> {
        Self::of(summaries.iter().copied(), "customers")
    }

    /// Checks and de-duplicates `summaries`; `what` names them in the error when there are none
    /// (the spend model fits a subset: repeat buyers with a positive spend).
    pub(crate) fn of(summaries: impl Iterator<Item = Summary>, what: &str) -> Result<Self, Error> {
        let mut counts: BTreeMap<(u32, u64, u64, u64), (Summary, f64)> = BTreeMap::new();
        let mut customers = 0;
        for s in summaries {
            s.validate()?;
            customers += 1;
            let key = (
                s.frequency,
                s.recency.to_bits(),
                s.age.to_bits(),
                s.monetary.to_bits(),
            );
            counts.entry(key).or_insert((s, 0.0)).1 += 1.0;
        }
        if customers == 0 {
            return Err(Error::new(
                ErrorCode::InvalidData,
                format!("no {what} to fit the model on"),
            ));
        }
        Ok(Weighted {
            distinct: counts.into_values().collect(),
            customers,
        })
    }

    /// Errors unless someone bought again: without repeat purchases the dropout process (BG/NBD's
    /// `a` and `b`, Pareto/NBD's `s` and `beta`) leaves the likelihood flat, and any value would
    /// be an invention.
    pub(crate) fn require_repeat(&self, model: &str) -> Result<(), Error> {
        if self.distinct.iter().any(|(s, _)| s.frequency > 0) {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::InvalidData,
                format!("{model}: no customer bought twice, so dropout cannot be estimated"),
            ))
        }
    }

    /// `Σ weight · f(summary)`.
    pub(crate) fn sum(&self, f: impl Fn(&Summary) -> f64) -> f64 {
        self.distinct.iter().map(|(s, w)| w * f(s)).sum()
    }

    /// Calls `f(summary, weight, per_frequency(frequency))` for each distinct summary: they are
    /// sorted by frequency, so terms that depend only on it (log-gamma and digamma functions) are
    /// computed once per frequency.
    pub(crate) fn each_by_frequency<T: Copy>(
        &self,
        per_frequency: impl Fn(u32) -> T,
        mut f: impl FnMut(&Summary, f64, T),
    ) {
        let mut cached: Option<(u32, T)> = None;
        for (s, w) in &self.distinct {
            let terms = match cached {
                Some((x, terms)) if x == s.frequency => terms,
                _ => {
                    let terms = per_frequency(s.frequency);
                    cached = Some((s.frequency, terms));
                    terms
                }
            };
            f(s, *w, terms);
        }
    }
}

impl Weighted {
    /// `Σ weight · ll` and `Σ weight · ∇ll` (written to `gradient`), where `each` gives one
    /// summary's log-likelihood and gradient from the terms shared by its frequency.
    pub(crate) fn ln_likelihood_and_gradient<T: Copy, const N: usize>(
        &self,
        per_frequency: impl Fn(u32) -> T,
        each: impl Fn(&Summary, T) -> (f64, [f64; N]),
        gradient: &mut [f64],
    ) -> f64 {
        let (mut total, mut sum) = (0.0, [0.0; N]);
        self.each_by_frequency(per_frequency, |s, w, t| {
            let (ll, d) = each(s, t);
            total += w * ll;
            sum.iter_mut().zip(d).for_each(|(gi, di)| *gi += w * di);
        });
        gradient.copy_from_slice(&sum);
        total
    }
}

/// Maximises a log-likelihood with an analytic gradient over positive parameters: BFGS on their
/// logarithms from `start`. `ln_likelihood(params, gradient)` returns the value and writes the
/// gradient with respect to the parameters.
pub(crate) fn maximize_smooth(
    model: &str,
    names: &[&str],
    start: &[f64],
    customers: usize,
    ln_likelihood: impl Fn(&[f64], &mut [f64]) -> f64,
) -> Result<(Vec<f64>, FitReport), Error> {
    let n = customers.max(1) as f64;
    let mut evaluations = 0u32;
    let mut params = alloc::vec![0.0; start.len()];
    let mut gradient = alloc::vec![0.0; start.len()];
    // The mean negative log-likelihood and its gradient in log space.
    let mut objective = |logs: &[f64], out: &mut [f64]| -> f64 {
        evaluations += 1;
        for (p, l) in params.iter_mut().zip(logs) {
            *p = exp(*l);
        }
        let value = ln_likelihood(&params, &mut gradient);
        for ((o, g), p) in out.iter_mut().zip(&gradient).zip(&params) {
            *o = -g * p / n;
        }
        -value / n
    };
    let from: Vec<f64> = start.iter().map(|p| ln(*p)).collect();
    let found = super::optimize::bfgs(&from, &mut objective);
    let best: Vec<f64> = found.point.iter().map(|l| exp(*l)).collect();
    finish(model, names, best, found, evaluations, customers, n)
}

fn finish(
    model: &str,
    names: &[&str],
    best: Vec<f64>,
    found: super::optimize::Minimum,
    evaluations: u32,
    customers: usize,
    scale: f64,
) -> Result<(Vec<f64>, FitReport), Error> {
    if !found.converged {
        return Err(Error::new(
            ErrorCode::FitFailed,
            format!(
                "{model}: the likelihood did not converge in {} iterations (last parameters {best:?}); the data may not identify the model",
                found.iterations
            ),
        ));
    }
    check_parameters(model, names, &best).map_err(|e| {
        Error::new(
            ErrorCode::FitFailed,
            format!(
                "{model}: the fit ran off to a degenerate point: {}",
                e.message()
            ),
        )
    })?;
    Ok((
        best,
        FitReport {
            ln_likelihood: -found.value * scale,
            iterations: found.iterations,
            evaluations,
            customers,
        },
    ))
}

/// Maximises `ln_likelihood` over positive parameters, searching their logarithms from `start`.
pub(crate) fn maximize(
    model: &str,
    names: &[&str],
    start: &[f64],
    customers: usize,
    ln_likelihood: impl Fn(&[f64]) -> f64,
) -> Result<(Vec<f64>, FitReport), Error> {
    let mut evaluations = 0u32;
    let mut params = alloc::vec![0.0; start.len()];
    let from: Vec<f64> = start.iter().map(|p| ln(*p)).collect();
    let found = minimize(&from, |logs| {
        evaluations += 1;
        for (p, l) in params.iter_mut().zip(logs) {
            *p = exp(*l);
        }
        -ln_likelihood(&params)
    });
    let best: Vec<f64> = found.point.iter().map(|l| exp(*l)).collect();
    finish(model, names, best, found, evaluations, customers, 1.0)
}

/// Every parameter finite and positive (not NaN, not 0, not huge enough to overflow a score).
pub(crate) fn check_parameters(model: &str, names: &[&str], values: &[f64]) -> Result<(), Error> {
    for (name, value) in names.iter().zip(values) {
        if !(value.is_finite() && *value > 1e-12 && *value < 1e12) {
            return Err(Error::new(
                ErrorCode::InvalidModel,
                format!("{model}.{name} is {value}: parameters must be finite numbers between 1e-12 and 1e12"),
            ));
        }
    }
    Ok(())
}
