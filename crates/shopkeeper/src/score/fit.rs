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
    /// Iterations of the search (simplex or Newton steps).
    pub iterations: u32,
    /// Likelihood evaluations.
    pub evaluations: u32,
    /// Customers the fit used.
    pub customers: usize,
}

/// Fitted parameters and how the fit went.
pub type Fitted<T> = (T, FitReport);

/// Summaries de-duplicated into distinct (frequency, recency, age) with their counts: customers who
/// share a history (every one-time buyer of a cohort day) cost one likelihood term.
pub(crate) struct Weighted {
    distinct: Vec<(Summary, f64)>,
    pub(crate) customers: usize,
}

impl Weighted {
    /// Checks and de-duplicates every summary; errors when there are none to fit.
    pub(crate) fn new(summaries: &[Summary]) -> Result<Self, Error> {
        let mut counts: BTreeMap<(u32, u64, u64), (Summary, f64)> = BTreeMap::new();
        for s in summaries {
            s.validate()?;
            let key = (s.frequency, s.recency.to_bits(), s.age.to_bits());
            counts.entry(key).or_insert((*s, 0.0)).1 += 1.0;
        }
        if summaries.is_empty() {
            return Err(nothing_to_fit("customers"));
        }
        Ok(Weighted {
            distinct: counts.into_values().collect(),
            customers: summaries.len(),
        })
    }

    /// Errors unless someone bought again (see [`no_repeat_purchase`]).
    pub(crate) fn require_repeat(&self, model: &str) -> Result<(), Error> {
        if self.distinct.iter().any(|(s, _)| s.frequency > 0) {
            Ok(())
        } else {
            Err(no_repeat_purchase(model))
        }
    }

    /// `Σ weight · f(summary)`.
    pub(crate) fn sum(&self, f: impl Fn(&Summary) -> f64) -> f64 {
        self.distinct.iter().map(|(s, w)| w * f(s)).sum()
    }
}

/// The error for a population without a repeat purchase: the dropout process (BG/NBD's `a` and
/// `b`, Pareto/NBD's `s` and `beta`) then leaves the likelihood flat, and any value would be an
/// invention.
pub(crate) fn no_repeat_purchase(model: &str) -> Error {
    Error::new(
        ErrorCode::InvalidData,
        format!("{model}: no customer bought twice, so dropout cannot be estimated"),
    )
}

/// The error for a fit without data; `what` names the data it needs.
pub(crate) fn nothing_to_fit(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidData,
        format!("no {what} to fit the model on"),
    )
}

/// Maximises a log-likelihood with analytic gradient and Hessian over positive parameters: Newton's
/// method on their logarithms from `start`. `ln_likelihood(params, gradient, hessian)` returns the
/// value and writes the gradient and the row-major Hessian with respect to the parameters.
pub(crate) fn maximize_smooth(
    model: &str,
    names: &[&str],
    start: &[f64],
    customers: usize,
    ln_likelihood: impl Fn(&[f64], &mut [f64], &mut [f64]) -> f64,
) -> Result<(Vec<f64>, FitReport), Error> {
    let n = customers.max(1) as f64;
    let k = start.len();
    let mut evaluations = 0u32;
    let mut params = alloc::vec![0.0; k];
    let (mut gradient, mut hessian) = (alloc::vec![0.0; k], alloc::vec![0.0; k * k]);
    // The mean negative log-likelihood, its gradient and Hessian in log space: with `p = e^l`,
    // `∂/∂l_i = p_i·∂/∂p_i` and `∂²/∂l_i∂l_j = p_i·p_j·∂²/∂p_i∂p_j + δ_ij·p_i·∂/∂p_i`.
    let mut objective = |logs: &[f64], out: &mut [f64], out_hessian: &mut [f64]| -> f64 {
        evaluations += 1;
        for (p, l) in params.iter_mut().zip(logs) {
            *p = exp(*l);
        }
        let value = ln_likelihood(&params, &mut gradient, &mut hessian);
        for i in 0..k {
            out[i] = -gradient[i] * params[i] / n;
            for j in 0..k {
                let diagonal = if i == j { gradient[i] * params[i] } else { 0.0 };
                out_hessian[i * k + j] =
                    -(hessian[i * k + j] * params[i] * params[j] + diagonal) / n;
            }
        }
        -value / n
    };
    let from: Vec<f64> = start.iter().map(|p| ln(*p)).collect();
    let found = super::optimize::newton(&from, &mut objective);
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
