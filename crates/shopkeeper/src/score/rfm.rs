//! RFM: recency, frequency and monetary scores from 1 to 5 against quintile breakpoints fitted on
//! a population, and the named segments marketers use.
//!
//! The inputs are a buyer's days since their last purchase (recency: fewer is better), purchase
//! days (frequency) and total spend in major currency units (monetary). Breakpoints are the values
//! at the 20th, 40th, 60th and 80th percentile (nearest rank). A value scores one more than the
//! number of breakpoints it is strictly above (recency: five minus that number), so equal values
//! always score alike and a value equal to a breakpoint goes to the lower quintile. With many ties
//! (most customers buy once) some scores are unused: a population where 70% bought once gives every
//! one of them frequency 1, not a random spread over 1 to 3.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::{Error, ErrorCode};

/// What RFM reads of one buyer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RfmInput {
    /// Days since the last purchase.
    pub recency_days: f64,
    /// Days with a purchase.
    pub frequency: f64,
    /// Total spend, in major currency units.
    pub monetary: f64,
}

/// Quintile breakpoints of the three dimensions, ascending.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rfm {
    /// Days since the last purchase.
    pub recency_days: [f64; 4],
    /// Purchase days.
    pub frequency: [f64; 4],
    /// Total spend.
    pub monetary: [f64; 4],
}

/// One buyer's RFM scores, each 1 (worst) to 5 (best).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmScore {
    /// Recency score (5: bought most recently).
    pub r: u8,
    /// Frequency score.
    pub f: u8,
    /// Monetary score.
    pub m: u8,
}

/// The named RFM segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// Bought recently, often and much.
    Champions,
    /// Buy often and much, fairly recently.
    Loyal,
    /// Recent buyers with average frequency and spend.
    PotentialLoyalists,
    /// Bought very recently, for the first time or little.
    New,
    /// Recent buyers who have bought little.
    Promising,
    /// Middling on every dimension.
    NeedAttention,
    /// Middling recency, low frequency and spend.
    AboutToSleep,
    /// Bought often or much, but not for a while.
    AtRisk,
    /// Were among the best, and have not come back for a long time.
    CannotLose,
    /// Long gone, bought little.
    Hibernating,
    /// Longest gone, bought least.
    Lost,
}

impl Segment {
    /// The snake_case name rules compare against (`customer.rfm.segment == "at_risk"`).
    pub const fn name(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::PotentialLoyalists => "potential_loyalists",
            Segment::New => "new",
            Segment::Promising => "promising",
            Segment::NeedAttention => "need_attention",
            Segment::AboutToSleep => "about_to_sleep",
            Segment::AtRisk => "at_risk",
            Segment::CannotLose => "cannot_lose",
            Segment::Hibernating => "hibernating",
            Segment::Lost => "lost",
        }
    }

    /// Every segment, best first.
    pub const ALL: [Segment; 11] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::PotentialLoyalists,
        Segment::New,
        Segment::Promising,
        Segment::NeedAttention,
        Segment::AboutToSleep,
        Segment::AtRisk,
        Segment::CannotLose,
        Segment::Hibernating,
        Segment::Lost,
    ];
}

impl RfmScore {
    /// The frequency-monetary score: the mean of F and M, rounded half up.
    pub fn fm(&self) -> u8 {
        // In u16: the fields are public, and 200 + 200 must not overflow.
        let mean = (u16::from(self.f) + u16::from(self.m)).div_ceil(2);
        u8::try_from(mean).unwrap_or(u8::MAX)
    }

    /// The segment, from the recency score and the frequency-monetary score (spec/scores.md has the
    /// grid):
    ///
    /// | R \ FM | 1 | 2 | 3 | 4 | 5 |
    /// |---|---|---|---|---|---|
    /// | 5 | new | potential loyalists | potential loyalists | champions | champions |
    /// | 4 | promising | potential loyalists | potential loyalists | loyal | champions |
    /// | 3 | about to sleep | about to sleep | need attention | loyal | loyal |
    /// | 2 | hibernating | hibernating | at risk | at risk | cannot lose |
    /// | 1 | lost | lost | at risk | at risk | cannot lose |
    pub fn segment(&self) -> Segment {
        use Segment::*;
        const GRID: [[Segment; 5]; 5] = [
            [Lost, Lost, AtRisk, AtRisk, CannotLose],
            [Hibernating, Hibernating, AtRisk, AtRisk, CannotLose],
            [AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal],
            [
                Promising,
                PotentialLoyalists,
                PotentialLoyalists,
                Loyal,
                Champions,
            ],
            [
                New,
                PotentialLoyalists,
                PotentialLoyalists,
                Champions,
                Champions,
            ],
        ];
        let row = usize::from(self.r.clamp(1, 5) - 1);
        let column = usize::from(self.fm().clamp(1, 5) - 1);
        GRID[row][column]
    }

    /// The three digits, as `"545"`.
    pub fn code(&self) -> String {
        alloc::format!("{}{}{}", self.r, self.f, self.m)
    }
}

