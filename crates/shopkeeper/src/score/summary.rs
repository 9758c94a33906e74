//! A customer's purchase history as the customer-base models read it: (frequency, recency, age) and
//! the average repeat spend, from a transaction log or from a live profile.
//!
//! The conventions are the literature's (Fader, Hardie & Lee 2005; Python `lifetimes`): purchases on
//! one (UTC) day are one transaction with their amounts summed; the first transaction starts the
//! clock and is excluded from the frequency and from the spend average.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::{Error, ErrorCode, Profile, Timestamp};

/// Seconds in a day: days are UTC days, `timestamp.div_euclid(86_400)`.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// The unit of time of summaries and of the models' rate parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// One day.
    Day,
    /// Seven days (the unit of the published CDNOW results).
    #[default]
    Week,
    /// A twelfth of a Julian year: 30.4375 days.
    Month,
}

impl TimeUnit {
    /// Days in one unit.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
            TimeUnit::Month => 365.25 / 12.0,
        }
    }

    /// Reads `day`, `week` or `month`.
    pub fn parse(name: &str) -> Option<TimeUnit> {
        [TimeUnit::Day, TimeUnit::Week, TimeUnit::Month]
            .into_iter()
            .find(|u| u.name() == name)
    }

    /// The name used in model files.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
        }
    }
}

/// One customer's history, in the model's time unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Repeat transactions: days with a purchase, after the first.
    pub frequency: u32,
    /// Time from the first to the last transaction (0 without repeats).
    pub recency: f64,
    /// Time from the first transaction to the end of observation ("T").
    pub age: f64,
    /// Average spend of the repeat transactions, in major currency units (0 without repeats).
    pub monetary: f64,
}

impl Summary {
    /// Checks what every model relies on: `0 ≤ recency ≤ age`, finite values, no recency without a
    /// repeat, and a non-negative average spend.
    pub fn validate(&self) -> Result<(), Error> {
        let finite = self.recency.is_finite() && self.age.is_finite() && self.monetary.is_finite();
        let ok = finite
            && self.recency >= 0.0
            && self.recency <= self.age
            && self.monetary >= 0.0
            && (self.frequency > 0 || self.recency == 0.0);
        if ok {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::InvalidData,
                alloc::format!(
                    "summary {self:?} is impossible: need finite 0 <= recency <= age, recency 0 without repeats, monetary >= 0"
                ),
            ))
        }
    }

    /// The summary of a live profile at `now`: its purchase days, first and last purchase, and the
    /// spend of the days after the first; `None` before its first purchase.
    pub fn from_profile(
        profile: &Profile,
        now: Timestamp,
        unit: TimeUnit,
        money_scale: f64,
    ) -> Option<Summary> {
        let purchases = profile.purchases();
        let first = day_of(purchases.first.as_ref()?.at);
        let last = day_of(purchases.last_at?);
        let today = day_of(now).max(last);
        let frequency = purchases.days.saturating_sub(1);
        let repeat_spend = purchases.total.saturating_sub(purchases.first_day_total) as f64;
        Some(Summary {
            frequency,
            recency: if frequency == 0 {
                0.0
            } else {
                (last - first) as f64 / unit.days()
            },
            age: (today - first) as f64 / unit.days(),
            monetary: if frequency == 0 {
                0.0
            } else {
                repeat_spend / money_scale / f64::from(frequency)
            },
        })
    }
}

/// A purchase in a transaction log.
#[derive(Clone, Debug, PartialEq)]
pub struct Transaction {
    /// Who bought.
    pub customer: String,
    /// The UTC day (days since 1970-01-01; see [`parse_date`]).
    pub day: i64,
    /// What was paid, in major currency units.
    pub amount: f64,
}

/// The UTC day of a timestamp.
pub fn day_of(at: Timestamp) -> i64 {
    at.div_euclid(SECONDS_PER_DAY)
}

/// Reads a date, `YYYY-MM-DD` or `YYYYMMDD`, as days since 1970-01-01 (proleptic Gregorian).
pub fn parse_date(text: &str) -> Option<i64> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    let dashed = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    if digits.len() != 8
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || !(dashed || text.len() == 8)
    {
        return None;
    }
    let year: i64 = digits[..4].parse().ok()?;
    let month: i64 = digits[4..6].parse().ok()?;
    let day: i64 = digits[6..].parse().ok()?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day < 1 || day > month_days[(month - 1) as usize] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A customer's calibration summary and what they did in the holdout period after it.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerHistory {
    /// Customer id.
    pub customer: String,
    /// The summary at the calibration end.
    pub summary: Summary,
    /// Transactions (purchase days) after the calibration end, up to the holdout end.
    pub holdout_purchases: u32,
    /// Spend in the calibration period, first day included, in major units.
    pub spend: f64,
}

