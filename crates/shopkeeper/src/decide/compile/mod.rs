//! Compiling a catalog: its JSON source (`source.rs`) checked and compiled into a [`Catalog`],
//! with every problem found on the way.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::catalog::{
    bit, Action, Amount, Catalog, ContextWeight, ControlGroup, Kind, Offer, Problem, ProblemCode,
    Problems, Propensity, Severity, ALL_CHANNELS, MAX_CATALOG_LEN, MAX_CATALOG_OFFERS,
    MAX_CONTEXT_KEYS, MAX_CONTEXT_WEIGHTS, MAX_PAYLOAD_LEN, MAX_PROBLEMS,
};
mod learning;
mod policy;

use super::clauses::{contradiction, Clauses, Interner};
use super::source::{ActionSource, CatalogSource, NumberOrText, OfferSource, PropensitySource};
use crate::limits::MAX_ATTRIBUTES;
use crate::listen::Intents;
use crate::random::fnv1a;
use crate::rules::{Diagnostic, Rule, Schema, Type};
use crate::{Channel, Timestamp};

/// Reads and compiles a catalog: [`Catalog::compile`].
pub(crate) fn compile(json: &str, now: Timestamp) -> Result<Catalog, Problems> {
    if json.len() > MAX_CATALOG_LEN {
        return Err(Problems(alloc::vec![Problem {
            code: ProblemCode::TooLong,
            ..Problem::error(
                None,
                "",
                format!(
                    "the catalog is {} bytes; at most {MAX_CATALOG_LEN}",
                    json.len()
                ),
            )
        }]));
    }
    let source: CatalogSource = serde_json::from_str(json).map_err(|e| {
        let error = crate::event::json_error(e);
        let mut problem = Problem::error(None, "", error.message().to_string());
        problem.code = ProblemCode::InvalidJson;
        if let Some((line, column)) = error.location() {
            problem.line = Some(line as usize);
            problem.column = Some(column as usize);
        }
        Problems(alloc::vec![problem])
    })?;
    let mut c = Compiler {
        problems: Vec::new(),
        interner: Interner::default(),
        now,
        reads_scores: false,
    };
    let catalog = c.catalog(source);
    let (errors, warnings): (Vec<Problem>, Vec<Problem>) = c
        .problems
        .into_iter()
        .partition(|p| p.severity == Severity::Error);
    match catalog {
        Some(mut catalog) if errors.is_empty() => {
            catalog.warnings = warnings;
            Ok(catalog)
        }
        _ => Err(Problems(errors.into_iter().chain(warnings).collect())),
    }
}

// ---- Compiling ------------------------------------------------------------------------------

/// The learner's half-life when the catalog does not say: two weeks.
pub(super) const DEFAULT_HALF_LIFE: Timestamp = 14 * 86_400;

/// The request-context key a catalog may not declare: reserved for the request's own fields.
const RESERVED_CONTEXT: &[&str] = &["channel", "slots", "now", "seed"];

pub(super) struct Compiler {
    problems: Vec<Problem>,
    interner: Interner,
    now: Timestamp,
    reads_scores: bool,
}

/// Where in the catalog something is: the offer's id (if any) and the field.
#[derive(Clone, Copy)]
pub(super) struct At<'a> {
    pub(super) offer: Option<&'a str>,
    pub(super) field: &'a str,
}

impl Compiler {
    /// Keeps at most [`MAX_PROBLEMS`]; the last one kept says how many more there were.
    fn push(&mut self, problem: Problem) {
        match self.problems.len() {
            n if n < MAX_PROBLEMS - 1 => self.problems.push(problem),
            n if n == MAX_PROBLEMS - 1 => self.problems.push(Problem::error(
                None,
                "",
                format!("more than {MAX_PROBLEMS} problems; fix these first"),
            )),
            _ => {}
        }
    }

    pub(super) fn error(&mut self, at: At<'_>, message: String) {
        self.push(Problem::error(at.offer, at.field, message));
    }

    pub(super) fn warn(&mut self, at: At<'_>, message: String) {
        self.push(Problem::new(Severity::Warning, at.offer, at.field, message));
    }

