//! `Cohorts`: live counts of visitors, first purchases, orders and revenue per source, counted
//! around applied events and merged by adding (`spec/scores.md`, "Live cohorts").

use shopkeeper::learn::{CohortCounts, CohortMark as CoreMark};
use wasm_bindgen::prelude::*;

use crate::{parsed, to_js, Profile, Result};

/// What a profile had before an event (`cohorts.mark(profile)`), for `cohorts.record` to count
/// what the event changed.
#[wasm_bindgen]
pub struct CohortMark {
    core: CoreMark,
}

/// Live cohort counts: a first session makes a visitor of its source; new orders and their
/// revenue count, the first as a first purchase. `cohort.visitors` and `cohort.conversion` read
/// them in `engine.decideLive`.
#[wasm_bindgen]
pub struct Cohorts {
    pub(crate) core: CohortCounts,
}

#[wasm_bindgen]
impl Cohorts {
    /// How many sources it holds.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.core.len()
    }

    /// What `profile` has now: take it before applying an event, pass it to `record` after.
    pub fn mark(&self, profile: &Profile) -> CohortMark {
        CohortMark {
            core: CoreMark::of(&profile.core),
        }
    }

    /// Counts what changed in `profile` since `before` (its mark before an event was applied).
    /// Call it around applied events, never around a merge of profiles.
    pub fn record(&mut self, before: &CohortMark, profile: &Profile) {
        self.core.record(before.core, &profile.core);
    }

    /// Adds `other`'s counts (another page's or server's). Both must name cohorts by the same
    /// field; on error nothing changes.
    pub fn merge(&mut self, other: &Cohorts) -> Result<()> {
        Ok(self.core.merge(&other.core)?)
    }

    /// One source's counts: `{visitors, first_purchases, orders, revenue}` (zeros for a source
    /// never seen).
    #[wasm_bindgen(unchecked_return_type = "SourceCounts")]
    pub fn source(&self, source: &str) -> Result<JsValue> {
        to_js(&self.core.source(source))
    }

    /// Every source's counts: `{by, since, sources: {name: {visitors, first_purchases, orders,
    /// revenue}}}`.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "CohortCountsJson")]
    pub fn to_json(&self) -> Result<JsValue> {
        parsed(&self.core.to_json()?)
    }

    /// The binary form, for storage or for sending to another node.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.core.to_bytes()?)
    }

    /// Reads the binary form; damaged bytes throw a `decode_*` error.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<Cohorts> {
        Ok(Cohorts {
            core: CohortCounts::from_bytes(bytes)?,
        })
    }
}
