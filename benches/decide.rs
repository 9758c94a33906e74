//! Decision benchmarks: `decide` over generated catalogs of 10, 100, 1,000 and 2,500 offers with
//! realistic rules (eligibility, applicability and suitability over the profile, the cart, the
//! session and the request context; value expressions; exclusion groups; contact policies on every
//! offer; a universal control group), for one known customer with a history, with and without the
//! receipt.
//!
//! Also `decide_with` on 1,000 adaptive offers (Thompson sampling from a trained learner).
//!
//! Run: `cargo bench -p shopkeeper-benches --bench decide`. Criterion reports the mean; the p50
//! and p99 of single calls are printed after it (20,000 timed calls per case).
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use shopkeeper::decide::{Engine, Request};
use shopkeeper::learn::{Learner, Response};
use shopkeeper::{Channel, Profile};

mod fixtures;
use fixtures::{engine_on_the_cart_page, profile, NOW};

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
    percentiles(&profile, &learner);
}

/// A learner with 20 responses (1 in 5 accepted) for every offer in 10 segments.
fn trained(engine: &Engine) -> Learner {
    let mut learner = engine.catalog().new_learner().unwrap();
    let segments = [
        "gold", "silver", "bronze", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
    ];
    for (i, offer) in engine.catalog().offers().enumerate() {
        for segment in segments {
            for k in 0..20 {
                let response = if (i + k) % 5 == 0 {
                    Response::Accepted
                } else {
                    Response::Dismissed
                };
                learner
                    .update(
                        offer.action().id(),
                        segment,
                        response,
                        NOW - 86_400 + k as i64,
                    )
                    .unwrap();
            }
        }
    }
    learner
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
