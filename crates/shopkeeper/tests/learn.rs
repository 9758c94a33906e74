//! Learner statistics: decay, order independence, merging (commutative, associative, and
//! compatible with updates: property-tested), and the binary form.

mod common;

use proptest::prelude::*;
use shopkeeper::learn::{Counts, Learner, Response};

const NOW: i64 = 1_795_500_000;
const DAY: i64 = 86_400;

/// A response: offer 0-3, segment 0-1, what, seconds after NOW.
type Update = (u8, u8, u8, i64);

fn response(kind: u8) -> Response {
    match kind % 3 {
        0 => Response::Accepted,
        1 => Response::Dismissed,
        _ => Response::Ignored,
    }
}

fn learner(updates: &[Update]) -> Learner {
    let mut l = Learner::new(7 * DAY).unwrap();
    for &(offer, segment, kind, after) in updates {
        l.update(
            &format!("o{offer}"),
            &format!("s{segment}"),
            response(kind),
            NOW + after,
        )
        .unwrap();
    }
    l
}

/// Every arm's counts at a common time, for comparing learners up to rounding.
fn snapshot(l: &Learner, at: i64) -> Vec<Counts> {
    let mut out = vec![];
    for offer in 0..4 {
        for segment in 0..2 {
            out.push(l.counts(&format!("o{offer}"), &format!("s{segment}"), at));
        }
    }
    out
}

fn close(a: &[Counts], b: &[Counts]) -> bool {
    let near = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
    a.iter()
        .zip(b)
        .all(|(x, y)| near(x.accepts, y.accepts) && near(x.rejects, y.rejects))
}

fn updates() -> impl Strategy<Value = Vec<Update>> {
    prop::collection::vec((0u8..4, 0u8..2, 0u8..3, 0i64..30 * DAY), 0..30)
}

proptest! {
    #![proptest_config(crate::common::config(128))]

    #[test]
    fn merge_is_commutative(a in updates(), b in updates()) {
        let (mut ab, mut ba) = (learner(&a), learner(&b));
        ab.merge(&learner(&b)).unwrap();
        ba.merge(&learner(&a)).unwrap();
        prop_assert_eq!(ab, ba);
    }

    #[test]
    fn merge_is_associative(a in updates(), b in updates(), c in updates()) {
        let mut left = learner(&a);
        left.merge(&learner(&b)).unwrap();
        left.merge(&learner(&c)).unwrap();
        let mut bc = learner(&b);
        bc.merge(&learner(&c)).unwrap();
        let mut right = learner(&a);
        right.merge(&bc).unwrap();
        let at = NOW + 31 * DAY;
        prop_assert!(close(&snapshot(&left, at), &snapshot(&right, at)));
    }

    #[test]
    fn updating_then_merging_equals_merging_then_updating(a in updates(), b in updates(), x in (0u8..4, 0u8..2, 0u8..3, 0i64..30 * DAY)) {
        let mut first = learner(&a);
        first.update(&format!("o{}", x.0), &format!("s{}", x.1), response(x.2), NOW + x.3).unwrap();
        first.merge(&learner(&b)).unwrap();
        let mut second = learner(&a);
        second.merge(&learner(&b)).unwrap();
        second.update(&format!("o{}", x.0), &format!("s{}", x.1), response(x.2), NOW + x.3).unwrap();
        let at = NOW + 31 * DAY;
        prop_assert!(close(&snapshot(&first, at), &snapshot(&second, at)));
    }

    #[test]
    fn the_order_of_responses_does_not_matter(mut a in updates()) {
        let forward = learner(&a);
        a.reverse();
        let backward = learner(&a);
        let at = NOW + 31 * DAY;
        prop_assert!(close(&snapshot(&forward, at), &snapshot(&backward, at)));
    }

    #[test]
    fn the_binary_form_round_trips(a in updates()) {
        let l = learner(&a);
        prop_assert_eq!(Learner::from_bytes(&l.to_bytes().unwrap()).unwrap(), l);
    }
}

