//! Live cohort counts: what counts (a visitor once, a first purchase once, orders and revenue),
//! merging by adding (commutative, associative, and a fleet's merge equal to one node that saw
//! every event: property-tested), the shrunk conversion, bounds and hostile bytes, and decisions
//! that read `cohort.visitors` and `cohort.conversion`.

mod common;

use common::config;
use proptest::prelude::*;
use serde_json::json;
use shopkeeper::decide::{Catalog, Engine, Live, Request};
use shopkeeper::learn::{CohortCounts, SourceCounts, OTHER_SOURCES};
use shopkeeper::limits::MAX_LIVE_COHORTS;
use shopkeeper::rules::Context;
use shopkeeper::score::{CohortKey, Models};
use shopkeeper::{Channel, ErrorCode, Event, Profile};

const NOW: i64 = 1_795_500_000;

fn event(json: serde_json::Value) -> Event {
    Event::from_json(&json.to_string()).unwrap()
}

fn session(at: i64, affiliate: &str) -> Event {
    event(json!({"type": "session_start", "at": at, "channel": "web", "affiliate": affiliate}))
}

fn purchase(at: i64, order: &str, total: i64) -> Event {
    event(
        json!({"type": "purchase", "at": at, "channel": "web", "order": order, "total": total,
                 "lines": [{"product": "tent", "quantity": 1, "unit_price": total}]}),
    )
}

/// Applies `event` to `profile`, counting what changed.
fn apply(counts: &mut CohortCounts, profile: &mut Profile, event: &Event) {
    let before = profile.mark();
    profile.apply(event, NOW + 86_400).unwrap();
    counts.record(before, profile);
}

fn counts(visitors: u64, first_purchases: u64, orders: u64, revenue: i64) -> SourceCounts {
    SourceCounts {
        visitors,
        first_purchases,
        orders,
        revenue,
    }
}

#[test]
fn a_visitor_counts_once_and_a_first_purchase_once() {
    let mut live = CohortCounts::new(CohortKey::Affiliate, 0).unwrap();
    let mut p = Profile::anonymous("v1").unwrap();
    // A purchase before any session has no source: nothing counts.
    apply(&mut live, &mut p, &purchase(NOW - 100, "o0", 500));
    assert!(live.is_empty());
    let mut q = Profile::anonymous("v2").unwrap();
    for e in [
        session(NOW, "gadgets.com"),
        session(NOW + 3_600, "other.example"),
        purchase(NOW + 3_700, "o1", 4_000),
        purchase(NOW + 3_800, "o1", 4_000), // delivered twice: ignored
        purchase(NOW + 3_900, "o2", 1_000),
    ] {
        apply(&mut live, &mut q, &e);
    }
    assert_eq!(live.source("gadgets.com"), counts(1, 1, 2, 5_000));
    assert_eq!(
        live.source("other.example"),
        SourceCounts::default(),
        "a later session's source does not count: the first session names the cohort"
    );
    assert_eq!(live.population(), counts(1, 1, 2, 5_000));
    // The till-only customer's first session makes them a visitor, with no first purchase.
    let plain = event(json!({"type": "session_start", "at": NOW + 10, "channel": "web"}));
    apply(&mut live, &mut p, &plain);
    assert_eq!(live.source("(none)"), counts(1, 0, 0, 0));
}

#[test]
fn conversion_is_pulled_toward_the_population() {
    let mut live = CohortCounts::new(CohortKey::Affiliate, 0).unwrap();
    assert_eq!(live.conversion("gadgets.com", 20.0), None, "no visitor yet");
    // 4 visitors from gadgets.com, 3 buy; 16 from elsewhere, 1 buys.
    for i in 0..20 {
        let mut p = Profile::anonymous(&format!("v{i}")).unwrap();
        let source = if i < 4 { "gadgets.com" } else { "search" };
        apply(&mut live, &mut p, &session(NOW + i, source));
        if i < 3 || i == 4 {
            apply(&mut live, &mut p, &purchase(NOW + 100 + i, "o", 1_000));
        }
    }
    // By hand: p = 4/20 = 0.2; (3 + 20 · 0.2) / (4 + 20) = 7/24.
    let got = live.conversion("gadgets.com", 20.0).unwrap();
    assert!((got - 7.0 / 24.0).abs() < 1e-15, "{got}");
    // A source never seen converts like the population.
    assert!((live.conversion("new.example", 20.0).unwrap() - 0.2).abs() < 1e-15);
    for prior in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(live.conversion("gadgets.com", prior), None);
    }
}