    fn catalog(&mut self, src: CatalogSource) -> Option<Catalog> {
        let top = |field| At { offer: None, field };
        if src.version.trim().is_empty() {
            self.error(
                top("version"),
                "a catalog needs a version (receipts name it)".into(),
            );
        }
        if src.currency_decimals > 6 {
            self.error(top("currency_decimals"), "at most 6 decimals".into());
        }
        // Bounds first: nothing below does work in proportion to an unbounded input.
        for (field, len, max) in [
            ("offers", src.offers.len(), MAX_CATALOG_OFFERS),
            ("attributes", src.attributes.len(), MAX_ATTRIBUTES),
            ("context", src.context.len(), MAX_CONTEXT_KEYS),
            (
                "context_weights",
                src.context_weights.len(),
                MAX_CONTEXT_WEIGHTS,
            ),
        ] {
            if len > max {
                self.error(top(field), format!("{len} entries; at most {max}"));
                return None;
            }
        }
        let mut schema = Schema::new().currency_decimals(src.currency_decimals);
        for (name, ty) in &src.attributes {
            if let Some(ty) = self.ty(top("attributes"), name, ty) {
                schema = schema.attribute(name, ty);
            }
        }
        for (key, ty) in &src.context {
            if RESERVED_CONTEXT.contains(&key.as_str()) {
                self.error(
                    top("context"),
                    format!("`{key}` is reserved: the request carries it"),
                );
            } else if let Some(ty) = self.ty(top("context"), key, ty) {
                schema = schema.context_key(key, ty);
            }
        }
        let served = match &src.channels {
            Some(names) => self.channels(top("channels"), names),
            None => ALL_CHANNELS,
        };
        let mut channel_caps = [None; Channel::ALL.len()];
        for (name, cap) in &src.contact_policy {
            let at = top("contact_policy");
            match channel(name) {
                Some(ch) => {
                    channel_caps[ch.index()] = self.cap(at, Some(cap.max_shows), Some(&cap.window))
                }
                None => self.error(at, unknown_channel(name)),
            }
        }
        let control = src.control_group.and_then(|g| {
            let at = top("control_group.share");
            if !(0.0..1.0).contains(&g.share) {
                self.error(at, format!("a share in [0, 1), got {}", g.share));
                return None;
            }
            Some(ControlGroup {
                share: g.share,
                salt: g.salt,
            })
        });
        let learning = self.learning(src.learning, &schema);
        let pacing = self.pacing(src.pacing.as_ref());
        let mut intent_problems = Vec::new();
        let intents = Intents::compile(&src.intents, &mut intent_problems);
        for (field, message) in intent_problems {
            let at = At {
                offer: None,
                field: &field,
            };
            self.error(at, message);
        }
        let mut context_weights = Vec::new();
        for (i, w) in src.context_weights.iter().enumerate() {
            let field = format!("context_weights[{i}]");
            let at = At {
                offer: None,
                field: &field,
            };
            if !(w.weight.is_finite() && w.weight >= 0.0) {
                self.error(at, format!("a weight is a number >= 0, got {}", w.weight));
            }
            let channels = match &w.channels {
                Some(names) => self.channels(at, names),
                None => ALL_CHANNELS,
            };
            let when_field = format!("{field}.when");
            let when = self.clauses(
                At {
                    offer: None,
                    field: &when_field,
                },
                w.when.as_deref(),
                &schema,
            );
            context_weights.push(ContextWeight {
                when,
                channels,
                kind: w.kind,
                weight: w.weight,
            });
        }
        let fallback = self.action(None, src.default);
        let mut offers = Vec::with_capacity(src.offers.len());
        let mut index = BTreeMap::new();
        let mut groups: BTreeMap<String, u32> = BTreeMap::new();
        for o in src.offers {
            if index.contains_key(&o.id) || o.id == fallback.id {
                self.push(Problem {
                    code: ProblemCode::DuplicateId,
                    ..Problem::error(
                        Some(&o.id),
                        "id",
                        "another offer (or the default) has this id".into(),
                    )
                });
                continue;
            }
            let offer = self.offer(o, served, &schema, &mut groups);
            index.insert(offer.action.id.clone(), offers.len() as u32);
            offers.push(offer);
        }
        let mut by_channel: [Vec<u32>; Channel::ALL.len()] = Default::default();
        for (i, offer) in offers.iter().enumerate() {
            for ch in Channel::ALL {
                if offer.channels & bit(ch) != 0 {
                    by_channel[ch.index()].push(i as u32);
                }
            }
        }
        let ids_json = offers
            .iter()
            .map(|o: &Offer| super::explain::json_string(&o.action.id))
            .collect();
        Some(Catalog {
            version: src.version,
            schema,
            offers,
            ids_json,
            fallback,
            groups: {
                let mut names: Vec<(String, u32)> = groups.into_iter().collect();
                names.sort_by_key(|(_, i)| *i);
                names.into_iter().map(|(name, _)| name).collect()
            },
            by_channel,
            index,
            context_weights,
            clauses: core::mem::take(&mut self.interner).finish(),
            channel_caps,
            control,
            warnings: Vec::new(),
            reads_scores: self.reads_scores,
            learning,
            pacing,
            intents,
        })
    }

