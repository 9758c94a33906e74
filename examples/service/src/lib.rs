//! The reference decision service: Shopkeeper over HTTP/JSON for a storefront that calls it
//! instead of linking the library, on the embedded store or on Redis.
//!
//! - `service.rs`: what each request does (events, decisions, responses, KPIs, catalog swap);
//! - `node.rs`: this process's contribution to the fleet's learner, KPIs and budgets, published
//!   before a request is acknowledged, and its view of the fleet;
//! - `http.rs`: the routes, body limits, timeouts and JSON errors;
//! - `load.rs`: the load generator that proves a fleet loses nothing, and measures it.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The storefront example's catalog: what the service decides with by default.
pub const STOREFRONT_CATALOG: &str = include_str!("../../storefront/catalog.json");
/// The storefront example's models.
pub const STOREFRONT_MODELS: &str = include_str!("../../storefront/models.json");

pub mod http;
pub mod load;
pub mod node;
pub mod service;
