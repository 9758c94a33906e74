//! Live KPIs of the treatment arm and the control group: what counts (a customer once, with the
//! purchases their profile knows; revenue squared per customer), merging by adding (commutative,
//! associative, a fleet equal to one node: property-tested), the arm from the catalog's control
//! group, and hostile bytes.

mod common;

use common::config;
use proptest::prelude::*;
use serde_json::json;
use shopkeeper::decide::{Catalog, Engine};
use shopkeeper::kpi::{ArmCounts, Kpis, Verdict};
use shopkeeper::score::Models;
use shopkeeper::{ErrorCode, Event, Profile};

const NOW: i64 = 1_795_500_000;

fn event(json: serde_json::Value) -> Event {
    Event::from_json(&json.to_string()).unwrap()
}

fn session(at: i64) -> Event {
    event(json!({"type": "session_start", "at": at, "channel": "web"}))
}

fn purchase(at: i64, order: &str, total: i64) -> Event {
    event(
        json!({"type": "purchase", "at": at, "channel": "web", "order": order, "total": total,
                 "lines": [{"product": "tent", "quantity": 1, "unit_price": total}]}),
    )
}

fn apply(kpis: &mut Kpis, profile: &mut Profile, event: &Event, control: bool) {
    let before = profile.mark();
    let _ = profile.apply(event, NOW + 86_400);
    kpis.record(before, profile, control);
}

#[test]
fn a_customer_counts_once_with_what_they_bought() {
    let mut kpis = Kpis::new(NOW).unwrap();
    // A till customer who bought 30.00 before their first web session, then 20.00 more.
    let mut till = Profile::known("till").unwrap();
    apply(
        &mut kpis,
        &mut till,
        &purchase(NOW - 100, "t1", 3_000),
        false,
    );
    assert_eq!(kpis.treatment(), ArmCounts::default(), "not a customer yet");
    apply(&mut kpis, &mut till, &session(NOW), false);
    apply(
        &mut kpis,
        &mut till,
        &purchase(NOW + 10, "t2", 2_000),
        false,
    );
    apply(
        &mut kpis,
        &mut till,
        &purchase(NOW + 20, "t2", 2_000),
        false,
    ); // twice: ignored
    let t = kpis.treatment();
    assert_eq!(
        (t.customers, t.converters, t.orders, t.revenue),
        (1, 1, 2, 5_000)
    );
    assert_eq!(
        t.revenue_squares,
        5_000 * 5_000,
        "one customer: their total, squared"
    );
    // A control customer who buys nothing; one who came before `since` does not count.
    let mut quiet = Profile::anonymous("quiet").unwrap();
    apply(&mut kpis, &mut quiet, &session(NOW + 5), true);
    let mut old = Profile::anonymous("old").unwrap();
    apply(&mut kpis, &mut old, &session(NOW - 1), true);
    apply(&mut kpis, &mut old, &purchase(NOW + 30, "o1", 9_000), true);
    assert_eq!(
        kpis.control(),
        ArmCounts {
            customers: 1,
            ..ArmCounts::default()
        }
    );
    // One customer per arm, one bought: each arm counts as 1 in 2, needs 20, 19 more; each is
    // half the customers: 38 more in all.
    assert_eq!(
        kpis.lift().verdict,
        Verdict::NotEnoughData { more: Some(38) }
    );
    let json: serde_json::Value = serde_json::from_str(&kpis.to_json().unwrap()).unwrap();
    assert_eq!(json["treatment"]["revenue_squares"], "25000000");
    assert_eq!(json["lift"]["verdict"]["verdict"], "not_enough_data");
    assert_eq!(json["lift"]["verdict"]["more"], 38);
    assert!(json["summary"]
        .as_str()
        .unwrap()
        .starts_with("not enough data yet: about 38 more customers, both arms together"));
}

