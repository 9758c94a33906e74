//! Off-policy evaluation: how a candidate policy (another catalog, another learner) would have
//! done on decisions a logging policy made, from the logs alone.
//!
//! Each logged decision gives the probability the logging policy had of showing what it showed
//! (`logging`, from the receipt), the probability the candidate policy would have shown the same
//! thing in the same situation (`target`), and the reward observed (a click, an accept: 0 or 1, or
//! any number). Inverse propensity weighting reweights each reward by `w = target / logging`:
//!
//! - **IPW**: `V = mean(w r)`, unbiased when every logging probability is right and positive where
//!   the target's is; its standard error is the sample standard deviation of `w r` over `sqrt(n)`.
//! - **Self-normalised IPW**: `V = sum(w r) / sum(w)`, slightly biased, much less variance when the
//!   weights are large; its standard error is the delta method's `sqrt(sum(w^2 (r - V)^2)) / sum(w)`.
//!
//! Intervals are `V ± z SE` (normal approximation; `z = 1.96` for 95%). The effective sample size
//! `(sum w)^2 / sum(w^2)` says how many logged decisions the estimate is really worth.

use alloc::format;

use crate::{Error, ErrorCode};

/// One logged decision, as evaluation reads it (its JSON: `{"logging", "target", "reward"}`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Logged {
    /// The logging policy's probability of what it showed, in (0, 1].
    pub logging: f64,
    /// The candidate policy's probability of showing the same, in [0, 1].
    pub target: f64,
    /// What happened: 1 for an accept or a click, 0 otherwise (any finite number works).
    pub reward: f64,
}

/// An estimate of a policy's value with its uncertainty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The estimated value per decision (the accept or click rate, for 0/1 rewards).
    pub value: f64,
    /// Its standard error.
    pub std_error: f64,
    /// The interval's low end.
    pub low: f64,
    /// The interval's high end.
    pub high: f64,
    /// `(sum w)^2 / sum(w^2)`: the number of decisions the estimate is worth.
    pub effective_sample_size: f64,
    /// Logged decisions read.
    pub n: usize,
}

/// The IPW estimate of the target policy's value, with a `z`-standard-error interval.
pub fn ipw(logs: &[Logged], z: f64) -> Result<Estimate, Error> {
    let (n, sums) = sums(logs, z)?;
    let nf = n as f64;
    let value = sums.wr / nf;
    let variance = if n > 1 {
        ((sums.wr2 - nf * value * value) / (nf - 1.0)).max(0.0)
    } else {
        0.0
    };
    Ok(estimate(value, libm::sqrt(variance / nf), z, &sums, n))
}

/// The self-normalised IPW estimate, with a `z`-standard-error interval (delta method). Fails
/// when no logged decision has a positive weight (the target never shows what was logged).
pub fn snipw(logs: &[Logged], z: f64) -> Result<Estimate, Error> {
    let (n, sums) = sums(logs, z)?;
    if sums.w <= 0.0 {
        return Err(Error::new(
            ErrorCode::InvalidData,
            "the target policy gives no logged decision a positive probability",
        ));
    }
    let value = sums.wr / sums.w;
    let spread: f64 = logs
        .iter()
        .map(|l| {
            let w = l.target / l.logging;
            let d = w * (l.reward - value);
            d * d
        })
        .sum();
    Ok(estimate(value, libm::sqrt(spread) / sums.w, z, &sums, n))
}

struct Sums {
    w: f64,
    w2: f64,
    wr: f64,
    wr2: f64,
}

fn sums(logs: &[Logged], z: f64) -> Result<(usize, Sums), Error> {
    if logs.is_empty() {
        return Err(Error::new(ErrorCode::InvalidData, "no logged decisions"));
    }
    if !(z.is_finite() && z >= 0.0) {
        return Err(Error::new(
            ErrorCode::InvalidNumber,
            format!("z is a number >= 0, got {z}"),
        ));
    }
    let mut s = Sums {
        w: 0.0,
        w2: 0.0,
        wr: 0.0,
        wr2: 0.0,
    };
    for (i, l) in logs.iter().enumerate() {
        let ok = l.logging > 0.0
            && l.logging <= 1.0
            && (0.0..=1.0).contains(&l.target)
            && l.reward.is_finite();
        if !ok {
            return Err(Error::new(
                ErrorCode::InvalidData,
                format!(
                    "logged decision {i}: the logging probability must be in (0, 1], the target's in [0, 1], the reward finite (got {}, {}, {})",
                    l.logging, l.target, l.reward
                ),
            ));
        }
        let w = l.target / l.logging;
        s.w += w;
        s.w2 += w * w;
        s.wr += w * l.reward;
        s.wr2 += w * l.reward * w * l.reward;
    }
    Ok((logs.len(), s))
}

fn estimate(value: f64, std_error: f64, z: f64, sums: &Sums, n: usize) -> Estimate {
    Estimate {
        value,
        std_error,
        low: value - z * std_error,
        high: value + z * std_error,
        effective_sample_size: if sums.w2 > 0.0 {
            sums.w * sums.w / sums.w2
        } else {
            0.0
        },
        n,
    }
}
