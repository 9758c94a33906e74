//! Profile benchmarks: applying one event, folding a million, encoding and decoding.
//!
//! Run: `cargo bench -p shopkeeper-benches --bench profile`. The "typical" profile is the example
//! stream's cust-1001 (web, store, email; a login merge), so the numbers describe a realistic customer.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use shopkeeper::decide::DecisionLog;
use shopkeeper::kpi::Kpis;
use shopkeeper::learn::CohortCounts;
use shopkeeper::score::CohortKey;
use shopkeeper::{Channel, Event, EventKind, Profile, PurchaseLine, Timestamp};

const NOW: Timestamp = 1_795_000_000;

/// cust-1001 from `examples/events.jsonl`, folded the way `shopkeeper profile` does it.
fn typical() -> Profile {
    let mut visitor = Profile::anonymous("anon-7f3a9c").unwrap_or_else(|e| panic!("{e}"));
    let mut known = Profile::known("cust-1001").unwrap_or_else(|e| panic!("{e}"));
    for line in include_str!("../examples/events.jsonl").lines() {
        let mut value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        let owner = value["profile"].as_str().unwrap_or_default().to_owned();
        let object = value
            .as_object_mut()
            .unwrap_or_else(|| panic!("not an object"));
        object.remove("profile");
        object.remove("anonymous");
        let event = Event::from_json(&value.to_string()).unwrap_or_else(|e| panic!("{e}"));
        match owner.as_str() {
            "anon-7f3a9c" => drop(visitor.apply(&event, NOW)),
            "cust-1001" => drop(known.apply(&event, NOW)),
            _ => {}
        }
    }
    known.merge(&visitor).unwrap_or_else(|e| panic!("{e}"));
    known
}

/// A deterministic, realistic mix of events for `customers` customers (xorshift; no OS randomness).
fn stream(n: usize, customers: usize) -> Vec<(usize, Event)> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let products: Vec<String> = (0..500).map(|i| format!("sku-{i:04}")).collect();
    let categories = [
        "shoes", "bags", "hats", "jackets", "socks", "camping", "fitness", "gifts",
    ];
    (0..n)
        .map(|i| {
            let r = next();
            let product = products[(r >> 8) as usize % products.len()].clone();
            let category = Some(categories[(r >> 20) as usize % categories.len()].to_owned());
            let kind = match r % 100 {
                0..=39 => EventKind::PageView { page: None },
                40..=69 => EventKind::ProductView { product, category },
                70..=79 => EventKind::CartAdd {
                    product,
                    category,
                    quantity: 1,
                    unit_price: 1_999,
                },
                80..=83 => EventKind::CartRemove {
                    product,
                    quantity: None,
                },
                84..=86 => EventKind::SessionStart {
                    referrer: Some("search.example".into()),
                    affiliate: None,
                },
                87..=89 => EventKind::Purchase {
                    order: format!("o-{i}"),
                    lines: vec![PurchaseLine {
                        product,
                        category,
                        quantity: 1,
                        unit_price: 1_999,
                    }]
                    .try_into()
                    .unwrap(),
                    total: 1_999,
                },
                90..=95 => EventKind::OfferShown {
                    offer: format!("offer-{}", (r >> 30) % 20),
                },
                96..=97 => EventKind::OfferDismissed {
                    offer: format!("offer-{}", (r >> 30) % 20),
                },
                _ => EventKind::OfferAccepted {
                    offer: format!("offer-{}", (r >> 30) % 20),
                },
            };
            let at = NOW - 30 * 86_400 + i as i64 * 2;
            (
                ((r >> 40) as usize) % customers,
                Event::new(at, Channel::Web, kind),
            )
        })
        .collect()
}

