//! Helpers shared by the integration tests.
#![allow(dead_code)]

use shopkeeper::{Channel, Event, EventKind, Money, Profile, PurchaseLine, Timestamp};

/// proptest settings for these tests: `cases` cases; failures are printed (with the minimal input)
/// and turned into plain regression tests by hand, not persisted to files.
pub fn config(cases: u32) -> proptest::prelude::ProptestConfig {
    proptest::prelude::ProptestConfig {
        cases,
        failure_persistence: None,
        ..Default::default()
    }
}

pub const NOW: Timestamp = 1_732_406_400; // 2024-11-24T00:00:00Z

pub fn ev(at: Timestamp, kind: EventKind) -> Event {
    Event::new(at, Channel::Web, kind)
}

pub fn on(channel: Channel, at: Timestamp, kind: EventKind) -> Event {
    Event::new(at, channel, kind)
}

pub fn add(product: &str, quantity: u32, unit_price: Money) -> EventKind {
    EventKind::CartAdd {
        product: product.into(),
        category: Some("shoes".into()),
        quantity,
        unit_price,
    }
}

pub fn purchase(order: &str, total: Money, lines: &[(&str, &str, u32, Money)]) -> EventKind {
    EventKind::Purchase {
        order: order.into(),
        lines: lines
            .iter()
            .map(|&(product, category, quantity, unit_price)| PurchaseLine {
                product: product.into(),
                category: Some(category.into()),
                quantity,
                unit_price,
            })
            .collect::<Vec<_>>()
            .try_into()
            .unwrap(),
        total,
    }
}

pub fn shown(offer: &str) -> EventKind {
    EventKind::OfferShown {
        offer: offer.into(),
    }
}

/// A profile with a little of everything, for tests that need a non-trivial starting point.
pub fn typical() -> Profile {
    let mut p = Profile::known("cust-42").unwrap();
    let t = NOW - 3_600;
    let events = [
        ev(
            t,
            EventKind::SessionStart {
                referrer: Some("gadgets.com".into()),
                affiliate: None,
            },
        ),
        ev(
            t + 10,
            EventKind::ProductView {
                product: "sku-1".into(),
                category: Some("shoes".into()),
            },
        ),
        ev(t + 20, add("sku-1", 1, 4_999)),
        ev(t + 30, shown("free-shipping")),
        on(
            Channel::Store,
            t - 86_400 * 30,
            purchase("pos-1", 12_000, &[("sku-9", "bags", 1, 12_000)]),
        ),
        ev(
            t + 40,
            EventKind::AttributeSet {
                name: "tier".into(),
                value: Some(shopkeeper::AttrValue::Text("gold".into())),
            },
        ),
    ];
    for e in &events {
        p.apply(e, NOW).unwrap();
    }
    p
}

pub mod arb {
    //! proptest strategies: events for one customer over a small pool of products, offers and
    //! attributes (so the caps are not reached), and hostile variations.
    use super::NOW;
    use proptest::prelude::*;
    use shopkeeper::{
        AttrValue, Channel, ConsentPurpose, Direction, Event, EventKind, PurchaseLine,
    };

    pub fn channel() -> impl Strategy<Value = Channel> {
        proptest::sample::select(Channel::ALL.to_vec())
    }

    fn name(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::sample::select(pool).prop_map(String::from)
    }

