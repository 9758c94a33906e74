//! An offer's budget and the catalog's pacing: how much of a budget may be spent by a time, and
//! the chance that an offer passes the throttle then (`spec/catalog.md`, "Budgets and pacing").
//! Pure functions of the budget, what was spent and the time, so every binding reproduces them
//! bit for bit.

use core::fmt;

use serde::Serialize;

use crate::random::mix;
use crate::time::{format_duration as duration, format_utc};
use crate::Timestamp;

/// Periods are aligned to Monday 1970-01-05 00:00 UTC: a day's period starts at midnight UTC,
/// an hour's on the hour, a week's on Monday.
pub const PERIOD_ANCHOR: Timestamp = 345_600;
/// Shortest budget period: one minute.
pub const MIN_PERIOD: Timestamp = 60;
/// Longest budget period: 31 days.
pub const MAX_PERIOD: Timestamp = 31 * 86_400;
/// Largest budget, in shows or accepts per period.
pub const MAX_BUDGET: u64 = 1_000_000_000;
/// How far even pacing runs ahead of its plan when the catalog does not say: 1/24 of the period
/// (an hour of a day).
pub const DEFAULT_AHEAD: f64 = 1.0 / 24.0;

/// The salt of the throttle's draw, so that it is independent of tie-breaks and adaptive draws
/// under the same seed ("pacing" in ASCII).
const THROTTLE_SALT: u64 = 0x7061_6369_6e67;

/// What a budget counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// `offer_shown` events.
    Shows,
    /// `offer_accepted` events.
    Accepts,
}

impl Limit {
    /// The JSON name: `shows` or `accepts`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Limit::Shows => "shows",
            Limit::Accepts => "accepts",
        }
    }
}

/// An offer's budget: at most `max` shows or accepts per period of `per` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Budget {
    /// What it counts.
    pub limit: Limit,
    /// How many per period, at least 1.
    pub max: u64,
    /// The period, in seconds, from [`MIN_PERIOD`] to [`MAX_PERIOD`].
    pub per: Timestamp,
}

impl Budget {
    /// A budget; `None` when `max` or `per` is out of range.
    pub fn new(limit: Limit, max: u64, per: Timestamp) -> Option<Budget> {
        let fits = (1..=MAX_BUDGET).contains(&max) && (MIN_PERIOD..=MAX_PERIOD).contains(&per);
        fits.then_some(Budget { limit, max, per })
    }

    /// The start of the period that holds `at`: [`PERIOD_ANCHOR`] plus a whole number of
    /// periods.
    pub fn period_start(&self, at: Timestamp) -> Timestamp {
        // Clamped far outside any valid time, so no input overflows.
        let at = at.clamp(i64::MIN / 4, i64::MAX / 4);
        PERIOD_ANCHOR + (at - PERIOD_ANCHOR).div_euclid(self.per) * self.per
    }
}

/// How a catalog spreads its offers' budgets over their periods (`"pacing"`).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Pacing {
    /// Spend as demand comes until the budget is spent (`{"rule": "asap"}`).
    Asap,
    /// Follow the even plan, `max × elapsed / per`, running ahead of it by at most `ahead` of the
    /// period's budget (`{"rule": "even", "ahead": 0.05}`; the default, with `ahead` 1/24).
    Even {
        /// In `(0, 1]`.
        ahead: f64,
    },
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing::Even {
            ahead: DEFAULT_AHEAD,
        }
    }
}

/// Where a budget stands at a time, and the chance that its offer passes the throttle: what a
/// receipt states when the budget drops the offer.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Pace {
    /// The budget.
    pub budget: Budget,
    /// Spent in the current period.
    pub spent: u64,
    /// The most the pacing allows to be spent by now.
    pub allowed: f64,
    /// The chance that the offer passes: 1 open, 0 held back (spent, or a whole lead ahead of
    /// the plan), in between throttled.
    pub probability: f64,
    /// When the period ends and the budget renews.
    pub until: Timestamp,
}

impl Pace {
    /// Whether the whole budget of the period is spent.
    pub fn is_spent(&self) -> bool {
        self.spent >= self.budget.max
    }
}

impl Pacing {
    /// Where `budget` stands at `now` with `spent` counted in the period that holds `now`.
    ///
    /// `asap`: the offer passes while `spent < max`. `even`: with `f` the share of the period
    /// elapsed and the lead `l = min(ahead, 1 − f)` (`1 − f` computed as the seconds left over `per`), the pacing allows `allowed = max × (f + l)`
    /// (`max` itself once `ahead ≥ 1 − f`) and the offer passes with probability `clamp((allowed − spent) / (max × l), 0, 1)`: 1
    /// while spending is at or behind the plan `max × f`, falling to 0 as it runs a whole lead
    /// ahead, so spending tracks the plan when demand outruns the budget. In both, 0 once
    /// `spent ≥ max`.
    pub fn pace(&self, budget: Budget, spent: u64, now: Timestamp) -> Pace {
        let start = budget.period_start(now);
        let max = budget.max as f64;
        let (allowed, open) = match *self {
            Pacing::Asap => (max, 1.0),
            Pacing::Even { ahead } => {
                let per = budget.per as f64;
                let elapsed = (now - start) as f64 / per;
                // Near the period's end the lead is what is left, and the whole budget allowed.
                let left = (start + budget.per - now) as f64 / per;
                let (allowed, lead) = match ahead < left {
                    true => (max * (elapsed + ahead), ahead),
                    false => (max, left),
                };
                (
                    allowed,
                    ((allowed - spent as f64) / (max * lead)).clamp(0.0, 1.0),
                )
            }
        };
        Pace {
            budget,
            spent,
            allowed,
            probability: if spent >= budget.max { 0.0 } else { open },
            until: start + budget.per,
        }
    }
}

