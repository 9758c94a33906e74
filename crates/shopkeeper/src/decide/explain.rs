//! The receipt that explains a decision: every pick with its score parts and logged probability,
//! every dropped offer with its stage and typed cause, and the words for each cause (made only
//! when the receipt is read or written, never while deciding). `spec/catalog.md` documents the
//! receipt's JSON.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use core::fmt::Write;

use serde::ser::Serializer;
use serde::Serialize;

use super::catalog::Kind;
use super::decision::{Score, Suppression};
use super::filter::{Cause, Stage};
use super::predictors::Evidence;
use crate::time::format_utc;
use crate::{Channel, Error, ErrorCode, Timestamp};

/// An offer that was not chosen, where and why. Read-only: a receipt's JSON is written from it
/// (with the catalog's strings escaped once per catalog).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropped<'c> {
    /// The offer's place in the catalog (receipts list drops in catalog order).
    pub(crate) index: u32,
    /// For a clause cause, the clause as a JSON string, escaped once per catalog.
    pub(crate) clause_json: Option<&'c str>,
    pub(crate) offer: &'c str,
    pub(crate) stage: Stage,
    pub(crate) cause: Cause<'c>,
}

impl<'c> Dropped<'c> {
    /// The offer's id.
    pub fn offer(&self) -> &'c str {
        self.offer
    }

    /// Where it was dropped.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// Why, as data.
    pub fn cause(&self) -> Cause<'c> {
        self.cause
    }

    /// Why, in words: the first failing clause as written, or the policy, score or rank that
    /// stopped it (the receipt's `reason`).
    pub fn reason(&self) -> String {
        self.cause.to_string()
    }
}

impl fmt::Display for Cause<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Channel(channel) => write!(f, "not offered on {channel}"),
            Cause::NotYetValid(from) => write!(f, "valid from {}", format_utc(*from)),
            Cause::Expired(until) => write!(f, "valid until {}", format_utc(*until)),
            Cause::Clause(clause) => f.write_str(clause),
            Cause::Contact(block) => write!(f, "{block}"),
            Cause::Budget(pace) => write!(f, "{pace}"),
            Cause::NoPropensity => f.write_str("the propensity is missing"),
            Cause::NoValue => f.write_str("the value is missing"),
            Cause::Score(s) => write!(
                f,
                "the score {} is {} (propensity {} x context weight {} x value {} x lever {})",
                s.score,
                if s.score.is_finite() {
                    "not positive"
                } else {
                    "not finite"
                },
                s.propensity,
                s.context_weight,
                s.value,
                s.lever
            ),
            Cause::Outranked {
                group,
                winner,
                winner_score,
                score,
            } => write!(
                f,
                "group {}: {} ranked higher (score {winner_score} vs {score})",
                Quoted(group),
                Quoted(winner)
            ),
            Cause::BelowSlots { rank, score, slots } => write!(
                f,
                "ranked {rank} with score {score}; {slots} slot{}",
                if *slots == 1 { "" } else { "s" }
            ),
        }
    }
}

/// An id in double quotes, `"` and `\\` escaped with a backslash and nothing else changed: the
/// documented quoting of ids in a receipt's reasons (not Rust's `Debug`, whose escapes of
/// Unicode may change between toolchains).
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            if c == '"' || c == '\\' {
                f.write_char('\\')?;
            }
            f.write_char(c)?;
        }
        f.write_char('"')
    }
}

/// `text` as a JSON string: quoted, with `"`, `\` and control characters escaped (the same string
/// as serde_json writes, once parsed).
pub(crate) fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_json_string(&mut out, text);
    out
}

/// Appends `text` as a JSON string, copying the runs that need no escape whole.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    let mut run = 0;
    for (i, b) in text.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[run..i]);
        match escape {
            "" => {
                let _ = write!(out, "\\u{b:04x}");
            }
            escape => out.push_str(escape),
        }
        run = i + 1;
    }
    out.push_str(&text[run..]);
    out.push('"');
}

/// Appends `n` in decimal.
fn push_integer(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// Appends the dropped offers as a JSON array: `[{"offer", "stage", "reason"}, ...]`. The bulk of
/// a receipt (every offer not chosen), so it is written by hand: catalog strings are copied as
/// escaped once per catalog, and only the other reasons are formatted and escaped here.
fn push_dropped(out: &mut String, dropped: &[Dropped<'_>], ids_json: &[String]) {
    let mut words = String::new();
    out.push('[');
    for (i, d) in dropped.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"offer\":");
        match ids_json.get(d.index as usize) {
            Some(id) => out.push_str(id),
            None => push_json_string(out, d.offer),
        }
        out.push_str(",\"stage\":\"");
        out.push_str(d.stage.as_str());
        out.push_str("\",\"reason\":");
        match (d.clause_json, d.cause) {
            (Some(clause), _) => out.push_str(clause),
            // Ids in quotes: the words need escaping.
            (None, Cause::Outranked { .. } | Cause::Clause(_)) => {
                words.clear();
                let _ = write!(words, "{}", d.cause);
                push_json_string(out, &words);
            }
            // Fixed words, channel names, times and numbers: nothing to escape.
            (None, Cause::Channel(channel)) => {
                out.push_str("\"not offered on ");
                out.push_str(channel.as_str());
                out.push('"');
            }
            (None, Cause::BelowSlots { rank, score, slots }) => {
                // As `Cause`'s Display writes it, with the integers written directly.
                out.push_str("\"ranked ");
                push_integer(out, rank);
                out.push_str(" with score ");
                let _ = write!(out, "{score}");
                out.push_str("; ");
                push_integer(out, slots);
                out.push_str(if slots == 1 { " slot\"" } else { " slots\"" });
            }
            (None, cause) => {
                let _ = write!(out, "\"{cause}\"");
            }
        }
        out.push('}');
    }
    out.push(']');
}

