//! Checking catalogs and rules (diagnostics with places, lines and columns), and rules compiled
//! against an engine's catalog declarations and evaluated for a profile.

use std::ffi::{c_char, CStr, CString};

use shopkeeper::decide::{Catalog, Problem, Problems, Severity};
use shopkeeper::rules::{Context, Rule, Value};
use shopkeeper::score::Models;
use shopkeeper::Profile;

use shopkeeper::ErrorCode;

use crate::{
    c_string, ffi, handle, out, sk_buffer, sk_context, sk_engine, sk_error, sk_profile, sk_result,
    sk_timestamp, text, Failure,
};

/// How serious a diagnostic is.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sk_severity {
    /// The catalog or rule cannot be used.
    Error = 0,
    /// It can be used, but something in it can never take effect.
    Warning = 1,
}

/// One diagnostic, borrowed from its `sk_diagnostics` (strings NUL-terminated, valid until
/// `sk_diagnostics_free`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sk_diagnostic {
    /// Error or warning.
    pub severity: sk_severity,
    /// The stable code (`unknown_path`, `invalid_field`, `never_chosen`...).
    pub code: *const c_char,
    /// Where: `offers["free-shipping"].eligibility`, or `rule` for a rule.
    pub place: *const c_char,
    /// What is wrong.
    pub message: *const c_char,
    /// The compiler-style rendering, with the source line and a caret.
    pub rendered: *const c_char,
    /// 1-based line in the expression (or in the catalog for JSON errors); 0 when none.
    pub line: u32,
    /// 1-based column; 0 when none.
    pub column: u32,
}

struct Owned {
    severity: sk_severity,
    code: &'static CStr,
    place: CString,
    message: CString,
    rendered: CString,
    line: u32,
    column: u32,
}

/// The diagnostics of a check, in order. Free with `sk_diagnostics_free`.
pub struct sk_diagnostics {
    items: Vec<Owned>,
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl sk_diagnostics {
    /// The core's problems, as C reads them.
    fn of(problems: &[Problem]) -> *mut sk_diagnostics {
        let items = problems
            .iter()
            .map(|p| Owned {
                severity: match p.severity {
                    Severity::Error => sk_severity::Error,
                    _ => sk_severity::Warning,
                },
                code: p.code.as_c_str(),
                place: c_string(p.place()),
                message: c_string(p.message.clone()),
                rendered: c_string(p.render()),
                line: p.line.map_or(0, clamp),
                column: p.column.map_or(0, clamp),
            })
            .collect();
        Box::into_raw(Box::new(sk_diagnostics { items }))
    }
}

/// Checks a catalog (JSON) and writes every error and warning to `out_diagnostics` (empty when
/// the catalog is clean). Returns `SK_RESULT_OK` whenever the check ran, errors found or not.
///
/// # Safety
/// `catalog` is (pointer, length) UTF-8; `out_diagnostics` points to writable storage for a
/// pointer; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_catalog_check(
    catalog: *const c_char,
    catalog_len: usize,
    now: sk_timestamp,
    out_diagnostics: *mut *mut sk_diagnostics,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_diagnostics = out(out_diagnostics, "out_diagnostics")?;
        // SAFETY: the caller's contract.
        let catalog = unsafe { text(catalog, catalog_len, "catalog") }?;
        let problems = match Catalog::compile(catalog, now) {
            Ok(compiled) => compiled.warnings().to_vec(),
            Err(problems) => problems.0,
        };
        out_diagnostics.write(sk_diagnostics::of(&problems));
        Ok(())
    })
}