/// The throttle's uniform draw in `[0, 1)` for an offer (its id's FNV-1a hash) under a seed:
/// `mix(mix(seed ^ id_hash) ^ 0x7061_6369_6e67) >> 11`, over 2^53. The offer passes when it is
/// below the pace's probability.
pub fn throttle_place(seed: u64, id_hash: u64) -> f64 {
    let bits = mix(mix(seed ^ id_hash) ^ THROTTLE_SALT) >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// Whether an offer held back with `probability` passes under `seed`.
pub(crate) fn passes(seed: u64, id_hash: u64, probability: f64) -> bool {
    probability >= 1.0 || throttle_place(seed, id_hash) < probability
}

impl fmt::Display for Pace {
    /// The reason, as a receipt states it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Budget { limit, max, per } = self.budget;
        if self.is_spent() {
            return write!(
                f,
                "budget spent: {} of {max} {} per {} (renews {})",
                self.spent,
                limit.as_str(),
                duration(per),
                format_utc(self.until)
            );
        }
        write!(
            f,
            "paced: {} of {max} {} per {} spent, {} allowed by now; passes with probability {}",
            self.spent,
            limit.as_str(),
            duration(per),
            libm::floor(self.allowed),
            self.probability
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Timestamp = 86_400;
    const HOUR: Timestamp = 3_600;

    #[test]
    fn periods_start_at_midnight_and_on_mondays() {
        let day = Budget::new(Limit::Accepts, 500, DAY).unwrap();
        // 2026-12-01T10:00:00Z
        assert_eq!(day.period_start(1_796_119_200), 1_796_083_200);
        let week = Budget::new(Limit::Shows, 5, 7 * DAY).unwrap();
        // Monday 2026-11-30.
        assert_eq!(week.period_start(1_796_119_200), 1_796_083_200 - DAY);
        assert_eq!(day.period_start(0), 0);
        // Far out of range: no overflow.
        assert!(day.period_start(i64::MIN) < 0 && day.period_start(i64::MAX) > 0);
        assert!(Budget::new(Limit::Shows, 0, DAY).is_none());
        assert!(Budget::new(Limit::Shows, 1, 59).is_none());
    }

    #[test]
    fn even_pacing_follows_the_plan() {
        let budget = Budget::new(Limit::Accepts, 480, DAY).unwrap();
        let even = Pacing::default();
        let noon = PERIOD_ANCHOR + DAY / 2;
        // Half the day: 240 planned, 20 more allowed ahead.
        let at_plan = even.pace(budget, 240, noon);
        assert_eq!(at_plan.allowed, 260.0);
        assert_eq!(at_plan.probability, 1.0);
        assert_eq!(even.pace(budget, 250, noon).probability, 0.5);
        assert_eq!(even.pace(budget, 260, noon).probability, 0.0);
        assert!(!even.pace(budget, 260, noon).is_spent());
        // The first hour may spend two hours' worth, no more.
        assert_eq!(even.pace(budget, 0, PERIOD_ANCHOR).allowed, 20.0);
        // In the last hour the lead shrinks to what is left: on the plan still passes.
        let late = PERIOD_ANCHOR + DAY - HOUR / 2;
        assert_eq!(even.pace(budget, 470, late).probability, 1.0);
        assert_eq!(even.pace(budget, 475, late).probability, 0.5);
        let loose = Pacing::Even { ahead: 1.0 };
        assert_eq!(loose.pace(budget, 240, noon).probability, 1.0);
        assert_eq!(loose.pace(budget, 360, noon).probability, 0.5);
        assert_eq!(even.pace(budget, 480, noon).probability, 0.0);
        assert!(even.pace(budget, 480, noon).is_spent());
        let asap = Pacing::Asap.pace(budget, 479, PERIOD_ANCHOR);
        assert_eq!((asap.allowed, asap.probability), (480.0, 1.0));
        assert_eq!(asap.until, PERIOD_ANCHOR + DAY);
    }

    #[test]
    fn the_documented_test_value_holds() {
        // spec/catalog.md, "Budgets and pacing".
        let place = throttle_place(0, crate::random::fnv1a(&[b"t1"]));
        assert_eq!(place, 3_784_499_419_881_257.0 / (1u64 << 53) as f64);
    }

    #[test]
    fn the_throttle_passes_at_its_rate() {
        let n = 20_000u64;
        let passed = (0..n).filter(|&s| passes(s, 0xabc, 0.3)).count();
        // 30% of 20,000 is 6,000 with a standard deviation of about 65.
        assert!((5_700..6_300).contains(&passed), "{passed}");
        assert!((0..1000).all(|s| passes(s, 1, 1.0) && !passes(s, 1, 0.0)));
    }
}
