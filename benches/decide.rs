//! Decision benchmarks: `decide` over generated catalogs of 10, 100, 1,000 and 2,500 offers with
//! realistic rules (eligibility, applicability and suitability over the profile, the cart, the
//! session and the request context; value expressions; exclusion groups; contact policies on every
//! offer; a universal control group), for one known customer with a history, with and without the
//! receipt.
//!
//! At 1,000 offers also: the fast path with its decision-log record (`Request::log`), the
//! receipt written as JSON, and a budget on every offer read from counters (one in 20 spent, one
//! in 10 throttled); `decide_with` on 1,000 adaptive offers (Thompson sampling from a
//! trained learner), without and with the log record (whose probabilities re-draw 256 times).
//! The ratios of these to the fast path, measured in the same run, are printed at the end.
//!
//! Run: `cargo bench -p shopkeeper-benches --bench decide`. Criterion reports the mean; the p50
//! and p99 of single calls are printed after it (20,000 timed calls per case).
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use shopkeeper::decide::{Live, Request};
use shopkeeper::learn::Learner;
use shopkeeper::{Channel, Profile};

mod fixtures;
use fixtures::{
    budgeted, engine_on_the_cart_page, engine_with_predictors, profile, trained,
    trained_with_predictors, NOW,
};

const SIZES: [usize; 4] = [10, 100, 1_000, 2_500];

fn bench(c: &mut Criterion) {
    let profile = profile();
    let mut group = c.benchmark_group("decide");
    for size in SIZES {
        let (engine, context) = engine_on_the_cart_page(size, false);
        let check = engine
            .decide(
                &profile,
                &context,
                &Request::new(Channel::Web, NOW).slots(3),
            )
            .unwrap();
        assert!(
            !check.control_group() && !check.fallback(),
            "the benchmark customer gets real offers"
        );
        for explain in [false, true] {
            let request = Request::new(Channel::Web, NOW).slots(3).explain(explain);
            let name = if explain {
                "with receipt"
            } else {
                "picks only"
            };
            group.bench_with_input(BenchmarkId::new(name, size), &request, |b, request| {
                b.iter(|| {
                    black_box(
                        engine
                            .decide(black_box(&profile), &context, request)
                            .unwrap()
                            .picks()
                            .len(),
                    )
                })
            });
        }
    }
    // At 1,000 offers: the log record, and the receipt written as JSON.
    let (engine, context) = engine_on_the_cart_page(1_000, false);
    let request = Request::new(Channel::Web, NOW).slots(3);
    group.bench_function("with log/1000", |b| {
        let request = request.log(true);
        b.iter(|| {
            let decision = engine
                .decide(black_box(&profile), &context, &request)
                .unwrap();
            black_box(decision.log().unwrap().picks.len())
        })
    });
    group.bench_function("receipt as JSON/1000", |b| {
        let request = request.explain(true);
        b.iter(|| {
            let decision = engine
                .decide(black_box(&profile), &context, &request)
                .unwrap();
            black_box(decision.receipt().unwrap().to_json().unwrap().len())
        })
    });
    // Budgets on every offer, read from counters: spent ones dropped, paced ones throttled.
    let (budgeted, budgets) = budgeted(1_000);
    let live = Live {
        budgets: Some(&budgets),
        ..Live::default()
    };
    group.bench_function("with budgets/1000", |b| {
        b.iter(|| {
            black_box(
                budgeted
                    .decide_live(black_box(&profile), &context, &request, live)
                    .unwrap()
                    .picks()
                    .len(),
            )
        })
    });
    group.finish();
    // Adaptive propensities: Thompson sampling from a learner with 20 responses per offer in each
    // of 10 segments (the customer's is "gold").
    let (engine, context) = engine_on_the_cart_page(1_000, true);
    let learner = trained(&engine);
    let request = Request::new(Channel::Web, NOW).slots(3);
    c.bench_function("decide adaptive/picks only/1000", |b| {
        b.iter(|| {
            black_box(
                engine
                    .decide_with(black_box(&profile), &context, &request, &learner)
                    .unwrap()
                    .picks()
                    .len(),
            )
        })
    });
    c.bench_function("decide adaptive/with log/1000", |b| {
        let request = request.log(true);
        b.iter(|| {
            let decision = engine
                .decide_with(black_box(&profile), &context, &request, &learner)
                .unwrap();
            black_box(decision.log().unwrap().picks.len())
        })
    });
    // The same offers learning from 20 predictors, each with 10 customers' bins.
    let (with_predictors, predictor_context) = engine_with_predictors(1_000);
    let predictor_learner = trained_with_predictors(&with_predictors, &predictor_context);
    c.bench_function("decide adaptive/20 predictors/1000", |b| {
        b.iter(|| {
            black_box(
                with_predictors
                    .decide_with(
                        black_box(&profile),
                        &predictor_context,
                        &request,
                        &predictor_learner,
                    )
                    .unwrap()
                    .picks()
                    .len(),
            )
        })
    });
    percentiles(&profile, &learner);
}

