//! A rule (the first line) compiled against a schema with declared attributes and context keys,
//! evaluated on a profile folded from the following lines (event JSON) with a context: nothing
//! panics, and `matches` agrees with the value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shopkeeper::rules::{Context, Features, Input, Rule, Schema, Type, Value};
use shopkeeper::{Event, Profile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
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
    let Ok(rule) = Rule::compile(rule, &schema) else { return };
    let now = 1_795_000_000;
    let mut profile = Profile::known("fuzz").expect("a valid id");
    for line in events.lines() {
        if let Ok(event) = Event::from_json(line) {
            let _ = profile.apply(&event, now);
        }
    }
    let mut context = Context::new(&schema);
    context.set(&schema, "page_type", Value::String("cart".into())).expect("declared");
    context.set(&schema, "tags", Value::List(vec!["sale".into(), "Sale".into()])).expect("declared");
    context.set(&schema, "budget", Value::Number(f64::MAX)).expect("declared");
    let features = Features::new(&schema, &Input { profile: &profile, context: &context, now });
    let value = rule.eval(&features);
    assert_eq!(rule.matches(&features), value == Some(Value::Bool(true)));
    if let Some(Value::Number(n)) = value {
        assert!(n.is_finite(), "numbers are finite or missing");
    }
});
