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
use serde_json::json;
use shopkeeper::decide::{Catalog, Engine, Request};
use shopkeeper::learn::{Learner, Response};
use shopkeeper::rules::{Context, Value};
use shopkeeper::score::Models;
use shopkeeper::{Channel, Event, EventKind, Profile, PurchaseLine, Timestamp};

const NOW: Timestamp = 1_795_000_000;
const DAY: i64 = 86_400;
const SIZES: [usize; 4] = [10, 100, 1_000, 2_500];

/// The rules of offer `i`: a rotation of the kinds of conditions marketers write.
fn offer(i: usize, adaptive: bool) -> serde_json::Value {
    let category = format!("cat-{}", i % 40);
    let eligibility = match i % 6 {
        0 => format!("customer.known and customer.orders >= {}", i % 5),
        1 => "not customer.known".to_string(),
        2 => format!("\"{category}\" in customer.viewed_categories"),
        3 => format!(
            "customer.spend >= {} and days_since(customer.last_purchase) <= 90",
            i % 300
        ),
        4 => format!(
            "customer.attr.tier in [\"gold\", \"silver\"] and count_viewed(\"{category}\") >= 1"
        ),
        _ => "session.referrer == \"partner.example\" or customer.complaints == 0".to_string(),
    };
    let applicability = match i % 4 {
        0 => format!("cart.value >= {}", 20 + i % 200),
        1 => format!("in_cart(\"{category}\") or context.page_type == \"product\""),
        2 => "context.page_type in [\"home\", \"cart\", \"product\"]".to_string(),
        _ => "cart.lines >= 1".to_string(),
    };
    let channels = match i % 3 {
        0 => json!(["web"]),
        1 => json!(["web", "mobile"]),
        _ => json!(["mobile", "store"]),
    };
    json!({
        "id": format!("offer-{i}"),
        "title": format!("Offer {i}"),
        "channels": channels,
        "eligibility": eligibility,
        "applicability": applicability,
        "suitability": "not has(customer.last_complaint) or days_since(customer.last_complaint) >= 14",
        "value": if i.is_multiple_of(5) { json!("cart.value * 0.05 + 1") } else { json!(1 + (i * 7) % 50) },
        "lever": 1.0 + (i % 3) as f64 * 0.25,
        "group": if i.is_multiple_of(10) { json!(format!("group-{}", i % 7)) } else { json!(null) },
        "propensity": if adaptive { json!({"adaptive": {"prior": [1, 9]}}) } else { json!({"fixed": 0.01 + (i % 97) as f64 / 100.0}) },
        "contact": {"max_shows": 3, "window": "7d", "cooldown_after_dismiss": "3d", "stop_after_accept": i.is_multiple_of(2)},
        "payload": {"banner": format!("/banners/{i}.png")}
    })
}

fn engine(offers: usize, adaptive: bool) -> Engine {
    let catalog = json!({
        "learning": {"segment": "customer.attr.tier", "half_life": "14d"},
        "version": format!("bench-{offers}"),
        "attributes": {"tier": "string"},
        "context": {"page_type": "string"},
        "context_weights": [{"when": "context.page_type == \"cart\"", "weight": 1.5}],
        "contact_policy": {"web": {"max_shows": 16, "window": "1d"}},
        "control_group": {"share": 0.05, "salt": "bench"},
        "default": {"id": "newsletter", "kind": "content"},
        "offers": (0..offers).map(|i| offer(i, adaptive)).collect::<Vec<_>>()
    });
    let catalog = Catalog::compile(&catalog.to_string(), NOW).unwrap();
    Engine::new(catalog, Models::default()).unwrap()
}

/// The engine of `offers` offers and a request context on the cart page.
fn engine_on_the_cart_page(offers: usize, adaptive: bool) -> (Engine, Context) {
    let engine = engine(offers, adaptive);
    let schema = engine.catalog().schema();
    let mut context = Context::new(schema);
    context
        .set(schema, "page_type", Value::String("cart".into()))
        .unwrap();
    (engine, context)
}

/// A known customer (not in the control group) with orders, views, a cart, and offer history.
fn profile() -> Profile {
    let mut p = Profile::known("customer-7").unwrap();
    let mut apply = |at: Timestamp, kind: EventKind| {
        p.apply(&Event::new(at, Channel::Web, kind), NOW).unwrap();
    };
    apply(
        NOW - 400 * DAY,
        EventKind::AttributeSet {
            name: "tier".into(),
            value: Some(shopkeeper::AttrValue::Text("gold".into())),
        },
    );
    for k in 0..5 {
        apply(
            NOW - (200 - 30 * k) * DAY,
            EventKind::Purchase {
                order: format!("o{k}"),
                lines: vec![PurchaseLine {
                    product: format!("sku-{k}"),
                    category: Some(format!("cat-{k}")),
                    quantity: 1,
                    unit_price: 4_500,
                }],
                total: 4_500,
            },
        );
    }
    apply(
        NOW - 600,
        EventKind::SessionStart {
            referrer: Some("partner.example".into()),
            affiliate: None,
        },
    );
    for k in 0..12 {
        apply(
            NOW - 500 + k,
            EventKind::ProductView {
                product: format!("sku-{k}"),
                category: Some(format!("cat-{}", k * 3)),
            },
        );
    }
    for k in 0..3 {
        apply(
            NOW - 100 + k,
            EventKind::CartAdd {
                product: format!("sku-{k}"),
                category: Some(format!("cat-{k}")),
                quantity: 1,
                unit_price: 3_000,
            },
        );
    }
    for k in 0..10 {
        let offer = format!("offer-{}", k * 7);
        apply(
            NOW - 50 + k,
            EventKind::OfferShown {
                offer: offer.clone(),
            },
        );
        if k % 3 == 0 {
            apply(NOW - 40 + k, EventKind::OfferDismissed { offer });
        }
    }
    p
}

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
