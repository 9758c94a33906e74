//! The generated catalogs and the benchmark customer that the decision benchmarks share
//! (`decide.rs`, and `ffi.rs` through the C API).

use serde_json::json;
use shopkeeper::decide::{Catalog, Engine};
use shopkeeper::rules::{Context, Value};
use shopkeeper::score::Models;
use shopkeeper::{Channel, Event, EventKind, Profile, PurchaseLine, Timestamp};

pub const NOW: Timestamp = 1_795_000_000;
pub const DAY: i64 = 86_400;

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

/// The catalog of `offers` generated offers, as JSON text.
pub fn catalog_json(offers: usize, adaptive: bool) -> String {
    json!({
        "learning": {"segment": "customer.attr.tier", "half_life": "14d"},
        "version": format!("bench-{offers}"),
        "attributes": {"tier": "string"},
        "context": {"page_type": "string"},
        "context_weights": [{"when": "context.page_type == \"cart\"", "weight": 1.5}],
        "contact_policy": {"web": {"max_shows": 16, "window": "1d"}},
        "control_group": {"share": 0.05, "salt": "bench"},
        "default": {"id": "newsletter", "kind": "content"},
        "offers": (0..offers).map(|i| offer(i, adaptive)).collect::<Vec<_>>()
    })
    .to_string()
}

/// The engine of `catalog_json` (fixed propensities) with a budget of 100 accepts a day on every
/// offer, and its counters at [`NOW`]: one offer in 20 has spent its budget, one in 10 runs half a
/// lead ahead of the even plan (throttled with probability 1/2), the rest have spent nothing.
pub fn budgeted(offers: usize) -> (Engine, shopkeeper::budget::Budgets) {
    let mut catalog: serde_json::Value =
        serde_json::from_str(&catalog_json(offers, false)).unwrap();
    for offer in catalog["offers"].as_array_mut().unwrap() {
        offer["budget"] = json!({"max_accepts": 100, "per": "1d"});
    }
    let catalog = Catalog::compile(&catalog.to_string(), NOW).unwrap();
    let engine = Engine::new(catalog, Models::default()).unwrap();
    let mut budgets = shopkeeper::budget::Budgets::new();
    let pacing = engine.catalog().pacing();
    for (i, offer) in engine.catalog().offers().enumerate() {
        let budget = offer.budget().unwrap();
        let spent = match i % 20 {
            0 => 100,
            5 | 15 => {
                let pace = pacing.pace(budget, 0, NOW);
                (pace.allowed - 100.0 / 24.0 / 2.0).ceil() as u64
            }
            _ => 0,
        };
        for _ in 0..spent {
            let kind = EventKind::OfferAccepted {
                offer: offer.action().id().into(),
            };
            budgets
                .record(engine.catalog(), &Event::new(NOW - 1, Channel::Web, kind))
                .unwrap();
        }
    }
    (engine, budgets)
}

/// The engine of `catalog_json`, without models.
pub fn engine(offers: usize, adaptive: bool) -> Engine {
    let catalog = Catalog::compile(&catalog_json(offers, adaptive), NOW).unwrap();
    Engine::new(catalog, Models::default()).unwrap()
}

/// The engine of `offers` offers and a request context on the cart page.
pub fn engine_on_the_cart_page(offers: usize, adaptive: bool) -> (Engine, Context) {
    let engine = engine(offers, adaptive);
    let schema = engine.catalog().schema();
    let mut context = Context::new(schema);
    context
        .set(schema, "page_type", Value::String("cart".into()))
        .unwrap();
    (engine, context)
}

/// A known customer (not in the control group) with orders, views, a cart, and offer history.
pub fn profile() -> Profile {
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
                }]
                .try_into()
                .unwrap(),
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

/// A learner with 20 responses (1 in 5 accepted) for every offer of `engine` in 10 segments (the
/// benchmark customer's is "gold").
pub fn trained(engine: &Engine) -> shopkeeper::learn::Learner {
    use shopkeeper::learn::Response;
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
                    .update(offer.action().id(), segment, response, NOW - DAY + k as i64)
                    .unwrap();
            }
        }
    }
    learner
}

