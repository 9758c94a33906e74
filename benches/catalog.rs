//! Loading a catalog: what a page load or a catalog swap pays, on the generated 1,000-offer
//! catalog of the decision benchmarks (three rules, a value, contact policy and payload per offer).
//!
//! Measured apart, in one run: reading the JSON text into a `serde_json::Value` (the peer: the
//! least any JSON reader does with the text), `Catalog::compile` (reading, checking, interning
//! clauses and compiling every rule), and `Engine::new` on top (the models).
//!
//! Run: `cargo bench -p shopkeeper-benches --bench catalog`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use shopkeeper::decide::{Catalog, Engine};
use shopkeeper::score::Models;

#[allow(dead_code)]
mod fixtures;
use fixtures::{catalog_json, NOW};

fn bench(c: &mut Criterion) {
    for adaptive in [false, true] {
        let json = catalog_json(1_000, adaptive);
        let kind = if adaptive { "adaptive" } else { "fixed" };
        c.bench_function(
            &format!("catalog/read JSON (serde_json::Value)/1000 {kind}"),
            |b| b.iter(|| black_box(serde_json::from_str::<serde_json::Value>(&json).unwrap())),
        );
        c.bench_function(&format!("catalog/compile/1000 {kind}"), |b| {
            b.iter(|| black_box(Catalog::compile(&json, NOW).unwrap()))
        });
        c.bench_function(&format!("catalog/engine/1000 {kind}"), |b| {
            b.iter(|| {
                let catalog = Catalog::compile(&json, NOW).unwrap();
                black_box(Engine::new(catalog, Models::default()).unwrap())
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