impl CustomerHistory {
    /// What RFM reads of this customer at the calibration end.
    pub fn rfm_input(&self, unit: TimeUnit) -> super::RfmInput {
        super::RfmInput {
            // Whole days, without the rounding noise of converting to units and back.
            recency_days: libm::round((self.summary.age - self.summary.recency) * unit.days()),
            frequency: f64::from(self.summary.frequency) + 1.0,
            monetary: self.spend,
        }
    }
}

/// Summarises a transaction log, in any order, at `calibration_end` (a day, see [`parse_date`]):
/// customers whose first purchase is after it are left out, and purchase days after it, up to and
/// including `holdout_end`, are counted as holdout purchases. Sorted by customer id.
///
/// Errors on a negative or non-finite amount or an empty customer id: a log with one is damaged,
/// and a silently skipped line would bias every parameter.
pub fn summarize(
    transactions: &[Transaction],
    calibration_end: i64,
    holdout_end: i64,
    unit: TimeUnit,
) -> Result<Vec<CustomerHistory>, Error> {
    // Per customer, spend per day.
    let mut days: BTreeMap<&str, BTreeMap<i64, f64>> = BTreeMap::new();
    for (i, t) in transactions.iter().enumerate() {
        if !(t.amount.is_finite() && t.amount >= 0.0) || t.customer.is_empty() {
            return Err(Error::new(
                ErrorCode::InvalidData,
                alloc::format!(
                    "transaction {}: customer {:?} amount {}: amounts must be finite and not negative, ids not empty",
                    i + 1,
                    t.customer,
                    t.amount
                ),
            ));
        }
        *days
            .entry(&t.customer)
            .or_default()
            .entry(t.day)
            .or_insert(0.0) += t.amount;
    }
    let mut out = Vec::with_capacity(days.len());
    for (customer, spend) in days {
        let Some((&first, _)) = spend.first_key_value() else {
            continue;
        };
        if first > calibration_end {
            continue;
        }
        let calibration = spend.range(..=calibration_end);
        let total: f64 = spend
            .range(..=calibration_end)
            .map(|(_, amount)| amount)
            .sum();
        let (mut frequency, mut last, mut repeat_spend) = (0u32, first, 0.0);
        for (&day, &amount) in calibration.skip(1) {
            frequency += 1;
            last = day;
            repeat_spend += amount;
        }
        let holdout = if holdout_end > calibration_end {
            spend.range(calibration_end + 1..=holdout_end).count()
        } else {
            0
        };
        out.push(CustomerHistory {
            customer: customer.into(),
            summary: Summary {
                frequency,
                recency: (last - first) as f64 / unit.days(),
                age: (calibration_end - first) as f64 / unit.days(),
                monetary: if frequency == 0 {
                    0.0
                } else {
                    repeat_spend / f64::from(frequency)
                },
            },
            holdout_purchases: u32::try_from(holdout).unwrap_or(u32::MAX),
            spend: total,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_since_the_epoch() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("19970101"), Some(9862));
        assert_eq!(parse_date("1997-09-30"), Some(9862 + 272));
        assert_eq!(parse_date("2000-02-29"), Some(11_016));
        for bad in [
            "1997-02-29",
            "1997-13-01",
            "1997-1-01",
            "97-01-01",
            "1997/01/01",
            "1997-01-0x",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn same_day_purchases_merge_and_the_first_is_excluded() {
        let t = |customer: &str, date: &str, amount: f64| Transaction {
            customer: customer.into(),
            day: parse_date(date).unwrap(),
            amount,
        };
        // Customer 4 of the CDNOW sample, out of order, with a second purchase on one day.
        let log = [
            t("4", "1997-08-02", 14.96),
            t("4", "1997-01-01", 29.33),
            t("4", "1997-01-18", 20.00),
            t("4", "1997-01-18", 9.73),
            t("4", "1997-12-12", 26.48),
            t("9", "1997-10-05", 5.0),
        ];
        let end = parse_date("1997-09-30").unwrap();
        let out = summarize(&log, end, end + 273, TimeUnit::Week).unwrap();
        assert_eq!(out.len(), 1, "customer 9 started after the calibration end");
        let s = out[0].summary;
        assert_eq!(s.frequency, 2);
        assert!((s.recency - 213.0 / 7.0).abs() < 1e-12);
        assert!((s.age - 272.0 / 7.0).abs() < 1e-12);
        assert!((s.monetary - (29.73 + 14.96) / 2.0).abs() < 1e-12);
        assert_eq!(out[0].holdout_purchases, 1);
    }

    #[test]
    fn damaged_logs_are_rejected() {
        for amount in [-1.0, f64::NAN, f64::INFINITY] {
            let log = [Transaction {
                customer: "a".into(),
                day: 0,
                amount,
            }];
            assert_eq!(
                summarize(&log, 0, 0, TimeUnit::Day).unwrap_err().code(),
                ErrorCode::InvalidData
            );
        }
    }
}
