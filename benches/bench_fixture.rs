//! Writes the decision benchmark's fixture as JSON for the WASM benchmark (`cargo xtask
//! wasm-bench`): the 1,000-offer catalog, the customer's export, the cart-page context, and the
//! picks native Rust makes, which the WASM run must reproduce before it is timed.
#![allow(missing_docs)]

use serde_json::json;
use shopkeeper::decide::Request;
use shopkeeper::Channel;

#[path = "fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
use fixtures::{catalog_json, engine_on_the_cart_page, profile, NOW};

const OFFERS: usize = 1_000;
const SLOTS: usize = 3;

fn main() {
    let customer = profile();
    let (engine, context) = engine_on_the_cart_page(OFFERS, false);
    let request = Request::new(Channel::Web, NOW).slots(SLOTS);
    let picks: Vec<String> = engine
        .decide(&customer, &context, &request)
        .unwrap()
        .picks()
        .iter()
        .map(|p| p.action.id().to_string())
        .collect();
    let fixture = json!({
        "catalog": catalog_json(OFFERS, false),
        "profile": customer.export().unwrap(),
        "context": {"page_type": "cart"},
        "now": NOW,
        "slots": SLOTS,
        "picks": picks,
    });
    println!("{fixture}");
}
