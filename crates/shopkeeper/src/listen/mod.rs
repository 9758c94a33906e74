//! Listening: what a message's text says, as signals. A [`Listener`] reads a text once into
//! words (lower case, accents folded, clauses) and finds the catalog's [`Intents`] in it; the
//! profile keeps what it heard, never the text (`spec/events.md`, "Messages").
//!
//! ```
//! use shopkeeper::decide::Catalog;
//!
//! let catalog = Catalog::compile(r#"{
//!     "version": "1",
//!     "intents": {"cancel": ["cancel my order", "close my account"]},
//!     "default": {"id": "none"},
//!     "offers": []
//! }"#, 0).map_err(|p| p.to_string())?;
//! let listener = shopkeeper::listen::Listener::new(Some(catalog.intents()));
//! assert_eq!(listener.hear("Please CANCEL my order!").intents.as_slice(), ["cancel"]);
//! assert!(listener.hear("I do not want to cancel my order").intents.is_empty());
//! # Ok::<(), String>(())
//! ```

mod intents;
mod words;

pub use intents::Intents;

use alloc::string::String;

use crate::check;
use crate::limits::MAX_MESSAGE_LEN;
use crate::Error;

use smallvec::SmallVec;
use words::Words;

/// What hears a message's text: a catalog's intents. [`Listener::default`] hears nothing, so a
/// text folds to no signals (a caller's own `sentiment` and `intents` still count).
#[derive(Clone, Copy, Debug, Default)]
pub struct Listener<'a> {
    intents: Option<&'a Intents>,
}

/// What a [`Listener`] heard in one text.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Heard<'a> {
    /// The intents the text expresses, each once, in name order.
    pub intents: SmallVec<[&'a str; 8]>,
}

impl Heard<'_> {
    /// `{"intents": ["cancel"]}`: what the bindings return.
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Json<'h> {
            intents: &'h [&'h str],
        }
        let json = Json {
            intents: &self.intents,
        };
        // A struct of strings always serializes.
        serde_json::to_string(&json).unwrap_or_default()
    }
}

impl<'a> Listener<'a> {
    /// A listener that finds `intents` (a catalog's: [`Catalog::intents`](crate::decide::Catalog::intents)).
    pub fn new(intents: Option<&'a Intents>) -> Listener<'a> {
        Listener { intents }
    }

    /// Whether this listener hears nothing.
    pub fn is_deaf(&self) -> bool {
        self.intents.is_none_or(|i| i.names().next().is_none())
    }

    /// What `text`, a message from outside, says: over
    /// [`MAX_MESSAGE_LEN`] bytes is `too_long`. The work is linear in its length.
    pub fn hear_message(&self, text: &str) -> Result<Heard<'a>, Error> {
        check::text("text", text, MAX_MESSAGE_LEN)?;
        Ok(self.hear(text))
    }

    /// What `text` says; its length is the caller's to bound (an event's text is checked before
    /// it is heard). The work is linear in it.
    pub fn hear(&self, text: &str) -> Heard<'a> {
        if self.is_deaf() {
            return Heard::default();
        }
        let words = Words::read(text);
        Heard {
            intents: self.intents.map(|i| i.find(&words)).unwrap_or_default(),
        }
    }
}
