//! Decision logs: the compact record of a decision (what it chose, with what probability, under
//! which catalog, schema, request and segment), and the log entry that adds what off-policy
//! evaluation needs to decide again (the profile and context the decision saw, and what the
//! customer accepted). `spec/learning.md`, "Decision logs", documents both.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::engine::Engine;
use super::request::Request;
use super::MAX_SLOTS;
use crate::learn::ope::Logged;
use crate::learn::{Learner, MAX_REQUEST_BINS};
use crate::limits::MAX_EXPORT_LEN;
use crate::rules::{Context, Schema, MAX_CONTEXT_JSON_LEN};
use crate::{BoundedVec, Channel, Error, ErrorCode, Profile, Timestamp};

/// Longest log entry as JSON text: a profile export and a context at their caps, and the record.
pub const MAX_LOG_ENTRY_LEN: usize = MAX_EXPORT_LEN + MAX_CONTEXT_JSON_LEN + 64 * 1024;

/// The record of one decision, for off-policy evaluation and for crediting responses
/// ([`Learner::credit`]). [`Decision::log`](super::Decision::log) makes it.
///
/// It reads the `receipt` of older logs too: a receipt has every field but `schema`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecisionLog {
    /// The catalog's version.
    pub catalog_version: String,
    /// The fingerprint of the catalog's schema ([`Schema::fingerprint`]), as 16 hex digits in
    /// JSON; `None` in a log written before fingerprints existed.
    #[serde(
        default,
        serialize_with = "write_fingerprint",
        deserialize_with = "read_fingerprint"
    )]
    pub schema: Option<u64>,
    /// The profile's id.
    pub customer: String,
    /// The request's channel.
    pub channel: Channel,
    /// The request's time.
    pub now: Timestamp,
    /// The request's seed, written as a string of digits so that every JSON reader keeps its 64
    /// bits (a re-decision under a rounded seed would give other probabilities); a number is read
    /// too.
    #[serde(serialize_with = "write_seed", deserialize_with = "read_seed")]
    pub seed: u64,
    /// The request's slots.
    pub slots: usize,
    /// The learning segment (`""` without one): responses to the picks are credited to it.
    #[serde(default)]
    pub segment: String,
    /// Whether the customer is in the control group.
    #[serde(default)]
    pub control_group: bool,
    /// Whether the picks are the default action.
    #[serde(default)]
    pub fallback: bool,
    /// The picks, best first, each with its logged probability.
    pub picks: BoundedVec<LoggedPick, MAX_SLOTS>,
    /// When the catalog has predictors, the request's bins (`name=value`, sorted; empty when
    /// the customer had no value): responses to the picks are credited to the offers' models
    /// with them. Absent without predictors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictors: Option<BoundedVec<String, MAX_REQUEST_BINS>>,
}

/// A pick in a [`DecisionLog`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoggedPick {
    /// The offer's (or the default action's) id.
    pub offer: String,
    /// The probability that the logging policy put it at this rank, in (0, 1].
    pub probability: f64,
}

/// Longest decision-log record as JSON text ([`DecisionLog::from_json`]).
pub const MAX_LOG_RECORD_LEN: usize = 64 * 1024;

impl DecisionLog {
    /// Reads a record (the `log` of a decision's JSON, or a log entry's `decision`); at most
    /// [`MAX_LOG_RECORD_LEN`] bytes (`too_long`, before it is read).
    pub fn from_json(json: &str) -> Result<DecisionLog, Error> {
        crate::check::input_len("a decision-log record", json, MAX_LOG_RECORD_LEN)?;
        serde_json::from_str(json).map_err(crate::event::json_error)
    }

    /// The record as JSON.
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string(self).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
    }

    /// The request the decision answered (without `explain`): what a candidate policy is asked
    /// again in off-policy evaluation.
    pub fn request(&self) -> Request {
        Request::new(self.channel, self.now)
            .slots(self.slots)
            .seed(self.seed)
    }

    /// Whether `offer` is one of the picks (not the default action of a fallback).
    pub fn showed(&self, offer: &str) -> bool {
        !self.fallback && self.picks.iter().any(|p| p.offer == offer)
    }
}

