//! Predictors: models merge by adding (commutative exactly, associative and equal to one learner
//! up to rounding: property-tested), bad bins and bytes change nothing, caps keep the same bins
//! whatever the order, catalogs are checked, and decisions learn who the customer is.

use proptest::prelude::*;
use shopkeeper::decide::{Catalog, Engine, Request};
use shopkeeper::learn::{Learner, Response, MAX_BINS};
use shopkeeper::rules::{Context, Value};
use shopkeeper::score::Models;
use shopkeeper::{Channel, ErrorCode, Profile};

const NOW: i64 = 1_795_500_000;
const DAY: i64 = 86_400;

/// A response: offer 0-2, accepted?, seconds after NOW, source 0-3, spend bin 0-2, tags 0-3.
type Update = (u8, bool, i64, u8, u8, u8);

fn bins(u: &Update) -> Vec<String> {
    let mut bins = vec![
        format!("source=s{}", u.3),
        format!("spend=[{},{})", u.4, u.4 + 1),
    ];
    for t in 0..u.5 {
        bins.push(format!("tags=t{t}"));
    }
    bins
}

fn apply(l: &mut Learner, updates: &[Update]) {
    for u in updates {
        let bins = bins(u);
        let bins: Vec<&str> = bins.iter().map(String::as_str).collect();
        let response = if u.1 {
            Response::Accepted
        } else {
            Response::Ignored
        };
        l.update_with(&format!("o{}", u.0), "", &bins, response, NOW + u.2)
            .unwrap();
    }
}

fn learner(updates: &[Update]) -> Learner {
    let mut l = Learner::new(7 * DAY).unwrap();
    apply(&mut l, updates);
    l
}

const KEYS: [&str; 8] = [
    "",
    "source",
    "source=s0",
    "source=s3",
    "spend=[1,2)",
    "tags",
    "tags=t0",
    "tags=t2",
];

fn close(a: &Learner, b: &Learner, at: i64) -> Result<(), TestCaseError> {
    for offer in ["o0", "o1", "o2"] {
        for key in KEYS {
            let (x, y) = (
                a.model_counts(offer, key, at),
                b.model_counts(offer, key, at),
            );
            for (p, q) in [
                (x.long.accepts, y.long.accepts),
                (x.long.rejects, y.long.rejects),
                (x.recent.accepts, y.recent.accepts),
                (x.recent.rejects, y.recent.rejects),
            ] {
                prop_assert!(
                    (p - q).abs() <= 1e-9 * p.abs().max(1.0),
                    "{offer}/{key}: {p} vs {q}"
                );
            }
        }
    }
    Ok(())
}

