//! `shopkeeper eval 'EXPR' [--profile P.json] [--context C.json] [--models M.json]`: evaluate one
//! expression, as every binding does (`Rule::evaluate`: score paths read the models).
//!
//! The schema is inferred from the inputs: every attribute the profile holds and every key of the
//! context JSON is declared with the type of its value (numbers as numbers).

use shopkeeper::rules::{Context, Rule, Schema, Type, Value};
use shopkeeper::score::Models;
use shopkeeper::{AttrValue, Profile, Timestamp};

/// Evaluates `expression`; returns its value as the core's JSON (`null` when missing) or the
/// diagnostics.
pub fn eval(
    expression: &str,
    profile: Option<&str>,
    context: Option<&str>,
    models: &Models,
    now: Timestamp,
) -> Result<String, String> {
    let profile = match profile {
        Some(json) => Profile::from_export(json).map_err(|e| format!("the profile: {e}"))?,
        None => Profile::anonymous("anonymous").map_err(|e| e.to_string())?,
    };
    let context_json: serde_json::Map<String, serde_json::Value> = match context {
        Some(json) => serde_json::from_str(json).map_err(|e| format!("the context: {e}"))?,
        None => serde_json::Map::new(),
    };
    let mut schema = Schema::new();
    for (name, attribute) in profile.attributes().iter() {
        let ty = match &attribute.value {
            Some(AttrValue::Bool(_)) => Type::Bool,
            Some(AttrValue::Number(_)) => Type::Number,
            Some(AttrValue::Text(_)) => Type::String,
            Some(AttrValue::List(_)) => Type::List,
            _ => continue,
        };
        schema = schema.attribute(name, ty);
    }
    for (key, value) in &context_json {
        let ty = match value {
            serde_json::Value::Bool(_) => Type::Bool,
            serde_json::Value::Number(_) => Type::Number,
            serde_json::Value::String(_) => Type::String,
            serde_json::Value::Array(_) => Type::List,
            _ => continue,
        };
        schema = schema.context_key(key, ty);
    }
    let context = Context::from_json(
        &schema,
        &serde_json::Value::Object(context_json).to_string(),
    )
    .map_err(|e| format!("the context: {e}"))?;
    let rule =
        Rule::compile(expression, &schema).map_err(|d| d.render(expression, "<expression>", 0))?;
    let value = rule
        .evaluate(&profile, &context, now, models)
        .map_err(|e| e.to_string())?;
    Ok(Value::json_of(value.as_ref()))
}