/// Counts with one visitor from each of `sources`.
fn visited(sources: impl IntoIterator<Item = String>) -> CohortCounts {
    let mut live = CohortCounts::new(CohortKey::Affiliate, 0).unwrap();
    for source in sources {
        let mut p = Profile::anonymous("v").unwrap();
        apply(&mut live, &mut p, &session(NOW, &source));
    }
    live
}

#[test]
fn sources_past_the_cap_count_as_other_and_merges_past_it_fail() {
    let mut live = visited((0..=MAX_LIVE_COHORTS).map(|i| format!("s{i}")));
    assert_eq!(
        live.len(),
        MAX_LIVE_COHORTS,
        "9,999 named sources and (other)"
    );
    assert_eq!(live.source(OTHER_SOURCES).visitors, 2, "nothing is lost");
    assert_eq!(live.population().visitors, MAX_LIVE_COHORTS as u64 + 1);
    let full = CohortCounts::from_bytes(&live.to_bytes().unwrap()).unwrap();
    assert_eq!(full, live, "full counts still read");
    let other = visited(["brand-new".to_string()]);
    let before = live.clone();
    assert_eq!(
        live.merge(&other).unwrap_err().code(),
        ErrorCode::LimitExceeded
    );
    assert_eq!(live, before, "a failed merge changes nothing");
    let by_referrer = CohortCounts::new(CohortKey::Referrer, 0).unwrap();
    assert_eq!(
        live.merge(&by_referrer).unwrap_err().code(),
        ErrorCode::InvalidData
    );
    let later = CohortCounts::new(CohortKey::Affiliate, NOW).unwrap();
    assert_eq!(
        live.merge(&later).unwrap_err().code(),
        ErrorCode::InvalidData,
        "counts since another time follow other visitors"
    );
    assert_eq!(live, before);
    // Two halves that fill the table exactly merge; one more named source does not, and a
    // recorded visitor from a new source then goes to (other): the bytes still read.
    let half = MAX_LIVE_COHORTS / 2;
    let mut a = visited((0..half).map(|i| format!("a{i}")));
    let b = visited((0..half - 1).map(|i| format!("b{i}")));
    a.merge(&b).unwrap();
    assert_eq!(a.len(), MAX_LIVE_COHORTS - 1);
    assert_eq!(
        a.clone().merge(&other).unwrap_err().code(),
        ErrorCode::LimitExceeded
    );
    let mut p = Profile::anonymous("late").unwrap();
    apply(&mut a, &mut p, &session(NOW, "c0"));
    assert_eq!(a.source(OTHER_SOURCES).visitors, 1);
    assert_eq!(CohortCounts::from_bytes(&a.to_bytes().unwrap()).unwrap(), a);
}

#[test]
fn counts_follow_the_visitors_who_arrived_since() {
    let mut live = CohortCounts::new(CohortKey::Affiliate, NOW).unwrap();
    let mut old = Profile::anonymous("old").unwrap();
    let mut new = Profile::anonymous("new").unwrap();
    apply(&mut live, &mut old, &session(NOW - 86_400, "gadgets.com"));
    apply(&mut live, &mut new, &session(NOW, "gadgets.com"));
    // The customer who first came yesterday buys for the first time: not this cohort's.
    apply(&mut live, &mut old, &purchase(NOW + 10, "o1", 1_000));
    apply(&mut live, &mut new, &purchase(NOW + 20, "o2", 3_000));
    assert_eq!(live.source("gadgets.com"), counts(1, 1, 1, 3_000));
    assert_eq!(live.since(), NOW);
    assert_eq!(
        CohortCounts::new(CohortKey::Affiliate, -1)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidRequest
    );
}

