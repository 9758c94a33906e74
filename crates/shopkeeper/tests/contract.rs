//! The decision's public contract, from Rust: the request's JSON reader and its defaults and
//! bounds, the log record on the fast path, typed drop causes and their words, decision-log
//! entries, and crediting a response to the segment its decision showed it in.

use serde_json::json;
use shopkeeper::decide::{
    Catalog, Cause, ContactBlock, DecisionRequest, Engine, LogEntry, Request, Stage,
    MAX_REQUEST_LEN,
};
use shopkeeper::learn::Response;
use shopkeeper::rules::Context;
use shopkeeper::score::Models;
use shopkeeper::{Channel, ErrorCode, Event, Profile};

const NOW: i64 = 1_732_406_400;

fn engine() -> Engine {
    let catalog = json!({
        "version": "contract-1",
        "context": {"page_type": "string"},
        "learning": {"segment": "context.page_type"},
        "default": {"id": "newsletter"},
        "offers": [
            {"id": "ship", "eligibility": "context.page_type == \"cart\"", "value": 10,
             "propensity": {"fixed": 0.3}, "contact": {"max_shows": 1, "window": "7d"}},
            {"id": "banner", "value": 5, "propensity": {"fixed": 0.5}},
            {"id": "x", "value": 1, "propensity": {"fixed": 0.5}, "group": "g"},
            {"id": "y", "value": 1, "propensity": {"fixed": 0.4}, "group": "g"},
            {"id": "coin", "value": 2, "propensity": {"adaptive": {"prior": [1, 1]}}}
        ]
    });
    let catalog = Catalog::compile(&catalog.to_string(), NOW).unwrap();
    Engine::new(catalog, Models::default()).unwrap()
}

