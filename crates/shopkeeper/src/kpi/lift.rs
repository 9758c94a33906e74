//! Lift of the treatment over the control group, with 95% intervals and a verdict in words.
//!
//! **Method: normal approximation, with a minimum-count rule.** With thousands of customers per
//! arm (what a shop's control group holds within days) the sampling distributions of a
//! conversion rate and of a mean revenue per customer are close to normal, the intervals have a
//! closed form every binding computes to the same bits, and nothing random enters a report (a
//! bootstrap would need a seed and thousands of resamples per read). Where the normal
//! approximation is poor, with few conversions, no interval is given: each arm needs at least
//! [`MIN_CONVERSIONS`] customers who bought and as many who did not.
//!
//! - Conversion: the difference of the two shares, `p_t - p_c ± z·sqrt(p_t(1-p_t)/n_t +
//!   p_c(1-p_c)/n_c)` (Wald, unpooled); the relative lift `p_t/p_c - 1` from the interval of
//!   `ln(p_t/p_c)`, `± z·sqrt((1-p_t)/(n_t p_t) + (1-p_c)/(n_c p_c))` (delta method).
//! - Revenue per customer: the difference of the means, `± z·sqrt(s_t²/n_t + s_c²/n_c)` (Welch),
//!   `s²` each arm's sample variance of revenue per customer; the relative lift from the
//!   interval of `ln(m_t/m_c)`, `± z·sqrt(s_t²/(n_t m_t²) + s_c²/(n_c m_c²))`.
//!
//! `z` is 1.959963984540054, the 97.5% point of the standard normal. A simulation with a known
//! true lift checks that the intervals cover it about 95% of the time.
//!
//! These are **fixed-horizon** intervals: read once, when the planned number of customers is
//! reached (the verdict says how many more). Read every hour and stopped at the first
//! "significant", they call a difference where there is none far more often than 5%.
//!
//! How many more customers: counted **both arms together, at today's split**, since a control
//! group is usually a small share (5% of customers) and grows only with all traffic.

use alloc::format;
use alloc::string::String;
use serde::Serialize;

use super::ArmCounts;

/// The 97.5% point of the standard normal: 95% intervals.
pub const Z_95: f64 = 1.959963984540054;
/// The 80% point of the standard normal: the power of the "how many more customers" estimate.
pub const Z_POWER_80: f64 = 0.841_621_233_572_914_3;
/// Customers who bought, and who did not, that each arm needs before an interval is given.
pub const MIN_CONVERSIONS: u64 = 10;

/// An interval: `low` to `high`, around `value`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    /// The estimate.
    pub value: f64,
    /// Its 95% interval's low end.
    pub low: f64,
    /// Its 95% interval's high end.
    pub high: f64,
}

impl Interval {
    fn around(value: f64, half_width: f64) -> Option<Interval> {
        let i = Interval {
            value,
            low: value - half_width,
            high: value + half_width,
        };
        [i.value, i.low, i.high]
            .iter()
            .all(|v| v.is_finite())
            .then_some(i)
    }

    /// The relative lift `ratio - 1` from an interval of `ln(ratio)`.
    fn relative(log_ratio: f64, half_width: f64) -> Option<Interval> {
        let i = Interval {
            value: libm::exp(log_ratio) - 1.0,
            low: libm::exp(log_ratio - half_width) - 1.0,
            high: libm::exp(log_ratio + half_width) - 1.0,
        };
        [i.value, i.low, i.high]
            .iter()
            .all(|v| v.is_finite())
            .then_some(i)
    }

    /// Whether the interval leaves 0 out.
    pub fn excludes_zero(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// One measure in both arms, and the lift.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The treatment's value (a share, or minor units per customer).
    pub treatment: f64,
    /// The control group's.
    pub control: f64,
    /// `treatment - control`, with its interval; `None` without enough data.
    pub absolute: Option<Interval>,
    /// `treatment / control - 1`, with its interval; `None` without enough data or when the
    /// control's value is 0.
    pub relative: Option<Interval>,
}

/// What a marketer should conclude, in one line.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// An arm has no customers (a catalog without a control group, or no traffic yet).
    NoControl,
    /// Too few conversions for an interval: about `more` customers (both arms together, at
    /// today's split) would give one (`None` while nobody, or everybody, has bought).
    NotEnoughData {
        /// Customers to add to each arm.
        more: Option<u64>,
    },
    /// The conversion interval leaves 0 out: personalization helps (or hurts).
    Significant {
        /// Whether the treatment converts better.
        better: bool,
    },
    /// The interval holds 0: about `more` customers (both arms together, at today's split) would
    /// detect the observed difference with 80% power (`None` when the arms convert alike).
    Inconclusive {
        /// Customers to add to each arm.
        more: Option<u64>,
    },
}

