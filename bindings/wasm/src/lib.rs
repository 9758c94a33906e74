//! The WASM binding of Shopkeeper: the npm package `shopkeeper-wasm` (built by `cargo xtask wasm`).
//!
//! It only translates. JS values come in as plain objects (read through the core's own JSON
//! readers, so every binding accepts the same documented shapes) and go out as plain objects
//! (the core's JSON, parsed once by `JSON.parse`). Every failure is thrown as an `Error` with the
//! `code` of the C API (`sk_result_name`) and, for rules and catalogs, `line` and `column`.
//! Objects with a documented JSON form (events, catalogs, exports, receipts, scores) keep its
//! snake_case field names; everything this binding adds is camelCase.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use js_sys::{Error as JsError, Reflect, JSON};
use shopkeeper::ErrorCode;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

mod budgets;
mod check;
mod engine;
mod fleet;
mod learner;
mod live;
mod profile;

pub use budgets::Budgets;
pub use check::{check_catalog, Rule};
pub use engine::Engine;
pub use fleet::Fleet;
pub use learner::{control_bucket, ipw, sample_beta, snipw, Learner};
pub use live::{Cohorts, Kpis, Mark};
pub use profile::Profile;

/// The TypeScript shapes of the plain objects the API takes and returns.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// A failure on its way to JS: the C API's code name, a message, and where in the input.
#[derive(Debug)]
pub struct Failure {
    code: ErrorCode,
    message: String,
    location: Option<(u32, u32)>,
    /// Every problem of a catalog that does not compile.
    diagnostics: Option<JsValue>,
}

impl Failure {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            location: None,
            diagnostics: None,
        }
    }

    /// A bad argument: the C API's `invalid_request`.
    pub(crate) fn request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    pub(crate) fn at(mut self, location: Option<(u32, u32)>) -> Self {
        self.location = location;
        self
    }

    pub(crate) fn with_diagnostics(mut self, diagnostics: JsValue) -> Self {
        self.diagnostics = Some(diagnostics);
        self
    }
}

impl From<shopkeeper::Error> for Failure {
    fn from(e: shopkeeper::Error) -> Self {
        Failure::new(e.code(), e.message()).at(e.location())
    }
}

impl From<Failure> for JsValue {
    /// `new Error(message)` with `code`, and `line` and `column` when known.
    fn from(f: Failure) -> Self {
        let error = JsError::new(&f.message);
        set(&error, "code", &f.code.as_str().into());
        if let Some((line, column)) = f.location {
            set(&error, "line", &line.into());
            set(&error, "column", &column.into());
        }
        if let Some(diagnostics) = &f.diagnostics {
            set(&error, "diagnostics", diagnostics);
        }
        error.into()
    }
}

/// What every exported function returns: its value, or a `Failure` JS receives as a thrown `Error`.
pub type Result<T, E = Failure> = core::result::Result<T, E>;

/// Sets `key` on a JS object this binding just created (cannot fail: it is a plain extensible
/// object).
pub(crate) fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &key.into(), value);
}

/// The JSON text of an argument: a string as it is, anything else through `JSON.stringify`.
pub(crate) fn json_text(value: &JsValue, what: &str) -> Result<String> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.is_undefined() {
        return Err(Failure::request(format!("{what} is missing")));
    }
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| {
            Failure::new(
                ErrorCode::InvalidJson,
                format!("{what} cannot be written as JSON (a BigInt, a cycle, or a function)"),
            )
        })
}

/// Core JSON text handed to JS as a plain object.
pub(crate) fn parsed(json: &str) -> Result<JsValue> {
    JSON::parse(json).map_err(|_| {
        Failure::new(
            ErrorCode::Internal,
            "the binding wrote JSON that does not parse",
        )
    })
}

/// A JS value as JSON text an object of this binding serializes into `parsed`.
pub(crate) fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?;
    parsed(&text)
}

