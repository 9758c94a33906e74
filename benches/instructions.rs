//! Deterministic instruction counts on the 1,000-offer benchmark catalog, for comparing a change
//! before and after without the noise of a shared machine. `cargo xtask instructions` runs this
//! under valgrind's callgrind, counting only inside `shopkeeper_measured` (10 runs after a
//! warm-up), once per mode. Deciding: `fast`, `log`, `explain`, `json` (the receipt written as
//! JSON), `adaptive`, `adaptive-log` and `adaptive-predictors` (the same offers learning from 20
//! predictors). Loading the catalog: `read-json` (the peer: the text read
//! into a `serde_json::Value`), `compile` (`Catalog::compile`) and `engine` (`Engine::new` on top),
//! and `compile-adaptive`. Learning: `learn` (a response to an offer in a segment) and
//! `learn-predictors` (the same in the 20 predictors' bins of the benchmark customer). Fitting: `fit` (BG/NBD and Gamma-Gamma on a generated population of
//! CDNOW_master's size; `benches/fit_vs_lifetimes.py` times real data against Python lifetimes).
#![allow(missing_docs)]

use std::hint::black_box;

use shopkeeper::decide::{Catalog, Engine, Request};
use shopkeeper::learn::Learner;
use shopkeeper::rules::Context;
use shopkeeper::score::{BgNbd, GammaGamma, Models, Summary};
use shopkeeper::{Channel, Profile};

#[path = "fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
use fixtures::{
    catalog_json, engine_on_the_cart_page, engine_with_predictors, profile, trained,
    trained_with_predictors, NOW,
};

/// Decisions inside the measured function: the count is divided by this.
pub const REPS: u64 = 10;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode == "fit" {
        let population = population(23_570);
        fit(&population);
        shopkeeper_measured_fit(&population);
        println!(
            "fit: {REPS} fits of {} customers measured",
            population.len()
        );
        return;
    }
    if let Some(load) = Load::parse(&mode) {
        let json = catalog_json(1_000, mode.ends_with("adaptive"));
        load.run(&json);
        shopkeeper_measured_load(load, &json);
        println!("{mode}: {REPS} loads of {} bytes measured", json.len());
        return;
    }
    if mode == "learn" || mode == "learn-predictors" {
        let (engine, context) = engine_with_predictors(1_000);
        let mut learner = trained_with_predictors(&engine, &context);
        let request = Request::new(Channel::Web, NOW).log(true);
        let decision = engine
            .decide_with(&profile(), &context, &request, &learner)
            .unwrap();
        let bins = if mode == "learn" {
            None
        } else {
            Some(decision.predictors())
        };
        let offer = engine
            .catalog()
            .offers()
            .next()
            .unwrap()
            .action()
            .id()
            .to_string();
        learn(&mut learner, &offer, bins.as_deref(), 0);
        shopkeeper_measured_learn(&mut learner, &offer, bins.as_deref());
        println!("{mode}: {REPS} responses measured");
        return;
    }
    let adaptive = mode.starts_with("adaptive");
    let (engine, context, learner) = if mode == "adaptive-predictors" {
        let (engine, context) = engine_with_predictors(1_000);
        let learner = trained_with_predictors(&engine, &context);
        (engine, context, learner)
    } else {
        let (engine, context) = engine_on_the_cart_page(1_000, adaptive);
        let learner = trained(&engine);
        (engine, context, learner)
    };
    let customer = profile();
    let base = Request::new(Channel::Web, NOW).slots(3);
    let (request, json) = match mode.as_str() {
        "fast" | "adaptive" | "adaptive-predictors" => (base, false),
        "log" | "adaptive-log" => (base.log(true), false),
        "explain" => (base.explain(true), false),
        "json" => (base.explain(true), true),
        _ => {
            eprintln!("usage: instructions fast|log|explain|json|adaptive|adaptive-log|adaptive-predictors|learn|learn-predictors|read-json|compile|engine|compile-adaptive|fit");
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

/// The measured responses: each an accept or not, in `bins` (`update_with`) or without
/// (`update`, the segment's arm alone).
#[inline(never)]
pub fn shopkeeper_measured_learn(learner: &mut Learner, offer: &str, bins: Option<&[String]>) {
    for k in 0..REPS {
        learn(learner, offer, bins, 1 + k as i64);
    }
}

fn learn(learner: &mut Learner, offer: &str, bins: Option<&[String]>, k: i64) {
    use shopkeeper::learn::Response;
    let response = if k % 3 == 0 {
        Response::Accepted
    } else {
        Response::Ignored
    };
    match bins {
        Some(bins) => {
            let bins: Vec<&str> = bins.iter().map(String::as_str).collect();
            learner.update_with(offer, "gold", black_box(&bins), response, NOW + k)
        }
        None => learner.update(offer, "gold", response, NOW + k),
    }
    .unwrap();
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

/// `customers` drawn from BG/NBD and Gamma-Gamma with CDNOW_master's parameters (in weeks:
/// r 0.25, alpha 4.8, a 0.72, b 2.16; p 6.3, q 3.6, gamma 15), their first purchases spread
/// over 12 weeks of a 78-week study, times in whole days. A fixed SplitMix64 stream, so every run
/// fits the same numbers.
fn population(customers: usize) -> Vec<Summary> {
    let mut draw = Draw(0x5eed);
    (0..customers)
        .map(|_| {
            // Whole days, as a transaction log records them.
            let age = (7.0 * (78.0 - 12.0 * draw.uniform())).floor() / 7.0;
            let rate = draw.gamma(0.25) / 4.8;
            let (x, y) = (draw.gamma(0.72), draw.gamma(2.16));
            let dropout = x / (x + y);
            let (mut t, mut frequency, mut recency) = (0.0, 0u32, 0.0);
            loop {
                t += -draw.uniform().ln() / rate;
                if t > age {
                    break;
                }
                frequency += 1;
                recency = (7.0 * t).floor() / 7.0;
                if draw.uniform() < dropout {
                    break;
                }
            }
            let spend_rate = draw.gamma(3.6) / 15.0;
            let spends: f64 = (0..frequency).map(|_| draw.gamma(6.3) / spend_rate).sum();
            Summary {
                frequency,
                recency,
                age,
                monetary: if frequency > 0 {
                    spends / frequency as f64
                } else {
                    0.0
                },
            }
        })
        .collect()
}

/// SplitMix64 uniforms, normals by Box-Muller and gammas by Marsaglia-Tsang: enough to generate
/// a population (the core's own stream is private to it).
struct Draw(u64);

impl Draw {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (((z ^ (z >> 31)) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let boost = self.uniform().powf(1.0 / shape);
            return self.gamma(shape + 1.0) * boost;
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let (u1, u2) = (self.uniform(), self.uniform());
            let x = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && self.uniform().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
}

fn fit(population: &[Summary]) {
    black_box(BgNbd::fit(black_box(population)).unwrap());
    black_box(GammaGamma::fit(black_box(population)).unwrap());
}

/// The measured fits; callgrind collects only while this runs (`--toggle-collect`).
#[inline(never)]
pub fn shopkeeper_measured_fit(population: &[Summary]) {
    for _ in 0..REPS {
        fit(population);
    }
}