#[test]
fn counts_halve_every_half_life_and_merging_an_empty_learner_changes_nothing() {
    let mut l = Learner::new(7 * DAY).unwrap();
    for _ in 0..4 {
        l.update("o", "", Response::Accepted, NOW).unwrap();
    }
    l.update("o", "", Response::Ignored, NOW).unwrap();
    let counts = l.counts("o", "", NOW + 14 * DAY);
    assert_eq!(counts.accepts, 1.0);
    assert_eq!(counts.rejects, 0.25);
    // A late response counts with the weight it has now.
    l.update("o", "", Response::Dismissed, NOW - 7 * DAY)
        .unwrap();
    assert_eq!(l.counts("o", "", NOW).rejects, 1.5);
    let before = l.clone();
    l.merge(&Learner::new(7 * DAY).unwrap()).unwrap();
    assert_eq!(l, before);
    assert_eq!(l.counts("never", "", NOW), Counts::default());
}

#[test]
fn bad_input_is_rejected_and_changes_nothing() {
    let mut l = Learner::new(DAY).unwrap();
    l.update("o", "s", Response::Accepted, NOW).unwrap();
    let before = l.clone();
    assert_eq!(
        l.update("", "s", Response::Accepted, NOW)
            .unwrap_err()
            .code()
            .as_str(),
        "empty_id"
    );
    assert_eq!(
        l.update("o", &"s".repeat(65), Response::Accepted, NOW)
            .unwrap_err()
            .code()
            .as_str(),
        "too_long"
    );
    assert_eq!(
        l.update("o", "s", Response::Accepted, -1)
            .unwrap_err()
            .code()
            .as_str(),
        "timestamp_out_of_range"
    );
    let other = Learner::new(2 * DAY).unwrap();
    assert_eq!(l.merge(&other).unwrap_err().code().as_str(), "invalid_data");
    assert_eq!(l, before);
    assert!(Learner::new(0).is_err());
    assert!(Learner::new(59).is_err());
}

#[test]
fn hostile_bytes_are_rejected() {
    let mut l = Learner::new(DAY).unwrap();
    l.update("o", "s", Response::Accepted, NOW).unwrap();
    let bytes = l.to_bytes().unwrap();
    assert_eq!(&bytes[..4], b"SKL\x01");
    // Trailing, truncated, wrong magic, wrong version.
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        Learner::from_bytes(&trailing).unwrap_err().code().as_str(),
        "decode_trailing_bytes"
    );
    assert_eq!(
        Learner::from_bytes(&bytes[..bytes.len() - 1])
            .unwrap_err()
            .code()
            .as_str(),
        "decode_malformed"
    );
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(
        Learner::from_bytes(&magic).unwrap_err().code().as_str(),
        "decode_bad_magic"
    );
    let mut version = bytes.clone();
    version[4] = 9;
    assert_eq!(
        Learner::from_bytes(&version).unwrap_err().code().as_str(),
        "decode_unsupported_version"
    );
    // A NaN count: the 8 bytes of `accepts` (1.0) are the only 0x3ff0 pattern in the payload.
    let one = 1.0f64.to_le_bytes();
    let at = bytes
        .windows(8)
        .position(|w| w == one)
        .expect("the accepts count");
    let mut nan = bytes.clone();
    nan[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    assert_eq!(
        Learner::from_bytes(&nan).unwrap_err().code().as_str(),
        "decode_invalid"
    );
}

mod adaptive {
    use super::{DAY, NOW};
    use serde_json::json;
    use shopkeeper::decide::{Catalog, Engine, Request};
    use shopkeeper::learn::{Learner, Response};
    use shopkeeper::rules::Context;
    use shopkeeper::score::Models;
    use shopkeeper::{Channel, Profile};

    fn engine(learning: serde_json::Value) -> Engine {
        let catalog = json!({
            "version": "adaptive", "default": {"id": "fallback"},
            "learning": learning,
            "offers": [
                {"id": "good", "propensity": {"adaptive": {}}},
                {"id": "bad", "propensity": {"adaptive": {}}}
            ]
        });
        Engine::new(
            Catalog::compile(&catalog.to_string(), NOW).unwrap(),
            Models::default(),
        )
        .unwrap()
    }

