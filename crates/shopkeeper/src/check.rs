//! Field checks shared by event validation and by the invariants checked after decoding, so an
//! event and a decoded profile are held to one standard.

use alloc::format;

use crate::limits::{MAX_AMOUNT, MAX_NAME_LEN, MAX_QUANTITY, MAX_TEXT_LEN, MAX_TIMESTAMP};
use crate::{AttrValue, Error, ErrorCode, Money, Timestamp};

/// An input text (JSON of an event, a context, a request...) of at most `max` bytes, checked
/// before it is parsed: longer is `too_long`, and nothing is read.
pub(crate) fn input_len(what: &str, text: &str, max: usize) -> Result<(), Error> {
    if text.len() > max {
        return Err(Error::new(
            ErrorCode::TooLong,
            alloc::format!("{what} is {} bytes of JSON, at most {max}", text.len()),
        ));
    }
    Ok(())
}

/// A non-empty string of at most `max` bytes.
pub(crate) fn id(field: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::new(
            ErrorCode::EmptyId,
            format!("{field} must not be empty"),
        ));
    }
    text(field, value, max)
}

/// A string of at most `max` bytes (may be empty).
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.len() > max {
        return Err(Error::new(
            ErrorCode::TooLong,
            format!(
                "{field} is {} bytes long, at most {max} allowed",
                value.len()
            ),
        ));
    }
    Ok(())
}

/// An optional string of at most `max` bytes; if present, not empty.
pub(crate) fn optional_id(field: &str, value: Option<&str>, max: usize) -> Result<(), Error> {
    value.map_or(Ok(()), |v| id(field, v, max))
}

/// A price or total: 0 ..= [`MAX_AMOUNT`].
pub(crate) fn amount(field: &str, value: Money) -> Result<(), Error> {
    if value < 0 {
        return Err(Error::new(
            ErrorCode::NegativeAmount,
            format!("{field} must not be negative (got {value})"),
        ));
    }
    if value > MAX_AMOUNT {
        return Err(Error::new(
            ErrorCode::AmountTooLarge,
            format!("{field} is {value}, at most {MAX_AMOUNT} minor units allowed"),
        ));
    }
    Ok(())
}

/// A quantity: 1 ..= [`MAX_QUANTITY`].
pub(crate) fn quantity(field: &str, value: u32) -> Result<(), Error> {
    if value == 0 || value > MAX_QUANTITY {
        return Err(Error::new(
            ErrorCode::InvalidQuantity,
            format!("{field} must be between 1 and {MAX_QUANTITY} (got {value})"),
        ));
    }
    Ok(())
}

/// A timestamp: 0 ..= [`MAX_TIMESTAMP`] (seconds, not milliseconds).
pub(crate) fn timestamp(field: &str, value: Timestamp) -> Result<(), Error> {
    if !(0..=MAX_TIMESTAMP).contains(&value) {
        return Err(Error::new(
            ErrorCode::TimestampOutOfRange,
            format!(
                "{field} is {value}, outside 0..={MAX_TIMESTAMP} (seconds since 1970; milliseconds?)"
            ),
        ));
    }
    Ok(())
}

/// An optional timestamp.
pub(crate) fn optional_timestamp(field: &str, value: Option<Timestamp>) -> Result<(), Error> {
    value.map_or(Ok(()), |v| timestamp(field, v))
}

/// A finite number.
pub(crate) fn finite(field: &str, value: f64) -> Result<(), Error> {
    if !value.is_finite() {
        return Err(Error::new(
            ErrorCode::InvalidNumber,
            format!("{field} must be a finite number (got {value})"),
        ));
    }
    Ok(())
}

/// A condition that decoding requires.
pub(crate) fn invariant(holds: bool, what: &str) -> Result<(), Error> {
    if holds {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::DecodeInvalid,
            format!("invariant broken: {what}"),
        ))
    }
}

/// A custom attribute value: a finite number, text within [`MAX_TEXT_LEN`], list items non-empty
/// names (the item count is capped by the type).
pub(crate) fn attr_value(value: &AttrValue) -> Result<(), Error> {
    match value {
        AttrValue::Bool(_) => Ok(()),
        AttrValue::Number(n) => finite("value", *n),
        AttrValue::Text(t) => text("value", t, MAX_TEXT_LEN),
        AttrValue::List(items) => items
            .iter()
            .try_for_each(|item| id("list item", item, MAX_NAME_LEN)),
    }
}