impl Rfm {
    /// Fits the breakpoints on a population of buyers; errors when it is empty or has a value that
    /// is negative or not finite.
    pub fn fit(population: &[RfmInput]) -> Result<Rfm, Error> {
        let column = |get: fn(&RfmInput) -> f64| -> Result<[f64; 4], Error> {
            let mut values: Vec<f64> = population.iter().map(get).collect();
            if values.is_empty() {
                return Err(Error::new(
                    ErrorCode::InvalidData,
                    "no buyers to fit RFM on",
                ));
            }
            if let Some(bad) = values.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(Error::new(
                    ErrorCode::InvalidData,
                    alloc::format!("RFM input {bad} is negative or not finite"),
                ));
            }
            values.sort_by(f64::total_cmp);
            let n = values.len();
            // Nearest rank: the smallest value with at least q·n values at or below it.
            Ok([1, 2, 3, 4].map(|k| values[(k * n).div_ceil(5).max(1) - 1]))
        };
        let rfm = Rfm {
            recency_days: column(|i| i.recency_days)?,
            frequency: column(|i| i.frequency)?,
            monetary: column(|i| i.monetary)?,
        };
        Ok(rfm)
    }

    /// Checks that the breakpoints are finite, non-negative and ascending.
    pub fn validate(&self) -> Result<(), Error> {
        for (name, cuts) in [
            ("recency_days", &self.recency_days),
            ("frequency", &self.frequency),
            ("monetary", &self.monetary),
        ] {
            let ok = cuts.iter().all(|c| c.is_finite() && *c >= 0.0)
                && cuts.windows(2).all(|w| w[0] <= w[1]);
            if !ok {
                return Err(Error::new(
                    ErrorCode::InvalidModel,
                    alloc::format!("rfm.{name} {cuts:?}: breakpoints must be finite, not negative and ascending"),
                ));
            }
        }
        Ok(())
    }

    /// Scores one buyer.
    pub fn score(&self, input: &RfmInput) -> RfmScore {
        let above = |cuts: &[f64; 4], v: f64| cuts.iter().filter(|c| v > **c).count() as u8;
        RfmScore {
            r: 5 - above(&self.recency_days, input.recency_days),
            f: 1 + above(&self.frequency, input.frequency),
            m: 1 + above(&self.monetary, input.monetary),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buyer(recency_days: f64, frequency: f64, monetary: f64) -> RfmInput {
        RfmInput {
            recency_days,
            frequency,
            monetary,
        }
    }

    #[test]
    fn quintiles_of_distinct_values_split_evenly() {
        let population: Vec<RfmInput> = (1..=10)
            .map(|i| buyer(f64::from(i), f64::from(i), f64::from(i)))
            .collect();
        let rfm = Rfm::fit(&population).unwrap();
        assert_eq!(rfm.frequency, [2.0, 4.0, 6.0, 8.0]);
        let scores: Vec<u8> = population.iter().map(|b| rfm.score(b).f).collect();
        assert_eq!(scores, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        let recency: Vec<u8> = population.iter().map(|b| rfm.score(b).r).collect();
        assert_eq!(recency, [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
    }

    #[test]
    fn ties_score_alike() {
        // Seven one-time buyers, three repeat buyers.
        let population: Vec<RfmInput> = [1, 1, 1, 1, 1, 1, 1, 2, 3, 5]
            .iter()
            .map(|f| buyer(1.0, f64::from(*f), 1.0))
            .collect();
        let rfm = Rfm::fit(&population).unwrap();
        let scores: Vec<u8> = population.iter().map(|b| rfm.score(b).f).collect();
        assert_eq!(scores, [1, 1, 1, 1, 1, 1, 1, 4, 5, 5]);
        // Everyone spent the same: everyone scores 1.
        assert!(population.iter().all(|b| rfm.score(b).m == 1));
    }

    #[test]
    fn every_cell_has_a_segment_and_every_segment_a_cell() {
        let mut seen = Vec::new();
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    seen.push(RfmScore { r, f, m }.segment());
                }
            }
        }
        for segment in Segment::ALL {
            assert!(seen.contains(&segment), "{segment:?} is unreachable");
        }
        assert_eq!(RfmScore { r: 5, f: 5, m: 4 }.segment(), Segment::Champions);
        assert_eq!(RfmScore { r: 1, f: 5, m: 5 }.segment(), Segment::CannotLose);
        assert_eq!(RfmScore { r: 5, f: 1, m: 1 }.segment(), Segment::New);
    }

    #[test]
    fn bad_populations_are_errors() {
        assert_eq!(Rfm::fit(&[]).unwrap_err().code(), ErrorCode::InvalidData);
        assert_eq!(
            Rfm::fit(&[buyer(f64::NAN, 1.0, 1.0)]).unwrap_err().code(),
            ErrorCode::InvalidData
        );
        let one = Rfm::fit(&[buyer(3.0, 1.0, 9.0)]).unwrap();
        assert_eq!(
            one.score(&buyer(3.0, 1.0, 9.0)),
            RfmScore { r: 5, f: 1, m: 1 }
        );
    }
}