#[test]
fn a_source_name_is_bounded_even_when_lower_case_grows_it() {
    // 'İ' is 2 bytes and lower-cases to 3: a 256-byte referrer would make a 384-byte host.
    let referrer = "İ".repeat(128);
    let mut live = CohortCounts::new(CohortKey::Referrer, 0).unwrap();
    let mut p = Profile::anonymous("v").unwrap();
    let referred = event(json!({"type": "session_start", "at": NOW, "channel": "web",
                                "referrer": referrer}));
    apply(&mut live, &mut p, &referred);
    let (name, _) = live.sources().next().unwrap();
    assert!(name.len() <= 256 && name.starts_with("i\u{307}"), "{name}");
    assert_eq!(
        CohortCounts::from_bytes(&live.to_bytes().unwrap()).unwrap(),
        live
    );
}

#[test]
fn bytes_round_trip_and_hostile_bytes_are_rejected() {
    let mut live = CohortCounts::new(CohortKey::Referrer, 0).unwrap();
    let mut p = Profile::anonymous("v").unwrap();
    let referred = event(json!({"type": "session_start", "at": NOW, "channel": "web",
                                "referrer": "https://www.Gadgets.com/tents"}));
    apply(&mut live, &mut p, &referred);
    apply(&mut live, &mut p, &purchase(NOW + 5, "o", 2_500));
    let bytes = live.to_bytes().unwrap();
    assert_eq!(CohortCounts::from_bytes(&bytes).unwrap(), live);
    assert_eq!(
        live.to_json().unwrap(),
        r#"{"by":"referrer","since":0,"sources":{"gadgets.com":{"visitors":1,"first_purchases":1,"orders":1,"revenue":2500}}}"#
    );
    // Every truncation is an error, never a panic.
    for len in 0..bytes.len() {
        assert!(CohortCounts::from_bytes(&bytes[..len]).is_err());
    }
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        CohortCounts::from_bytes(&trailing).unwrap_err().code(),
        ErrorCode::DecodeTrailingBytes
    );
    // Layout: magic (4), version (2), by (1), since (1), sources (1), then the source's name
    // and counts.
    let name_at = 9;
    assert_eq!(bytes[name_at], 11, "the length of gadgets.com");
    let revenue_at = bytes.len() - 2; // 2500 as a zigzag varint takes 2 bytes
    let mut negative = bytes.clone();
    negative[revenue_at..].copy_from_slice(&[0xC7, 0x27]); // zigzag of -2500
    assert_eq!(
        CohortCounts::from_bytes(&negative).unwrap_err().code(),
        ErrorCode::DecodeInvalid
    );
    let mut twice = bytes[..8].to_vec();
    twice.push(2);
    twice.extend_from_slice(&bytes[9..]);
    twice.extend_from_slice(&bytes[9..]);
    assert_eq!(
        CohortCounts::from_bytes(&twice).unwrap_err().code(),
        ErrorCode::DecodeInvalid
    );
}

/// A node's events: visitors `v`, each from source 0-3, buying 0-2 times.
type Visits = Vec<(u8, u8)>;

fn node(visits: &Visits, node: usize) -> CohortCounts {
    let mut live = CohortCounts::new(CohortKey::Affiliate, 0).unwrap();
    record(&mut live, visits, node);
    live
}

fn record(live: &mut CohortCounts, visits: &Visits, node: usize) {
    for (i, &(source, orders)) in visits.iter().enumerate() {
        let mut p = Profile::anonymous(&format!("n{node}-{i}")).unwrap();
        apply(
            live,
            &mut p,
            &session(NOW + i as i64, &format!("s{source}")),
        );
        for k in 0..orders {
            let at = NOW + 1_000 + i64::from(k);
            apply(
                live,
                &mut p,
                &purchase(at, &format!("o{k}"), 100 * i64::from(k + 1)),
            );
        }
    }
}

