//! The request context (page type, device, campaign...): values of the keys a catalog declares,
//! checked against the schema they were built for; and [`Value`], a context value or a rule's
//! result.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::schema::{Schema, Type};
use crate::{Error, ErrorCode};

/// A value of the request context, or the result of evaluating a rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// A number; timestamps and durations are numbers of seconds.
    Number(f64),
    /// Text.
    String(String),
    /// A list of strings.
    List(Vec<String>),
}

impl Value {
    /// The value as JSON: `true`, `12.5`, `2`, `"gold"`, `["a","b"]`. A number between 1e-7 and
    /// 1e21 (in magnitude) is written as JavaScript's `JSON.stringify` writes it: plain decimals,
    /// the shortest that reads back the same, no fraction for a whole number; smaller and larger
    /// ones in exponent form (`1e21`, where JavaScript writes `1e+21`). A number that is not
    /// finite, which rules never produce, is `null`. Every binding and the command line hand rule
    /// results over in this one form.
    pub fn to_json(&self) -> String {
        let json = match self {
            Value::Number(n) if *n == 0.0 => return "0".into(),
            Value::Number(n) if (1e-7..1e21).contains(&n.abs()) => return alloc::format!("{n}"),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Number::from_f64(*n)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => serde_json::Value::Array(
                items
                    .iter()
                    .cloned()
                    .map(serde_json::Value::String)
                    .collect(),
            ),
        };
        alloc::string::ToString::to_string(&json)
    }

    /// A rule's result as JSON: the value's [`to_json`](Value::to_json), or `null` when missing.
    pub fn json_of(value: Option<&Value>) -> String {
        value.map_or_else(|| "null".into(), Value::to_json)
    }
}

/// Longest string in a request context, in bytes (a URL or a search query fits).
pub const MAX_CONTEXT_TEXT: usize = 4 * 1024;
/// Most items in a request-context list. Context values are bounded like everything else a rule
/// reads, so no input makes an evaluation slow (`len` and `contains` scan their lists and strings).
pub const MAX_CONTEXT_ITEMS: usize = 256;

/// Longest request context as JSON text ([`Context::from_json`]), in bytes; checked before it is
/// parsed.
pub const MAX_CONTEXT_JSON_LEN: usize = 256 * 1024;

/// The request context: values of the keys the schema declares, by slot, and the fingerprint of
/// that schema (a context is read only against the schema it was built for).
#[derive(Clone, Debug, PartialEq)]
pub struct Context {
    values: Vec<Option<Value>>,
    fingerprint: u64,
}

impl Context {
    /// An empty context for `schema` (every key missing).
    pub fn new(schema: &Schema) -> Self {
        Context {
            values: alloc::vec![None; schema.context_keys().len()],
            fingerprint: schema.fingerprint(),
        }
    }

    /// The error for a context used with a schema it was not built for.
    pub(crate) fn foreign() -> Error {
        Error::new(
            ErrorCode::InvalidContext,
            "the context was built for another catalog's schema: build it with Context::new(engine.catalog().schema())",
        )
    }

    /// Sets a declared key; fails for an undeclared key or a value of another type.
    pub fn set(&mut self, schema: &Schema, key: &str, value: Value) -> Result<(), Error> {
        if !self.fits(schema) {
            return Err(Self::foreign());
        }
        let Some((slot, (_, declared))) = schema
            .context_keys()
            .enumerate()
            .find(|(_, (k, _))| *k == key)
        else {
            return Err(Error::new(
                ErrorCode::InvalidContext,
                alloc::format!("context key {key:?} is not declared"),
            ));
        };
        let fits = matches!(
            (&value, declared),
            (Value::Bool(_), Type::Bool)
                | (
                    Value::Number(_),
                    Type::Number | Type::Timestamp | Type::Duration
                )
                | (Value::String(_), Type::String)
                | (Value::List(_), Type::List)
        );
        if !fits || matches!(value, Value::Number(n) if !n.is_finite()) {
            return Err(Error::new(
                ErrorCode::InvalidContext,
                alloc::format!("context key {key:?} is declared {declared}, got {value:?}"),
            ));
        }
        let too_long = match &value {
            Value::String(s) => s.len() > MAX_CONTEXT_TEXT,
            Value::List(items) => {
                items.len() > MAX_CONTEXT_ITEMS || items.iter().any(|i| i.len() > MAX_CONTEXT_TEXT)
            }
            _ => false,
        };
        if too_long {
            return Err(Error::new(
                ErrorCode::InvalidContext,
                alloc::format!(
                    "context key {key:?}: strings hold at most {MAX_CONTEXT_TEXT} bytes, lists {MAX_CONTEXT_ITEMS} items"
                ),
            ));
        }
        if let Some(place) = self.values.get_mut(slot) {
            *place = Some(value);
        }
        Ok(())
    }

