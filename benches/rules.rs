//! Rule evaluation, side by side with the engines a Rust user would pick instead, on the same
//! values and the same three expressions: a single comparison; six clauses of and/or mixing numbers
//! and strings (all six evaluated); membership of a string in a list of ten (the last item).
//! Every engine compiles once and evaluates many times, through its fastest documented path; each
//! engine's answer is checked before it is timed. A hand-written Rust closure is the floor.
//!
//! Run: `cargo bench -p shopkeeper-benches --bench rules`
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use shopkeeper::rules::{Context, Features, Input, Rule, Schema, Type};
use shopkeeper::{Event, Profile};

const NOW: i64 = 1_795_000_000;
const TIERS: &str = r#"["bronze", "silver", "gold", "platinum", "diamond", "staff", "vip", "partner", "press", "family"]"#;

/// The three expressions in each engine's syntax: (name, ours and zen, cel, evalexpr, JsonLogic).
fn expressions() -> [(&'static str, String, String, String, serde_json::Value); 3] {
    let tiers: serde_json::Value = serde_json::from_str(TIERS).unwrap_or_default();
    let tuple = TIERS.replace('[', "(").replace(']', ")");
    [
        (
            "comparison",
            "cart.value >= 100".into(),
            "cart.value >= 100".into(),
            "cart_value >= 100".into(),
            json!({">=": [{"var": "cart.value"}, 100]}),
        ),
        (
            "six_clauses",
            r#"customer.known and cart.value >= 100 and session.referrer == "gadgets.com" or customer.orders > 3 and customer.attr.tier == "family" and session.channel != "kiosk""#.into(),
            r#"customer.known && cart.value >= 100 && session.referrer == "gadgets.com" || customer.orders > 3 && customer.attr.tier == "family" && session.channel != "kiosk""#.into(),
            r#"known && cart_value >= 100 && referrer == "gadgets.com" || orders > 3 && tier == "family" && channel != "kiosk""#.into(),
            json!({"or": [
                {"and": [{"var": "customer.known"}, {">=": [{"var": "cart.value"}, 100]}, {"==": [{"var": "session.referrer"}, "gadgets.com"]}]},
                {"and": [{">": [{"var": "customer.orders"}, 3]}, {"==": [{"var": "customer.attr.tier"}, "family"]}, {"!=": [{"var": "session.channel"}, "kiosk"]}]}
            ]}),
        ),
        (
            "membership",
            format!("customer.attr.tier in {TIERS}"),
            format!("customer.attr.tier in {TIERS}"),
            format!("contains({tuple}, tier)"),
            json!({"in": [{"var": "customer.attr.tier"}, tiers]}),
        ),
    ]
}

/// The values every engine reads: cart 120.00, a known customer with 5 orders, tier "family",
/// on the web from a search engine (so the first and-group fails on its third clause).
fn data() -> serde_json::Value {
    json!({
        "cart": {"value": 120.0},
        "customer": {"known": true, "orders": 5, "attr": {"tier": "family"}},
        "session": {"referrer": "search.example", "channel": "web"}
    })
}

/// The same customer as a Shopkeeper profile, built from events.
fn profile() -> Profile {
    let mut p = Profile::known("cust-1").unwrap_or_else(|e| panic!("{e}"));
    let mut events: Vec<String> = (0..5)
        .map(|i| format!(r#"{{"at": {}, "channel": "store", "type": "purchase", "order": "o{i}", "lines": [], "total": 1000}}"#, NOW - 86_400 * (10 - i)))
        .collect();
    events.push(format!(
        r#"{{"at": {}, "channel": "web", "type": "session_start", "referrer": "search.example"}}"#,
        NOW - 60
    ));
    events.push(format!(r#"{{"at": {}, "channel": "web", "type": "cart_add", "product": "jacket", "unit_price": 12000}}"#, NOW - 30));
    events.push(format!(r#"{{"at": {}, "channel": "web", "type": "attribute_set", "name": "tier", "value": "family"}}"#, NOW - 20));
    for e in events {
        p.apply(&Event::from_json(&e).unwrap_or_else(|e| panic!("{e}")), NOW)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    p
}

/// The hand-written floor: the same checks as Rust closures over a plain struct.
struct Plain {
    cart_value: f64,
    known: bool,
    orders: f64,
    tier: String,
    referrer: String,
    channel: String,
}

/// A hand-written check.
type Check = Box<dyn Fn(&Plain) -> bool>;

fn closures() -> [Check; 3] {
    const LIST: [&str; 10] = [
        "bronze", "silver", "gold", "platinum", "diamond", "staff", "vip", "partner", "press",
        "family",
    ];
    [
        Box::new(|c| c.cart_value >= 100.0),
        Box::new(|c| {
            c.known && c.cart_value >= 100.0 && c.referrer == "gadgets.com"
                || c.orders > 3.0 && c.tier == "family" && c.channel != "kiosk"
        }),
        Box::new(|c| LIST.contains(&c.tier.as_str())),
    ]
}

fn rules(c: &mut Criterion) {
    let data = data();
    let schema = Schema::new().attribute("tier", Type::String);
    let profile = profile();
    let context = Context::new(&schema);
    // Built once, like every peer's context: a request builds its features once for all its rules.
    let features = Features::new(
        &schema,
        &Input {
            profile: &profile,
            context: &context,
            now: NOW,
            scores: None,
        },
    );
    let plain = Plain {
        cart_value: 120.0,
        known: true,
        orders: 5.0,
        tier: "family".into(),
        referrer: "search.example".into(),
        channel: "web".into(),
    };

    // Peers' contexts, built once.
    let zen_scope = zen_expression::Scope::new(zen_expression::Variable::from(data.clone()));
    let mut zen_vm = zen_expression::vm::VM::new();
    let mut cel_context = cel::Context::default();
    for key in ["cart", "customer", "session"] {
        cel_context
            .add_variable(key, data[key].clone())
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let mut evalexpr_context = evalexpr::HashMapContext::<evalexpr::DefaultNumericTypes>::new();
    {
        use evalexpr::{ContextWithMutableVariables, Value};
        let set = |ctx: &mut evalexpr::HashMapContext, k: &str, v: Value| {
            ctx.set_value(k.into(), v).unwrap_or_else(|e| panic!("{e}"))
        };
        set(
            &mut evalexpr_context,
            "cart_value",
            Value::from_float(120.0),
        );
        set(&mut evalexpr_context, "known", Value::from(true));
        set(&mut evalexpr_context, "orders", Value::from_int(5));
        set(&mut evalexpr_context, "tier", Value::from("family"));
        set(
            &mut evalexpr_context,
            "referrer",
            Value::from("search.example"),
        );
        set(&mut evalexpr_context, "channel", Value::from("web"));
    }
    let datalogic = datalogic_rs::Engine::new();
    let datalogic_data =
        datalogic_rs::ParsedData::from_json(&data.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let mut arena = datalogic_rs::bumpalo::Bump::new();

    for ((name, ours, cel_src, evalexpr_src, jsonlogic), closure) in
        expressions().into_iter().zip(closures())
    {
        let rule = Rule::condition(&ours, &schema).unwrap_or_else(|d| panic!("{d}"));
        let zen = zen_expression::compile_expression(&ours).unwrap_or_else(|e| panic!("{e}"));
        let cel_program = cel::Program::compile(&cel_src).unwrap_or_else(|e| panic!("{e}"));
        let evalexpr_tree =
            evalexpr::build_operator_tree::<evalexpr::DefaultNumericTypes>(&evalexpr_src)
                .unwrap_or_else(|e| panic!("{e}"));
        let logic = datalogic
            .compile(&jsonlogic.to_string())
            .unwrap_or_else(|e| panic!("{e}"));

        // Every engine must answer `true` here, or the comparison is meaningless.
        assert!(rule.matches(&features), "shopkeeper: {name}");
        assert!(closure(&plain), "closure: {name}");
        assert_eq!(
            zen.evaluate_with_scope(&zen_scope, &mut zen_vm).ok(),
            Some(zen_expression::Variable::Bool(true)),
            "zen: {name}"
        );
        assert_eq!(
            cel_program.execute(&cel_context).ok(),
            Some(cel::Value::Bool(true)),
            "cel: {name}"
        );
        assert_eq!(
            evalexpr_tree
                .eval_boolean_with_context(&evalexpr_context)
                .ok(),
            Some(true),
            "evalexpr: {name}"
        );
        assert_eq!(
            datalogic
                .evaluate(&logic, &datalogic_data, &arena)
                .ok()
                .and_then(|v| v.as_bool()),
            Some(true),
            "datalogic: {name}"
        );

        let mut group = c.benchmark_group(format!("rules/{name}"));
        group.bench_function("shopkeeper", |b| {
            b.iter(|| black_box(&rule).matches(black_box(&features)))
        });
        group.bench_function("hand-written closure", |b| {
            b.iter(|| closure(black_box(&plain)))
        });
        group.bench_function("datalogic-rs", |b| {
            b.iter(|| {
                let result = datalogic
                    .evaluate(&logic, black_box(&datalogic_data), &arena)
                    .ok()
                    .and_then(|v| v.as_bool());
                black_box(result)
            });
            arena.reset();
        });
        group.bench_function("zen-expression", |b| {
            b.iter(|| {
                black_box(
                    zen.evaluate_with_scope(black_box(&zen_scope), &mut zen_vm)
                        .ok(),
                )
            })
        });
        group.bench_function("cel", |b| {
            b.iter(|| black_box(cel_program.execute(black_box(&cel_context)).ok()))
        });
        group.bench_function("evalexpr", |b| {
            b.iter(|| {
                black_box(
                    evalexpr_tree
                        .eval_boolean_with_context(black_box(&evalexpr_context))
                        .ok(),
                )
            })
        });
        group.finish();
    }
}

/// Compiling a file of 1,000 rules (the six rules of examples/storefront.rules with varied
/// constants), as a catalog load does.
fn compile_thousand(c: &mut Criterion) {
    let schema = Schema::new()
        .attribute("loyalty_tier", Type::String)
        .attribute("interests", Type::List)
        .context_key("page_type", Type::String)
        .context_key("device", Type::String);
    let sources: Vec<String> = (0..1_000)
        .map(|i| match i % 6 {
            0 => format!("customer.known and cart.value >= {}", 50 + i),
            1 => format!(r#"not customer.known and lower(session.referrer) == "blog-{i}.example" and customer.orders == 0"#),
            2 => format!(r#"lower(customer.attr.loyalty_tier) in ["silver", "gold"] and count_viewed("cat-{i}") >= 2 and days_since(customer.last_purchase) <= {}"#, i % 90),
            3 => format!(r#""camping" in customer.attr.interests and not in_cart("sku-{i}")"#),
            4 => format!("has(customer.last_complaint) and days_since(customer.last_complaint) < {}", i % 30),
            _ => format!(r#"context.page_type == "cart" and context.device == "mobile" and session.time_on_site > {}m"#, i % 20),
        })
        .collect();
    c.bench_function("rules/compile 1,000 rules", |b| {
        b.iter(|| {
            sources
                .iter()
                .map(|s| Rule::condition(s, &schema).map(|_| ()).is_ok())
                .filter(|ok| *ok)
                .count()
        })
    });
}

criterion_group!(benches, rules, compile_thousand);
criterion_main!(benches);