/// Checks one rule (`spec/rules.md`) against the engine's catalog declarations (attributes and
/// context keys) as an expression (`condition` false: any type) or a condition (`condition` true:
/// must be a boolean), and writes its diagnostics to `out_diagnostics` (empty when it compiles).
///
/// # Safety
/// `engine` is a live engine; `source` is (pointer, length) UTF-8; otherwise as
/// `sk_catalog_check`.
#[no_mangle]
pub unsafe extern "C" fn sk_rule_check(
    engine: *const sk_engine,
    source: *const c_char,
    source_len: usize,
    condition: bool,
    out_diagnostics: *mut *mut sk_diagnostics,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_diagnostics = out(out_diagnostics, "out_diagnostics")?;
        // SAFETY: the caller's contract.
        let engine = unsafe { handle(engine, "engine") }?;
        // SAFETY: the caller's contract.
        let source = unsafe { text(source, source_len, "source") }?;
        let problems = match Rule::new(source, engine.engine.catalog().schema(), condition) {
            Ok(_) => Vec::new(),
            Err(diagnostics) => Problems::of_rule(source, &diagnostics).0,
        };
        out_diagnostics.write(sk_diagnostics::of(&problems));
        Ok(())
    })
}

/// How many diagnostics there are.
///
/// # Safety
/// `diagnostics` is NULL (gives 0) or live.
#[no_mangle]
pub unsafe extern "C" fn sk_diagnostics_len(diagnostics: *const sk_diagnostics) -> usize {
    ffi!(or 0, {
        // SAFETY: the caller passes NULL or live diagnostics.
        unsafe { diagnostics.as_ref() }.map_or(0, |d| d.items.len())
    })
}

/// Writes diagnostic `index` (0-based) to `out_diagnostic`; `SK_RESULT_INVALID_REQUEST` when
/// `index` is not below `sk_diagnostics_len`.
///
/// # Safety
/// `diagnostics` is live; `out_diagnostic` points to a writable `sk_diagnostic`; `err` is NULL
/// or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_diagnostics_get(
    diagnostics: *const sk_diagnostics,
    index: usize,
    out_diagnostic: *mut sk_diagnostic,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_diagnostic = out(out_diagnostic, "out_diagnostic")?;
        // SAFETY: the caller's contract.
        let diagnostics = unsafe { handle(diagnostics, "diagnostics") }?;
        let d = diagnostics.items.get(index).ok_or_else(|| {
            Failure::new(
                ErrorCode::InvalidRequest,
                format!("diagnostic {index} of {}", diagnostics.items.len()),
            )
        })?;
        out_diagnostic.write(sk_diagnostic {
            severity: d.severity,
            code: d.code.as_ptr(),
            place: d.place.as_ptr(),
            message: d.message.as_ptr(),
            rendered: d.rendered.as_ptr(),
            line: d.line,
            column: d.column,
        });
        Ok(())
    })
}

/// Frees diagnostics. NULL does nothing.
///
/// # Safety
/// `diagnostics` is NULL or diagnostics from this library, not used again (nor the strings
/// borrowed from them).
#[no_mangle]
pub unsafe extern "C" fn sk_diagnostics_free(diagnostics: *mut sk_diagnostics) {
    ffi!(or(), {
        if !diagnostics.is_null() {
            // SAFETY: the caller gives back diagnostics this library boxed, once.
            drop(unsafe { Box::from_raw(diagnostics) });
        }
    })
}

/// A rule compiled against an engine's catalog declarations. Immutable: may be shared by
/// threads. Free with `sk_rule_free`.
pub struct sk_rule {
    rule: Rule,
}

/// Compiles an expression (`condition` false: any type) or a condition (`condition` true: must
/// be a boolean) against the engine's catalog declarations. On error: `SK_RESULT_INVALID_RULE`,
/// with the first problem's line and column and every problem rendered in the message.
///
/// # Safety
/// `engine` is a live engine; `source` is (pointer, length) UTF-8; `out_rule` points to writable
/// storage for a pointer; `err` is NULL or points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_rule_compile(
    engine: *const sk_engine,
    source: *const c_char,
    source_len: usize,
    condition: bool,
    out_rule: *mut *mut sk_rule,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_rule = out(out_rule, "out_rule")?;
        // SAFETY: the caller's contract.
        let engine = unsafe { handle(engine, "engine") }?;
        // SAFETY: the caller's contract.
        let source = unsafe { text(source, source_len, "source") }?;
        let rule = Rule::new(source, engine.engine.catalog().schema(), condition)
            .map_err(|d| d.to_error(source))?;
        out_rule.write(Box::into_raw(Box::new(sk_rule { rule })));
        Ok(())
    })
}

