//! Scores: what a customer's history says about their future. RFM segments, the BG/NBD and
//! Pareto/NBD customer-base models (P(alive), expected purchases), the Gamma-Gamma spend model,
//! CLV and churn risk, cross-sell and pluggable propensity models.
//!
//! Models are fitted on a population ([`BgNbd::fit`], [`GammaGamma::fit`], [`Rfm::fit`],
//! [`CoOccurrence::fit`]...), kept in one [`Models`] value that travels as JSON or bytes, and read
//! per request: [`Models::score`] computes every score of one profile once, and rules read them as
//! paths (`customer.p_alive`, `customer.rfm.segment`, `cart.cross_sell`...). spec/scores.md is the
//! reference.
//!
//! ```
//! use shopkeeper::score::{BgNbd, Summary};
//!
//! // The published CDNOW estimates (Fader, Hardie & Lee 2005), time in weeks.
//! let model = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
//! let regular = Summary { frequency: 10, recency: 35.0, age: 38.0, monetary: 20.0 };
//! let lapsed = Summary { frequency: 10, recency: 5.0, age: 38.0, monetary: 20.0 };
//! assert!(model.p_alive(&regular) > 0.85);
//! assert!(model.p_alive(&lapsed) < 0.01);
//! let next_quarter = model.expected_purchases(&regular, 13.0).ok_or("no expectation")?;
//! assert!((next_quarter - 2.49).abs() < 0.01);
//! # Ok::<(), &str>(())
//! ```

mod bgnbd;
mod bgnbd_fit;
mod cohort;
mod cross_sell;
mod fit;
mod gamma_gamma;
mod optimize;
mod pareto_nbd;
mod propensity;
mod rfm;
mod special;
mod summary;

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::learn::CohortCounts;

pub use bgnbd::BgNbd;
pub use cohort::{
    referrer_host, source_of, CohortKey, CohortStats, CohortValue, Cohorts, DEFAULT_COHORT_PRIOR,
    NO_SOURCE,
};
pub use cross_sell::{CoOccurrence, CrossSell, CrossSellOptions, ItemStats, Suggestion};
pub use fit::{FitReport, Fitted};
pub use gamma_gamma::GammaGamma;
pub use pareto_nbd::ParetoNbd;
pub use propensity::{BoundLogistic, Logistic, LogisticFeature, MAX_FEATURES};
pub use rfm::{Rfm, RfmInput, RfmScore, Segment};
pub use summary::{
    day_of, parse_date, summarize, CustomerHistory, Summary, TimeUnit, Transaction, SECONDS_PER_DAY,
};

use crate::listen::{Sentiment, SentimentSource};
use crate::{codec, Error, ErrorCode, Profile, Timestamp};

/// The version of the models' JSON and binary forms (2 added `sentiment`, 3 `cohorts`; versions 1
/// and 2 still read).
pub const MODELS_VERSION: u16 = 3;
/// Most bytes a models encoding may have (cross-sell tables make it the largest thing we decode).
pub const MAX_MODELS_LEN: usize = 16 * 1024 * 1024;
/// Complements suggested for a cart (`cart.cross_sell`).
pub const CROSS_SELL_SUGGESTIONS: usize = 5;
/// The horizon of `customer.expected_purchases_90d`, in days.
pub const EXPECTED_PURCHASES_DAYS: f64 = 90.0;

const MAGIC: [u8; 4] = *b"SKM\x01";

/// The purchase-process model: BG/NBD or Pareto/NBD.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
/// In JSON: `{"bgnbd": {"r": ..., "alpha": ..., "a": ..., "b": ...}}` or `{"pareto_nbd": {...}}`.
#[serde(rename_all = "snake_case")]
pub enum PurchaseModel {
    /// Fader, Hardie & Lee (2005).
    Bgnbd(BgNbd),
    /// Schmittlein, Morrison & Colombo (1987).
    ParetoNbd(ParetoNbd),
}

impl PurchaseModel {
    /// P(alive) given the history.
    pub fn p_alive(&self, s: &Summary) -> Option<f64> {
        match self {
            PurchaseModel::Bgnbd(m) => Some(m.p_alive(s)),
            PurchaseModel::ParetoNbd(m) => m.p_alive(s),
        }
    }