    fn ty(&mut self, at: At<'_>, name: &str, ty: &str) -> Option<Type> {
        let ty_ok = Type::parse(ty);
        if ty_ok.is_none() {
            self.error(
                at,
                format!("`{name}`: unknown type {ty:?} (bool, number, string, timestamp, duration or list)"),
            );
        }
        ty_ok
    }

    fn channels(&mut self, at: At<'_>, names: &[String]) -> u8 {
        let mut mask = 0;
        for name in names {
            match channel(name) {
                Some(ch) => mask |= bit(ch),
                None => self.error(at, unknown_channel(name)),
            }
        }
        mask
    }

    fn action(&mut self, offer: Option<&str>, src: ActionSource) -> Action {
        let at = At {
            offer,
            field: if offer.is_some() { "id" } else { "default.id" },
        };
        if let Err(e) = crate::check::id("id", &src.id, crate::limits::MAX_ID_LEN) {
            self.error(at, e.message().into());
        }
        if let Some(payload) = &src.payload {
            if payload.get().len() > MAX_PAYLOAD_LEN {
                self.error(
                    At {
                        offer,
                        field: "payload",
                    },
                    format!("{} bytes; at most {MAX_PAYLOAD_LEN}", payload.get().len()),
                );
            }
        }
        Action {
            title: src.title.unwrap_or_else(|| src.id.clone()),
            id: src.id,
            kind: src.kind.unwrap_or(Kind::Offer),
            payload: src.payload,
        }
    }

