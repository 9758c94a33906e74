//! Arbitration invariants, property-tested: contact policies hold, the control group gets only the
//! default, ranking is monotone in value, decisions are deterministic, and a bad catalog never
//! replaces a good one.

mod common;

use proptest::prelude::*;
use serde_json::json;
use shopkeeper::decide::{control_bucket, Catalog, Engine, Request};
use shopkeeper::rules::Context;
use shopkeeper::score::Models;
use shopkeeper::{Channel, Event, EventKind, Profile};

const NOW: i64 = 1_732_406_400;
const DAY: i64 = 86_400;

fn engine(catalog: &serde_json::Value) -> Engine {
    let catalog = Catalog::compile(&catalog.to_string(), NOW).unwrap();
    Engine::new(catalog, Models::default()).unwrap()
}

fn decide_ids(engine: &Engine, profile: &Profile, request: &Request) -> Vec<String> {
    let context = Context::new(engine.catalog().schema());
    let decision = engine.decide(profile, &context, request).unwrap();
    decision
        .picks()
        .iter()
        .map(|p| p.action.id().to_string())
        .collect()
}

/// A response to offer `offer` `ago` seconds before now: 0 shown, 1 dismissed, 2 accepted.
type Response = (usize, i64, u8);

fn policy_offers(count: usize) -> Vec<serde_json::Value> {
    (0..count)
        .map(|i| {
            json!({
                "id": format!("o{i}"),
                "value": 1 + i,
                "contact": {
                    "max_shows": 1 + i % 3,
                    "window": format!("{}d", 1 + i % 7),
                    "cooldown_after_dismiss": format!("{}d", 1 + i % 5),
                    "dismissals": 1 + i % 2,
                    "stop_after_accept": i % 2 == 0
                }
            })
        })
        .collect()
}

/// Whether offer `i` of [`policy_offers`] may be shown now, judged from the raw responses.
fn allowed(i: usize, responses: &[Response]) -> bool {
    let mine: Vec<_> = responses.iter().filter(|r| r.0 == i).collect();
    let (max_shows, window) = (1 + i % 3, (1 + i % 7) as i64 * DAY);
    let (rest, dismissals) = ((1 + i % 5) as i64 * DAY, 1 + i % 2);
    let shows = mine.iter().filter(|r| r.2 == 0 && r.1 <= window).count();
    let dismissed: Vec<i64> = mine.iter().filter(|r| r.2 == 1).map(|r| r.1).collect();
    let latest_dismiss = dismissed.iter().min().copied();
    let accepted = mine.iter().any(|r| r.2 == 2);
    let stopped = i % 2 == 0 && accepted;
    let resting = dismissed.len() >= dismissals && latest_dismiss.is_some_and(|ago| ago < rest);
    !stopped && !resting && shows < max_shows
}