/// 20 predictors over the customer, the cart, the session and the context: numbers binned by
/// thresholds or by their power of two, strings, booleans and lists.
pub fn predictors() -> serde_json::Value {
    json!([
        {"name": "spend", "value": "customer.spend", "bins": [50, 200, 1000]},
        {"name": "orders", "value": "customer.orders"},
        {"name": "known", "value": "customer.known"},
        {"name": "tier", "value": "customer.attr.tier"},
        {"name": "page", "value": "context.page_type"},
        {"name": "viewed", "value": "customer.viewed_categories"},
        {"name": "cart", "value": "cart.categories"},
        {"name": "cart_value", "value": "cart.value", "bins": [20, 50, 100, 250]},
        {"name": "quantity", "value": "cart.quantity"},
        {"name": "aov", "value": "customer.avg_order_value", "bins": [25, 75, 150]},
        {"name": "views", "value": "customer.views"},
        {"name": "bought", "value": "customer.purchased_categories"},
        {"name": "consent", "value": "customer.marketing_consent"},
        {"name": "complaints", "value": "customer.complaints"},
        {"name": "page_views", "value": "session.page_views"},
        {"name": "channel", "value": "session.channel"},
        {"name": "first_channel", "value": "customer.first_channel"},
        {"name": "recency", "value": "now - customer.last_seen", "bins": [3600, 86400, 604800]},
        {"name": "lines", "value": "cart.lines"},
        {"name": "messages", "value": "customer.messages"}
    ])
}

/// The engine of `catalog_json(offers, true)` with [`predictors`], and a context on the cart page.
pub fn engine_with_predictors(offers: usize) -> (Engine, Context) {
    let mut catalog: serde_json::Value = serde_json::from_str(&catalog_json(offers, true)).unwrap();
    catalog["learning"]["predictors"] = predictors();
    let catalog = Catalog::compile(&catalog.to_string(), NOW).unwrap();
    let engine = Engine::new(catalog, Models::default()).unwrap();
    let schema = engine.catalog().schema();
    let mut context = Context::new(schema);
    context
        .set(schema, "page_type", Value::String("cart".into()))
        .unwrap();
    (engine, context)
}

/// A learner of `engine` (with predictors) trained as [`trained`] is, each response in the
/// bins of one of 10 customers: the benchmark customer's (in `context`) and 9 others that
/// differ in half of the predictors.
pub fn trained_with_predictors(engine: &Engine, context: &Context) -> shopkeeper::learn::Learner {
    use shopkeeper::learn::Response;
    let mut learner = engine.catalog().new_learner().unwrap();
    let names: Vec<String> = predictors()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    // The benchmark customer's bins, from a decision's record.
    let request = shopkeeper::decide::Request::new(Channel::Web, NOW).log(true);
    let own = engine
        .decide_with(&profile(), context, &request, &learner)
        .unwrap()
        .predictors();
    for (i, offer) in engine.catalog().offers().enumerate() {
        for customer in 0..10 {
            let bins: Vec<String> = names
                .iter()
                .enumerate()
                .map(
                    |(j, name)| match own.iter().find(|b| b.starts_with(&format!("{name}="))) {
                        Some(bin) if customer == 0 || j % 2 == 0 => bin.clone(),
                        // A number's bins are intervals: the other customers' too.
                        Some(bin) if bin.contains(",") => {
                            format!("{name}=[{},{})", 1_000 + customer, 1_001 + customer)
                        }
                        _ => format!("{name}=other-{customer}"),
                    },
                )
                .collect();
            let bins: Vec<&str> = bins.iter().map(String::as_str).collect();
            for k in 0..20 {
                let response = if (i + k + customer) % 5 == 0 {
                    Response::Accepted
                } else {
                    Response::Dismissed
                };
                learner
                    .update_with(
                        offer.action().id(),
                        "gold",
                        &bins,
                        response,
                        NOW - DAY + k as i64,
                    )
                    .unwrap();
            }
        }
    }
    learner
}
