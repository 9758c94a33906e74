//! The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves";
//! Fader & Hardie, "The Gamma-Gamma model of monetary value", 2013): each transaction's value is
//! Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, independent of the purchase process.

use serde::{Deserialize, Serialize};

use super::fit::{self, Fitted, Weighted};
use super::special::{digamma, ln, ln_gamma};
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
    /// spend, from default starting values (all parameters 1). Errors without such customers, or
    /// when the fitted `q ≤ 1`.
    pub fn fit(summaries: &[Summary]) -> Result<Fitted<GammaGamma>, Error> {
        let repeat = summaries
            .iter()
            .copied()
            .filter(|s| s.frequency > 0 && s.monetary > 0.0);
        let data = Weighted::of(repeat, "repeat customers with a positive spend")?;
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
            |p, gradient| {
                let model = from(p);
                data.ln_likelihood_and_gradient(
                    |x| model.frequency_gradient_terms(x),
                    |s, t| model.ln_likelihood_and_gradient(s, t),
                    gradient,
                )
            },
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

    /// Per frequency: the likelihood's terms that depend on it alone, and the digamma parts of
    /// `∂/∂p` and `∂/∂q`.
    fn frequency_gradient_terms(&self, frequency: u32) -> [f64; 3] {
        let GammaGamma { p, q, .. } = *self;
        let x = f64::from(frequency);
        let shared = digamma(p * x + q);
        [
            self.frequency_terms(frequency),
            x * (shared - digamma(p * x) + ln(x)),
            shared - digamma(q),
        ]
    }

    /// One customer's log-likelihood and its gradient with respect to `(p, q, gamma)`.
    fn ln_likelihood_and_gradient(
        &self,
        s: &Summary,
        [terms, dp, dq]: [f64; 3],
    ) -> (f64, [f64; 3]) {
        let GammaGamma { p, q, gamma } = *self;
        let x = f64::from(s.frequency);
        let (ln_m, total) = (ln(s.monetary), x * s.monetary + gamma);
        let ln_total = ln(total);
        (
            self.ln_likelihood_with(s, terms),
            [
                dp + x * ln_m - x * ln_total,
                dq + ln(gamma) - ln_total,
                q / gamma - (p * x + q) / total,
            ],
        )
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
