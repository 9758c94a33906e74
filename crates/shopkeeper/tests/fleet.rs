//! A fleet's shared rules: node contributions (any interleaving of publications, repeated or
//! stale, gives the merge of every node's latest, counted once: proptest), node bounds, and the
//! directory that routes events to profiles across an identify.

mod common;

use proptest::prelude::*;
use shopkeeper::budget::Budgets;
use shopkeeper::decide::Catalog;
use shopkeeper::fleet::{Directory, Fleet, MAX_NODES};
use shopkeeper::learn::{Learner, Response};
use shopkeeper::listen::Listener;
use shopkeeper::{Channel, ErrorCode, Event, EventKind, Outcome};

const NOW: i64 = 1_796_083_200 + 6 * 3_600;
const DAY: i64 = 86_400;

fn catalog() -> Catalog {
    Catalog::compile(
        r#"{"version": "f", "default": {"id": "n"}, "offers": [
          {"id": "o0", "budget": {"max_shows": 1000, "per": "1d"}},
          {"id": "o1", "budget": {"max_accepts": 1000, "per": "1d"}}
        ]}"#,
        NOW,
    )
    .unwrap()
}

/// A node's contributions over time: after each of its steps (offer 0-1, accepted or shown,
/// seconds after NOW), everything it counted so far.
fn versions(steps: &[(u8, bool, i64)]) -> Vec<Budgets> {
    let c = catalog();
    let mut mine = Budgets::new();
    let mut out = vec![mine.clone()];
    for &(offer, accept, after) in steps {
        let kind = match accept {
            true => EventKind::OfferAccepted {
                offer: format!("o{offer}"),
            },
            false => EventKind::OfferShown {
                offer: format!("o{offer}"),
            },
        };
        mine.record(&c, &Event::new(NOW + after, Channel::Web, kind))
            .unwrap();
        out.push(mine.clone());
    }
    out
}

fn steps() -> impl Strategy<Value = Vec<(u8, bool, i64)>> {
    prop::collection::vec((0u8..2, any::<bool>(), 0i64..3_600), 0..12)
}

proptest! {
    #![proptest_config(crate::common::config(128))]

    /// Three nodes publish their versions in any order, some more than once: the global view is
    /// the merge of each node's latest version published, as if each had been published once.
    #[test]
    fn any_interleaving_of_publications_counts_each_node_once(
        nodes in prop::collection::vec(steps(), 3),
        order in prop::collection::vec((0usize..3, 0usize..13), 0..40),
    ) {
        let versions: Vec<Vec<Budgets>> = nodes.iter().map(|s| versions(s)).collect();
        let mut fleet = Fleet::new();
        let mut latest: [Option<usize>; 3] = [None; 3];
        for (node, version) in order {
            let version = version % versions[node].len();
            let fresh = fleet
                .publish(&format!("node-{node}"), version as u64, versions[node][version].clone())
                .unwrap();
            prop_assert_eq!(fresh, latest[node].is_none_or(|held| version > held));
            if fresh {
                latest[node] = Some(version);
            }
        }
        let mut expected: Option<Budgets> = None;
        for (node, held) in latest.iter().enumerate() {
            let Some(v) = held else { continue };
            match expected.as_mut() {
                Some(all) => all.merge(&versions[node][*v]).unwrap(),
                None => expected = Some(versions[node][*v].clone()),
            }
        }
        prop_assert_eq!(fleet.global().unwrap(), expected);
    }
}

#[test]
fn learners_add_up_across_nodes_without_double_counting() {
    let mut fleet = Fleet::new();
    let mut nodes: Vec<Learner> = (0..3).map(|_| Learner::new(14 * DAY).unwrap()).collect();
    for (i, node) in nodes.iter_mut().enumerate() {
        for k in 0..=i {
            node.update("o", "", Response::Accepted, NOW + k as i64)
                .unwrap();
        }
        node.update("o", "", Response::Dismissed, NOW).unwrap();
    }
    for round in 1..=3u64 {
        for (i, node) in nodes.iter().enumerate() {
            fleet
                .publish(&format!("n{i}"), round, node.clone())
                .unwrap();
        }
    }
    let global = fleet.global().unwrap().unwrap();
    let counts = global.counts("o", "", NOW + 10);
    // 1 + 2 + 3 accepts and 3 rejects, barely decayed over seconds: never 3x that.
    assert!((counts.accepts - 6.0).abs() < 1e-3, "{counts:?}");
    assert!((counts.rejects - 3.0).abs() < 1e-3, "{counts:?}");
}

#[test]
fn nodes_are_named_and_bounded() {
    let mut fleet: Fleet<Budgets> = Fleet::new();
    assert_eq!(fleet.global().unwrap(), None);
    assert_eq!(
        fleet.publish("", 1, Budgets::new()).unwrap_err().code(),
        ErrorCode::EmptyId
    );
    assert!(fleet.publish(&"x".repeat(129), 1, Budgets::new()).is_err());
    for i in 0..MAX_NODES {
        assert!(fleet.publish(&format!("n{i}"), 1, Budgets::new()).unwrap());
    }
    let full = fleet.publish("one-more", 1, Budgets::new()).unwrap_err();
    assert_eq!(full.code(), ErrorCode::LimitExceeded);
    // A known node still publishes.
    assert!(fleet.publish("n0", 2, Budgets::new()).unwrap());
    assert_eq!(fleet.node("n0").unwrap().sequence, 2);
}

