//! The rule language: small, typed, bounded expressions that marketers edit at run time.
//!
//! ```
//! use shopkeeper::rules::{Context, Features, Input, Rule, Schema, Type};
//! use shopkeeper::Profile;
//!
//! let schema = Schema::new().attribute("tier", Type::String).context_key("page_type", Type::String);
//! let rule = Rule::condition(r#"customer.attr.tier in ["gold", "silver"] or context.page_type == "cart""#, &schema)?;
//!
//! let profile = Profile::known("cust-1")?;
//! let mut context = Context::new(&schema);
//! context.set(&schema, "page_type", shopkeeper::rules::Value::String("cart".into()))?;
//! // Once per request: every path the schema knows, read from the profile and the context.
//! let features = Features::new(&schema, &Input { profile: &profile, context: &context, now: 1_732_406_400, scores: None });
//! assert!(rule.matches(&features));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A rule is checked against a [`Schema`] when it compiles: an unknown path, a type mismatch or a
//! wrong number of arguments is a [`Diagnostic`] with a stable code, the place in the source and a
//! hint, never a silent `false` at run time. Compiled, a rule reads [`Features`] (built once per
//! request from a profile, a request context and the time) without allocating, and cannot fail.
//! `spec/rules.md` is the language reference.

mod ast;
mod code;
mod compile;
mod context;
mod diagnostic;
mod features;
mod lexer;
pub mod limits;
mod parser;
mod paths;
pub(crate) mod schema;

use alloc::string::String;

pub use ast::{BinOp, Expr, Node, UnOp};
pub use context::{Context, Value, MAX_CONTEXT_ITEMS, MAX_CONTEXT_JSON_LEN, MAX_CONTEXT_TEXT};
pub use diagnostic::{Code, Diagnostic, Diagnostics, Span};
pub use features::{Features, Input};
pub use parser::parse;
pub use schema::{Schema, Type};

pub(crate) use paths::is_score_path;

use code::{Consts, Env};
use compile::Compiler;

use crate::score::Models;
use crate::{Error, ErrorCode, Profile, Timestamp};

/// The seconds of a text that is one duration literal (`"7d"`, `" 12h "`), as the rule language
/// writes them; `None` for anything else. Read with the lexer alone: catalogs hold many.
pub(crate) fn duration_literal(text: &str) -> Option<f64> {
    match lexer::tokenize(text).ok()?.as_slice() {
        [(lexer::Tok::Duration(seconds), _), (lexer::Tok::End, _)] => Some(*seconds),
        _ => None,
    }
}

/// Whether the tree reads any score path (so scoring can be skipped when none does).
pub(crate) fn reads_scores(node: &Node) -> bool {
    match &node.expr {
        Expr::Path(parts) => is_score_path(&parts.join(".")),
        Expr::Unary(_, a) => reads_scores(a),
        Expr::Binary(_, a, b) => reads_scores(a) || reads_scores(b),
        Expr::Call(_, args) => args.iter().any(reads_scores),
        Expr::If(c, a, b) => reads_scores(c) || reads_scores(a) || reads_scores(b),
        Expr::Bool(_) | Expr::Number(_) | Expr::Duration(_) | Expr::Str(_) | Expr::List(_) => false,
    }
}

/// A compiled rule, with the schema it was checked against.
pub struct Rule {
    source: String,
    code: code::Code,
    consts: Consts,
    schema: Schema,
    /// Whether it reads a score path.
    reads_scores: bool,
}

impl core::fmt::Debug for Rule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Rule")
            .field("source", &self.source)
            .field("type", &self.ty())
            .finish()
    }
}

impl Rule {
    /// Compiles an expression of any type (for `shopkeeper eval` and computed values).
    pub fn compile(source: &str, schema: &Schema) -> Result<Rule, Diagnostics> {
        Self::build(source, schema, false)
    }

    /// Compiles a condition: an expression that must be a bool (eligibility, applicability...).
    pub fn condition(source: &str, schema: &Schema) -> Result<Rule, Diagnostics> {
        Self::build(source, schema, true)
    }

    /// [`Rule::condition`] when `condition`, else [`Rule::compile`]: for callers (bindings, tools)
    /// that take the choice as a flag.
    pub fn new(source: &str, schema: &Schema, condition: bool) -> Result<Rule, Diagnostics> {
        Self::build(source, schema, condition)
    }

