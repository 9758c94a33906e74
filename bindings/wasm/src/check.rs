//! Catalog and rule checks as diagnostics, and rules compiled against an engine's declarations.

use serde::Serialize;
use shopkeeper::decide::{Catalog, Problem, Problems, Severity};
use std::rc::Rc;

use shopkeeper::rules::{Context, Rule as Core, Value};
use wasm_bindgen::prelude::*;

use crate::{
    field, json_text, number_field, parsed, seconds, to_js, CatalogArg, Engine, Failure, Profile,
    Result, RuleInput, RuleOptions,
};

/// One problem of a catalog or a rule, where it is and how to show it.
#[derive(Serialize)]
struct Diagnostic {
    severity: &'static str,
    code: &'static str,
    /// `offers["x"].eligibility`, or `rule`.
    place: String,
    message: String,
    /// The message with the source line and a caret, as the command line prints it.
    rendered: String,
    line: Option<usize>,
    column: Option<usize>,
}

/// The core's problems (a catalog's errors then warnings, or a rule's errors) as JS objects.
pub(crate) fn diagnostics_of(problems: &[Problem]) -> JsValue {
    let items: Vec<Diagnostic> = problems
        .iter()
        .map(|p| Diagnostic {
            severity: match p.severity {
                Severity::Error => "error",
                _ => "warning",
            },
            code: p.code.as_str(),
            place: p.place(),
            message: p.message.clone(),
            rendered: p.render(),
            line: p.line,
            column: p.column,
        })
        .collect();
    to_js(&items).unwrap_or(JsValue::NULL)
}

/// Checks a catalog (JSON text or object) without building an engine: every error and warning,
/// each with its place, code, message and (for expressions and JSON) line and column. Empty when
/// the catalog is clean. `now` (seconds; default: the current time) dates validity windows.
#[wasm_bindgen(js_name = checkCatalog, unchecked_return_type = "Diagnostic[]")]
pub fn check_catalog(catalog: &CatalogArg, now: Option<f64>) -> Result<JsValue> {
    let now = seconds(now, "now")?;
    let text = json_text(catalog, "catalog")?;
    Ok(match Catalog::compile(&text, now) {
        Ok(compiled) => diagnostics_of(compiled.warnings()),
        Err(problems) => diagnostics_of(&problems.0),
    })
}

/// `{condition: true}` asks for a condition (a rule that must be true or false).
fn condition(options: &Option<RuleOptions>) -> bool {
    options
        .as_ref()
        .is_some_and(|o| field(o, "condition").is_truthy())
}

#[wasm_bindgen]
impl Engine {
    /// Checks a rule (`spec/rules.md`) against the catalog's attributes and context keys: its
    /// errors, each with line and column; empty when it compiles.
    #[wasm_bindgen(js_name = checkRule, unchecked_return_type = "Diagnostic[]")]
    pub fn check_rule(&self, source: &str, options: Option<RuleOptions>) -> Result<JsValue> {
        Ok(
            match Core::new(source, self.core.catalog().schema(), condition(&options)) {
                Ok(_) => diagnostics_of(&[]),
                Err(diagnostics) => diagnostics_of(&Problems::of_rule(source, &diagnostics).0),
            },
        )
    }

    /// Compiles a rule against the catalog's declarations, to evaluate it on profiles. A rule
    /// that does not compile throws `invalid_rule` with the first error's line and column.
    #[wasm_bindgen(js_name = compileRule)]
    pub fn compile_rule(&self, source: &str, options: Option<RuleOptions>) -> Result<Rule> {
        let core = Core::new(source, self.core.catalog().schema(), condition(&options))
            .map_err(|d| Failure::from(d.to_error(source)))?;
        Ok(Rule {
            core,
            engine: Rc::clone(&self.core),
        })
    }
}

/// A compiled rule; it evaluates score paths with the models of the engine it was compiled on.
#[wasm_bindgen]
pub struct Rule {
    core: Core,
    engine: Rc<shopkeeper::decide::Engine>,
}

impl Rule {
    /// The context (`input.context`, read against the rule's schema) and time (`input.now`,
    /// default: the current time) of an evaluation.
    fn input(&self, input: &Option<RuleInput>) -> Result<(Context, i64)> {
        let input: JsValue = input.as_ref().map_or(JsValue::UNDEFINED, |i| i.into());
        let schema = self.core.schema();
        let context = match field(&input, "context") {
            c if c.is_undefined() || c.is_null() => Context::new(schema),
            c => Context::from_json(schema, &json_text(&c, "context")?)?,
        };
        Ok((context, seconds(number_field(&input, "now")?, "now")?))
    }
}

#[wasm_bindgen]
impl Rule {
    /// The rule's value for `profile` with `input.context` at `input.now` (default: the current
    /// time): a boolean, number, string or list of strings, or `null` when a value it needs is
    /// missing.
    #[wasm_bindgen(unchecked_return_type = "RuleValue")]
    pub fn eval(&self, profile: &Profile, input: Option<RuleInput>) -> Result<JsValue> {
        let (context, now) = self.input(&input)?;
        let models = self.engine.models();
        let value = self.core.evaluate(&profile.core, &context, now, models)?;
        parsed(&Value::json_of(value.as_ref()))
    }

    /// Whether a condition holds (`false` when it is missing or not a boolean).
    pub fn matches(&self, profile: &Profile, input: Option<RuleInput>) -> Result<bool> {
        let (context, now) = self.input(&input)?;
        let models = self.engine.models();
        Ok(self.core.holds(&profile.core, &context, now, models)?)
    }
}
