//! The binary envelope shared by everything Shopkeeper persists (profiles and learners):
//! `magic (4 bytes) | schema version (u16, little-endian) | postcard payload`.
//!
//! postcard, not bincode: bincode's maintainers stopped it in 2025 (RUSTSEC-2025-0141), which would
//! fail every embedder's `cargo audit`; postcard is `no_std`, compact (varints) and has a stable,
//! documented wire format.

use alloc::format;
use alloc::vec::Vec;
use serde::{de::DeserializeOwned, Serialize};

use crate::{Error, ErrorCode};

/// Bytes before the payload: magic and schema version.
const HEADER_LEN: usize = 6;

/// Encodes `value` behind the header.
pub(crate) fn encode<T: Serialize>(
    magic: [u8; 4],
    version: u16,
    value: &T,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&magic);
    out.extend_from_slice(&version.to_le_bytes());
    postcard::to_extend(value, out)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("encoding failed: {e}")))
}

/// Decodes bytes made by [`encode`] with `version`, rejecting anything else with a `Decode*`
/// code.
pub(crate) fn decode<T: DeserializeOwned>(
    magic: [u8; 4],
    version: u16,
    max_len: usize,
    bytes: &[u8],
) -> Result<T, Error> {
    let (found, payload) = open(magic, max_len, bytes)?;
    if found != version {
        return Err(unsupported_version(found, version));
    }
    take(payload)
}

/// Checks the length and the magic of `bytes`: their schema version and payload.
pub(crate) fn open(magic: [u8; 4], max_len: usize, bytes: &[u8]) -> Result<(u16, &[u8]), Error> {
    if bytes.len() > max_len {
        return Err(Error::new(
            ErrorCode::DecodeTooLarge,
            format!("{} bytes, at most {max_len} accepted", bytes.len()),
        ));
    }
    let Some((header, payload)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(Error::new(
            ErrorCode::DecodeMalformed,
            "input is shorter than the header",
        ));
    };
    if header[..4] != magic {
        return Err(Error::new(
            ErrorCode::DecodeBadMagic,
            format!(
                "input starts with {:02x?}, expected {magic:02x?}",
                &header[..4]
            ),
        ));
    }
    Ok((u16::from_le_bytes([header[4], header[5]]), payload))
}

/// Decodes a whole payload (no byte may follow the value).
pub(crate) fn take<T: DeserializeOwned>(payload: &[u8]) -> Result<T, Error> {
    let (value, rest) = postcard::take_from_bytes(payload).map_err(|e| {
        let what = match e {
            postcard::Error::DeserializeUnexpectedEnd => "input is truncated",
            _ => "input is malformed",
        };
        Error::new(ErrorCode::DecodeMalformed, format!("{what}: {e}"))
    })?;
    if !rest.is_empty() {
        return Err(Error::new(
            ErrorCode::DecodeTrailingBytes,
            format!("{} bytes follow the encoded value", rest.len()),
        ));
    }
    Ok(value)
}

pub(crate) fn unsupported_version(found: u16, supported: u16) -> Error {
    Error::new(
        ErrorCode::DecodeUnsupportedVersion,
        format!("schema version {found}; this build reads version {supported}"),
    )
}
