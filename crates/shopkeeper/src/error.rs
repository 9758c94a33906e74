//! One error type for the whole core, with stable codes that every binding shares.

use alloc::string::String;
use core::fmt;

crate::codes::stable_codes! {
    /// What went wrong, as a stable code.
    ///
    /// The numbers and names are part of the public contract: the C binding returns the numbers
    /// as `sk_result` (its header's `SK_RESULT_` constants are generated from [`ErrorCode::ALL`]),
    /// the WASM binding puts the name in `error.code`, and the conformance vectors name them.
    /// A number is never reused. 0 is the C API's `SK_RESULT_OK`; 1 to 9 are failures only a
    /// binding can see (a NULL pointer, bytes that are not UTF-8, a caught panic).
    /// `spec/errors.md` lists them all.
    pub enum ErrorCode {
        /// A required pointer argument was NULL (bindings only).
        NullParameter = 1 => "null_parameter",
        /// A string argument was not UTF-8 (bindings only).
        InvalidUtf8 = 2 => "invalid_utf8",
        /// A bug inside the library was caught at a binding's boundary; nothing observable
        /// changed, but please report it.
        Panic = 3 => "panic",
        /// The text is not valid JSON, or not of the documented shape.
        InvalidJson = 10 => "invalid_json",
        /// A required id or name is empty.
        EmptyId = 11 => "empty_id",
        /// A string or an input text is longer than its cap.
        TooLong = 12 => "too_long",
        /// A price or total is negative.
        NegativeAmount = 13 => "negative_amount",
        /// A price or total is larger than the largest amount.
        AmountTooLarge = 14 => "amount_too_large",
        /// A quantity is 0 or larger than the largest quantity.
        InvalidQuantity = 15 => "invalid_quantity",
        /// A timestamp is negative or after 9999-12-31.
        TimestampOutOfRange = 16 => "timestamp_out_of_range",
        /// An event is stamped too far after `now` (more than the allowed clock skew).
        FutureTimestamp = 17 => "future_timestamp",
        /// An attribute is set with a different type than it holds.
        AttributeType = 18 => "attribute_type",
        /// A collection that must not lose data is full (cart lines, attributes, purchase lines).
        LimitExceeded = 19 => "limit_exceeded",
        /// Two different known customers would become one (identify or merge).
        IdentityConflict = 20 => "identity_conflict",
        /// A number is NaN, infinite or out of its range.
        InvalidNumber = 21 => "invalid_number",
        /// A request-context key is not declared, its value has another type than declared, or
        /// the context was built for another catalog's schema.
        InvalidContext = 22 => "invalid_context",
        /// Input bytes are longer than the decoder accepts.
        DecodeTooLarge = 30 => "decode_too_large",
        /// Input bytes do not start with the expected magic: not a Shopkeeper encoding.
        DecodeBadMagic = 31 => "decode_bad_magic",
        /// Input bytes carry a schema version this build does not read.
        DecodeUnsupportedVersion = 32 => "decode_unsupported_version",
        /// Input bytes are truncated or malformed.
        DecodeMalformed = 33 => "decode_malformed",
        /// Input bytes continue after the encoded value.
        DecodeTrailingBytes = 34 => "decode_trailing_bytes",
        /// Input bytes decode, but to a value that breaks an invariant (a cap, an empty id...).
        DecodeInvalid = 35 => "decode_invalid",
        /// A rule does not compile; the diagnostics say where and why.
        InvalidRule = 40 => "invalid_rule",
        /// A model is invalid: a parameter negative, zero or not finite, breakpoints out of
        /// order, impossible counts, a propensity feature that is not a number.
        InvalidModel = 50 => "invalid_model",
        /// Data to fit a model on, or to estimate from, is unusable: empty, a negative or
        /// non-finite amount, an impossible summary.
        InvalidData = 51 => "invalid_data",
        /// A fit did not converge, or converged to a degenerate point.
        FitFailed = 52 => "fit_failed",
        /// A catalog that does not compile (the message lists every error), or that names a
        /// propensity model the models lack.
        InvalidCatalog = 60 => "invalid_catalog",
        /// A decision request out of range (slots, time), or an argument a binding cannot read.
        InvalidRequest = 61 => "invalid_request",
        /// A bug in Shopkeeper: please report it.
        Internal = 99 => "internal",
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