    fn build(source: &str, schema: &Schema, condition: bool) -> Result<Rule, Diagnostics> {
        let node = parse(source).map_err(|d| Diagnostics(alloc::vec![d]))?;
        Self::from_tree(source, &node, schema, condition)
    }

    /// Compiles a tree already parsed: `source` is what the rule says it was written as, and the
    /// diagnostics' spans are the tree's (a catalog compiles each clause of a condition from the
    /// condition's one parse, its spans pointing into the condition).
    pub(crate) fn from_tree(
        source: &str,
        node: &Node,
        schema: &Schema,
        condition: bool,
    ) -> Result<Rule, Diagnostics> {
        let mut compiler = Compiler::new(schema);
        let code = compiler.compile(node);
        let code = match code {
            Some(code) if compiler.diagnostics.is_empty() => code,
            _ => return Err(Diagnostics(compiler.diagnostics)),
        };
        if condition && code.ty() != Type::Bool {
            let message = alloc::format!(
                "a condition must be true or false, but this is a {}",
                code.ty()
            );
            let d = Diagnostic::new(Code::NotACondition, node.span, message)
                .help("compare it, e.g. `cart.value >= 100`");
            return Err(Diagnostics(alloc::vec![d]));
        }
        Ok(Rule {
            source: source.into(),
            code,
            consts: compiler.consts,
            schema: schema.clone(),
            reads_scores: reads_scores(node),
        })
    }

    /// The rule's value for `profile` in `context` at `now`: the one entry point every binding
    /// and tool calls. Score paths read the profile's scores under `models`, computed when, and
    /// only when, the rule reads one (`spec/rules.md`); without models (or before a first
    /// purchase) they are missing. Fails with `invalid_context` for a context built for another
    /// schema, `invalid_request` for `now` out of range; `Ok(None)` is a missing value.
    pub fn evaluate(
        &self,
        profile: &Profile,
        context: &Context,
        now: Timestamp,
        models: &Models,
    ) -> Result<Option<Value>, Error> {
        self.with_features(profile, context, now, models, |f| self.eval(f))
    }

    /// Whether the rule holds (a bool rule that is true) for `profile` in `context` at `now`,
    /// with the same policy and errors as [`Rule::evaluate`]; missing is false.
    pub fn holds(
        &self,
        profile: &Profile,
        context: &Context,
        now: Timestamp,
        models: &Models,
    ) -> Result<bool, Error> {
        self.with_features(profile, context, now, models, |f| self.matches(f))
    }

    fn with_features<T>(
        &self,
        profile: &Profile,
        context: &Context,
        now: Timestamp,
        models: &Models,
        read: impl FnOnce(&Features<'_>) -> T,
    ) -> Result<T, Error> {
        if !context.fits(&self.schema) {
            return Err(Context::foreign());
        }
        crate::check::timestamp("now", now)
            .map_err(|e| Error::new(ErrorCode::InvalidRequest, e.message()))?;
        let scores = self.reads_scores.then(|| models.score(profile, now));
        let input = Input {
            profile,
            context,
            now,
            scores: scores.as_ref(),
        };
        let features = Features::new(&self.schema, &input);
        Ok(read(&features))
    }

    /// The schema it was compiled against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Whether it reads a score path (`customer.p_alive`, `cart.cross_sell`...).
    pub fn reads_scores(&self) -> bool {
        self.reads_scores
    }

    /// The rule's type.
    pub fn ty(&self) -> Type {
        self.code.ty()
    }

    /// The source it was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the rule holds: a bool rule that is true for these features. Missing counts as
    /// false, and so do features built for another schema. Allocates nothing.
    pub fn matches(&self, features: &Features<'_>) -> bool {
        if features.fingerprint != self.schema.fingerprint() {
            return false;
        }
        match &self.code {
            code::Code::Bool(f) => {
                f(&Env {
                    f: features,
                    consts: &self.consts,
                }) == Some(true)
            }
            _ => false,
        }
    }

    /// The rule's value for these features, `None` when missing or when the features were built
    /// for another schema (allocates for strings and lists).
    pub fn eval(&self, features: &Features<'_>) -> Option<Value> {
        if features.fingerprint != self.schema.fingerprint() {
            return None;
        }
        self.code.value(&Env {
            f: features,
            consts: &self.consts,
        })
    }
}