/// Treatment against control.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lift {
    /// Customers in the treatment arm.
    pub treatment_customers: u64,
    /// Customers in the control group.
    pub control_customers: u64,
    /// The share of customers who bought.
    pub conversion: Comparison,
    /// Revenue per customer, minor units.
    pub revenue_per_customer: Comparison,
    /// The conclusion.
    pub verdict: Verdict,
}

impl Lift {
    /// The lift of `treatment` over `control`.
    pub fn of(treatment: &ArmCounts, control: &ArmCounts) -> Lift {
        let (t, c) = (Arm::of(treatment), Arm::of(control));
        let enough = [treatment, control].iter().all(|a| {
            a.converters >= MIN_CONVERSIONS
                && a.customers.saturating_sub(a.converters) >= MIN_CONVERSIONS
        });
        let conversion = Comparison {
            treatment: t.p,
            control: c.p,
            absolute: enough
                .then(|| {
                    let se = libm::sqrt(t.p * (1.0 - t.p) / t.n + c.p * (1.0 - c.p) / c.n);
                    Interval::around(t.p - c.p, Z_95 * se)
                })
                .flatten(),
            relative: enough
                .then(|| {
                    let se = libm::sqrt((1.0 - t.p) / (t.n * t.p) + (1.0 - c.p) / (c.n * c.p));
                    Interval::relative(libm::log(t.p / c.p), Z_95 * se)
                })
                .flatten(),
        };
        let revenue_per_customer = Comparison {
            treatment: t.mean,
            control: c.mean,
            absolute: enough
                .then(|| {
                    let se = libm::sqrt(t.var / t.n + c.var / c.n);
                    Interval::around(t.mean - c.mean, Z_95 * se)
                })
                .flatten(),
            relative: (enough && t.mean > 0.0 && c.mean > 0.0)
                .then(|| {
                    let se = libm::sqrt(
                        t.var / (t.n * t.mean * t.mean) + c.var / (c.n * c.mean * c.mean),
                    );
                    Interval::relative(libm::log(t.mean / c.mean), Z_95 * se)
                })
                .flatten(),
        };
        let verdict = if treatment.customers == 0 || control.customers == 0 {
            Verdict::NoControl
        } else if let Some(diff) = conversion.absolute {
            if diff.excludes_zero() {
                Verdict::Significant {
                    better: diff.value > 0.0,
                }
            } else {
                Verdict::Inconclusive {
                    more: more_for_power(&t, &c),
                }
            }
        } else {
            Verdict::NotEnoughData {
                more: more_for_counts(treatment, control),
            }
        };
        Lift {
            treatment_customers: treatment.customers,
            control_customers: control.customers,
            conversion,
            revenue_per_customer,
            verdict,
        }
    }

    /// The verdict in words, with the numbers.
    pub fn summary(&self) -> String {
        let conv = &self.conversion;
        let points = |v: f64| format!("{:+.2} points", 100.0 * v);
        match &self.verdict {
            Verdict::NoControl => String::from(
                "no lift yet: an arm has no customers (does the catalog have a control group?)",
            ),
            Verdict::NotEnoughData { more: Some(n) } => format!(
                "not enough data yet: about {n} more customers, both arms together (each arm needs {MIN_CONVERSIONS} who bought and {MIN_CONVERSIONS} who did not)"
            ),
            Verdict::NotEnoughData { more: None } if conv.treatment + conv.control > 0.0 => {
                String::from("not enough data yet: every customer has bought, nothing to compare")
            }
            Verdict::NotEnoughData { more: None } => {
                String::from("not enough data yet: no customer has bought")
            }
            Verdict::Significant { better } => {
                let diff = conv.absolute.map_or(0.0, |d| d.value);
                let (low, high) = conv.absolute.map_or((0.0, 0.0), |d| (d.low, d.high));
                format!(
                    "personalization {} conversion: {} ({:.2}% against {:.2}%; 95% interval {} to {})",
                    if *better { "raises" } else { "lowers" },
                    points(diff),
                    100.0 * conv.treatment,
                    100.0 * conv.control,
                    points(low),
                    points(high)
                )
            }
            Verdict::Inconclusive { more } => {
                let (low, high) = conv.absolute.map_or((0.0, 0.0), |d| (d.low, d.high));
                let tail = match more {
                    Some(n) => format!("; about {n} more customers, both arms together, would tell"),
                    None => String::from("; the arms convert alike"),
                };
                format!(
                    "no clear difference yet: {:.2}% against {:.2}% (95% interval {} to {}){tail}",
                    100.0 * conv.treatment,
                    100.0 * conv.control,
                    points(low),
                    points(high)
                )
            }
        }
    }
}

