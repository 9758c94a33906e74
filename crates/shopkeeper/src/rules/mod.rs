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
mod compile;
mod diagnostic;
mod lexer;
pub mod limits;
mod parser;
pub(crate) mod schema;

use alloc::string::String;

pub use ast::{BinOp, Expr, Node, UnOp};
pub use diagnostic::{Code, Diagnostic, Diagnostics, Span};
pub use parser::parse;
pub use schema::{
    Context, Features, Input, Schema, Type, Value, MAX_CONTEXT_ITEMS, MAX_CONTEXT_TEXT,
};

use compile::{Compiler, Consts, Env};

/// Whether `path` is a score path (`customer.p_alive`, `cart.cross_sell`...): read only when the
/// request's [`Input::scores`] are computed.
pub(crate) fn is_score_path(path: &str) -> bool {
    schema::SCORE_PATHS.iter().any(|(name, _, _)| *name == path)
}

/// Whether the expression `source` reads any score path (so scoring can be skipped when none does).
pub(crate) fn reads_scores(source: &str) -> bool {
    fn walk(node: &Node) -> bool {
        match &node.expr {
            Expr::Path(parts) => is_score_path(&parts.join(".")),
            Expr::Unary(_, a) => walk(a),
            Expr::Binary(_, a, b) => walk(a) || walk(b),
            Expr::Call(_, args) => args.iter().any(walk),
            Expr::If(c, a, b) => walk(c) || walk(a) || walk(b),
            Expr::Bool(_) | Expr::Number(_) | Expr::Duration(_) | Expr::Str(_) | Expr::List(_) => {
                false
            }
        }
    }
    parse(source).is_ok_and(|node| walk(&node))
}

/// A compiled rule.
pub struct Rule {
    source: String,
    code: compile::Code,
    consts: Consts,
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
        let mut compiler = Compiler::new(schema);
        let code = compiler.compile(&node);
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
        })
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
    /// false. Allocates nothing. `features` must come from the schema the rule was compiled with.
    pub fn matches(&self, features: &Features<'_>) -> bool {
        match &self.code {
            compile::Code::Bool(f) => {
                f(&Env {
                    f: features,
                    consts: &self.consts,
                }) == Some(true)
            }
            _ => false,
        }
    }

    /// The rule's value for these features, `None` when missing (allocates for strings and lists).
    pub fn eval(&self, features: &Features<'_>) -> Option<Value> {
        self.code.value(&Env {
            f: features,
            consts: &self.consts,
        })
    }
}