    fn category() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(name(&["shoes", "bags", "hats", "socks"]))
    }

    fn product() -> impl Strategy<Value = String> {
        name(&["p1", "p2", "p3", "p4", "p5", "p6"])
    }

    /// Any kind of event; `order` makes purchase ids unique per generated event.
    pub fn kind(order: usize) -> impl Strategy<Value = EventKind> {
        let offer = || name(&["o1", "o2", "o3", "o4"]);
        prop_oneof![
            (
                proptest::option::of(name(&["a.com", "b.com"])),
                proptest::option::of(name(&["aff"]))
            )
                .prop_map(|(referrer, affiliate)| EventKind::SessionStart {
                    referrer,
                    affiliate
                }),
            proptest::option::of(name(&["home", "search"]))
                .prop_map(|page| EventKind::PageView { page }),
            (product(), category())
                .prop_map(|(product, category)| EventKind::ProductView { product, category }),
            (product(), category(), 1u32..4, 0i64..10_000).prop_map(
                |(product, category, quantity, unit_price)| {
                    EventKind::CartAdd {
                        product,
                        category,
                        quantity,
                        unit_price,
                    }
                }
            ),
            (product(), proptest::option::of(1u32..3))
                .prop_map(|(product, quantity)| EventKind::CartRemove { product, quantity }),
            Just(EventKind::CartClear {}),
            (
                proptest::collection::vec((product(), category(), 1u32..3, 0i64..5_000), 0..4),
                0i64..20_000
            )
                .prop_map(move |(lines, total)| EventKind::Purchase {
                    order: format!("order-{order}"),
                    lines: lines
                        .into_iter()
                        .map(|(product, category, quantity, unit_price)| PurchaseLine {
                            product,
                            category,
                            quantity,
                            unit_price
                        })
                        .collect::<Vec<_>>()
                        .try_into()
                        .unwrap(),
                    total,
                }),
            offer().prop_map(|offer| EventKind::OfferShown { offer }),
            offer().prop_map(|offer| EventKind::OfferAccepted { offer }),
            offer().prop_map(|offer| EventKind::OfferDismissed { offer }),
            Just(EventKind::Identify {
                customer: "cust-1".into()
            }),
            Just(EventKind::ServiceContact { reason: None }),
            Just(EventKind::Complaint {
                reason: Some("late delivery".into())
            }),
            (name(&["tier", "store", "vip"]), 0u8..4).prop_map(|(name, v)| {
                EventKind::AttributeSet {
                    name,
                    value: match v {
                        0 => None,
                        1 => Some(AttrValue::Bool(true)),
                        2 => Some(AttrValue::Text("gold".into())),
                        _ => Some(AttrValue::Text("silver".into())),
                    },
                }
            }),
            (proptest::bool::ANY, proptest::bool::weighted(0.8)).prop_map(|(personal, granted)| {
                EventKind::ConsentChange {
                    purpose: if personal {
                        ConsentPurpose::Personalization
                    } else {
                        ConsentPurpose::Marketing
                    },
                    granted,
                }
            }),
            (
                proptest::bool::weighted(0.8),
                proptest::option::of(-1000i32..=1000),
                proptest::collection::vec(name(&["cancel", "delivery", "refund"]), 0..3),
                proptest::option::of(1u8..=5),
            )
                .prop_map(|(inbound, sentiment, intents, rating)| EventKind::Message {
                    direction: if inbound {
                        Direction::Inbound
                    } else {
                        Direction::Outbound
                    },
                    text: None,
                    sentiment: sentiment.map(|s| f64::from(s) / 1000.0),
                    intents: intents.try_into().unwrap(),
                    product: None,
                    rating,
                }),
        ]
    }

    /// A stream of events in the 30 days before [`NOW`], in any order.
    pub fn events(max: usize) -> impl Strategy<Value = Vec<Event>> {
        proptest::collection::vec((0i64..30 * 86_400, channel()), 0..max).prop_flat_map(|stamps| {
            stamps
                .into_iter()
                .enumerate()
                .map(|(i, (ago, channel))| {
                    kind(i).prop_map(move |kind| Event::new(NOW - ago, channel, kind))
                })
                .collect::<Vec<_>>()
        })
    }
}

/// Folds `events` into a new profile (`id` is known when it starts with `cust`), skipping rejected ones.
pub fn fold(id: &str, events: &[Event]) -> Profile {
    let mut p = Profile::new(id, id.starts_with("cust")).unwrap();
    for e in events {
        let _ = p.apply(e, NOW);
    }
    p
}

/// The data directory, or `None` (with a message saying how to get it) when it is not set up and
/// not required. `cargo xtask test` sets `SHOPKEEPER_REQUIRE_DATA`, so there a missing file fails.
pub fn data_file(name: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("SHOPKEEPER_DATA");
    let required = std::env::var_os("SHOPKEEPER_REQUIRE_DATA").is_some();
    let path = dir.map(|d| std::path::PathBuf::from(d).join(name));
    match path {
        Some(p) if p.is_file() => Some(p),
        _ if required => panic!(
            "{name} is missing: run `cargo xtask data` (downloads lifetimes==0.11.3 and obp==0.4.1 with pip)"
        ),
        _ => {
            eprintln!("SKIPPED: {name} not found; run `cargo xtask data` and set SHOPKEEPER_DATA=$PWD/target/data");
            None
        }
    }
}
