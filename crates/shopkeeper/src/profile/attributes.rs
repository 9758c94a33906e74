//! Typed custom attributes (loyalty tier, preferred store, birthday month...).

use alloc::format;
use alloc::string::String;
use core::cmp::Ordering;
use serde::{Deserialize, Serialize};

use super::check;
use super::identity::decode;
use crate::limits::{MAX_ATTRIBUTES, MAX_NAME_LEN, MAX_TEXT_LEN};
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

impl Attribute {
    /// Last writer wins; at the same second, a fixed order of values decides, so merges do not
    /// depend on their order.
    fn supersedes(&self, other: &Attribute) -> bool {
        self.at
            .cmp(&other.at)
            .then_with(|| cmp_values(&self.value, &other.value))
            == Ordering::Greater
    }
}

/// Custom attributes by name.
pub type Attributes = BoundedMap<String, Attribute, MAX_ATTRIBUTES>;

/// Checks an attribute set against the held attributes: name and value, the held type, the cap.
pub(crate) fn check_set(
    attrs: &Attributes,
    name: &str,
    value: Option<&AttrValue>,
) -> Result<(), Error> {
    check::id("attribute name", name, MAX_NAME_LEN)?;
    if let Some(value) = value {
        check_value(name, value)?;
    }
    match (attrs.get(name), value) {
        (Some(held), Some(value)) => {
            if let Some(held) = &held.value {
                if core::mem::discriminant(held) != core::mem::discriminant(value) {
                    return Err(Error::new(
                        ErrorCode::AttributeType,
                        format!(
                            "attribute {name:?} holds a {}, cannot set a {} (set null first to change its type)",
                            held.type_name(),
                            value.type_name()
                        ),
                    ));
                }
            }
            Ok(())
        }
        (None, _) if attrs.len() >= MAX_ATTRIBUTES => Err(Error::new(
            ErrorCode::LimitExceeded,
            format!("the profile already has {MAX_ATTRIBUTES} attributes, cannot add {name:?}"),
        )),
        _ => Ok(()),
    }
}

fn check_value(name: &str, value: &AttrValue) -> Result<(), Error> {
    match value {
        AttrValue::Bool(_) => Ok(()),
        AttrValue::Number(n) => check::finite(&format!("attribute {name:?}"), *n),
        AttrValue::Text(text) => check::text(&format!("attribute {name:?}"), text, MAX_TEXT_LEN),
        AttrValue::List(items) => items.iter().try_for_each(|item| {
            check::id(&format!("attribute {name:?} item"), item, MAX_NAME_LEN)
        }),
    }
}

/// Sets or removes an attribute unless a later write is held; false when superseded.
pub(crate) fn set(
    attrs: &mut Attributes,
    name: &str,
    value: Option<&AttrValue>,
    at: Timestamp,
) -> bool {
    let new = Attribute {
        at,
        value: value.cloned(),
    };
    match attrs.map_mut().get_mut(name) {
        Some(held) if !new.supersedes(held) => false,
        Some(held) => {
            *held = new;
            true
        }
        None => {
            attrs.map_mut().insert(name.into(), new);
            true
        }
    }
}

/// Merges per name by last writer wins; past the cap the least recently set go.
pub(crate) fn merge(attrs: &mut Attributes, other: &Attributes) {
    for (name, theirs) in other.iter() {
        let map = attrs.map_mut();
        match map.get_mut(name) {
            Some(mine) if !theirs.supersedes(mine) => {}
            Some(mine) => *mine = theirs.clone(),
            None => {
                map.insert(name.clone(), theirs.clone());
            }
        }
    }
    attrs.evict_to_cap(|name, attr| (attr.at, name.clone()));
}

pub(crate) fn check_invariants(attrs: &Attributes) -> Result<(), Error> {
    for (name, attr) in attrs.iter() {
        check::id("attribute name", name, MAX_NAME_LEN).map_err(decode)?;
        check::timestamp("attribute time", attr.at).map_err(decode)?;
        if let Some(value) = &attr.value {
            check_value(name, value).map_err(decode)?;
        }
    }
    Ok(())
}

/// A total order on values: removed < bool < number < string < list; numbers by `total_cmp`.
fn cmp_values(a: &Option<AttrValue>, b: &Option<AttrValue>) -> Ordering {
    fn rank(v: &Option<AttrValue>) -> u8 {
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
