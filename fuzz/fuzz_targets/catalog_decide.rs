//! Any text as a catalog: compiling returns a catalog or problems that render, never panics; a
//! catalog that compiles decides, with and without the log and the receipt, for a customer with a
//! history: all give the same picks (or the same error, such as a segment too long), and the
//! decision's JSON and receipt render.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopkeeper::decide::{Catalog, Engine, Request};
use shopkeeper::learn::{Learner, Response};
use shopkeeper::rules::Context;
use shopkeeper::score::Models;
use shopkeeper::{Channel, Event, Profile};

const NOW: i64 = 1_795_500_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let catalog = match Catalog::compile(text, NOW) {
        Ok(catalog) => catalog,
        Err(problems) => {
            drop(problems.render());
            return;
        }
    };
    for warning in catalog.warnings() {
        drop(warning.render());
    }
    let Ok(engine) = Engine::new(catalog, Models::default()) else {
        return;
    };
    let mut profile = Profile::known("c1").unwrap();
    for event in [
        r#"{"at": 1795490000, "channel": "web", "type": "session_start", "affiliate": "blog"}"#,
        r#"{"at": 1795490100, "channel": "web", "type": "cart_add", "product": "p", "category": "tents", "quantity": 2, "unit_price": 4999}"#,
        r#"{"at": 1795490200, "channel": "web", "type": "offer_shown", "offer": "a"}"#,
        r#"{"at": 1795490300, "channel": "web", "type": "offer_dismissed", "offer": "a"}"#,
    ] {
        profile
            .apply(&Event::from_json(event).unwrap(), NOW)
            .unwrap();
    }
    let context = Context::new(engine.catalog().schema());
    for channel in [Channel::Web, Channel::Store] {
        let request = Request::new(channel, NOW).slots(3).seed(data.len() as u64);
        let fast = engine.decide(&profile, &context, &request);
        let logged = engine.decide(&profile, &context, &request.log(true));
        let explained = engine.decide(&profile, &context, &request.explain(true));
        let (fast, logged, explained) = match (fast, logged, explained) {
            (Ok(f), Ok(l), Ok(x)) => (f, l, x),
            (Err(f), Err(l), Err(x)) => {
                assert!(f == l && l == x, "{f} / {l} / {x}");
                continue;
            }
            (f, l, x) => panic!(
                "the paths disagree: {:?} / {:?} / {:?}",
                f.err(),
                l.err(),
                x.err()
            ),
        };
        let ids = |d: &shopkeeper::decide::Decision<'_>| -> Vec<String> {
            d.picks()
                .iter()
                .map(|p| p.action.id().to_string())
                .collect()
        };
        assert_eq!(ids(&fast), ids(&explained));
        assert_eq!(ids(&fast), ids(&logged));
        let record = logged.log().unwrap();
        drop(logged.to_json().unwrap());
        drop(explained.into_receipt().unwrap().to_json().unwrap());
        // Learn from the decision (its segment and predictor bins), survive the bytes, and decide
        // again with the learner: the fast path and the receipt still agree.
        let Ok(mut learner) = engine.catalog().new_learner() else {
            continue;
        };
        for (k, id) in ids(&fast).iter().enumerate() {
            let response = [Response::Accepted, Response::Dismissed, Response::Ignored][k % 3];
            learner
                .credit(&record, id, response, NOW + k as i64)
                .unwrap();
        }
        let learner = Learner::from_bytes(&learner.to_bytes().unwrap()).unwrap();
        let later = Request::new(channel, NOW + 60)
            .slots(3)
            .seed(data.len() as u64 + 1);
        let fast = engine
            .decide_with(&profile, &context, &later, &learner)
            .unwrap();
        let explained = engine
            .decide_with(&profile, &context, &later.explain(true), &learner)
            .unwrap();
        assert_eq!(ids(&fast), ids(&explained));
        drop(explained.into_receipt().unwrap().to_json().unwrap());
    }
});
