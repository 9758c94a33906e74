//! Listening: what a message's text says, as signals. A [`Listener`] reads a text once into
//! words (lower case, accents folded, clauses), finds the catalog's [`Intents`] in it and scores
//! its [`Sentiment`] with the models' model; the profile keeps what it heard, never the text
//! (`spec/events.md`, "Messages"; `spec/scores.md`, "Sentiment").
//!
//! ```
//! use shopkeeper::decide::Catalog;
//! use shopkeeper::listen::{Listener, Sentiment};
//!
//! let catalog = Catalog::compile(r#"{
//!     "version": "1",
//!     "intents": {"cancel": ["cancel my order", "close my account"]},
//!     "default": {"id": "none"},
//!     "offers": []
//! }"#, 0).map_err(|p| p.to_string())?;
//! let (sentiment, _) = Sentiment::from_lexicon("broken\t-1.6\ngreat\t3.1\n")?;
//! let listener = Listener::new(Some(catalog.intents()), Some(&sentiment));
//!
//! let heard = listener.hear("It arrived BROKEN. Please cancel my order!");
//! assert_eq!(heard.intents.as_slice(), ["cancel"]);
//! assert!(heard.sentiment < Some(-0.4));
//! let heard = listener.hear("I do not want to cancel my order, it is great");
//! assert!(heard.intents.is_empty());
//! assert!(heard.sentiment > Some(0.5));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod fit;
mod intents;
mod sentiment;
mod words;

pub use fit::{
    cross_validate, parse_ratings, pearson, CrossValidation, Rated, TextFitOptions, TextFitReport,
    MAX_RATINGS_LEN,
};
pub use intents::Intents;
pub use sentiment::{
    Learned, LexiconReport, Sentiment, SentimentSource, BOOST, CAPITALS, EXCLAMATION,
    MAX_LEARNED_WEIGHTS, MAX_LEXICON_WORDS, MAX_VALENCE, NEGATION, NORMALIZATION, QUESTION,
};

use alloc::string::String;

use crate::check;
use crate::limits::MAX_MESSAGE_LEN;
use crate::Error;

use smallvec::SmallVec;
use words::Words;

/// What hears a message's text: a catalog's intents and a models file's sentiment model.
/// [`Listener::default`] hears nothing, so a text folds to no signals (a caller's own `sentiment`
/// and `intents` still count).
#[derive(Clone, Copy, Debug, Default)]
pub struct Listener<'a> {
    intents: Option<&'a Intents>,
    sentiment: Option<&'a Sentiment>,
}

/// What a [`Listener`] heard in one text.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Heard<'a> {
    /// The text's sentiment, -1 to 1; `None` without a sentiment model or without a word.
    pub sentiment: Option<f64>,
    /// The intents the text expresses, each once, in name order.
    pub intents: SmallVec<[&'a str; 8]>,
}

impl Heard<'_> {
    /// `{"sentiment": -0.62, "intents": ["cancel"]}` (`null` without a sentiment): what the
    /// bindings return.
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Json<'h> {
            sentiment: Option<f64>,
            intents: &'h [&'h str],
        }
        let json = Json {
            sentiment: self.sentiment,
            intents: &self.intents,
        };
        // A struct of strings always serializes.
        serde_json::to_string(&json).unwrap_or_default()
    }
}

impl<'a> Listener<'a> {
    /// A listener that finds `intents` (a catalog's:
    /// [`Catalog::intents`](crate::decide::Catalog::intents)) and scores with `sentiment` (the
    /// models': [`Models::sentiment`](crate::score::Models::sentiment)).
    pub fn new(intents: Option<&'a Intents>, sentiment: Option<&'a Sentiment>) -> Listener<'a> {
        Listener { intents, sentiment }
    }

    /// Whether this listener hears nothing.
    pub fn is_deaf(&self) -> bool {
        self.sentiment.is_none() && self.intents.is_none_or(|i| i.names().next().is_none())
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
            sentiment: self.sentiment.and_then(|s| s.score(&words)),
            intents: self.intents.map(|i| i.find(&words)).unwrap_or_default(),
        }
    }
}
