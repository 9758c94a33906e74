//! `Learner`: decayed response statistics of adaptive offers; off-policy estimates; the
//! documented draws every binding reproduces.

use serde::Serialize;
use shopkeeper::decide::{self, DecisionLog};
use shopkeeper::learn::ope::{self, Estimate, Logged};
use shopkeeper::learn::{Learner as Core, Response};
use wasm_bindgen::prelude::*;

use crate::{field, json_text, seconds, seed, to_js, whole, Failure, LoggedArg, Result, SeedArg};

/// Accept and reject counts per offer and segment that halve every half-life: what adaptive
/// offers sample from. Update it with every response; merge learners from many pages or servers.
#[wasm_bindgen]
pub struct Learner {
    pub(crate) core: Core,
}

#[wasm_bindgen]
impl Learner {
    /// A new, empty learner whose counts halve every `halfLife` seconds (1 minute to 10 years),
    /// and whose recent counts and surprise (how predictors see a change) every `recentHalfLife`
    /// seconds (default: a sixteenth of `halfLife`). `engine.newLearner()` takes the catalog's
    /// half-lives instead.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = "halfLife")] half_life: f64,
        #[wasm_bindgen(js_name = "recentHalfLife")] recent_half_life: Option<f64>,
    ) -> Result<Learner> {
        let half_life = whole(half_life, "halfLife")?;
        let core = match recent_half_life {
            Some(recent) => Core::with_recent(half_life, whole(recent, "recentHalfLife")?)?,
            None => Core::new(half_life)?,
        };
        Ok(Learner { core })
    }

    /// The recent half-life, in seconds.
    #[wasm_bindgen(getter, js_name = recentHalfLife)]
    pub fn recent_half_life(&self) -> f64 {
        self.core.recent_half_life() as f64
    }

    /// The half-life, in seconds.
    #[wasm_bindgen(getter, js_name = halfLife)]
    pub fn half_life(&self) -> f64 {
        self.core.half_life() as f64
    }

    /// How many (offer, segment) arms it holds.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.core.len()
    }

    /// Records a response to an offer shown in a decision's `segment`, at `at` (seconds; default:
    /// the current time).
    pub fn update(
        &mut self,
        offer: &str,
        segment: &str,
        #[wasm_bindgen(unchecked_param_type = "OfferResponse")] response: &str,
        at: Option<f64>,
    ) -> Result<()> {
        let response = Response::from_name(response)?;
        Ok(self
            .core
            .update(offer, segment, response, seconds(at, "at")?)?)
    }

    /// `update` for an offer of a catalog with predictors, from a customer in the predictor `bins`
    /// (`name=value` each, as a decision's log lists them under `predictors`; `undefined` or
    /// `[]` for none): the offer's predictor model learns the response too.
    #[wasm_bindgen(js_name = updateWith)]
    pub fn update_with(
        &mut self,
        offer: &str,
        segment: &str,
        #[wasm_bindgen(unchecked_param_type = "string[] | undefined")] bins: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "OfferResponse")] response: &str,
        at: Option<f64>,
    ) -> Result<()> {
        let response = Response::from_name(response)?;
        let bins: Vec<String> = if bins.is_undefined() || bins.is_null() {
            Vec::new()
        } else {
            let array = bins.dyn_ref::<js_sys::Array>().ok_or_else(|| {
                Failure::request("bins must be an array of \"name=value\" strings")
            })?;
            shopkeeper::learn::check_bin_count(array.length() as usize)?;
            array
                .iter()
                .map(|b| {
                    b.as_string()
                        .ok_or_else(|| Failure::request("bins must be \"name=value\" strings"))
                })
                .collect::<Result<_>>()?
        };
        let bins: Vec<&str> = bins.iter().map(String::as_str).collect();
        Ok(self
            .core
            .update_with(offer, segment, &bins, response, seconds(at, "at")?)?)
    }

    /// What `offer`'s predictor model holds under `key` at `now` (seconds; default: the current
    /// time): `""` its totals, `name` the responses where predictor `name` had a value,
    /// `name=value` one bin; `{long: {accepts, rejects}, recent: {accepts, rejects}}`.
    #[wasm_bindgen(js_name = modelCounts, unchecked_return_type = "ModelCounts")]
    pub fn model_counts(&self, offer: &str, key: &str, now: Option<f64>) -> Result<JsValue> {
        let c = self.core.model_counts(offer, key, seconds(now, "now")?);
        let counts = |c: shopkeeper::learn::Counts| CountsOut {
            accepts: c.accepts,
            rejects: c.rejects,
        };
        to_js(&ModelCountsOut {
            long: counts(c.long),
            recent: counts(c.recent),
        })
    }

    /// Credits a response to `offer` in the segment of the decision that showed it: `record` is
    /// that decision's `log` (or a log line's `decision`), as an object or JSON text. `false`,
    /// changing nothing, when that decision did not show the offer.
    pub fn credit(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "DecisionLog | string")] record: &JsValue,
        offer: &str,
        #[wasm_bindgen(unchecked_param_type = "OfferResponse")] response: &str,
        at: Option<f64>,
    ) -> Result<bool> {
        let record = DecisionLog::from_json(&json_text(record, "record")?)?;
        let response = Response::from_name(response)?;
        Ok(self
            .core
            .credit(&record, offer, response, seconds(at, "at")?)?)
    }

    /// Adds `other`'s counts (aligned to the later clock). Both must have the same half-life.
    pub fn merge(&mut self, other: &Learner) -> Result<()> {
        Ok(self.core.merge(&other.core)?)
    }

    /// The decayed counts of an arm at `now` (seconds; default: the current time).
    #[wasm_bindgen(unchecked_return_type = "Counts")]
    pub fn counts(&self, offer: &str, segment: &str, now: Option<f64>) -> Result<JsValue> {
        let counts = self.core.counts(offer, segment, seconds(now, "now")?);
        to_js(&CountsOut {
            accepts: counts.accepts,
            rejects: counts.rejects,
        })
    }

    /// The binary form, for storage or for sending to another learner.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.core.to_bytes()?)
    }

    /// Reads the binary form; damaged bytes throw a `decode_*` error.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<Learner> {
        Ok(Learner {
            core: Core::from_bytes(bytes)?,
        })
    }
}

