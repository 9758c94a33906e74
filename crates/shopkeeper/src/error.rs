//! One error type for the whole core, with stable codes that every binding shares.

use alloc::string::String;
use core::fmt;

/// What went wrong, as a stable code.
///
/// The numbers are part of the public contract: the C binding returns them as `sk_result`, the WASM
/// binding puts the name in `error.code`, and the conformance vectors name them. A number is never
/// reused; 0-9 are reserved for the bindings (OK, NULL_PARAMETER, INVALID_UTF8, PANIC, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u32)]
pub enum ErrorCode {
    /// The text is not valid JSON, or not of the documented shape.
    InvalidJson = 10,
    /// A required id or name is empty.
    EmptyId = 11,
    /// A string is longer than its cap in [`limits`](crate::limits).
    TooLong = 12,
    /// A price or total is negative.
    NegativeAmount = 13,
    /// A price or total is larger than [`MAX_AMOUNT`](crate::limits::MAX_AMOUNT).
    AmountTooLarge = 14,
    /// A quantity is 0 or larger than [`MAX_QUANTITY`](crate::limits::MAX_QUANTITY).
    InvalidQuantity = 15,
    /// A timestamp is negative or after [`MAX_TIMESTAMP`](crate::limits::MAX_TIMESTAMP).
    TimestampOutOfRange = 16,
    /// An event is stamped after `now` plus [`MAX_CLOCK_SKEW`](crate::limits::MAX_CLOCK_SKEW).
    FutureTimestamp = 17,
    /// An attribute is set with a different type than it holds.
    AttributeType = 18,
    /// A collection that must not lose data is full (cart lines, attributes, purchase lines).
    LimitExceeded = 19,
    /// Two different known customers would become one (identify or merge).
    IdentityConflict = 20,
    /// A number is NaN or infinite.
    InvalidNumber = 21,
    /// A request-context key is not declared, or its value has another type than declared.
    InvalidContext = 22,
    /// A rule does not compile; the diagnostics say where and why.
    InvalidRule = 40,
    /// A model is invalid: a parameter negative, zero or not finite, breakpoints out of order,
    /// impossible counts, a propensity feature that is not a number.
    InvalidModel = 50,
    /// Data to fit a model on is unusable: empty, a negative or non-finite amount, an impossible
    /// summary.
    InvalidData = 51,
    /// A fit did not converge, or converged to a degenerate point.
    FitFailed = 52,
    /// A catalog that does not compile (the message lists every error), or that names a
    /// propensity model the models lack.
    InvalidCatalog = 60,
    /// A decision request out of range (slots, time).
    InvalidRequest = 61,
    /// Input bytes are longer than the decoder accepts.
    DecodeTooLarge = 30,
    /// Input bytes do not start with the expected magic: not a Shopkeeper encoding.
    DecodeBadMagic = 31,
    /// Input bytes carry a schema version this build does not read.
    DecodeUnsupportedVersion = 32,
    /// Input bytes are truncated or malformed.
    DecodeMalformed = 33,
    /// Input bytes continue after the encoded value.
    DecodeTrailingBytes = 34,
    /// Input bytes decode, but to a value that breaks an invariant (a cap, an empty id...).
    DecodeInvalid = 35,
    /// A bug in Shopkeeper: please report it.
    Internal = 99,
}

impl ErrorCode {
    /// The stable snake_case name, as used by the WASM binding and the conformance vectors.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::EmptyId => "empty_id",
            Self::TooLong => "too_long",
            Self::NegativeAmount => "negative_amount",
            Self::AmountTooLarge => "amount_too_large",
            Self::InvalidQuantity => "invalid_quantity",
            Self::TimestampOutOfRange => "timestamp_out_of_range",
            Self::FutureTimestamp => "future_timestamp",
            Self::AttributeType => "attribute_type",
            Self::LimitExceeded => "limit_exceeded",
            Self::IdentityConflict => "identity_conflict",
            Self::InvalidNumber => "invalid_number",
            Self::InvalidContext => "invalid_context",
            Self::InvalidRule => "invalid_rule",
            Self::InvalidModel => "invalid_model",
            Self::InvalidData => "invalid_data",
            Self::FitFailed => "fit_failed",
            Self::InvalidCatalog => "invalid_catalog",
            Self::InvalidRequest => "invalid_request",
            Self::DecodeTooLarge => "decode_too_large",
            Self::DecodeBadMagic => "decode_bad_magic",
            Self::DecodeUnsupportedVersion => "decode_unsupported_version",
            Self::DecodeMalformed => "decode_malformed",
            Self::DecodeTrailingBytes => "decode_trailing_bytes",
            Self::DecodeInvalid => "decode_invalid",
            Self::Internal => "internal",
        }
    }

    /// The stable number (see the type's documentation).
    pub const fn number(self) -> u32 {
        self as u32
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a stable [`ErrorCode`], a message for people, and where known the line and
/// column (1-based) in the input text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
    location: Option<(u32, u32)>,
}

impl Error {
    /// An error with `code` and a message for people (bindings and tools use this for errors of
    /// their own, such as unreadable input, so every error has one shape).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            location: None,
        }
    }

    /// The same error, pointing at `line` and `column` (1-based) of the input text.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        self.location = Some((clamp(line), clamp(column)));
        self
    }

    /// The same error with `context` (where in the input) before its message; built only on the
    /// error path, so checks of valid input allocate nothing.
    pub(crate) fn within(mut self, context: impl core::fmt::Display) -> Self {
        self.message = alloc::format!("{context}: {}", self.message);
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// What is wrong, for people; names the field and the offending value.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Line and column (1-based) in the input text, when the error points into text.
    pub fn location(&self) -> Option<(u32, u32)> {
        self.location
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some((line, column)) => write!(f, "{} at line {line}, column {column}", self.message)?,
            None => f.write_str(&self.message)?,
        }
        write!(f, " [{}]", self.code)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
