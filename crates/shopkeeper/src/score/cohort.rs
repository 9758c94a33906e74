//! Cohorts: what the customers who came from one source are worth, for a visitor who has no
//! history of their own yet ("visitors from gadgets.com are worth 10% off").
//!
//! A customer's cohort is a field of their first session (spec/events.md, "Habits"): its
//! affiliate, its referrer's host, or its channel, named by the models file's `by`. The fit
//! (`shopkeeper fit` with a `source` column) measures each source's customers: how many, their
//! share with a repeat purchase, their average order value and their mean CLV under the same
//! models. A small cohort's means are pulled toward the whole population's, `prior` customers'
//! worth: `(n · mean + prior · population) / (n + prior)`, the posterior mean when each source's
//! mean is drawn around the population's (so 3 customers cannot make a source look priceless).

use alloc::collections::BTreeMap;
use alloc::string::String;
use serde::{Deserialize, Serialize};

use crate::limits::{MAX_COHORTS, MAX_TEXT_LEN};
use crate::profile::Profile;
use crate::{Error, ErrorCode};

/// How many customers' worth of the population a cohort's means are pulled toward, unless the
/// fit is told otherwise.
pub const DEFAULT_COHORT_PRIOR: f64 = 20.0;

/// The cohort of a customer who has none: no first session, or one without the field.
pub const NO_SOURCE: &str = "(none)";

/// The field of the first session that names a customer's cohort.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortKey {
    /// The affiliate credited with the first session.
    #[default]
    Affiliate,
    /// The host of the first session's referrer (`https://www.gadgets.com/x` is `gadgets.com`).
    Referrer,
    /// The channel of the first session.
    Channel,
}

impl CohortKey {
    /// The JSON name: `affiliate`, `referrer` or `channel`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CohortKey::Affiliate => "affiliate",
            CohortKey::Referrer => "referrer",
            CohortKey::Channel => "channel",
        }
    }
}

/// The customer's source: the `by` field of their first session, or [`NO_SOURCE`]; at most
/// [`MAX_TEXT_LEN`] bytes, like the fields it comes from.
pub fn source_of(by: CohortKey, profile: &Profile) -> String {
    let first = profile.first_session();
    let source = first.and_then(|s| match by {
        CohortKey::Affiliate => s.affiliate.clone(),
        CohortKey::Referrer => s.referrer.as_deref().map(referrer_host),
        CohortKey::Channel => Some(String::from(s.channel.as_str())),
    });
    source
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| NO_SOURCE.into())
}

/// What one source's customers did (or the whole population's), as fitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortStats {
    /// Customers from the source.
    pub customers: u64,
    /// Share of them with a repeat purchase.
    pub repeat_rate: f64,
    /// Their average order value, in major units.
    pub aov: f64,
    /// Their mean CLV under the models, in major units.
    pub clv: f64,
}

/// The cohort model of the models file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cohorts {
    /// Which field of the first session names the cohort.
    pub by: CohortKey,
    /// How many customers' worth of the population's means a cohort's are pulled toward.
    pub prior: f64,
    /// Every customer fitted.
    pub population: CohortStats,
    /// Per source.
    pub sources: BTreeMap<String, CohortStats>,
}

/// A request's cohort, as rules read it (`cohort.source`, `cohort.clv`, `cohort.visitors`...):
/// what the fit measured (without a fitted cohort model, `None`) and what live counts say
/// (without [`CohortCounts`](crate::learn::CohortCounts), `None`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CohortValue {
    /// The source, or [`NO_SOURCE`].
    pub source: String,
    /// Customers fitted from it (0 for a source the fit never saw).
    pub customers: Option<u64>,
    /// Shrunk repeat rate.
    pub repeat_rate: Option<f64>,
    /// Shrunk average order value, major units.
    pub aov: Option<f64>,
    /// Shrunk mean CLV, major units.
    pub clv: Option<f64>,
    /// Visitors counted live from it.
    #[serde(default)]
    pub visitors: Option<u64>,
    /// Its visitors' shrunk share with a first purchase, counted live.
    #[serde(default)]
    pub conversion: Option<f64>,
}

