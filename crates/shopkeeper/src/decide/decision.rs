//! What a decision returns: the picks with their scores, what the caller records once they are
//! shown, the decision-log record (when asked for) and the receipt (when asked for); and the
//! decision's JSON, the one form every binding hands over (`spec/catalog.md`).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use smallvec::SmallVec;

use super::catalog::{Action, Catalog};
use super::explain::Receipt;
use super::log::{DecisionLog, LoggedPick};
use super::request::Request;
use crate::{Error, ErrorCode, Event, EventKind, Timestamp};

/// An offer's score and its parts: `score = propensity × context_weight × value × lever`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Score {
    /// The chance the customer takes it, in `[0, 1]`.
    pub propensity: f64,
    /// The product of the context weights that apply.
    pub context_weight: f64,
    /// What it is worth (the catalog's number or expression).
    pub value: f64,
    /// The business lever.
    pub lever: f64,
    /// The product.
    pub score: f64,
}

/// One chosen offer, or the default action (which has no score).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Pick<'c> {
    /// What to show.
    pub action: &'c Action,
    /// Its score; `None` for the default action.
    pub score: Option<Score>,
    /// The probability that the policy puts this offer at this rank, over its randomness (the
    /// request's seed): what off-policy evaluation divides by (`spec/learning.md`). Computed when
    /// the request asks for the decision log or the receipt; `None` otherwise.
    pub probability: Option<f64>,
}

/// Why every offer was held back before ranking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Suppression {
    /// The customer is in the catalog's universal control group.
    ControlGroup,
    /// The customer objects to personalization.
    Objection,
    /// The channel's contact policy is used up.
    ChannelCap,
}

/// A decision: the picks, best first, and (when asked for) the log record and the receipt. It
/// borrows from the engine's catalog.
#[derive(Debug)]
pub struct Decision<'c> {
    pub(crate) catalog: &'c Catalog,
    pub(crate) request: Request,
    pub(crate) picks: SmallVec<[Pick<'c>; 4]>,
    pub(crate) segment: String,
    /// The request's predictor bins.
    pub(crate) bins: super::predictors::RequestBins,
    pub(crate) fallback: bool,
    pub(crate) control_group: bool,
    /// The profile's id, kept when the log record is asked for.
    pub(crate) customer: Option<String>,
    pub(crate) receipt: Option<Receipt<'c>>,
}

impl<'c> Decision<'c> {
    /// Best first; at most the request's slots, at least one (the default action).
    pub fn picks(&self) -> &[Pick<'c>] {
        &self.picks
    }

    /// Whether the picks are the default action: no offer qualified, or all were held back.
    pub fn fallback(&self) -> bool {
        self.fallback
    }

    /// Whether the customer is in the control group (and so gets only the default action).
    pub fn control_group(&self) -> bool {
        self.control_group
    }

    /// The learning segment of the request (the catalog's `learning.segment`; `""` without one):
    /// record the responses to these picks in the learner under it
    /// ([`Learner::credit`](crate::learn::Learner::credit) does, from the log record).
    pub fn segment(&self) -> &str {
        &self.segment
    }

    /// The request's predictor bins (`name=value`, sorted; none without predictors): record the
    /// responses to these picks with them too
    /// ([`Learner::update_with`](crate::learn::Learner::update_with); the log record lists them
    /// for [`Learner::credit`](crate::learn::Learner::credit)).
    pub fn predictors(&self) -> Vec<String> {
        self.bins.names()
    }