fn updates() -> impl Strategy<Value = Vec<Update>> {
    prop::collection::vec(
        (
            0u8..3,
            any::<bool>(),
            0i64..30 * DAY,
            0u8..4,
            0u8..3,
            0u8..4,
        ),
        0..25,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn merging_is_commutative_associative_and_a_fleet_counts_as_one_learner(
        a in updates(), b in updates(), c in updates()
    ) {
        let (la, lb, lc) = (learner(&a), learner(&b), learner(&c));
        let mut ab = la.clone();
        ab.merge(&lb).unwrap();
        let mut ba = lb.clone();
        ba.merge(&la).unwrap();
        prop_assert_eq!(ab.to_bytes().unwrap(), ba.to_bytes().unwrap());
        let mut ab_c = ab.clone();
        ab_c.merge(&lc).unwrap();
        let mut bc = lb.clone();
        bc.merge(&lc).unwrap();
        let mut a_bc = la.clone();
        a_bc.merge(&bc).unwrap();
        let at = NOW + 31 * DAY;
        close(&ab_c, &a_bc, at)?;
        // One learner that saw every response counts what the fleet's merge counts.
        let mut all = a.clone();
        all.extend(&b);
        all.extend(&c);
        close(&learner(&all), &ab_c, at)?;
        let back = Learner::from_bytes(&ab_c.to_bytes().unwrap()).unwrap();
        prop_assert_eq!(back, ab_c);
    }
}

#[test]
fn bad_bins_are_refused_and_change_nothing() {
    let mut l = learner(&[(0, true, 0, 1, 1, 2)]);
    let before = l.clone();
    let long = "v".repeat(65);
    let many: Vec<String> = (0..65).map(|i| format!("p{i}=x")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let value = format!("source={long}");
    for (bins, code) in [
        (vec!["source"], ErrorCode::InvalidData),
        (vec!["=x"], ErrorCode::InvalidData),
        (vec!["bad name=x"], ErrorCode::InvalidData),
        (vec!["source=x", "source=x"], ErrorCode::InvalidData),
        (vec![value.as_str()], ErrorCode::InvalidData),
        (many, ErrorCode::LimitExceeded),
    ] {
        let e = l
            .update_with("o0", "", &bins, Response::Accepted, NOW)
            .unwrap_err();
        assert_eq!(e.code(), code, "{bins:?}");
        assert_eq!(l, before);
    }
}

#[test]
fn a_predictor_keeps_the_same_bins_past_its_cap_whatever_the_order() {
    let values: Vec<String> = (0..MAX_BINS + 20).map(|i| format!("source=v{i}")).collect();
    let one = |order: &mut dyn Iterator<Item = &String>| {
        let mut l = Learner::new(7 * DAY).unwrap();
        for v in order {
            l.update_with("o", "", &[v.as_str()], Response::Accepted, NOW)
                .unwrap();
        }
        l
    };
    let forward = one(&mut values.iter());
    let backward = one(&mut values.iter().rev());
    let kept = |l: &Learner| {
        values
            .iter()
            .filter(|v| l.model_counts("o", v, NOW).long.accepts > 0.0)
            .count()
    };
    assert_eq!(kept(&forward), MAX_BINS);
    // The same bins are kept (those of the smallest value hashes), so the counts agree where kept.
    for v in &values {
        let (f, b) = (
            forward.model_counts("o", v, NOW).long.accepts > 0.0,
            backward.model_counts("o", v, NOW).long.accepts > 0.0,
        );
        assert_eq!(f, b, "{v}");
    }
    // Every response counts in the predictor's total, kept bin or not.
    assert_eq!(forward.model_counts("o", "source", NOW).long.accepts, 84.0);
}

#[test]
fn learners_of_versions_1_and_2_still_read_and_damaged_models_do_not() {
    // Version 1: half-life 60, one segment "" with one arm.
    let mut v1 = b"SKL\x01\x01\x00".to_vec();
    v1.extend([120, 1, 0, 1, 1, b'a']);
    v1.extend(1.0f64.to_le_bytes());
    v1.extend(0.0f64.to_le_bytes());
    v1.extend([0]);
    let l = Learner::from_bytes(&v1).unwrap();
    assert_eq!((l.half_life(), l.recent_half_life()), (60, 60));
    assert_eq!(l.counts("a", "", 0).accepts, 1.0);
    // Version 2: half-lives 60 and 60, no arms, offer "a" at 0 with totals, the model's
    // surprise, and predictor "source" with bin "email"; four counts each.
    let mut v2 = b"SKL\x01\x02\x00".to_vec();
    v2.extend([120, 120, 0, 1, 1, b'a', 0]);
    let f64s = |v: &mut Vec<u8>, xs: &[f64]| xs.iter().for_each(|x| v.extend(x.to_le_bytes()));
    f64s(&mut v2, &[3.0, 1.0, 2.0, 1.0, -0.5, 0.75]);
    v2.extend([1, 6]);
    v2.extend(b"source");
    f64s(&mut v2, &[3.0, 1.0, 2.0, 1.0]);
    v2.extend([1, 5]);
    v2.extend(b"email");
    f64s(&mut v2, &[3.0, 1.0, 2.0, 1.0]);
    let l = Learner::from_bytes(&v2).unwrap();
    let counts = l.model_counts("a", "source=email", 0);
    assert_eq!((counts.long.accepts, counts.recent.rejects), (3.0, 1.0));
    // Written again as version 3, which reads back the same.
    let v3 = l.to_bytes().unwrap();
    assert_eq!(&v3[4..6], &[3, 0]);
    let surprise = (-0.5f64).to_le_bytes();
    assert!(
        v3.windows(8).any(|w| w == surprise),
        "the totals keep the model's surprise"
    );
    assert_eq!(Learner::from_bytes(&v3).unwrap().to_bytes().unwrap(), v3);
    let good = learner(&[(0, true, 0, 1, 1, 1)]).to_bytes().unwrap();
    let nan = f64::NAN.to_le_bytes();
    for cut in [good.len() - 1, good.len() / 2, 7] {
        assert!(Learner::from_bytes(&good[..cut]).is_err());
    }
    // The last number of the last bin (its surprise's sum p(1 - p)) made NaN, too large for
    // logarithms to stay exact, or larger than its one response could have made it.
    for count in [nan, 1e16f64.to_le_bytes(), 1e6f64.to_le_bytes()] {
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 8..].copy_from_slice(&count);
        assert_eq!(
            Learner::from_bytes(&bad).unwrap_err().code(),
            ErrorCode::DecodeInvalid
        );
    }
}

const CATALOG: &str = r#"{
  "version": "p", "default": {"id": "none"},
  "context": {"source": "string", "spend": "number"},
  "learning": {"half_life": "7d", "predictors": [
    {"name": "source", "value": "context.source"},
    {"name": "spend", "value": "context.spend", "bins": [50, 200]}
  ]},
  "offers": [
    {"id": "socks", "propensity": {"adaptive": {"prior": [1, 9]}}},
    {"id": "bag", "propensity": {"adaptive": {"prior": [1, 9]}}}
  ]
}"#;

