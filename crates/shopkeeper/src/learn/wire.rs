//! A learner's binary form: the envelope (`SKL\x01`) around postcard. Version 2 added the recent
//! half-life and the offers' predictor models to version 1's arms; version 3 keeps every count's
//! surprise. Versions 1 (its recent half-life the default one) and 2 (its surprise on the totals
//! only) still read.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::predictors::{check_predictor_name, Bin, Predictor, Stat};
use super::{
    default_recent, offer_hash, shared_hash, Arm, Learner, Model, MAX_ARMS, MAX_BINS,
    MAX_BIN_VALUE_LEN, MAX_LEARNER_BINS, MAX_LEARNER_LEN, MAX_PREDICTORS,
};
use crate::limits::{MAX_ID_LEN, MAX_NAME_LEN, MAX_TIMESTAMP};
use crate::random::fnv1a;
use crate::{codec, Error, ErrorCode, Timestamp};

const MAGIC: [u8; 4] = *b"SKL\x01";
const VERSION: u16 = 3;

type Segments = Vec<(String, Vec<(String, Arm)>)>;

/// Version 1: per segment, its arms by offer.
#[derive(Deserialize)]
struct WireV1 {
    half_life: Timestamp,
    segments: Segments,
}

/// Versions 2 and 3: version 1, the recent half-life, and per offer its model.
#[derive(Serialize, Deserialize)]
struct Wire<M> {
    half_life: Timestamp,
    recent_half_life: Timestamp,
    segments: Segments,
    models: Vec<(String, M)>,
}

/// A count in version 3: long accepts, long rejects, recent accepts, recent rejects, and the
/// surprise's two sums.
type Counts6 = [f64; 6];
/// A predictor: its name, its total, its bins by value.
type WirePredictor<C> = (String, C, Vec<(String, C)>);

/// A model in version 3: the clock, the totals, and per predictor (by name) its name, its total
/// and its bins (by value).
#[derive(Serialize, Deserialize)]
struct WireModel {
    at: Timestamp,
    totals: Counts6,
    predictors: Vec<WirePredictor<Counts6>>,
}

type Counts4 = [f64; 4];

/// A model in version 2: four counts each, the surprise on the model alone.
#[derive(Deserialize)]
struct WireModelV2 {
    at: Timestamp,
    totals: Counts4,
    surprise: [f64; 2],
    predictors: Vec<WirePredictor<Counts4>>,
}

impl From<WireModelV2> for WireModel {
    /// The predictors' and bins' surprise was not kept: none is read.
    fn from(v2: WireModelV2) -> WireModel {
        let six = |c: Counts4, s: [f64; 2]| [c[0], c[1], c[2], c[3], s[0], s[1]];
        WireModel {
            at: v2.at,
            totals: six(v2.totals, v2.surprise),
            predictors: (v2.predictors.into_iter())
                .map(|(name, total, bins)| {
                    let bins = bins.into_iter().map(|(v, c)| (v, six(c, [0.0; 2])));
                    (name, six(total, [0.0; 2]), bins.collect())
                })
                .collect(),
        }
    }
}

pub(super) fn encode(learner: &Learner) -> Result<Vec<u8>, Error> {
    let segments = learner
        .segments
        .iter()
        .map(|(segment, arms)| {
            let arms = arms
                .by_offer()
                .into_iter()
                .map(|(offer, arm)| (offer.into(), *arm))
                .collect();
            (segment.clone(), arms)
        })
        .collect();
    let models = learner
        .models
        .by_offer()
        .into_iter()
        .map(|(offer, model)| (offer.into(), WireModel::from(model)))
        .collect();
    let wire = Wire {
        half_life: learner.half_life,
        recent_half_life: learner.recent_half_life,
        segments,
        models,
    };
    let bytes = codec::encode(MAGIC, VERSION, &wire)?;
    if bytes.len() > MAX_LEARNER_LEN {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            format!(
                "the learner encodes to {} bytes, at most {MAX_LEARNER_LEN}",
                bytes.len()
            ),
        ));
    }
    Ok(bytes)
}