    /// How often `good` wins over 400 seeds.
    fn good_share(engine: &Engine, profile: &Profile, learner: Option<&Learner>) -> f64 {
        let context = Context::new(engine.catalog().schema());
        let wins = (0..400u64)
            .filter(|&seed| {
                let request = Request::new(Channel::Web, NOW).seed(seed);
                let d = match learner {
                    Some(l) => engine.decide_with(profile, &context, &request, l),
                    None => engine.decide(profile, &context, &request),
                }
                .unwrap();
                d.picks()[0].action.id() == "good"
            })
            .count();
        wins as f64 / 400.0
    }

    fn trained(segment: &str) -> Learner {
        let mut l = Learner::new(14 * DAY).unwrap();
        for i in 0..40 {
            let at = NOW - 3600 + i;
            let good = if i % 4 == 0 {
                Response::Ignored
            } else {
                Response::Accepted
            };
            l.update("good", segment, good, at).unwrap();
            let bad = if i % 4 == 0 {
                Response::Accepted
            } else {
                Response::Dismissed
            };
            l.update("bad", segment, bad, at).unwrap();
        }
        l
    }

    #[test]
    fn thompson_sampling_follows_the_counts_and_explores_without_them() {
        let engine = engine(json!({}));
        let profile = Profile::anonymous("v").unwrap();
        let prior_only = good_share(&engine, &profile, None);
        assert!((0.4..0.6).contains(&prior_only), "{prior_only}");
        let learned = good_share(&engine, &profile, Some(&trained("")));
        assert!(learned > 0.97, "{learned}");
    }

    #[test]
    fn each_segment_learns_apart() {
        let engine =
            engine(json!({"segment": "if customer.known then \"members\" else \"visitors\""}));
        let learner = trained("members");
        let member = Profile::known("m").unwrap();
        let visitor = Profile::anonymous("v").unwrap();
        assert!(good_share(&engine, &member, Some(&learner)) > 0.97);
        let share = good_share(&engine, &visitor, Some(&learner));
        assert!((0.4..0.6).contains(&share), "{share}");
        let context = Context::new(engine.catalog().schema());
        let d = engine
            .decide_with(
                &member,
                &context,
                &Request::new(Channel::Web, NOW).explain(true),
                &learner,
            )
            .unwrap();
        assert_eq!(d.segment(), "members");
        assert_eq!(d.receipt().unwrap().segment, "members");
        assert_eq!(
            d.receipt().unwrap().picks[0].propensity_source.to_string(),
            "adaptive"
        );
    }

    #[test]
    fn the_floor_bounds_the_propensity_and_the_seed_fixes_the_draw() {
        let engine = engine(json!({"floor": 0.6, "half_life": "7d"}));
        assert_eq!(engine.catalog().new_learner().unwrap().half_life(), 7 * DAY);
        let mut learner = Learner::new(7 * DAY).unwrap();
        for i in 0..50 {
            learner
                .update("good", "", Response::Dismissed, NOW - i)
                .unwrap();
            learner
                .update("bad", "", Response::Dismissed, NOW - i)
                .unwrap();
        }
        let profile = Profile::anonymous("v").unwrap();
        let context = Context::new(engine.catalog().schema());
        let request = Request::new(Channel::Web, NOW).slots(2).seed(99);
        let a = engine
            .decide_with(&profile, &context, &request, &learner)
            .unwrap();
        let b = engine
            .decide_with(&profile, &context, &request, &learner)
            .unwrap();
        for (x, y) in a.picks().iter().zip(b.picks()) {
            let (x, y) = (x.score.unwrap(), y.score.unwrap());
            assert_eq!(
                x.propensity, 0.6,
                "50 dismissals sample far below the floor"
            );
            assert_eq!(x, y);
        }
    }

