//! The catalog: the offers and actions a decision chooses from, read from JSON and compiled once.
//! `spec/catalog.md` documents every field.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::clauses::{ClauseTable, Clauses};
use super::contact::{Cap, ContactPolicy};
use crate::budget::{Budget, Pacing};
use crate::listen::Intents;
use crate::rules::{Diagnostic, Diagnostics, Rule, Schema};
use crate::{Channel, Error, ErrorCode, Timestamp};

/// Largest catalog source, in bytes.
pub const MAX_CATALOG_LEN: usize = 16 * 1024 * 1024;
/// Most offers in a catalog (the market leader's cloud allows 2,500).
pub const MAX_CATALOG_OFFERS: usize = 10_000;
/// Largest payload of one offer, in bytes of JSON.
pub const MAX_PAYLOAD_LEN: usize = 16 * 1024;
/// Most request-context keys a catalog declares.
pub const MAX_CONTEXT_KEYS: usize = 64;
/// Most context weights.
pub const MAX_CONTEXT_WEIGHTS: usize = 256;
/// Most problems one compile reports.
pub const MAX_PROBLEMS: usize = 200;

/// What an offer is, for the channel that shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// Something to sell or give: a discount, free shipping, a product.
    Offer,
    /// Content: a message, a banner, a greeting.
    Content,
    /// A service action: route to the retention desk, open live chat.
    Action,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 3] = [Kind::Offer, Kind::Content, Kind::Action];

    /// Position in [`Kind::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Offer => "offer",
            Kind::Content => "content",
            Kind::Action => "action",
        }
    }
}

/// What the channel shows: the part of an offer that a decision hands back.
#[derive(Debug)]
pub struct Action {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) kind: Kind,
    pub(crate) payload: Option<Box<RawValue>>,
}

impl Action {
    /// The offer's id (what `offer_shown`, `offer_accepted` and `offer_dismissed` events name).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The title, for people.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// What it is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The payload as written in the catalog (JSON text, byte for byte), for the channel.
    pub fn payload(&self) -> Option<&str> {
        self.payload.as_deref().map(RawValue::get)
    }
}

/// A number, or an expression that computes one per request.
#[derive(Debug)]
pub(crate) enum Amount {
    Fixed(f64),
    Rule(Rule),
}

/// Where an offer's propensity (the chance the customer takes it) comes from.
#[derive(Debug)]
pub(crate) enum Propensity {
    Fixed(f64),
    Rule(Rule),
    /// A logistic model of the engine's [`Models`](crate::score::Models), by name.
    Model(String),
    /// Thompson sampling from the learner's counts for the offer in the request's segment, on
    /// top of a Beta(alpha, beta) prior.
    Adaptive {
        alpha: f64,
        beta: f64,
    },
}

/// A compiled offer.
#[derive(Debug)]
pub struct Offer {
    pub(crate) action: Action,
    pub(crate) id_hash: u64,
    /// Bit `Channel::index()` set for each channel it may be shown on.
    pub(crate) channels: u8,
    pub(crate) valid_from: Option<Timestamp>,
    pub(crate) valid_until: Option<Timestamp>,
    pub(crate) eligibility: Clauses,
    pub(crate) applicability: Clauses,
    pub(crate) suitability: Clauses,
    pub(crate) value: Amount,
    pub(crate) lever: f64,
    /// Index into [`Catalog::groups`].
    pub(crate) group: Option<u32>,
    pub(crate) contact: ContactPolicy,
    pub(crate) propensity: Propensity,
    /// How many shows or accepts per period it may spend.
    pub(crate) budget: Option<Budget>,
}

impl Offer {
    /// What the channel shows.
    pub fn action(&self) -> &Action {
        &self.action
    }

    /// Its budget, if it declares one.
    pub fn budget(&self) -> Option<Budget> {
        self.budget
    }
}

