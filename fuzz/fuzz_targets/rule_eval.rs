//! A rule (the first line) compiled against a schema with declared attributes and context keys,
//! evaluated on a profile folded from the following lines (event JSON) with a context: nothing
//! panics, and `matches` agrees with the value. The profile is scored with the published CDNOW
//! models first (and cohorts by referrer), so score paths are fuzzed too, and every score is
//! finite or missing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopkeeper::rules::{Context, Features, Input, Rule, Schema, Type, Value};
use shopkeeper::score::{
    BgNbd, CohortKey, CohortStats, Cohorts, GammaGamma, Models, PurchaseModel, Rfm,
};
use shopkeeper::{Event, Profile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (rule, events) = text.split_once('\n').unwrap_or((text, ""));
    let schema = Schema::new()
        .attribute("tier", Type::String)
        .attribute("score", Type::Number)
        .attribute("vip", Type::Bool)
        .attribute("interests", Type::List)
        .attribute("birthday", Type::Timestamp)
        .context_key("page_type", Type::String)
        .context_key("tags", Type::List)
        .context_key("budget", Type::Number)
        .context_key("wait", Type::Duration);
    let Ok(rule) = Rule::compile(rule, &schema) else {
        return;
    };
    let now = 1_795_000_000;
    let mut profile = Profile::known("fuzz").expect("a valid id");
    for line in events.lines() {
        if let Ok(event) = Event::from_json(line) {
            let _ = profile.apply(&event, now);
        }
    }
    let mut context = Context::new(&schema);
    context
        .set(&schema, "page_type", Value::String("cart".into()))
        .expect("declared");
    context
        .set(
            &schema,
            "tags",
            Value::List(vec!["sale".into(), "Sale".into()]),
        )
        .expect("declared");
    context
        .set(&schema, "budget", Value::Number(f64::MAX))
        .expect("declared");
    let mut models = Models::default();
    models.purchases = Some(PurchaseModel::Bgnbd(BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    }));
    models.spend = Some(GammaGamma {
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    });
    models.rfm = Some(Rfm {
        recency_days: [99.0, 198.0, 219.0, 242.0],
        frequency: [1.0, 1.0, 2.0, 3.0],
        monetary: [14.96, 27.99, 46.04, 93.76],
    });
    let stats = |customers, clv| CohortStats {
        customers,
        repeat_rate: 0.3,
        aov: 40.0,
        clv,
    };
    models.cohorts = Some(Cohorts {
        by: CohortKey::Referrer,
        prior: 20.0,
        population: stats(100, 60.0),
        sources: [("gadgets.com".to_string(), stats(3, 900.0))].into(),
    });
    let scores = models.score(&profile, now);
    for score in [
        scores.p_alive,
        scores.churn_risk,
        scores.expected_purchases_90d,
        scores.expected_spend,
        scores.clv,
    ] {
        assert!(
            score.is_none_or(f64::is_finite),
            "scores are finite or missing: {scores:?}"
        );
    }
    let input = Input {
        profile: &profile,
        context: &context,
        now,
        scores: Some(&scores),
    };
    let features = Features::new(&schema, &input);
    let value = rule.eval(&features);
    assert_eq!(rule.matches(&features), value == Some(Value::Bool(true)));
    if let Some(Value::Number(n)) = value {
        assert!(n.is_finite(), "numbers are finite or missing");
    }
});
