//! Score benchmarks: every score of one profile, and its parts.
//!
//! Run: `cargo bench -p shopkeeper-benches --bench scores`. The models are the published CDNOW
//! parameters, RFM breakpoints of the CDNOW sample, a cross-sell table of 1,000 products fitted
//! on 20,000 generated baskets, and cohorts of 200 affiliates (the customer came from one). Fit times against Python `lifetimes` are in benches/fit_vs_lifetimes.py.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use shopkeeper::learn::CohortCounts;
use shopkeeper::score::{
    BgNbd, CoOccurrence, CohortKey, CohortStats, Cohorts, CrossSell, CrossSellOptions, GammaGamma,
    Models, PurchaseModel, Rfm,
};
use shopkeeper::{Channel, Event, EventKind, Profile, PurchaseLine, Timestamp};

const NOW: Timestamp = 1_795_000_000;
const DAY: i64 = 86_400;

fn models() -> Models {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let names: Vec<String> = (0..1000).map(|i| format!("sku-{i}")).collect();
    let baskets: Vec<Vec<&str>> = (0..20_000)
        .map(|_| {
            let anchor = next(1000);
            (0..2 + next(4))
                .map(|_| names[((anchor + next(20)) % 1000) as usize].as_str())
                .collect()
        })
        .collect();
    let products = CoOccurrence::fit(
        baskets.iter().map(|b| b.iter().copied()),
        CrossSellOptions::default(),
    );
    let mut models = Models::default();
    models.purchases = Some(PurchaseModel::Bgnbd(BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    }));
    models.spend = Some(GammaGamma {
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    });
    models.rfm = Some(Rfm {
        recency_days: [99.0, 198.0, 219.0, 242.0],
        frequency: [1.0, 1.0, 2.0, 3.0],
        monetary: [14.96, 27.99, 46.04, 93.76],
    });
    models.cross_sell = Some(CrossSell {
        products,
        categories: CoOccurrence::default(),
    });
    // 200 sources, as a shop with many affiliates would fit.
    let stats = |customers: u64| CohortStats {
        customers,
        repeat_rate: 0.3,
        aov: 40.0,
        clv: 60.0 + customers as f64,
    };
    models.cohorts = Some(Cohorts {
        by: CohortKey::Affiliate,
        prior: 20.0,
        population: stats(20_000),
        sources: (0..200)
            .map(|i| (format!("affiliate-{i}"), stats(i + 1)))
            .collect(),
    });
    models
}

/// A repeat customer (five purchase days over a year, first from an affiliate) with three
/// products in the cart.
fn customer() -> Profile {
    let mut p = Profile::known("cust-1").unwrap_or_else(|e| panic!("{e}"));
    let came = EventKind::SessionStart {
        referrer: None,
        affiliate: Some("affiliate-150".into()),
    };
    p.apply(&Event::new(NOW - 400 * DAY, Channel::Web, came), NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    for (i, days_ago) in [360, 250, 180, 90, 20].into_iter().enumerate() {
        let kind = EventKind::Purchase {
            order: format!("o{i}"),
            total: 4_500,
            lines: vec![PurchaseLine {
                product: "sku-1".into(),
                category: None,
                quantity: 1,
                unit_price: 4_500,
            }]
            .try_into()
            .unwrap(),
        };
        p.apply(&Event::new(NOW - days_ago * DAY, Channel::Web, kind), NOW)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for sku in ["sku-10", "sku-11", "sku-12"] {
        let kind = EventKind::CartAdd {
            product: sku.into(),
            category: None,
            quantity: 1,
            unit_price: 1_000,
        };
        p.apply(&Event::new(NOW - 60, Channel::Web, kind), NOW)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    p
}

/// The customer above, who also bought `n` other products (`customer.cross_sell` reads them).
fn customer_owning(n: usize) -> Profile {
    let mut p = customer();
    let lines = (100..100 + n)
        .map(|i| PurchaseLine {
            product: format!("sku-{i}"),
            category: None,
            quantity: 1,
            unit_price: 1_000,
        })
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let kind = EventKind::Purchase {
        order: "o-many".into(),
        total: 1_000 * n as i64,
        lines,
    };
    p.apply(&Event::new(NOW - 10 * DAY, Channel::Store, kind), NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.owned().products.len(), n + 1);
    p
}

fn scores(c: &mut Criterion) {
    let models = models();
    let profile = customer();
    let summary = models
        .score(&profile, NOW)
        .summary
        .unwrap_or_else(|| panic!("a buyer"));
    let Some(PurchaseModel::Bgnbd(bgnbd)) = models.purchases else {
        panic!("bgnbd")
    };
    let Some(cross_sell) = &models.cross_sell else {
        panic!("cross-sell")
    };
    let mut g = c.benchmark_group("score");
    g.bench_function("all scores of one profile", |b| {
        b.iter(|| black_box(models.score(black_box(&profile), NOW)))
    });
    g.bench_function("p_alive", |b| {
        b.iter(|| black_box(bgnbd.p_alive(black_box(&summary))))
    });
    g.bench_function("expected purchases 90d", |b| {
        b.iter(|| black_box(bgnbd.expected_purchases(black_box(&summary), 90.0 / 7.0)))
    });
    g.bench_function("cross-sell top 5 for a 3-item cart", |b| {
        b.iter(|| {
            black_box(
                cross_sell
                    .products
                    .suggest(black_box(&["sku-10", "sku-11", "sku-12"]), 5),
            )
        })
    });
    // Live cohorts of 1,000 sources (10 visitors each, the customer's among them).
    let mut live = CohortCounts::new(CohortKey::Affiliate, 0).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..10_000 {
        let mut visitor = Profile::anonymous("v").unwrap_or_else(|e| panic!("{e}"));
        let came = EventKind::SessionStart {
            referrer: None,
            affiliate: Some(format!("affiliate-{}", i % 1_000)),
        };
        let before = visitor.mark();
        visitor
            .apply(&Event::new(NOW - DAY, Channel::Web, came), NOW)
            .unwrap_or_else(|e| panic!("{e}"));
        live.record(before, &visitor);
    }
    g.bench_function(
        "all scores of one profile, with live cohorts of 1,000 sources",
        |b| b.iter(|| black_box(models.score_with(black_box(&profile), NOW, Some(&live)))),
    );
    let collector = customer_owning(20);
    g.bench_function("all scores of one profile owning 20 products", |b| {
        b.iter(|| black_box(models.score(black_box(&collector), NOW)))
    });
    g.finish();
}

criterion_group!(benches, scores);
criterion_main!(benches);