#[test]
fn the_request_reader_has_the_defaults_and_the_bounds() {
    let spec = DecisionRequest::from_json(r#"{"now": 1732406400}"#).unwrap();
    let request = spec.request().unwrap();
    assert_eq!(
        (request.channel, request.slots, request.seed),
        (Channel::Web, 1, 0)
    );
    assert!(!request.explain && !request.log);
    // A seed as a string of digits keeps all 64 bits (JSON readers round numbers past 2^53).
    let spec = DecisionRequest::from_json(
        r#"{"now": 1732406400, "seed": "18446744073709551615", "channel": "store", "slots": 3, "log": true}"#,
    )
    .unwrap();
    assert_eq!(spec.request().unwrap().seed, u64::MAX);
    assert!(spec.request().unwrap().log);
    let code = |json: &str| DecisionRequest::from_json(json).unwrap_err().code();
    assert_eq!(code(r#"{"now": 1, "slot": 2}"#), ErrorCode::InvalidJson);
    assert_eq!(
        code(r#"{"now": 1, "channel": "fax"}"#),
        ErrorCode::InvalidJson
    );
    assert_eq!(code(r#"{"now": 1, "seed": -1}"#), ErrorCode::InvalidJson);
    let long = format!(r#"{{"now": 1}}{}"#, " ".repeat(MAX_REQUEST_LEN));
    assert_eq!(code(&long), ErrorCode::TooLong);
    let no_now = DecisionRequest::from_json("{}").unwrap();
    assert_eq!(
        no_now.request().unwrap_err().code(),
        ErrorCode::InvalidRequest
    );
    // The context is read against the catalog's schema.
    let engine = engine();
    let spec =
        DecisionRequest::from_json(r#"{"now": 1, "context": {"page_type": "cart"}}"#).unwrap();
    assert!(spec.context(engine.catalog().schema()).is_ok());
    let spec = DecisionRequest::from_json(r#"{"now": 1, "context": {"page": "cart"}}"#).unwrap();
    assert_eq!(
        spec.context(engine.catalog().schema()).unwrap_err().code(),
        ErrorCode::InvalidContext
    );
}

#[test]
fn the_log_comes_on_the_fast_path_only_when_asked() {
    let engine = engine();
    let profile = Profile::known("c1").unwrap();
    let mut context = Context::new(engine.catalog().schema());
    context
        .set(
            engine.catalog().schema(),
            "page_type",
            shopkeeper::rules::Value::String("cart".into()),
        )
        .unwrap();
    let request = Request::new(Channel::Web, NOW).slots(2).seed(3);
    let plain = engine.decide(&profile, &context, &request).unwrap();
    assert!(plain.log().is_none() && plain.receipt().is_none());
    assert!(plain.picks().iter().all(|p| p.probability.is_none()));
    let logged = engine
        .decide(&profile, &context, &request.log(true))
        .unwrap();
    assert!(logged.receipt().is_none());
    let log = logged.log().unwrap();
    assert_eq!(log.catalog_version, "contract-1");
    assert_eq!(log.schema, Some(engine.catalog().schema().fingerprint()));
    assert_eq!(
        (log.customer.as_str(), log.segment.as_str()),
        ("c1", "cart")
    );
    let ids: Vec<&str> = log.picks.iter().map(|p| p.offer.as_str()).collect();
    let picks: Vec<&str> = plain.picks().iter().map(|p| p.action.id()).collect();
    assert_eq!(ids, picks);
    // The adaptive offer makes the decision depend on the seed: every pick's probability is a
    // share of the 257 draws, at least the decision's own.
    for pick in log.picks.iter() {
        let hits = pick.probability * 257.0;
        assert!(
            (hits - hits.round()).abs() < 1e-9 && hits >= 1.0,
            "{pick:?}"
        );
    }
    // The receipt has the same probabilities.
    let explained = engine
        .decide(&profile, &context, &request.explain(true))
        .unwrap();
    let receipt = explained.receipt().unwrap();
    for (p, r) in log.picks.iter().zip(&receipt.picks) {
        assert_eq!(p.probability, r.probability);
    }
}

#[test]
fn drops_are_typed_and_put_into_words_only_when_read() {
    let engine = engine();
    let mut profile = Profile::known("c1").unwrap();
    let shown = r#"{"at": 1732400000, "channel": "web", "type": "offer_shown", "offer": "ship"}"#;
    profile
        .apply(&Event::from_json(shown).unwrap(), NOW)
        .unwrap();
    let context = Context::new(engine.catalog().schema());
    let request = Request::new(Channel::Web, NOW).slots(1).explain(true);
    let decision = engine.decide(&profile, &context, &request).unwrap();
    let receipt = decision.receipt().unwrap();
    // `ship` fails its eligibility clause before its contact policy is looked at.
    let ship = receipt.dropped_offer("ship").unwrap();
    assert_eq!(ship.stage(), Stage::Eligibility);
    assert_eq!(ship.cause(), Cause::Clause("context.page_type == \"cart\""));
    assert_eq!(ship.reason(), "context.page_type == \"cart\"");
    let y = receipt.dropped_offer("y").unwrap();
    assert!(matches!(
        y.cause(),
        Cause::Outranked {
            group: "g",
            winner: "x",
            ..
        }
    ));
    assert_eq!(
        y.reason(),
        "group \"g\": \"x\" ranked higher (score 0.5 vs 0.4)"
    );
    // With the cart page, `ship` passes its clause and its contact policy stops it.
    let mut cart = Context::new(engine.catalog().schema());
    cart.set(
        engine.catalog().schema(),
        "page_type",
        shopkeeper::rules::Value::String("cart".into()),
    )
    .unwrap();
    let decision = engine.decide(&profile, &cart, &request).unwrap();
    let ship = decision.receipt().unwrap().dropped_offer("ship").unwrap();
    assert_eq!(
        ship.cause(),
        Cause::Contact(ContactBlock::Capped {
            shows: 1,
            max_shows: 1,
            window: 7 * 86_400
        })
    );
    assert_eq!(ship.reason(), "shown 1 time in the last 7d (cap 1)");
}

#[test]
fn a_log_entry_reads_back_and_credits_responses_to_their_segment() {
    let engine = engine();
    let profile = Profile::known("c1").unwrap();
    let mut context = Context::new(engine.catalog().schema());
    context
        .set(
            engine.catalog().schema(),
            "page_type",
            shopkeeper::rules::Value::String("home".into()),
        )
        .unwrap();
    let request = Request::new(Channel::Web, NOW).slots(2).log(true);
    let decision = engine.decide(&profile, &context, &request).unwrap();
    let log = decision.log().unwrap();
    let mut entry = LogEntry::new(&engine, &profile, &context, log.clone()).unwrap();
    let first = log.picks[0].offer.clone();
    assert!(entry.accept(&first));
    assert!(!entry.accept(&first), "once");
    assert!(!entry.accept("newsletter"), "not a pick");
    let line = entry.to_json().unwrap();
    let again = LogEntry::from_json(&line).unwrap();
    assert_eq!(again.decision, log);
    assert_eq!(again.profile().unwrap(), profile);
    assert_eq!(again.context(engine.catalog().schema()).unwrap(), context);
    // The logging policy evaluated on its own log: every weight is 1.
    for item in again.evaluate(&engine, None).unwrap() {
        assert_eq!(item.logging, item.target);
    }
    // A response is credited to the segment the decision showed the offer in, and only then.
    let mut learner = engine.catalog().new_learner().unwrap();
    assert_eq!(
        learner.credit(&log, &first, Response::Accepted, NOW + 5),
        Ok(true)
    );
    assert_eq!(learner.counts(&first, "home", NOW + 5).accepts, 1.0);
    assert_eq!(
        learner.credit(&log, "not-shown", Response::Dismissed, NOW + 5),
        Ok(false)
    );
    assert_eq!(learner.len(), 1);
    // A line over the cap is refused before it is read.
    let long = line.clone() + &" ".repeat(shopkeeper::decide::MAX_LOG_ENTRY_LEN);
    assert_eq!(
        LogEntry::from_json(&long).unwrap_err().code(),
        ErrorCode::TooLong
    );
}

#[test]
fn the_decision_json_is_the_documented_form() {
    let engine = engine();
    let profile = Profile::known("c1").unwrap();
    let spec = DecisionRequest::from_json(
        r#"{"now": 1732406400, "slots": 2, "log": true, "context": {"page_type": "cart"}}"#,
    )
    .unwrap();
    let context = spec.context(engine.catalog().schema()).unwrap();
    let decision = engine
        .decide(&profile, &context, &spec.request().unwrap())
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&decision.to_json().unwrap()).unwrap();
    assert_eq!(json["format"], "shopkeeper.decision");
    assert_eq!(json["segment"], "cart");
    assert_eq!(json["picks"][0]["is_default"], false);
    assert!(json["picks"][0]["probability"].is_number());
    assert_eq!(json["log"]["customer"], "c1");
    assert_eq!(json["shown"].as_array().unwrap().len(), 2);
    assert!(json.get("receipt").is_none());
}

#[test]
fn null_is_not_a_default_and_input_that_looks_like_a_limit_is_not_one() {
    // `JSON.stringify` writes NaN and Infinity as null: refused, never read as "absent".
    for json in [
        r#"{"now": null}"#,
        r#"{"now": 1, "slots": null}"#,
        r#"{"now": 1, "seed": null}"#,
        r#"{"now": 1, "channel": null}"#,
    ] {
        let code = DecisionRequest::from_json(json).unwrap_err().code();
        assert_eq!(code, ErrorCode::InvalidJson, "{json}");
    }
    // An unknown type that reads like the cap's message is still malformed JSON.
    let event =
        r#"{"at": 1732406400, "channel": "web", "type": "5 items, more than the cap of 3"}"#;
    assert_eq!(
        Event::from_json(event).unwrap_err().code(),
        ErrorCode::InvalidJson
    );
}

#[test]
fn adaptive_offers_whose_parts_overflow_are_decided_alike_on_every_path() {
    // value x lever overflows to infinity, yet a propensity below 1 can give a finite score:
    // the fast path must not prune the offer as the explaining path does not.
    let catalog = json!({
        "version": "overflow", "default": {"id": "none"},
        "offers": [
            {"id": "big", "value": 1e308, "lever": 2, "propensity": {"adaptive": {"prior": [1, 5]}}},
            {"id": "small", "value": 1}
        ]
    });
    let catalog = Catalog::compile(&catalog.to_string(), NOW).unwrap();
    let engine = Engine::new(catalog, Models::default()).unwrap();
    let profile = Profile::known("c1").unwrap();
    let context = Context::new(engine.catalog().schema());
    for seed in 0..20 {
        let request = Request::new(Channel::Web, NOW).slots(1).seed(seed);
        let ids = |request: Request| -> Vec<String> {
            let decision = engine.decide(&profile, &context, &request).unwrap();
            decision
                .picks()
                .iter()
                .map(|p| p.action.id().to_string())
                .collect()
        };
        let fast = ids(request);
        assert_eq!(fast, ids(request.log(true)), "seed {seed}");
        assert_eq!(fast, ids(request.explain(true)), "seed {seed}");
    }
}