/// Reads an optional field of a plain options object (`undefined` and `null` when absent).
pub(crate) fn field(options: &JsValue, key: &str) -> JsValue {
    if options.is_object() {
        Reflect::get(options, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// An optional number field of a plain object (`undefined` and `null` mean absent).
pub(crate) fn number_field(object: &JsValue, key: &str) -> Result<Option<f64>> {
    match field(object, key) {
        v if v.is_undefined() || v.is_null() => Ok(None),
        v => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| Failure::request(format!("{key} must be a number"))),
    }
}

/// A time in whole seconds since the epoch (`now`, `at`). Absent means the current time (the
/// binding, not the core, reads the clock).
pub(crate) fn seconds(value: Option<f64>, what: &str) -> Result<i64> {
    match value {
        Some(n) => whole(n, what),
        None => Ok((js_sys::Date::now() / 1000.0).floor() as i64),
    }
}

/// A whole number a JS number holds exactly (at most 2^53 in magnitude).
pub(crate) fn whole(n: f64, what: &str) -> Result<i64> {
    if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 {
        Ok(n as i64)
    } else {
        Err(Failure::request(format!(
            "{what} must be a whole number (seconds, not milliseconds with a fraction), not {n}"
        )))
    }
}

/// A BigInt seed as its decimal digits (what the core's readers take for the full 64 bits).
pub(crate) fn seed_text(value: &JsValue) -> Result<String> {
    u64::try_from(value.clone().unchecked_into::<js_sys::BigInt>())
        .map(|n| n.to_string())
        .map_err(|_| Failure::request("seed must be a BigInt from 0 to 2^64 - 1"))
}

/// A seed: a non-negative safe integer, or a BigInt for the full 64 bits. Absent means 0.
pub(crate) fn seed(value: &JsValue) -> Result<u64> {
    if value.is_undefined() || value.is_null() {
        return Ok(0);
    }
    whole_u64(value, "seed")
}

/// A non-negative safe integer, or a BigInt for the full 64 bits (`name` for errors).
pub(crate) fn whole_u64(value: &JsValue, name: &str) -> Result<u64> {
    if value.is_bigint() {
        return u64::try_from(value.clone().unchecked_into::<js_sys::BigInt>())
            .map_err(|_| Failure::request(format!("{name} must be a BigInt from 0 to 2^64 - 1")));
    }
    let n = value
        .as_f64()
        .ok_or_else(|| Failure::request(format!("{name} must be a number or a BigInt")))?;
    u64::try_from(whole(n, name)?)
        .map_err(|_| Failure::request(format!("{name} must not be negative")))
}

// The TypeScript names of the plain objects the API takes (declared in `types.d.ts`), so that
// the generated declarations carry real types and optional arguments stay optional.
#[wasm_bindgen]
extern "C" {
    /// `CatalogSource | string`.
    #[wasm_bindgen(typescript_type = "CatalogSource | string")]
    pub type CatalogArg;
    /// `EngineOptions`.
    #[wasm_bindgen(typescript_type = "EngineOptions")]
    pub type EngineOptions;
    /// `DecisionRequest`.
    #[wasm_bindgen(typescript_type = "DecisionRequest")]
    pub type DecisionRequest;
    /// `ShopEvent | string`.
    #[wasm_bindgen(typescript_type = "ShopEvent | string")]
    pub type EventArg;
    /// `ProfileExport | string`.
    #[wasm_bindgen(typescript_type = "ProfileExport | string")]
    pub type ExportArg;
    /// `RuleOptions`.
    #[wasm_bindgen(typescript_type = "RuleOptions")]
    pub type RuleOptions;
    /// `RuleInput`.
    #[wasm_bindgen(typescript_type = "RuleInput")]
    pub type RuleInput;
    /// `Logged[]`.
    #[wasm_bindgen(typescript_type = "Logged[]")]
    pub type LoggedArg;
    /// `string[]`.
    #[wasm_bindgen(typescript_type = "string[]")]
    pub type StringList;
    /// `number | bigint`.
    #[wasm_bindgen(typescript_type = "number | bigint")]
    pub type SeedArg;
}

/// The message of the latest panic, kept by the panic hook for the JS wrapper: a panic aborts
/// (a `WebAssembly.RuntimeError`), which the wrapper turns into an `Error` with code `panic`
/// and this message before it re-instantiates the module.
static PANIC: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// Runs once when the module is instantiated: installs the panic hook.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = PANIC.lock() {
            *last = info.to_string();
        }
    }));
}

/// The latest panic's message (empty if none), for the JS wrapper.
#[wasm_bindgen(js_name = "__takePanic", skip_typescript)]
pub fn take_panic() -> String {
    PANIC
        .lock()
        .map(|mut m| core::mem::take(&mut *m))
        .unwrap_or_default()
}

/// Panics: the package's tests check that a panic becomes an `Error` with code `panic` and that
/// the package keeps working. Not part of the API.
#[wasm_bindgen(js_name = "__panicForTests", skip_typescript)]
#[allow(clippy::panic)]
pub fn panic_for_tests() {
    panic!("a panic the tests asked for");
}

/// The version of the package (the workspace's).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]
    use shopkeeper::decide::ProblemCode;
    use shopkeeper::ErrorCode;

    /// The names of the TypeScript union `export type NAME = | "a" | "b" ...;` in `types.d.ts`.
    fn union(name: &str) -> Vec<String> {
        const TYPES: &str = include_str!("types.d.ts");
        let start = TYPES
            .find(&format!("export type {name} ="))
            .unwrap_or_else(|| panic!("types.d.ts has no union {name}"));
        let body = &TYPES[start..];
        let body = &body[..body.find(';').unwrap_or(body.len())];
        body.split('"')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect()
    }

    /// The TypeScript unions hold exactly the core's codes, in the core's order: a code added to
    /// the core's table fails here until `types.d.ts` names it.
    #[test]
    fn the_typescript_unions_are_the_cores_tables() {
        let errors: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(union("ErrorCode"), errors);
        let problems: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(union("ProblemCode"), problems);
    }
}