    fn offer(
        &mut self,
        o: OfferSource,
        served: u8,
        schema: &Schema,
        groups: &mut BTreeMap<String, u32>,
    ) -> Offer {
        let id = o.id.clone();
        let at = |field| At {
            offer: Some(&id),
            field,
        };
        let action = self.action(
            Some(&id),
            ActionSource {
                id: o.id,
                title: o.title,
                kind: o.kind,
                payload: o.payload,
            },
        );
        let channels = match &o.channels {
            Some(names) => self.channels(at("channels"), names),
            None => served,
        } & served;
        if channels == 0 {
            self.warn(
                at("channels"),
                "no request can carry any of its channels (the catalog's `channels` serve none of them)".into(),
            );
        }
        let valid_from = o
            .valid_from
            .as_ref()
            .and_then(|t| self.time(at("valid_from"), t));
        let valid_until = o
            .valid_until
            .as_ref()
            .and_then(|t| self.time(at("valid_until"), t));
        if let Some(until) = valid_until {
            if until <= self.now {
                self.warn(
                    at("valid_until"),
                    format!(
                        "the validity window ended in the past ({})",
                        crate::time::format_utc(until)
                    ),
                );
            } else if valid_from.is_some_and(|from| from >= until) {
                self.warn(
                    at("valid_until"),
                    "the validity window is empty: it ends before it starts".into(),
                );
            }
        }
        let eligibility = self.clauses(at("eligibility"), o.eligibility.as_deref(), schema);
        let applicability = self.clauses(at("applicability"), o.applicability.as_deref(), schema);
        let suitability = self.clauses(at("suitability"), o.suitability.as_deref(), schema);
        let ids = [&eligibility, &applicability, &suitability]
            .into_iter()
            .flat_map(|c| c.ids().iter().copied());
        if let Some(why) = contradiction(&self.interner, ids) {
            self.warn(at(""), format!("can never be eligible: {why}"));
        }
        let value = match o.value {
            None => Amount::Fixed(1.0),
            Some(NumberOrText::Number(v)) => {
                if !(v.is_finite() && v >= 0.0) {
                    self.error(at("value"), format!("a value is a number >= 0, got {v}"));
                } else if v == 0.0 {
                    self.warn(at("value"), "a value of 0 scores 0: never chosen".into());
                }
                Amount::Fixed(v)
            }
            Some(NumberOrText::Text(source)) => {
                match self.number_rule(at("value"), &source, schema) {
                    Some(rule) => Amount::Rule(rule),
                    None => Amount::Fixed(0.0),
                }
            }
        };
        let lever = o.lever.unwrap_or(1.0);
        if !(lever.is_finite() && lever >= 0.0) {
            self.error(
                at("lever"),
                format!("a lever is a number >= 0, got {lever}"),
            );
        } else if lever == 0.0 {
            self.warn(at("lever"), "a lever of 0 scores 0: never chosen".into());
        }
        let propensity = match o.propensity {
            None => Propensity::Fixed(1.0),
            Some(PropensitySource::Fixed(p)) => {
                if !(0.0..=1.0).contains(&p) {
                    self.error(
                        at("propensity.fixed"),
                        format!("a probability in [0, 1], got {p}"),
                    );
                } else if p == 0.0 {
                    self.warn(
                        at("propensity.fixed"),
                        "a propensity of 0 scores 0: never chosen".into(),
                    );
                }
                Propensity::Fixed(p)
            }
            Some(PropensitySource::Expression(source)) => {
                match self.number_rule(at("propensity.expression"), &source, schema) {
                    Some(rule) => Propensity::Rule(rule),
                    None => Propensity::Fixed(0.0),
                }
            }
            Some(PropensitySource::Model(name)) => Propensity::Model(name),
            Some(PropensitySource::Adaptive(a)) => {
                let [alpha, beta] = a.prior.unwrap_or([1.0, 1.0]);
                if ![alpha, beta]
                    .iter()
                    .all(|x| x.is_finite() && *x > 0.0 && *x <= 1e6)
                {
                    self.error(
                        at("propensity.adaptive.prior"),
                        format!(
                            "a Beta prior [alpha, beta], each in (0, 1e6], got [{alpha}, {beta}]"
                        ),
                    );
                }
                Propensity::Adaptive { alpha, beta }
            }
        };
        let group = o.group.map(|name| {
            let next = groups.len() as u32;
            *groups.entry(name).or_insert(next)
        });
        let contact = o.contact.map(|c| self.contact(&id, c)).unwrap_or_default();
        let budget = o.budget.as_ref().and_then(|b| self.budget(&id, b));
        Offer {
            id_hash: fnv1a(&[action.id.as_bytes()]),
            action,
            channels,
            valid_from,
            valid_until,
            eligibility,
            applicability,
            suitability,
            value,
            lever,
            group,
            contact,
            propensity,
            budget,
        }
    }

    fn clauses(&mut self, at: At<'_>, source: Option<&str>, schema: &Schema) -> Clauses {
        let Some(source) = source else {
            return Default::default();
        };
        match self.interner.condition(source, schema) {
            Ok((clauses, reads_scores)) => {
                self.reads_scores |= reads_scores;
                clauses
            }
            Err(diagnostics) => {
                self.rule_errors(at, source, diagnostics.0);
                Default::default()
            }
        }
    }

    fn number_rule(&mut self, at: At<'_>, source: &str, schema: &Schema) -> Option<Rule> {
        let compiled = Rule::compile(source, schema);
        if let Ok(rule) = &compiled {
            self.reads_scores |= rule.reads_scores();
        }
        match compiled {
            Ok(rule) if rule.ty() == Type::Number => Some(rule),
            Ok(rule) => {
                self.error(
                    at,
                    format!("`{source}` is a {}; a number is needed", rule.ty()),
                );
                None
            }
            Err(diagnostics) => {
                self.rule_errors(at, source, diagnostics.0);
                None
            }
        }
    }

    fn rule_errors(&mut self, at: At<'_>, source: &str, diagnostics: Vec<Diagnostic>) {
        for d in diagnostics {
            let (line, column) = d.line_column(source);
            let mut problem = Problem::error(at.offer, at.field, d.to_string());
            problem.code = d.code.into();
            problem.line = Some(line);
            problem.column = Some(column);
            problem.expression = Some((source.into(), d));
            self.push(problem);
        }
    }
}

fn channel(name: &str) -> Option<Channel> {
    Channel::from_name(name)
}

fn unknown_channel(name: &str) -> String {
    format!("unknown channel {name:?} ({})", Channel::NAMES)
}