fn six(stat: &Stat) -> Counts6 {
    let (c, s) = (stat.counts, stat.surprise);
    [c[0], c[1], c[2], c[3], s[0], s[1]]
}

impl From<&Model> for WireModel {
    fn from(model: &Model) -> WireModel {
        // In the model's order: by the name's hash, then the value's (decoding checks it).
        let predictors = model
            .predictors
            .iter()
            .map(|p| {
                let bins = p
                    .bins
                    .iter()
                    .map(|b| (b.value.clone(), six(&b.stat)))
                    .collect();
                (p.name.clone(), six(&p.total), bins)
            })
            .collect();
        WireModel {
            at: model.at,
            totals: six(&model.totals),
            predictors,
        }
    }
}

pub(super) fn decode(bytes: &[u8]) -> Result<Learner, Error> {
    let (version, payload) = codec::open(MAGIC, MAX_LEARNER_LEN, bytes)?;
    let wire: Wire<WireModel> = match version {
        1 => {
            let v1: WireV1 = codec::take(payload)?;
            Wire {
                half_life: v1.half_life,
                recent_half_life: default_recent(v1.half_life),
                segments: v1.segments,
                models: Vec::new(),
            }
        }
        2 => {
            let v2: Wire<WireModelV2> = codec::take(payload)?;
            Wire {
                half_life: v2.half_life,
                recent_half_life: v2.recent_half_life,
                segments: v2.segments,
                models: (v2.models.into_iter())
                    .map(|(offer, m)| (offer, m.into()))
                    .collect(),
            }
        }
        VERSION => codec::take(payload)?,
        found => return Err(codec::unsupported_version(found, VERSION)),
    };
    wire.check()
        .map_err(|e| Error::new(ErrorCode::DecodeInvalid, e.message()))
}

fn bad_counts(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidNumber,
        format!("{what}: counts must be finite and >= 0, times in range"),
    )
}

/// The largest count (or surprise) a model may hold: far past any real decayed count, small
/// enough that rates and logarithms of it stay exact enough and finite.
const MAX_COUNT: f64 = 1e15;

fn check_counts(counts: &[f64], what: &str) -> Result<(), Error> {
    if counts.iter().all(|c| c.is_finite() && *c >= 0.0) {
        Ok(())
    } else {
        Err(bad_counts(what))
    }
}

/// A model's count: four counts and the surprise's spread finite, non-negative and at most
/// [`MAX_COUNT`]; the surprise one that its recent responses could have made (each adds at most
/// its weight to `|sum(y - p)|` and a quarter of it to `sum p(1 - p)`), so that no change read
/// from bytes is larger than real responses can make it.
fn stat(c: Counts6, what: &str) -> Result<Stat, Error> {
    let counts = [c[0], c[1], c[2], c[3]];
    check_counts(&counts, what)?;
    check_counts(&[c[5]], what)?;
    if !c.iter().all(|c| c.is_finite() && c.abs() <= MAX_COUNT) {
        return Err(bad_counts(what));
    }
    // Room for rounding: the sums are of the same weights, in another order.
    let recent = (c[2] + c[3]) * (1.0 + 1e-9) + 1e-9;
    if c[4].abs() > recent || c[5] > recent / 4.0 {
        return Err(bad_counts(what));
    }
    Ok(Stat {
        counts,
        surprise: [c[4], c[5]],
        ..Stat::default()
    })
}

