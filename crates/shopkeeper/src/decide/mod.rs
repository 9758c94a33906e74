//! Decisions: the next best offers for this customer, on this channel, now, and why.
//!
//! A [`Catalog`] (JSON, compiled once) lists the offers and actions with their rules, values,
//! levers, exclusion groups and contact policies. An [`Engine`] pairs it with the [`Models`](crate::score::Models) that
//! give scores and model propensities, and [`Engine::decide`] runs, for one request:
//!
//! 1. the universal control group, the customer's objection and the channel's contact policy,
//!    each of which leaves only the default action;
//! 2. per offer, in catalog order: channel, validity window, eligibility, applicability,
//!    suitability, contact policy, then the score `propensity × context weight × value × lever`;
//! 3. ranking (ties broken by a hash of the request's seed and the offer's id, then by catalog
//!    order), at most one offer per exclusion group, the request's slots filled best first;
//! 4. the default action when nothing qualifies.
//!
//! With [`Request::log`] each pick also carries its logged probability and the decision its
//! log record ([`Decision::log`], for off-policy evaluation and [`Learner::credit`]); with
//! [`Request::explain`] it also writes a [`Receipt`]: every pick's score parts and every dropped
//! offer's stage and typed cause, put into words only when the receipt is read or written.
//! `decide` reads the profile and changes nothing: the caller reports what it showed with
//! `offer_shown` events ([`Decision::shown_events`]).
//!
//! Where things happen: `engine.rs` runs a request; `filter.rs` holds every stage that drops an
//! offer and the typed cause it gives; `select.rs` chooses (exclusion groups, slots, ties);
//! `probability.rs` computes logged probabilities; `explain.rs` is the receipt and the words of
//! each cause; `decision.rs` the decision and its JSON; `log.rs` decision logs; `request.rs` the
//! request and its JSON form.
//!
//! [`Learner::credit`]: crate::learn::Learner::credit
//!
//! ```
//! use shopkeeper::decide::{Catalog, Engine, Request};
//! use shopkeeper::rules::Context;
//! use shopkeeper::score::Models;
//! use shopkeeper::{Channel, Profile};
//!
//! let now = 1_732_406_400;
//! let catalog = Catalog::compile(r#"{
//!   "version": "2024-11-24.1",
//!   "default": {"id": "newsletter", "kind": "content"},
//!   "offers": [
//!     {"id": "free-shipping", "eligibility": "customer.known and cart.value >= 100", "value": 8},
//!     {"id": "welcome-10", "eligibility": "not customer.known", "value": 5}
//!   ]
//! }"#, now)?;
//! let engine = Engine::new(catalog, Models::default())?;
//! let profile = Profile::anonymous("visitor-1")?;
//! let context = Context::new(engine.catalog().schema());
//! let decision = engine.decide(&profile, &context, &Request::new(Channel::Web, now).explain(true))?;
//! assert_eq!(decision.picks()[0].action.id(), "welcome-10");
//! let receipt = decision.receipt().ok_or("asked for a receipt")?;
//! let dropped = receipt.dropped_offer("free-shipping").ok_or("free-shipping was dropped")?;
//! assert_eq!(dropped.reason(), "customer.known");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bucket;
mod catalog;
mod clauses;
mod compile;
mod contact;
mod decision;
mod engine;
mod explain;
mod filter;
mod log;
mod predictors;
mod probability;
mod request;
mod select;
mod source;

pub use bucket::control_bucket;
pub use catalog::{
    Action, Catalog, ControlGroup, Kind, Offer, Problem, ProblemCode, Problems, Severity,
    MAX_CATALOG_LEN, MAX_CATALOG_OFFERS, MAX_PAYLOAD_LEN,
};
pub use contact::ContactBlock;
pub use decision::{Decision, Pick, Score, Suppression};
pub use engine::{Engine, Live};
pub use explain::{Dropped, PickRecord, PropensitySource, Receipt};
pub use filter::{Cause, Stage};
pub use log::{DecisionLog, LogEntry, LoggedPick, MAX_LOG_ENTRY_LEN, MAX_LOG_RECORD_LEN};
pub use predictors::{Evidence, MAX_EXPLAINED_BINS};
pub use request::{DecisionRequest, Request, MAX_REQUEST_LEN};

/// Re-draws, after the decision itself, behind a logged propensity when a decision depends on its
/// seed (`spec/learning.md`).
pub const LOGGING_DRAWS: u32 = 256;

/// Most slots one request may ask for.
pub const MAX_SLOTS: usize = 16;