    /// Expected purchases in the next `t` time units, given the history.
    pub fn expected_purchases(&self, s: &Summary, t: f64) -> Option<f64> {
        match self {
            PurchaseModel::Bgnbd(m) => m.expected_purchases(s, t),
            PurchaseModel::ParetoNbd(m) => m.expected_purchases(s, t),
        }
    }

    fn validate(&self) -> Result<(), Error> {
        match self {
            PurchaseModel::Bgnbd(m) => m.validate(),
            PurchaseModel::ParetoNbd(m) => m.validate(),
        }
    }
}

/// How CLV is computed: `spend · Σ_{i=1..months} (E[purchases by month i] − E[by month i−1]) /
/// (1 + monthly_discount)^i`, a month being a twelfth of a Julian year (30.4375 days) and `spend`
/// the Gamma-Gamma expected average transaction value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClvSettings {
    /// The horizon, 1 to 120 months.
    pub months: u32,
    /// The monthly discount rate, in [0, 1).
    pub monthly_discount: f64,
}

impl Default for ClvSettings {
    fn default() -> Self {
        ClvSettings {
            months: 12,
            monthly_discount: 0.01,
        }
    }
}

/// Every fitted model, as one value that travels as JSON or bytes and is checked on load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Unchecked", into = "Unchecked")]
#[non_exhaustive]
pub struct Models {
    /// Decimals of the currency: profiles hold minor units, models major units.
    pub currency_decimals: u8,
    /// The unit of time of the purchase model's parameters.
    pub unit: TimeUnit,
    /// RFM breakpoints.
    pub rfm: Option<Rfm>,
    /// The purchase-process model.
    pub purchases: Option<PurchaseModel>,
    /// The spend model.
    pub spend: Option<GammaGamma>,
    /// CLV horizon and discounting.
    pub clv: ClvSettings,
    /// Co-occurrence tables.
    pub cross_sell: Option<CrossSell>,
    /// Logistic propensity models, by name.
    pub propensities: Vec<Logistic>,
    /// The sentiment model messages' text is scored with.
    pub sentiment: Option<Sentiment>,
    /// What customers from each source are worth (`cohort.clv`...).
    pub cohorts: Option<Cohorts>,
}

impl Default for Models {
    fn default() -> Self {
        Models {
            currency_decimals: 2,
            unit: TimeUnit::Week,
            rfm: None,
            purchases: None,
            spend: None,
            clv: ClvSettings::default(),
            cross_sell: None,
            propensities: Vec::new(),
            sentiment: None,
            cohorts: None,
        }
    }
}

/// [`Models`] as read, before its checks.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Unchecked {
    version: u16,
    #[serde(default = "two")]
    currency_decimals: u8,
    #[serde(default)]
    unit: TimeUnit,
    #[serde(default)]
    rfm: Option<Rfm>,
    #[serde(default)]
    purchases: Option<PurchaseModel>,
    #[serde(default)]
    spend: Option<GammaGamma>,
    #[serde(default)]
    clv: ClvSettings,
    #[serde(default)]
    cross_sell: Option<CrossSell>,
    #[serde(default)]
    propensities: Vec<Logistic>,
    #[serde(default)]
    sentiment: Option<SentimentSource>,
    #[serde(default)]
    cohorts: Option<Cohorts>,
}

/// [`Unchecked`] as version 2 wrote it in bytes (before `cohorts`).
#[derive(Deserialize)]
struct UncheckedV2 {
    version: u16,
    currency_decimals: u8,
    unit: TimeUnit,
    rfm: Option<Rfm>,
    purchases: Option<PurchaseModel>,
    spend: Option<GammaGamma>,
    clv: ClvSettings,
    cross_sell: Option<CrossSell>,
    propensities: Vec<Logistic>,
    sentiment: Option<SentimentSource>,
}