    #[test]
    fn receipts_log_each_picks_probability() {
        let profile = Profile::anonymous("v").unwrap();
        let probability = |engine: &Engine, learner: Option<&Learner>, seed: u64| -> f64 {
            let context = Context::new(engine.catalog().schema());
            let request = Request::new(Channel::Web, NOW).seed(seed).explain(true);
            let d = match learner {
                Some(l) => engine.decide_with(&profile, &context, &request, l),
                None => engine.decide(&profile, &context, &request),
            }
            .unwrap();
            d.receipt().unwrap().picks[0].probability
        };
        // Thompson sampling: the trained favourite almost always, a coin toss on the prior.
        let adaptive = engine(json!({}));
        let trained = trained("");
        let favourite = probability(&adaptive, Some(&trained), 3);
        assert!(favourite > 0.95, "{favourite}");
        let coin = probability(&adaptive, None, 3);
        assert!((0.35..0.65).contains(&coin), "{coin}");
        // A fixed policy without ties does not depend on the seed; with a tie, the seed decides.
        let fixed = |values: [u32; 2]| {
            let catalog = json!({"version": "f", "default": {"id": "fallback"},
                "offers": [{"id": "x", "value": values[0]}, {"id": "y", "value": values[1]}]});
            Engine::new(
                Catalog::compile(&catalog.to_string(), NOW).unwrap(),
                Models::default(),
            )
            .unwrap()
        };
        assert_eq!(probability(&fixed([2, 1]), None, 3), 1.0);
        let tie = probability(&fixed([1, 1]), None, 3);
        assert!((0.35..0.65).contains(&tie), "{tie}");
    }

    #[test]
    fn a_candidate_policy_gives_each_logged_pick_its_probability() {
        let fixed = |values: [u32; 2], eligible: &str| {
            let catalog = json!({"version": "f", "default": {"id": "fallback"},
                "offers": [{"id": "x", "value": values[0], "eligibility": eligible},
                           {"id": "y", "value": values[1]}]});
            Engine::new(
                Catalog::compile(&catalog.to_string(), NOW).unwrap(),
                Models::default(),
            )
            .unwrap()
        };
        let profile = Profile::anonymous("v").unwrap();
        let target = |engine: &Engine, slots: usize, learner: Option<&Learner>, logged: &[&str]| {
            let context = Context::new(engine.catalog().schema());
            let request = Request::new(Channel::Web, NOW).slots(slots).seed(5);
            engine
                .pick_probabilities(&profile, &context, &request, learner, logged)
                .unwrap()
        };
        // Deterministic: 1 where this engine puts the logged offer at the logged rank, else 0.
        let x_first = fixed([2, 1], "true");
        assert_eq!(target(&x_first, 2, None, &["x", "y"]), [1.0, 1.0]);
        assert_eq!(target(&x_first, 2, None, &["y", "x"]), [0.0, 0.0]);
        assert_eq!(
            target(&x_first, 1, None, &["x", "y"]),
            [1.0, 0.0],
            "one slot"
        );
        assert_eq!(
            target(&x_first, 1, None, &["gone"]),
            [0.0],
            "not in the catalog"
        );
        assert_eq!(target(&x_first, 1, None, &["fallback"]), [0.0]);
        let none = fixed([2, 0], "false");
        assert_eq!(target(&none, 1, None, &["fallback"]), [1.0], "falls back");
        assert_eq!(target(&none, 1, None, &["y"]), [0.0]);
        // Random: a tie is a coin toss; Thompson sampling follows the learner.
        let tie = target(&fixed([1, 1], "true"), 1, None, &["x"])[0];
        assert!((0.35..0.65).contains(&tie), "{tie}");
        let adaptive = engine(json!({}));
        let good = target(&adaptive, 1, Some(&trained("")), &["good"])[0];
        let bad = target(&adaptive, 1, Some(&trained("")), &["bad"])[0];
        assert!(
            good > 0.95 && (good + bad - 1.0).abs() < 1e-12,
            "{good} {bad}"
        );
    }