/// p50 and p99 of single calls (criterion reports means of batches).
fn percentiles(profile: &Profile, learner: &Learner) {
    let full = std::env::args().any(|a| a == "--bench");
    let calls: u64 = if full { 20_000 } else { 50 };
    println!("\ndecide, single calls ({calls} per case): offers, receipt, p50, p99");
    for size in SIZES {
        let (engine, context) = engine_on_the_cart_page(size, false);
        for explain in [false, true] {
            let request = Request::new(Channel::Web, NOW).slots(3).explain(explain);
            let (p50, p99) = p50_p99(calls, |_| {
                black_box(
                    engine
                        .decide(black_box(profile), &context, &request)
                        .unwrap(),
                );
            });
            println!(
                "{size:>6} offers  receipt {explain:<5}  p50 {p50:>8.2} us  p99 {p99:>8.2} us"
            );
        }
    }
    let (engine, context) = engine_on_the_cart_page(1_000, true);
    let request = Request::new(Channel::Web, NOW).slots(3);
    let (p50, p99) = p50_p99(calls, |seed| {
        let request = request.seed(seed);
        black_box(
            engine
                .decide_with(black_box(profile), &context, &request, learner)
                .unwrap(),
        );
    });
    println!("  1000 offers  adaptive       p50 {p50:>8.2} us  p99 {p99:>8.2} us");
    ratios(profile, learner, calls);
}

/// The medians of the costlier ways to decide at 1,000 offers over the fast path's, measured
/// here in the same run: what the goals are stated in.
fn ratios(profile: &Profile, learner: &Learner, calls: u64) {
    let (engine, context) = engine_on_the_cart_page(1_000, false);
    let base = Request::new(Channel::Web, NOW).slots(3);
    let median = |request: Request, json: bool| {
        p50_p99(calls, |_| {
            let decision = engine
                .decide(black_box(profile), &context, &request)
                .unwrap();
            if json {
                black_box(decision.receipt().unwrap().to_json().unwrap());
            } else {
                black_box(decision.log());
            }
        })
        .0
    };
    let fast = median(base, false);
    let (budgeted, budgets) = budgeted(1_000);
    let live = Live {
        budgets: Some(&budgets),
        ..Live::default()
    };
    let with_budgets = p50_p99(calls, |seed| {
        let request = base.seed(seed);
        black_box(
            budgeted
                .decide_live(black_box(profile), &context, &request, live)
                .unwrap()
                .picks()
                .len(),
        );
    })
    .0;
    println!("\ndecide at 1000 offers, p50 over the fast path's (same run):");
    println!("  {:<16} {:>6.2}x", "with budgets", with_budgets / fast);
    for (name, request, json) in [
        ("with log", base.log(true), false),
        ("with receipt", base.explain(true), false),
        ("receipt as JSON", base.explain(true), true),
    ] {
        println!("  {name:<16} {:>6.2}x", median(request, json) / fast);
    }
    let (engine, context) = engine_on_the_cart_page(1_000, true);
    let adaptive = |request: Request| {
        p50_p99(calls, |seed| {
            black_box(
                engine
                    .decide_with(black_box(profile), &context, &request.seed(seed), learner)
                    .unwrap()
                    .log(),
            );
        })
        .0
    };
    let plain = adaptive(base);
    println!(
        "  adaptive: {plain:.2} us, with log {:.2}x that, {:.2}x the fixed fast path",
        adaptive(base.log(true)) / plain,
        plain / fast
    );
    let (engine, context) = engine_with_predictors(1_000);
    let learner = trained_with_predictors(&engine, &context);
    let predictors = p50_p99(calls, |seed| {
        black_box(
            engine
                .decide_with(black_box(profile), &context, &base.seed(seed), &learner)
                .unwrap()
                .picks()
                .len(),
        );
    })
    .0;
    println!(
        "  adaptive with 20 predictors: {predictors:.2} us, {:.2}x adaptive by segment",
        predictors / plain
    );
}

/// The p50 and p99, in microseconds, of `calls` timed calls of `decide` (given the call's number).
fn p50_p99(calls: u64, mut decide: impl FnMut(u64)) -> (f64, f64) {
    let mut times: Vec<f64> = (0..calls)
        .map(|k| {
            let start = Instant::now();
            decide(k);
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99))
}

criterion_group!(benches, bench);
criterion_main!(benches);