#[test]
fn the_arm_is_the_catalogs_control_group() {
    let catalog = json!({"version": "1", "default": {"id": "tips"}, "offers": [],
                         "control_group": {"share": 0.5, "salt": "lift"}});
    let engine = Engine::new(
        Catalog::compile(&catalog.to_string(), NOW).unwrap(),
        Models::default(),
    )
    .unwrap();
    let mut kpis = Kpis::new(0).unwrap();
    let mut in_control = 0;
    for i in 0..400 {
        let mut p = Profile::anonymous(&format!("v{i}")).unwrap();
        let control = engine.in_control_group(&p);
        in_control += usize::from(control);
        apply(&mut kpis, &mut p, &session(NOW), control);
    }
    assert_eq!(kpis.control().customers, in_control as u64);
    assert_eq!(kpis.treatment().customers, 400 - in_control as u64);
    assert!(
        (160..240).contains(&in_control),
        "{in_control} of 400 at a share of 0.5"
    );
}

#[test]
fn bad_input_is_refused() {
    assert_eq!(Kpis::new(-1).unwrap_err().code(), ErrorCode::InvalidRequest);
    let mut a = Kpis::new(NOW).unwrap();
    let b = Kpis::new(NOW + 1).unwrap();
    let before = a.clone();
    assert_eq!(a.merge(&b).unwrap_err().code(), ErrorCode::InvalidData);
    assert_eq!(a, before);
    let mut p = Profile::anonymous("v").unwrap();
    apply(&mut a, &mut p, &session(NOW), false);
    apply(&mut a, &mut p, &purchase(NOW + 1, "o", 700), false);
    let bytes = a.to_bytes().unwrap();
    assert_eq!(Kpis::from_bytes(&bytes).unwrap(), a);
    for len in 0..bytes.len() {
        assert!(Kpis::from_bytes(&bytes[..len]).is_err());
    }
    // Layout: magic (4), version (2), since (zigzag varint, 5 bytes), then the treatment's
    // customers (1), converters (1): make converters 2 of 1 customer.
    let mut forged = bytes.clone();
    assert_eq!((forged[11], forged[12]), (1, 1));
    forged[12] = 2;
    assert_eq!(
        Kpis::from_bytes(&forged).unwrap_err().code(),
        ErrorCode::DecodeInvalid
    );
}

/// A node's customers: (control?, purchases 0-2).
type Customers = Vec<(bool, u8)>;

fn record(kpis: &mut Kpis, customers: &Customers, node: usize) {
    for (i, &(control, orders)) in customers.iter().enumerate() {
        let mut p = Profile::anonymous(&format!("n{node}-{i}")).unwrap();
        apply(kpis, &mut p, &session(NOW + i as i64), control);
        for k in 0..orders {
            let total = 1_000 * i64::from(k + 1) + i as i64;
            apply(
                kpis,
                &mut p,
                &purchase(NOW + 100, &format!("o{k}"), total),
                control,
            );
        }
    }
}

fn node(customers: &Customers, n: usize) -> Kpis {
    let mut kpis = Kpis::new(NOW).unwrap();
    record(&mut kpis, customers, n);
    kpis
}

fn customers() -> impl Strategy<Value = Customers> {
    prop::collection::vec((any::<bool>(), 0u8..3), 0..12)
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn merge_is_exact_addition(a in customers(), b in customers(), c in customers()) {
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
        prop_assert_eq!(Kpis::from_bytes(&ab_c.to_bytes().unwrap()).unwrap(), ab_c);
    }

    #[test]
    fn squares_are_each_customers_total_squared(list in customers()) {
        let kpis = node(&list, 0);
        let mut want = [0u128; 2];
        for (i, &(control, orders)) in list.iter().enumerate() {
            let total: i64 = (0..orders).map(|k| 1_000 * i64::from(k + 1) + i as i64).sum();
            want[usize::from(control)] += (total as u128) * (total as u128);
        }
        prop_assert_eq!(kpis.treatment().revenue_squares, want[0]);
        prop_assert_eq!(kpis.control().revenue_squares, want[1]);
    }
}

mod offers {
    use super::*;
    use shopkeeper::decide::DecisionLog;
    use shopkeeper::kpi::{OfferCounts, Resolution, KPI_DAYS, KPI_HOURS};

