//! A fleet: many processes (web servers, POS terminals, browsers) deciding for the same shop. The
//! rules they share, so that every binding and every store applies them alike:
//!
//! - **Contributions** ([`Fleet`]): learners, KPIs, budget counters and cohort counts merge by
//!   adding, so each node keeps only *its own* contribution, publishes it under a sequence number
//!   as often as it likes, and the global view is the merge of every node's latest contribution
//!   (the grow-only-counter pattern). Publishing again replaces the node's slot instead of adding
//!   to it, so nothing is counted twice, whatever order publications arrive in (property-tested).
//!   [`Contributions`] is the same over the contributions' bytes, for the bindings.
//! - **Routing** ([`Directory`]): which profile an event belongs to, when anonymous visitors
//!   identify as customers: the visitor's profile is merged into the customer's once, and its
//!   anonymous id leads there from then on.
//!
//! ```
//! use shopkeeper::budget::Budgets;
//! use shopkeeper::decide::Catalog;
//! use shopkeeper::fleet::Fleet;
//! use shopkeeper::Event;
//!
//! let now = 1_796_119_200;
//! let catalog = Catalog::compile(r#"{"version": "1", "default": {"id": "tips"},
//!   "offers": [{"id": "free-shipping", "budget": {"max_shows": 500, "per": "1d"}}]}"#, now)?;
//! let shown = Event::from_json(&format!(
//!     r#"{{"type":"offer_shown","at":{now},"channel":"web","offer":"free-shipping"}}"#
//! ))?;
//! let (mut web_1, mut web_2) = (Budgets::new(), Budgets::new());
//! web_1.record(&catalog, &shown)?;
//! web_2.record(&catalog, &shown)?;
//! let mut fleet = Fleet::new();
//! fleet.publish("web-1", 1, web_1.clone())?;
//! fleet.publish("web-2", 1, web_2)?;
//! fleet.publish("web-1", 1, web_1)?; // again: replaces, never adds
//! let offer = catalog.offer("free-shipping").ok_or("declared")?;
//! assert_eq!(fleet.global()?.ok_or("published")?.spent(offer, now), Some(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bytes;
mod directory;

use alloc::collections::BTreeMap;
use alloc::string::String;

pub use bytes::Contributions;
pub use directory::Directory;

use crate::budget::Budgets;
use crate::kpi::Kpis;
use crate::learn::{CohortCounts, Learner};
use crate::limits::MAX_ID_LEN;
use crate::Error;

/// Most nodes a fleet holds.
pub const MAX_NODES: usize = 1_024;

/// State that nodes add up: one node's contribution merges into the global view.
pub trait Contribution: Clone {
    /// Adds `other` (another node's contribution) into `self`; fails, changing nothing, for
    /// contributions that cannot merge (another half-life, another `since`, caps).
    fn merge_from(&mut self, other: &Self) -> Result<(), Error>;
}

impl Contribution for Learner {
    fn merge_from(&mut self, other: &Self) -> Result<(), Error> {
        self.merge(other)
    }
}

impl Contribution for Kpis {
    fn merge_from(&mut self, other: &Self) -> Result<(), Error> {
        self.merge(other)
    }
}

impl Contribution for Budgets {
    fn merge_from(&mut self, other: &Self) -> Result<(), Error> {
        self.merge(other)
    }
}

impl Contribution for CohortCounts {
    fn merge_from(&mut self, other: &Self) -> Result<(), Error> {
        self.merge(other)
    }
}

/// One node's latest published contribution.
#[derive(Clone, Debug, PartialEq)]
pub struct Published<T> {
    /// The node's own counter: a publication replaces the slot only with a higher one.
    pub sequence: u64,
    /// What the node counted, all of it (never other nodes' counts).
    pub state: T,
}

/// Every node's latest contribution, by node id; the global view is their merge.
#[derive(Clone, Debug, PartialEq)]
pub struct Fleet<T> {
    nodes: BTreeMap<String, Published<T>>,
}

impl<T> Default for Fleet<T> {
    fn default() -> Self {
        Fleet {
            nodes: BTreeMap::new(),
        }
    }
}

impl<T: Contribution> Fleet<T> {
    /// No node has published.
    pub fn new() -> Fleet<T> {
        Fleet::default()
    }

    /// Takes `node`'s contribution at `sequence`: it replaces the node's slot when newer than the
    /// one held (`true`), and is ignored otherwise (`false`: a stale or repeated publication). A
    /// node's sequence must only grow, across its restarts too (keep it, or use the time).
    /// Fails, changing nothing, for a node id that is empty or longer than 128 bytes,
    /// or a new node past [`MAX_NODES`] (`limit_exceeded`).
    pub fn publish(&mut self, node: &str, sequence: u64, state: T) -> Result<bool, Error> {
        crate::check::id("node", node, MAX_ID_LEN)?;
        let full = self.nodes.len() >= MAX_NODES;
        match self.nodes.get_mut(node) {
            Some(held) if held.sequence >= sequence => Ok(false),
            Some(held) => {
                *held = Published { sequence, state };
                Ok(true)
            }
            None if full => Err(Error::new(
                crate::ErrorCode::LimitExceeded,
                alloc::format!("a fleet holds at most {MAX_NODES} nodes"),
            )),
            None => {
                self.nodes
                    .insert(node.into(), Published { sequence, state });
                Ok(true)
            }
        }
    }

    /// A node's latest contribution.
    pub fn node(&self, node: &str) -> Option<&Published<T>> {
        self.nodes.get(node)
    }

    /// Every node and its latest contribution, by id.
    pub fn nodes(&self) -> impl Iterator<Item = (&str, &Published<T>)> {
        self.nodes.iter().map(|(id, p)| (id.as_str(), p))
    }

    /// The global view: every node's latest contribution merged, in node-id order (so every
    /// reader gets the same bits); `None` before any publication. Fails, naming the node, when a
    /// contribution cannot merge (KPIs counted since another time, a learner's other half-life).
    pub fn global(&self) -> Result<Option<T>, Error> {
        let mut nodes = self.nodes.iter();
        let Some((_, first)) = nodes.next() else {
            return Ok(None);
        };
        let mut all = first.state.clone();
        for (node, published) in nodes {
            all.merge_from(&published.state).map_err(|e| {
                Error::new(e.code(), alloc::format!("node {node:?}: {}", e.message()))
            })?;
        }
        Ok(Some(all))
    }
}