/// One arm's numbers as the formulas use them.
struct Arm {
    n: f64,
    p: f64,
    mean: f64,
    var: f64,
}

impl Arm {
    fn of(a: &ArmCounts) -> Arm {
        let n = a.customers as f64;
        if a.customers == 0 {
            return Arm {
                n,
                p: 0.0,
                mean: 0.0,
                var: 0.0,
            };
        }
        let mean = a.revenue as f64 / n;
        // Σ(r - m)² = Σr² - n·m², over n - 1; never below 0 after rounding.
        let var = if a.customers > 1 {
            ((a.revenue_squares as f64 - n * mean * mean) / (n - 1.0)).max(0.0)
        } else {
            0.0
        };
        Arm {
            n,
            // At most 1: counts merged from nodes that saw a customer's purchase but not their
            // arrival can hold more converters than customers.
            p: (a.converters as f64 / n).min(1.0),
            mean,
            var,
        }
    }
}

/// Customers to add, both arms together at today's split, until each arm can expect
/// [`MIN_CONVERSIONS`] customers who bought and as many who did not: per arm `ceil(10 / min(q,
/// 1-q))` at its own conversion `q` (kept within `1/(n+1)` of 0 and 1: an arm of `n` with no
/// buyer yet counts as 1 in `n+1`), less what it has, over its share of the customers; the
/// largest.
fn more_for_counts(t: &ArmCounts, c: &ArmCounts) -> Option<u64> {
    let total = t.customers as f64 + c.customers as f64;
    let pooled = ((t.converters as f64 + c.converters as f64) / total).min(1.0);
    if !(pooled > 0.0 && pooled < 1.0) {
        return None;
    }
    let short = |a: &ArmCounts| {
        let n = a.customers as f64;
        let edge = 1.0 / (n + 1.0);
        let q = (a.converters as f64 / n).clamp(edge, 1.0 - edge);
        let needed = libm::ceil(MIN_CONVERSIONS as f64 / q.min(1.0 - q));
        (needed - n).max(0.0) / (n / total)
    };
    let more = libm::ceil(short(t).max(short(c)));
    (more.is_finite() && more < 1e18).then(|| (more as u64).max(1))
}

