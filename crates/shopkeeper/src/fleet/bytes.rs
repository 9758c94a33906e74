//! A fleet of contributions given as their envelope bytes, as a store holds them: what the C and
//! WASM bindings expose, so that a server keeping its nodes' slots in its own store merges them
//! by the same rule as [`Fleet`]. The first publication's magic (`SKL`, `SKK`, `SKB`, `SKC`) sets
//! the kind; every later one must be of that kind.

use alloc::vec::Vec;

use super::{Contribution, Fleet};
use crate::budget::Budgets;
use crate::kpi::Kpis;
use crate::learn::{CohortCounts, Learner};
use crate::{Error, ErrorCode};

/// Nodes' contributions of one kind, from their bytes.
#[derive(Clone, Debug, Default)]
pub struct Contributions {
    slots: Slots,
}

#[derive(Clone, Debug, Default)]
enum Slots {
    #[default]
    Empty,
    Learner(Fleet<Learner>),
    Kpis(Fleet<Kpis>),
    Budgets(Fleet<Budgets>),
    Cohorts(Fleet<CohortCounts>),
}

/// Decodes `bytes` as `T` and publishes them into `fleet`.
fn publish<T: Contribution>(
    fleet: &mut Fleet<T>,
    node: &str,
    sequence: u64,
    bytes: &[u8],
    read: fn(&[u8]) -> Result<T, Error>,
) -> Result<bool, Error> {
    fleet.publish(node, sequence, read(bytes)?)
}

fn global<T: Contribution>(
    fleet: &Fleet<T>,
    write: fn(&T) -> Result<Vec<u8>, Error>,
) -> Result<Option<Vec<u8>>, Error> {
    fleet.global()?.as_ref().map(write).transpose()
}

impl Contributions {
    /// No node has published.
    pub fn new() -> Contributions {
        Contributions::default()
    }

    /// What the fleet holds: `learner`, `kpis`, `budgets` or `cohorts`; `None` before the first
    /// publication.
    pub fn kind(&self) -> Option<&'static str> {
        match self.slots {
            Slots::Empty => None,
            Slots::Learner(_) => Some("learner"),
            Slots::Kpis(_) => Some("kpis"),
            Slots::Budgets(_) => Some("budgets"),
            Slots::Cohorts(_) => Some("cohorts"),
        }
    }

    /// Takes `node`'s contribution at `sequence`, as [`Fleet::publish`] does: `true` when it
    /// replaced the node's slot, `false` for a stale or repeated publication. Fails, changing
    /// nothing, as `Fleet::publish` does, for bytes that do not decode (the decoder's code), and
    /// for a contribution of another kind than the first (`invalid_data`).
    pub fn publish(&mut self, node: &str, sequence: u64, bytes: &[u8]) -> Result<bool, Error> {
        let first = matches!(self.slots, Slots::Empty);
        if first {
            self.slots = match bytes.get(..4) {
                Some(b"SKL\x01") => Slots::Learner(Fleet::new()),
                Some(b"SKK\x01") => Slots::Kpis(Fleet::new()),
                Some(b"SKB\x01") => Slots::Budgets(Fleet::new()),
                Some(b"SKC\x01") => Slots::Cohorts(Fleet::new()),
                _ => {
                    return Err(Error::new(
                        ErrorCode::DecodeBadMagic,
                        "not the bytes of a learner, KPIs, budget counters or cohort counts",
                    ))
                }
            };
        }
        let kind = self.kind().unwrap_or_default();
        let published = match &mut self.slots {
            Slots::Empty => Ok(false),
            Slots::Learner(f) => publish(f, node, sequence, bytes, Learner::from_bytes),
            Slots::Kpis(f) => publish(f, node, sequence, bytes, Kpis::from_bytes),
            Slots::Budgets(f) => publish(f, node, sequence, bytes, Budgets::from_bytes),
            Slots::Cohorts(f) => publish(f, node, sequence, bytes, CohortCounts::from_bytes),
        };
        if first && published.is_err() {
            self.slots = Slots::Empty; // a refused first publication sets no kind
        }
        match published {
            Err(e) if e.code() == ErrorCode::DecodeBadMagic => Err(Error::new(
                ErrorCode::InvalidData,
                alloc::format!("this fleet holds {kind} contributions: {}", e.message()),
            )),
            other => other,
        }
    }

    /// The global view's bytes: every node's latest contribution merged (as [`Fleet::global`]),
    /// in the kind's envelope; `None` before the first publication.
    pub fn global(&self) -> Result<Option<Vec<u8>>, Error> {
        match &self.slots {
            Slots::Empty => Ok(None),
            Slots::Learner(f) => global(f, Learner::to_bytes),
            Slots::Kpis(f) => global(f, Kpis::to_bytes),
            Slots::Budgets(f) => global(f, Budgets::to_bytes),
            Slots::Cohorts(f) => global(f, CohortCounts::to_bytes),
        }
    }
}