fn visits() -> impl Strategy<Value = Visits> {
    prop::collection::vec((0u8..4, 0u8..3), 0..12)
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn merge_is_commutative_and_associative(a in visits(), b in visits(), c in visits()) {
        let (a, b, c) = (node(&a, 0), node(&b, 1), node(&c, 2));
        let mut ab = a.clone();
        ab.merge(&b).unwrap();
        let mut ba = b.clone();
        ba.merge(&a).unwrap();
        prop_assert_eq!(&ab, &ba);
        let mut ab_c = ab;
        ab_c.merge(&c).unwrap();
        let mut bc = b;
        bc.merge(&c).unwrap();
        let mut a_bc = a;
        a_bc.merge(&bc).unwrap();
        prop_assert_eq!(&ab_c, &a_bc);
    }

    #[test]
    fn a_fleet_counts_what_one_node_would(a in visits(), b in visits()) {
        let mut fleet = node(&a, 0);
        fleet.merge(&node(&b, 1)).unwrap();
        let mut one = CohortCounts::new(CohortKey::Affiliate, 0).unwrap();
        record(&mut one, &a, 0);
        record(&mut one, &b, 1);
        prop_assert_eq!(&fleet, &one);
        let sum = fleet.sources().fold(SourceCounts::default(), |mut t, (_, c)| {
            t.visitors += c.visitors;
            t.first_purchases += c.first_purchases;
            t.orders += c.orders;
            t.revenue += c.revenue;
            t
        });
        prop_assert_eq!(sum, fleet.population());
        prop_assert_eq!(CohortCounts::from_bytes(&fleet.to_bytes().unwrap()).unwrap(), fleet);
    }
}

#[test]
fn decisions_read_live_cohorts() {
    let catalog = json!({
        "version": "live", "default": {"id": "fallback"},
        "offers": [{"id": "welcome-10", "value": 10,
                    "applicability": "cohort.visitors >= 2 and cohort.conversion >= 0.3"}]
    });
    let engine = Engine::new(
        Catalog::compile(&catalog.to_string(), NOW).unwrap(),
        Models::default(),
    )
    .unwrap();
    let mut live = CohortCounts::new(CohortKey::Affiliate, 0).unwrap();
    let mut visitor = Profile::anonymous("new").unwrap();
    apply(&mut live, &mut visitor, &session(NOW, "gadgets.com"));
    let context = Context::new(engine.catalog().schema());
    let request = Request::new(Channel::Web, NOW + 60).explain(true);
    let pick = |live: &CohortCounts| {
        let state = Live {
            cohorts: Some(live),
            ..Live::default()
        };
        let d = engine
            .decide_live(&visitor, &context, &request, state)
            .unwrap();
        d.picks()[0].action.id().to_owned()
    };
    assert_eq!(pick(&live), "fallback", "one visitor so far");
    for i in 0..3 {
        let mut p = Profile::anonymous(&format!("b{i}")).unwrap();
        apply(&mut live, &mut p, &session(NOW + i, "gadgets.com"));
        apply(&mut live, &mut p, &purchase(NOW + 10 + i, "o", 9_000));
    }
    assert_eq!(pick(&live), "welcome-10", "3 of 4 visitors bought");
    // Without counts the paths are missing, and the offer does not apply.
    let d = engine.decide(&visitor, &context, &request).unwrap();
    assert_eq!(d.picks()[0].action.id(), "fallback");
    // Counts by another key than the models' cohorts are refused.
    let fitted = shopkeeper::score::Cohorts::fit(
        CohortKey::Referrer,
        20.0,
        [("gadgets.com", true, 10.0, Some(20.0))],
    )
    .unwrap();
    let mut models = Models::default();
    models.cohorts = Some(fitted);
    let by_referrer =
        Engine::new(Catalog::compile(&catalog.to_string(), NOW).unwrap(), models).unwrap();
    let state = Live {
        cohorts: Some(&live),
        ..Live::default()
    };
    let err = by_referrer
        .decide_live(&visitor, &context, &request, state)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidData);
}
