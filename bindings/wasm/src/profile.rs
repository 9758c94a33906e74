//! `Profile`: one customer's folded history; events in as plain objects, bytes for storage.

use serde::Serialize;
use shopkeeper::listen::Listener;
use shopkeeper::{Event, Outcome, Profile as Core};
use wasm_bindgen::prelude::*;

use crate::{json_text, parsed, seconds, to_js, whole, Engine, EventArg, ExportArg, Mark, Result};

/// One customer's (or anonymous visitor's) profile. Bounded (at most 64 KiB as bytes) and
/// mergeable; keep it as bytes in localStorage or IndexedDB.
#[wasm_bindgen]
pub struct Profile {
    pub(crate) core: Core,
}

/// What `apply` did: `{recorded: true}`, or `{recorded: false, ignored: reason}`.
#[derive(Serialize)]
struct Applied {
    recorded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    ignored: Option<&'static str>,
}

/// What a storefront most often reads (the derived facts of `spec/vectors/README.md`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    cart_value: i64,
    cart_quantity: u64,
    purchases_average: Option<f64>,
    purchases_repeat_average: Option<f64>,
    time_on_site: Option<i64>,
    objects_to_personalization: bool,
}

#[wasm_bindgen]
impl Profile {
    /// A new, empty profile: a known customer's (`known`), or an anonymous visitor's.
    #[wasm_bindgen(constructor)]
    pub fn new(id: &str, known: Option<bool>) -> Result<Profile> {
        Ok(Profile {
            core: Core::new(id, known.unwrap_or(false))?,
        })
    }

    /// The customer's (or visitor's) id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.core.id().into()
    }

    /// Whether the profile belongs to a known (signed-in) customer.
    #[wasm_bindgen(getter)]
    pub fn known(&self) -> bool {
        self.core.is_known()
    }

    /// Applies one event (`spec/events.md`; an object or JSON text) at the caller's clock `now`
    /// (seconds; default: the current time). A rejected event throws and changes nothing.
    #[wasm_bindgen(unchecked_return_type = "Applied")]
    pub fn apply(&mut self, event: &EventArg, now: Option<f64>) -> Result<JsValue> {
        self.apply_heard(event, now, &Listener::default())
    }

    /// `apply`, with a message's text heard by `engine`: its catalog's intents and its models'
    /// sentiment (`spec/events.md`, "Messages"). The text is never kept.
    #[wasm_bindgen(js_name = applyWith, unchecked_return_type = "Applied")]
    pub fn apply_with(
        &mut self,
        event: &EventArg,
        engine: &Engine,
        now: Option<f64>,
    ) -> Result<JsValue> {
        self.apply_heard(event, now, &engine.core.listener())
    }
}

impl Profile {
    fn apply_heard(
        &mut self,
        event: &EventArg,
        now: Option<f64>,
        listener: &Listener<'_>,
    ) -> Result<JsValue> {
        let now = seconds(now, "now")?;
        let event = Event::from_json(&json_text(event, "event")?)?;
        let applied = match self.core.apply_with(&event, now, listener)? {
            Outcome::Recorded => Applied {
                recorded: true,
                ignored: None,
            },
            Outcome::Ignored(reason) => Applied {
                recorded: false,
                ignored: Some(reason.as_str()),
            },
        };
        to_js(&applied)
    }
}

#[wasm_bindgen]
impl Profile {
    /// Merges `other` into this profile (an anonymous visitor into the customer who signed in,
    /// or the same customer from two devices). Two known customers cannot merge.
    pub fn merge(&mut self, other: &Profile) -> Result<()> {
        Ok(self.core.merge(&other.core)?)
    }

    /// Forgets everything about the customer but the id (the right to erasure).
    pub fn erase(&mut self) {
        self.core.erase();
    }

    /// The profile as a plain object (`spec/events.md`, "The export"): for people and for
    /// `Profile.fromExport`.
    #[wasm_bindgen(unchecked_return_type = "ProfileExport")]
    pub fn export(&self) -> Result<JsValue> {
        parsed(&self.core.export()?)
    }

    /// Reads an export (object or JSON text), checked like bytes.
    #[wasm_bindgen(js_name = fromExport)]
    pub fn from_export(export: &ExportArg) -> Result<Profile> {
        let text = json_text(export, "export")?;
        Ok(Profile {
            core: Core::from_export(&text)?,
        })
    }

    /// The compact binary form (at most 64 KiB), for storage.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.core.to_bytes()?)
    }

    /// Reads the binary form; hostile or damaged bytes throw a `decode_*` error.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<Profile> {
        Ok(Profile {
            core: Core::from_bytes(bytes)?,
        })
    }

    /// Cart value and quantity, order averages, time on site and the objection to
    /// personalization.
    #[wasm_bindgen(unchecked_return_type = "ProfileSummary")]
    pub fn summary(&self) -> Result<JsValue> {
        let p = &self.core;
        to_js(&Summary {
            cart_value: p.cart().value(),
            cart_quantity: p.cart().quantity(),
            purchases_average: p.purchases().average(),
            purchases_repeat_average: p.purchases().repeat_average(),
            time_on_site: p.session().map(|s| s.time_on_site()),
            objects_to_personalization: p.objects_to_personalization(),
        })
    }

    /// How many times `offer` was shown in the `window` seconds up to `now` (what a `max_shows` rule counts).
    #[wasm_bindgen(js_name = shownWithin)]
    pub fn shown_within(&self, offer: &str, window: f64, now: Option<f64>) -> Result<u32> {
        let window = whole(window, "window")?;
        let now = seconds(now, "now")?;
        let count = self
            .core
            .offer(offer)
            .map_or(0, |o| o.shown_within(window, now));
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }
}

#[wasm_bindgen]
impl Profile {
    /// What this profile has now: take it before applying an event, and hand it with the
    /// profile after to `cohorts.record` and `kpis.record`.
    pub fn mark(&self) -> Mark {
        Mark {
            core: self.core.mark(),
        }
    }
}