#[test]
fn catalogs_check_their_predictors() {
    let with = |predictors: &str, extra: &str| {
        CATALOG.replace(
            r#""predictors": ["#,
            &format!(r#"{extra}"predictors": [{predictors}, "#),
        )
    };
    for (text, place, says) in [
        (
            with(r#"{"name": "bad name", "value": "context.source"}"#, ""),
            "learning.predictors[0]",
            "a predictor's name",
        ),
        (
            with(r#"{"name": "source", "value": "context.source"}"#, ""),
            "learning.predictors[1]",
            "declared twice",
        ),
        (
            with(
                r#"{"name": "x", "value": "context.source", "bins": [1]}"#,
                "",
            ),
            "learning.predictors[0]",
            "only numbers have bins",
        ),
        (
            with(
                r#"{"name": "x", "value": "context.spend", "bins": [5, 5]}"#,
                "",
            ),
            "learning.predictors[0]",
            "increasing",
        ),
        (
            with(r#"{"name": "x", "value": "context.nope"}"#, ""),
            "learning.predictors[0]",
            "nope",
        ),
        (
            with(
                r#"{"name": "x", "value": "context.spend"}"#,
                r#""recent_half_life": "8d", "#,
            ),
            "learning.recent_half_life",
            "longer than the half-life",
        ),
    ] {
        let problems = Catalog::compile(&text, NOW).unwrap_err();
        let found = problems
            .0
            .iter()
            .any(|p| p.place() == place && p.message.contains(says));
        assert!(found, "{place} {says}: {problems:?}");
    }
    let many: Vec<String> = (0..33)
        .map(|i| format!(r#"{{"name": "p{i}", "value": "context.spend"}}"#))
        .collect();
    let problems = Catalog::compile(&with(&many.join(", "), ""), NOW).unwrap_err();
    assert!(problems
        .0
        .iter()
        .any(|p| p.message.contains("at most 32 predictors")));
}

#[test]
fn decisions_learn_who_the_customer_is_say_why_and_see_a_change() {
    let engine = Engine::new(Catalog::compile(CATALOG, NOW).unwrap(), Models::default()).unwrap();
    let schema = engine.catalog().schema();
    let context = |source: &str, spend: f64| {
        let mut c = Context::new(schema);
        c.set(schema, "source", Value::String(source.into()))
            .unwrap();
        c.set(schema, "spend", Value::Number(spend)).unwrap();
        c
    };
    let visitor = Profile::anonymous("v").unwrap();
    let mut learner = engine.catalog().new_learner().unwrap();
    // Affiliates take the socks a third of the time and never the bag; search visitors the reverse.
    for i in 0..600u64 {
        let source = if i % 2 == 0 { "affiliate" } else { "search" };
        let request = Request::new(Channel::Web, NOW + i as i64)
            .slots(2)
            .seed(i)
            .log(true);
        let decision = engine
            .decide_with(&visitor, &context(source, 120.0), &request, &learner)
            .unwrap();
        let record = decision.log().unwrap();
        assert_eq!(
            record.predictors.as_deref().unwrap_or_default().to_vec(),
            vec![format!("source={source}"), "spend=[50,200)".to_string()]
        );
        let liked = if source == "affiliate" {
            "socks"
        } else {
            "bag"
        };
        for offer in ["socks", "bag"] {
            let response = if offer == liked && i % 3 == 0 {
                Response::Accepted
            } else {
                Response::Ignored
            };
            assert!(learner
                .credit(&record, offer, response, NOW + i as i64)
                .unwrap());
        }
    }
    let first = |source: &str| {
        let wins = (0..200u64)
            .filter(|&seed| {
                let request = Request::new(Channel::Web, NOW + 700).seed(seed);
                let d = engine
                    .decide_with(&visitor, &context(source, 120.0), &request, &learner)
                    .unwrap();
                d.picks()[0].action.id() == "socks"
            })
            .count();
        wins as f64 / 200.0
    };
    assert!(
        first("affiliate") > 0.9,
        "affiliates get the socks: {}",
        first("affiliate")
    );
    assert!(
        first("search") < 0.1,
        "search visitors the bag: {}",
        first("search")
    );
    // An affiliate's decision at `at`, explained.
    let explained = |at: i64, learner: &Learner| {
        let request = Request::new(Channel::Web, at)
            .slots(2)
            .seed(1)
            .explain(true);
        let affiliate = context("affiliate", 120.0);
        engine
            .decide_with(&visitor, &affiliate, &request, learner)
            .unwrap()
    };
    let decision = explained(NOW + 700, &learner);
    let receipt = decision.receipt().unwrap();
    let socks = receipt.picks.iter().find(|p| p.offer == "socks").unwrap();
    assert_eq!(socks.predictors[0].bin, "source=affiliate");
    assert!(socks.predictors[0].odds > 1.5, "{:?}", socks.predictors);
    let bag = receipt.picks.iter().find(|p| p.offer == "bag").unwrap();
    assert!(bag.predictors[0].odds < 1.0, "{:?}", bag.predictors);
    assert!(receipt
        .to_json()
        .unwrap()
        .contains(r#""predictors":[{"bin":"source=affiliate""#));
    // The long counts' shrunk evidence mispredicts a little (no search visitor took the socks):
    // the surprise already corrects it.
    let before = socks.predictors[0].clone();

    // Then, over six hours, affiliates stop taking the socks; search visitors do as before.
    for i in 0..600u64 {
        let at = NOW + 700 + 36 * i as i64;
        let affiliate = i % 2 == 0;
        let source = if affiliate { "affiliate" } else { "search" };
        let bins = [format!("source={source}"), "spend=[50,200)".to_string()];
        let bins: Vec<&str> = bins.iter().map(String::as_str).collect();
        let accepted = !affiliate && i % 3 == 0;
        for (offer, response) in [
            ("socks", Response::Ignored),
            (
                "bag",
                if accepted {
                    Response::Accepted
                } else {
                    Response::Ignored
                },
            ),
        ] {
            learner.update_with(offer, "", &bins, response, at).unwrap();
        }
    }
    let decision = explained(NOW + 700 + 36 * 600, &learner);
    let receipt = decision.receipt().unwrap();
    let socks = receipt.picks.iter().find(|p| p.offer == "socks").unwrap();
    let after = socks
        .predictors
        .iter()
        .find(|e| e.bin == before.bin)
        .unwrap();
    // The bin moved by its surprise, within hours, though the long counts still remember it.
    assert!(
        after.change < before.change - 0.15,
        "{before:?} then {after:?}"
    );
    assert!(after.odds < 0.8 * before.odds, "{before:?} then {after:?}");
    assert!(after.accepts > 0.9 * before.accepts, "{after:?}");
    // Every response was in the same spend bin: it is no change against its predictor.
    let spend = socks
        .predictors
        .iter()
        .find(|e| e.bin.starts_with("spend="))
        .unwrap();
    assert_eq!(spend.change, 0.0, "{spend:?}");
}

#[test]
fn number_bins_are_fitted_from_the_responses() {
    // `spend` without bins: in its power of two, pooled with the neighbours that answer alike.
    let catalog = CATALOG.replace(r#", "bins": [50, 200]"#, "");
    let engine = Engine::new(Catalog::compile(&catalog, NOW).unwrap(), Models::default()).unwrap();
    let schema = engine.catalog().schema();
    let context = |spend: f64| {
        let mut c = Context::new(schema);
        c.set(schema, "spend", Value::Number(spend)).unwrap();
        c
    };
    let visitor = Profile::anonymous("v").unwrap();
    let mut learner = engine.catalog().new_learner().unwrap();
    // One customer in ten takes the socks below 8 spent, one in two from 32 on.
    let spends = [1.5, 3.0, 5.0, 6.0, 40.0, 100.0];
    let last = NOW + 1_199;
    for i in 0..1_200u64 {
        let spend = spends[i as usize % spends.len()];
        let at = NOW + i as i64;
        let request = Request::new(Channel::Web, at).slots(2).seed(i).log(true);
        let decision = engine
            .decide_with(&visitor, &context(spend), &request, &learner)
            .unwrap();
        let every = if spend < 8.0 { 10 } else { 2 };
        let response = if (i / 6) % every == 0 {
            Response::Accepted
        } else {
            Response::Ignored
        };
        let record = decision.log().unwrap();
        assert!(learner.credit(&record, "socks", response, at).unwrap());
    }
    let spend_evidence = |spend: f64| {
        let request = Request::new(Channel::Web, last)
            .slots(2)
            .seed(1)
            .explain(true);
        let decision = engine
            .decide_with(&visitor, &context(spend), &request, &learner)
            .unwrap();
        let receipt = decision.receipt().unwrap();
        let socks = receipt.picks.iter().find(|p| p.offer == "socks").unwrap();
        let e = socks
            .predictors
            .iter()
            .find(|e| e.bin.starts_with("spend="))
            .unwrap();
        (e.bin.clone(), e.accepts, e.odds)
    };
    let accepts = |bins: &[&str]| -> f64 {
        let accepts = bins
            .iter()
            .map(|b| learner.model_counts("socks", b, last).long.accepts);
        accepts.sum()
    };
    // The three powers of two below 8 answer alike: each reads the counts of all three.
    let (bin, low, low_odds) = spend_evidence(5.0);
    assert_eq!(bin, "spend=[4,8)");
    let pooled = accepts(&["spend=[1,2)", "spend=[2,4)", "spend=[4,8)"]);
    assert!((low - pooled).abs() < 1e-9 * pooled, "{low} vs {pooled}");
    assert!(low > accepts(&["spend=[4,8)"]) * 1.5);
    // From 32 on they answer otherwise: apart from those below 8, together with each other.
    let (bin, high, high_odds) = spend_evidence(40.0);
    assert_eq!(bin, "spend=[32,64)");
    let pooled = accepts(&["spend=[32,64)", "spend=[64,128)"]);
    assert!((high - pooled).abs() < 1e-9 * pooled, "{high} vs {pooled}");
    assert!(low_odds < 1.0 && high_odds > 1.5, "{low_odds} {high_odds}");
}