#[derive(Serialize)]
struct CountsOut {
    accepts: f64,
    rejects: f64,
}

#[derive(Serialize)]
struct ModelCountsOut {
    long: CountsOut,
    recent: CountsOut,
}

/// An off-policy estimate as JS receives it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EstimateOut {
    value: f64,
    std_error: f64,
    low: f64,
    high: f64,
    effective_sample_size: f64,
    n: usize,
}

fn estimate(
    logs: &JsValue,
    z: f64,
    estimator: fn(&[Logged], f64) -> Result<Estimate, shopkeeper::Error>,
) -> Result<JsValue> {
    let items = logs
        .dyn_ref::<js_sys::Array>()
        .ok_or_else(|| Failure::request("logs must be an array of {logging, target, reward}"))?;
    let number = |item: &JsValue, key: &str| field(item, key).as_f64().unwrap_or(f64::NAN);
    let logs: Vec<Logged> = items
        .iter()
        .map(|item| Logged {
            logging: number(&item, "logging"),
            target: number(&item, "target"),
            reward: number(&item, "reward"),
        })
        .collect();
    let e = estimator(&logs, z)?;
    to_js(&EstimateOut {
        value: e.value,
        std_error: e.std_error,
        low: e.low,
        high: e.high,
        effective_sample_size: e.effective_sample_size,
        n: e.n,
    })
}

/// The inverse-propensity-weighted estimate of a candidate policy's value over logged decisions,
/// with a `z`-standard-error interval (1.96 for 95%). See `spec/learning.md`.
#[wasm_bindgen(unchecked_return_type = "Estimate")]
pub fn ipw(logs: &LoggedArg, z: f64) -> Result<JsValue> {
    estimate(logs, z, ope::ipw)
}

/// The self-normalised IPW estimate (lower variance, small bias); fails when the candidate gives
/// no logged decision a positive probability.
#[wasm_bindgen(unchecked_return_type = "Estimate")]
pub fn snipw(logs: &LoggedArg, z: f64) -> Result<JsValue> {
    estimate(logs, z, ope::snipw)
}

/// The Beta(a, b) draw of the documented stream seeded with `seed` (a safe integer or a BigInt):
/// the same bits in every binding (`spec/learning.md`).
#[wasm_bindgen(js_name = sampleBeta)]
pub fn sample_beta(seed_value: &SeedArg, a: f64, b: f64) -> Result<f64> {
    Ok(shopkeeper::learn::sample_beta(seed(seed_value)?, a, b)?)
}

/// The control-group bucket in [0, 1) of `customer` under `salt` (the documented hash): the
/// customer is in the control group when it is below the catalog's share.
#[wasm_bindgen(js_name = controlBucket)]
pub fn control_bucket(salt: &str, customer: &str) -> f64 {
    decide::control_bucket(salt, customer)
}