    /// Reads `{"key": value, ...}` JSON (at most [`MAX_CONTEXT_JSON_LEN`] bytes: longer text is
    /// `too_long`) against the schema; `null` values are missing.
    pub fn from_json(schema: &Schema, json: &str) -> Result<Self, Error> {
        crate::check::input_len("a request context", json, MAX_CONTEXT_JSON_LEN)?;
        let map: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(json).map_err(crate::event::json_error)?;
        let mut context = Context::new(schema);
        for (key, value) in map {
            let value = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::Bool(b) => Value::Bool(b),
                serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
                serde_json::Value::String(s) => Value::String(s),
                serde_json::Value::Array(items) => Value::List(
                    items
                        .into_iter()
                        .map(|i| match i {
                            serde_json::Value::String(s) => Ok(s),
                            _ => Err(Error::new(
                                ErrorCode::InvalidContext,
                                alloc::format!("context key {key:?}: lists hold strings"),
                            )),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                serde_json::Value::Object(_) => {
                    return Err(Error::new(
                        ErrorCode::InvalidContext,
                        alloc::format!("context key {key:?}: objects are not values"),
                    ))
                }
            };
            context.set(schema, &key, value)?;
        }
        Ok(context)
    }

    /// The context as JSON, `{"key": value, ...}` in declaration order without the missing keys:
    /// what [`Context::from_json`] reads back (decision logs keep it).
    pub fn to_json(&self, schema: &Schema) -> Result<String, Error> {
        if !self.fits(schema) {
            return Err(Self::foreign());
        }
        let mut out = String::from("{");
        for ((key, _), value) in schema.context_keys().zip(&self.values) {
            let Some(value) = value else { continue };
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(&alloc::string::ToString::to_string(
                &serde_json::Value::String(key.into()),
            ));
            out.push(':');
            out.push_str(&value.to_json());
        }
        out.push('}');
        Ok(out)
    }

    /// Whether this context was built for `schema` (same fingerprint).
    pub fn fits(&self, schema: &Schema) -> bool {
        self.fingerprint == schema.fingerprint()
    }

    pub(crate) fn get(&self, slot: usize) -> Option<&Value> {
        self.values.get(slot).and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::Value;

    /// Numbers as `JSON.stringify` writes them in its plain range (values checked in Node 20).
    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        let json = |n: f64| Value::Number(n).to_json();
        assert_eq!(json(2.0), "2");
        assert_eq!(json(-0.0), "0");
        assert_eq!(json(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(json(1e-6), "0.000001");
        assert_eq!(json(1.5e17), "150000000000000000");
        assert_eq!(json(9_007_199_254_740_992.0), "9007199254740992");
        assert_eq!(json(-12.5), "-12.5");
        assert_eq!(json(f64::NAN), "null");
        // Outside the plain range, exponent form (JSON.stringify: 1e+21, 1e-7).
        let big: f64 = serde_json::from_str(&json(1e21)).unwrap();
        assert_eq!(big, 1e21);
        let small: f64 = serde_json::from_str(&json(1e-8)).unwrap();
        assert_eq!(small, 1e-8);
    }
}
