//! Typed custom attributes (loyalty tier, preferred store, interests...).

use alloc::format;
use alloc::string::String;
use core::cmp::Ordering;
use serde::{Deserialize, Serialize};

use super::identity::decode;
use super::IgnoreReason;
use crate::check;
use crate::limits::{MAX_ATTRIBUTES, MAX_NAME_LEN};
use crate::{AttrValue, BoundedMap, Error, ErrorCode, Timestamp};

/// An attribute's latest value (`None`: removed) and when it was set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Attribute {
    /// When it was set or removed.
    pub at: Timestamp,
    /// The value; `None` once removed (kept so a late, older set does not bring it back).
    pub value: Option<AttrValue>,
}

/// Whether a write of `value` at `at` replaces `held`: last writer wins; at the same second a fixed
/// order of values decides, so merges do not depend on their order.
fn wins(at: Timestamp, value: Option<&AttrValue>, held: &Attribute) -> bool {
    at.cmp(&held.at)
        .then_with(|| cmp_values(value, held.value.as_ref()))
        == Ordering::Greater
}

/// Custom attributes by name.
pub type Attributes = BoundedMap<String, Attribute, MAX_ATTRIBUTES>;

/// Classifies a (well-formed) attribute write against the held attributes: superseded by a later
/// write, of another type than held, or beyond the cap.
///
/// At the cap, a new name takes the place of the oldest removed attribute; if every slot holds a
/// value, a new value is rejected and a removal is ignored ([`IgnoreReason::NotHeld`]).
pub(crate) fn classify_set(
    attrs: &Attributes,
    name: &str,
    value: Option<&AttrValue>,
    at: Timestamp,
) -> Result<Option<IgnoreReason>, Error> {
    match attrs.get(name) {
        Some(held) if !wins(at, value, held) => Ok(Some(IgnoreReason::Superseded)),
        Some(held) => match (&held.value, value) {
            (Some(held), Some(value))
                if core::mem::discriminant(held) != core::mem::discriminant(value) =>
            {
                Err(Error::new(
                    ErrorCode::AttributeType,
                    format!(
                        "attribute {name:?} holds a {}, cannot set a {} (set null first to change its type)",
                        held.type_name(),
                        value.type_name()
                    ),
                ))
            }
            _ => Ok(None),
        },
        None if attrs.len() < MAX_ATTRIBUTES || attrs.values().any(|a| a.value.is_none()) => Ok(None),
        None if value.is_none() => Ok(Some(IgnoreReason::NotHeld)),
        None => Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("the profile already holds {MAX_ATTRIBUTES} attributes, cannot add {name:?}"),
        )),
    }
}

/// Sets or removes an attribute (classified by [`classify_set`] first).
pub(crate) fn set(attrs: &mut Attributes, name: &str, value: Option<&AttrValue>, at: Timestamp) {
    let new = Attribute {
        at,
        value: value.cloned(),
    };
    attrs.map_mut().insert(name.into(), new);
    evict(attrs);
}

/// Merges per name by last writer wins.
pub(crate) fn merge(attrs: &mut Attributes, other: &Attributes) {
    for (name, theirs) in other.iter() {
        let map = attrs.map_mut();
        match map.get_mut(name) {
            Some(mine) if !wins(theirs.at, theirs.value.as_ref(), mine) => {}
            Some(mine) => *mine = theirs.clone(),
            None => {
                map.insert(name.clone(), theirs.clone());
            }
        }
    }
    evict(attrs);
}

/// Past the cap, removed attributes go first, oldest first; then the least recently set values.
fn evict(attrs: &mut Attributes) {
    attrs.evict_to_cap(|name, attr| (attr.value.is_some(), attr.at, name.clone()));
}

pub(crate) fn check_invariants(attrs: &Attributes) -> Result<(), Error> {
    for (name, attr) in attrs.iter() {
        check::id("attribute name", name, MAX_NAME_LEN).map_err(decode)?;
        check::timestamp("attribute time", attr.at).map_err(decode)?;
        if let Some(value) = &attr.value {
            check::attr_value(value)
                .map_err(|e| decode(e.within(format_args!("attribute {name:?}"))))?;
        }
    }
    Ok(())
}

/// A total order on values: removed < bool < number < string < list; numbers by `total_cmp`.
fn cmp_values(a: Option<&AttrValue>, b: Option<&AttrValue>) -> Ordering {
    fn rank(v: Option<&AttrValue>) -> u8 {
        match v {
            None => 0,
            Some(AttrValue::Bool(_)) => 1,
            Some(AttrValue::Number(_)) => 2,
            Some(AttrValue::Text(_)) => 3,
            Some(AttrValue::List(_)) => 4,
        }
    }
    match (a, b) {
        (Some(AttrValue::Bool(x)), Some(AttrValue::Bool(y))) => x.cmp(y),
        (Some(AttrValue::Number(x)), Some(AttrValue::Number(y))) => x.total_cmp(y),
        (Some(AttrValue::Text(x)), Some(AttrValue::Text(y))) => x.cmp(y),
        (Some(AttrValue::List(x)), Some(AttrValue::List(y))) => x[..].cmp(&y[..]),
        _ => rank(a).cmp(&rank(b)),
    }
}