proptest! {
    #![proptest_config(crate::common::config(64))]

    #[test]
    fn a_capped_or_cooling_down_offer_is_never_returned(
        responses in prop::collection::vec((0usize..8, 0i64..10 * DAY, 0u8..3), 0..40),
        slots in 1usize..9,
    ) {
        let engine = engine(&json!({"version": "p", "default": {"id": "fallback"}, "offers": policy_offers(8)}));
        let mut profile = Profile::known("c").unwrap();
        let mut sorted = responses.clone();
        sorted.sort_by_key(|r| -r.1);
        for &(offer, ago, kind) in &sorted {
            let offer = format!("o{offer}");
            let kind = match kind {
                0 => EventKind::OfferShown { offer },
                1 => EventKind::OfferDismissed { offer },
                _ => EventKind::OfferAccepted { offer },
            };
            profile.apply(&Event::new(NOW - ago, Channel::Web, kind), NOW).unwrap();
        }
        let picks = decide_ids(&engine, &profile, &Request::new(Channel::Web, NOW).slots(slots));
        let expected: Vec<String> = (0..8).rev().filter(|&i| allowed(i, &responses)).take(slots).map(|i| format!("o{i}")).collect();
        if expected.is_empty() {
            prop_assert_eq!(picks, vec!["fallback".to_string()]);
        } else {
            prop_assert_eq!(picks, expected);
        }
    }

    #[test]
    fn a_control_group_customer_gets_only_the_default(id in "[a-z0-9-]{1,24}", share in 0.0f64..0.9) {
        let engine = engine(&json!({
            "version": "p", "default": {"id": "fallback"},
            "control_group": {"share": share, "salt": "s"},
            "offers": [{"id": "a"}, {"id": "b", "value": 2}]
        }));
        let profile = Profile::known(&id).unwrap();
        let request = Request::new(Channel::Web, NOW).slots(2).explain(true);
        let context = Context::new(engine.catalog().schema());
        let decision = engine.decide(&profile, &context, &request).unwrap();
        let in_control = control_bucket("s", &id) < share;
        prop_assert_eq!(decision.control_group(), in_control);
        let ids: Vec<&str> = decision.picks().iter().map(|p| p.action.id()).collect();
        if in_control {
            prop_assert_eq!(ids, vec!["fallback"]);
        } else {
            prop_assert_eq!(ids, vec!["b", "a"]);
        }
    }

    #[test]
    fn raising_an_offer_value_never_lowers_its_rank(
        values in prop::collection::vec(1u32..20, 2..12),
        which in any::<prop::sample::Index>(),
        raise in 0u32..10,
        seed in any::<u64>(),
    ) {
        let catalog = |values: &[u32]| json!({
            "version": "p", "default": {"id": "fallback"},
            "offers": values.iter().enumerate().map(|(i, v)| json!({"id": format!("o{i}"), "value": v})).collect::<Vec<_>>()
        });
        let target = format!("o{}", which.index(values.len()));
        let rank = |values: &[u32]| {
            let picks = decide_ids(&engine(&catalog(values)), &Profile::known("c").unwrap(),
                &Request::new(Channel::Web, NOW).slots(16).seed(seed));
            picks.iter().position(|p| *p == target).unwrap()
        };
        let mut raised = values.clone();
        raised[which.index(values.len())] += raise;
        prop_assert!(rank(&raised) <= rank(&values));
    }

    #[test]
    fn the_same_inputs_and_seed_give_the_same_decision(seed in any::<u64>(), slots in 1usize..5) {
        let catalog = json!({
            "version": "p", "default": {"id": "fallback"},
            "offers": (0..12).map(|i| json!({"id": format!("o{i}"), "value": 1 + i % 3, "group": if i % 4 == 0 { json!("g") } else { json!(null) }})).collect::<Vec<_>>()
        });
        let (first, second) = (engine(&catalog), engine(&catalog));
        let profile = Profile::anonymous("v").unwrap();
        let request = Request::new(Channel::Web, NOW).slots(slots).seed(seed).explain(true);
        let context = Context::new(first.catalog().schema());
        let a = first.decide(&profile, &context, &request).unwrap().into_receipt().unwrap().to_json().unwrap();
        let b = second.decide(&profile, &context, &request).unwrap().into_receipt().unwrap().to_json().unwrap();
        prop_assert_eq!(a, b);
    }
}

#[test]
fn a_bad_catalog_never_replaces_a_good_one() {
    let mut engine = engine(&json!({
        "version": "good", "default": {"id": "fallback"},
        "offers": [{"id": "a", "eligibility": "cart.value >= 0"}]
    }));
    let profile = Profile::anonymous("v").unwrap();
    let request = Request::new(Channel::Web, NOW);
    let before = decide_ids(&engine, &profile, &request);
    // Does not compile: an unknown path. There is no catalog to swap in.
    let broken = json!({"version": "bad", "default": {"id": "f"}, "offers": [{"id": "b", "eligibility": "cart.valeu > 1"}]});
    let problems = Catalog::compile(&broken.to_string(), NOW).unwrap_err();
    assert!(
        problems.render().contains("unknown_path"),
        "{}",
        problems.render()
    );
    // Compiles, but names a model the engine lacks: the swap fails and changes nothing.
    let unbound = json!({"version": "bad", "default": {"id": "f"}, "offers": [{"id": "b", "propensity": {"model": "nope"}}]});
    let catalog = Catalog::compile(&unbound.to_string(), NOW).unwrap();
    let error = engine.replace_catalog(catalog).unwrap_err();
    assert_eq!(error.code().as_str(), "invalid_catalog");
    assert_eq!(engine.catalog().version(), "good");
    assert_eq!(decide_ids(&engine, &profile, &request), before);
    // A good one replaces it.
    let next = json!({"version": "next", "default": {"id": "f"}, "offers": [{"id": "c"}]});
    engine
        .replace_catalog(Catalog::compile(&next.to_string(), NOW).unwrap())
        .unwrap();
    assert_eq!(decide_ids(&engine, &profile, &request), vec!["c"]);
}

