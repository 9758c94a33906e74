//! The catalog's JSON source as written (`spec/catalog.md`), read with serde: what the author
//! wrote, unchecked. `compile.rs` checks it and compiles it into a [`Catalog`](super::Catalog).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::catalog::Kind;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogSource {
    pub(crate) version: String,
    #[serde(default = "two")]
    pub(crate) currency_decimals: u8,
    #[serde(default)]
    pub(crate) channels: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) context: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) context_weights: Vec<ContextWeightSource>,
    #[serde(default)]
    pub(crate) contact_policy: BTreeMap<String, CapSource>,
    #[serde(default)]
    pub(crate) control_group: Option<ControlGroupSource>,
    #[serde(default)]
    pub(crate) learning: Option<LearningSource>,
    #[serde(default)]
    pub(crate) pacing: Option<PacingSource>,
    /// Intent name to the phrases that express it.
    #[serde(default)]
    pub(crate) intents: BTreeMap<String, Vec<String>>,
    pub(crate) default: ActionSource,
    pub(crate) offers: Vec<OfferSource>,
}

pub(crate) fn two() -> u8 {
    2
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionSource {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) title: Option<String>,
    #[serde(default)]
    pub(crate) kind: Option<Kind>,
    #[serde(default)]
    pub(crate) payload: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferSource {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) title: Option<String>,
    #[serde(default)]
    pub(crate) kind: Option<Kind>,
    #[serde(default)]
    pub(crate) channels: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) valid_from: Option<TimeSource>,
    #[serde(default)]
    pub(crate) valid_until: Option<TimeSource>,
    #[serde(default)]
    pub(crate) eligibility: Option<String>,
    #[serde(default)]
    pub(crate) applicability: Option<String>,
    #[serde(default)]
    pub(crate) suitability: Option<String>,
    #[serde(default)]
    pub(crate) value: Option<NumberOrText>,
    #[serde(default)]
    pub(crate) lever: Option<f64>,
    #[serde(default)]
    pub(crate) group: Option<String>,
    #[serde(default)]
    pub(crate) contact: Option<ContactSource>,
    #[serde(default)]
    pub(crate) propensity: Option<PropensitySource>,
    #[serde(default)]
    pub(crate) budget: Option<BudgetSource>,
    #[serde(default)]
    pub(crate) payload: Option<Box<RawValue>>,
}

/// A number or a string (durations, times, values). Read by hand: serde's `untagged` buffers the
/// value and builds an error message per variant it tries, which dominated reading a catalog.
pub(crate) enum NumberOrText {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for NumberOrText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = NumberOrText;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_f64<E>(self, v: f64) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Number(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Number(v as f64))
            }
            fn visit_str<E>(self, v: &str) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Text(v.into()))
            }
            fn visit_string<E>(self, v: String) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Text(v))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

pub(crate) type TimeSource = NumberOrText;
pub(crate) type DurationSource = NumberOrText;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactSource {
    #[serde(default)]
    pub(crate) max_shows: Option<u32>,
    #[serde(default)]
    pub(crate) window: Option<DurationSource>,
    #[serde(default)]
    pub(crate) cooldown_after_dismiss: Option<DurationSource>,
    #[serde(default)]
    pub(crate) dismissals: Option<u32>,
    #[serde(default)]
    pub(crate) stop_after_accept: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapSource {
    pub(crate) max_shows: u32,
    pub(crate) window: DurationSource,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub(crate) enum PropensitySource {
    Adaptive(AdaptiveSource),
    Fixed(f64),
    Expression(String),
    Model(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContextWeightSource {
    #[serde(default)]
    pub(crate) when: Option<String>,
    #[serde(default)]
    pub(crate) channels: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) kind: Option<Kind>,
    pub(crate) weight: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdaptiveSource {
    /// Beta prior `[alpha, beta]`.
    #[serde(default)]
    pub(crate) prior: Option<[f64; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LearningSource {
    #[serde(default)]
    pub(crate) segment: Option<String>,
    #[serde(default)]
    pub(crate) half_life: Option<DurationSource>,
    #[serde(default)]
    pub(crate) floor: Option<f64>,
    #[serde(default)]
    pub(crate) recent_half_life: Option<DurationSource>,
    #[serde(default)]
    pub(crate) predictors: Option<Vec<PredictorSource>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PredictorSource {
    pub(crate) name: String,
    pub(crate) value: String,
    #[serde(default)]
    pub(crate) bins: Option<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ControlGroupSource {
    pub(crate) share: f64,
    pub(crate) salt: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BudgetSource {
    #[serde(default)]
    pub(crate) max_accepts: Option<u64>,
    #[serde(default)]
    pub(crate) max_shows: Option<u64>,
    pub(crate) per: DurationSource,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PacingSource {
    pub(crate) rule: String,
    #[serde(default)]
    pub(crate) ahead: Option<f64>,
}