#[test]
fn a_contribution_that_cannot_merge_names_its_node() {
    use shopkeeper::kpi::Kpis;
    let mut fleet = Fleet::new();
    fleet
        .publish("web-1", 1, Kpis::new(NOW - DAY).unwrap())
        .unwrap();
    fleet.publish("web-2", 1, Kpis::new(NOW).unwrap()).unwrap();
    let err = fleet.global().unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidData);
    assert!(err.message().starts_with("node \"web-2\": "), "{err}");
}

fn event(at: i64, kind: EventKind) -> Event {
    Event::new(at, Channel::Web, kind)
}

#[test]
fn an_identify_merges_the_visitor_into_the_customer_once() {
    let listener = Listener::default();
    let mut d = Directory::new();
    let view = |p: &str| EventKind::ProductView {
        product: p.into(),
        category: None,
    };
    let identify = EventKind::Identify {
        customer: "c-1".into(),
    };
    // The customer has a history; an anonymous visitor browses, then logs in.
    d.apply(
        "c-1",
        false,
        &event(NOW - DAY, view("tent")),
        NOW,
        &listener,
        |_, _| (),
    )
    .unwrap();
    d.apply(
        "anon-9",
        true,
        &event(NOW - 60, view("stove")),
        NOW,
        &listener,
        |_, _| (),
    )
    .unwrap();
    assert_eq!(d.route("anon-9"), Some("anon-9"));
    let outcome = d
        .apply(
            "anon-9",
            true,
            &event(NOW - 30, identify.clone()),
            NOW,
            &listener,
            |_, _| (),
        )
        .unwrap();
    assert_eq!(outcome, Outcome::Recorded);
    assert_eq!(d.route("anon-9"), Some("c-1"));
    // Later events of the visitor's id land in the customer's profile.
    d.apply(
        "anon-9",
        true,
        &event(NOW - 10, view("lamp")),
        NOW,
        &listener,
        |_, _| (),
    )
    .unwrap();
    let all = d.clone().into_profiles();
    assert_eq!(all.len(), 1, "one customer, no visitor left");
    let viewed = |d: &mut Directory| {
        let p = d.get("c-1", false).unwrap();
        p.export().unwrap().matches("\"product\":").count()
    };
    let before = viewed(&mut d);
    assert_eq!(before, 3, "tent, stove and lamp, each once");
    // The same identify again merges nothing twice.
    d.apply(
        "anon-9",
        true,
        &event(NOW - 5, identify),
        NOW,
        &listener,
        |_, _| (),
    )
    .unwrap();
    assert_eq!(viewed(&mut d), before);
    assert_eq!(d.into_profiles().len(), 1);
}

#[test]
fn a_visitor_who_identifies_as_a_new_customer_becomes_that_customer() {
    let listener = Listener::default();
    let mut d = Directory::new();
    let identify = EventKind::Identify {
        customer: "c-2".into(),
    };
    d.apply(
        "anon-1",
        true,
        &event(NOW - 30, identify),
        NOW,
        &listener,
        |_, _| (),
    )
    .unwrap();
    assert_eq!(d.route("anon-1"), Some("c-2"));
    assert_eq!(d.route("c-2"), Some("c-2"));
    assert!(d.get("c-2", false).unwrap().is_known());
    assert_eq!(d.route("never-seen"), None);
}

#[test]
fn contributions_as_bytes_follow_the_same_rule() {
    use shopkeeper::fleet::Contributions;
    let mut web_1 = Learner::new(7 * DAY).unwrap();
    web_1.update("o0", "", Response::Accepted, NOW).unwrap();
    let mut web_2 = Learner::new(7 * DAY).unwrap();
    web_2.update("o0", "", Response::Dismissed, NOW).unwrap();
    let mut fleet = Contributions::new();
    assert_eq!((fleet.kind(), fleet.global().unwrap()), (None, None));
    // A refused first publication sets no kind.
    let err = fleet.publish("web-1", 1, b"SKP\x01\x01\x00").unwrap_err();
    assert_eq!(
        (err.code(), fleet.kind()),
        (ErrorCode::DecodeBadMagic, None)
    );
    assert!(fleet
        .publish("web-1", 1, &web_1.to_bytes().unwrap())
        .unwrap());
    assert!(fleet
        .publish("web-2", 4, &web_2.to_bytes().unwrap())
        .unwrap());
    assert!(!fleet
        .publish("web-2", 4, &web_2.to_bytes().unwrap())
        .unwrap());
    assert_eq!(fleet.kind(), Some("learner"));
    let mut merged = web_1.clone();
    merged.merge(&web_2).unwrap();
    let global = Learner::from_bytes(&fleet.global().unwrap().unwrap()).unwrap();
    assert_eq!(global, merged);
    // Another kind is refused, changing nothing.
    let other = Budgets::new().to_bytes().unwrap();
    let err = fleet.publish("web-3", 1, &other).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidData, "{err}");
    assert!(err.message().contains("learner"), "{err}");
    assert_eq!(
        Learner::from_bytes(&fleet.global().unwrap().unwrap()).unwrap(),
        merged
    );
}
