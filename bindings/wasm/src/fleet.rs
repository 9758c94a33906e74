//! A fleet (`spec/learning.md`, "A fleet"): each node's latest contribution (learner, KPIs,
//! budget counters or cohort counts, as their bytes) by node and sequence, and the global view
//! merged from them.

use shopkeeper::fleet::Contributions;
use wasm_bindgen::prelude::*;

use crate::{whole_u64, Result, SeedArg};

/// Nodes' contributions of one kind (the first publication's), each node's latest kept.
#[wasm_bindgen]
#[derive(Default)]
pub struct Fleet {
    core: Contributions,
}

#[wasm_bindgen]
impl Fleet {
    /// A fleet no node has published to.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Fleet {
        Fleet::default()
    }

    /// What it holds: `"learner"`, `"kpis"`, `"budgets"` or `"cohorts"`; `undefined` before
    /// the first publication.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> Option<String> {
        self.core.kind().map(String::from)
    }

    /// Takes `node`'s contribution (the `toBytes()` of a `Learner`, `Kpis`, `Budgets` or
    /// `Cohorts`) at `sequence` (a number or a BigInt, growing with each of the node's
    /// publications): `true` when it replaced the node's slot, `false` for a stale or repeated
    /// one. Throws for an empty node id, bytes that do not decode, or another kind than the first.
    pub fn publish(&mut self, node: &str, sequence: &SeedArg, bytes: &[u8]) -> Result<bool> {
        let sequence = whole_u64(sequence, "sequence")?;
        Ok(self.core.publish(node, sequence, bytes)?)
    }

    /// The global view: every node's latest contribution merged, as the bytes of its kind (read
    /// them with `Learner.fromBytes` and the like); `undefined` before any publication.
    pub fn global(&self) -> Result<Option<Vec<u8>>> {
        Ok(self.core.global()?)
    }
}
