//! Budget counters (`spec/catalog.md`, "Budgets and pacing"): what each budgeted offer spent in
//! its period, counted from `offer_shown` and `offer_accepted` events, read by
//! `engine.decideLive`, merged by adding.

use shopkeeper::budget::Budgets as CoreBudgets;
use shopkeeper::Event;
use wasm_bindgen::prelude::*;

use crate::{json_text, parsed, seconds, Engine, EventArg, Result};

/// What each budgeted offer spent in its current period: `engine.decideLive` drops an offer
/// whose budget is spent and throttles one that runs ahead of its plan.
#[wasm_bindgen]
pub struct Budgets {
    pub(crate) core: CoreBudgets,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets::new()
    }
}

#[wasm_bindgen]
impl Budgets {
    /// New counters: nothing spent.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Budgets {
        Budgets {
            core: CoreBudgets::new(),
        }
    }

    /// Offers counted.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.core.len()
    }

    /// Counts an event the page applied (object or JSON text): an `offer_shown` or
    /// `offer_accepted` of an offer with a budget in `engine`'s catalog, in the period that holds
    /// its time; `false` for any other event, and for one of a period older than the one counted.
    pub fn record(&mut self, engine: &Engine, event: &EventArg) -> Result<bool> {
        let event = Event::from_json(&json_text(event, "event")?)?;
        Ok(self.core.record(engine.core.catalog(), &event)?)
    }

    /// What `offer` spent (shows or accepts, as its budget counts) in the period that holds
    /// `now` (seconds; default: the current time); `undefined` for an offer without a budget.
    pub fn spent(&self, engine: &Engine, offer: &str, now: Option<f64>) -> Result<Option<f64>> {
        let now = seconds(now, "now")?;
        let offer = engine.core.catalog().offer(offer);
        Ok(offer
            .and_then(|o| self.core.spent(o, now))
            .map(|n| n as f64))
    }

    /// Adds `other`'s counters (another page's or server's).
    pub fn merge(&mut self, other: &Budgets) -> Result<()> {
        Ok(self.core.merge(&other.core)?)
    }

    /// The counters: `{offers: {[id]: {start, per, shows, accepts}}}`.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "BudgetsJson")]
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
    pub fn from_bytes(bytes: &[u8]) -> Result<Budgets> {
        Ok(Budgets {
            core: CoreBudgets::from_bytes(bytes)?,
        })
    }
}