    fn record(now: i64, segment: &str, offers: &[&str]) -> DecisionLog {
        let picks: Vec<_> = offers
            .iter()
            .map(|o| json!({"offer": o, "probability": 1.0}))
            .collect();
        let json = json!({"catalog_version": "k", "customer": "c", "channel": "web", "now": now,
                          "seed": 1, "slots": offers.len(), "segment": segment,
                          "control_group": false, "fallback": false, "picks": picks});
        DecisionLog::from_json(&json.to_string()).unwrap()
    }

    /// Decisions: (offer 0-3, segment 0-1, hours after NOW 0-99, accepted?).
    type Decisions = Vec<(u8, u8, i64, bool)>;

    fn node(decisions: &Decisions) -> Kpis {
        let mut kpis = Kpis::new(0).unwrap();
        for &(offer, segment, hours, accepted) in decisions {
            let at = NOW + hours * 3_600;
            let log = record(at, &format!("s{segment}"), &[&format!("o{offer}")]);
            kpis.record_decision(&log).unwrap();
            let kind = if accepted {
                "offer_accepted"
            } else {
                "offer_dismissed"
            };
            let response = event(json!({"type": kind, "at": at + 5, "channel": "web",
                                        "offer": format!("o{offer}")}));
            assert!(kpis.record_offer(&log, &response).unwrap());
        }
        kpis
    }

    fn decisions() -> impl Strategy<Value = Decisions> {
        prop::collection::vec((0u8..4, 0u8..2, 0i64..100, any::<bool>()), 0..20)
    }

    proptest! {
        #![proptest_config(config(64))]

        /// Merging is addition bucket by bucket, keeping the newest buckets of the union: in any
        /// order, and equal to one node that saw every decision.
        #[test]
        fn buckets_merge_in_any_order(a in decisions(), b in decisions(), c in decisions()) {
            let (ka, kb, kc) = (node(&a), node(&b), node(&c));
            let mut ab = ka.clone();
            ab.merge(&kb).unwrap();
            let mut ba = kb.clone();
            ba.merge(&ka).unwrap();
            prop_assert_eq!(&ab, &ba);
            let mut ab_c = ab;
            ab_c.merge(&kc).unwrap();
            let mut bc = kb;
            bc.merge(&kc).unwrap();
            let mut a_bc = ka;
            a_bc.merge(&bc).unwrap();
            prop_assert_eq!(&ab_c, &a_bc);
            let all: Decisions = a.iter().chain(&b).chain(&c).copied().collect();
            prop_assert_eq!(&ab_c, &node(&all));
            prop_assert_eq!(Kpis::from_bytes(&ab_c.to_bytes().unwrap()).unwrap(), ab_c);
        }
    }

    #[test]
    fn only_the_newest_buckets_are_kept_and_an_older_event_is_dropped() {
        let mut kpis = Kpis::new(0).unwrap();
        for hour in 0..100 {
            kpis.record_decision(&record(NOW + hour * 3_600, "", &["a"]))
                .unwrap();
        }
        let hours: Vec<i64> = kpis.offers(Resolution::Hour).map(|r| r.0).collect();
        assert_eq!(hours.len(), KPI_HOURS);
        assert_eq!(hours[0], (NOW / 3_600 + 100 - KPI_HOURS as i64) * 3_600);
        let days = kpis.offers(Resolution::Day).count();
        assert!(days <= KPI_DAYS);
        let before = kpis.clone();
        kpis.record_decision(&record(NOW, "", &["a"])).unwrap(); // older than every hour kept
        let total = |k: &Kpis, r| k.offers(r).map(|x| x.3.decisions).sum::<u64>();
        assert_eq!(
            total(&kpis, Resolution::Hour),
            total(&before, Resolution::Hour)
        );
        assert_eq!(
            total(&kpis, Resolution::Day),
            total(&before, Resolution::Day) + 1
        );
    }

