//! Learner benchmarks: one response recorded, two learners of 1,000 offers x 10 segments merged,
//! and their binary form.
//!
//! Run: `cargo bench -p shopkeeper-benches --bench learn`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use shopkeeper::learn::{Learner, Response};

const NOW: i64 = 1_795_000_000;
const DAY: i64 = 86_400;

/// 1,000 offers x 10 segments, 5 responses each, stamped from `start`.
fn learner(start: i64) -> Learner {
    let mut l = Learner::new(14 * DAY).unwrap();
    for offer in 0..1_000 {
        for segment in 0..10 {
            for k in 0..5 {
                let response = if (offer + k) % 5 == 0 {
                    Response::Accepted
                } else {
                    Response::Ignored
                };
                l.update(
                    &format!("offer-{offer}"),
                    &format!("segment-{segment}"),
                    response,
                    start + k as i64,
                )
                .unwrap();
            }
        }
    }
    l
}

fn bench(c: &mut Criterion) {
    let mut one = learner(NOW);
    let mut at = NOW;
    c.bench_function("learn/update (existing arm)", |b| {
        b.iter(|| {
            at += 1;
            one.update(
                black_box("offer-512"),
                black_box("segment-3"),
                Response::Accepted,
                at,
            )
            .unwrap()
        })
    });
    let (a, b) = (learner(NOW), learner(NOW + 3_600));
    c.bench_function("learn/merge 1,000 offers x 10 segments", |bench| {
        bench.iter(|| {
            let mut merged = a.clone();
            merged.merge(black_box(&b)).unwrap();
            merged
        })
    });
    c.bench_function(
        "learn/clone 1,000 offers x 10 segments (merge's baseline)",
        |bench| bench.iter(|| black_box(a.clone())),
    );
    let bytes = a.to_bytes().unwrap();
    println!("learner of 10,000 arms: {} bytes", bytes.len());
    c.bench_function("learn/to_bytes 10,000 arms", |bench| {
        bench.iter(|| a.to_bytes().unwrap())
    });
    c.bench_function("learn/from_bytes 10,000 arms", |bench| {
        bench.iter(|| Learner::from_bytes(black_box(&bytes)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
