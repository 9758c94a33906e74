//! # Shopkeeper
//!
//! An embeddable, real-time personalization library: the shopkeeper who knows each customer, built
//! into the software the customer already talks to.
//!
//! This crate is the pure core: it does no I/O, reads no clock and draws no OS randomness (`now` and
//! seeds are parameters), so it runs the same in a server, a browser (WebAssembly) and on a bare-metal
//! POS terminal. It is `#![no_std]` + `alloc`; the default `std` feature only adds conveniences.
//!
//! ```
//! use shopkeeper::{Channel, Event, EventKind, Profile};
//!
//! let now = 1_732_406_400; // seconds since the Unix epoch, supplied by the caller
//! let mut profile = Profile::anonymous("visitor-7f3a")?;
//! profile.apply(&Event::new(now - 60, Channel::Web, EventKind::SessionStart {
//!     referrer: Some("gadgets.com".into()),
//!     affiliate: None,
//! }), now)?;
//! profile.apply(&Event::new(now - 30, Channel::Web, EventKind::CartAdd {
//!     product: "sku-1".into(),
//!     category: Some("shoes".into()),
//!     quantity: 2,
//!     unit_price: 4_999,
//! }), now)?;
//! assert_eq!(profile.cart().value(), 9_998);
//!
//! // Profiles travel as small, versioned, size-capped bytes.
//! let bytes = profile.to_bytes()?;
//! assert_eq!(Profile::from_bytes(&bytes)?, profile);
//! # Ok::<(), shopkeeper::Error>(())
//! ```
#![no_std]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod codes;

mod bounded;
pub mod budget;
mod check;
mod codec;
pub mod decide;
mod error;
mod event;
pub mod fleet;
pub mod kpi;
pub mod learn;
pub mod limits;
pub mod listen;
pub mod profile;
mod random;
pub mod rules;
pub mod score;
pub mod time;

/// The README's examples, compiled and run as doc tests so they keep working when pasted.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

pub use bounded::{BoundedMap, BoundedVec};
pub use error::{Error, ErrorCode};
pub use event::{
    AttrValue, Channel, ConsentPurpose, Direction, Event, EventKind, Money, PurchaseLine, Timestamp,
};
pub use profile::{IgnoreReason, Outcome, Profile};