/// A context weight: multiplies the score of the offers it applies to when its condition holds.
#[derive(Debug)]
pub(crate) struct ContextWeight {
    pub(crate) when: Clauses,
    pub(crate) channels: u8,
    pub(crate) kind: Option<Kind>,
    pub(crate) weight: f64,
}

/// The universal control group.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ControlGroup {
    /// The share of customers in it, in `[0, 1)`.
    pub share: f64,
    /// Changing the salt reshuffles who is in it.
    pub salt: String,
}

/// A compiled catalog: checked, with every expression compiled against its schema. Immutable;
/// swap a new one in with [`Engine::replace_catalog`](super::Engine::replace_catalog).
#[derive(Debug)]
pub struct Catalog {
    pub(crate) version: String,
    pub(crate) schema: Schema,
    pub(crate) offers: Vec<Offer>,
    pub(crate) fallback: Action,
    pub(crate) groups: Vec<String>,
    /// Offer indices per channel, in catalog order.
    pub(crate) by_channel: [Vec<u32>; Channel::ALL.len()],
    pub(crate) index: BTreeMap<String, u32>,
    /// Each offer's id as a JSON string (quoted, escaped), by index: receipts copy them.
    pub(crate) ids_json: Vec<String>,
    pub(crate) context_weights: Vec<ContextWeight>,
    /// Every distinct clause of the catalog's conditions.
    pub(crate) clauses: ClauseTable,
    pub(crate) channel_caps: [Option<Cap>; Channel::ALL.len()],
    pub(crate) control: Option<ControlGroup>,
    pub(crate) warnings: Vec<Problem>,
    /// Whether any expression reads a score path.
    pub(crate) reads_scores: bool,
    /// How adaptive propensities learn.
    pub(crate) learning: Learning,
    /// How budgets are spread over their periods.
    pub(crate) pacing: Pacing,
    /// The intents messages are searched for.
    pub(crate) intents: Intents,
}

/// The catalog's learning settings.
#[derive(Debug)]
pub(crate) struct Learning {
    /// A string expression naming the request's segment; none: one segment, `""`.
    pub(crate) segment: Option<Rule>,
    /// The half-life of the learner's counts.
    pub(crate) half_life: Timestamp,
    /// The half-life of its recent counts and surprise, which predictors read to see a change.
    pub(crate) recent_half_life: Timestamp,
    /// What adaptive offers learn from, by name; none: they learn per segment only.
    pub(crate) predictors: Vec<super::predictors::Predictor>,
    /// The least propensity an adaptive offer gets.
    pub(crate) floor: f64,
}

impl Catalog {
    /// Reads and compiles a catalog. `now` only dates the warnings (a validity window in the
    /// past). Every problem is reported, not just the first: errors fail the compile, warnings
    /// (offers that can never be chosen) are kept in [`Catalog::warnings`].
    pub fn compile(json: &str, now: Timestamp) -> Result<Catalog, Problems> {
        super::compile::compile(json, now)
    }

    /// The intents the catalog declares (its `"intents"` section), which a
    /// [`Listener`](crate::listen::Listener) finds in messages.
    pub fn intents(&self) -> &Intents {
        &self.intents
    }

    /// The catalog's version, as its author wrote it (receipts name it).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// What the catalog's expressions can read: build request [`Context`](crate::rules::Context)s
    /// against this.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The offers, in catalog order.
    pub fn offers(&self) -> impl ExactSizeIterator<Item = &Offer> {
        self.offers.iter()
    }

    /// The offer with this id.
    pub fn offer(&self, id: &str) -> Option<&Offer> {
        self.index
            .get(id)
            .and_then(|&i| self.offers.get(i as usize))
    }

    /// The default action (the catalog's `default`): what a decision returns when no offer
    /// qualifies, and all the control group gets.
    pub fn default_action(&self) -> &Action {
        &self.fallback
    }

    /// The universal control group, if the catalog has one.
    pub fn control_group(&self) -> Option<&ControlGroup> {
        self.control.as_ref()
    }

