//! Deterministic instruction counts of `decide` on the 1,000-offer benchmark catalog, for
//! comparing a change before and after without the noise of a shared machine. `cargo xtask
//! instructions` runs this under valgrind's callgrind, counting only inside `shopkeeper_measured`
//! (10 decisions after a warm-up), once per way of deciding: `fast`, `log`, `explain`, `json`
//! (the receipt written as JSON), `adaptive` and `adaptive-log`.
#![allow(missing_docs)]

use std::hint::black_box;

use shopkeeper::decide::{Engine, Request};
use shopkeeper::learn::Learner;
use shopkeeper::rules::Context;
use shopkeeper::{Channel, Profile};

#[path = "fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
use fixtures::{engine_on_the_cart_page, profile, trained, NOW};

/// Decisions inside the measured function: the count is divided by this.
pub const REPS: u64 = 10;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let adaptive = mode.starts_with("adaptive");
    let (engine, context) = engine_on_the_cart_page(1_000, adaptive);
    let learner = trained(&engine);
    let customer = profile();
    let base = Request::new(Channel::Web, NOW).slots(3);
    let (request, json) = match mode.as_str() {
        "fast" | "adaptive" => (base, false),
        "log" | "adaptive-log" => (base.log(true), false),
        "explain" => (base.explain(true), false),
        "json" => (base.explain(true), true),
        _ => {
            eprintln!("usage: instructions fast|log|explain|json|adaptive|adaptive-log");
            std::process::exit(2);
        }
    };
    // Warm up: the first decision touches memory the measured ones reuse.
    run(&engine, &customer, &context, &request, &learner, json);
    shopkeeper_measured(&engine, &customer, &context, &request, &learner, json);
    let decision = engine
        .decide_with(&customer, &context, &request, &learner)
        .unwrap();
    if let (Some(r), Ok(path)) = (decision.receipt(), std::env::var("SHOPKEEPER_RECEIPT")) {
        std::fs::write(path, r.to_json().unwrap()).unwrap();
    }
    let receipt = decision.receipt().map(|r| {
        let dropped = r.dropped.len();
        format!(
            ", a receipt of {dropped} dropped offers and {} bytes of JSON",
            r.to_json().unwrap().len()
        )
    });
    println!(
        "{mode}: {REPS} decisions measured{}",
        receipt.unwrap_or_default()
    );
}

/// The measured calls; callgrind collects only while this runs (`--toggle-collect`).
#[inline(never)]
pub fn shopkeeper_measured(
    engine: &Engine,
    customer: &Profile,
    context: &Context,
    request: &Request,
    learner: &Learner,
    json: bool,
) {
    for k in 0..REPS {
        run(engine, customer, context, &request.seed(k), learner, json);
    }
}

fn run(
    engine: &Engine,
    customer: &Profile,
    context: &Context,
    request: &Request,
    learner: &Learner,
    json: bool,
) {
    let decision = engine
        .decide_with(black_box(customer), context, request, learner)
        .unwrap();
    match decision.receipt() {
        Some(receipt) if json => black_box(receipt.to_json().unwrap().len()),
        _ => black_box(decision.log().map_or(0, |log| log.picks.len())),
    };
}
