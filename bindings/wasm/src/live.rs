//! Live statistics, counted around applied events and merged by adding: `Mark` (a profile before
//! an event), `Cohorts` (visitors, first purchases, orders and revenue per source:
//! `spec/scores.md`, "Live cohorts") and `Kpis` (the treatment arm against the control group,
//! and the lift).

use shopkeeper::kpi::Kpis as CoreKpis;
use shopkeeper::learn::CohortCounts;
use shopkeeper::profile::Mark as CoreMark;
use wasm_bindgen::prelude::*;

use shopkeeper::decide::DecisionLog;
use shopkeeper::Event;

use crate::{json_text, parsed, seconds, to_js, EventArg, Profile, Result};

/// What a profile had before an event (`profile.mark()`), for `cohorts.record` and
/// `kpis.record` to count what the event changed.
#[wasm_bindgen]
pub struct Mark {
    pub(crate) core: CoreMark,
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

    /// Counts what changed in `profile` since `before` (`profile.mark()` before an event was
    /// applied). Call it around applied events, never around a merge of profiles.
    pub fn record(&mut self, before: &Mark, profile: &Profile) {
        self.core.record(before.core, &profile.core);
    }

    /// Adds `other`'s counts (another page's or server's). Both must name cohorts by the same
    /// field since the same time; on error nothing changes.
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

/// Live KPIs: the customers of the treatment arm and of the control group, what they bought, and
/// the lift between them.
#[wasm_bindgen]
pub struct Kpis {
    pub(crate) core: CoreKpis,
}

#[wasm_bindgen]
impl Kpis {
    /// New, empty KPIs following the customers whose first session starts at or after `since`
    /// (seconds; default: the current time; 0 counts every profile).
    #[wasm_bindgen(constructor)]
    pub fn new(since: Option<f64>) -> Result<Kpis> {
        Ok(Kpis {
            core: CoreKpis::new(seconds(since, "since")?)?,
        })
    }

    /// Counts what changed in `profile` since `before` (`profile.mark()` before an event was
    /// applied), in the control arm when `control` (`engine.inControlGroup(profile)`).
    pub fn record(&mut self, before: &Mark, profile: &Profile, control: bool) {
        self.core.record(before.core, &profile.core, control);
    }

    /// Counts a decision (its `log`, or a log line's `decision`; object or JSON text): each pick
    /// once, in its segment, at its time.
    #[wasm_bindgen(js_name = recordDecision)]
    pub fn record_decision(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "DecisionLog | string")] record: &JsValue,
    ) -> Result<()> {
        let record = DecisionLog::from_json(&json_text(record, "record")?)?;
        Ok(self.core.record_decision(&record)?)
    }

    /// Counts an `offer_shown`, `offer_accepted` or `offer_dismissed` event for an offer the
    /// decision of `record` showed; `false`, counting nothing, for any other event or offer.
    #[wasm_bindgen(js_name = recordOffer)]
    pub fn record_offer(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "DecisionLog | string")] record: &JsValue,
        event: &EventArg,
    ) -> Result<bool> {
        let record = DecisionLog::from_json(&json_text(record, "record")?)?;
        let event = Event::from_json(&json_text(event, "event")?)?;
        Ok(self.core.record_offer(&record, &event)?)
    }

    /// Adds `other`'s counts (another page's or server's); both must count since the same time.
    pub fn merge(&mut self, other: &Kpis) -> Result<()> {
        Ok(self.core.merge(&other.core)?)
    }

    /// Both arms' counts and the lift: `{since, treatment, control, lift: {conversion,
    /// revenue_per_customer, verdict}, summary}`.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "KpisJson")]
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
    pub fn from_bytes(bytes: &[u8]) -> Result<Kpis> {
        Ok(Kpis {
            core: CoreKpis::from_bytes(bytes)?,
        })
    }
}