/// The host of a referrer, in lower case: scheme, user, `www.`, port, path and query left out;
/// at most [`MAX_TEXT_LEN`] bytes (lower case can lengthen a text: `İ` is 2 bytes, `i̇` 3), cut at
/// a character.
pub fn referrer_host(referrer: &str) -> String {
    let mut host = full_host(referrer);
    if host.len() > MAX_TEXT_LEN {
        let cut = (0..=MAX_TEXT_LEN)
            .rev()
            .find(|&i| host.is_char_boundary(i))
            .unwrap_or(0);
        host.truncate(cut);
    }
    host
}

fn full_host(referrer: &str) -> String {
    let rest = referrer
        .split_once("://")
        .map_or(referrer, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = host.split(':').next().unwrap_or(host).to_lowercase();
    match host.strip_prefix("www.") {
        Some(rest) => rest.into(),
        None => host,
    }
}

impl Cohorts {
    /// The customer's source: the `by` field of their first session, or [`NO_SOURCE`].
    pub fn source_of(&self, profile: &Profile) -> String {
        source_of(self.by, profile)
    }

    /// The shrunk values of `source` (the population's for a source never fitted); `None` when
    /// a value is not a finite number (cohorts built in code, unchecked).
    pub fn value(&self, source: &str) -> Option<CohortValue> {
        let own = self.sources.get(source).copied().unwrap_or_default();
        let n = own.customers as f64;
        let pull = |mine: f64, population: f64| {
            // Weights, not n · mine: a huge value times n would overflow.
            let w = n / (n + self.prior);
            Some(w * mine + (1.0 - w) * population).filter(|v| v.is_finite())
        };
        let p = self.population;
        Some(CohortValue {
            source: source.into(),
            customers: Some(own.customers),
            repeat_rate: Some(pull(own.repeat_rate, p.repeat_rate)?),
            aov: Some(pull(own.aov, p.aov)?),
            clv: Some(pull(own.clv, p.clv)?),
            visitors: None,
            conversion: None,
        })
    }

    /// Fits the cohorts of `customers`: each a source and its repeat flag, average order value
    /// and CLV (`None` when the models cannot value it; it then counts in the rates and order
    /// values, and the CLV means are over the valued ones).
    pub fn fit<'a>(
        by: CohortKey,
        prior: f64,
        customers: impl IntoIterator<Item = (&'a str, bool, f64, Option<f64>)>,
    ) -> Result<Cohorts, Error> {
        #[derive(Default)]
        struct Sums {
            n: u64,
            repeat: u64,
            aov: f64,
            valued: u64,
            clv: f64,
        }
        let mut all = Sums::default();
        let mut by_source: BTreeMap<&str, Sums> = BTreeMap::new();
        for (source, repeat, aov, clv) in customers {
            for sums in [&mut all, by_source.entry(source).or_default()] {
                sums.n += 1;
                sums.repeat += u64::from(repeat);
                sums.aov += aov;
                if let Some(clv) = clv {
                    sums.valued += 1;
                    sums.clv += clv;
                }
            }
        }
        let stats = |s: &Sums| CohortStats {
            customers: s.n,
            repeat_rate: s.repeat as f64 / s.n as f64,
            aov: s.aov / s.n as f64,
            clv: if s.valued == 0 {
                0.0
            } else {
                s.clv / s.valued as f64
            },
        };
        if all.n == 0 {
            return Err(Error::new(
                ErrorCode::InvalidData,
                "no customers to fit cohorts on",
            ));
        }
        // The largest sources are kept: a long tail of one-customer sources is the population.
        let mut sources: alloc::vec::Vec<(&str, Sums)> = by_source.into_iter().collect();
        sources.sort_by(|a, b| b.1.n.cmp(&a.1.n).then(a.0.cmp(b.0)));
        sources.truncate(MAX_COHORTS);
        let cohorts = Cohorts {
            by,
            prior,
            population: stats(&all),
            sources: sources
                .iter()
                .map(|(name, sums)| (String::from(*name), stats(sums)))
                .collect(),
        };
        cohorts.validate()?;
        Ok(cohorts)
    }

    /// Checks counts, rates and values.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |what: &str, why: &str| {
            Err(Error::new(
                ErrorCode::InvalidModel,
                alloc::format!("cohorts: {what} {why}"),
            ))
        };
        if !(self.prior.is_finite() && self.prior > 0.0) {
            return invalid("prior", "must be a positive number");
        }
        if self.sources.len() > MAX_COHORTS {
            return invalid("sources", "are too many");
        }
        for (name, s) in core::iter::once((&String::from("population"), &self.population))
            .chain(self.sources.iter())
        {
            if name.is_empty() || name.len() > MAX_TEXT_LEN {
                return invalid("a source", "is empty or too long");
            }
            let fine = s.customers > 0
                && (0.0..=1.0).contains(&s.repeat_rate)
                && s.aov.is_finite()
                && s.aov >= 0.0
                && s.clv.is_finite()
                && s.clv >= 0.0;
            if !fine {
                return invalid(name, "needs customers, a repeat rate in [0, 1], and a finite, non-negative aov and clv");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cohorts_are_pulled_toward_the_population() {
        // 4 customers from "gadgets" (3 repeat, orders of 40, CLV 100), 16 from elsewhere
        // (none repeat, orders of 20, CLV 10).
        let customers = (0..20).map(|i| {
            if i < 4 {
                ("gadgets", i < 3, 40.0, Some(100.0))
            } else {
                ("search", false, 20.0, Some(10.0))
            }
        });
        let cohorts = Cohorts::fit(CohortKey::Affiliate, 20.0, customers).unwrap();
        let population = cohorts.population;
        assert_eq!(population.customers, 20);
        assert!((population.clv - (4.0 * 100.0 + 16.0 * 10.0) / 20.0).abs() < 1e-12);
        let gadgets = cohorts.value("gadgets").unwrap();
        assert_eq!(gadgets.customers, Some(4));
        // (n · mean + prior · population) / (n + prior), by hand: (4·100 + 20·28) / 24 = 40.
        assert!((gadgets.clv.unwrap() - 40.0).abs() < 1e-12, "{gadgets:?}");
        let repeat = gadgets.repeat_rate.unwrap();
        assert!((repeat - (4.0 * 0.75 + 20.0 * 0.15) / 24.0).abs() < 1e-12);
        // A source the fit never saw is worth the population.
        let unseen = cohorts.value("coupons").unwrap();
        assert_eq!(
            (unseen.customers, unseen.clv),
            (Some(0), Some(population.clv))
        );
        cohorts.validate().unwrap();
    }

    #[test]
    fn bad_cohorts_are_errors() {
        let fitted = Cohorts::fit(CohortKey::Channel, 5.0, [("web", true, 10.0, None)]).unwrap();
        assert_eq!(fitted.population.clv, 0.0, "no valued customer");
        for broken in [
            Cohorts {
                prior: 0.0,
                ..fitted.clone()
            },
            Cohorts {
                prior: f64::NAN,
                ..fitted.clone()
            },
        ] {
            assert_eq!(
                broken.validate().unwrap_err().code(),
                ErrorCode::InvalidModel
            );
        }
        let mut rate = fitted.clone();
        rate.sources.get_mut("web").unwrap().repeat_rate = 1.5;
        assert_eq!(rate.validate().unwrap_err().code(), ErrorCode::InvalidModel);
        let mut empty = fitted;
        empty.population.customers = 0;
        assert_eq!(
            empty.validate().unwrap_err().code(),
            ErrorCode::InvalidModel
        );
        // Unchecked cohorts built in code give no value rather than NaN.
        let unchecked = Cohorts::default();
        assert_eq!(unchecked.value("web"), None, "0 customers and a prior of 0");
        let none = Cohorts::fit(CohortKey::Channel, 5.0, []);
        assert_eq!(none.unwrap_err().code(), ErrorCode::InvalidData);
    }

    #[test]
    fn a_referrer_is_its_host() {
        for (referrer, host) in [
            ("https://www.Gadgets.com/reviews/tent?x=1", "gadgets.com"),
            ("http://blog.example:8080/a", "blog.example"),
            ("gadgets.com", "gadgets.com"),
            ("android-app://com.example", "com.example"),
            ("https://WWW.Gadgets.com", "gadgets.com"),
            ("https://user:pw@shop.example:443/a", "shop.example"),
        ] {
            assert_eq!(referrer_host(referrer), host);
        }
        // Lower case lengthens `İ` (2 bytes to 3): the host is cut at a character, at 256 bytes.
        let long = referrer_host(&"İ".repeat(128));
        assert_eq!(long.len(), 256, "85 whole `i̇` and one `i`");
        assert!(long.chars().all(|c| c == 'i' || c == '\u{307}'));
    }
}