    #[test]
    fn bad_learning_settings_are_errors() {
        for (learning, offer, place) in [
            (
                json!({"floor": 1.0}),
                json!({"adaptive": {}}),
                "learning.floor",
            ),
            (
                json!({"half_life": "30s"}),
                json!({"adaptive": {}}),
                "learning.half_life",
            ),
            (
                json!({"segment": "cart.value"}),
                json!({"adaptive": {}}),
                "learning.segment",
            ),
            (
                json!({}),
                json!({"adaptive": {"prior": [0, 1]}}),
                "offers[\"x\"].propensity.adaptive.prior",
            ),
        ] {
            let catalog = json!({"version": "v", "default": {"id": "f"}, "learning": learning,
                "offers": [{"id": "x", "propensity": offer}]});
            let problems = Catalog::compile(&catalog.to_string(), NOW).unwrap_err();
            assert!(
                problems.errors().any(|p| p.place() == place),
                "{place}: {}",
                problems.render()
            );
        }
    }
}

mod pruning {
    use super::NOW;
    use proptest::prelude::*;
    use serde_json::json;
    use shopkeeper::decide::{Catalog, Engine, Request};
    use shopkeeper::learn::{Learner, Response};
    use shopkeeper::rules::Context;
    use shopkeeper::score::Models;
    use shopkeeper::{Channel, Profile};

    proptest! {
        #![proptest_config(crate::common::config(96))]

        /// The fast path samples only the adaptive offers that can still take a slot; it must
        /// pick exactly what sampling every offer (the receipt path) picks.
        #[test]
        fn sampling_only_what_can_win_picks_the_same(
            offers in prop::collection::vec((1u32..50, 0u8..4, any::<bool>(), 1u32..20, 1u32..20), 1..40),
            responses in prop::collection::vec((0usize..40, any::<bool>()), 0..80),
            slots in 1usize..6,
            seed in any::<u64>(),
        ) {
            let catalog = json!({
                "version": "p", "default": {"id": "fallback"},
                "offers": offers.iter().enumerate().map(|(i, (value, group, adaptive, a, b))| json!({
                    "id": format!("o{i}"),
                    "value": value,
                    "group": if *group == 0 { json!(null) } else { json!(format!("g{group}")) },
                    "propensity": if *adaptive { json!({"adaptive": {"prior": [a, b]}}) } else { json!({"fixed": f64::from(*a) / 20.0}) },
                })).collect::<Vec<_>>()
            });
            let engine = Engine::new(Catalog::compile(&catalog.to_string(), NOW).unwrap(), Models::default()).unwrap();
            let mut learner = Learner::new(86_400).unwrap();
            for (k, (offer, accepted)) in responses.iter().enumerate() {
                let response = if *accepted { Response::Accepted } else { Response::Dismissed };
                learner.update(&format!("o{}", offer % offers.len()), "", response, NOW - k as i64).unwrap();
            }
            let profile = Profile::anonymous("v").unwrap();
            let context = Context::new(engine.catalog().schema());
            let request = Request::new(Channel::Web, NOW).slots(slots).seed(seed);
            let ids = |explain: bool| -> Vec<(String, Option<f64>)> {
                let d = engine.decide_with(&profile, &context, &request.explain(explain), &learner).unwrap();
                d.picks().iter().map(|p| (p.action.id().to_string(), p.score.map(|s| s.score))).collect()
            };
            prop_assert_eq!(ids(false), ids(true));
            // As the candidate of off-policy evaluation, the engine gives its own logged picks
            // the probabilities its receipt logged.
            let d = engine.decide_with(&profile, &context, &request.explain(true), &learner).unwrap();
            let receipt = d.receipt().unwrap();
            let logged: Vec<&str> = receipt.picks.iter().map(|p| p.offer).collect();
            let target = engine.pick_probabilities(&profile, &context, &request, Some(&learner), &logged).unwrap();
            let expected: Vec<f64> = receipt.picks.iter().map(|p| p.probability).collect();
            prop_assert_eq!(target, expected);
        }
    }
}