impl From<UncheckedV2> for Unchecked {
    fn from(v2: UncheckedV2) -> Self {
        Unchecked {
            version: v2.version,
            currency_decimals: v2.currency_decimals,
            unit: v2.unit,
            rfm: v2.rfm,
            purchases: v2.purchases,
            spend: v2.spend,
            clv: v2.clv,
            cross_sell: v2.cross_sell,
            propensities: v2.propensities,
            sentiment: v2.sentiment,
            cohorts: None,
        }
    }
}

/// [`Unchecked`] as version 1 wrote it in bytes (before `sentiment`).
#[derive(Deserialize)]
struct UncheckedV1 {
    version: u16,
    currency_decimals: u8,
    unit: TimeUnit,
    rfm: Option<Rfm>,
    purchases: Option<PurchaseModel>,
    spend: Option<GammaGamma>,
    clv: ClvSettings,
    cross_sell: Option<CrossSell>,
    propensities: Vec<Logistic>,
}

impl From<UncheckedV1> for Unchecked {
    fn from(v1: UncheckedV1) -> Self {
        Unchecked {
            version: v1.version,
            currency_decimals: v1.currency_decimals,
            unit: v1.unit,
            rfm: v1.rfm,
            purchases: v1.purchases,
            spend: v1.spend,
            clv: v1.clv,
            cross_sell: v1.cross_sell,
            propensities: v1.propensities,
            sentiment: None,
            cohorts: None,
        }
    }
}

fn two() -> u8 {
    2
}

impl From<Models> for Unchecked {
    fn from(m: Models) -> Self {
        Unchecked {
            version: MODELS_VERSION,
            currency_decimals: m.currency_decimals,
            unit: m.unit,
            rfm: m.rfm,
            purchases: m.purchases,
            spend: m.spend,
            clv: m.clv,
            cross_sell: m.cross_sell,
            propensities: m.propensities,
            sentiment: m.sentiment.map(|s| s.source().clone()),
            cohorts: m.cohorts,
        }
    }
}

impl TryFrom<Unchecked> for Models {
    type Error = Error;

    fn try_from(u: Unchecked) -> Result<Self, Error> {
        if !(1..=MODELS_VERSION).contains(&u.version) {
            return Err(codec::unsupported_version(u.version, MODELS_VERSION));
        }
        let models = Models {
            currency_decimals: u.currency_decimals,
            unit: u.unit,
            rfm: u.rfm,
            purchases: u.purchases,
            spend: u.spend,
            clv: u.clv,
            cross_sell: u.cross_sell,
            propensities: u.propensities,
            sentiment: u.sentiment.map(Sentiment::new).transpose()?,
            cohorts: u.cohorts,
        };
        models.validate()?;
        Ok(models)
    }
}

