//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while
//! alive, a customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
//! probability p ~ Beta(a, b).

use serde::{Deserialize, Serialize};

use super::bgnbd_fit::Population;
use super::fit::{self, Fitted};
use super::special::{
    exp, ln, ln_add_exp, ln_gamma, one_minus_exp_over, one_over_one_plus_exp, power_series,
};
use super::Summary;
use crate::Error;

/// Fitted BG/NBD parameters, rates in the model's time unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BgNbd {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Scale of the purchase-rate distribution (in time units).
    pub alpha: f64,
    /// First shape of the dropout-probability distribution.
    pub a: f64,
    /// Second shape of the dropout-probability distribution.
    pub b: f64,
}

impl BgNbd {
    /// The parameters' names, in the order of [`BgNbd::to_array`].
    pub const NAMES: [&'static str; 4] = ["r", "alpha", "a", "b"];

    /// The parameters as `[r, alpha, a, b]`.
    pub fn to_array(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    /// Checks that every parameter is finite and positive.
    pub fn validate(&self) -> Result<(), Error> {
        fit::check_parameters("bgnbd", &Self::NAMES, &self.to_array())
    }

    /// Maximum-likelihood fit from default starting values (all parameters 1), by Newton's method
    /// with the likelihood's analytic gradient and Hessian, over customers grouped by their
    /// summaries (each term computed once per distinct value it depends on).
    pub fn fit(summaries: &[Summary]) -> Result<Fitted<BgNbd>, Error> {
        let data = Population::new(summaries)?;
        let from = |p: &[f64]| BgNbd {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
        };
        fit::maximize_smooth(
            "bgnbd",
            &Self::NAMES,
            &[1.0; 4],
            data.customers,
            |p, gradient, hessian| data.ln_likelihood(&from(p), gradient, hessian),
        )
        .map(|(p, report)| (from(&p), report))
    }

    /// The log-likelihood of the summaries under these parameters.
    pub fn ln_likelihood(&self, summaries: &[Summary]) -> f64 {
        summaries.iter().map(|s| self.ln_likelihood_one(s)).sum()
    }

    /// One customer's log-likelihood (FHL 2005, equation 6, in log space): the formula the fit's
    /// grouped sums must add up to.
    fn ln_likelihood_one(&self, s: &Summary) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let x = f64::from(s.frequency);
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * ln(alpha);
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        let a3 = -(r + x) * ln(alpha + s.age);
        let a4 = if s.frequency > 0 {
            ln(a) - ln(b + x - 1.0) - (r + x) * ln(alpha + s.recency)
        } else {
            f64::NEG_INFINITY
        };
        a1 + a2 + ln_add_exp(a3, a4)
    }

    /// `ln` of the odds that the customer has dropped out: `δ(x>0)·a/(b+x-1)·((α+T)/(α+t_x))^(r+x)`.
    fn ln_dropout_odds(&self, s: &Summary) -> f64 {
        if s.frequency == 0 {
            return f64::NEG_INFINITY;
        }
        let x = f64::from(s.frequency);
        ln(self.a) - ln(self.b + x - 1.0)
            + (self.r + x) * (ln(self.alpha + s.age) - ln(self.alpha + s.recency))
    }

    /// The probability that the customer is still alive (FHL 2005 appendix; 1 without repeats, as
    /// dropout happens only after a purchase).
    pub fn p_alive(&self, s: &Summary) -> f64 {
        one_over_one_plus_exp(self.ln_dropout_odds(s))
    }

    /// Expected purchases in the next `t` time units, given the history (FHL 2005, equation 10).
    ///
    /// The Gaussian hypergeometric term goes through Euler's transformation,
    /// `(1-z)^(r+x)·₂F₁(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1)·₂F₁(a+b-1-r, a-1; a+b+x-1; z)`, whose
    /// series converges fast for large `x` (the untransformed one does not), and the factor
    /// `1/(a-1)` is divided out analytically, so `a` near 1 is not a 0/0.
    /// `None` only if the series does not converge (a horizon within 1e-5 of infinity relative to
    /// the customer's age).
    pub fn expected_purchases(&self, s: &Summary, t: f64) -> Option<f64> {
        if t <= 0.0 {
            return Some(0.0);
        }
        let BgNbd { r, alpha, a, b } = *self;
        let x = f64::from(s.frequency);
        let c = a + b + x - 1.0;
        let big_a = a + b - 1.0 - r;
        let z = t / (alpha + s.age + t);
        let l = -super::special::ln_1p(-z);
        // Σ_{n≥1} (A)_n (a)_{n-1} / ((c)_n n!) z^n: the hypergeometric series minus 1, over (a-1).
        let first = big_a / c * z;
        let tail = power_series(first, z, |n| {
            let m = n + 1.0;
            (big_a + m) * (a + m - 1.0) / ((c + m) * (m + 1.0)) * z
        })?;
        // (1 - (1-z)^(a-1)·F) / (a-1), with F = 1 + (a-1)·tail.
        let one_minus = one_minus_exp_over(a - 1.0, l) - exp(-(a - 1.0) * l) * tail;
        let expected = c * one_minus * one_over_one_plus_exp(self.ln_dropout_odds(s));
        // Rounding can leave a tiny negative for tiny horizons.
        expected.is_finite().then_some(expected.max(0.0))
    }

    /// Expected purchases in `t` time units by a new customer (FHL 2005, equation 7).
    pub fn expected_purchases_new(&self, t: f64) -> Option<f64> {
        self.expected_purchases(&Summary::default(), t)
    }
}
