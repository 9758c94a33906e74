//! The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves";
//! Fader & Hardie, "The Gamma-Gamma model of monetary value", 2013): each transaction's value is
//! Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, independent of the purchase process.

use alloc::vec::Vec;
use core::ops::Range;
use serde::{Deserialize, Serialize};

use super::fit::{self, Fitted};
use super::special::{digamma, ln, ln_gamma, trigamma};
use super::Summary;
use crate::{Error, ErrorCode};

/// Fitted Gamma-Gamma parameters; `gamma` is in major currency units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GammaGamma {
    /// Shape of a transaction's value.
    pub p: f64,
    /// Shape of the customers' scale distribution.
    pub q: f64,
    /// Scale of the customers' scale distribution.
    pub gamma: f64,
}

impl GammaGamma {
    /// The parameters' names, in the order of [`GammaGamma::to_array`].
    pub const NAMES: [&'static str; 3] = ["p", "q", "gamma"];

    /// The parameters as `[p, q, gamma]`.
    pub fn to_array(&self) -> [f64; 3] {
        [self.p, self.q, self.gamma]
    }

    /// Checks that every parameter is finite and positive, and `q > 1`: with `q ≤ 1` the expected
    /// spend is infinite, and every CLV with it.
    pub fn validate(&self) -> Result<(), Error> {
        fit::check_parameters("gamma_gamma", &Self::NAMES, &self.to_array())?;
        if self.q <= 1.0 {
            return Err(Error::new(
                ErrorCode::InvalidModel,
                alloc::format!(
                    "gamma_gamma.q is {}: the expected spend is finite only for q > 1",
                    self.q
                ),
            ));
        }
        Ok(())
    }

    /// Maximum-likelihood fit on the repeat customers (frequency > 0) with a positive average
    /// spend, from default starting values (all parameters 1), by Newton's method with the
    /// analytic gradient and Hessian. Errors without such customers, or
    /// when the fitted `q ≤ 1`.
    pub fn fit(summaries: &[Summary]) -> Result<Fitted<GammaGamma>, Error> {
        let data = Spends::new(summaries)?;
        let from = |p: &[f64]| GammaGamma {
            p: p[0],
            q: p[1],
            gamma: p[2],
        };
        let (p, report) = fit::maximize_smooth(
            "gamma_gamma",
            &Self::NAMES,
            &[1.0; 3],
            data.customers,
            |p, gradient, hessian| data.ln_likelihood(&from(p), gradient, hessian),
        )?;
        let model = from(&p);
        model
            .validate()
            .map_err(|e| Error::new(ErrorCode::FitFailed, e.message()))?;
        Ok((model, report))
    }

    /// The log-likelihood of the repeat customers' average spends.
    pub fn ln_likelihood(&self, summaries: &[Summary]) -> f64 {
        summaries
            .iter()
            .filter(|s| s.frequency > 0 && s.monetary > 0.0)
            .map(|s| self.ln_likelihood_one(s))
            .sum()
    }

    fn ln_likelihood_one(&self, s: &Summary) -> f64 {
        self.ln_likelihood_with(s, self.frequency_terms(s.frequency))
    }

    /// The terms that depend on the frequency alone.
    fn frequency_terms(&self, frequency: u32) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        let x = f64::from(frequency);
        ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q) + q * ln(gamma) + p * x * ln(x)
    }

    fn ln_likelihood_with(&self, s: &Summary, terms: f64) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        let x = f64::from(s.frequency);
        let m = s.monetary;
        terms + (p * x - 1.0) * ln(m) - (p * x + q) * ln(x * m + gamma)
    }

    /// The expected average transaction value of this customer, a weighted mean of the population
    /// mean `pγ/(q-1)` and their own average: `p(γ + x·m) / (p·x + q - 1)`.
    pub fn expected_spend(&self, s: &Summary) -> f64 {
        let x = f64::from(s.frequency);
        self.p * (self.gamma + x * s.monetary) / (self.p * x + self.q - 1.0)
    }
}

/// The repeat customers with a positive spend, grouped for the likelihood: per frequency `x`, the
/// terms in `x` alone are taken once and `Σ ln m` is a constant, which leaves one logarithm per
/// distinct `(x, m)`, for `ln(x·m + γ)`.
struct Spends {
    customers: usize,
    /// Distinct frequencies: `x`, customers, `Σ ln m`, and where their `x·m` are in `totals`.
    frequencies: Vec<(f64, f64, f64, Range<usize>)>,
    /// Distinct `x·m` per frequency, and their customers.
    totals: Vec<(f64, f64)>,
}

impl Spends {
    /// Checks and groups the repeat customers with a positive spend; errors without any.
    fn new(summaries: &[Summary]) -> Result<Self, Error> {
        let mut keys = Vec::new();
        for s in summaries
            .iter()
            .filter(|s| s.frequency > 0 && s.monetary > 0.0)
        {
            s.validate()?;
            keys.push((s.frequency, s.monetary.to_bits()));
        }
        if keys.is_empty() {
            return Err(fit::nothing_to_fit(
                "repeat customers with a positive spend",
            ));
        }
        // Bit patterns of positive floats sort as the floats do.
        keys.sort_unstable();
        let (mut frequencies, mut totals): (Vec<_>, Vec<(f64, f64)>) = (Vec::new(), Vec::new());
        for (i, &(x, m)) in keys.iter().enumerate() {
            let (x, m) = (f64::from(x), f64::from_bits(m));
            if i == 0 || keys[i - 1].0 != keys[i].0 {
                frequencies.push((x, 0.0, 0.0, totals.len()..totals.len()));
            }
            if i > 0 && keys[i - 1] == keys[i] {
                if let Some(last) = totals.last_mut() {
                    last.1 += 1.0;
                }
            } else {
                totals.push((x * m, 1.0));
            }
            if let Some(f) = frequencies.last_mut() {
                f.1 += 1.0;
                f.2 += ln(m);
                f.3.end = totals.len();
            }
        }
        Ok(Spends {
            customers: keys.len(),
            frequencies,
            totals,
        })
    }