    #[test]
    fn a_purchase_goes_to_the_last_offer_accepted_within_the_window() {
        let mut kpis = Kpis::new(0).unwrap();
        let mut p = Profile::anonymous("v").unwrap();
        let accept = |offer: &str, at: i64| {
            event(json!({"type": "offer_accepted", "at": at, "channel": "web", "offer": offer}))
        };
        for e in [
            session(NOW),
            accept("old", NOW - 8 * 86_400),
            accept("first", NOW + 10),
            accept("last", NOW + 20),
            purchase(NOW + 30, "o1", 4_900),
        ] {
            apply(&mut kpis, &mut p, &e, false);
        }
        let rows: Vec<(String, OfferCounts)> = kpis
            .offers(Resolution::Day)
            .map(|(_, offer, _, c)| (offer.to_string(), *c))
            .collect();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].0, "last");
        assert_eq!((rows[0].1.orders, rows[0].1.revenue), (1, 4_900));
        // Without an accept in the last 7 days, nothing is attributed.
        let mut q = Profile::anonymous("w").unwrap();
        let mut none = Kpis::new(0).unwrap();
        for e in [accept("old", NOW - 8 * 86_400), purchase(NOW, "o2", 100)] {
            apply(&mut none, &mut q, &e, false);
        }
        assert_eq!(none.offers(Resolution::Day).count(), 0);
    }

    #[test]
    fn daily_buckets_keep_five_weeks() {
        let mut kpis = Kpis::new(0).unwrap();
        for day in 0..40 {
            kpis.record_decision(&record(NOW + day * 86_400, "", &["a"]))
                .unwrap();
        }
        let days: Vec<i64> = kpis.offers(Resolution::Day).map(|r| r.0).collect();
        assert_eq!(days.len(), KPI_DAYS);
        assert_eq!(days[0], (NOW / 86_400 + 40 - KPI_DAYS as i64) * 86_400);
        assert!(kpis.offers(Resolution::Hour).count() <= KPI_HOURS);
    }

    #[test]
    fn pairs_past_the_cap_count_as_other_and_bad_records_count_nothing() {
        use shopkeeper::kpi::{MAX_KPI_KEYS, OTHER_OFFERS};
        let mut kpis = Kpis::new(0).unwrap();
        for i in 0..=MAX_KPI_KEYS {
            kpis.record_decision(&record(NOW, "", &[&format!("o{i}")]))
                .unwrap();
        }
        // An offer literally named (other) joins that one pair, whatever its segment.
        kpis.record_decision(&record(NOW, "vip", &[OTHER_OFFERS]))
            .unwrap();
        let rows: Vec<_> = kpis.offers(Resolution::Hour).collect();
        assert_eq!(rows.len(), MAX_KPI_KEYS + 1);
        let other = rows.iter().find(|r| r.1 == OTHER_OFFERS).unwrap();
        assert_eq!((other.2, other.3.decisions), ("", 2));
        assert_eq!(Kpis::from_bytes(&kpis.to_bytes().unwrap()).unwrap(), kpis);
        // A record out of range is refused, and changes nothing.
        let before = kpis.clone();
        let mut bad = record(NOW, "", &["a"]);
        bad.now = -5;
        assert_eq!(
            kpis.record_decision(&bad).unwrap_err().code(),
            ErrorCode::TimestampOutOfRange
        );
        let late =
            event(json!({"type": "offer_accepted", "at": NOW, "channel": "web", "offer": "a"}));
        assert!(kpis.record_offer(&bad, &late).is_err());
        assert_eq!(kpis, before);
    }

    #[test]
    fn attribution_ends_exactly_seven_days_after_the_accept() {
        use shopkeeper::kpi::ATTRIBUTION_WINDOW;
        let accepted = |at: i64| {
            event(json!({"type": "offer_accepted", "at": at, "channel": "web", "offer": "tent"}))
        };
        // The accept at `accept_at`, the purchase at NOW (inside the profile's clock).
        let orders = |accept_at: i64| {
            let mut kpis = Kpis::new(0).unwrap();
            let mut p = Profile::anonymous("v").unwrap();
            for e in [accepted(accept_at), purchase(NOW, "o", 100)] {
                apply(&mut kpis, &mut p, &e, false);
            }
            kpis.offers(Resolution::Day)
                .map(|r| r.3.orders)
                .sum::<u64>()
        };
        assert_eq!(
            orders(NOW - ATTRIBUTION_WINDOW),
            1,
            "the last second counts"
        );
        assert_eq!(orders(NOW - ATTRIBUTION_WINDOW - 1), 0);
        assert_eq!(
            orders(NOW + 1),
            0,
            "a purchase before the accept is not its"
        );
    }

    /// Bytes stay near 9 per counted row (names once, then indexes and varints): 100 offers x
    /// 10 segments x 48 hourly buckets here; the benchmark (`cargo bench -p shopkeeper-benches
    /// --bench profile -- kpis`) prints the size for 1,000 offers.
    #[test]
    fn bytes_grow_by_a_few_bytes_per_counted_row() {
        let mut kpis = Kpis::new(0).unwrap();
        let offers: Vec<String> = (0..100).map(|i| format!("offer-{i:04}")).collect();
        for hour in 0..48 {
            for segment in 0..10 {
                for chunk in offers.chunks(16) {
                    let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
                    let log = record(NOW + hour * 3_600, &format!("segment-{segment}"), &chunk);
                    kpis.record_decision(&log).unwrap();
                }
            }
        }
        let rows = kpis.offers(Resolution::Hour).count() + kpis.offers(Resolution::Day).count();
        assert_eq!(kpis.offers(Resolution::Hour).count(), 48_000);
        let bytes = kpis.to_bytes().unwrap();
        assert!(
            bytes.len() < 10 * rows,
            "{} bytes for {rows} rows",
            bytes.len()
        );
        assert_eq!(Kpis::from_bytes(&bytes).unwrap(), kpis);
    }
}

