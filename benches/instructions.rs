//! Deterministic instruction counts on the 1,000-offer benchmark catalog, for comparing a change
//! before and after without the noise of a shared machine. `cargo xtask instructions` runs this
//! under valgrind's callgrind, counting only inside `shopkeeper_measured` (10 runs after a
//! warm-up), once per mode. Deciding: `fast`, `log`, `explain`, `json` (the receipt written as
//! JSON), `adaptive` and `adaptive-log`. Loading the catalog: `read-json` (the peer: the text read
//! into a `serde_json::Value`), `compile` (`Catalog::compile`) and `engine` (`Engine::new` on top),
//! and `compile-adaptive`.
#![allow(missing_docs)]

use std::hint::black_box;

use shopkeeper::decide::{Catalog, Engine, Request};
use shopkeeper::learn::Learner;
use shopkeeper::rules::Context;
use shopkeeper::score::Models;
use shopkeeper::{Channel, Profile};

#[path = "fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
use fixtures::{catalog_json, engine_on_the_cart_page, profile, trained, NOW};

/// Decisions inside the measured function: the count is divided by this.
pub const REPS: u64 = 10;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if let Some(load) = Load::parse(&mode) {
        let json = catalog_json(1_000, mode.ends_with("adaptive"));
        load.run(&json);
        shopkeeper_measured_load(load, &json);
        println!("{mode}: {REPS} loads of {} bytes measured", json.len());
        return;
    }
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
            eprintln!("usage: instructions fast|log|explain|json|adaptive|adaptive-log|read-json|compile|engine|compile-adaptive");
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

/// What loading a catalog is measured as.
#[derive(Clone, Copy)]
pub enum Load {
    /// The peer: the text read into a `serde_json::Value`, the least any JSON reader does.
    ReadJson,
    Compile,
    Engine,
}

impl Load {
    fn parse(mode: &str) -> Option<Load> {
        match mode {
            "read-json" => Some(Load::ReadJson),
            "compile" | "compile-adaptive" => Some(Load::Compile),
            "engine" => Some(Load::Engine),
            _ => None,
        }
    }

    fn run(self, json: &str) {
        match self {
            Load::ReadJson => {
                black_box(serde_json::from_str::<serde_json::Value>(black_box(json)).unwrap());
            }
            Load::Compile => {
                black_box(Catalog::compile(black_box(json), NOW).unwrap());
            }
            Load::Engine => {
                let catalog = Catalog::compile(black_box(json), NOW).unwrap();
                black_box(Engine::new(catalog, Models::default()).unwrap());
            }
        }
    }
}

/// The measured loads; callgrind collects only while this runs (`--toggle-collect`).
#[inline(never)]
pub fn shopkeeper_measured_load(load: Load, json: &str) {
    for _ in 0..REPS {
        load.run(json);
    }
}