    /// An empty learner with the catalog's half-lives (`learning.half_life`, 14 days by default,
    /// and `learning.recent_half_life`, a sixteenth of it by default).
    pub fn new_learner(&self) -> Result<crate::learn::Learner, Error> {
        crate::learn::Learner::with_recent(self.learning.half_life, self.learning.recent_half_life)
    }

    /// How the offers' budgets are spread over their periods (`"pacing"`; even, 1/24 ahead, by
    /// default).
    pub fn pacing(&self) -> Pacing {
        self.pacing
    }

    /// Warnings: offers that can never be chosen, and why.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The names of the model propensities the catalog's offers use.
    pub(crate) fn models_used(&self) -> impl Iterator<Item = (usize, &str)> {
        self.offers
            .iter()
            .enumerate()
            .filter_map(|(i, o)| match &o.propensity {
                Propensity::Model(name) => Some((i, name.as_str())),
                _ => None,
            })
    }
}

/// Error or warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The catalog does not compile.
    Error,
    /// It compiles, but something in it can never happen.
    Warning,
}

crate::codes::stable_codes! {
    /// What is wrong with a catalog (or a rule checked on its own), as a stable code. A problem
    /// in an expression has the rule diagnostic's code ([`rules::Code`](crate::rules::Code)), with
    /// the same name; numbers 101 and up mirror those.
    pub enum ProblemCode {
        /// The catalog is not JSON, or not of the documented shape.
        InvalidJson = 1 => "invalid_json",
        /// A field has a value out of its range, or two fields contradict each other.
        InvalidField = 2 => "invalid_field",
        /// Two offers (or an offer and the default) have the same id.
        DuplicateId = 3 => "duplicate_id",
        /// An offer can never be chosen (a warning).
        NeverChosen = 4 => "never_chosen",
        /// The catalog's text is longer than its cap (16 MiB).
        TooLong = 5 => "too_long",
        /// An expression does not follow the grammar.
        Syntax = 101 => "syntax",
        /// A number in an expression cannot be read.
        BadNumber = 102 => "bad_number",
        /// A string in an expression has an unknown escape.
        BadEscape = 103 => "bad_escape",
        /// A string in an expression has no closing quote.
        UnterminatedString = 104 => "unterminated_string",
        /// An expression reads a path the schema lacks.
        UnknownPath = 105 => "unknown_path",
        /// An expression calls a function that does not exist.
        UnknownFunction = 106 => "unknown_function",
        /// A function got the wrong number of arguments.
        WrongArity = 107 => "wrong_arity",
        /// An operand or argument has the wrong type.
        TypeMismatch = 108 => "type_mismatch",
        /// A condition is not true or false.
        NotACondition = 109 => "not_a_condition",
        /// An expression is too long, too deep or has too many nodes.
        LimitExceeded = 110 => "limit_exceeded",
    }
}

impl From<crate::rules::Code> for ProblemCode {
    /// The problem code of a rule diagnostic: the same name, number + 100.
    fn from(code: crate::rules::Code) -> Self {
        ProblemCode::from_number(code.number() + 100).unwrap_or(ProblemCode::Syntax)
    }
}

/// One thing wrong with a catalog: where (offer and field), what, and for expressions the line
/// and column in the expression with a caret.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code: `invalid_json`, `invalid_field`, `duplicate_id`, `never_chosen`, `too_long`,
    /// or a rule diagnostic's code (`unknown_path`, `type_mismatch`...).
    pub code: ProblemCode,
    /// The offer's id, for a problem inside one.
    pub offer: Option<String>,
    /// The field: `eligibility`, `contact.window`, `control_group.share`...
    pub field: String,
    /// What is wrong, for people.
    pub message: String,
    /// 1-based line: in the expression for rule errors, in the catalog for JSON errors.
    pub line: Option<usize>,
    /// 1-based column, like `line`.
    pub column: Option<usize>,
    pub(crate) expression: Option<(String, Diagnostic)>,
}