/// With a known true lift, the 95% intervals cover it about 95% of the time: 2,000 simulated
/// experiments of 4,000 customers per arm converting at 6% and 5%, each buyer paying an
/// exponential amount with mean 5,000 (so revenue per customer is skewed, as a shop's is). The
/// draws come from a seeded SplitMix64, so the figures printed are the same on every machine.
#[test]
fn the_intervals_cover_the_true_lift_about_95_percent_of_the_time() {
    let (n, p_t, p_c, mean, runs) = (4_000u64, 0.06, 0.05, 5_000.0, 2_000);
    let mut state = 20_261_201u64;
    let mut unit = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (((z ^ (z >> 31)) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let (mut conversion, mut revenue) = (0, 0);
    for _ in 0..runs {
        let mut draw = |p: f64| {
            let mut a = ArmCounts {
                customers: n,
                ..ArmCounts::default()
            };
            for _ in 0..n {
                if unit() < p {
                    let paid = (-unit().ln() * mean).round() as i64;
                    a.converters += 1;
                    a.orders += 1;
                    a.revenue += paid;
                    a.revenue_squares += (paid as u128) * (paid as u128);
                }
            }
            a
        };
        let (t, c) = (draw(p_t), draw(p_c));
        let lift = shopkeeper::kpi::Lift::of(&t, &c);
        let d = lift.conversion.absolute.unwrap();
        conversion += usize::from(d.low <= p_t - p_c && p_t - p_c <= d.high);
        let r = lift.revenue_per_customer.absolute.unwrap();
        let truth = (p_t - p_c) * mean;
        revenue += usize::from(r.low <= truth && truth <= r.high);
    }
    let share = |k: usize| k as f64 / runs as f64;
    println!(
        "coverage of the 95% intervals: conversion {}, revenue per customer {}",
        share(conversion),
        share(revenue)
    );
    // 95% ± 1% (the binomial standard error of 2,000 runs is 0.5%).
    for coverage in [share(conversion), share(revenue)] {
        assert!((0.94..=0.96).contains(&coverage), "coverage {coverage}");
    }
}