/// Where a pick's propensity came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PropensitySource<'c> {
    /// A number in the catalog.
    Fixed,
    /// An expression.
    Expression,
    /// A logistic model of the models file, by name.
    Model(&'c str),
    /// Thompson sampling from the learner.
    Adaptive,
    /// The default action (no propensity).
    Default,
}

impl fmt::Display for PropensitySource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropensitySource::Fixed => f.write_str("fixed"),
            PropensitySource::Expression => f.write_str("expression"),
            PropensitySource::Model(name) => write!(f, "model:{name}"),
            PropensitySource::Adaptive => f.write_str("adaptive"),
            PropensitySource::Default => f.write_str("default"),
        }
    }
}

impl Serialize for PropensitySource<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A chosen offer, in the receipt.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PickRecord<'c> {
    /// 1 for the best.
    pub rank: usize,
    /// The offer's id.
    pub offer: &'c str,
    /// Its title.
    pub title: &'c str,
    /// What it is.
    pub kind: Kind,
    /// Where its propensity came from: `fixed`, `expression`, `model:NAME`, `adaptive`;
    /// `default` for the default action.
    pub propensity_source: PropensitySource<'c>,
    /// The probability that the policy puts this offer at this rank, over its randomness (the
    /// request's seed): what off-policy evaluation divides by. 1 for a decision that does not
    /// depend on the seed; otherwise estimated from re-draws (`spec/learning.md`).
    pub probability: f64,
    /// The score and its parts; absent for the default action.
    #[serde(flatten)]
    pub score: Option<Score>,
    /// For an adaptive offer of a catalog with predictors: the request's bins that moved its
    /// learned propensity most, strongest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub predictors: Vec<Evidence>,
}

/// The explanation of one decision, borrowed from the engine's catalog. Its JSON is
/// [`Receipt::to_json`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Receipt<'c> {
    /// `shopkeeper.receipt`.
    pub format: &'static str,
    /// The catalog's version.
    pub catalog_version: &'c str,
    /// The catalog's offer ids as JSON strings (escaped once per catalog), by catalog index.
    pub(crate) ids_json: &'c [String],
    /// The profile's id.
    pub customer: String,
    /// The request.
    pub channel: Channel,
    /// The request's time.
    pub now: Timestamp,
    /// The request's seed.
    pub seed: u64,
    /// The request's slots.
    pub slots: usize,
    /// Whether the customer is in the control group.
    pub control_group: bool,
    /// Why every offer was held back, if one was.
    pub suppressed: Option<Suppression>,
    /// Whether the picks are the default action.
    pub fallback: bool,
    /// The learning segment (`""` without one).
    pub segment: String,
    /// The picks, best first.
    pub picks: Vec<PickRecord<'c>>,
    /// Every offer not chosen, in catalog order; empty when `suppressed` (nothing was evaluated).
    pub dropped: Vec<Dropped<'c>>,
}

/// Every field of a receipt but the dropped offers, as serde writes them.
#[derive(Serialize)]
struct Head<'a, 'c> {
    format: &'static str,
    catalog_version: &'c str,
    customer: &'a str,
    channel: Channel,
    now: Timestamp,
    seed: u64,
    slots: usize,
    control_group: bool,
    suppressed: Option<Suppression>,
    fallback: bool,
    segment: &'a str,
    picks: &'a [PickRecord<'c>],
}

impl<'c> Receipt<'c> {
    /// The receipt as JSON (`spec/catalog.md` documents the fields).
    pub fn to_json(&self) -> Result<String, Error> {
        let mut out = String::with_capacity(512 + 96 * self.dropped.len());
        self.push_json(&mut out)?;
        Ok(out)
    }

    /// Appends the receipt's JSON: the fields through serde, then the dropped offers by hand.
    pub(crate) fn push_json(&self, out: &mut String) -> Result<(), Error> {
        let head = Head {
            format: self.format,
            catalog_version: self.catalog_version,
            customer: &self.customer,
            channel: self.channel,
            now: self.now,
            seed: self.seed,
            slots: self.slots,
            control_group: self.control_group,
            suppressed: self.suppressed,
            fallback: self.fallback,
            segment: &self.segment,
            picks: &self.picks,
        };
        let head = serde_json::to_string(&head)
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        out.push_str(head.strip_suffix('}').unwrap_or(&head));
        out.push_str(",\"dropped\":");
        push_dropped(out, &self.dropped, self.ids_json);
        out.push('}');
        Ok(())
    }

    /// The dropped entry of `offer`, if it was dropped.
    pub fn dropped_offer(&self, offer: &str) -> Option<&Dropped<'c>> {
        self.dropped.iter().find(|d| d.offer == offer)
    }
}