impl Problem {
    pub(crate) fn new(
        severity: Severity,
        offer: Option<&str>,
        field: &str,
        message: String,
    ) -> Self {
        Problem {
            severity,
            code: if severity == Severity::Error {
                ProblemCode::InvalidField
            } else {
                ProblemCode::NeverChosen
            },
            offer: offer.map(String::from),
            field: field.into(),
            message,
            line: None,
            column: None,
            expression: None,
        }
    }

    pub(crate) fn error(offer: Option<&str>, field: &str, message: String) -> Self {
        Self::new(Severity::Error, offer, field, message)
    }

    /// Where, for people: `offers["free-shipping"].eligibility`.
    pub fn place(&self) -> String {
        match (&self.offer, self.field.as_str()) {
            (Some(id), "") => format!("offers[{id:?}]"),
            (Some(id), field) => format!("offers[{id:?}].{field}"),
            (None, "") => "catalog".into(),
            (None, field) => field.into(),
        }
    }

    /// The problem with its place, and for an expression the source line and a caret under the
    /// spot, like a compiler's message.
    pub fn render(&self) -> String {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.expression {
            Some((source, diagnostic)) => {
                let text = diagnostic.render(source, &self.place(), 0);
                match self.severity {
                    Severity::Error => text,
                    Severity::Warning => text.replacen("error", "warning", 1),
                }
            }
            None => {
                let at = match (self.line, self.column) {
                    (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
                    _ => String::new(),
                };
                format!(
                    "{label}[{}]: {}: {}{at}\n",
                    self.code,
                    self.place(),
                    self.message
                )
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place(), self.message)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, " (line {l}, column {c})")?;
        }
        write!(f, " [{}]", self.code)
    }
}

/// Why a catalog did not compile: every error, then every warning.
#[derive(Clone, Debug, PartialEq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter().filter(|p| p.severity == Severity::Error)
    }

    /// The line and column of the first error that has them: where a binding's single error
    /// points (the C API's `sk_error_line`, the WASM package's `error.line`).
    pub fn location(&self) -> Option<(u32, u32)> {
        let first = self.errors().next()?;
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Some((clamp(first.line?), clamp(first.column?)))
    }

    /// Every problem rendered, one after another.
    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(Problem::render)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Problems {
    /// A rule's compile errors as problems at the place `rule`, each with its code, line, column
    /// and rendered text: what the bindings list when they check a rule on its own.
    pub fn of_rule(source: &str, diagnostics: &Diagnostics) -> Problems {
        Problems(
            diagnostics
                .0
                .iter()
                .map(|d| {
                    let (line, column) = d.line_column(source);
                    Problem {
                        code: d.code.into(),
                        line: Some(line),
                        column: Some(column),
                        expression: Some((source.into(), d.clone())),
                        ..Problem::error(None, "rule", d.to_string())
                    }
                })
                .collect(),
        )
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors: Vec<&Problem> = self.errors().collect();
        write!(
            f,
            "the catalog has {} error{}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        )?;
        for p in errors {
            write!(f, "; {p}")?;
        }
        Ok(())
    }
}

/// For bindings: one [`Error`] with code `invalid_catalog`, the first error's message and place.
impl From<Problems> for Error {
    fn from(problems: Problems) -> Error {
        let first = problems.errors().next();
        let mut error = Error::new(ErrorCode::InvalidCatalog, problems.to_string());
        if let Some((Some(l), Some(c))) = first.map(|p| (p.line, p.column)) {
            error = error.at(l, c);
        }
        error
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Problems {}

/// Every channel's bit.
pub(crate) const ALL_CHANNELS: u8 = u8::MAX >> (8 - Channel::ALL.len());

/// A channel's bit in a channel mask.
pub(crate) const fn bit(channel: Channel) -> u8 {
    1 << channel.index()
}