/// Frees a rule. NULL does nothing.
///
/// # Safety
/// `rule` is NULL or a rule from this library that no thread uses any more.
#[no_mangle]
pub unsafe extern "C" fn sk_rule_free(rule: *mut sk_rule) {
    ffi!(or(), {
        if !rule.is_null() {
            // SAFETY: the caller gives back a rule this library boxed, once.
            drop(unsafe { Box::from_raw(rule) });
        }
    })
}

/// Evaluates `rule` for `profile` in `context` (NULL: none) at `now`, with the engine's models
/// for score paths, and writes its value as JSON (`true`, `12.5`, `"gold"`, `["a","b"]`, or
/// `null` when missing) to `out_json`.
///
/// # Safety
/// `rule`, `engine` and `profile` are live; `context` is NULL or live and built for the same
/// catalog; `out_json` points to writable storage for a pointer; `err` is NULL or points to
/// writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn sk_rule_eval(
    rule: *const sk_rule,
    engine: *const sk_engine,
    profile: *const sk_profile,
    context: *const sk_context,
    now: sk_timestamp,
    out_json: *mut *mut sk_buffer,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_json = out(out_json, "out_json")?;
        // SAFETY: the caller's contract.
        let value = unsafe {
            with_handles(rule, engine, profile, context, |r, m, p, c| {
                r.evaluate(p, c, now, m)
            })
        }?;
        let json = Value::json_of(value.as_ref());
        out_json.write(sk_buffer::new(json.into_bytes()));
        Ok(())
    })
}

/// Whether the condition `rule` holds for `profile` in `context` (NULL: none) at `now` (a
/// missing value does not hold).
///
/// # Safety
/// As `sk_rule_eval`; `out_matches` points to a writable bool.
#[no_mangle]
pub unsafe extern "C" fn sk_rule_matches(
    rule: *const sk_rule,
    engine: *const sk_engine,
    profile: *const sk_profile,
    context: *const sk_context,
    now: sk_timestamp,
    out_matches: *mut bool,
    err: *mut *mut sk_error,
) -> sk_result {
    ffi!(err, {
        let out_matches = out(out_matches, "out_matches")?;
        // SAFETY: the caller's contract.
        let matches = unsafe {
            with_handles(rule, engine, profile, context, |r, m, p, c| {
                r.holds(p, c, now, m)
            })
        }?;
        out_matches.write(matches);
        Ok(())
    })
}

/// Runs `f` with the rule and the live handles: the rule, the engine's models, the profile and
/// the context (an empty one for NULL).
///
/// # Safety
/// As `sk_rule_eval`.
unsafe fn with_handles<T>(
    rule: *const sk_rule,
    engine: *const sk_engine,
    profile: *const sk_profile,
    context: *const sk_context,
    f: impl FnOnce(&Rule, &Models, &Profile, &Context) -> Result<T, shopkeeper::Error>,
) -> Result<T, Failure> {
    // SAFETY: the caller's contract.
    let (rule, engine, profile) = unsafe {
        (
            &handle(rule, "rule")?.rule,
            &handle(engine, "engine")?.engine,
            &handle(profile, "profile")?.profile,
        )
    };
    // SAFETY: the caller's contract.
    let context = unsafe { context.as_ref() };
    let mut empty = None;
    let context = sk_context::or_empty(context, rule.schema(), &mut empty);
    Ok(f(rule, engine.models(), profile, context)?)
}