    /// The log-likelihood under `m`, with its gradient and row-major Hessian with respect to
    /// `(p, q, gamma)` written to `gradient` and `hessian`. Per customer
    /// `ll = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q·ln γ + px·ln x + (px−1)·ln m − (px+q)·ln(x·m + γ)`.
    fn ln_likelihood(&self, m: &GammaGamma, gradient: &mut [f64], hessian: &mut [f64]) -> f64 {
        let GammaGamma { p, q, gamma } = *m;
        let (mut value, mut g, mut h) = (0.0, [0.0; 3], [[0.0; 3]; 3]);
        let (lg_q, dg_q, tg_q, ln_gamma_scale) = (ln_gamma(q), digamma(q), trigamma(q), ln(gamma));
        for (x, n, sum_ln_m, range) in &self.frequencies {
            let (x, n, sum_ln_m) = (*x, *n, *sum_ln_m);
            // Σ ln(x·m + γ), Σ 1/(x·m + γ) and Σ 1/(x·m + γ)² over this frequency's customers.
            let (mut sum_ln, mut sum_inv, mut sum_inv2) = (0.0, 0.0, 0.0);
            for &(total, w) in &self.totals[range.clone()] {
                let u = 1.0 / (total + gamma);
                sum_ln += w * ln(total + gamma);
                sum_inv += w * u;
                sum_inv2 += w * u * u;
            }
            let (px, ln_x) = (p * x, ln(x));
            let c = px + q;
            let (dg_c, tg_c) = (digamma(c), trigamma(c));
            value += n * (ln_gamma(c) - ln_gamma(px) - lg_q + q * ln_gamma_scale + px * ln_x)
                + (px - 1.0) * sum_ln_m
                - c * sum_ln;
            g[0] += n * x * (dg_c - digamma(px) + ln_x) + x * (sum_ln_m - sum_ln);
            g[1] += n * (dg_c - dg_q + ln_gamma_scale) - sum_ln;
            g[2] += n * q / gamma - c * sum_inv;
            h[0][0] += n * x * x * (tg_c - trigamma(px));
            h[0][1] += n * x * tg_c;
            h[0][2] -= x * sum_inv;
            h[1][1] += n * (tg_c - tg_q);
            h[1][2] += n / gamma - sum_inv;
            h[2][2] += c * sum_inv2 - n * q / (gamma * gamma);
        }
        gradient.copy_from_slice(&g);
        for i in 0..3 {
            for j in 0..3 {
                hessian[i * 3 + j] = if j >= i { h[i][j] } else { h[j][i] };
            }
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spends() -> Vec<Summary> {
        let s = |frequency, monetary| Summary {
            frequency,
            recency: 1.0,
            age: 2.0,
            monetary,
        };
        let mut all = alloc::vec![s(1, 12.0), s(1, 12.0), s(1, 30.5), s(2, 8.0), s(2, 41.0)];
        all.extend([s(5, 19.9), s(5, 19.9), s(0, 0.0), s(3, 0.0), s(9, 64.0)]);
        all
    }

    fn at(v: &[f64]) -> GammaGamma {
        GammaGamma {
            p: v[0],
            q: v[1],
            gamma: v[2],
        }
    }

    #[test]
    fn the_grouped_likelihood_is_the_sum_over_customers() {
        let data = spends();
        let grouped = Spends::new(&data).unwrap();
        assert_eq!(grouped.customers, 8);
        for v in [[6.25, 3.74, 15.44], [0.3, 1.5, 200.0], [1.0; 3]] {
            let (mut g, mut h) = ([0.0; 3], [0.0; 9]);
            let got = grouped.ln_likelihood(&at(&v), &mut g, &mut h);
            let want = at(&v).ln_likelihood(&data);
            assert!(
                (got - want).abs() < 1e-11 * want.abs(),
                "{v:?}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn the_gradient_and_hessian_are_the_derivatives() {
        let grouped = Spends::new(&spends()).unwrap();
        let v = [2.5, 3.0, 11.0];
        let (mut g, mut h) = ([0.0; 3], [0.0; 9]);
        grouped.ln_likelihood(&at(&v), &mut g, &mut h);
        for i in 0..3 {
            let step = 1e-6 * v[i];
            let (mut up, mut down) = (v, v);
            up[i] += step;
            down[i] -= step;
            let (mut g_up, mut g_down, mut scratch) = ([0.0; 3], [0.0; 3], [0.0; 9]);
            let v_up = grouped.ln_likelihood(&at(&up), &mut g_up, &mut scratch);
            let v_down = grouped.ln_likelihood(&at(&down), &mut g_down, &mut scratch);
            let numeric = (v_up - v_down) / (2.0 * step);
            assert!((numeric - g[i]).abs() < 1e-6 * g[i].abs().max(1.0), "∂{i}");
            for j in 0..3 {
                let numeric = (g_up[j] - g_down[j]) / (2.0 * step);
                let got = h[j * 3 + i];
                assert!(
                    (numeric - got).abs() < 1e-5 * got.abs().max(1.0),
                    "∂{i}∂{j}: {numeric} vs {got}"
                );
            }
        }
    }
}