impl Models {
    /// Checks every part: parameters finite and positive, breakpoints ascending, counts
    /// consistent, propensity names unique, CLV settings in range.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |message: String| Err(Error::new(ErrorCode::InvalidModel, message));
        if self.currency_decimals > 6 {
            return invalid(alloc::format!(
                "currency_decimals is {}, at most 6",
                self.currency_decimals
            ));
        }
        if let Some(rfm) = &self.rfm {
            rfm.validate()?;
        }
        if let Some(purchases) = &self.purchases {
            purchases.validate()?;
        }
        if let Some(spend) = &self.spend {
            spend.validate()?;
        }
        let ClvSettings {
            months,
            monthly_discount,
        } = self.clv;
        if !(1..=120).contains(&months) || !(0.0..1.0).contains(&monthly_discount) {
            return invalid(alloc::format!(
                "clv: months {months} (1 to 120) and monthly_discount {monthly_discount} (0 to 1)"
            ));
        }
        if let Some(cohorts) = &self.cohorts {
            cohorts.validate()?;
        }
        if let Some(cross_sell) = &self.cross_sell {
            cross_sell.validate()?;
        }
        for (i, model) in self.propensities.iter().enumerate() {
            model.validate()?;
            if self.propensities[..i].iter().any(|m| m.name == model.name) {
                return invalid(alloc::format!(
                    "propensity {:?} is defined twice",
                    model.name
                ));
            }
        }
        Ok(())
    }

    /// The JSON form (`"version"` first).
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string(self)
            .map_err(|e| Error::new(ErrorCode::Internal, alloc::format!("{e}")))
    }

    /// Reads and checks the JSON form.
    pub fn from_json(json: &str) -> Result<Models, Error> {
        crate::check::input_len("a models file", json, MAX_MODELS_LEN)?;
        let unchecked: Unchecked = serde_json::from_str(json).map_err(|e| {
            Error::new(ErrorCode::InvalidJson, alloc::format!("models: {e}"))
                .at(e.line(), e.column())
        })?;
        Models::try_from(unchecked)
    }

    /// The binary form: the versioned, size-capped envelope profiles use (magic `SKM\x01`).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        codec::encode(MAGIC, MODELS_VERSION, self)
    }

    /// Reads and checks the binary form (of this version or version 1).
    pub fn from_bytes(bytes: &[u8]) -> Result<Models, Error> {
        let (version, payload) = codec::open(MAGIC, MAX_MODELS_LEN, bytes)?;
        let unchecked: Unchecked = match version {
            MODELS_VERSION => codec::take(payload)?,
            2 => codec::take::<UncheckedV2>(payload)?.into(),
            1 => codec::take::<UncheckedV1>(payload)?.into(),
            found => return Err(codec::unsupported_version(found, MODELS_VERSION)),
        };
        Models::try_from(unchecked).map_err(|e| Error::new(ErrorCode::DecodeInvalid, e.message()))
    }

    /// A propensity model by name.
    pub fn propensity(&self, name: &str) -> Option<&Logistic> {
        self.propensities.iter().find(|m| m.name == name)
    }

    /// Minor currency units per major unit.
    pub fn money_scale(&self) -> f64 {
        libm::pow(10.0, f64::from(self.currency_decimals))
    }

    /// The field of the first session that names a customer's cohort: the fitted cohorts', or
    /// the affiliate without them. Live counts ([`CohortCounts::new`]) use it.
    pub fn cohort_key(&self) -> CohortKey {
        self.cohorts.as_ref().map(|c| c.by).unwrap_or_default()
    }

    /// How many customers' (or visitors') worth of the population a cohort's values are pulled
    /// toward: the fitted cohorts' `prior`, or [`DEFAULT_COHORT_PRIOR`] without them. Live
    /// counts' `cohort.conversion` uses it too.
    pub fn cohort_prior(&self) -> f64 {
        self.cohorts
            .as_ref()
            .map_or(DEFAULT_COHORT_PRIOR, |c| c.prior)
    }

    /// Every score of `profile` at `now`; a score whose model is absent, or that needs a purchase
    /// the customer has not made, is `None`. Models loaded from JSON or bytes are checked; models
    /// built in code are not, so a purchase, spend or RFM model whose parameters fail its checks is
    /// treated as absent, and any other non-finite value is `None` too: a score is never NaN.
    pub fn score(&self, profile: &Profile, now: Timestamp) -> Scores {
        self.score_with(profile, now, None)
    }

    /// [`Models::score`], with the live cohort counts `cohort.visitors` and `cohort.conversion`
    /// read (counts by another key than the models' cohorts give neither).
    pub fn score_with(
        &self,
        profile: &Profile,
        now: Timestamp,
        live: Option<&CohortCounts>,
    ) -> Scores {
        let scale = self.money_scale();
        let summary = Summary::from_profile(profile, now, self.unit, scale);
        let purchases = profile.purchases();
        let rfm = match (
            self.rfm.as_ref().filter(|r| r.validate().is_ok()),
            summary,
            purchases.last_at,
        ) {
            (Some(rfm), Some(_), Some(last)) => Some(rfm.score(&RfmInput {
                recency_days: (day_of(now) - day_of(last)).max(0) as f64,
                frequency: f64::from(purchases.days),
                monetary: purchases.total as f64 / scale,
            })),
            _ => None,
        };
        let model = self.purchases.as_ref().filter(|m| m.validate().is_ok());
        let with = |f: &dyn Fn(&PurchaseModel, &Summary) -> Option<f64>| {
            model.zip(summary.as_ref()).and_then(|(m, s)| f(m, s))
        };
        let p_alive = finite(with(&|m, s| m.p_alive(s)));
        let horizon = EXPECTED_PURCHASES_DAYS / self.unit.days();
        let expected_spend = self
            .spend
            .filter(|s| s.validate().is_ok())
            .zip(summary)
            .and_then(|(spend, s)| finite(Some(spend.expected_spend(&s))));
        let clv = summary.and_then(|s| self.clv(&s));
        let (cross_sell, cross_sell_score, cross_sell_categories, customer_cross_sell) = match &self
            .cross_sell
        {
            Some(tables) => {
                let cart = profile.cart();
                let products: SmallVec<[&str; 8]> = cart.lines.keys().map(String::as_str).collect();
                let mut categories: Vec<&str> = cart
                    .lines
                    .values()
                    .filter_map(|l| l.category.as_deref())
                    .collect();
                categories.sort_unstable();
                categories.dedup();
                let items = tables.products.suggest(&products, CROSS_SELL_SUGGESTIONS);
                // From what the customer owns: neither what they own nor what is in the cart.
                let owned = &profile.owned().products;
                let from_history = tables.products.suggest_for(
                    owned.keys().map(String::as_str),
                    |item| owned.contains_key(item) || cart.lines.contains_key(item),
                    CROSS_SELL_SUGGESTIONS,
                );
                let score = finite(Some(items.first().map_or(0.0, |s| s.lift)));
                let by_category = tables
                    .categories
                    .suggest(&categories, CROSS_SELL_SUGGESTIONS);
                (
                    items.into_iter().map(|s| s.item).collect(),
                    score,
                    by_category.into_iter().map(|s| s.item).collect(),
                    from_history.into_iter().map(|s| s.item).collect(),
                )
            }
            None => (Vec::new(), None, Vec::new(), Vec::new()),
        };
        Scores {
            summary,
            rfm,
            p_alive,
            churn_risk: p_alive.map(|p| 1.0 - p),
            expected_purchases_90d: finite(with(&|m, s| m.expected_purchases(s, horizon))),
            expected_spend,
            clv,
            cross_sell,
            cross_sell_score,
            cross_sell_categories,
            customer_cross_sell,
            cohort: self.cohort(profile, live),
        }
    }

    /// The customer's cohort: what the fit says of it and what `live` counted; `None` with
    /// neither.
    fn cohort(&self, profile: &Profile, live: Option<&CohortCounts>) -> Option<CohortValue> {
        let fitted = self.cohorts.as_ref();
        let by = fitted.map(|c| c.by).or(live.map(CohortCounts::by))?;
        let source = source_of(by, profile);
        let mut value = fitted
            .and_then(|c| c.value(&source))
            .unwrap_or_else(|| CohortValue {
                source,
                ..CohortValue::default()
            });
        if let Some(live) = live.filter(|l| l.by() == by) {
            value.visitors = Some(live.source(&value.source).visitors);
            value.conversion = live.conversion(&value.source, self.cohort_prior());
        }
        Some(value)
    }

    /// The CLV of a customer with summary `s`, in major units: `None` without a purchase model
    /// and a spend model, or when either cannot value the customer.
    pub fn clv(&self, s: &Summary) -> Option<f64> {
        let model = self.purchases.as_ref().filter(|m| m.validate().is_ok())?;
        let spend = self.spend.filter(|g| g.validate().is_ok())?;
        let spend = finite(Some(spend.expected_spend(s)))?;
        self.clv_of(model, s, spend)
    }

    /// Discounted expected value over the CLV horizon (see [`ClvSettings`]).
    fn clv_of(&self, model: &PurchaseModel, s: &Summary, spend: f64) -> Option<f64> {
        let month = 365.25 / 12.0 / self.unit.days();
        let discount = 1.0 + self.clv.monthly_discount;
        let (mut total, mut before, mut factor) = (0.0, 0.0, 1.0);
        for i in 1..=self.clv.months {
            let by_now = model.expected_purchases(s, f64::from(i) * month)?;
            factor /= discount;
            total += (by_now - before).max(0.0) * factor;
            before = by_now;
        }
        let clv = spend * total;
        clv.is_finite().then_some(clv)
    }
}

fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

/// Every score of one customer at one time, computed once per request by [`Models::score`] and
/// read by rules through [`Input::scores`](crate::rules::Input::scores).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Scores {
    /// The customer's summary in the models' time unit (`None` before the first purchase).
    pub summary: Option<Summary>,
    /// RFM scores (`customer.rfm.r`, `.f`, `.m`, `.segment`).
    pub rfm: Option<RfmScore>,
    /// Probability the customer is still active (`customer.p_alive`).
    pub p_alive: Option<f64>,
    /// `1 − p_alive` (`customer.churn_risk`).
    pub churn_risk: Option<f64>,
    /// Expected purchases (purchase days) in the next 90 days (`customer.expected_purchases_90d`).
    pub expected_purchases_90d: Option<f64>,
    /// Expected average transaction value, major units (`customer.expected_spend`).
    pub expected_spend: Option<f64>,
    /// Discounted customer lifetime value, major units (`customer.clv`).
    pub clv: Option<f64>,
    /// The best complements of the cart's products (`cart.cross_sell`).
    pub cross_sell: Vec<String>,
    /// The best complement's lift; 0 when there is none (`cart.cross_sell_score`).
    pub cross_sell_score: Option<f64>,
    /// The best complements of the cart's categories (`cart.cross_sell_categories`).
    pub cross_sell_categories: Vec<String>,
    /// The best complements of the products the customer owns, neither owned nor in the cart
    /// (`customer.cross_sell`).
    #[serde(default)]
    pub customer_cross_sell: Vec<String>,
    /// The customer's cohort and what its customers are worth (`cohort.clv`...); `None` without
    /// a cohort model.
    #[serde(default)]
    pub cohort: Option<CohortValue>,
}