    /// The receipt, when the request asked for it.
    pub fn receipt(&self) -> Option<&Receipt<'c>> {
        self.receipt.as_ref()
    }

    /// The receipt, owned.
    pub fn into_receipt(self) -> Option<Receipt<'c>> {
        self.receipt
    }

    /// The decision-log record (catalog version, schema fingerprint, customer, request, segment,
    /// each pick with its logged probability) when the request asked for it
    /// ([`Request::log`](super::Request::log), or a receipt): what off-policy evaluation and
    /// [`Learner::credit`](crate::learn::Learner::credit) read.
    pub fn log(&self) -> Option<DecisionLog> {
        let customer = self.customer.as_ref()?;
        let picks = self
            .picks
            .iter()
            .map(|p| {
                Some(LoggedPick {
                    offer: p.action.id.clone(),
                    probability: p.probability?,
                })
            })
            .collect::<Option<Vec<_>>>()?
            .try_into()
            .ok()?;
        Some(DecisionLog {
            catalog_version: self.catalog.version.clone(),
            schema: Some(self.catalog.schema.fingerprint()),
            customer: customer.clone(),
            channel: self.request.channel,
            now: self.request.now,
            seed: self.request.seed,
            slots: self.request.slots,
            segment: self.segment.clone(),
            control_group: self.control_group,
            fallback: self.fallback,
            picks,
            predictors: match self.catalog.learning.predictors.is_empty() {
                true => None,
                false => Some(self.bins.names().try_into().ok()?),
            },
        })
    }

    /// The `offer_shown` events to apply once the offers are shown, on the request's channel:
    /// contact policies count them. The default action is not an offer and is not recorded (so it
    /// never uses up a channel's cap).
    pub fn shown_events(&self, at: Timestamp) -> Vec<Event> {
        self.picks
            .iter()
            .filter(|p| p.score.is_some())
            .map(|p| {
                Event::new(
                    at,
                    self.request.channel,
                    EventKind::OfferShown {
                        offer: p.action.id.clone(),
                    },
                )
            })
            .collect()
    }

    /// The decision as JSON (`spec/catalog.md`, "The decision's JSON"): the picks with their
    /// titles, kinds, payloads and scores, `fallback`, `control_group`, `segment`, the `shown`
    /// events to apply at the request's time, and `log` and `receipt` when they were asked for.
    /// What the C API's `sk_engine_decide_json` and the npm package's `engine.decide` return.
    pub fn to_json(&self) -> Result<String, Error> {
        let mut out = serde_json::to_string(&DecisionJson(self))
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        if let Some(receipt) = &self.receipt {
            out.pop(); // the closing brace
            out.push_str(",\"receipt\":");
            receipt.push_json(&mut out)?;
            out.push('}');
        }
        Ok(out)
    }
}

/// The decision's JSON but the receipt (which writes its own, `explain.rs`).
struct DecisionJson<'a, 'c>(&'a Decision<'c>);

impl Serialize for DecisionJson<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let decision = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("format", "shopkeeper.decision")?;
        let picks: Vec<PickJson<'_>> = decision.picks.iter().map(PickJson).collect();
        map.serialize_entry("picks", &picks)?;
        map.serialize_entry("fallback", &decision.fallback)?;
        map.serialize_entry("control_group", &decision.control_group)?;
        map.serialize_entry("segment", &decision.segment)?;
        map.serialize_entry("shown", &decision.shown_events(decision.request.now))?;
        if let Some(log) = decision.log() {
            map.serialize_entry("log", &log)?;
        }
        map.end()
    }
}

/// One pick in the decision's JSON.
struct PickJson<'a>(&'a Pick<'a>);

impl Serialize for PickJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Pick {
            action,
            score,
            probability,
        } = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("offer", &action.id)?;
        map.serialize_entry("title", &action.title)?;
        map.serialize_entry("kind", &action.kind)?;
        map.serialize_entry("payload", &action.payload.as_deref())?;
        map.serialize_entry("is_default", &score.is_none())?;
        // The default action has no score: its parts are null.
        let part = |get: fn(&Score) -> f64| score.as_ref().map(get);
        map.serialize_entry("score", &part(|s| s.score))?;
        map.serialize_entry("propensity", &part(|s| s.propensity))?;
        map.serialize_entry("context_weight", &part(|s| s.context_weight))?;
        map.serialize_entry("value", &part(|s| s.value))?;
        map.serialize_entry("lever", &part(|s| s.lever))?;
        map.serialize_entry("probability", probability)?;
        map.end()
    }
}