impl Wire<WireModel> {
    fn check(self) -> Result<Learner, Error> {
        let count: usize = self.segments.iter().map(|(_, arms)| arms.len()).sum();
        if count > MAX_ARMS || self.models.len() > MAX_ARMS {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!(
                    "{count} arms and {} models, at most {MAX_ARMS} of each",
                    self.models.len()
                ),
            ));
        }
        let mut learner = Learner::with_recent(self.half_life, self.recent_half_life)?;
        let arms = self.segments.into_iter().flat_map(|(segment, arms)| {
            arms.into_iter().map(move |(o, a)| (o, segment.clone(), a))
        });
        for (offer, segment, arm) in arms {
            crate::check::id("offer", &offer, MAX_ID_LEN)?;
            crate::check::text("segment", &segment, MAX_NAME_LEN)?;
            let what = format!("arm {offer:?}/{segment:?}");
            check_counts(&[arm.accepts, arm.rejects], &what)?;
            if !(0..=MAX_TIMESTAMP).contains(&arm.at) {
                return Err(bad_counts(&what));
            }
            let arms = learner.segments.entry(segment).or_default();
            let hash = offer_hash(&offer);
            if arms.get(&offer, hash).is_some() {
                return Err(Error::new(ErrorCode::InvalidData, "an arm appears twice"));
            }
            if !arms.has_room(hash) {
                return Err(shared_hash(&offer));
            }
            arms.insert(offer, hash, arm);
            learner.arms += 1;
        }
        for (offer, wire) in self.models {
            crate::check::id("offer", &offer, MAX_ID_LEN)?;
            let model = wire.check(&offer)?;
            learner.model_count += 1;
            let hash = offer_hash(&offer);
            if learner.models.get(&offer, hash).is_some() {
                return Err(Error::new(ErrorCode::InvalidData, "a model appears twice"));
            }
            if !learner.models.has_room(hash) {
                return Err(shared_hash(&offer));
            }
            learner.bins += model.entries();
            if learner.bins > MAX_LEARNER_BINS {
                return Err(Error::new(
                    ErrorCode::LimitExceeded,
                    format!("more than {MAX_LEARNER_BINS} predictor bins and predictors"),
                ));
            }
            learner.models.insert(offer, hash, model);
        }
        Ok(learner)
    }
}

impl WireModel {
    fn check(self, offer: &str) -> Result<Model, Error> {
        let what = format!("the model of {offer:?}");
        let totals = stat(self.totals, &what)?;
        if !(0..=MAX_TIMESTAMP).contains(&self.at) {
            return Err(bad_counts(&what));
        }
        if self.predictors.len() > MAX_PREDICTORS {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                format!("{what} has more than {MAX_PREDICTORS} predictors"),
            ));
        }
        let mut predictors = Vec::with_capacity(self.predictors.len());
        for (name, total, bins) in self.predictors {
            check_predictor_name(&name)?;
            let total = stat(total, &what)?;
            if bins.len() > MAX_BINS {
                return Err(Error::new(
                    ErrorCode::LimitExceeded,
                    format!("{what}: predictor {name:?} has more than {MAX_BINS} bins"),
                ));
            }
            let mut kept = Vec::with_capacity(bins.len());
            for (value, counts) in bins {
                crate::check::text("a bin's value", &value, MAX_BIN_VALUE_LEN)?;
                let stat = stat(counts, &what)?;
                let hash = fnv1a(&[value.as_bytes()]);
                kept.push(Bin::new(value, hash, stat));
            }
            if !kept
                .windows(2)
                .all(|w| (w[0].hash, &w[0].value) < (w[1].hash, &w[1].value))
            {
                return Err(Error::new(
                    ErrorCode::InvalidData,
                    "bins out of order, or one appears twice",
                ));
            }
            predictors.push(Predictor {
                hash: fnv1a(&[name.as_bytes()]),
                name,
                total,
                bins: kept,
            });
        }
        if !predictors
            .windows(2)
            .all(|w| (w[0].hash, &w[0].name) < (w[1].hash, &w[1].name))
        {
            return Err(Error::new(
                ErrorCode::InvalidData,
                "predictors out of order, or one appears twice",
            ));
        }
        let mut model = Model {
            at: self.at,
            totals,
            predictors,
            ids: Vec::new(),
            evidence: Vec::new(),
        };
        model.refresh();
        Ok(model)
    }
}