impl Scores {
    /// Every score as JSON (the field names above); bindings hand scores over in this form.
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string(self)
            .map_err(|e| Error::new(ErrorCode::Internal, alloc::string::ToString::to_string(&e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(frequency: u32, recency: f64, age: f64) -> Summary {
        Summary {
            frequency,
            recency,
            age,
            monetary: 0.0,
        }
    }

    fn close(got: f64, want: f64) {
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1e-12),
            "{got} vs {want}"
        );
    }

    /// Reference values computed with Python `lifetimes` 0.11.3 (SciPy's hyp2f1) for the published
    /// CDNOW parameters.
    #[test]
    fn scores_agree_with_the_reference_implementation() {
        let bg = BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        for (x, tx, t_age, t, expected, alive) in [
            (10, 35.0, 38.0, 13.0, 2.4916518346343106, 0.87173908),
            (10, 5.0, 38.0, 13.0, 8.289200014893887e-06, 2.90009202e-06),
            (0, 0.0, 38.86, 39.0, 0.19509805201125396, 1.0),
            (1, 1.71, 38.86, 39.0, 0.2031869870797511, 0.21210099),
            (2, 30.43, 38.86, 39.0, 1.2260281747671318, 0.72657857),
            (50, 38.0, 38.86, 100.0, 66.34499354245197, 0.95943828),
            (0, 0.0, 0.0, 10.0, 0.4324133622344203, 1.0),
        ] {
            let summary = s(x, tx, t_age);
            close(bg.expected_purchases(&summary, t).unwrap(), expected);
            assert!((bg.p_alive(&summary) - alive).abs() < 1e-8);
        }
        let pareto = ParetoNbd {
            r: 0.553,
            alpha: 10.578,
            s: 0.606,
            beta: 11.669,
        };
        for (x, tx, t_age, t, expected, alive) in [
            (10, 35.0, 38.0, 13.0, 2.4900693223536905, 0.9478741650899543),
            (
                2,
                30.43,
                38.86,
                39.0,
                1.4551231932576048,
                0.8691675591530114,
            ),
            (
                0,
                0.0,
                38.86,
                39.0,
                0.10708146821530898,
                0.29528660461689443,
            ),
        ] {
            let summary = s(x, tx, t_age);
            close(pareto.expected_purchases(&summary, t).unwrap(), expected);
            close(pareto.p_alive(&summary).unwrap(), alive);
        }
    }
}