fn apply_one(c: &mut Criterion) {
    let mut group = c.benchmark_group("apply");
    let base = typical();
    let view = Event::new(
        NOW,
        Channel::Web,
        EventKind::PageView {
            page: Some("home".into()),
        },
    );
    let product = Event::new(
        NOW,
        Channel::Web,
        EventKind::ProductView {
            product: "sku-1".into(),
            category: Some("shoes".into()),
        },
    );
    let shown = Event::new(
        NOW,
        Channel::Web,
        EventKind::OfferShown {
            offer: "free-shipping-100".into(),
        },
    );
    for (name, event) in [
        ("page_view", view),
        ("product_view", product),
        ("offer_shown", shown),
    ] {
        let mut profile = base.clone();
        group.bench_function(name, |b| {
            b.iter(|| black_box(profile.apply(black_box(&event), NOW)))
        });
    }
    let purchase = |n: u64| {
        Event::new(
            NOW,
            Channel::Store,
            EventKind::Purchase {
                order: format!("pos-{n}"),
                lines: vec![PurchaseLine {
                    product: "sku-9".into(),
                    category: Some("bags".into()),
                    quantity: 1,
                    unit_price: 12_000,
                }]
                .try_into()
                .unwrap(),
                total: 12_000,
            },
        )
    };
    let mut orders = 0u64;
    group.bench_function("purchase", |b| {
        b.iter_batched_ref(
            || {
                orders += 1;
                (base.clone(), purchase(orders))
            },
            |(profile, event)| black_box(profile.apply(event, NOW)),
            BatchSize::SmallInput,
        )
    });
    // The same purchase counted in live cohorts: a mark before, a record after.
    let mut live = CohortCounts::new(CohortKey::Affiliate, 0).unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("purchase, counted in live cohorts", |b| {
        b.iter_batched_ref(
            || {
                orders += 1;
                (base.clone(), purchase(orders))
            },
            |(profile, event)| {
                let before = profile.mark();
                let outcome = profile.apply(event, NOW);
                live.record(before, profile);
                black_box(outcome)
            },
            BatchSize::SmallInput,
        )
    });
    // The updates alone: what one purchase changed, recorded (no event applied in the loop).
    let mut bought = base.clone();
    let before = bought.mark();
    bought
        .apply(&purchase(u64::MAX), NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut kpis = Kpis::new(0).unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("KPI record of a purchase", |b| {
        b.iter(|| kpis.record(black_box(before), black_box(&bought), false))
    });
    group.bench_function("cohort record of a purchase", |b| {
        b.iter(|| live.record(black_box(before), black_box(&bought)))
    });
    group.finish();
}

/// KPIs of 1,000 offers x 10 segments x 48 hourly buckets: their bytes (printed), and the cost
/// of counting one more decision of one pick into them.
fn kpis(c: &mut Criterion) {
    let record = |now: i64, segment: &str, offers: &[&str]| {
        let picks: Vec<_> = offers
            .iter()
            .map(|o| serde_json::json!({"offer": o, "probability": 1.0}))
            .collect();
        let json = serde_json::json!({"catalog_version": "k", "customer": "c", "channel": "web",
            "now": now, "seed": 1, "slots": offers.len(), "segment": segment,
            "control_group": false, "fallback": false, "picks": picks});
        DecisionLog::from_json(&json.to_string()).unwrap_or_else(|e| panic!("{e}"))
    };
    let mut kpis = Kpis::new(0).unwrap_or_else(|e| panic!("{e}"));
    let offers: Vec<String> = (0..1_000).map(|i| format!("offer-{i:04}")).collect();
    for hour in 0..48 {
        for segment in 0..10 {
            for chunk in offers.chunks(16) {
                let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
                kpis.record_decision(&record(
                    NOW + hour * 3_600,
                    &format!("segment-{segment}"),
                    &chunk,
                ))
                .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
    let bytes = kpis.to_bytes().unwrap_or_else(|e| panic!("{e}"));
    println!(
        "KPIs of 1,000 offers x 10 segments x 48 hourly buckets: {} bytes",
        bytes.len()
    );
    let one = record(NOW + 47 * 3_600, "segment-3", &["offer-0500"]);
    let mut group = c.benchmark_group("kpis");
    group.bench_function(
        "count a decision of one pick (1,000 offers x 10 segments x 48 hours)",
        |b| b.iter(|| kpis.record_decision(black_box(&one))),
    );
    group.finish();
}

fn fold_million(c: &mut Criterion) {
    const EVENTS: usize = 1_000_000;
    const CUSTOMERS: usize = 10_000;
    let events = stream(EVENTS, CUSTOMERS);
    let mut group = c.benchmark_group("fold");
    group
        .throughput(Throughput::Elements(EVENTS as u64))
        .sample_size(10);
    group.bench_function("1M events into 10k profiles", |b| {
        b.iter_batched(
            || {
                (0..CUSTOMERS)
                    .map(|i| Profile::known(&format!("c-{i}")).unwrap_or_else(|e| panic!("{e}")))
                    .collect::<Vec<_>>()
            },
            |mut profiles| {
                for (customer, event) in &events {
                    let _ = black_box(profiles[*customer].apply(event, NOW));
                }
                profiles
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn codec(c: &mut Criterion) {
    let profile = typical();
    let bytes = profile.to_bytes().unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "typical profile (examples/events.jsonl cust-1001): {} bytes encoded",
        bytes.len()
    );
    let mut group = c.benchmark_group("codec");
    group.bench_function("encode typical", |b| {
        b.iter(|| black_box(profile.to_bytes()))
    });
    group.bench_function("decode typical", |b| {
        b.iter(|| black_box(Profile::from_bytes(black_box(&bytes))))
    });
    group.finish();
}

criterion_group!(benches, apply_one, fold_million, codec, kpis);
criterion_main!(benches);
