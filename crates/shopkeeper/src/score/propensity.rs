//! Pluggable propensity: a logistic regression trained elsewhere (scikit-learn, R, a warehouse)
//! whose features are rule-language paths (`customer.orders`, `session.page_views`,
//! `customer.p_alive`, `context.KEY`...). spec/scores.md shows the model file and a scikit-learn
//! export.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::special::one_over_one_plus_exp;
use crate::rules::schema::Slot;
use crate::rules::{Features, Schema, Type};
use crate::{Error, ErrorCode};

/// Most features one model may have.
pub const MAX_FEATURES: usize = 256;

/// A logistic-regression model: `P = 1 / (1 + e^-(intercept + Σ weight·(x - mean)/scale))`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logistic {
    /// The name catalogs refer to it by.
    pub name: String,
    /// The intercept (scikit-learn's `intercept_[0]`).
    pub intercept: f64,
    /// The features and their weights (scikit-learn's `coef_[0]`, in `feature_names_in_` order).
    pub features: Vec<LogisticFeature>,
}

/// One feature of a [`Logistic`] model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogisticFeature {
    /// A number or bool path of the rule language (bools read as 1 and 0).
    pub path: String,
    /// Its weight.
    pub weight: f64,
    /// Subtracted before weighting (a StandardScaler's `mean_`); also the value of a missing
    /// feature when `missing` is not given, so that it contributes nothing. Default 0.
    #[serde(default)]
    pub mean: Option<f64>,
    /// Divides after subtracting the mean (a StandardScaler's `scale_`). Default 1.
    #[serde(default)]
    pub scale: Option<f64>,
    /// The value used when the path is missing for a customer (no purchase yet, an absent
    /// attribute). Default: `mean`, else 0.
    #[serde(default)]
    pub missing: Option<f64>,
}

impl Logistic {
    /// Checks the name, the number of features and that every number is finite (scales positive).
    pub fn validate(&self) -> Result<(), Error> {
        let invalid = |why: String| {
            Error::new(
                ErrorCode::InvalidModel,
                alloc::format!("propensity {:?}: {why}", self.name),
            )
        };
        if self.name.is_empty() || self.name.len() > crate::limits::MAX_NAME_LEN {
            return Err(invalid("the name must have 1 to 64 bytes".into()));
        }
        if self.features.len() > MAX_FEATURES {
            return Err(invalid(alloc::format!(
                "{} features, at most {MAX_FEATURES}",
                self.features.len()
            )));
        }
        if !self.intercept.is_finite() {
            return Err(invalid(alloc::format!(
                "intercept {} is not finite",
                self.intercept
            )));
        }
        for f in &self.features {
            let numbers = [Some(f.weight), f.mean, f.scale, f.missing];
            if numbers.iter().flatten().any(|n| !n.is_finite()) || f.scale.is_some_and(|s| s <= 0.0)
            {
                return Err(invalid(alloc::format!(
                    "feature {:?}: weight, mean, scale and missing must be finite, scale positive",
                    f.path
                )));
            }
        }
        Ok(())
    }

    /// Resolves the features against `schema`: an unknown path, or one that is not a number or a
    /// bool, is an error.
    pub fn bind(&self, schema: &Schema) -> Result<BoundLogistic, Error> {
        self.validate()?;
        let mut terms = Vec::with_capacity(self.features.len());
        for f in &self.features {
            let (slot, ty) = schema.resolve(&f.path).ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidModel,
                    alloc::format!(
                        "propensity {:?}: unknown feature path {:?}",
                        self.name,
                        f.path
                    ),
                )
            })?;
            let slot = match (slot, ty) {
                (Slot::Number(i), Type::Number) => Feature::Number(i),
                (Slot::Bool(i), Type::Bool) => Feature::Bool(i),
                _ => {
                    return Err(Error::new(
                        ErrorCode::InvalidModel,
                        alloc::format!(
                        "propensity {:?}: feature {:?} is a {ty}; features are numbers or bools",
                        self.name,
                        f.path
                    ),
                    ))
                }
            };
            let mean = f.mean.unwrap_or(0.0);
            terms.push(Term {
                slot,
                mean,
                weight: f.weight / f.scale.unwrap_or(1.0),
                missing: f.missing.unwrap_or(mean),
            });
        }
        Ok(BoundLogistic {
            intercept: self.intercept,
            terms,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Feature {
    Number(usize),
    Bool(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Term {
    slot: Feature,
    mean: f64,
    /// `weight / scale`.
    weight: f64,
    missing: f64,
}

/// A [`Logistic`] model resolved against a schema: scoring reads slots of [`Features`] built with
/// that schema, and allocates nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundLogistic {
    intercept: f64,
    terms: Vec<Term>,
}

impl BoundLogistic {
    /// The propensity, in (0, 1).
    pub fn score(&self, features: &Features<'_>) -> f64 {
        let mut z = self.intercept;
        for t in &self.terms {
            let x = match t.slot {
                Feature::Number(i) => features.numbers.get(i).copied().flatten(),
                Feature::Bool(i) => features
                    .bools
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|b| f64::from(u8::from(b))),
            };
            z += t.weight * (x.unwrap_or(t.missing) - t.mean);
        }
        one_over_one_plus_exp(-z)
    }
}
