//! A learner's binary form: the envelope (`SKL\x01`) around postcard. Version 2 adds the recent
//! half-life and the offers' predictor models to version 1's arms; version 1 still reads (its
//! recent half-life is the default one).

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
const VERSION: u16 = 2;

type Segments = Vec<(String, Vec<(String, Arm)>)>;

/// Version 1: per segment, its arms by offer.
#[derive(Deserialize)]
struct WireV1 {
    half_life: Timestamp,
    segments: Segments,
}

/// Version 2: version 1, the recent half-life, and per offer its model: the clock, the totals,
/// and per predictor (by name) its total and its bins (by value); every count long accepts, long
/// rejects, recent accepts, recent rejects.
#[derive(Serialize, Deserialize)]
struct Wire {
    half_life: Timestamp,
    recent_half_life: Timestamp,
    segments: Segments,
    models: Vec<(String, WireModel)>,
}

type Counts4 = [f64; 4];
/// A predictor: its name, its total, its bins by value.
type WirePredictor = (String, Counts4, Vec<(String, Counts4)>);

#[derive(Serialize, Deserialize)]
struct WireModel {
    at: Timestamp,
    totals: Counts4,
    surprise: [f64; 2],
    predictors: Vec<WirePredictor>,
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
                    .map(|b| (b.value.clone(), b.stat.counts))
                    .collect();
                (p.name.clone(), p.total.counts, bins)
            })
            .collect();
        WireModel {
            at: model.at,
            totals: model.totals.counts,
            surprise: model.surprise,
            predictors,
        }
    }
}

pub(super) fn decode(bytes: &[u8]) -> Result<Learner, Error> {
    let (version, payload) = codec::open(MAGIC, MAX_LEARNER_LEN, bytes)?;
    let wire = match version {
        1 => {
            let v1: WireV1 = codec::take(payload)?;
            Wire {
                half_life: v1.half_life,
                recent_half_life: default_recent(v1.half_life),
                segments: v1.segments,
                models: Vec::new(),
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

impl Wire {
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
        check_counts(&self.totals, &what)?;
        let [off, spread] = self.surprise;
        let bounded = |c: &[f64]| c.iter().all(|c| c.abs() <= MAX_COUNT);
        if !off.is_finite() || !spread.is_finite() || spread < 0.0 || !bounded(&self.surprise) {
            return Err(bad_counts(&what));
        }
        let all_counts = self.predictors.iter().flat_map(|(_, total, bins)| {
            core::iter::once(total).chain(bins.iter().map(|(_, c)| c))
        });
        if !bounded(&self.totals) || !all_counts.into_iter().all(|c| bounded(c)) {
            return Err(bad_counts(&what));
        }
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
            check_counts(&total, &what)?;
            if bins.len() > MAX_BINS {
                return Err(Error::new(
                    ErrorCode::LimitExceeded,
                    format!("{what}: predictor {name:?} has more than {MAX_BINS} bins"),
                ));
            }
            let mut kept = Vec::with_capacity(bins.len());
            for (value, counts) in bins {
                crate::check::text("a bin's value", &value, MAX_BIN_VALUE_LEN)?;
                check_counts(&counts, &what)?;
                kept.push(Bin {
                    hash: fnv1a(&[value.as_bytes()]),
                    value,
                    stat: Stat {
                        counts,
                        ..Stat::default()
                    },
                });
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
                total: Stat {
                    counts: total,
                    ..Stat::default()
                },
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
            totals: Stat {
                counts: self.totals,
                ..Stat::default()
            },
            predictors,
            surprise: self.surprise,
            recent: false,
            ids: Vec::new(),
            evidence: Vec::new(),
        };
        model.refresh();
        Ok(model)
    }
}