#[test]
fn a_payload_passes_through_byte_for_byte() {
    let text = r#"{"version": "p", "default": {"id": "f", "payload": {"b": 1, "a": [1.50, "x"]}}, "offers": [{"id": "o", "payload": {"z":0,"image":"/img/ship.png"}}]}"#;
    let engine = Engine::new(Catalog::compile(text, NOW).unwrap(), Models::default()).unwrap();
    assert_eq!(
        engine.catalog().offer("o").unwrap().action().payload(),
        Some(r#"{"z":0,"image":"/img/ship.png"}"#)
    );
    assert_eq!(
        engine.catalog().default_action().payload(),
        Some(r#"{"b": 1, "a": [1.50, "x"]}"#)
    );
}

#[test]
fn every_problem_renders_with_its_place_and_a_caret() {
    let text = json!({"version": "v", "default": {"id": "f"}, "offers": [
        {"id": "x", "eligibility": "customer.known and\n  cart.valeu > 100"}
    ]})
    .to_string();
    let problems = Catalog::compile(&text, NOW).unwrap_err();
    let rendered = problems.render();
    assert!(
        rendered.contains(r#"--> offers["x"].eligibility:2:3"#),
        "{rendered}"
    );
    assert!(rendered.contains("cart.value"), "a suggestion: {rendered}");
    let error: shopkeeper::Error = problems.into();
    assert_eq!(error.code().as_str(), "invalid_catalog");
    assert_eq!(error.location(), Some((2, 3)));
}

#[test]
fn the_default_action_is_not_recorded_as_shown_and_never_uses_up_a_channel_cap() {
    let engine = engine(&json!({
        "version": "p", "default": {"id": "fallback"},
        "contact_policy": {"web": {"max_shows": 2, "window": "1d"}},
        "offers": [{"id": "a", "contact": {"max_shows": 1, "window": "1d"}}, {"id": "b", "eligibility": "customer.known"}]
    }));
    let mut profile = Profile::anonymous("v").unwrap();
    let context = Context::new(engine.catalog().schema());
    let mut picks = Vec::new();
    for minute in 0..5 {
        let at = NOW + minute * 60;
        let decision = engine
            .decide(&profile, &context, &Request::new(Channel::Web, at).slots(2))
            .unwrap();
        picks.push(decision.picks()[0].action.id().to_string());
        for shown in decision.shown_events(at) {
            profile.apply(&shown, at).unwrap();
        }
    }
    // "a" once (its cap), then the default, which is never recorded: the channel keeps room.
    assert_eq!(picks, ["a", "fallback", "fallback", "fallback", "fallback"]);
    assert_eq!(
        profile
            .activity()
            .channel(Channel::Web)
            .offer_shows_within(DAY, NOW + 300),
        1
    );
    assert!(profile.offer("fallback").is_none());
}

#[test]
fn a_context_of_another_catalog_is_an_error() {
    let with_keys = engine(&json!({
        "version": "a", "context": {"page_type": "string", "device": "string"},
        "default": {"id": "f"}, "offers": []
    }));
    let without = engine(&json!({"version": "b", "default": {"id": "f"}, "offers": []}));
    let context = Context::new(with_keys.catalog().schema());
    let profile = Profile::anonymous("v").unwrap();
    let error = without
        .decide(&profile, &context, &Request::new(Channel::Web, NOW))
        .unwrap_err();
    assert_eq!(error.code().as_str(), "invalid_context");
}
