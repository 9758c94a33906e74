//! A decision request: where, how many, when, with which seed, and whether to log and explain;
//! in Rust ([`Request`]) and in its JSON form ([`DecisionRequest`], the one reader every binding
//! uses, with the defaults in one place).

use alloc::boxed::Box;
use alloc::format;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::MAX_SLOTS;
use crate::rules::{Context, Schema, MAX_CONTEXT_JSON_LEN};
use crate::{Channel, Error, ErrorCode, Timestamp};

/// One decision request: where, how many, when, and the seed for anything random. Build it with
/// [`Request::new`] and its setters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The channel that will show the picks.
    pub channel: Channel,
    /// How many offers the channel can show (1 to [`MAX_SLOTS`]).
    pub slots: usize,
    /// The caller's clock, in seconds since the epoch.
    pub now: Timestamp,
    /// Seeds tie-breaks and adaptive sampling: same inputs and seed, same decision.
    pub seed: u64,
    /// Whether to write the [`Receipt`](super::Receipt) (it explains every offer; it implies
    /// `log`).
    pub explain: bool,
    /// Whether to compute the picks' logged probabilities and keep the decision-log record
    /// ([`Decision::log`](super::Decision::log)).
    pub log: bool,
}

impl Request {
    /// One slot, seed 0, no log, no receipt.
    pub fn new(channel: Channel, now: Timestamp) -> Self {
        Request {
            channel,
            slots: 1,
            now,
            seed: 0,
            explain: false,
            log: false,
        }
    }

    /// With `slots` slots.
    pub fn slots(mut self, slots: usize) -> Self {
        self.slots = slots;
        self
    }

    /// With this seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// With or without the receipt.
    pub fn explain(mut self, explain: bool) -> Self {
        self.explain = explain;
        self
    }

    /// With or without the decision-log record.
    pub fn log(mut self, log: bool) -> Self {
        self.log = log;
        self
    }

    /// Whether the picks' logged probabilities are computed.
    pub(crate) fn logs(&self) -> bool {
        self.log || self.explain
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        if !(1..=MAX_SLOTS).contains(&self.slots) {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                format!("slots: 1 to {MAX_SLOTS}, got {}", self.slots),
            ));
        }
        crate::check::timestamp("now", self.now)
            .map_err(|e| Error::new(ErrorCode::InvalidRequest, e.message()))
    }
}

/// Longest decision request as JSON text: room for a context at its cap.
pub const MAX_REQUEST_LEN: usize = MAX_CONTEXT_JSON_LEN + 4 * 1024;

/// A decision request in its JSON form (`spec/catalog.md`, "Requests"):
/// `{"channel": "web", "now": 1732406400, "slots": 3, "seed": 7, "log": true, "explain": false,
/// "context": {"page_type": "cart"}}`. Every field but `now` has a default (channel `web`, one
/// slot, seed 0, no log, no receipt, no context); a binding with a clock may fill `now` when the
/// caller leaves it out. Unknown fields are rejected.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DecisionRequest {
    /// Where the picks will be shown (default `web`).
    #[serde(default, deserialize_with = "present")]
    pub channel: Option<Channel>,
    /// The caller's clock, seconds since the epoch.
    #[serde(default, deserialize_with = "present")]
    pub now: Option<Timestamp>,
    /// How many offers (default 1).
    #[serde(default, deserialize_with = "present")]
    pub slots: Option<usize>,
    /// The seed (default 0): a number, or a string of digits for the full 64 bits.
    #[serde(default, deserialize_with = "seed")]
    pub seed: Option<u64>,
    /// Whether to keep the decision-log record.
    #[serde(default)]
    pub log: bool,
    /// Whether to write the receipt.
    #[serde(default)]
    pub explain: bool,
    /// The request context, read against the catalog's schema.
    #[serde(default)]
    pub context: Option<Box<RawValue>>,
}

/// A field that, when written, holds a value: leaving it out means the default, but `null` (what
/// `JSON.stringify` makes of `NaN` or `Infinity`) is an error, not a silent default.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn seed<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    super::log::read_seed(d).map(Some)
}

impl DecisionRequest {
    /// Reads the JSON form (at most [`MAX_REQUEST_LEN`] bytes: longer is `too_long`, before it is
    /// read); a malformed request is `invalid_json`.
    pub fn from_json(json: &str) -> Result<DecisionRequest, Error> {
        crate::check::input_len("a decision request", json, MAX_REQUEST_LEN)?;
        serde_json::from_str(json).map_err(crate::event::json_error)
    }

    /// The request, with the defaults; `invalid_request` without `now` (checked, like slots,
    /// when deciding).
    pub fn request(&self) -> Result<Request, Error> {
        let now = self.now.ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidRequest,
                "the request needs `now` (seconds since the epoch)",
            )
        })?;
        Ok(Request {
            channel: self.channel.unwrap_or(Channel::Web),
            slots: self.slots.unwrap_or(1),
            now,
            seed: self.seed.unwrap_or(0),
            explain: self.explain,
            log: self.log,
        })
    }

    /// The request context, read against `schema` (empty without one).
    pub fn context(&self, schema: &Schema) -> Result<Context, Error> {
        match &self.context {
            Some(json) => Context::from_json(schema, json.get()),
            None => Ok(Context::new(schema)),
        }
    }
}