/// One line of a decision log: the [`DecisionLog`] with the profile and context the decision
/// saw, and the picks the customer accepted. `shopkeeper replay --log` writes these lines and
/// `shopkeeper ope` reads them; every binding can make and read them through the core.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LogEntry {
    /// The profile as the decision saw it: its export JSON.
    pub profile: Box<RawValue>,
    /// The request context, as JSON (`{}` without one).
    #[serde(default)]
    pub context: Option<Box<RawValue>>,
    /// The decision's record (`receipt` in older logs, which kept the whole receipt).
    #[serde(alias = "receipt")]
    pub decision: DecisionLog,
    /// The picks the customer accepted.
    #[serde(default)]
    pub accepted: BoundedVec<String, MAX_SLOTS>,
}

impl LogEntry {
    /// The entry of a decision of `engine` for `profile` in `context`, with nothing accepted yet.
    pub fn new(
        engine: &Engine,
        profile: &Profile,
        context: &Context,
        decision: DecisionLog,
    ) -> Result<LogEntry, Error> {
        let raw = |json: String| {
            RawValue::from_string(json).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
        };
        Ok(LogEntry {
            profile: raw(profile.export()?)?,
            context: Some(raw(context.to_json(engine.catalog().schema())?)?),
            decision,
            accepted: BoundedVec::default(),
        })
    }

    /// Reads one line (at most [`MAX_LOG_ENTRY_LEN`] bytes: longer is `too_long`).
    pub fn from_json(line: &str) -> Result<LogEntry, Error> {
        crate::check::input_len("a decision-log entry", line, MAX_LOG_ENTRY_LEN)?;
        serde_json::from_str(line).map_err(crate::event::json_error)
    }

    /// The entry as one line of JSON.
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string(self).map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))
    }

    /// Records that the customer accepted `offer`; `false` (changing nothing) when the decision
    /// did not show it, or it is recorded already.
    pub fn accept(&mut self, offer: &str) -> bool {
        if !self.decision.showed(offer) || self.accepted.iter().any(|a| a == offer) {
            return false;
        }
        let mut accepted: Vec<String> = self.accepted.to_vec();
        accepted.push(offer.into());
        match BoundedVec::try_from(accepted) {
            Ok(accepted) => {
                self.accepted = accepted;
                true
            }
            Err(_) => false,
        }
    }

    /// The profile the decision saw.
    pub fn profile(&self) -> Result<Profile, Error> {
        Profile::from_export(self.profile.get())
    }

    /// The request context the decision saw, read against `schema`.
    pub fn context(&self, schema: &Schema) -> Result<Context, Error> {
        Context::from_json(schema, self.context.as_deref().map_or("{}", RawValue::get))
    }

    /// The logged picks for off-policy evaluation of `candidate` (with `learner` for its
    /// adaptive offers): each pick's logging probability, the candidate's probability of the
    /// same offer at the same rank ([`Engine::pick_probabilities`]), and its reward (1 when
    /// accepted). Position-wise: each pick is one item.
    pub fn evaluate(
        &self,
        candidate: &Engine,
        learner: Option<&Learner>,
    ) -> Result<Vec<Logged>, Error> {
        let profile = self.profile()?;
        let context = self.context(candidate.catalog().schema())?;
        let log = &self.decision;
        let ids: Vec<&str> = log.picks.iter().map(|p| p.offer.as_str()).collect();
        let target =
            candidate.pick_probabilities(&profile, &context, &log.request(), learner, &ids)?;
        Ok(log
            .picks
            .iter()
            .zip(target)
            .map(|(pick, target)| Logged {
                logging: pick.probability,
                target,
                reward: f64::from(u8::from(self.accepted.contains(&pick.offer))),
            })
            .collect())
    }
}

fn write_fingerprint<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(&format_args!("{v:016x}")),
        None => s.serialize_none(),
    }
}

fn read_fingerprint<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    text.map(|t| {
        if t.len() == 16 {
            u64::from_str_radix(&t, 16).map_err(|_| de::Error::custom("schema: 16 hex digits"))
        } else {
            Err(de::Error::custom("schema: 16 hex digits"))
        }
    })
    .transpose()
}

fn write_seed<S: Serializer>(seed: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(seed)
}

/// A seed written as a number, or as a string of decimal digits.
pub(crate) fn read_seed<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    struct Seed;
    impl Visitor<'_> for Seed {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a seed: an integer from 0 to 2^64 - 1, or one as a string of digits")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom(format!("a seed is not negative, got {v}")))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            v.parse()
                .map_err(|_| E::custom(format!("a seed as a string is decimal digits, got {v:?}")))
        }
    }
    d.deserialize_any(Seed)
}
