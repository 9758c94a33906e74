//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): while alive, a customer buys at a
//! Poisson rate λ ~ Gamma(r, α) and lives an exponential lifetime with rate μ ~ Gamma(s, β).
//! Formulas after Fader & Hardie, "A note on deriving the Pareto/NBD model and related expressions"
//! (2005), in log space.

use serde::{Deserialize, Serialize};

use super::fit::{self, Fitted, Weighted};
use super::special::{
    exp, ln, ln_1p, ln_add_exp, ln_gamma, ln_hyp2f1_a_b_a1, one_minus_exp_over,
    one_over_one_plus_exp,
};
use super::Summary;
use crate::Error;

/// Fitted Pareto/NBD parameters, rates in the model's time unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbd {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Scale of the purchase-rate distribution.
    pub alpha: f64,
    /// Shape of the dropout-rate distribution.
    pub s: f64,
    /// Scale of the dropout-rate distribution.
    pub beta: f64,
}

impl ParetoNbd {
    /// The parameters' names, in the order of [`ParetoNbd::to_array`].
    pub const NAMES: [&'static str; 4] = ["r", "alpha", "s", "beta"];

    /// The parameters as `[r, alpha, s, beta]`.
    pub fn to_array(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    /// Checks that every parameter is finite and positive.
    pub fn validate(&self) -> Result<(), Error> {
        fit::check_parameters("pareto_nbd", &Self::NAMES, &self.to_array())
    }

    /// Maximum-likelihood fit from default starting values (all parameters 1).
    pub fn fit(summaries: &[Summary]) -> Result<Fitted<ParetoNbd>, Error> {
        let data = Weighted::new(summaries)?;
        data.require_repeat("pareto_nbd")?;
        let from = |p: &[f64]| ParetoNbd {
            r: p[0],
            alpha: p[1],
            s: p[2],
            beta: p[3],
        };
        let (p, report) =
            fit::maximize("pareto_nbd", &Self::NAMES, &[1.0; 4], data.customers, |p| {
                let model = from(p);
                data.sum(|s| model.ln_likelihood_one(s).unwrap_or(f64::NEG_INFINITY))
            })?;
        Ok((from(&p), report))
    }

    /// The log-likelihood of the summaries; `None` if a hypergeometric series does not converge.
    pub fn ln_likelihood(&self, summaries: &[Summary]) -> Option<f64> {
        summaries.iter().map(|s| self.ln_likelihood_one(s)).sum()
    }

    /// `ln A₀` of the note's equation (19): the difference of two hypergeometric terms, taken in
    /// log space; `-∞` when recency equals age.
    fn ln_a0(&self, s: &Summary) -> Option<f64> {
        let ParetoNbd {
            r,
            alpha,
            s: shape,
            beta,
        } = *self;
        let x = f64::from(s.frequency);
        let rsx = r + shape + x;
        let (hi, lo, b) = if alpha >= beta {
            (alpha, beta, shape + 1.0)
        } else {
            (beta, alpha, r + x)
        };
        let term = |t: f64| -> Option<f64> {
            Some(ln_hyp2f1_a_b_a1(rsx, b, (hi - lo) / (hi + t))? - rsx * ln(hi + t))
        };
        let (at_recency, at_age) = (term(s.recency)?, term(s.age)?);
        if at_age >= at_recency {
            return Some(f64::NEG_INFINITY);
        }
        Some(at_recency + ln_1p(-exp(at_age - at_recency)))
    }

    fn ln_likelihood_one(&self, s: &Summary) -> Option<f64> {
        let ParetoNbd {
            r,
            alpha,
            s: shape,
            beta,
        } = *self;
        let x = f64::from(s.frequency);
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * ln(alpha) + shape * ln(beta);
        let alive = -(r + x) * ln(alpha + s.age) - shape * ln(beta + s.age);
        let gone = ln(shape) - ln(r + shape + x) + self.ln_a0(s)?;
        Some(a1 + ln_add_exp(alive, gone))
    }

    /// The probability that the customer is still alive (the note's equation 18); `None` if a
    /// hypergeometric series does not converge.
    pub fn p_alive(&self, s: &Summary) -> Option<f64> {
        let ParetoNbd {
            r,
            alpha,
            s: shape,
            beta,
        } = *self;
        let x = f64::from(s.frequency);
        let ln_odds = ln(shape) - ln(r + shape + x)
            + (r + x) * ln(alpha + s.age)
            + shape * ln(beta + s.age)
            + self.ln_a0(s)?;
        Some(one_over_one_plus_exp(ln_odds))
    }

    /// Expected purchases in the next `t` time units, given the history (the note's equation 22):
    /// `P(alive)·(r+x)(β+T)/((α+T)(s-1))·(1 - ((β+T)/(β+T+t))^(s-1))`, with the `s → 1` limit
    /// taken analytically.
    pub fn expected_purchases(&self, s: &Summary, t: f64) -> Option<f64> {
        if t <= 0.0 {
            return Some(0.0);
        }
        let ParetoNbd {
            r,
            alpha,
            s: shape,
            beta,
        } = *self;
        let x = f64::from(s.frequency);
        let growth = one_minus_exp_over(shape - 1.0, ln_1p(t / (beta + s.age)));
        let expected = self.p_alive(s)? * (r + x) * (beta + s.age) / (alpha + s.age) * growth;
        expected.is_finite().then_some(expected.max(0.0))
    }
}