/// Customers to add, both arms together at today's split (`k = n_t / n_c`), to detect the
/// observed difference at 5% with 80% power: the control group needs `(z_95 + z_80)² ·
/// (p_t(1-p_t)/k + p_c(1-p_c)) / (p_t - p_c)²`, the treatment `k` times as many; less what
/// both have.
fn more_for_power(t: &Arm, c: &Arm) -> Option<u64> {
    let diff = t.p - c.p;
    if diff == 0.0 {
        return None;
    }
    let k = t.n / c.n;
    let z = Z_95 + Z_POWER_80;
    let control = z * z * (t.p * (1.0 - t.p) / k + c.p * (1.0 - c.p)) / (diff * diff);
    let more = libm::ceil(control * (1.0 + k) - (t.n + c.n));
    (more.is_finite() && more < 1e18).then(|| (more.max(1.0)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm(customers: u64, converters: u64, revenue: i64, revenue_squares: u128) -> ArmCounts {
        ArmCounts {
            customers,
            converters,
            orders: converters,
            revenue,
            revenue_squares,
        }
    }

    fn close(got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{got} vs {want}"
        );
    }

    #[test]
    fn hand_computed_values() {
        // 1,000 customers each; 60 and 40 bought, every buyer paid 5,000 minor units.
        let t = arm(1_000, 60, 300_000, 60 * 5_000u128 * 5_000);
        let c = arm(1_000, 40, 200_000, 40 * 5_000u128 * 5_000);
        let lift = Lift::of(&t, &c);
        // p_t = 0.06, p_c = 0.04; se = sqrt(.06·.94/1000 + .04·.96/1000) = sqrt(9.48e-5).
        let se = (0.06f64 * 0.94 / 1000.0 + 0.04 * 0.96 / 1000.0).sqrt();
        let abs = lift.conversion.absolute.unwrap();
        close(abs.value, 0.02);
        close(abs.low, 0.02 - Z_95 * se);
        close(abs.high, 0.02 + Z_95 * se);
        // Relative: ln(1.5) ± z·sqrt(.94/60 + .96/40).
        let rel = lift.conversion.relative.unwrap();
        let half = Z_95 * (0.94f64 / 60.0 + 0.96 / 40.0).sqrt();
        close(rel.value, 0.5);
        close(rel.low, (1.5f64.ln() - half).exp() - 1.0);
        close(rel.high, (1.5f64.ln() + half).exp() - 1.0);
        // Revenue per customer: means 300 and 200; variances Σr²−n·m² over n−1.
        let var_t: f64 = (60.0 * 25e6 - 1000.0 * 300.0 * 300.0) / 999.0;
        let var_c: f64 = (40.0 * 25e6 - 1000.0 * 200.0 * 200.0) / 999.0;
        let rev = lift.revenue_per_customer.absolute.unwrap();
        close(rev.value, 100.0);
        close(
            rev.high - rev.value,
            Z_95 * (var_t / 1000.0 + var_c / 1000.0).sqrt(),
        );
        // 0.02 ± 0.0191: the interval leaves 0 out, just.
        assert_eq!(lift.verdict, Verdict::Significant { better: true });
        assert!(lift
            .summary()
            .starts_with("personalization raises conversion: +2.00 points"));
    }

    #[test]
    fn verdicts_without_enough_data() {
        let none = Lift::of(&arm(100, 5, 0, 0), &ArmCounts::default());
        assert_eq!(none.verdict, Verdict::NoControl);
        // 5 of 100 and 3 of 100 bought: the control needs ceil(10 / 0.03) = 334, 234 more,
        // and it is half the customers: 468 more in all.
        let few = Lift::of(&arm(100, 5, 0, 0), &arm(100, 3, 0, 0));
        assert_eq!(few.verdict, Verdict::NotEnoughData { more: Some(468) });
        assert!(few.conversion.absolute.is_none() && few.conversion.relative.is_none());
        assert_eq!(
            few.summary(),
            "not enough data yet: about 468 more customers, both arms together (each arm needs 10 who bought and 10 who did not)"
        );
        // A control group of 5%: 1,900 treated (100 bought), 100 in control (2 bought). The
        // control needs 500 at 2%, 400 more; at 5% of the traffic, 8,000 more in all.
        let small = Lift::of(&arm(1_900, 100, 0, 0), &arm(100, 2, 0, 0));
        assert_eq!(small.verdict, Verdict::NotEnoughData { more: Some(8_000) });
        // An arm of 1,000 with no buyer yet counts as 1 in 1,001: it needs 10,010, 9,010 more,
        // and it is half the customers.
        let none_yet = Lift::of(&arm(1_000, 100, 0, 0), &arm(1_000, 0, 0, 0));
        assert_eq!(
            none_yet.verdict,
            Verdict::NotEnoughData { more: Some(18_020) }
        );
        let nobody = Lift::of(&arm(100, 0, 0, 0), &arm(100, 0, 0, 0));
        assert_eq!(nobody.verdict, Verdict::NotEnoughData { more: None });
        assert!(nobody.summary().ends_with("no customer has bought"));
        let everybody = Lift::of(&arm(5, 5, 0, 0), &arm(5, 5, 0, 0));
        assert_eq!(everybody.verdict, Verdict::NotEnoughData { more: None });
        assert!(everybody
            .summary()
            .ends_with("every customer has bought, nothing to compare"));
        // More converters than customers (merged counts): read as everyone, never above 1.
        let odd = Lift::of(&arm(3, 5, 0, 0), &arm(100, 50, 0, 0));
        assert_eq!(odd.conversion.treatment, 1.0);
        // 5.0% against 4.9% of 10,000 each: inconclusive; the power formula by hand (k = 1).
        let close_call = Lift::of(&arm(10_000, 500, 0, 0), &arm(10_000, 490, 0, 0));
        let z = Z_95 + Z_POWER_80;
        let need = (z * z * (0.05 * 0.95 + 0.049 * 0.951) / (0.001f64 * 0.001)).ceil() as u64;
        let more = 2 * need - 20_000;
        let got = match close_call.verdict {
            Verdict::Inconclusive { more: Some(n) } => n,
            v => panic!("{v:?}"),
        };
        assert!(got.abs_diff(more) <= 2, "{got} vs {more}");
        let alike = Lift::of(&arm(10_000, 500, 0, 0), &arm(10_000, 500, 0, 0));
        assert_eq!(alike.verdict, Verdict::Inconclusive { more: None });
        assert!(alike.summary().ends_with("the arms convert alike"));
    }
}
